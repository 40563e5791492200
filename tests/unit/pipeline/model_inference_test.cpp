// Pipeline model inference on real models made at test time: the constant-output YOLOv8 'tiny' detector
// (boxes mapped back through the letterbox), the bundled shapes classifier on its samples (dynamic batch
// and the fixed batch-4 copy with padding), the trend clip classifier, and errors naming the element.
#include "pipeline/model_inference.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace edgeinfer::pipeline {
namespace {

const std::string kSource = EDGEINFER_SOURCE_DIR;
const std::string kHead = EDGEINFER_HEAD_MODELS;
const std::string kClassify = EDGEINFER_CLASSIFY_MODELS;

ElementConfig detector(const std::string& model) {
    ElementConfig e;
    e.type = ElementType::kInfer;
    e.path = "/elements/0";
    e.infer.model = model;
    e.infer.labels = {"cat", "dog"};
    return e;
}

ElementConfig classifier(const std::string& model) {
    ElementConfig e;
    e.type = ElementType::kInfer;
    e.path = "/elements/2";
    e.infer.role = "classifier";
    e.infer.model = model;
    return e;
}

TEST(ModelInference, YoloDetectorBoxesInFramePixelsThroughLetterbox) {
    auto detect = make_model_detector(detector(kHead + "/yolov8_tiny.onnx"));
    ASSERT_TRUE(detect.is_ok()) << detect.status().to_string();
    // 128x64 frame -> 64x64 input: scale 0.5, 16 rows of padding above. Input box (24,24)-(40,40).
    const cv::Mat frame(64, 128, CV_8UC3, cv::Scalar(150, 120, 90));
    auto objects = detect.value()(frame);
    ASSERT_TRUE(objects.is_ok()) << objects.status().to_string();
    ASSERT_EQ(objects.value().size(), 2u);  // class 1 (0.9; anchor 1 suppressed by NMS) and class 0 (0.7)
    const ObjectMeta& best = objects.value()[0];
    EXPECT_EQ(best.class_id, 1);
    EXPECT_EQ(best.label, "dog");
    EXPECT_NEAR(best.confidence, 0.9, 1e-5);
    EXPECT_NEAR(best.box.x1, 48, 1e-3);
    EXPECT_NEAR(best.box.y1, 16, 1e-3);
    EXPECT_NEAR(best.box.x2, 80, 1e-3);
    EXPECT_NEAR(best.box.y2, 48, 1e-3);
    EXPECT_EQ(objects.value()[1].label, "cat");
    EXPECT_NEAR(objects.value()[1].confidence, 0.7, 1e-5);
}

TEST(ModelInference, DetectorThresholdAndNmsFromTheElement) {
    ElementConfig e = detector(kHead + "/yolov8_tiny.onnx");
    e.infer.confidence_threshold = 0.8;
    e.infer.task = "yolov8";
    auto detect = make_model_detector(e);
    ASSERT_TRUE(detect.is_ok()) << detect.status().to_string();
    auto objects = detect.value()(cv::Mat(64, 64, CV_8UC3, cv::Scalar(0, 0, 0)));
    ASSERT_TRUE(objects.is_ok());
    ASSERT_EQ(objects.value().size(), 1u);
    EXPECT_EQ(objects.value()[0].label, "dog");
    // NMS off (IoU threshold 1): anchor 1 (0.8, IoU 0.88 with anchor 0) stays.
    e.infer.nms_iou_threshold = 1.0;
    auto loose = make_model_detector(e);
    ASSERT_TRUE(loose.is_ok());
    auto more = loose.value()(cv::Mat(64, 64, CV_8UC3, cv::Scalar(0, 0, 0)));
    ASSERT_TRUE(more.is_ok());
    EXPECT_EQ(more.value().size(), 2u);
}

std::vector<cv::Mat> samples(std::vector<std::string>& truth) {
    std::vector<cv::Mat> crops;
    for (const char* name : {"circle_1.jpg", "star_2.png", "ring_3.jpg", "triangle_1.jpg", "cross_2.png"}) {
        crops.push_back(cv::imread(kSource + "/models/samples/" + name, cv::IMREAD_COLOR));
        std::string s = name;
        truth.push_back(s.substr(0, s.find('_')));
    }
    return crops;
}

TEST(ModelInference, ShapesClassifierOnCropsDynamicAndFixedBatch) {
    std::vector<std::string> truth;
    const std::vector<cv::Mat> crops = samples(truth);
    for (const std::string& model : {kSource + "/models/shapes.onnx", kClassify + "/shapes_b4.onnx"}) {
        SCOPED_TRACE(model);
        auto classify = make_model_classifier(classifier(model));
        ASSERT_TRUE(classify.is_ok()) << classify.status().to_string();
        auto results = classify.value()(crops);  // 5 crops: one batch of 5, or 4 + 1 padded to 4
        ASSERT_TRUE(results.is_ok()) << results.status().to_string();
        ASSERT_EQ(results.value().size(), crops.size());
        for (size_t i = 0; i < crops.size(); ++i) {
            EXPECT_EQ(results.value()[i].label, truth[i]);  // labels from the sidecar
            EXPECT_GT(results.value()[i].probability, 0.5);
            EXPECT_LE(results.value()[i].probability, 1.0);
        }
    }
}

TEST(ModelInference, ElementLabelsOverrideTheSidecar) {
    ElementConfig e = classifier(kSource + "/models/shapes.onnx");
    e.infer.labels = {"C", "S", "T", "St", "X", "R"};
    auto classify = make_model_classifier(e);
    ASSERT_TRUE(classify.is_ok());
    auto r = classify.value()({cv::imread(kSource + "/models/samples/square_1.jpg", cv::IMREAD_COLOR)});
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r.value().at(0).label, "S");
}

std::vector<cv::Mat> ramp(int first, int step) {
    std::vector<cv::Mat> clip;
    for (int t = 0; t < 4; ++t) clip.emplace_back(32, 32, CV_8UC3, cv::Scalar::all(first + step * t));
    return clip;
}

TEST(ModelInference, ClipClassifierOnTrendModel) {
    ElementConfig e;
    e.type = ElementType::kClipClassifier;
    e.path = "/elements/1";
    e.clip.model = kClassify + "/trend.onnx";
    e.clip.window = 4;
    auto classify = make_model_clip_classifier(e);
    ASSERT_TRUE(classify.is_ok()) << classify.status().to_string();
    auto up = classify.value()(ramp(40, 50));
    ASSERT_TRUE(up.is_ok()) << up.status().to_string();
    EXPECT_EQ(up.value().label, "brightening");
    EXPECT_GT(up.value().probability, 0.9);
    auto down = classify.value()(ramp(200, -50));
    ASSERT_TRUE(down.is_ok());
    EXPECT_EQ(down.value().label, "darkening");

    e.clip.window = 8;  // the model takes T = 4
    auto wrong = make_model_clip_classifier(e);
    ASSERT_FALSE(wrong.is_ok());
    EXPECT_NE(wrong.status().message().find("/elements/1/window"), std::string::npos) << wrong.status().message();
}

TEST(ModelInference, ElementPreprocessingKeysOverrideTheSidecar) {
    // The config's keys reach the model: a negative std turns a brightening clip into a darkening one.
    const std::string dir = testing::TempDir() + "/preprocess_keys_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/clip.onnx") << "x";
    const std::string doc = R"({"sources": [{"uri": "pattern:32x32"}], "elements": [
        {"type": "clip_classifier", "model": ")" +
                            kClassify + R"(/trend.onnx", "window": 4, "std": [-0.25]}]})";
    auto config = parse_pipeline_config(nlohmann::json::parse(doc), dir);
    ASSERT_TRUE(config.is_ok()) << config.status().to_string();
    const ElementConfig& e = config.value().elements[0];
    auto classify = make_model_clip_classifier(e);
    ASSERT_TRUE(classify.is_ok()) << classify.status().to_string();
    auto up = classify.value()(ramp(40, 50));
    ASSERT_TRUE(up.is_ok()) << up.status().to_string();
    EXPECT_EQ(up.value().label, "darkening");

    // A size the model does not take is an error naming the element.
    ElementConfig sized = e;
    sized.clip.preprocess.std.reset();
    sized.clip.preprocess.size = std::make_pair(48, 48);
    auto wrong = make_model_clip_classifier(sized);  // trend.onnx is fixed at 32 x 32
    ASSERT_FALSE(wrong.is_ok());
    EXPECT_NE(wrong.status().message().find("/elements/0"), std::string::npos) << wrong.status().message();
    EXPECT_NE(wrong.status().message().find("48x48"), std::string::npos) << wrong.status().message();
    std::filesystem::remove_all(dir);
}

TEST(ModelInference, ErrorsNameTheElement) {
    auto mlp = make_model_classifier(classifier(kClassify + "/mlp.onnx"));  // input 1 x 10: no image
    ASSERT_FALSE(mlp.is_ok());
    EXPECT_NE(mlp.status().message().find("/elements/2"), std::string::npos) << mlp.status().message();
    EXPECT_NE(mlp.status().message().find("mlp.onnx"), std::string::npos);

    auto missing = make_model_detector(detector(kHead + "/no_such.onnx"));
    ASSERT_FALSE(missing.is_ok());
    EXPECT_NE(missing.status().message().find("/elements/0"), std::string::npos) << missing.status().message();

    ElementConfig e = detector(kSource + "/models/shapes.onnx");  // a classifier is no detector
    auto not_detector = make_model_detector(e);
    ASSERT_FALSE(not_detector.is_ok());
    EXPECT_NE(not_detector.status().message().find("/elements/0"), std::string::npos)
        << not_detector.status().message();
}

TEST(ModelInference, FactoryBuildsInferElementsAndLeavesTheRest) {
    const ElementFactory factory = make_model_factory();
    PipelineConfig config;
    ElementConfig tracker;
    tracker.type = ElementType::kTracker;
    auto none = factory(tracker, config);
    ASSERT_TRUE(none.is_ok());
    EXPECT_EQ(none.value(), nullptr);
    auto det = factory(detector(kHead + "/yolov8_tiny.onnx"), config);
    ASSERT_TRUE(det.is_ok()) << det.status().to_string();
    ASSERT_NE(det.value(), nullptr);
    PipelineFrame f;
    f.frame.image = cv::Mat(64, 64, CV_8UC3, cv::Scalar(0, 0, 0));
    ASSERT_TRUE(det.value()->process(f).is_ok());
    EXPECT_EQ(f.meta.objects.size(), 2u);
}

}  // namespace
}  // namespace edgeinfer::pipeline

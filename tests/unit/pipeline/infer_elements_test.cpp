// Infer elements with stand-in heads: detector interval and labels, square crops, classifier
// scheduling (new tracks, every N frames, operate_on_classes, batches, key prefix), clip windows.
#include "pipeline/infer_elements.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "pipeline/tracker.hpp"

namespace edgeinfer::pipeline {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;

PipelineFrame make_frame(uint64_t n, const std::string& source = "cam") {
    PipelineFrame f;
    f.frame.image = cv::Mat(100, 200, CV_8UC3, cv::Scalar::all(0));
    cv::rectangle(f.frame.image, cv::Rect(20, 20, 20, 40), cv::Scalar(0, 0, 255), cv::FILLED);   // red, tall
    cv::rectangle(f.frame.image, cv::Rect(150, 70, 40, 20), cv::Scalar(255, 0, 0), cv::FILLED);  // blue, wide
    f.meta.source_id = source;
    f.meta.frame_number = n;
    f.meta.timestamp_us = kT0 + int64_t(n) * 100'000;
    f.meta.width = 200;
    f.meta.height = 100;
    return f;
}

ObjectMeta obj(Box b, int cls, float conf = 0.9f) {
    ObjectMeta o;
    o.box = b;
    o.class_id = cls;
    o.confidence = conf;
    return o;
}

ElementConfig infer_config(const std::string& role) {
    ElementConfig e;
    e.type = ElementType::kInfer;
    e.infer.role = role;
    e.infer.labels = {"red", "blue"};
    return e;
}

TEST(SquareCrop, ExpandsShiftsAndClips) {
    EXPECT_EQ(square_crop({20, 20, 40, 60}, 200, 100), cv::Rect(10, 20, 40, 40));     // tall box, inside
    EXPECT_EQ(square_crop({150, 70, 190, 90}, 200, 100), cv::Rect(150, 60, 40, 40));  // shifted up to fit
    EXPECT_EQ(square_crop({0, 0, 10, 30}, 200, 100), cv::Rect(0, 0, 30, 30));         // shifted right
    EXPECT_EQ(square_crop({10, 0, 190, 20}, 200, 100), cv::Rect(10, 0, 180, 100));    // taller than the frame
}

TEST(DetectorElement, IntervalCarriesDetectionsAndFillsLabels) {
    ElementConfig e = infer_config("detector");
    e.infer.interval = 3;
    e.infer.confidence_threshold = 0.5;
    std::vector<uint64_t> called;
    uint64_t n = 0;
    auto detector = make_detector_element(e, [&](const cv::Mat&) -> Result<std::vector<ObjectMeta>> {
        called.push_back(n);
        return std::vector<ObjectMeta>{obj({20, 20, 40, 60}, 0), obj({150, 70, 190, 90}, 1),
                                       obj({0, 0, 5, 5}, 1, 0.2f)};
    });
    for (n = 0; n < 7; ++n) {
        PipelineFrame f = make_frame(n);
        ASSERT_TRUE(detector->process(f).is_ok());
        ASSERT_EQ(f.meta.objects.size(), 2u) << "frame " << n;  // the 0.2 one is under the threshold
        EXPECT_EQ(f.meta.objects[0].label, "red");
        EXPECT_EQ(f.meta.objects[1].label, "blue");
    }
    EXPECT_EQ(called, (std::vector<uint64_t>{0, 3, 6}));
    // Each source keeps its own detections.
    PipelineFrame other = make_frame(1, "cam2");
    ASSERT_TRUE(detector->process(other).is_ok());
    EXPECT_TRUE(other.meta.objects.empty());
}

// Names a crop's dominant color, and remembers the crops it saw.
struct ColorClassifier {
    std::vector<size_t> batch_sizes;
    std::vector<cv::Size> sizes;
    Result<std::vector<Classification>> operator()(const std::vector<cv::Mat>& crops) {
        batch_sizes.push_back(crops.size());
        std::vector<Classification> out;
        for (const auto& c : crops) {
            sizes.push_back(c.size());
            const cv::Scalar m = cv::mean(c);
            out.push_back(m[2] > m[0] ? Classification{"warm", m[2] / 255} : Classification{"cold", m[0] / 255});
        }
        return out;
    }
};

TEST(ClassifierElement, NewTracksThenEveryNFrames) {
    ElementConfig e = infer_config("classifier");
    e.infer.every_n_frames = 4;
    e.infer.key_prefix = "colour_";
    e.infer.batch_size = 1;
    auto cc = std::make_shared<ColorClassifier>();
    auto classifier = make_classifier_element(e, [cc](const std::vector<cv::Mat>& c) { return (*cc)(c); });
    TrackerConfig tc;
    tc.min_hits = 1;
    Tracker tracker(tc);
    for (uint64_t n = 0; n < 10; ++n) {
        PipelineFrame f = make_frame(n);
        f.meta.objects = tracker.update({obj({20, 20, 40, 60}, 0), obj({150, 70, 190, 90}, 1)}, f.meta.timestamp_us);
        ASSERT_TRUE(classifier->process(f).is_ok());
        for (const auto& o : f.meta.objects) {
            const std::string cls = std::get<std::string>(o.attributes.at("colour_predicted_class"));
            EXPECT_EQ(cls, o.class_id == 0 ? "warm" : "cold") << "frame " << n;
            EXPECT_GT(std::get<double>(o.attributes.at("colour_probability")), 0.0);
        }
    }
    // Two tracks, each classified at frames 0, 4, 8; one crop per call (batch_size 1).
    EXPECT_EQ(cc->sizes.size(), 6u);
    EXPECT_EQ(cc->batch_sizes, std::vector<size_t>(6, 1));
    EXPECT_EQ(cc->sizes[0], cv::Size(40, 40));  // square crops
    EXPECT_EQ(cc->sizes[1], cv::Size(40, 40));
}

TEST(ClassifierElement, OperateOnClassesUntrackedObjectsAndBatches) {
    ElementConfig e = infer_config("classifier");
    e.infer.operate_on_classes = {"blue"};
    e.infer.batch_size = 8;
    e.infer.square_crop = false;
    auto cc = std::make_shared<ColorClassifier>();
    auto classifier = make_classifier_element(e, [cc](const std::vector<cv::Mat>& c) { return (*cc)(c); });
    for (uint64_t n = 0; n < 3; ++n) {
        PipelineFrame f = make_frame(n);
        ObjectMeta red = obj({20, 20, 40, 60}, 0), blue = obj({150, 70, 190, 90}, 1),
                   blue2 = obj({140, 60, 200, 100}, 1);
        red.label = "red";
        blue.label = blue2.label = "blue";
        f.meta.objects = {red, blue, blue2};
        ASSERT_TRUE(classifier->process(f).is_ok());
        EXPECT_EQ(f.meta.objects[0].attributes.count("predicted_class"), 0u);  // not a class it operates on
        EXPECT_EQ(std::get<std::string>(f.meta.objects[1].attributes.at("predicted_class")), "cold");
        EXPECT_EQ(f.meta.objects[2].attributes.count("predicted_class"), 1u);
    }
    EXPECT_EQ(cc->batch_sizes, (std::vector<size_t>{2, 2, 2}));  // untracked: every frame, both in one batch
    EXPECT_EQ(cc->sizes[0], cv::Size(40, 20));                   // the box itself without square_crop
}

TEST(ClassifierElement, HeadErrorsAreReported) {
    auto classifier = make_classifier_element(infer_config("classifier"), [](const std::vector<cv::Mat>&) {
        return Result<std::vector<Classification>>(internal_error("model exploded"));
    });
    PipelineFrame f = make_frame(0);
    f.meta.objects = {obj({20, 20, 40, 60}, 0)};
    const Status s = classifier->process(f);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.message().find("model exploded"), std::string::npos);
    auto wrong = make_classifier_element(infer_config("classifier"), [](const std::vector<cv::Mat>&) {
        return Result<std::vector<Classification>>(std::vector<Classification>{});
    });
    EXPECT_FALSE(wrong->process(f).is_ok());
}

TEST(ClipClassifierElement, SlidingWindowWithStride) {
    ElementConfig e;
    e.type = ElementType::kClipClassifier;
    e.clip.window = 4;
    e.clip.stride = 2;
    std::vector<uint64_t> called;
    uint64_t n = 0;
    auto clip = make_clip_classifier_element(e, [&](const std::vector<cv::Mat>& frames) -> Result<Classification> {
        EXPECT_EQ(frames.size(), 4u);
        called.push_back(n);
        return Classification{"walking", 0.5 + 0.01 * double(n)};
    });
    for (n = 0; n < 10; ++n) {
        PipelineFrame f = make_frame(n);
        ASSERT_TRUE(clip->process(f).is_ok());
        if (n < 3) {
            EXPECT_EQ(f.meta.attributes.count("clip_class"), 0u);
        } else {
            EXPECT_EQ(std::get<std::string>(f.meta.attributes.at("clip_class")), "walking");
            EXPECT_DOUBLE_EQ(std::get<double>(f.meta.attributes.at("clip_probability")),
                             0.5 + 0.01 * double(called.back()));
        }
    }
    EXPECT_EQ(called, (std::vector<uint64_t>{3, 5, 7, 9}));
}

}  // namespace
}  // namespace edgeinfer::pipeline

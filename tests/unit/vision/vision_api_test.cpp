// The public vision tasks (include/edgeinfer/vision.hpp) through the library: the bundled classifier on its
// samples, detection on tiny YOLOv8 and DETR models with known answers, the bundled segmenter, CTC text
// on the exported CRNN against PyTorch's decode, clip classification, the name tables and bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/source.hpp"
#include "edgeinfer/vision.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

const std::string kModels = std::string(EDGEINFER_SOURCE_DIR) + "/models";
const std::string kHeads = EDGEINFER_HEAD_MODELS;
const std::string kClassify = EDGEINFER_CLASSIFY_MODELS;

Image read(const std::string& path) {
    auto image = Image::read(path);
    EXPECT_TRUE(image.is_ok()) << image.status().to_string();
    return image.is_ok() ? image.value() : Image();
}

// A solid BGR image.
Image solid(int width, int height, uint8_t b, uint8_t g, uint8_t r) {
    Image image = Image::allocate(width, height, PixelFormat::kBgr8);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            uint8_t* p = image.data() + y * image.stride() + 3 * x;
            p[0] = b;
            p[1] = g;
            p[2] = r;
        }
    return image;
}

TEST(VisionNames, OneTablePerEnum) {
    for (auto m : {ResizeMode::kStretch, ResizeMode::kLetterbox, ResizeMode::kCrop})
        EXPECT_EQ(parse_resize_mode(to_string(m)).value(), m);
    for (auto i : {Interpolation::kNearest, Interpolation::kLinear, Interpolation::kCubic, Interpolation::kArea})
        EXPECT_EQ(parse_interpolation(to_string(i)).value(), i);
    for (auto c : {ColorOrder::kRgb, ColorOrder::kBgr, ColorOrder::kGray})
        EXPECT_EQ(parse_color_order(to_string(c)).value(), c);
    for (auto l : {Layout::kNchw, Layout::kNhwc}) EXPECT_EQ(parse_layout(to_string(l)).value(), l);
    EXPECT_EQ(to_string(ResizeMode::kLetterbox), "letterbox");
    EXPECT_EQ(parse_color_order("RGB").value(), ColorOrder::kRgb);  // sidecars spell them in capitals
    EXPECT_EQ(parse_interpolation("bilinear").value(), Interpolation::kLinear);
    auto bad = parse_layout("nctw");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("nchw or nhwc"), std::string::npos) << bad.status().message();
}

TEST(Classifier, BundledSamplesAllTop1) {
    auto c = Classifier::create(kModels + "/shapes.onnx");
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    Classifier& classifier = *c.value();
    const std::vector<std::string> labels{"circle", "square", "triangle", "star", "cross", "ring"};
    EXPECT_EQ(classifier.labels(), labels);  // from models/shapes.json
    const std::string pre = classifier.preprocess_description();
    EXPECT_NE(pre.find("stretch 32x32 area"), std::string::npos) << pre;
    EXPECT_NE(pre.find("shapes.json"), std::string::npos) << pre;

    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(kModels + "/samples")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 6u);
    std::vector<Image> images;
    std::vector<ImageView> views;
    for (const fs::path& f : files) images.push_back(read(f.string()));
    for (const Image& i : images) views.push_back(i.view());

    // One at a time and as one batch: the same classes (each file's name starts with its class).
    auto batch = classifier.classify(views);
    ASSERT_TRUE(batch.is_ok()) << batch.status().to_string();
    ASSERT_EQ(batch.value().size(), files.size());
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string name = files[i].filename().string();
        const std::string expected = name.substr(0, name.find('_'));
        auto one = classifier.classify(views[i]);
        ASSERT_TRUE(one.is_ok()) << one.status().to_string();
        ASSERT_EQ(one.value().top.size(), 5u);  // top_k defaults to 5
        EXPECT_EQ(one.value().top[0].label, expected) << name;
        EXPECT_EQ(labels[static_cast<size_t>(one.value().top[0].index)], expected) << name;
        EXPECT_GE(one.value().top[0].score, one.value().top[1].score) << name;
        EXPECT_EQ(batch.value()[i].top[0].label, expected) << name;
        EXPECT_NEAR(batch.value()[i].top[0].score, one.value().top[0].score, 1e-5) << name;
    }
    EXPECT_TRUE(classifier.applies_softmax());  // shapes.onnx gives logits
}

TEST(Classifier, FramesFromASource) {
    // The usage in docs/api.md: frames from a folder, each classified, until the end of the stream.
    auto classifier = Classifier::create(kModels + "/shapes.onnx");
    ASSERT_TRUE(classifier.is_ok()) << classifier.status().to_string();
    SourceOptions so;
    so.limit = 4;
    auto source = FrameSource::open(kModels + "/samples", so);
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    int frames = 0;
    for (;;) {
        auto frame = source.value()->next();
        if (!frame.is_ok()) {
            EXPECT_EQ(frame.status().code(), StatusCode::kEndOfStream) << frame.status().to_string();
            break;
        }
        auto c = classifier.value()->classify(frame.value().image.view());
        ASSERT_TRUE(c.is_ok()) << c.status().to_string();
        const std::string name = fs::path(frame.value().source_id).filename().string();
        EXPECT_EQ(c.value().top[0].label, name.substr(0, name.find('_'))) << name;
        ++frames;
    }
    EXPECT_EQ(frames, 4);
}

TEST(Classifier, OptionsAndPixelFormats) {
    ClassifierOptions o;
    o.top_k = 2;
    o.threshold = 0.0;
    auto c = Classifier::create(kModels + "/shapes.onnx", o);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    Image bgr = read(kModels + "/samples/star_1.jpg");
    auto a = c.value()->classify(bgr.view());
    ASSERT_TRUE(a.is_ok()) << a.status().to_string();
    ASSERT_EQ(a.value().top.size(), 2u);
    EXPECT_EQ(a.value().top[0].label, "star");
    // The same pixels in RGB order (swapped by the caller, declared kRgb8) give the same answer.
    Image rgb = bgr.clone();
    for (int y = 0; y < rgb.height(); ++y)
        for (int x = 0; x < rgb.width(); ++x)
            std::swap(rgb.data()[y * rgb.stride() + 3 * x], rgb.data()[y * rgb.stride() + 3 * x + 2]);
    ImageView v = rgb.view();
    v.format = PixelFormat::kRgb8;
    auto b = c.value()->classify(v);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(b.value().top[0].index, a.value().top[0].index);
    EXPECT_NEAR(b.value().top[0].score, a.value().top[0].score, 1e-6);
    // Preprocessing overrides: the description says what was asked.
    ClassifierOptions n;
    n.preprocess.interpolation = Interpolation::kNearest;
    n.preprocess.resize = ResizeMode::kCrop;
    auto d = Classifier::create(kModels + "/shapes.onnx", n);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    EXPECT_NE(d.value()->preprocess_description().find("crop"), std::string::npos);
    EXPECT_NE(d.value()->preprocess_description().find("nearest"), std::string::npos);
}

TEST(Classifier, BadInputIsANamedError) {
    auto missing = Classifier::create(kModels + "/no_such_model.onnx");
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("no_such_model.onnx"), std::string::npos);

    ClassifierOptions bad_top;
    bad_top.top_k = 0;
    auto top = Classifier::create(kModels + "/shapes.onnx", bad_top);
    ASSERT_FALSE(top.is_ok());
    EXPECT_NE(top.status().message().find("top_k"), std::string::npos);

    ClassifierOptions half_size;
    half_size.preprocess.width = 32;
    auto size = Classifier::create(kModels + "/shapes.onnx", half_size);
    ASSERT_FALSE(size.is_ok());
    EXPECT_NE(size.status().message().find("preprocess.width"), std::string::npos);

    ClassifierOptions labels;
    labels.labels_path = kModels + "/no_such_labels.txt";
    auto l = Classifier::create(kModels + "/shapes.onnx", labels);
    ASSERT_FALSE(l.is_ok());
    EXPECT_NE(l.status().message().find("no_such_labels.txt"), std::string::npos);

    auto c = Classifier::create(kModels + "/shapes.onnx");
    ASSERT_TRUE(c.is_ok());
    auto empty = c.value()->classify(ImageView{});
    ASSERT_FALSE(empty.is_ok());
    EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(empty.status().message().find("empty"), std::string::npos) << empty.status().message();

    Image image = solid(8, 8, 10, 20, 30);
    ImageView narrow = image.view();
    narrow.stride = 5;  // less than a row of 8 BGR pixels
    auto stride = c.value()->classify(narrow);
    ASSERT_FALSE(stride.is_ok());
    EXPECT_NE(stride.status().message().find("stride"), std::string::npos) << stride.status().message();

    ImageView unknown = image.view();
    unknown.format = static_cast<PixelFormat>(42);
    auto format = c.value()->classify(unknown);
    ASSERT_FALSE(format.is_ok());
    EXPECT_NE(format.status().message().find("pixel format"), std::string::npos) << format.status().message();

    auto none = c.value()->classify(std::vector<ImageView>{});
    ASSERT_FALSE(none.is_ok());
    EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);

    // A clip model is not an image classifier, and an image model is no clip classifier.
    auto clip = Classifier::create(kClassify + "/trend.onnx");
    ASSERT_FALSE(clip.is_ok());
    EXPECT_NE(clip.status().message().find("ClipClassifier"), std::string::npos) << clip.status().message();
    auto image_model = ClipClassifier::create(kModels + "/shapes.onnx");
    ASSERT_FALSE(image_model.is_ok());
    EXPECT_NE(image_model.status().message().find("not a clip"), std::string::npos);
    auto mlp = Classifier::create(kClassify + "/mlp.onnx");
    ASSERT_FALSE(mlp.is_ok());
    EXPECT_NE(mlp.status().message().find("'x'"), std::string::npos) << mlp.status().message();
}

TEST(Detector, YoloV8TinyLetterboxedWithNms) {
    // yolov8_tiny (tests/tools/make_head_models.py TINY_YOLO) on a 128x64 image, letterboxed to 64x64 (half
    // size, 16 rows of padding above): input box (24,24)-(40,40) is frame (48,16)-(80,48). Anchor 1 is
    // suppressed by anchor 0 (same class, IoU 0.88); anchor 2 (class 0) is kept; the rest score below 0.25.
    DetectorOptions o;
    o.format = "yolov8";
    auto d = Detector::create(kHeads + "/yolov8_tiny.onnx", o);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    EXPECT_NE(d.value()->preprocess_description().find("letterbox"), std::string::npos);
    EXPECT_TRUE(d.value()->labels().empty());
    Image image = read(kHeads + "/tiny.png");
    auto dets = d.value()->detect(image.view());
    ASSERT_TRUE(dets.is_ok()) << dets.status().to_string();
    ASSERT_EQ(dets.value().size(), 2u);
    const Detection& a = dets.value()[0];
    EXPECT_EQ(a.class_id, 1);
    EXPECT_NEAR(a.score, 0.9, 1e-6);
    EXPECT_NEAR(a.box.x1, 48, 1e-3);
    EXPECT_NEAR(a.box.y1, 16, 1e-3);
    EXPECT_NEAR(a.box.x2, 80, 1e-3);
    EXPECT_NEAR(a.box.y2, 48, 1e-3);
    EXPECT_EQ(a.track_id, -1);
    EXPECT_EQ(dets.value()[1].class_id, 0);
    EXPECT_NEAR(dets.value()[1].score, 0.7, 1e-6);

    // An IoU threshold above 0.88 keeps anchor 1; a higher confidence drops class 0; a batch of two.
    DetectorOptions loose;
    loose.format = "yolov8";
    loose.iou_threshold = 0.9f;
    loose.confidence_threshold = 0.75f;
    auto l = Detector::create(kHeads + "/yolov8_tiny.onnx", loose);
    ASSERT_TRUE(l.is_ok()) << l.status().to_string();
    auto both = l.value()->detect(std::vector<ImageView>{image.view(), image.view()});
    ASSERT_TRUE(both.is_ok()) << both.status().to_string();
    ASSERT_EQ(both.value().size(), 2u);
    for (const auto& item : both.value()) {
        ASSERT_EQ(item.size(), 2u);
        EXPECT_NEAR(item[1].score, 0.8, 1e-6);
        EXPECT_EQ(item[1].class_id, 1);
    }
}

TEST(Detector, DetrWithLabelsFile) {
    // detr_tiny (TINY_DETR_*): stretched to 64x64; query 1 is no-object; query 0 class 1 scores e^3/(e^3+2).
    const fs::path labels = fs::temp_directory_path() / ("edgeinfer_vision_api_labels_" + std::to_string(::getpid()));
    std::ofstream(labels) << "cat\ndog\n";
    DetectorOptions o;
    o.confidence_threshold = 0.3f;
    o.labels_path = labels.string();
    auto d = Detector::create(kHeads + "/detr_tiny.onnx", o);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    EXPECT_EQ(d.value()->labels(), (std::vector<std::string>{"cat", "dog"}));
    Image image = read(kHeads + "/tiny.png");
    auto dets = d.value()->detect(image.view());
    ASSERT_TRUE(dets.is_ok()) << dets.status().to_string();
    ASSERT_EQ(dets.value().size(), 2u);
    const double e3 = std::exp(3.0);
    EXPECT_EQ(dets.value()[0].label, "dog");
    EXPECT_NEAR(dets.value()[0].score, e3 / (e3 + 2.0), 1e-5);
    EXPECT_NEAR(dets.value()[0].box.x1, 32, 1e-3);
    EXPECT_NEAR(dets.value()[0].box.y2, 40, 1e-3);
    EXPECT_EQ(dets.value()[1].label, "cat");
    fs::remove(labels);

    DetectorOptions iou;
    iou.iou_threshold = 1.5f;
    auto i = Detector::create(kHeads + "/detr_tiny.onnx", iou);
    ASSERT_FALSE(i.is_ok());
    EXPECT_NE(i.status().message().find("iou_threshold"), std::string::npos) << i.status().message();
    DetectorOptions bad;
    bad.format = "rcnn9";
    auto f = Detector::create(kHeads + "/detr_tiny.onnx", bad);
    ASSERT_FALSE(f.is_ok());
    EXPECT_NE(f.status().message().find("rcnn9"), std::string::npos);
    // A classifier's outputs are no detector's: the error names the model.
    auto wrong = Detector::create(kModels + "/shapes.onnx");
    ASSERT_FALSE(wrong.is_ok());
    EXPECT_NE(wrong.status().message().find("shapes.onnx"), std::string::npos) << wrong.status().message();
}

TEST(Segmenter, BundledSegmenterFindsTheShape) {
    auto s = Segmenter::create(kModels + "/shapes_segmenter.onnx");
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    ASSERT_EQ(s.value()->labels().size(), 7u);
    EXPECT_EQ(s.value()->labels()[0], "background");
    // Each sample shows one shape on a plain background: the shape's class is present, with background.
    for (const std::string name : {"circle_1.jpg", "square_2.png", "star_3.jpg"}) {
        Image image = read(kModels + "/samples/" + name);
        auto r = s.value()->segment(image.view());
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        const Segmentation& seg = r.value();
        EXPECT_EQ(seg.width, image.width());
        EXPECT_EQ(seg.height, image.height());
        EXPECT_EQ(seg.num_classes, 7);
        ASSERT_EQ(seg.mask.size(), static_cast<size_t>(image.width() * image.height()));
        ASSERT_FALSE(seg.classes.empty());
        double total = 0;
        int64_t pixels = 0;
        for (const ClassShare& c : seg.classes) {
            total += c.share;
            pixels += c.pixels;
            EXPECT_EQ(c.label, s.value()->labels()[static_cast<size_t>(c.index)]);
        }
        EXPECT_NEAR(total, 1.0, 1e-9);
        EXPECT_NEAR(static_cast<double>(pixels), static_cast<double>(seg.mask.size()), 7.0);
        // The mask agrees with the shares: count the pixels of the largest class.
        const int64_t top = seg.classes[0].index;
        const auto counted = std::count(seg.mask.begin(), seg.mask.end(), static_cast<int32_t>(top));
        EXPECT_EQ(counted, seg.classes[0].pixels);
        const std::string shape = name.substr(0, name.find('_'));
        const bool found = std::any_of(seg.classes.begin(), seg.classes.end(),
                                       [&](const ClassShare& c) { return c.label == shape && c.share > 0.02; });
        EXPECT_TRUE(found) << name;
    }
    // Cropped to the centre of a wide image: columns the model never saw are -1 and count in no share.
    SegmenterOptions crop;
    crop.preprocess.resize = ResizeMode::kCrop;
    auto cropped = Segmenter::create(kModels + "/shapes_segmenter.onnx", crop);
    ASSERT_TRUE(cropped.is_ok()) << cropped.status().to_string();
    Image wide = solid(200, 50, 30, 30, 30);
    auto w = cropped.value()->segment(wide.view());
    ASSERT_TRUE(w.is_ok()) << w.status().to_string();
    const auto unseen = std::count(w.value().mask.begin(), w.value().mask.end(), -1);
    EXPECT_GT(unseen, 0);
    EXPECT_EQ(w.value().mask[0], -1);               // the left edge was cut away
    EXPECT_NE(w.value().mask[25 * 200 + 100], -1);  // the centre was seen
    int64_t classified = 0;
    for (const ClassShare& c : w.value().classes) classified += c.pixels;
    EXPECT_NEAR(static_cast<double>(classified), static_cast<double>(200 * 50 - unseen), 7.0);

    SegmenterOptions o;
    o.output = "nope";
    auto missing = Segmenter::create(kModels + "/shapes_segmenter.onnx", o);
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);
}

TEST(TextRecognizer, CrnnMatchesPyTorchGreedyDecode) {
    std::ifstream f(kHeads + "/crnn.ref.json");
    const nlohmann::json ref = nlohmann::json::parse(f);
    auto t = TextRecognizer::create(kHeads + "/crnn.onnx");
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    Image image = read(kHeads + "/crnn.png");  // gray PNG, decoded to BGR
    auto r = t.value()->recognize(image.view());
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r.value().text, ref["text"].get<std::string>());
    ASSERT_EQ(r.value().chars.size(), ref["confidences"].size());
    double sum = 0;
    for (size_t i = 0; i < r.value().chars.size(); ++i) {
        EXPECT_EQ(r.value().chars[i].index, ref["classes"][i].get<int64_t>());
        EXPECT_NEAR(r.value().chars[i].confidence, ref["confidences"][i].get<double>(), 1e-4);
        sum += r.value().chars[i].confidence;
    }
    ASSERT_FALSE(r.value().chars.empty());
    EXPECT_NEAR(r.value().confidence, sum / static_cast<double>(r.value().chars.size()), 1e-5);
    // Gray pixels given as such read the same text; a batch gives one result per image.
    Image gray = Image::allocate(image.width(), image.height(), PixelFormat::kGray8);
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            gray.data()[y * gray.stride() + x] = image.data()[y * image.stride() + 3 * x];
    auto batch = t.value()->recognize(std::vector<ImageView>{gray.view(), image.view()});
    ASSERT_TRUE(batch.is_ok()) << batch.status().to_string();
    ASSERT_EQ(batch.value().size(), 2u);
    EXPECT_EQ(batch.value()[0].text, r.value().text);
    EXPECT_EQ(batch.value()[1].text, r.value().text);

    // A character list of the wrong length names both counts.
    const fs::path charset = fs::temp_directory_path() / ("edgeinfer_vision_api_charset_" + std::to_string(::getpid()));
    std::ofstream(charset) << "abc\n";
    TextRecognizerOptions o;
    o.charset_path = charset.string();
    auto bad = TextRecognizer::create(kHeads + "/crnn.onnx", o);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("charset file"), std::string::npos) << bad.status().message();
    fs::remove(charset);
}

TEST(ClipClassifier, TrendModelSeesBrightening) {
    // trend.onnx (tests/tools/make_classify_models.py): logits from the last frame's mean minus the first's.
    auto c = ClipClassifier::create(kClassify + "/trend.onnx");
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    ASSERT_EQ(c.value()->clip_frames(), 4);
    EXPECT_EQ(c.value()->labels(), (std::vector<std::string>{"brightening", "darkening", "steady"}));
    std::vector<Image> up, down;
    for (int t = 0; t < 4; ++t) {
        const auto v = static_cast<uint8_t>(40 + 50 * t);
        up.push_back(solid(40, 30, v, v, v));
        down.push_back(solid(40, 30, static_cast<uint8_t>(200 - 50 * t), static_cast<uint8_t>(200 - 50 * t),
                             static_cast<uint8_t>(200 - 50 * t)));
    }
    std::vector<ImageView> up_views, down_views;
    for (const Image& i : up) up_views.push_back(i.view());
    for (const Image& i : down) down_views.push_back(i.view());
    auto a = c.value()->classify(up_views);
    ASSERT_TRUE(a.is_ok()) << a.status().to_string();
    EXPECT_EQ(a.value().top[0].label, "brightening");
    auto b = c.value()->classify(down_views);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(b.value().top[0].label, "darkening");
    up_views.pop_back();
    auto short_clip = c.value()->classify(up_views);
    ASSERT_FALSE(short_clip.is_ok());
    EXPECT_NE(short_clip.status().message().find("3 images"), std::string::npos) << short_clip.status().message();
}

}  // namespace
}  // namespace edgeinfer

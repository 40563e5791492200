// The C API's images and vision tasks through libedgeinfer.so: edgeinfer_image_read, the classifier on the
// bundled shapes model and samples, the detector on the bundled shapes detector, and their failure paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "edgeinfer.h"

namespace fs = std::filesystem;

namespace {

const std::string kModels = std::string(EDGEINFER_SOURCE_DIR) + "/models";

std::string last_error() { return edgeinfer_last_error(); }
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct Pixels {
    const uint8_t* data = nullptr;
    int width = 0, height = 0, format = -1;
    size_t stride = 0;
};

// Reads a file into an image handle and its pixels.
edgeinfer_image* read(const std::string& path, Pixels& p) {
    edgeinfer_image* image = nullptr;
    EXPECT_EQ(edgeinfer_image_read(path.c_str(), &image), EDGEINFER_OK) << last_error();
    if (!image) return nullptr;
    EXPECT_EQ(edgeinfer_image_pixels(image, &p.data, &p.width, &p.height, &p.stride, &p.format), EDGEINFER_OK);
    return image;
}

std::vector<fs::path> samples() {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(kModels + "/samples")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

TEST(CapiImage, ReadGivesOwnedBgrPixels) {
    Pixels p;
    edgeinfer_image* image = read(kModels + "/samples/circle_2.png", p);
    ASSERT_NE(image, nullptr);
    EXPECT_GT(p.width, 0);
    EXPECT_GT(p.height, 0);
    EXPECT_EQ(p.format, EDGEINFER_PIXEL_BGR8);
    EXPECT_GE(p.stride, static_cast<size_t>(p.width) * 3);
    ASSERT_NE(p.data, nullptr);
    // Any out-parameter may be NULL.
    int width = 0;
    EXPECT_EQ(edgeinfer_image_pixels(image, nullptr, &width, nullptr, nullptr, nullptr), EDGEINFER_OK);
    EXPECT_EQ(width, p.width);
    edgeinfer_image_destroy(image);
    edgeinfer_image_destroy(nullptr);

    edgeinfer_image* none = reinterpret_cast<edgeinfer_image*>(0x1);
    EXPECT_EQ(edgeinfer_image_read("/nonexistent/cat.jpg", &none), EDGEINFER_NOT_FOUND);
    EXPECT_TRUE(contains(last_error(), "/nonexistent/cat.jpg")) << last_error();
    EXPECT_EQ(none, reinterpret_cast<edgeinfer_image*>(0x1));
    const std::string not_image = kModels + "/shapes.json";
    EXPECT_NE(edgeinfer_image_read(not_image.c_str(), &none), EDGEINFER_OK);
    EXPECT_TRUE(contains(last_error(), "shapes.json")) << last_error();
    EXPECT_EQ(none, reinterpret_cast<edgeinfer_image*>(0x1));
    EXPECT_EQ(edgeinfer_image_read(nullptr, &none), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_image_pixels(nullptr, &p.data, nullptr, nullptr, nullptr, nullptr), EDGEINFER_INVALID_ARGUMENT);
}

TEST(CapiClassifier, ClassifiesTheBundledSamples) {
    edgeinfer_options* options = nullptr;
    ASSERT_EQ(edgeinfer_options_create(&options), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_num_threads(options, 1), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_top_k(options, 3), EDGEINFER_OK);
    edgeinfer_classifier* classifier = nullptr;
    const std::string model = kModels + "/shapes.onnx";
    ASSERT_EQ(edgeinfer_classifier_create(model.c_str(), options, &classifier), EDGEINFER_OK) << last_error();
    edgeinfer_options_destroy(options);

    size_t files = 0;
    for (const fs::path& file : samples()) {
        Pixels p;
        edgeinfer_image* image = read(file.string(), p);
        ASSERT_NE(image, nullptr);
        int64_t classes[5] = {-1, -1, -1, -1, -1};
        float scores[5] = {};
        const char* labels[5] = {};
        size_t count = 0;
        ASSERT_EQ(edgeinfer_classifier_classify(classifier, p.data, p.width, p.height, p.stride, p.format, classes,
                                                scores, labels, 5, &count),
                  EDGEINFER_OK)
            << file << ": " << last_error();
        ASSERT_EQ(count, 3u) << file;  // top_k
        EXPECT_EQ(classes[3], -1);     // nothing written past count
        const std::string expected = file.filename().string().substr(0, file.filename().string().find('_'));
        EXPECT_EQ(std::string(labels[0]), expected) << file;
        EXPECT_GE(scores[0], scores[1]);
        EXPECT_GE(scores[1], scores[2]);
        EXPECT_GT(scores[0], 0.0f);
        EXPECT_LE(scores[0], 1.0f);
        EXPECT_NE(classes[0], classes[1]);

        // Capacity 1 and NULL arrays: only what was asked for.
        float best = 0;
        ASSERT_EQ(edgeinfer_classifier_classify(classifier, p.data, p.width, p.height, p.stride, p.format, nullptr,
                                                &best, nullptr, 1, &count),
                  EDGEINFER_OK);
        EXPECT_EQ(count, 1u);
        EXPECT_FLOAT_EQ(best, scores[0]);
        edgeinfer_image_destroy(image);
        ++files;
    }
    EXPECT_EQ(files, 18u);
    edgeinfer_classifier_destroy(classifier);
}

TEST(CapiClassifier, PixelFormatsAndStrides) {
    edgeinfer_classifier* classifier = nullptr;
    const std::string model = kModels + "/shapes.onnx";
    ASSERT_EQ(edgeinfer_classifier_create(model.c_str(), nullptr, &classifier), EDGEINFER_OK) << last_error();
    Pixels p;
    edgeinfer_image* image = read(kModels + "/samples/star_1.jpg", p);
    ASSERT_NE(image, nullptr);
    // The same pixels as RGB with padded rows: same answer once the channels are swapped.
    const size_t stride = static_cast<size_t>(p.width) * 3 + 5;
    std::vector<uint8_t> rgb(stride * p.height, 0);
    for (int y = 0; y < p.height; ++y)
        for (int x = 0; x < p.width; ++x)
            for (int c = 0; c < 3; ++c) rgb[y * stride + x * 3 + c] = p.data[y * p.stride + x * 3 + (2 - c)];
    int64_t a = -1, b = -1;
    float sa = 0, sb = 0;
    size_t count = 0;
    ASSERT_EQ(edgeinfer_classifier_classify(classifier, p.data, p.width, p.height, p.stride, p.format, &a, &sa, nullptr,
                                            1, &count),
              EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_classifier_classify(classifier, rgb.data(), p.width, p.height, stride, EDGEINFER_PIXEL_RGB8, &b,
                                            &sb, nullptr, 1, &count),
              EDGEINFER_OK)
        << last_error();
    EXPECT_EQ(a, b);
    EXPECT_NEAR(sa, sb, 1e-5);

    // Failures: status, message, caller arrays and count untouched.
    int64_t cls = -7;
    float score = -7;
    const char* label = "untouched";
    count = 42;
    auto classify = [&](const uint8_t* px, int w, int h, size_t st, int fmt) {
        return edgeinfer_classifier_classify(classifier, px, w, h, st, fmt, &cls, &score, &label, 1, &count);
    };
    EXPECT_EQ(classify(p.data, p.width, p.height, 2, p.format), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "stride 2")) << last_error();
    EXPECT_EQ(classify(p.data, p.width, p.height, p.stride, 9), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "pixel format 9")) << last_error();
    EXPECT_EQ(classify(p.data, 0, p.height, p.stride, p.format), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(classify(nullptr, p.width, p.height, p.stride, p.format), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_classifier_classify(nullptr, p.data, p.width, p.height, p.stride, p.format, &cls, &score,
                                            &label, 1, &count),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(cls, -7);
    EXPECT_EQ(score, -7);
    EXPECT_STREQ(label, "untouched");
    EXPECT_EQ(count, 42u);
    edgeinfer_image_destroy(image);
    edgeinfer_classifier_destroy(classifier);

    edgeinfer_classifier* none = reinterpret_cast<edgeinfer_classifier*>(0x1);
    EXPECT_EQ(edgeinfer_classifier_create("/nonexistent/model.onnx", nullptr, &none), EDGEINFER_NOT_FOUND);
    EXPECT_TRUE(contains(last_error(), "/nonexistent/model.onnx")) << last_error();
    EXPECT_EQ(none, reinterpret_cast<edgeinfer_classifier*>(0x1));
    edgeinfer_classifier_destroy(nullptr);
}

TEST(CapiDetector, DetectsShapesWithBoxesInsideTheImage) {
    edgeinfer_options* options = nullptr;
    ASSERT_EQ(edgeinfer_options_create(&options), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_num_threads(options, 1), EDGEINFER_OK);
    edgeinfer_detector* detector = nullptr;
    const std::string model = kModels + "/shapes_detector.onnx";
    ASSERT_EQ(edgeinfer_detector_create(model.c_str(), options, &detector), EDGEINFER_OK) << last_error();
    // A threshold no score reaches: no detections.
    ASSERT_EQ(edgeinfer_options_set_score_threshold(options, 1.0), EDGEINFER_OK);
    edgeinfer_detector* strict = nullptr;
    ASSERT_EQ(edgeinfer_detector_create(model.c_str(), options, &strict), EDGEINFER_OK) << last_error();
    edgeinfer_options_destroy(options);

    Pixels p;
    edgeinfer_image* image = read(kModels + "/samples/square_1.jpg", p);
    ASSERT_NE(image, nullptr);
    float boxes[4 * 8];
    int64_t classes[8];
    float scores[8];
    const char* labels[8];
    size_t count = 0;
    ASSERT_EQ(edgeinfer_detector_detect(detector, p.data, p.width, p.height, p.stride, p.format, boxes, classes, scores,
                                        labels, 8, &count),
              EDGEINFER_OK)
        << last_error();
    ASSERT_GE(count, 1u);
    for (size_t i = 0; i < count; ++i) {
        EXPECT_EQ(classes[i], 0);
        EXPECT_STREQ(labels[i], "shape");
        EXPECT_GE(scores[i], 0.25f);
        EXPECT_LE(boxes[4 * i], boxes[4 * i + 2]);
        EXPECT_LE(boxes[4 * i + 1], boxes[4 * i + 3]);
        EXPECT_GE(boxes[4 * i + 2], 0.0f);
        EXPECT_LE(boxes[4 * i], static_cast<float>(p.width));
    }
    size_t none = 5;
    ASSERT_EQ(edgeinfer_detector_detect(strict, p.data, p.width, p.height, p.stride, p.format, boxes, classes, scores,
                                        labels, 8, &none),
              EDGEINFER_OK);
    EXPECT_EQ(none, 0u);

    // Failures leave the arrays and the count as they were.
    boxes[0] = -3;
    count = 42;
    EXPECT_EQ(edgeinfer_detector_detect(detector, p.data, p.width, -1, p.stride, p.format, boxes, classes, scores,
                                        labels, 8, &count),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "x-1")) << last_error();
    EXPECT_EQ(edgeinfer_detector_detect(detector, p.data, p.width, p.height, p.stride, p.format, boxes, classes, scores,
                                        labels, 8, nullptr),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(boxes[0], -3);
    EXPECT_EQ(count, 42u);
    edgeinfer_image_destroy(image);
    edgeinfer_detector_destroy(strict);
    edgeinfer_detector_destroy(detector);
    edgeinfer_detector_destroy(nullptr);

    edgeinfer_detector* bad = reinterpret_cast<edgeinfer_detector*>(0x1);
    const std::string classifier_model = kModels + "/shapes.onnx";
    edgeinfer_options* yolo = nullptr;
    ASSERT_EQ(edgeinfer_options_create(&yolo), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_detector_format(yolo, "nonsense"), EDGEINFER_OK);
    EXPECT_NE(edgeinfer_detector_create(classifier_model.c_str(), yolo, &bad), EDGEINFER_OK);
    EXPECT_TRUE(contains(last_error(), "nonsense")) << last_error();
    EXPECT_EQ(bad, reinterpret_cast<edgeinfer_detector*>(0x1));
    edgeinfer_options_destroy(yolo);
}

}  // namespace

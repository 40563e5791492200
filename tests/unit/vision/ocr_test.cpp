// OCR: the DB post-processing, corner order, reading order, crops and detector sizes on synthetic maps
// (vision/ocr.hpp), CTC over probabilities, and edgeinfer::TextReader end to end with PaddleOCR's PP-OCRv4
// (scripts/fetch-models) on images rendered with a known text (tests/tools/make_ocr_images.py).
#include "vision/ocr.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "edgeinfer/ocr.hpp"
#include "vision/ctc.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

const std::string kModels = std::string(EDGEINFER_SOURCE_DIR) + "/models/ocr/ppocr-v4";
const std::string kImages = EDGEINFER_OCR_IMAGES;

// ---- DB post-processing on synthetic probability maps ----

cv::Mat map_with(std::initializer_list<std::pair<cv::Rect, float>> blocks, cv::Size size = {200, 100}) {
    cv::Mat map = cv::Mat::zeros(size, CV_32F);
    for (const auto& [rect, value] : blocks) map(rect).setTo(value);
    return map;
}

TEST(DbBoxes, GrowsTheMinimumRectangleByTheUnclipDistance) {
    const cv::Mat map = map_with({{cv::Rect(30, 20, 100, 10), 0.9f}});
    vision::DbOptions options;
    const auto quads = vision::db_boxes(map, map.size(), options);
    ASSERT_EQ(quads.size(), 1u);
    EXPECT_NEAR(quads[0].score, 0.9f, 0.05f);
    // The contour through the block's outer pixel centres is 99 x 9; its offset by area * 1.5 / perimeter.
    const double w = 99, h = 9, d = w * h * 1.5 / (2 * (w + h));
    const float left = static_cast<float>(std::round(79.5 - w / 2 - d)),
                right = static_cast<float>(std::round(79.5 + w / 2 + d));
    const float top = static_cast<float>(std::round(24.5 - h / 2 - d)),
                bottom = static_cast<float>(std::round(24.5 + h / 2 + d));
    const auto& p = quads[0].points;
    EXPECT_NEAR(p[0].x, left, 1.0f);
    EXPECT_NEAR(p[0].y, top, 1.0f);
    EXPECT_NEAR(p[1].x, right, 1.0f);
    EXPECT_NEAR(p[1].y, top, 1.0f);
    EXPECT_NEAR(p[2].x, right, 1.0f);
    EXPECT_NEAR(p[2].y, bottom, 1.0f);
    EXPECT_NEAR(p[3].x, left, 1.0f);
    EXPECT_NEAR(p[3].y, bottom, 1.0f);
    // A larger unclip ratio gives a larger box.
    options.unclip_ratio = 3.0f;
    const auto grown = vision::db_boxes(map, map.size(), options);
    ASSERT_EQ(grown.size(), 1u);
    EXPECT_LT(grown[0].points[0].x, p[0].x - 3.0f);
    EXPECT_GT(grown[0].points[2].y, p[2].y + 3.0f);
}

TEST(DbBoxes, ScalesToTheImageAndClipsToIt) {
    const cv::Mat map = map_with({{cv::Rect(0, 40, 120, 12), 0.95f}});
    const auto quads = vision::db_boxes(map, {400, 300}, {});
    ASSERT_EQ(quads.size(), 1u);
    for (const cv::Point2f& p : quads[0].points) {
        EXPECT_GE(p.x, 0.0f);
        EXPECT_LE(p.x, 399.0f);
    }
    // Map box 119 x 11 around (59.5, 45.5) grown by d, then scaled by 400 / 200 and 300 / 100.
    const double d = 119.0 * 11.0 * 1.5 / (2 * (119.0 + 11.0));
    EXPECT_EQ(quads[0].points[0].x, 0.0f);  // -d * 2: clipped at the left edge
    EXPECT_NEAR(quads[0].points[1].x, std::round((119.0 + d) * 2), 1.0);
    EXPECT_NEAR(quads[0].points[1].y, std::round((40.0 - d) * 3), 1.0);
    EXPECT_NEAR(quads[0].points[2].y, std::round((51.0 + d) * 3), 1.0);
}

TEST(DbBoxes, DropsWeakSmallAndAboveThresholdOnlyRegions) {
    vision::DbOptions options;
    // 0.5 passes the binary threshold (0.3) but not the box threshold (0.6); a block of 3 rows has a contour
    // 2 high, under min_size 3.
    const cv::Mat map = map_with({{cv::Rect(10, 10, 80, 10), 0.5f}, {cv::Rect(10, 50, 80, 3), 0.9f}});
    EXPECT_TRUE(vision::db_boxes(map, map.size(), options).empty());
    options.box_threshold = 0.4f;
    options.min_size = 1;
    EXPECT_EQ(vision::db_boxes(map, map.size(), options).size(), 2u);
    options.binary_threshold = 0.6f;  // the 0.5 block is no longer text
    EXPECT_EQ(vision::db_boxes(map, map.size(), options).size(), 1u);
}

TEST(DbBoxes, ReadingOrderTopToBottomThenLeftToRight) {
    // Two boxes on one line (tops 4 pixels apart, the right one higher) and one below.
    const cv::Mat map = map_with(
        {{cv::Rect(120, 12, 60, 10), 0.9f}, {cv::Rect(10, 16, 60, 10), 0.9f}, {cv::Rect(10, 60, 60, 10), 0.9f}});
    const auto quads = vision::db_boxes(map, map.size(), {});
    ASSERT_EQ(quads.size(), 3u);
    EXPECT_LT(quads[0].points[0].x, 60.0f);  // the left box of the first line first, though it is lower
    EXPECT_GT(quads[1].points[0].x, 100.0f);
    EXPECT_GT(quads[2].points[0].y, 40.0f);
}

TEST(OrderCorners, TopLeftTopRightBottomRightBottomLeft) {
    const std::array<cv::Point2f, 4> shuffled = {cv::Point2f(90, 40), cv::Point2f(10, 12), cv::Point2f(12, 42),
                                                 cv::Point2f(88, 10)};
    const auto p = vision::order_corners(shuffled);
    EXPECT_EQ(p[0], cv::Point2f(10, 12));
    EXPECT_EQ(p[1], cv::Point2f(88, 10));
    EXPECT_EQ(p[2], cv::Point2f(90, 40));
    EXPECT_EQ(p[3], cv::Point2f(12, 42));
}

TEST(CropQuad, UprightCropOfTheBoxAndTallCropsTurned) {
    cv::Mat image(100, 300, CV_8UC3, cv::Scalar(255, 255, 255));
    image(cv::Rect(50, 20, 100, 30)).setTo(cv::Scalar(0, 0, 255));
    const cv::Mat crop = vision::crop_quad(
        image, {cv::Point2f(50, 20), cv::Point2f(150, 20), cv::Point2f(150, 50), cv::Point2f(50, 50)});
    EXPECT_EQ(crop.size(), cv::Size(100, 30));
    EXPECT_EQ(crop.at<cv::Vec3b>(15, 50), cv::Vec3b(0, 0, 255));
    // A quad 60 tall and 20 wide (vertical text) comes back 60 wide and 20 tall.
    const cv::Mat tall = vision::crop_quad(
        image, {cv::Point2f(200, 10), cv::Point2f(220, 10), cv::Point2f(220, 70), cv::Point2f(200, 70)});
    EXPECT_EQ(tall.size(), cv::Size(60, 20));
}

TEST(DbInputSize, LongerSideCappedAndMultiplesOf32) {
    EXPECT_EQ(vision::db_input_size(448, 192, 960), cv::Size(448, 192));
    EXPECT_EQ(vision::db_input_size(2000, 1000, 960), cv::Size(960, 480));
    EXPECT_EQ(vision::db_input_size(10, 10, 960), cv::Size(32, 32));
    EXPECT_EQ(vision::db_input_size(300, 100, 960), cv::Size(288, 96));
}

TEST(NormalizeLine, HalfMeanHalfStdAndRightPadding) {
    cv::Mat white(10, 20, CV_8UC3, cv::Scalar(255, 255, 255));
    std::vector<float> out(3 * 10 * 40, -7.0f);
    const float half[3] = {0.5f, 0.5f, 0.5f};
    vision::normalize_line(white, 10, 40, half, half, out.data());
    EXPECT_FLOAT_EQ(out[0], 1.0f);    // (255 / 255 - 0.5) / 0.5
    EXPECT_FLOAT_EQ(out[19], 1.0f);   // the 20 resized columns
    EXPECT_FLOAT_EQ(out[20], 0.0f);   // padding
    EXPECT_FLOAT_EQ(out[399], 0.0f);  // padding of the first channel's last row
}

TEST(CtcProbabilities, ConfidenceIsTheProbabilityNotItsSoftmax) {
    // [N=1, T=3, C=3]: "a" (class 1) twice, then blank.
    const std::vector<float> scores = {0.1f, 0.8f, 0.1f, 0.2f, 0.7f, 0.1f, 0.9f, 0.05f, 0.05f};
    const NamedTensor t{"probs", Tensor::from_vector(DataType::kFloat32, {1, 3, 3}, scores)};
    vision::CtcOptions options;
    options.layout = vision::CtcLayout::kNtc;
    options.probabilities = true;
    auto probs = vision::ctc_greedy_decode(t, {"", "a", "b"}, options);
    ASSERT_TRUE(probs.is_ok()) << probs.status().to_string();
    ASSERT_EQ(probs.value()[0].text, "a");
    EXPECT_FLOAT_EQ(probs.value()[0].chars[0].confidence, 0.8f);
    options.probabilities = false;  // treated as logits: a softmax over 0.1, 0.8, 0.1
    auto logits = vision::ctc_greedy_decode(t, {"", "a", "b"}, options);
    ASSERT_TRUE(logits.is_ok());
    EXPECT_LT(logits.value()[0].chars[0].confidence, 0.6f);
}

// ---- TextReader on rendered text ----

struct Rendered {
    std::vector<std::string> lines;
    std::vector<Box> boxes;  // PIL's text boxes, when known
};

Rendered rendered(const std::string& name) {
    std::ifstream f(kImages + "/texts.json");
    const auto j = nlohmann::json::parse(f);
    Rendered r;
    for (const auto& line : j["texts"][name]) r.lines.push_back(line.get<std::string>());
    for (const auto& b : j["boxes"][name]) r.boxes.push_back({b[0], b[1], b[2], b[3]});
    return r;
}

double iou(const Box& a, const Box& b) {
    const double w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
    const double h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
    const double area = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - w * h;
    return area > 0 ? w * h / area : 0.0;
}

class TextReaderTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        ASSERT_TRUE(fs::exists(kModels + "/ppocr_keys_v1.txt"))
            << kModels << " is missing: run scripts/fetch-models (scripts/install-deps does)";
        TextReaderOptions options;
        options.session.num_threads = 2;
        auto r = TextReader::create(kModels, options);
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        reader_ = std::move(r).value().release();
    }
    static void TearDownTestSuite() {
        delete reader_;
        reader_ = nullptr;
    }
    static OcrResult read(const std::string& name) {
        auto image = Image::read(kImages + "/" + name);
        EXPECT_TRUE(image.is_ok()) << image.status().to_string();
        if (!image.is_ok() || reader_ == nullptr) return {};
        auto result = reader_->read(image.value().view());
        EXPECT_TRUE(result.is_ok()) << name << ": " << result.status().to_string();
        return result.is_ok() ? result.value() : OcrResult{};
    }
    static std::vector<std::string> texts(const OcrResult& r) {
        std::vector<std::string> out;
        for (const TextLine& line : r.lines) out.push_back(line.text);
        return out;
    }
    static TextReader* reader_;
};
TextReader* TextReaderTest::reader_ = nullptr;

TEST_F(TextReaderTest, FindsTheFolderFiles) {
    ASSERT_NE(reader_, nullptr);
    EXPECT_EQ(fs::path(reader_->files().detector).filename(), "ch_PP-OCRv4_det_infer.onnx");
    EXPECT_EQ(fs::path(reader_->files().recognizer).filename(), "ch_PP-OCRv4_rec_infer.onnx");
    EXPECT_EQ(fs::path(reader_->files().classifier).filename(), "ch_ppocr_mobile_v2.0_cls_infer.onnx");
    EXPECT_EQ(fs::path(reader_->files().dictionary).filename(), "ppocr_keys_v1.txt");
    EXPECT_EQ(reader_->dictionary_size(), 6624u);  // 6623 characters and the space class
}

TEST_F(TextReaderTest, ReadsOneLineWithItsBox) {
    const OcrResult r = read("edge_2026.png");
    const Rendered want = rendered("edge_2026.png");
    EXPECT_EQ(texts(r), want.lines);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.width, 448);
    EXPECT_EQ(r.height, 192);
    EXPECT_GT(r.lines[0].score, 0.9);
    EXPECT_GE(r.lines[0].box_score, 0.6);
    EXPECT_EQ(r.lines[0].chars.size(), 9u);
    EXPECT_EQ(r.lines[0].angle, 0);
    EXPECT_GT(iou(r.lines[0].box, want.boxes[0]), 0.6)
        << r.lines[0].box.x1 << "," << r.lines[0].box.y1 << " " << r.lines[0].box.x2 << "," << r.lines[0].box.y2;
}

TEST_F(TextReaderTest, ReadsTwoLinesTopToBottom) {
    const OcrResult r = read("two_lines.png");
    const Rendered want = rendered("two_lines.png");
    EXPECT_EQ(texts(r), want.lines);
    for (size_t i = 0; i < std::min(r.lines.size(), want.boxes.size()); ++i)
        EXPECT_GT(iou(r.lines[i].box, want.boxes[i]), 0.6) << want.lines[i];
}

TEST_F(TextReaderTest, TurnsUpsideDownTextWithTheClassifier) {
    const OcrResult r = read("upside_down.png");
    EXPECT_EQ(texts(r), rendered("upside_down.png").lines);
    ASSERT_EQ(r.lines.size(), 1u);
    EXPECT_EQ(r.lines[0].angle, 180);
    EXPECT_GE(r.lines[0].angle_score, 0.9);
}

TEST_F(TextReaderTest, WithoutTheClassifierUpsideDownTextIsNotRead) {
    TextReaderOptions options;
    options.session.num_threads = 2;
    options.use_classifier = false;
    auto reader = TextReader::create(kModels, options);
    ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();
    EXPECT_EQ(reader.value()->files().classifier, "");
    auto image = Image::read(kImages + "/upside_down.png");
    ASSERT_TRUE(image.is_ok());
    auto r = reader.value()->read(image.value().view());
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    // The recognizer alone reads nothing in the upside-down crop (every step blank), so the line is dropped.
    EXPECT_NE(texts(r.value()), rendered("upside_down.png").lines);
    for (const TextLine& line : r.value().lines) EXPECT_EQ(line.angle, 0);
}

TEST_F(TextReaderTest, ReadsTiltedTextAlongItsQuadrilateral) {
    const OcrResult r = read("tilted.png");
    EXPECT_EQ(texts(r), rendered("tilted.png").lines);
    ASSERT_EQ(r.lines.size(), 1u);
    const auto& q = r.lines[0].quad;
    // Rendered 7 degrees counterclockwise: the quadrilateral follows the line (the right end of its top edge
    // higher), where an axis-aligned box would not; the glyphs' outline makes its angle a little smaller.
    const double rise = q[0].y - q[1].y, run = q[1].x - q[0].x;
    const double degrees = std::atan2(rise, run) * 180.0 / M_PI;
    EXPECT_GT(degrees, 3.0);
    EXPECT_LT(degrees, 9.0);
}

TEST_F(TextReaderTest, BlankPageHasNoLines) {
    const OcrResult r = read("blank.png");
    EXPECT_TRUE(r.lines.empty());
    EXPECT_EQ(r.width, 448);
}

TEST_F(TextReaderTest, GrayImagesAreRead) {
    auto image = Image::read(kImages + "/edge_2026.png");
    ASSERT_TRUE(image.is_ok());
    cv::Mat bgr(image.value().height(), image.value().width(), CV_8UC3, image.value().data(), image.value().stride());
    cv::Mat gray;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    const ImageView view{gray.data, gray.cols, gray.rows, PixelFormat::kGray8, gray.step};
    auto r = reader_->read(view);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(texts(r.value()), rendered("edge_2026.png").lines);
}

TEST_F(TextReaderTest, OverlayDrawsTheBoxAndKeepsTheRest) {
    auto image = Image::read(kImages + "/edge_2026.png");
    ASSERT_TRUE(image.is_ok());
    const OcrResult r = read("edge_2026.png");
    ASSERT_EQ(r.lines.size(), 1u);
    auto overlay = draw_text_lines(image.value().view(), r);
    ASSERT_TRUE(overlay.is_ok()) << overlay.status().to_string();
    ASSERT_EQ(overlay.value().width(), 448);
    ASSERT_EQ(overlay.value().height(), 192);
    auto pixel = [](const Image& im, int x, int y) {
        const uint8_t* p = im.data() + static_cast<size_t>(y) * im.stride() + 3 * static_cast<size_t>(x);
        return cv::Vec3b(p[0], p[1], p[2]);
    };
    // On the bottom edge, halfway: the box's green; in the bottom-right corner: the white page.
    const Corner& bl = r.lines[0].quad[3];
    const Corner& br = r.lines[0].quad[2];
    const cv::Vec3b edge = pixel(overlay.value(), static_cast<int>((bl.x + br.x) / 2), static_cast<int>(bl.y));
    EXPECT_GT(edge[1], 150);
    EXPECT_LT(edge[0], 100);
    EXPECT_EQ(pixel(overlay.value(), 447, 191), cv::Vec3b(255, 255, 255));
    // The label sits above the box, inside the image: some pixels there changed.
    int changed = 0;
    const int top = static_cast<int>(r.lines[0].quad[0].y);
    for (int y = std::max(0, top - 14); y < top; ++y)
        for (int x = 0; x < 448; ++x) changed += pixel(overlay.value(), x, y) != pixel(image.value(), x, y);
    EXPECT_GT(changed, 100);
}

// ---- errors ----

// A folder holding links to some of the fetched files.
std::string folder_with(const std::string& name, const std::vector<std::pair<std::string, std::string>>& links) {
    const fs::path dir = fs::path(::testing::TempDir()) / ("ocr_" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const auto& [link, target] : links) fs::create_symlink(fs::path(kModels) / target, dir / link);
    return dir.string();
}

TEST(TextReaderErrors, MissingFolderAndFilesAreNamed) {
    auto none = TextReader::create("/nonexistent/ocr-models");
    ASSERT_FALSE(none.is_ok());
    EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
    EXPECT_NE(none.status().message().find("/nonexistent/ocr-models"), std::string::npos);

    const std::string no_rec =
        folder_with("no_rec", {{"det.onnx", "ch_PP-OCRv4_det_infer.onnx"}, {"keys.txt", "ppocr_keys_v1.txt"}});
    auto r = TextReader::create(no_rec);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
    EXPECT_NE(r.status().message().find("*rec*.onnx"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(no_rec), std::string::npos) << r.status().message();

    const std::string two_det = folder_with("two_det", {{"a_det.onnx", "ch_PP-OCRv4_det_infer.onnx"},
                                                        {"b_det.onnx", "ch_PP-OCRv4_det_infer.onnx"},
                                                        {"rec.onnx", "ch_PP-OCRv4_rec_infer.onnx"},
                                                        {"keys.txt", "ppocr_keys_v1.txt"}});
    auto two = TextReader::create(two_det);
    ASSERT_FALSE(two.is_ok());
    EXPECT_EQ(two.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(two.status().message().find("a_det.onnx, b_det.onnx"), std::string::npos) << two.status().message();
    EXPECT_NE(two.status().message().find("files.detector"), std::string::npos);

    TextReaderOptions options;
    options.files.detector = "a_det.onnx";
    options.files.classifier = "missing_cls.onnx";
    auto cls = TextReader::create(two_det, options);
    ASSERT_FALSE(cls.is_ok());
    EXPECT_EQ(cls.status().code(), StatusCode::kNotFound);
    EXPECT_NE(cls.status().message().find("missing_cls.onnx"), std::string::npos) << cls.status().message();
}

TEST(TextReaderErrors, DictionaryThatDoesNotFitTheRecognizer) {
    const std::string dir = folder_with(
        "short_dict", {{"det.onnx", "ch_PP-OCRv4_det_infer.onnx"}, {"rec.onnx", "ch_PP-OCRv4_rec_infer.onnx"}});
    std::ofstream(dir + "/dict.txt") << "a\nb\nc\n";
    auto r = TextReader::create(dir);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(dir + "/dict.txt"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("6625"), std::string::npos) << r.status().message();
}

TEST(TextReaderErrors, BadOptionsAndImages) {
    TextReaderOptions options;
    options.unclip_ratio = -1.0f;
    auto bad = TextReader::create(kModels, options);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("unclip_ratio"), std::string::npos);
    options = {};
    options.use_classifier = false;
    auto reader = TextReader::create(kModels, options);
    ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();
    auto empty = reader.value()->read(ImageView{});
    ASSERT_FALSE(empty.is_ok());
    EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(empty.status().message().find("image"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer

// `edgeinfer detect|segment|recognize` end to end on models exported at test time (seeded weights) with
// PyTorch's answers: ssdlite boxes, lraspp class shares, CRNN text; and their errors and warnings.
// Files come from tests/tools/make_head_models.py (CTest fixtures head_models, head_ssdlite).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::json_lines;
using cli_test::read_json;
using cli_test::run_cli;
using nlohmann::json;

const std::string kDir = EDGEINFER_HEAD_MODELS;

fs::path temp_dir(const std::string& name) {
    fs::path d = fs::temp_directory_path() / ("edgeinfer_" + name + "_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

TEST(DetectCommand, SsdliteBoxesMatchPyTorch) {
    const json ref = read_json(kDir + "/ssdlite.ref.json");
    auto r = run_cli("detect " + kDir + "/ssdlite.onnx " + kDir + "/ssdlite.png --json --no-progress --threshold " +
                     std::to_string(ref["score_threshold"].get<double>()));
    ASSERT_EQ(r.code, 0) << r.out;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    const json& got = lines[0]["results"];
    const auto& boxes = ref["boxes"];
    ASSERT_EQ(got.size(), boxes.size()) << r.out;
    // The generator picked an image whose kept scores are >= 1e-3 apart from every other candidate and
    // from the threshold, so the sets must agree; match each PyTorch detection by label, score, box.
    std::vector<bool> used(got.size(), false);
    for (size_t i = 0; i < boxes.size(); ++i) {
        const int64_t label = ref["labels_index"][i].get<int64_t>();
        const double score = ref["scores"][i].get<double>();
        bool found = false;
        for (size_t j = 0; j < got.size() && !found; ++j) {
            if (used[j] || got[j]["class"].get<int64_t>() != label) continue;
            if (std::abs(got[j]["score"].get<double>() - score) > 1e-4) continue;
            bool close = true;
            for (int k = 0; k < 4; ++k) {
                const double w = boxes[i][k].get<double>();
                close = close && std::abs(got[j]["box"][k].get<double>() - w) <= 0.05 + 1e-3 * std::abs(w);
            }
            if (!close) continue;
            used[j] = found = true;
            EXPECT_EQ(got[j]["label"], ref["labels"][label]);
        }
        EXPECT_TRUE(found) << "PyTorch detection " << i << " (label " << label << ", score " << score << ", box "
                           << boxes[i].dump() << ") not found in " << got.dump();
    }
    // Best first.
    for (size_t j = 1; j < got.size(); ++j) EXPECT_GE(got[j - 1]["score"], got[j]["score"]);
}

TEST(DetectCommand, SavesAnnotatedImagesAndSummarizes) {
    const fs::path out = temp_dir("detect_save");
    auto r = run_cli("detect " + kDir + "/ssdlite.onnx " + kDir + "/ssdlite.png --no-progress --save " + out.string());
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("objects:"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("detections: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("torchvision outputs"), std::string::npos) << r.out;
    size_t images = 0;
    for (const auto& e : fs::directory_iterator(out)) images += e.path().extension() == ".jpg";
    EXPECT_EQ(images, 1u);
    fs::remove_all(out);
}

TEST(DetectCommand, NothingAboveTheThresholdIsAnEmptyList) {
    auto r = run_cli("detect " + kDir + "/ssdlite.onnx " + kDir + "/ssdlite.png --json --no-progress --threshold 0.95");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    EXPECT_EQ(lines[0]["results"], json::array());
    auto text = run_cli("detect " + kDir + "/ssdlite.onnx " + kDir + "/ssdlite.png --no-progress --threshold 0.95");
    EXPECT_NE(text.out.find("ssdlite.png: no objects"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("detections: 0 in 1 frames"), std::string::npos) << text.out;
}

TEST(DetectCommand, FewerLabelsThanClassesWarns) {
    const fs::path dir = temp_dir("detect_labels");
    std::ofstream(dir / "labels.txt") << "__background__\nalpha\n";
    auto r = run_cli("detect " + kDir + "/ssdlite.onnx " + kDir + "/ssdlite.png --no-progress --labels " +
                     (dir / "labels.txt").string());
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("has no entry in the 2 labels"), std::string::npos) << r.out;
    fs::remove_all(dir);
}

TEST(DetectCommand, OutputsOfAnotherTaskAreAClearError) {
    auto r = run_cli("detect " + kDir + "/lraspp.onnx " + kDir + "/lraspp.png --no-progress");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("'out' float32 [1x6x128x160]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("match no known format"), std::string::npos) << r.out;
    auto forced = run_cli("detect " + kDir + "/lraspp.onnx " + kDir + "/lraspp.png --no-progress --format yolov5");
    EXPECT_EQ(forced.code, 1) << forced.out;
    EXPECT_NE(forced.out.find("[1,N,5+C]"), std::string::npos) << forced.out;
    auto bad = run_cli("detect " + kDir + "/lraspp.onnx " + kDir + "/lraspp.png --format yolo9");
    EXPECT_EQ(bad.code, 1) << bad.out;
    EXPECT_NE(bad.out.find("--format 'yolo9'"), std::string::npos) << bad.out;
}

void expect_detection(const json& d, int64_t cls, double score, std::vector<double> box) {
    EXPECT_EQ(d["class"], cls) << d.dump();
    EXPECT_NEAR(d["score"].get<double>(), score, 1e-5) << d.dump();
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(d["box"][k].get<double>(), box[k], 1e-3) << d.dump();
}

// yolov8_tiny (make_head_models.py TINY_YOLO) on a 128x64 frame.
TEST(DetectCommand, YoloV8LetterboxedNmsAndMappedToTheFrame) {
    // --format yolov8: letterbox to 64x64 (half size, 16 rows of padding above): input box (24,24)-(40,40)
    // is frame (48,16)-(80,48); anchor 1 is suppressed by anchor 0 (same class), anchor 2 has class 0.
    auto r = run_cli("detect " + kDir + "/yolov8_tiny.onnx " + kDir + "/tiny.png --json --no-progress --format yolov8");
    ASSERT_EQ(r.code, 0) << r.out;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    const json& res = lines[0]["results"];
    ASSERT_EQ(res.size(), 2u) << r.out;
    expect_detection(res[0], 1, 0.9, {48, 16, 80, 48});
    expect_detection(res[1], 0, 0.7, {48, 16, 80, 48});
    EXPECT_NE(r.out.find("letterbox"), std::string::npos) << r.out;
    // Auto-detected from the [1,6,8] shape; default stretch (x halved, y kept); a higher threshold drops
    // class 0; an IoU threshold above 0.88 keeps anchor 1.
    auto a = run_cli("detect " + kDir + "/yolov8_tiny.onnx " + kDir +
                     "/tiny.png --json --no-progress --threshold 0.75 --iou 0.9");
    ASSERT_EQ(a.code, 0) << a.out;
    lines = json_lines(a.out);
    ASSERT_EQ(lines.size(), 1u) << a.out;
    ASSERT_EQ(lines[0]["results"].size(), 2u) << a.out;
    expect_detection(lines[0]["results"][0], 1, 0.9, {48, 24, 80, 40});
    expect_detection(lines[0]["results"][1], 1, 0.8, {50, 24, 82, 40});
    EXPECT_NE(a.out.find("yolov8 outputs"), std::string::npos) << a.out;
    // A labels file with a line too many: named in the result, and a warning.
    const fs::path dir = temp_dir("yolo_labels");
    std::ofstream(dir / "labels.txt") << "cat\ndog\nbird\n";
    auto l = run_cli("detect " + kDir + "/yolov8_tiny.onnx " + kDir + "/tiny.png --json --no-progress --labels " +
                     (dir / "labels.txt").string());
    ASSERT_EQ(l.code, 0) << l.out;
    EXPECT_NE(l.out.find("3 labels but the model has 2 classes"), std::string::npos) << l.out;
    lines = json_lines(l.out);
    ASSERT_EQ(lines.size(), 1u) << l.out;
    EXPECT_EQ(lines[0]["results"][0]["label"], "dog") << l.out;
    fs::remove_all(dir);
}

TEST(DetectCommand, DetrNormalizedBoxesAndNoObjectClass) {
    // detr_tiny (TINY_DETR_*): 128x64 frame stretched to 64x64; query 1 is no-object.
    auto r = run_cli("detect " + kDir + "/detr_tiny.onnx " + kDir + "/tiny.png --json --no-progress --threshold 0.3");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    const json& res = lines[0]["results"];
    ASSERT_EQ(res.size(), 2u) << r.out;
    const double e3 = std::exp(3.0);
    expect_detection(res[0], 1, e3 / (e3 + 2.0), {32, 24, 96, 40});
    expect_detection(res[1], 0, 0.5, {0, 32, 64, 64});
}

TEST(SegmentCommand, ClassSharesMatchPyTorchArgmax) {
    const json ref = read_json(kDir + "/lraspp.ref.json");
    auto r = run_cli("segment " + kDir + "/lraspp.onnx " + kDir + "/lraspp.png --json --no-progress");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    const json& res = lines[0]["results"];
    EXPECT_EQ(res["size"], json::array({160, 128}));
    EXPECT_EQ(res["num_classes"], 6);
    const auto& share = ref["mask"]["share"];
    const double pixels = 160.0 * 128.0;
    size_t present = 0;
    for (size_t c = 0; c < share.size(); ++c) {
        double got = 0.0;
        for (const auto& e : res["classes"])
            if (e["class"].get<size_t>() == c) got = e["share"].get<double>();
        EXPECT_NEAR(got * pixels, share[c].get<double>() * pixels, 3.0) << "class " << c << ": " << res.dump();
        present += share[c].get<double>() > 0;
    }
    EXPECT_EQ(res["classes"].size(), present);
    EXPECT_EQ(res["classes"][0]["label"], ref["labels"][res["classes"][0]["class"].get<size_t>()]);
}

TEST(SegmentCommand, SavesBlendedMaskAndWarnsOnLabelCount) {
    const fs::path dir = temp_dir("segment_save");
    std::ofstream(dir / "labels.txt") << "a\nb\nc\n";
    auto r = run_cli("segment " + kDir + "/lraspp.onnx " + kDir + "/lraspp.png --no-progress --labels " +
                     (dir / "labels.txt").string() + " --save " + (dir / "out").string());
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("3 labels but output 'out' has 6 classes"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("mean share over 1 frames"), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(dir / "out" / "frame_000000.jpg")) << r.out;
    fs::remove_all(dir);
}

TEST(RecognizeCommand, CrnnTextMatchesPyTorchGreedyDecode) {
    const json ref = read_json(kDir + "/crnn.ref.json");
    auto r = run_cli("recognize " + kDir + "/crnn.onnx " + kDir + "/crnn.png --json --no-progress");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    const json& res = lines[0]["results"];
    EXPECT_EQ(res["text"], ref["text"]) << r.out;
    ASSERT_EQ(res["chars"].size(), ref["confidences"].size());
    for (size_t i = 0; i < res["chars"].size(); ++i) {
        EXPECT_EQ(res["chars"][i]["class"], ref["classes"][i]);
        EXPECT_NEAR(res["chars"][i]["confidence"].get<double>(), ref["confidences"][i].get<double>(), 1e-4);
    }
    // The same with the characters given on the command line (no blank: 36 characters for 37 classes).
    auto flag =
        run_cli("recognize " + kDir + "/crnn.onnx " + kDir + "/crnn.png --json --no-progress --sidecar " + kDir +
                "/crnn.json "
                "--charset 0123456789abcdefghijklmnopqrstuvwxyz");
    ASSERT_EQ(flag.code, 0) << flag.out;
    const auto flag_lines = json_lines(flag.out);
    ASSERT_EQ(flag_lines.size(), 1u) << flag.out;
    EXPECT_EQ(flag_lines[0]["results"]["text"], ref["text"]);
}

TEST(RecognizeCommand, CharsetOfTheWrongLengthIsAClearError) {
    auto r = run_cli("recognize " + kDir + "/crnn.onnx " + kDir + "/crnn.png --no-progress --charset abc");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("the character list has 3 entries but the model has 37 classes"), std::string::npos) << r.out;
    auto layout = run_cli("recognize " + kDir + "/crnn.onnx " + kDir + "/crnn.png --ctc-layout nct");
    EXPECT_EQ(layout.code, 1) << layout.out;
    EXPECT_NE(layout.out.find("--ctc-layout 'nct'"), std::string::npos) << layout.out;
}

}  // namespace
}  // namespace edgeinfer

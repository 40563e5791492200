// `edgeinfer ocr MODEL_DIR DATASPEC` as a user runs it: --json lines with the rendered text, --save overlays,
// and the errors for a model folder without models and an image that cannot be decoded.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_util.hpp"
#include "edgeinfer/frame.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::json_lines;
using cli_test::run_cli;

const std::string kModels = std::string(EDGEINFER_SOURCE_DIR) + "/models/ocr/ppocr-v4";
const std::string kImages = EDGEINFER_OCR_IMAGES;

TEST(OcrCli, JsonLinesAndOverlay) {
    ASSERT_TRUE(fs::exists(kModels + "/ppocr_keys_v1.txt"))
        << kModels << " is missing: run scripts/fetch-models (scripts/install-deps does)";
    const fs::path save = fs::path(::testing::TempDir()) / "ocr_cli_overlays";
    fs::remove_all(save);
    const auto r = run_cli("ocr " + kModels + " " + kImages + "/edge_2026.png --json -t 2 --save " + save.string());
    ASSERT_EQ(r.code, 0) << r.out;
    const auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    const nlohmann::json& j = lines[0];
    EXPECT_EQ(j["source"], kImages + "/edge_2026.png");
    EXPECT_EQ(j["size"], nlohmann::json::array({448, 192}));
    ASSERT_EQ(j["results"].size(), 1u) << r.out;
    const nlohmann::json& line = j["results"][0];
    EXPECT_EQ(line["text"], "EDGE 2026");
    EXPECT_GT(line["score"].get<double>(), 0.9);
    EXPECT_EQ(line["box"].size(), 4u);
    EXPECT_EQ(line["bounds"].size(), 4u);
    EXPECT_EQ(line["angle"], 0);
    // The overlay: a PNG of the image's size.
    ASSERT_TRUE(j.contains("saved")) << r.out;
    EXPECT_EQ(j["saved"], (save / "edge_2026.png").string());
    auto overlay = Image::read(j["saved"].get<std::string>());
    ASSERT_TRUE(overlay.is_ok()) << overlay.status().to_string();
    EXPECT_EQ(overlay.value().width(), 448);
    // The model lines go to stderr with --json, so stdout stays JSON: they are there, before the result.
    EXPECT_NE(r.out.find("models: detector ch_PP-OCRv4_det_infer.onnx"), std::string::npos) << r.out;
}

// --engine-cache: the first run writes one entry per model, the second reads the same text from them.
TEST(OcrCli, EngineCacheIsWrittenOnceAndReused) {
    const fs::path cache = fs::path(::testing::TempDir()) / "ocr_engine_cache";
    fs::remove_all(cache);
    const std::string cmd =
        "ocr " + kModels + " " + kImages + "/edge_2026.png --json -t 2 --engine-cache " + cache.string();
    const auto first = run_cli(cmd);
    ASSERT_EQ(first.code, 0) << first.out;
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(cache))
        if (e.path().extension() == ".engine") entries.push_back(e.path());
    EXPECT_EQ(entries.size(), 3u) << "detector, recognizer and classifier";
    std::vector<fs::file_time_type> written;
    for (const auto& p : entries) written.push_back(fs::last_write_time(p));
    const auto second = run_cli(cmd);
    ASSERT_EQ(second.code, 0) << second.out;
    for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(fs::last_write_time(entries[i]), written[i]) << entries[i];
    const auto a = json_lines(first.out), b = json_lines(second.out);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    ASSERT_EQ(a[0]["results"].size(), 1u) << first.out;
    EXPECT_EQ(a[0]["results"][0]["text"], "EDGE 2026");
    EXPECT_EQ(a[0]["results"], b[0]["results"]);
}

TEST(OcrCli, FolderWithoutModelsNamesWhatIsMissing) {
    const fs::path empty = fs::path(::testing::TempDir()) / "ocr_cli_empty_models";
    fs::create_directories(empty);
    const auto r = run_cli("ocr " + empty.string() + " " + kImages + "/edge_2026.png");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("*det*.onnx"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(empty.string()), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("scripts/fetch-models"), std::string::npos) << r.out;
}

TEST(OcrCli, UnreadableImageIsNamed) {
    const fs::path bad = fs::path(::testing::TempDir()) / "ocr_cli_not_an_image.png";
    std::ofstream(bad) << "not a png";
    const auto r = run_cli("ocr " + kModels + " " + bad.string() + " --no-cls -t 2");
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find(bad.string()), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer

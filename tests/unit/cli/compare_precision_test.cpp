// `edgeinfer compare MODEL --precision bf16|int8` and `--keep-fp32` on run, bench and classify as a
// user runs them: the text and JSON reports and bad flags. The numbers (agreement, per-layer table,
// pinning the worst layer) are tested through tools::precision_report in tests/unit/tools/.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../cpu_features.hpp"
#include "cli_test_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::CliRun;
using cli_test::compare_json;
using cli_test::run_cli;

const std::string kShapes = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";
const std::string kSamples = std::string(EDGEINFER_SOURCE_DIR) + "/models/samples";

using testing::cpu_has_bf16;

TEST(ComparePrecision, TextReportNamesTheWorstLayer) {
    CliRun r = run_cli("compare -t 2 " + kShapes + " --precision bf16 --inputs " + kSamples + "/star_1.jpg --layers 3");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("bf16 vs fp32: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("top-1 agreement 1/1 (100.00%)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("layers adding the most error"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/features/features.0/features.0.0/Conv "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--keep-fp32 NODE"), std::string::npos) << r.out;
}

TEST(ComparePrecision, JsonDocument) {
    nlohmann::json j = compare_json(kShapes + " --precision bf16 --inputs " + kSamples + "/star_1.jpg --layers 1");
    EXPECT_EQ(j["mode"], "precision");
    EXPECT_EQ(j["precision"], "bf16");
    EXPECT_EQ(j["samples"], 1);
    ASSERT_EQ(j["outputs"].size(), 1u);
    EXPECT_EQ(j["outputs"][0]["top1"]["total"], 1);
    EXPECT_FALSE(j["outputs"][0].contains("top5"));
    EXPECT_EQ(j["layers"].size(), 11u);  // all of them, whatever --layers prints
    EXPECT_TRUE(j["layers"][0].contains("local_rel_l2"));
}

TEST(ComparePrecision, Int8AgainstTheQuantizedModel) {
    fs::path dir = fs::temp_directory_path() / ("edgeinfer_cmp_int8_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const std::string q = (dir / "shapes.int8.onnx").string();
    CliRun r = run_cli("quantize " + kShapes + " " + q + " --calib " + kSamples + " -t 2");
    ASSERT_EQ(r.code, 0) << r.out;
    nlohmann::json j = compare_json(kShapes + " --precision int8 --quantized " + q + " --inputs " + kSamples);
    const auto& o = j["outputs"][0];
    EXPECT_EQ(o["top1"]["total"], 18);
    EXPECT_GE(o["top1"]["rate"].get<double>(), 17.0 / 18);
    EXPECT_GT(o["max_abs_diff"].get<double>(), 0.0);
    ASSERT_FALSE(j["layers"].empty());
    EXPECT_EQ(j["layers"][0]["op_type"], "Conv");  // quantized layers add the error
    // The QDQ model as MODEL: the fp32 reference is missing.
    r = run_cli("compare " + q + " --precision int8");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("is already quantized"), std::string::npos) << r.out;
    r = run_cli("compare " + kShapes + " --precision int8");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("needs the quantized model: --quantized"), std::string::npos) << r.out;
    // `run --precision int8` runs the quantized model on the int8 kernels and refuses a float model.
    r = run_cli("run -t 1 " + q + " --precision int8");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("logits"), std::string::npos) << r.out;
    r = run_cli("run -t 1 " + kShapes + " --precision int8");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("run `edgeinfer quantize` first"), std::string::npos) << r.out;
    fs::remove_all(dir);
}

TEST(KeepFp32, UnknownNodeNamesAreClearErrors) {
    const std::string img = kSamples + "/star_1.jpg";
    for (const std::string& cmd : {"compare " + kShapes + " --precision bf16", "run " + kShapes,
                                   "bench " + kShapes + " -n 1 --warmup 0", "classify " + kShapes + " " + img}) {
        CliRun r = run_cli(cmd + " --keep-fp32 nope,/features/nonsense");
        EXPECT_EQ(r.code, 1) << cmd << "\n" << r.out;
        EXPECT_NE(r.out.find("--keep-fp32: " + kShapes + " has no node named 'nope', '/features/nonsense'"),
                  std::string::npos)
            << cmd << "\n"
            << r.out;
    }
    CliRun r = run_cli("compare " + kShapes + " --precision bf16 --inputs /nonexistent/dir");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("--inputs /nonexistent/dir: no such file or directory"), std::string::npos) << r.out;
    r = run_cli("compare " + kShapes + " " + kShapes + " --precision bf16");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("give no second model"), std::string::npos) << r.out;
}

TEST(KeepFp32, KnownNodesRunInRunBenchAndClassify) {
    nlohmann::json j = compare_json(kShapes + " --precision bf16 --samples 1 --layer-samples 1");
    ASSERT_FALSE(j["layers"].empty());
    const std::string node = j["layers"][0]["node"];
    CliRun r = run_cli("run -t 1 " + kShapes + " --precision bf16 --keep-fp32 " + node);
    EXPECT_EQ(r.code, 0) << r.out;
    r = run_cli("bench -t 1 " + kShapes + " -p bf16 -n 2 --warmup 0 --profile --keep-fp32 " + node);
    EXPECT_EQ(r.code, 0) << r.out;
    // The pinned convolution ran the fp32 kernel, the others bf16 (on a CPU with bf16).
    if (cpu_has_bf16()) {
        std::istringstream lines(r.out);
        std::string line;
        int pinned_lines = 0;
        while (std::getline(lines, line)) {
            if (line.find(" " + node + " ") == std::string::npos) continue;
            ++pinned_lines;
            EXPECT_EQ(line.find(":bf16"), std::string::npos) << line;
        }
        EXPECT_EQ(pinned_lines, 1) << r.out;
        EXPECT_NE(r.out.find(":bf16"), std::string::npos) << r.out;
    }
    r = run_cli("classify -t 1 " + kShapes + " " + kSamples + "/star_1.jpg --precision bf16 --keep-fp32 " + node);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("star"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer

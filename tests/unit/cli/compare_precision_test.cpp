// `edgeinfer compare MODEL --precision bf16|int8` and `--keep-fp32` on run, bench and classify: the
// report (agreement, per-layer table naming nodes), pinning the worst layer, and bad flags.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::CliRun;
using cli_test::compare_json;
using cli_test::run_cli;

const std::string kShapes = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";
const std::string kSamples = std::string(EDGEINFER_SOURCE_DIR) + "/models/samples";

// The CPU computes bf16 natively (else every bf16 node falls back to fp32 and the errors are 0).
bool cpu_has_bf16() {
    if (std::getenv("ONEDNN_MAX_CPU_ISA") || std::getenv("DNNL_MAX_CPU_ISA")) return false;
    std::ifstream f("/proc/cpuinfo");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str().find("avx512_bf16") != std::string::npos || ss.str().find("amx_bf16") != std::string::npos;
}

const nlohmann::json* layer_row(const nlohmann::json& j, const std::string& node) {
    for (const auto& r : j["layers"])
        if (r["node"] == node) return &r;
    return nullptr;
}

TEST(ComparePrecision, Bf16OnShapesSamplesReportsAgreementAndLayers) {
    if (!cpu_has_bf16()) GTEST_SKIP() << "no native bf16 on this CPU: bf16 falls back to fp32";
    nlohmann::json j = compare_json(kShapes + " --precision bf16 --inputs " + kSamples);
    ASSERT_EQ(j["mode"], "precision");
    EXPECT_EQ(j["samples"], 18);
    EXPECT_NE(j["preprocess"].get<std::string>().find("sidecar"), std::string::npos) << j["preprocess"];
    ASSERT_EQ(j["outputs"].size(), 1u);
    const auto& o = j["outputs"][0];
    EXPECT_EQ(o["name"], "logits");
    EXPECT_EQ(o["top1"]["total"], 18);
    EXPECT_GE(o["top1"]["rate"].get<double>(), 17.0 / 18);
    EXPECT_FALSE(o.contains("top5"));                 // 6 classes: top-5 says little
    EXPECT_GT(o["max_abs_diff"].get<double>(), 0.0);  // bf16 really rounded something
    EXPECT_GE(o["cosine"].get<double>(), 0.999);
    // The layer table: every node by name, the one adding the most error on its own first; nodes
    // computing in fp32 (Relu, pooling...) add none.
    ASSERT_EQ(j["layers"].size(), 11u);
    const auto& worst = j["layers"][0];
    EXPECT_GT(worst["local_rel_l2"].get<double>(), 0.0);
    int adding = 0;
    for (const auto& r : j["layers"]) {
        EXPECT_LE(r["local_rel_l2"].get<double>(), worst["local_rel_l2"].get<double>());
        const bool heavy = r["op_type"] == "Conv" || r["op_type"] == "Gemm";
        EXPECT_EQ(r["local_rel_l2"].get<double>() > 0, heavy) << r.dump();
        adding += heavy;
    }
    EXPECT_EQ(adding, 5);
    std::printf("shapes bf16: top-1 %s, cosine %.6f, worst layer %s (%s) own rel L2 %.3g\n",
                o["top1"]["rate"].dump().c_str(), o["cosine"].get<double>(), worst["node"].get<std::string>().c_str(),
                worst["op_type"].get<std::string>().c_str(), worst["local_rel_l2"].get<double>());

    // Pinning the worst layer to fp32: it adds no error of its own any more, and the output moves less.
    const std::string node = worst["node"];
    nlohmann::json pinned = compare_json(kShapes + " --precision bf16 --inputs " + kSamples + " --keep-fp32 " + node);
    EXPECT_EQ(pinned["keep_fp32"], nlohmann::json::array({node}));
    const nlohmann::json* row = layer_row(pinned, node);
    ASSERT_TRUE(row) << pinned.dump();
    EXPECT_EQ((*row)["local_rel_l2"].get<double>(), 0.0) << row->dump();
    EXPECT_NE(pinned["layers"][0]["node"], node);
    std::printf("pinned %s: own rel L2 0, output rel L2 %.4g -> %.4g\n", node.c_str(), o["rel_l2"].get<double>(),
                pinned["outputs"][0]["rel_l2"].get<double>());

    // Pinning every layer that adds error: fp32 exactly, everywhere.
    std::string all;
    for (const auto& r : j["layers"]) {
        if (r["local_rel_l2"].get<double>() == 0) continue;
        if (!all.empty()) all += ',';
        all += r["node"].get<std::string>();
    }
    nlohmann::json exact = compare_json(kShapes + " --precision bf16 --inputs " + kSamples + " --keep-fp32 " + all);
    EXPECT_EQ(exact["outputs"][0]["max_abs_diff"].get<double>(), 0.0) << all;
    EXPECT_EQ(exact["outputs"][0]["top1"]["rate"].get<double>(), 1.0);
    for (const auto& r : exact["layers"]) EXPECT_EQ(r["rel_l2"].get<double>(), 0.0) << r.dump();
}

TEST(ComparePrecision, TextReportNamesTheWorstLayer) {
    CliRun r = run_cli("compare -t 2 " + kShapes + " --precision bf16 --inputs " + kSamples + "/star_1.jpg --layers 3");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("bf16 vs fp32: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("top-1 agreement 1/1 (100.00%)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("layers adding the most error"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/features/features.0/features.0.0/Conv "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--keep-fp32 NODE"), std::string::npos) << r.out;
}

TEST(ComparePrecision, Bf16OnResnet18RandomInputs) {
    const std::string model = std::string(EDGEINFER_MODEL_CACHE) + "/resnet18_bn.onnx";
    nlohmann::json j = compare_json(model + " --precision bf16 --samples 2 --layer-samples 1");
    ASSERT_EQ(j["outputs"].size(), 1u);
    const auto& o = j["outputs"][0];
    EXPECT_EQ(o["top1"]["total"], 2);
    EXPECT_EQ(o["top5"]["total"], 2);  // 1000 classes
    EXPECT_GE(o["cosine"].get<double>(), 0.999);
    // BatchNormalization folded first (as a session does): no BatchNormalization row, and the
    // convolutions and the linear layer add the error.
    ASSERT_GE(j["layers"].size(), 20u);
    for (const auto& r : j["layers"]) EXPECT_NE(r["op_type"], "BatchNormalization");
    if (cpu_has_bf16()) {
        for (size_t i = 0; i < 21; ++i)  // 20 convolutions and the Gemm
            EXPECT_TRUE(j["layers"][i]["op_type"] == "Conv" || j["layers"][i]["op_type"] == "Gemm") << i;
        EXPECT_EQ(j["layers"][21]["local_rel_l2"].get<double>(), 0.0) << j["layers"][21].dump();
    }
    std::printf("resnet18 bf16: cosine %.6f, top-1 %s, top-5 %s, worst layer %s\n", o["cosine"].get<double>(),
                o["top1"]["rate"].dump().c_str(), o["top5"]["rate"].dump().c_str(),
                j["layers"][0]["node"].get<std::string>().c_str());
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

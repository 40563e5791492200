// `edgeinfer inspect` run as a user runs it: exit codes, text and JSON. The numbers against
// PyTorch's own counts for a torchvision model are checked through tools::inspect in tests/unit/tools/.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"

namespace edgeinfer {
namespace {

using cli_test::CliRun;
using cli_test::run_cli;

std::string models(const std::string& name) { return std::string(EDGEINFER_TEST_MODELS_DIR) + "/" + name; }

TEST(Inspect, TextReport) {
    CliRun r = run_cli("inspect " + models("small_cnn.onnx"));
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("producer:   edgeinfer-tests 1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("input  float32  [batch x 3 x 8 x 8]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("logits  float32  [batch x 10]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("parameters: 162"), std::string::npos) << r.out;  // 108+4+40+10
    EXPECT_NE(r.out.find("Conv"), std::string::npos);
}

TEST(Inspect, JsonIsOneDocument) {
    CliRun r = run_cli("inspect --json " + models("small_cnn.onnx"));
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["ir_version"], 8);
    EXPECT_EQ(j["opset_imports"][0]["version"], 13);
    EXPECT_EQ(j["inputs"][0]["shape"][0], "batch");
    EXPECT_EQ(j["inputs"][0]["shape"][1], 3);
    EXPECT_EQ(j["node_count"], 5);
    EXPECT_EQ(j["ops"]["Conv"]["count"], 1);
    // Conv: 4x8x8 outputs x 3x3x3 = 6912 MACs; Gemm: 10 x 4 = 40 MACs (batch counted as 1).
    EXPECT_EQ(j["ops"]["Conv"]["macs"], 6912);
    EXPECT_EQ(j["ops"]["Gemm"]["macs"], 40);
    EXPECT_EQ(j["compute"]["macs"], 6952);
    EXPECT_EQ(j["compute"]["symbolic_dims_as_one"], true);
    EXPECT_EQ(j["parameters"]["count"], 162);
    EXPECT_EQ(j["parameters"]["other_initializer_elements"], 2);
    EXPECT_TRUE(j["support"].contains("unsupported_ops"));
}

TEST(Inspect, BadInputsGiveOneLineAndNonZeroExit) {
    for (const char* f : {"empty.onnx", "truncated.onnx", "random_bytes.onnx", "dangling_input.onnx",
                          "opset_too_new.onnx", "external_missing.onnx", "external_short.onnx"}) {
        CliRun r = run_cli("inspect " + models(f));
        EXPECT_EQ(r.code, 1) << f << ": " << r.out;
        EXPECT_EQ(r.out.rfind("edgeinfer inspect: ", 0), 0u) << r.out;
        EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
        EXPECT_NE(r.out.find(f), std::string::npos) << r.out;
    }
    CliRun dir = run_cli("inspect " + std::string(EDGEINFER_TEST_MODELS_DIR));
    EXPECT_EQ(dir.code, 1);
    EXPECT_NE(dir.out.find("is a directory"), std::string::npos) << dir.out;
}

TEST(Inspect, CheckFlagRunsOnnxChecker) {
    CliRun good = run_cli("inspect --check " + models("small_cnn.onnx"));
    EXPECT_EQ(good.code, 0) << good.out;
    CliRun usage = run_cli("inspect");
    EXPECT_NE(usage.code, 0);
}

}  // namespace
}  // namespace edgeinfer

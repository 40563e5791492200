// `edgeinfer optimize` and `edgeinfer compare` run as a user runs them: exit codes, the JSON document
// and the text report of each mode. The logic (fault injection over every fault kind, bisection,
// references, shapes, opsets) is tested through the library in tests/unit/tools/.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "../tools/tools_test_util.hpp"
#include "cli_test_util.hpp"
#include "ir/npy.hpp"

namespace edgeinfer::testing {
namespace {

using cli_test::CliRun;
using cli_test::run_cli;

nlohmann::json json_of(const CliRun& r) {
    auto start = r.out.find('{');
    if (start == std::string::npos) return nullptr;
    return nlohmann::json::parse(r.out.substr(start), nullptr, false);
}

TEST(CompareCli, IdenticalModelsMatch) {
    std::string a = save(compare_net(), "net.onnx");
    CliRun r = run_cli("compare --json " + a + " " + a);
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = json_of(r);
    EXPECT_TRUE(j["match"].get<bool>());
    EXPECT_EQ(j["compared"].get<int>(), 9);  // every node output
    EXPECT_EQ(j["mode"], "full");
    EXPECT_FALSE(j.contains("first_mismatch"));
}

TEST(CompareCli, JsonAndTextNameTheFaultyNode) {
    std::string a = save(compare_net(), "net.onnx");
    ir::Model bad = compare_net();
    negate_initializer(bad, "conv3.w");
    std::string b = save(bad, "net_text.onnx");
    for (std::string mode : {"", "--bisect "}) {
        CliRun r = run_cli("compare --json " + mode + a + " " + b);
        ASSERT_EQ(r.code, 2) << mode << r.out;
        auto j = json_of(r);
        const auto& f = j["first_mismatch"];
        EXPECT_EQ(f["node"], "conv3") << mode << r.out;
        EXPECT_EQ(f["node_label"], "Conv 'conv3'") << r.out;
        EXPECT_EQ(f["top"].size(), 5u);
        EXPECT_EQ(f["inputs_a"][1]["name"], "conv3.w");
        EXPECT_EQ(f["stats_a"]["shape"], nlohmann::json::array({1, 4, 24, 24}));
        EXPECT_FALSE(j["match"].get<bool>());
    }
    CliRun r = run_cli("compare " + a + " " + b);
    ASSERT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find("FIRST MISMATCH: value 'c3' produced by Conv 'conv3'"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("inputs in A:"), std::string::npos);
    EXPECT_NE(r.out.find("conv3.w"), std::string::npos);
    EXPECT_NE(r.out.find("largest differences"), std::string::npos);
    EXPECT_NE(r.out.find("output y: max abs diff"), std::string::npos);
}

TEST(CompareCli, ReferenceFile) {
    std::string a = save(compare_net(), "net.onnx");
    std::string input = (temp_dir() / "x.npy").string(), ref = (temp_dir() / "y.npy").string();
    Tensor x = random_tensor({1, 3, 12, 12}, 99);
    ASSERT_TRUE(ir::write_npy(input, x).is_ok());
    ASSERT_TRUE(ir::write_npy(ref, run_model(compare_net(), {{"x", x}})[0].tensor).is_ok());
    CliRun r = run_cli("compare --json " + a + " --ref " + ref + " -i x=" + input);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(json_of(r)["b"], "reference");
    EXPECT_EQ(json_of(r)["mode"], "ref");
}

TEST(CompareCli, BadArguments) {
    std::string a = save(compare_net(), "net.onnx");
    CliRun r = run_cli("compare " + a);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("give either a second model"), std::string::npos) << r.out;
    r = run_cli("compare " + a + " /nonexistent.onnx");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
}

TEST(OptimizeCli, JsonTextAndErrors) {
    std::string a = save(compare_net(), "net.onnx");
    std::string out = (temp_dir() / "net.opt.onnx").string();
    CliRun r = run_cli("optimize --json " + a + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = json_of(r);
    EXPECT_EQ(j["nodes_before"], 9);
    EXPECT_EQ(j["nodes_after"], 8);  // bn1 folded into conv1
    EXPECT_EQ(j["onnx_checker"], "ok");
    EXPECT_TRUE(j["final"]["ok"].get<bool>());
    EXPECT_TRUE(j["reverted"].empty());
    EXPECT_FALSE(j["passes"].empty());
    r = run_cli("optimize " + a + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("fold-batchnorm"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("9 -> 8"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("final max abs diff vs the original: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ONNX checker: ok\nwrote " + out), std::string::npos) << r.out;
    r = run_cli("optimize --json --verify none --passes eliminate-noops " + a + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    j = json_of(r);
    ASSERT_EQ(j["passes"].size(), 1u);
    EXPECT_TRUE(j["passes"][0]["max_abs_diff"].is_null());
    EXPECT_FALSE(j.contains("final"));
    r = run_cli("optimize --passes fold-everything " + a + " " + out);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("unknown pass 'fold-everything'"), std::string::npos) << r.out;
    r = run_cli("optimize --list-passes");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("fold-batchnorm"), std::string::npos);
    r = run_cli("optimize --static-shape nope=1x2 " + a + " " + out);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("not an input"), std::string::npos) << r.out;
}

TEST(SessionOptimization, Resnet18WithBatchNormAgreesAcrossLevels) {
    auto x = random_tensor({2, 3, 224, 224}, 5);
    std::vector<std::vector<NamedTensor>> outs;
    std::vector<size_t> nodes;
    for (auto level : {GraphOptimizationLevel::kNone, GraphOptimizationLevel::kAll}) {
        SessionOptions o;
        o.optimization_level = level;
        o.num_threads = 2;
        o.enable_profiling = true;
        auto s = Session::create(cache("resnet18_bn.onnx"), o);
        ASSERT_TRUE(s.is_ok()) << s.status().to_string();
        auto y = s.value()->run({{"input", x}});
        ASSERT_TRUE(y.is_ok()) << y.status().to_string();
        outs.push_back(std::move(y).value());
        nodes.push_back(s.value()->profile().size());
    }
    EXPECT_EQ(nodes[0], 69u);
    // 20 FusedConv (BatchNormalization folded, Relu and residual Add fused), MaxPool,
    // GlobalAveragePool, Flatten, Gemm, and the two Transposes around the channels-last region.
    EXPECT_EQ(nodes[1], 26u);
    const Tensor &a = outs[0][0].tensor, &b = outs[1][0].tensor;
    ASSERT_EQ(a.dims(), b.dims());
    float worst = 0, range = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        worst = std::max(worst, std::fabs(a.data_as<float>()[i] - b.data_as<float>()[i]));
        range = std::max(range, std::fabs(a.data_as<float>()[i]));
    }
    EXPECT_LE(worst, 1e-4f * range);
}

}  // namespace
}  // namespace edgeinfer::testing

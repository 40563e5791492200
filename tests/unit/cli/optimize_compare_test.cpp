// `edgeinfer optimize` and `edgeinfer compare` run as a user runs them. compare is checked by
// fault injection: a copy of a model gets one deliberate fault and compare must name exactly
// the faulty node, in full, --bisect and --ref modes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "../passes/pass_test_util.hpp"
#include "ir/npy.hpp"
#include "cli_test_util.hpp"

namespace edgeinfer::testing {
namespace {
namespace fs = std::filesystem;

using cli_test::CliRun;
using cli_test::run_cli;

nlohmann::json json_of(const CliRun& r) {
    auto start = r.out.find('{');
    if (start == std::string::npos) return nullptr;
    return nlohmann::json::parse(r.out.substr(start), nullptr, false);
}

std::string cache(const std::string& name) { return std::string(EDGEINFER_MODEL_CACHE) + "/" + name; }

// One scratch directory per test process, removed when the process exits.
fs::path temp_dir() {
    struct Scratch {
        fs::path path = fs::temp_directory_path() / ("edgeinfer_optcmp_" + std::to_string(getpid()));
        Scratch() { fs::create_directories(path); }
        ~Scratch() {
            if (std::getenv("EDGEINFER_KEEP_TEMP")) return;  // debugging aid: keep the files
            std::error_code ec;
            fs::remove_all(path, ec);
        }
    };
    static Scratch scratch;
    return scratch.path;
}

std::string save(const ir::Model& m, const std::string& name) {
    std::string path = (temp_dir() / name).string();
    Status st = model::save_model(m, path);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return path;
}

// conv1 → bn1 → act → conv_pad (asymmetric pads) → up (Resize) → conv3 → pool → flatten → fc.
// MaxPool rather than a global average keeps every fault visible in the final output (--bisect
// starts from a differing output).
ir::Model compare_net() {
    ModelBuilder b;
    b.input("x", {1, 3, 12, 12}).output("y");
    b.init("conv1.w", random_tensor({8, 3, 3, 3}, 1, 0.3f)).init("conv1.b", random_tensor({8}, 2));
    b.node("Conv", {"x", "conv1.w", "conv1.b"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.init("bn1.s", positive_tensor({8}, 3)).init("bn1.b", random_tensor({8}, 4));
    b.init("bn1.m", random_tensor({8}, 5, 0.1f)).init("bn1.v", positive_tensor({8}, 6));
    b.node("BatchNormalization", {"c1", "bn1.s", "bn1.b", "bn1.m", "bn1.v"}, {"n1"}, "bn1");
    b.node("Relu", {"n1"}, {"a1"}, "act");
    b.init("conv_pad.w", random_tensor({8, 8, 2, 2}, 7, 0.3f));
    b.node("Conv", {"a1", "conv_pad.w"}, {"c2"}, "conv_pad", {attr_is("pads", {0, 0, 1, 1})});
    b.init("up.scales", Tensor::from_vector<float>(DataType::kFloat32, {4}, {1, 1, 2, 2}));
    b.node("Resize", {"c2", "", "up.scales"}, {"u"}, "up", {attr_s("mode", "nearest")});
    b.init("conv3.w", random_tensor({4, 8, 3, 3}, 8, 0.3f)).init("conv3.b", random_tensor({4}, 9));
    b.node("Conv", {"u", "conv3.w", "conv3.b"}, {"c3"}, "conv3", {attr_is("pads", {1, 1, 1, 1})});
    b.node("MaxPool", {"c3"}, {"p"}, "pool", {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2})});
    b.node("Flatten", {"p"}, {"f"}, "flatten");
    b.init("fc.w", random_tensor({5, 576}, 10, 0.1f)).init("fc.b", random_tensor({5}, 11));
    b.node("Gemm", {"f", "fc.w", "fc.b"}, {"y"}, "fc", {attr_i("transB", 1)});
    return b.build();
}

ir::Node& node_named(ir::Model& m, const std::string& name) {
    for (ir::Node& n : m.graph.nodes)
        if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
}

struct Fault {
    std::string kind;
    std::string node;  // the node compare must name
    std::function<void(ir::Model&)> inject;
};

void negate_initializer(ir::Model& m, const std::string& name) {
    Tensor w = m.graph.find_initializer(name)->clone();
    for (int64_t i = 0; i < w.numel(); ++i) w.data_as<float>()[i] = -w.data_as<float>()[i];
    m.graph.add_initializer(name, w);
}

std::vector<Fault> faults() {
    return {
        {"flip-weight-sign", "conv3", [](ir::Model& m) { negate_initializer(m, "conv3.w"); }},
        {"drop-bias", "conv1", [](ir::Model& m) { node_named(m, "conv1").inputs.resize(2); }},
        {"resize-mode", "up",
         [](ir::Model& m) { passes::set_attribute(node_named(m, "up"), attr_s("mode", "linear")); }},
        {"swap-conv-pads", "conv_pad",
         [](ir::Model& m) {
             passes::set_attribute(node_named(m, "conv_pad"), attr_is("pads", {1, 1, 0, 0}));
         }},
        {"change-activation", "act", [](ir::Model& m) { node_named(m, "act").op_type = "Sigmoid"; }},
        {"batchnorm-epsilon", "bn1",
         [](ir::Model& m) { passes::set_attribute(node_named(m, "bn1"), attr_f("epsilon", 0.5f)); }},
        {"gemm-alpha", "fc", [](ir::Model& m) { passes::set_attribute(node_named(m, "fc"), attr_f("alpha", 0.5f)); }},
    };
}

TEST(Compare, IdenticalModelsMatch) {
    std::string a = save(compare_net(), "net.onnx");
    CliRun r = run_cli("compare --json " + a + " " + a);
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = json_of(r);
    EXPECT_TRUE(j["match"].get<bool>());
    EXPECT_EQ(j["compared"].get<int>(), 9);  // every node output
}

TEST(Compare, NamesTheFaultyNodeForEveryFaultKind) {
    std::string a = save(compare_net(), "net.onnx");
    for (const Fault& f : faults()) {
        ir::Model bad = compare_net();
        f.inject(bad);
        std::string b = save(bad, "net_" + f.kind + ".onnx");
        for (std::string mode : {"", "--bisect "}) {
            CliRun r = run_cli("compare --json " + mode + a + " " + b);
            ASSERT_EQ(r.code, 2) << f.kind << " " << mode << r.out;
            auto j = json_of(r);
            EXPECT_EQ(j["first_mismatch"]["node"], f.node) << f.kind << " " << mode << r.out;
            EXPECT_EQ(j["first_mismatch"]["top"].size(), 5u) << f.kind;
            EXPECT_FALSE(j["first_mismatch"]["inputs_a"].empty()) << f.kind;
            EXPECT_FALSE(j["first_mismatch"]["inputs_b"].empty()) << f.kind;
        }
    }
}

TEST(Compare, TextReportNamesNodeInputsAndTopDifferences) {
    std::string a = save(compare_net(), "net.onnx");
    ir::Model bad = compare_net();
    negate_initializer(bad, "conv3.w");
    std::string b = save(bad, "net_text.onnx");
    CliRun r = run_cli("compare " + a + " " + b);
    ASSERT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find("FIRST MISMATCH: value 'c3' produced by Conv 'conv3'"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("inputs in A:"), std::string::npos);
    EXPECT_NE(r.out.find("conv3.w"), std::string::npos);
    EXPECT_NE(r.out.find("largest differences"), std::string::npos);
}

// Reference values as a PyTorch hook would dump them: one VALUE.npy per intermediate value.
std::string write_reference_dir(const ir::Model& faulty, const std::string& dir_name, const std::string& input_npy) {
    ir::Model exposed = faulty;
    for (const ir::Node& n : faulty.graph.nodes)
        if (n.outputs[0] != "y") exposed.graph.outputs.push_back({n.outputs[0], DataType::kUndefined, {}, {}});
    auto x = ir::read_npy(input_npy);
    auto outs = run_model(exposed, {{"x", x.value()}});
    fs::path dir = temp_dir() / dir_name;
    fs::create_directories(dir);
    for (const NamedTensor& t : outs) EXPECT_TRUE(ir::write_npy((dir / (t.name + ".npy")).string(), t.tensor).is_ok());
    return dir.string();
}

TEST(Compare, ReferenceValuesFromNpy) {
    std::string a = save(compare_net(), "net.onnx");
    std::string input = (temp_dir() / "x.npy").string();
    ASSERT_TRUE(ir::write_npy(input, random_tensor({1, 3, 12, 12}, 99)).is_ok());
    for (const Fault& f : faults()) {
        ir::Model bad = compare_net();
        f.inject(bad);
        std::string dir = write_reference_dir(bad, "ref_" + f.kind, input);
        CliRun r = run_cli("compare --json " + a + " --ref " + dir + " -i x=" + input);
        ASSERT_EQ(r.code, 2) << f.kind << r.out;
        EXPECT_EQ(json_of(r)["first_mismatch"]["node"], f.node) << f.kind << r.out;
    }
    // Only the final output as reference: the mismatch is reported on it.
    ir::Model bad = compare_net();
    negate_initializer(bad, "fc.w");
    std::string dir = write_reference_dir(bad, "ref_final", input);
    CliRun r = run_cli("compare --json " + a + " --ref " + dir + "/y.npy -i x=" + input);
    ASSERT_EQ(r.code, 2) << r.out;
    EXPECT_EQ(json_of(r)["first_mismatch"]["value"], "y");
    CliRun same = run_cli("compare --json " + a + " --ref y=" + write_reference_dir(compare_net(), "ref_ok", input) +
                          "/y.npy -i x=" + input);
    EXPECT_EQ(same.code, 0) << same.out;
}

// OpenCV DNN as the reference: every layer it exposes is matched to edgeinfer's value by name.
TEST(Compare, OpenCvDnnAsReference) {
    std::string model = std::string(EDGEINFER_MODEL_CACHE) + "/resnet18_bn.onnx";
    CliRun r = run_cli("compare --json " + model + " --ref opencv --rtol 1e-3");
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = json_of(r);
    EXPECT_TRUE(j["match"].get<bool>());
    EXPECT_GT(j["compared"].get<int>(), 40) << r.out;  // one per layer, not just the output
}

TEST(Compare, BadArguments) {
    std::string a = save(compare_net(), "net.onnx");
    CliRun r = run_cli("compare " + a);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("give either a second model"), std::string::npos) << r.out;
    r = run_cli("compare " + a + " /nonexistent.onnx");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
}

TEST(Optimize, SmallNetThenCompareMatches) {
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
    CliRun c = run_cli("compare --json " + a + " " + out);
    EXPECT_EQ(c.code, 0) << c.out;
    EXPECT_GE(json_of(c)["compared"].get<int>(), 8);
    for (std::string verify : {"end", "none"}) {
        CliRun v = run_cli("optimize --json --verify " + verify + " " + a + " " + out);
        ASSERT_EQ(v.code, 0) << v.out;
        auto jv = json_of(v);
        EXPECT_EQ(jv["nodes_after"], 8);
        EXPECT_EQ(jv.contains("final"), verify == "end");
        for (const auto& p : jv["passes"]) EXPECT_TRUE(p["max_abs_diff"].is_null());  // no per-pass runs
    }
}

TEST(Optimize, PassSelectionAndErrors) {
    std::string a = save(compare_net(), "net.onnx");
    std::string out = (temp_dir() / "net.sel.onnx").string();
    CliRun r =
        run_cli("optimize --json --passes eliminate-noops,fold-batchnorm --skip fold-batchnorm " + a + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = json_of(r);
    ASSERT_EQ(j["passes"].size(), 1u);
    EXPECT_EQ(j["passes"][0]["name"], "eliminate-noops");
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

TEST(Optimize, StaticShapeFoldsShapeChainsAndDynamicBatchKeepsAxes) {
    ModelBuilder b;
    b.input("x", {-1, 3, 4, 4}).output("y");
    b.init("zero", Tensor::from_vector<int64_t>(DataType::kInt64, {}, {0})).init("m1", int64s({-1}));
    b.init("axes0", int64s({0}));
    b.node("Shape", {"x"}, {"shape"}, "shape");
    b.node("Gather", {"shape", "zero"}, {"n"}, "gather", {attr_i("axis", 0)});
    b.node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze");
    b.node("Concat", {"n1", "m1"}, {"target"}, "concat", {attr_i("axis", 0)});
    b.node("Reshape", {"x", "target"}, {"y"}, "flatten");
    ir::Model dyn = b.build();
    dyn.graph.outputs[0].shape.has_rank = true;  // exported models declare output shapes (the checker wants them)
    dyn.graph.outputs[0].shape.dims = {ir::Dim::symbolic("batch"), ir::Dim::known(48)};
    std::string a = save(dyn, "dyn.onnx");
    std::string out = (temp_dir() / "dyn.static.onnx").string();
    CliRun r = run_cli("optimize --json --static-shape x=2x3x4x4 " + a + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(json_of(r)["nodes_after"], 1);
    auto m = model::load_model(out);
    ASSERT_TRUE(m.is_ok());
    EXPECT_EQ(m->graph.inputs[0].shape.to_string(), "2 x 3 x 4 x 4");
    // Without fixed shapes the symbolic batch survives and the chain stays.
    std::string out2 = (temp_dir() / "dyn.opt.onnx").string();
    r = run_cli("optimize --json " + a + " " + out2);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(json_of(r)["nodes_after"], 5);
    auto m2 = model::load_model(out2);
    EXPECT_EQ(m2->graph.inputs[0].shape.to_string(), "batch x 3 x 4 x 4");
    // --dynamic-batch on a fixed-batch model: batch becomes symbolic and batch 2 is checked.
    ModelBuilder f;
    f.input("x", {1, 3, 4, 4}).output("y").node("Relu", {"x"}, {"y"}, "relu");
    ir::Model fixed = f.build();
    fixed.graph.outputs[0].shape = ir::Shape::of({1, 3, 4, 4});
    std::string fa = save(fixed, "fixed.onnx");
    std::string fo = (temp_dir() / "fixed.dyn.onnx").string();
    r = run_cli("optimize --json --dynamic-batch " + fa + " " + fo);
    ASSERT_EQ(r.code, 0) << r.out;
    auto m3 = model::load_model(fo);
    EXPECT_EQ(m3->graph.inputs[0].shape.to_string(), "batch x 3 x 4 x 4");
    EXPECT_EQ(m3->graph.outputs[0].shape.to_string(), "batch x 3 x 4 x 4");
}

TEST(Optimize, OpsetConversionAndOldIrVersion) {
    ModelBuilder b(11);
    b.input("x", {1, 3, 6, 6}).output("y");
    b.init("w", random_tensor({4, 3, 3, 3}, 1)).init("s", positive_tensor({4}, 2)).init("bb", random_tensor({4}, 3));
    b.init("m", random_tensor({4}, 4)).init("v", positive_tensor({4}, 5));
    b.node("Conv", {"x", "w"}, {"c"}, "conv").node("BatchNormalization", {"c", "s", "bb", "m", "v"}, {"n"}, "bn");
    b.node("Relu", {"n"}, {"y"}, "relu");
    ir::Model m = b.build();
    m.graph.outputs[0].shape = ir::Shape::of({1, 4, 4, 4});
    m.ir_version = 3;  // every initializer is also a graph input
    for (const std::string& name : m.graph.initializer_order)
        m.graph.inputs.push_back({name, DataType::kFloat32, ir::Shape::of(m.graph.initializers[name].dims()), {}});
    std::string a = save(m, "old.onnx");
    std::string out = (temp_dir() / "old.opt.onnx").string();
    CliRun r = run_cli("optimize --json --opset 13 " + a + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = json_of(r);
    EXPECT_EQ(j["passes"][0]["name"], "upgrade-ir-version");
    EXPECT_EQ(j["passes"][1]["name"], "convert-opset");
    EXPECT_TRUE(j["passes"][1]["changed"].get<bool>()) << r.out;
    EXPECT_EQ(j["nodes_after"], 2);  // the BatchNormalization folded once its statistics are constants
    auto opt = model::load_model(out);
    ASSERT_TRUE(opt.is_ok());
    EXPECT_EQ(opt->opset_version(""), 13);
    EXPECT_GE(opt->ir_version, 4);
    EXPECT_EQ(opt->graph.runtime_inputs().size(), 1u);
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

TEST(Optimize, Resnet18KeepsOutputsAndLowersNodeCount) {
    std::string out = (temp_dir() / "resnet18_bn.opt.onnx").string();
    CliRun r = run_cli("optimize --json " + cache("resnet18_bn.onnx") + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    auto j = json_of(r);
    EXPECT_LT(j["nodes_after"].get<int>(), j["nodes_before"].get<int>());
    EXPECT_LE(j["nodes_after"].get<int>(), j["nodes_before"].get<int>() - 20);  // 20 BatchNorms folded
    EXPECT_TRUE(j["final"]["ok"].get<bool>()) << r.out;
    EXPECT_EQ(j["onnx_checker"], "ok");
    EXPECT_TRUE(j["reverted"].empty()) << r.out;
    std::printf("resnet18_bn: %d -> %d nodes, final max abs diff %g\n", j["nodes_before"].get<int>(),
                j["nodes_after"].get<int>(), j["final"]["max_abs_diff"].get<double>());
    auto before = model::load_model(cache("resnet18_bn.onnx"));
    auto after = model::load_model(out);
    ASSERT_TRUE(before.is_ok() && after.is_ok());
    EXPECT_EQ(count_op(after.value(), "BatchNormalization"), 0);
    EXPECT_EQ(after->graph.inputs[0].name, before->graph.inputs[0].name);
    EXPECT_EQ(after->graph.inputs[0].shape.to_string(), before->graph.inputs[0].shape.to_string());  // dynamic batch
    EXPECT_EQ(after->graph.outputs[0].name, before->graph.outputs[0].name);
    EXPECT_LE(max_output_diff(before.value(), after.value(), 2), 1e-3);
    // compare finds nothing between original and optimized, and finds a planted fault.
    CliRun c = run_cli("compare --json " + cache("resnet18_bn.onnx") + " " + out);
    EXPECT_EQ(c.code, 0) << c.out;
    ir::Model bad = before.value();
    std::string victim;
    int convs = 0;
    for (const ir::Node& n : bad.graph.nodes)
        if (n.op_type == "Conv" && ++convs == 10) victim = n.name;
    ASSERT_FALSE(victim.empty());
    negate_initializer(bad, node_named(bad, victim).inputs[1]);
    std::string b = save(bad, "resnet18_fault.onnx");
    for (std::string mode : {"", "--bisect "}) {
        CliRun f = run_cli("compare --json " + mode + cache("resnet18_bn.onnx") + " " + b);
        ASSERT_EQ(f.code, 2) << f.out;
        EXPECT_EQ(json_of(f)["first_mismatch"]["node"], victim) << mode;
    }
}

}  // namespace
}  // namespace edgeinfer::testing

// tools::optimize: the per-pass report (a pass that changes the graph, verified against the original),
// pass selection, fixed and dynamic shapes, opset conversion, and resnet18 end to end.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "edgeinfer/tools.hpp"
#include "tools_test_util.hpp"

namespace edgeinfer::testing {
namespace {

const tools::PassRow* row(const tools::OptimizeReport& r, const std::string& name) {
    for (const tools::PassRow& p : r.passes)
        if (p.name == name) return &p;
    return nullptr;
}

// VerifyMode's one name table (the CLI's --verify and Python's verify= read it): every mode round-trips, an
// unknown name is an error naming the choices.
TEST(ToolsOptimize, VerifyModeNamesRoundTrip) {
    for (tools::VerifyMode m : {tools::VerifyMode::kEachPass, tools::VerifyMode::kEnd, tools::VerifyMode::kNone}) {
        auto parsed = tools::parse_verify_mode(tools::to_string(m));
        ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
        EXPECT_EQ(*parsed, m);
    }
    EXPECT_EQ(tools::to_string(tools::VerifyMode::kEachPass), "each");
    EXPECT_EQ(tools::verify_mode_choices(), "each|end|none");
    auto bad = tools::parse_verify_mode("sometimes");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.status().message(), "verify must be one of each, end, none; got 'sometimes'");
}

TEST(ToolsOptimize, FoldsBatchNormAndVerifiesEachPass) {
    std::string a = save(compare_net(), "net.onnx");
    std::string out = (temp_dir() / "net.opt.onnx").string();
    auto r = tools::optimize(a, out);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->ok());
    EXPECT_EQ(r->nodes_before, 9);
    EXPECT_EQ(r->nodes_after, 8);  // bn1 folded into conv1
    EXPECT_EQ(r->onnx_checker, "ok");
    ASSERT_TRUE(r->final_check);
    EXPECT_TRUE(r->final_check->ok);
    EXPECT_LE(r->final_check->max_abs_diff, 1e-4);
    EXPECT_TRUE(r->reverted.empty());
    const tools::PassRow* fold = row(*r, "fold-batchnorm");
    ASSERT_TRUE(fold);
    EXPECT_TRUE(fold->changed);
    EXPECT_TRUE(fold->verified);
    EXPECT_FALSE(fold->reverted);
    ASSERT_TRUE(fold->max_abs_diff);
    EXPECT_LE(*fold->max_abs_diff, 1e-4);
    EXPECT_EQ(fold->nodes_after, fold->nodes_before - 1);
    // Rows chain: each pass starts from the previous one's graph.
    for (size_t i = 1; i < r->passes.size(); ++i) EXPECT_EQ(r->passes[i].nodes_before, r->passes[i - 1].nodes_after);
    // The written model computes what the original did.
    auto c = tools::compare(a, out);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_TRUE(c->match());
    EXPECT_GE(c->compared, 8u);
    for (tools::VerifyMode verify : {tools::VerifyMode::kEnd, tools::VerifyMode::kNone}) {
        tools::OptimizeOptions o;
        o.verify = verify;
        auto v = tools::optimize(a, out, o);
        ASSERT_TRUE(v.is_ok()) << v.status().to_string();
        EXPECT_EQ(v->nodes_after, 8);
        EXPECT_EQ(v->final_check.has_value(), verify == tools::VerifyMode::kEnd);
        for (const tools::PassRow& p : v->passes) EXPECT_FALSE(p.max_abs_diff) << p.name;  // no per-pass runs
    }
}

TEST(ToolsOptimize, PassSelectionAndErrors) {
    std::string a = save(compare_net(), "net.onnx");
    std::string out = (temp_dir() / "net.sel.onnx").string();
    tools::OptimizeOptions o;
    o.passes = {"eliminate-noops", "fold-batchnorm"};
    o.skip = {"fold-batchnorm"};
    auto r = tools::optimize(a, out, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->passes.size(), 1u);
    EXPECT_EQ(r->passes[0].name, "eliminate-noops");
    EXPECT_FALSE(r->passes[0].changed);
    EXPECT_EQ(r->nodes_after, 9);
    o = {};
    o.passes = {"fold-everything"};
    r = tools::optimize(a, out, o);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("unknown pass 'fold-everything'"), std::string::npos);
    o = {};
    o.static_shapes = {{"nope", {1, 2}}};
    r = tools::optimize(a, out, o);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'nope', which is not an input of " + a), std::string::npos);
    auto passes = tools::list_passes();
    EXPECT_TRUE(std::any_of(passes.begin(), passes.end(), [](const auto& p) { return p.name == "fold-batchnorm"; }));
    for (const auto& p : passes) EXPECT_FALSE(p.summary.empty()) << p.name;
}

TEST(ToolsOptimize, StaticShapeFoldsShapeChainsAndDynamicBatchKeepsAxes) {
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
    tools::OptimizeOptions o;
    o.static_shapes = {{"x", {2, 3, 4, 4}}};
    auto r = tools::optimize(a, out, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->passes[0].name, "fix-input-shapes");
    EXPECT_EQ(r->nodes_after, 1);
    auto m = model::load_model(out);
    ASSERT_TRUE(m.is_ok());
    EXPECT_EQ(m->graph.inputs[0].shape.to_string(), "2 x 3 x 4 x 4");
    EXPECT_EQ(m->graph.outputs[0].shape.to_string(), "2 x 48");  // the declared [batch x 48] follows the input
    // Without fixed shapes the symbolic batch survives and the chain stays.
    std::string out2 = (temp_dir() / "dyn.opt.onnx").string();
    r = tools::optimize(a, out2);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->nodes_after, 5);
    EXPECT_EQ(model::load_model(out2)->graph.inputs[0].shape.to_string(), "batch x 3 x 4 x 4");
    // dynamic_batch on a fixed-batch model: batch becomes symbolic and batch 2 is checked.
    ModelBuilder f;
    f.input("x", {1, 3, 4, 4}).output("y").node("Relu", {"x"}, {"y"}, "relu");
    ir::Model fixed = f.build();
    fixed.graph.outputs[0].shape = ir::Shape::of({1, 3, 4, 4});
    std::string fo = (temp_dir() / "fixed.dyn.onnx").string();
    o = {};
    o.dynamic_batch = true;
    r = tools::optimize(save(fixed, "fixed.onnx"), fo, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->ok());
    auto m3 = model::load_model(fo);
    EXPECT_EQ(m3->graph.inputs[0].shape.to_string(), "batch x 3 x 4 x 4");
    EXPECT_EQ(m3->graph.outputs[0].shape.to_string(), "batch x 3 x 4 x 4");
}

// Dynamic height and width: verification must not feed 1x1 images to a Conv whose (dilated) kernel is larger.
TEST(ToolsOptimize, DynamicSpatialDimsVerifyAtUsableShapes) {
    ModelBuilder b;
    b.input("x", {-1, 3, -1, -1}).output("y");
    b.init("w", random_tensor({4, 3, 3, 3}, 1)).init("b", random_tensor({4}, 2));
    b.node("Conv", {"x", "w", "b"}, {"c"}, "conv", {attr_is("dilations", {2, 2})});
    b.node("Relu", {"c"}, {"r"}, "relu");
    b.node("GlobalAveragePool", {"r"}, {"y"}, "pool");
    ir::Model m = b.build();
    std::vector<ir::Dim>& dims = m.graph.inputs[0].shape.dims;
    dims[0] = ir::Dim::symbolic("batch");
    dims[2] = ir::Dim::symbolic("height");
    dims[3] = ir::Dim::symbolic("width");
    const std::string a = save(m, "dyn_hw.onnx");
    const std::string out = (temp_dir() / "dyn_hw.opt.onnx").string();
    auto r = tools::optimize(a, out);  // default: 224 for the dynamic spatial dims
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->ok());
    // --verify-shape wins: too small a shape shows it is the one used.
    tools::OptimizeOptions o;
    o.verify_shapes = {{"x", {1, 3, 2, 2}}};
    r = tools::optimize(a, out, o);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("the original model does not run"), std::string::npos) << r.status().message();
    o.verify_shapes = {{"x", {2, 3, 9, 7}}};
    r = tools::optimize(a, out, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    // A profile's opt shape, and the sidecar's input_shape, are used the same way.
    o = {};
    o.verify_profiles = {{{{"x", {1, 3, 1, 1}, {1, 3, 2, 2}, {1, 3, 64, 64}}}}};
    EXPECT_FALSE(tools::optimize(a, out, o).is_ok());
    o.verify_profiles = {{{{"x", {1, 3, 8, 8}, {1, 3, 16, 16}, {1, 3, 64, 64}}}}};
    EXPECT_TRUE(tools::optimize(a, out, o).is_ok());
    std::ofstream((temp_dir() / "dyn_hw.json").string()) << R"({"input": "x", "input_shape": [1, 3, 2, 2]})";
    r = tools::optimize(a, out);
    ASSERT_FALSE(r.is_ok());  // the sidecar's shape (2x2) was used
    std::ofstream((temp_dir() / "dyn_hw.json").string()) << R"({"input": "x", "input_shape": [1, 3, 12, 12]})";
    r = tools::optimize(a, out);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
}

TEST(ToolsOptimize, OpsetConversionAndOldIrVersion) {
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
    std::string out = (temp_dir() / "old.opt.onnx").string();
    tools::OptimizeOptions o;
    o.opset = 13;
    auto r = tools::optimize(save(m, "old.onnx"), out, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->passes[0].name, "upgrade-ir-version");
    EXPECT_EQ(r->passes[1].name, "convert-opset");
    EXPECT_TRUE(r->passes[1].changed);
    EXPECT_EQ(r->passes[1].note, "opset 11 -> 13");
    EXPECT_EQ(r->nodes_after, 2);  // the BatchNormalization folded once its statistics are constants
    auto opt = model::load_model(out);
    ASSERT_TRUE(opt.is_ok());
    EXPECT_EQ(opt->opset_version(""), 13);
    EXPECT_GE(opt->ir_version, 4);
    EXPECT_EQ(opt->graph.runtime_inputs().size(), 1u);
}

TEST(ToolsOptimize, Resnet18KeepsOutputsAndCompareFindsAPlantedFault) {
    std::string out = (temp_dir() / "resnet18_bn.opt.onnx").string();
    auto r = tools::optimize(cache("resnet18_bn.onnx"), out);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_LE(r->nodes_after, r->nodes_before - 20);  // 20 BatchNorms folded
    ASSERT_TRUE(r->final_check);
    EXPECT_TRUE(r->final_check->ok);
    EXPECT_TRUE(r->ok());
    EXPECT_TRUE(r->reverted.empty());
    auto before = model::load_model(cache("resnet18_bn.onnx"));
    auto after = model::load_model(out);
    ASSERT_TRUE(before.is_ok() && after.is_ok());
    EXPECT_EQ(count_op(after.value(), "BatchNormalization"), 0);
    EXPECT_EQ(after->graph.inputs[0].shape.to_string(), before->graph.inputs[0].shape.to_string());  // dynamic batch
    EXPECT_LE(max_output_diff(before.value(), after.value(), 2), 1e-3);
    auto c = tools::compare(cache("resnet18_bn.onnx"), out);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_TRUE(c->match());
    ir::Model bad = before.value();
    std::string victim;
    int convs = 0;
    for (const ir::Node& n : bad.graph.nodes)
        if (n.op_type == "Conv" && ++convs == 10) victim = n.name;
    ASSERT_FALSE(victim.empty());
    negate_initializer(bad, node_named(bad, victim).inputs[1]);
    std::string b = save(bad, "resnet18_fault.onnx");
    for (bool bisect : {false, true}) {
        tools::CompareOptions o;
        o.bisect = bisect;
        auto f = tools::compare(cache("resnet18_bn.onnx"), b, o);
        ASSERT_TRUE(f.is_ok()) << f.status().to_string();
        ASSERT_FALSE(f->match());
        EXPECT_EQ(f->first_mismatch->node, victim) << "bisect " << bisect;
    }
}

}  // namespace
}  // namespace edgeinfer::testing

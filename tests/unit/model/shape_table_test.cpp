// edgeinfer's shape table (model/shape_table.hpp): nodes of opsets 18-21 that libonnx 1.12 has no schema
// for get their outputs' shapes from the table, alternating with ONNX's inference for the nodes between
// them; `inspect --check` says which check covered which nodes and fails naming a node whose inputs
// contradict its rule.
#include "model/shape_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "../kernels/kernel_test_util.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::testing {
namespace {

// The inferred type of an intermediate value or a graph output.
const ir::ValueInfo* info(const ir::Model& m, const std::string& name) {
    for (const auto* list : {&m.graph.value_info, &m.graph.outputs})
        for (const ir::ValueInfo& v : *list)
            if (v.name == name) return &v;
    return nullptr;
}

// x [2, 3] -> Reshape-21 (ONNX, older schema) -> Relu (ONNX) -> ReduceMean-18 axes [1] (table) ->
// Unsqueeze-21 (ONNX, needs the table's result) -> Sigmoid (ONNX) -> y.
ModelBuilder chain(const std::vector<int64_t>& target, int64_t axis = 1) {
    ModelBuilder b(21);
    b.input("x", {2, 3}).output("y");
    b.m.graph.outputs[0].shape = ir::Shape::of({1, target[0]});  // the ONNX checker wants output shapes
    b.init("shape", int64s_shaped({static_cast<int64_t>(target.size())}, target))
        .init("axes", int64s_shaped({1}, {axis}))
        .init("uaxes", int64s_shaped({1}, {0}));
    b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
    b.node("Relu", {"r"}, {"a"}, "relu");
    b.node("ReduceMean", {"a", "axes"}, {"m"}, "mean", {attr_i("keepdims", 0)});
    b.node("Unsqueeze", {"m", "uaxes"}, {"u"}, "unsq");
    b.node("Sigmoid", {"u"}, {"y"}, "sig");
    return b;
}

TEST(ShapeTable, AlternatesWithOnnxInference) {
    EXPECT_TRUE(model::shape_table_takes("ReduceMean", 18));  // axes became an input
    EXPECT_FALSE(model::shape_table_takes("ReduceMean", 17));
    EXPECT_FALSE(model::shape_table_takes("Reshape", 21));  // 21 only added types: ONNX's inference applies
    EXPECT_FALSE(model::shape_table_takes("Relu", 21));
    EXPECT_TRUE(model::shape_table_takes("StringConcat", 20));  // new: libonnx 1.12 has no schema
    ir::Model m = chain({3, 2}).build();                        // model::infer_shapes
    for (const auto& [name, dims] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
             {"r", {3, 2}}, {"a", {3, 2}}, {"m", {3}}, {"u", {1, 3}}}) {
        const ir::ValueInfo* v = info(m, name);
        ASSERT_NE(v, nullptr) << name;
        EXPECT_EQ(v->dtype, DataType::kFloat32) << name;
        EXPECT_EQ(v->shape, ir::Shape::of(dims)) << name << ": " << v->shape.to_string();
    }
}

TEST(ShapeTable, ReduceWithAxesNotConstantKeepsTheRankWhenKeepdims) {
    ModelBuilder b(18);
    b.input("x", {2, 1, 3}).input("axes", {1}, DataType::kInt64).output("k").output("d");
    b.node("ReduceMax", {"x", "axes"}, {"k"}, "keep");
    b.node("ReduceMax", {"x", "axes"}, {"d"}, "drop", {attr_i("keepdims", 0)});
    ir::Model m = b.build();
    ASSERT_NE(info(m, "k"), nullptr);
    const ir::Shape& k = info(m, "k")->shape;
    ASSERT_EQ(k.rank(), 3) << k.to_string();  // each dim is its own or 1: only the 1 is certain
    EXPECT_FALSE(k.dims[0].is_known());
    EXPECT_EQ(k.dims[1], ir::Dim::known(1));
    EXPECT_FALSE(k.dims[2].is_known());
    EXPECT_TRUE(info(m, "d") == nullptr || !info(m, "d")->shape.has_rank);  // the rank depends on the axes
}

TEST(ShapeTable, PadWithPadsNotConstantOrASymbolicDimKeepsTheRank) {
    ModelBuilder b(18);
    b.input("x", {-1, 3, 4}).input("p", {2}, DataType::kInt64).output("v").output("s");
    b.init("axes", int64s_shaped({1}, {2})).init("pads", int64s_shaped({6}, {1, 0, 0, 1, 0, 2}));
    b.node("Pad", {"x", "p", "", "axes"}, {"v"}, "runtime_pads");
    b.node("Pad", {"x", "pads"}, {"s"}, "const_pads");
    ir::Model m = b.build();
    ASSERT_NE(info(m, "v"), nullptr);
    const ir::Shape& v = info(m, "v")->shape;  // axis 2 padded by amounts known only when running
    ASSERT_EQ(v.rank(), 3) << v.to_string();
    EXPECT_EQ(v.dims[0], ir::Dim::symbolic("batch"));
    EXPECT_EQ(v.dims[1], ir::Dim::known(3));
    EXPECT_FALSE(v.dims[2].is_known());
    const ir::Shape& s = info(m, "s")->shape;  // batch + 2 is no longer "batch"
    ASSERT_EQ(s.rank(), 3) << s.to_string();
    EXPECT_FALSE(s.dims[0].is_known());
    EXPECT_NE(s.dims[0], ir::Dim::symbolic("batch"));
    EXPECT_EQ(s.dims[1], ir::Dim::known(3));
    EXPECT_EQ(s.dims[2], ir::Dim::known(6));
}

TEST(ShapeTable, SplitWithSizesNotConstantKeepsTheOtherDims) {
    ModelBuilder b(18);
    b.input("x", {4, -1}).input("sizes", {2}, DataType::kInt64).output("a").output("b");
    b.node("Split", {"x", "sizes"}, {"a", "b"}, "split", {attr_i("axis", 0)});
    ir::Model m = b.build();
    for (const char* name : {"a", "b"}) {
        ASSERT_NE(info(m, name), nullptr) << name;
        const ir::Shape& s = info(m, name)->shape;
        ASSERT_EQ(s.rank(), 2) << name << ": " << s.to_string();
        EXPECT_FALSE(s.dims[0].is_known()) << name;
        EXPECT_EQ(s.dims[1], ir::Dim::symbolic("batch")) << name;
    }
}

TEST(ShapeTable, TypesFloat8CastsAndStringSplits) {
    ModelBuilder b(20);
    b.input("x", {4, 2}).input("s", {5}, DataType::kString).output("q", DataType::kFloat8E5M2);
    b.output("parts", DataType::kString).output("n", DataType::kInt64);
    b.node("Cast", {"x"}, {"q"}, "cast", {attr_i("to", 19)});
    b.node("StringSplit", {"s"}, {"parts", "n"}, "split");
    ir::Model m = b.build();
    ASSERT_NE(info(m, "q"), nullptr);
    EXPECT_EQ(info(m, "q")->dtype, DataType::kFloat8E5M2);
    EXPECT_EQ(info(m, "q")->shape, ir::Shape::of({4, 2}));
    ASSERT_NE(info(m, "parts"), nullptr);
    EXPECT_EQ(info(m, "parts")->shape.rank(), 2);
    EXPECT_EQ(info(m, "n")->shape, ir::Shape::of({5}));
}

std::string save(const ir::Model& m, const std::string& name) {
    const std::string path = (std::filesystem::temp_directory_path() / name).string();
    EXPECT_TRUE(model::save_model(m, path).is_ok());
    return path;
}

const tools::ModelInfo::Check* find_check(const tools::ModelInfo& info, const std::string& name) {
    for (const auto& c : info.checks)
        if (c.check == name) return &c;
    return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(InspectCheck, SaysWhichCheckCoveredWhichNodes) {
    ModelBuilder b = chain({3, 2});
    b.m.graph.outputs.push_back({"c", DataType::kFloat32, ir::Shape::of({1, 1, 2, 2}), {}});
    // Col2Im (new in opset 18) whose image and block shapes are runtime inputs of unknown length: its rule
    // cannot tell even the output's rank, so no check covers it.
    b.input("cols", {1, 4, -1}).input("isz", {-1}, DataType::kInt64).input("bsz", {-1}, DataType::kInt64);
    b.node("Col2Im", {"cols", "isz", "bsz"}, {"c"}, "col2im");
    const std::string path = save(b.m, "edgeinfer_shape_table_check.onnx");
    auto r = tools::inspect(path, true);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const auto* checker = find_check(*r, "onnx-checker");
    const auto* onnx = find_check(*r, "onnx-shape-inference");
    const auto* table = find_check(*r, "edgeinfer-shape-table");
    const auto* uncovered = find_check(*r, "not-covered");
    ASSERT_TRUE(checker && onnx && table && uncovered);
    EXPECT_NE(checker->result.find("ok on the nodes libonnx 1.12 knows"), std::string::npos) << checker->result;
    for (const char* n : {"Reshape 'reshape'", "Relu 'relu'", "Unsqueeze 'unsq'", "Sigmoid 'sig'"})
        EXPECT_TRUE(has(onnx->nodes, n)) << n;
    EXPECT_EQ(table->nodes, (std::vector<std::string>{"ReduceMean 'mean'"}));
    ASSERT_EQ(uncovered->nodes.size(), 1u);
    EXPECT_NE(uncovered->nodes[0].find("Col2Im 'col2im': input shapes unknown"), std::string::npos)
        << uncovered->nodes[0];
    const std::string text = tools::format_text(*r);
    EXPECT_NE(text.find("check edgeinfer-shape-table: inferred (1 nodes: ReduceMean 'mean')"), std::string::npos)
        << text;

    ModelBuilder old(13);
    old.input("x", {2}).output("y");
    old.m.graph.outputs[0].shape = ir::Shape::of({2});
    old.node("Relu", {"x"}, {"y"}, "relu");
    auto o = tools::inspect(save(old.m, "edgeinfer_shape_table_old.onnx"), true);
    ASSERT_TRUE(o.is_ok()) << o.status().to_string();
    ASSERT_EQ(o->checks.size(), 1u);
    EXPECT_EQ(o->checks[0].check, "onnx-checker");
    EXPECT_EQ(o->checks[0].nodes, (std::vector<std::string>{"Relu 'relu'"}));
}

// One node of each spatial operator whose opset 18-20 schema libonnx 1.12 lacks: the table covers them all.
TEST(InspectCheck, CoversTheSpatialOperatorsOfOpsets18To20) {
    ModelBuilder b(20);
    auto out = [&](const std::string& name, const std::vector<int64_t>& dims) {
        b.m.graph.outputs.push_back({name, DataType::kFloat32, ir::Shape::of(dims), {}});
    };
    b.input("x", {1, 2, 4, 5}).input("cols", {1, 8, 12}).input("sig", {2, 8, 1}).input("grid", {1, 3, 3, 2});
    b.input("theta", {1, 2, 3}).input("off", {1, 18, 2, 3}).input("sizes", {2}, DataType::kInt64);
    b.init("scales", floats({4}, {1, 1, 2, 2})).init("image", int64s_shaped({2}, {4, 5}));
    b.init("block", int64s_shaped({2}, {2, 2})).init("crop", int64s_shaped({2}, {3, 3}));
    b.init("w", random_tensor({3, 2, 3, 3}, 1)).init("size", int64s_shaped({4}, {1, 2, 4, 5}));
    b.node("Resize", {"x", "", "scales"}, {"r1"}, "resize_scales", {attr_s("mode", "linear")});
    b.node("Resize", {"x", "", "", "sizes"}, {"r2"}, "resize_sizes",
           {attr_is("axes", {2, 3}), attr_s("keep_aspect_ratio_policy", "not_smaller")});
    b.node("LpPool", {"x"}, {"lp"}, "lppool", {attr_is("kernel_shape", {2, 2}), attr_i("ceil_mode", 1)});
    b.node("AveragePool", {"x"}, {"avg"}, "avgpool", {attr_is("kernel_shape", {2, 2}), attr_is("dilations", {2, 2})});
    b.node("DFT", {"sig"}, {"dft"}, "dft", {attr_i("onesided", 1)});
    b.node("GridSample", {"x", "grid"}, {"gs"}, "gridsample");
    b.node("Col2Im", {"cols", "image", "block"}, {"c2i"}, "col2im");
    b.node("CenterCropPad", {"x", "crop"}, {"ccp"}, "ccp", {attr_is("axes", {-2, -1})});
    b.node("DeformConv", {"x", "w", "off"}, {"dc"}, "deform");
    b.node("AffineGrid", {"theta", "size"}, {"ag"}, "affine");
    out("r1", {1, 2, 8, 10});
    ir::Shape r2 = ir::Shape::of({1, 2, 1, 1});
    r2.dims[2] = r2.dims[3] = ir::Dim::unknown();  // sizes is a runtime input
    b.m.graph.outputs.push_back({"r2", DataType::kFloat32, r2, {}});
    out("lp", {1, 2, 3, 4});
    out("avg", {1, 2, 2, 3});
    out("dft", {2, 5, 2});
    out("gs", {1, 2, 3, 3});
    out("c2i", {1, 2, 4, 5});
    out("ccp", {1, 2, 3, 3});
    out("dc", {1, 3, 2, 3});
    out("ag", {1, 4, 5, 2});
    auto r = tools::inspect(save(b.m, "edgeinfer_shape_table_spatial.onnx"), true);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(find_check(*r, "not-covered"), nullptr) << tools::format_text(*r);
    const auto* table = find_check(*r, "edgeinfer-shape-table");
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->nodes.size(), 10u) << tools::format_text(*r);
    for (const char* n : {"Resize 'resize_scales'", "Resize 'resize_sizes'", "LpPool 'lppool'", "AveragePool 'avgpool'",
                          "DFT 'dft'", "GridSample 'gridsample'", "Col2Im 'col2im'", "CenterCropPad 'ccp'",
                          "DeformConv 'deform'", "AffineGrid 'affine'"})
        EXPECT_TRUE(has(table->nodes, n)) << n;
}

TEST(InspectCheck, ATableRuleNamesTheNodeWhoseInputsContradictIt) {
    const std::string path = save(chain({3, 2}, 5).m, "edgeinfer_shape_table_bad.onnx");  // axis 5 of a rank-2 value
    auto r = tools::inspect(path, true);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("ReduceMean 'mean': axis 5 is out of range for rank 2"), std::string::npos)
        << r.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

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
    b.init("isz", int64s_shaped({2}, {2, 2})).init("bsz", int64s_shaped({2}, {1, 1}));
    b.node("Col2Im", {"x", "isz", "bsz"}, {"c"}, "col2im");  // new in opset 18, no rule in the table
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
    EXPECT_NE(uncovered->nodes[0].find("Col2Im 'col2im': no rule for Col2Im at opset 21"), std::string::npos);
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

TEST(InspectCheck, ATableRuleNamesTheNodeWhoseInputsContradictIt) {
    const std::string path = save(chain({3, 2}, 5).m, "edgeinfer_shape_table_bad.onnx");  // axis 5 of a rank-2 value
    auto r = tools::inspect(path, true);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("ReduceMean 'mean': axis 5 is out of range for rank 2"), std::string::npos)
        << r.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

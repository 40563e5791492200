// Structural, negative and numeric tests of the cleanup passes: no-op, dead-node and
// unused-initializer elimination, constant folding, duplicate merging, denormal flushing,
// shape inference.
#include <gtest/gtest.h>

#include <cfloat>

#include "pass_test_util.hpp"
#include "passes/constant_folding.hpp"
#include "passes/dead_node_elimination.hpp"
#include "passes/denormal_flushing.hpp"
#include "passes/duplicate_initializers.hpp"
#include "passes/noop_elimination.hpp"
#include "passes/shape_inference.hpp"
#include "passes/unused_initializers.hpp"
#include "runtime/graph_optimizer.hpp"

namespace edgeinfer::testing {
namespace {

using passes::fold_constants;

ir::Model noop_chain() {
    ModelBuilder b;
    b.input("x", {2, 3, 4, 4}).output("y");
    b.init("shape", int64s({-1, 3, 4, 4}));
    b.node("Relu", {"x"}, {"r"}, "relu1");
    b.node("Identity", {"r"}, {"i"}, "id");
    b.node("Dropout", {"i"}, {"d"}, "drop");
    b.node("Cast", {"d"}, {"c"}, "cast", {attr_i("to", 1)});
    b.node("Transpose", {"c"}, {"t"}, "tr", {attr_is("perm", {0, 1, 2, 3})});
    b.node("Reshape", {"t", "shape"}, {"s"}, "reshape");
    b.node("Relu", {"s"}, {"y"}, "relu2");
    return b.build();
}

TEST(EliminateNoops, RemovesEveryKind) {
    ir::Model before = noop_chain();
    ir::Model m = before;
    ASSERT_TRUE(passes::eliminate_noops(m));
    ASSERT_EQ(m.graph.nodes.size(), 2u);
    EXPECT_EQ(m.graph.nodes[0].name, "relu1");
    EXPECT_EQ(m.graph.nodes[1].name, "relu2");
    EXPECT_EQ(m.graph.nodes[1].inputs[0], "r");
    EXPECT_EQ(max_output_diff(before, m), 0.0);
    EXPECT_FALSE(passes::eliminate_noops(m));
}

TEST(EliminateNoops, KeepsGraphOutputNameByRenamingProducer) {
    ModelBuilder b;
    b.input("x", {2, 3}).output("y");
    b.node("Relu", {"x"}, {"r"}, "relu").node("Identity", {"r"}, {"y"}, "id");
    ir::Model m = b.build();
    ASSERT_TRUE(passes::eliminate_noops(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_EQ(m.graph.nodes[0].outputs[0], "y");
    EXPECT_EQ(m.graph.outputs[0].name, "y");
}

TEST(EliminateNoops, NearMissesStay) {
    ModelBuilder b;
    b.input("x", {2, 3, 4, 5}).output("y").output("mask", DataType::kBool).output("z");
    b.init("shape", int64s({2, 3, 20}));
    b.node("Cast", {"x"}, {"c"}, "cast", {attr_i("to", 11)});                 // float → double
    b.node("Cast", {"c"}, {"c2"}, "cast_back", {attr_i("to", 1)});
    b.node("Transpose", {"c2"}, {"t"}, "tr", {attr_is("perm", {0, 2, 1, 3})});  // not identity
    b.node("Reshape", {"t", "shape"}, {"s"}, "reshape");                        // other shape
    b.node("Dropout", {"s"}, {"y", "mask"}, "drop");                            // mask is used
    b.node("Identity", {"x"}, {"z"}, "id");  // graph input straight to graph output
    ir::Model before = b.build();
    ir::Model m = before;
    EXPECT_FALSE(passes::eliminate_noops(m));
    EXPECT_EQ(m.graph.nodes.size(), before.graph.nodes.size());
}

TEST(EliminateNoops, DropoutInTrainingModeStays) {
    ModelBuilder b;
    b.input("x", {2, 3}).output("y");
    b.init("ratio", Tensor::from_vector<float>(DataType::kFloat32, {}, {0.5f}));
    b.init("train", Tensor::from_vector<uint8_t>(DataType::kBool, {}, {1}));
    b.node("Dropout", {"x", "ratio", "train"}, {"d"}, "drop").node("Relu", {"d"}, {"y"});
    ir::Model m = b.build();
    EXPECT_FALSE(passes::eliminate_noops(m));
}

TEST(EliminateDeadNodes, RemovesBranchesThatReachNoOutput) {
    ModelBuilder b;
    b.input("x", {2, 3}).output("y");
    b.node("Relu", {"x"}, {"y"}, "keep");
    b.node("Sigmoid", {"x"}, {"a"}, "dead1").node("Neg", {"a"}, {"b"}, "dead2");
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(passes::eliminate_dead_nodes(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_EQ(m.graph.nodes[0].name, "keep");
    EXPECT_EQ(m.graph.find_value_info("a"), nullptr);
    EXPECT_EQ(max_output_diff(before, m), 0.0);
}

TEST(EliminateDeadNodes, KeepsValuesReadBySubgraphs) {
    ModelBuilder b;
    b.input("x", {2}).input("cond", {}, DataType::kBool).output("y");
    b.node("Neg", {"x"}, {"n"}, "outer_neg");  // read only inside the If branches
    auto branch = [](const std::string& out) {
        auto g = std::make_shared<ir::Graph>();
        g->name = out;
        ir::Node n;
        n.op_type = "Identity";
        n.name = out + "_id";
        n.inputs = {"n"};
        n.outputs = {out};
        g->nodes.push_back(n);
        g->outputs.push_back({out, DataType::kFloat32, ir::Shape::of({2}), {}});
        return g;
    };
    ir::Attribute then_a, else_a;
    then_a.name = "then_branch";
    then_a.kind = ir::Attribute::Kind::kGraph;
    then_a.g = branch("t");
    else_a.name = "else_branch";
    else_a.kind = ir::Attribute::Kind::kGraph;
    else_a.g = branch("e");
    b.node("If", {"cond"}, {"y"}, "branch", {then_a, else_a});
    ir::Model m = b.build();
    EXPECT_FALSE(passes::eliminate_dead_nodes(m));
    EXPECT_EQ(m.graph.nodes.size(), 2u);
}

TEST(EliminateUnusedInitializers, DropsOnlyUnreadOnes) {
    ModelBuilder b;
    b.input("x", {2, 3}).input("opt", {3}).output("y");
    b.init("w", random_tensor({3}, 1)).init("unused", random_tensor({5}, 2)).init("opt", random_tensor({3}, 3));
    b.node("Add", {"x", "w"}, {"y"}, "add");
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(passes::eliminate_unused_initializers(m));
    EXPECT_EQ(m.graph.find_initializer("unused"), nullptr);
    EXPECT_NE(m.graph.find_initializer("w"), nullptr);
    EXPECT_NE(m.graph.find_initializer("opt"), nullptr);  // also a graph input: part of the interface
    EXPECT_EQ(max_output_diff(before, m), 0.0);
    EXPECT_FALSE(passes::eliminate_unused_initializers(m));
}

// Shape→Gather→Unsqueeze→Concat→Reshape, the flatten pattern of torch.onnx exports.
ir::Model shape_chain(int64_t batch_dim) {
    ModelBuilder b;
    b.input("x", {batch_dim, 3, 4, 4}).output("y");
    b.init("zero", Tensor::from_vector<int64_t>(DataType::kInt64, {}, {0}));
    b.init("minus_one", int64s({-1}));
    b.init("axes0", int64s({0}));
    b.node("Shape", {"x"}, {"shape"}, "shape");
    b.node("Gather", {"shape", "zero"}, {"n"}, "gather", {attr_i("axis", 0)});
    b.node("Unsqueeze", {"n", "axes0"}, {"n1"}, "unsqueeze");
    b.node("Concat", {"n1", "minus_one"}, {"target"}, "concat", {attr_i("axis", 0)});
    b.node("Reshape", {"x", "target"}, {"y"}, "flatten");
    return b.build();
}

TEST(FoldConstants, FoldsStaticShapeChains) {
    ir::Model before = shape_chain(2);
    ir::Model m = before;
    ASSERT_TRUE(fold_constants(m, runtime::cpu_node_evaluator()));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_EQ(m.graph.nodes[0].name, "flatten");
    const Tensor* target = m.graph.find_initializer("target");
    ASSERT_NE(target, nullptr);
    EXPECT_EQ(std::vector<int64_t>(target->data_as<int64_t>(), target->data_as<int64_t>() + 2),
              (std::vector<int64_t>{2, -1}));
    EXPECT_EQ(max_output_diff(before, m), 0.0);
}

TEST(FoldConstants, KeepsShapesOfSymbolicDims) {
    ir::Model m = shape_chain(-1);
    EXPECT_FALSE(fold_constants(m, runtime::cpu_node_evaluator()));
    EXPECT_EQ(m.graph.nodes.size(), 5u);
}

TEST(FoldConstants, ConstantNodesWithoutEvaluatorAndNeverRandomOrOutputs) {
    ModelBuilder b;
    b.input("x", {2, 3}).output("y").output("direct");
    ir::Attribute v;
    v.name = "value";
    v.kind = ir::Attribute::Kind::kTensor;
    v.t = random_tensor({3}, 4);
    b.node("Constant", {}, {"c"}, "const", {v});
    b.node("Constant", {}, {"direct"}, "const_out", {v});  // a graph output: stays a node
    b.node("RandomNormal", {}, {"noise"}, "noise", {attr_is("shape", {2, 3})});
    b.node("Mul", {"noise", "c"}, {"scaled"}, "mul");
    b.node("Add", {"x", "c"}, {"y"}, "add");
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(fold_constants(m, nullptr));
    EXPECT_NE(m.graph.find_initializer("c"), nullptr);
    EXPECT_NE(find_node(m, "const_out"), nullptr);
    EXPECT_NE(find_node(m, "noise"), nullptr);
    EXPECT_NE(find_node(m, "mul"), nullptr);
    EXPECT_EQ(find_node(m, "const"), nullptr);
}

TEST(FoldConstants, EvaluatesAnyConstantSubgraphAndMatchesNumerically) {
    ModelBuilder b;
    b.input("x", {2, 4}).output("y");
    b.init("w", random_tensor({4, 4}, 5)).init("s", random_tensor({4}, 6));
    b.node("Transpose", {"w"}, {"wt"}, "transpose_w", {attr_is("perm", {1, 0})});
    b.node("Mul", {"wt", "s"}, {"ws"}, "scale_w");
    b.node("MatMul", {"x", "ws"}, {"y"}, "mm");
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(fold_constants(m, runtime::cpu_node_evaluator()));
    EXPECT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_NE(m.graph.find_initializer("ws"), nullptr);
    EXPECT_LE(max_output_diff(before, m), 1e-6);
}

TEST(FoldConstants, SizeLimitKeepsBigExpansions) {
    ModelBuilder b;
    b.input("x", {1}).output("y");
    b.init("big_shape", int64s({1024, 1024}));
    b.node("ConstantOfShape", {"big_shape"}, {"zeros"}, "zeros");
    b.node("Add", {"zeros", "x"}, {"y"}, "add");
    ir::Model m = b.build();
    EXPECT_FALSE(fold_constants(m, runtime::cpu_node_evaluator()));
}

TEST(MergeDuplicateInitializers, MergesEqualBytesOnly) {
    ModelBuilder b;
    b.input("x", {4}).output("y");
    Tensor w = random_tensor({4}, 8);
    b.init("w1", w.clone()).init("w2", w.clone()).init("w3", w.clone().reshaped({2, 2}));
    b.init("w4", random_tensor({4}, 9));
    b.node("Add", {"x", "w1"}, {"a"}, "a1").node("Add", {"a", "w2"}, {"b"}, "a2");
    b.node("Reshape", {"w3", "shape"}, {"w3f"}, "r").init("shape", int64s({4}));
    b.node("Add", {"b", "w3f"}, {"c"}, "a3").node("Add", {"c", "w4"}, {"y"}, "a4");
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(passes::merge_duplicate_initializers(m));
    EXPECT_EQ(find_node(m, "a2")->inputs[1], "w1");
    EXPECT_EQ(m.graph.find_initializer("w2"), nullptr);
    EXPECT_NE(m.graph.find_initializer("w3"), nullptr);  // same bytes, other dims
    EXPECT_NE(m.graph.find_initializer("w4"), nullptr);
    EXPECT_EQ(max_output_diff(before, m), 0.0);
    EXPECT_FALSE(passes::merge_duplicate_initializers(m));
}

TEST(FlushDenormals, CountsAndFlushesOnlySubnormals) {
    ModelBuilder b;
    b.input("x", {4}).output("y");
    Tensor w = Tensor::from_vector<float>(DataType::kFloat32, {4}, {1e-40f, -1e-42f, FLT_MIN, 0.5f});
    b.init("w", w).node("Mul", {"x", "w"}, {"y"}, "mul");
    ir::Model before = b.build();
    ir::Model m = before;
    int64_t n = 0;
    ASSERT_TRUE(passes::flush_denormals(m, &n));
    EXPECT_EQ(n, 2);
    const float* v = m.graph.find_initializer("w")->data_as<float>();
    EXPECT_EQ(v[0], 0.0f);
    EXPECT_TRUE(std::signbit(v[1]));
    EXPECT_EQ(v[2], FLT_MIN);
    EXPECT_EQ(w.data_as<float>()[0], 1e-40f);  // the original tensor is not written
    EXPECT_LE(max_output_diff(before, m), 1e-30);
    EXPECT_FALSE(passes::flush_denormals(m, &n));
    EXPECT_EQ(n, 0);
}

TEST(InferShapes, AnnotatesKeepingSymbolicDims) {
    ModelBuilder b;
    b.input("x", {-1, 3, 8, 8}).output("y");
    b.init("w", random_tensor({4, 3, 3, 3}, 1));
    b.node("Conv", {"x", "w"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})}).node("Relu", {"c"}, {"y"}, "relu");
    ir::Model m = b.m;  // no annotations yet
    ASSERT_TRUE(passes::infer_shapes(m));
    const ir::ValueInfo* c = m.graph.find_value_info("c");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->shape.to_string(), "batch x 4 x 8 x 8");
    EXPECT_FALSE(passes::infer_shapes(m));
    EXPECT_EQ(m.graph.inputs[0].shape.dims[0].symbol, "batch");
}

}  // namespace
}  // namespace edgeinfer::testing

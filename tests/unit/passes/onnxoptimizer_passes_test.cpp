// Structural, negative and numeric tests of the passes onnxoptimizer users rely on: Conv + per-channel
// constant Add folded into the bias, consecutive Concats merged, no-op Flatten and Reshape (named dims)
// eliminated.
#include <gtest/gtest.h>

#include "pass_test_util.hpp"
#include "passes/concat_merging.hpp"
#include "passes/conv_bias_folding.hpp"
#include "passes/noop_elimination.hpp"
#include "passes/shape_inference.hpp"

namespace edgeinfer::testing {
namespace {

ir::ValueInfo float_value(const std::string& name) {
    ir::ValueInfo v;
    v.name = name;
    v.dtype = DataType::kFloat32;
    return v;
}

// Conv(x, w[, b]) -> Add(conv, c) (or Add(c, conv)) with c of dims `c_dims`.
ir::Model conv_add(bool with_bias, const std::vector<int64_t>& c_dims, bool conv_first = true) {
    ModelBuilder b;
    b.input("x", {-1, 3, 8, 8}).output("y");
    b.init("w", random_tensor({6, 3, 3, 3}, 1));
    std::vector<std::string> ins = {"x", "w"};
    if (with_bias) {
        b.init("b", random_tensor({6}, 2));
        ins.push_back("b");
    }
    b.init("c", random_tensor(c_dims, 3));
    b.node("Conv", ins, {"conv_out"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", conv_first ? std::vector<std::string>{"conv_out", "c"} : std::vector<std::string>{"c", "conv_out"},
           {"y"}, "add");
    return b.build();
}

TEST(FoldConvAddBias, PerChannelConstantsBecomeTheBias) {
    const std::vector<std::vector<int64_t>> shapes = {{6, 1, 1}, {1, 6, 1, 1}, {1}, {}, {1, 1, 1}};
    for (bool bias : {true, false})
        for (const auto& dims : shapes)
            for (bool conv_first : {true, false}) {
                ir::Model before = conv_add(bias, dims, conv_first);
                ir::Model m = before;
                ASSERT_TRUE(passes::fold_conv_add_bias(m)) << bias << " " << dims.size();
                ASSERT_EQ(m.graph.nodes.size(), 1u);
                const ir::Node& conv = m.graph.nodes[0];
                EXPECT_EQ(conv.name, "conv");  // the Conv keeps its name and takes the Add's output
                EXPECT_EQ(conv.outputs[0], "y");
                ASSERT_EQ(conv.inputs.size(), 3u);
                EXPECT_EQ(m.graph.find_initializer(conv.inputs[2])->dims(), (std::vector<int64_t>{6}));
                EXPECT_LE(max_output_diff(before, m), 1e-5) << bias << " " << dims.size();
            }
}

TEST(FoldConvAddBias, NearMissesStay) {
    // Not per channel: varies over space, or over a batch dim, or has the wrong channel count.
    for (const std::vector<int64_t>& dims :
         std::vector<std::vector<int64_t>>{{6, 8, 8}, {2, 6, 1, 1}, {5, 1, 1}, {8}}) {
        ir::Model m = conv_add(true, dims);
        EXPECT_FALSE(passes::fold_conv_add_bias(m)) << dims.size();
        EXPECT_EQ(m.graph.nodes.size(), 2u);
    }
    // The Conv output has another reader.
    ir::Model shared = conv_add(true, {6, 1, 1});
    shared.graph.outputs.push_back(float_value("conv_out"));
    EXPECT_FALSE(passes::fold_conv_add_bias(shared));
    // The added value is not a constant (a graph input).
    ModelBuilder b;
    b.input("x", {1, 3, 8, 8}).input("c", {6, 1, 1}).output("y");
    b.init("w", random_tensor({6, 3, 3, 3}, 1));
    b.node("Conv", {"x", "w"}, {"conv_out"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"conv_out", "c"}, {"y"}, "add");
    ir::Model input_add = b.build();
    EXPECT_FALSE(passes::fold_conv_add_bias(input_add));
}

// Concat(Concat(a, b), c, Concat(d, e)) on `inner_axis` / `outer_axis`.
ir::Model concats(int64_t inner_axis, int64_t outer_axis) {
    ModelBuilder b;
    for (const char* n : {"a", "b", "c", "d", "e"}) b.input(n, {2, 3, 4});
    b.output("y");
    b.node("Concat", {"a", "b"}, {"ab"}, "inner1", {attr_i("axis", inner_axis)});
    b.node("Concat", {"d", "e"}, {"de"}, "inner2", {attr_i("axis", inner_axis)});
    b.node("Concat", {"ab", "c", "de"}, {"y"}, "outer", {attr_i("axis", outer_axis)});
    return b.build();
}

TEST(MergeConcats, SameAxisChainsBecomeOneConcat) {
    for (auto [inner, outer] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {-2, 1}, {2, -1}}) {
        ir::Model before = concats(inner, outer);
        (void)passes::infer_shapes(before);  // negative axes compare through the annotated rank
        ir::Model m = before;
        ASSERT_TRUE(passes::merge_concats(m)) << inner << " " << outer;
        ASSERT_EQ(m.graph.nodes.size(), 1u);
        EXPECT_EQ(m.graph.nodes[0].name, "outer");
        EXPECT_EQ(m.graph.nodes[0].inputs, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
        EXPECT_LE(max_output_diff(before, m), 0.0);
    }
}

TEST(MergeConcats, NearMissesStay) {
    ir::Model other_axis = concats(0, 1);
    EXPECT_FALSE(passes::merge_concats(other_axis));
    EXPECT_EQ(other_axis.graph.nodes.size(), 3u);
    // The inner result is also a graph output: only the other inner Concat merges.
    ir::Model shared = concats(1, 1);
    shared.graph.outputs.push_back(float_value("ab"));
    ASSERT_TRUE(passes::merge_concats(shared));
    EXPECT_EQ(shared.graph.nodes.size(), 2u);
    EXPECT_EQ(find_node(shared, "outer")->inputs, (std::vector<std::string>{"ab", "c", "d", "e"}));
}

// x [batch, 3, 4] -> Reshape(target) -> Flatten(axis) -> Relu -> y.
ir::Model reshape_flatten(const std::vector<int64_t>& target, int64_t flatten_axis) {
    ModelBuilder b;
    b.input("x", {-1, 12}).output("y");
    b.init("target", int64s(target));
    b.node("Reshape", {"x", "target"}, {"r"}, "reshape");
    b.node("Flatten", {"r"}, {"f"}, "flatten", {attr_i("axis", flatten_axis)});
    b.node("Relu", {"f"}, {"y"}, "relu");
    ir::Model m = b.build();
    m.graph.inputs[0].shape.dims[0] = ir::Dim::symbolic("batch");
    (void)passes::infer_shapes(m);
    return m;
}

TEST(EliminateNoops, FlattenOfRank2AndReshapeKeepingNamedDims) {
    for (const std::vector<int64_t>& target : std::vector<std::vector<int64_t>>{{-1, 12}, {0, 12}, {0, -1}}) {
        ir::Model before = reshape_flatten(target, 1);
        ir::Model m = before;
        ASSERT_TRUE(passes::eliminate_noops(m));
        ASSERT_EQ(m.graph.nodes.size(), 1u) << target[0] << "," << target[1];
        EXPECT_EQ(m.graph.nodes[0].op_type, "Relu");
        EXPECT_EQ(m.graph.nodes[0].inputs[0], "x");
        EXPECT_LE(max_output_diff(before, m, 3), 0.0);
    }
}

TEST(EliminateNoops, FlattenAndReshapeNearMissesStay) {
    // Reshape that changes the shape, and Flatten at axis 0 ([1, batch*12]).
    ir::Model m = reshape_flatten({-1, 3, 4}, 0);
    ASSERT_FALSE(passes::eliminate_noops(m));
    EXPECT_EQ(m.graph.nodes.size(), 3u);
    // [batch, 12] -> [-1, -1] is not a shape (two -1) and [6, 12] is not the same.
    for (const std::vector<int64_t>& target : std::vector<std::vector<int64_t>>{{6, 12}, {12, -1}}) {
        ir::Model r = reshape_flatten(target, 1);
        (void)passes::eliminate_noops(r);
        EXPECT_EQ(count_op(r, "Reshape"), 1) << target[0];
    }
}

}  // namespace
}  // namespace edgeinfer::testing

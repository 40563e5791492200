// Structural, negative and numeric tests of the rewriting passes: BatchNormalization folding,
// MatMul+Add → Gemm, Transpose/Reshape/Squeeze merging, Pad folding.
#include <gtest/gtest.h>

#include "pass_test_util.hpp"
#include "passes/batchnorm_folding.hpp"
#include "passes/layout_merging.hpp"
#include "passes/matmul_add_fusion.hpp"
#include "passes/pad_folding.hpp"

namespace edgeinfer::testing {
namespace {

void add_bn(ModelBuilder& b, const std::string& in, const std::string& out, int64_t c, uint32_t seed,
            const std::string& name = "bn") {
    b.init(name + ".scale", random_tensor({c}, seed)).init(name + ".bias", random_tensor({c}, seed + 1));
    b.init(name + ".mean", random_tensor({c}, seed + 2)).init(name + ".var", positive_tensor({c}, seed + 3));
    b.node("BatchNormalization", {in, name + ".scale", name + ".bias", name + ".mean", name + ".var"}, {out}, name,
           {attr_f("epsilon", 1e-3f)});
}

ir::Model conv_bn(bool with_bias) {
    ModelBuilder b;
    b.input("x", {-1, 3, 8, 8}).output("y");
    b.init("w", random_tensor({6, 3, 3, 3}, 1));
    std::vector<std::string> ins = {"x", "w"};
    if (with_bias) {
        b.init("b", random_tensor({6}, 2));
        ins.push_back("b");
    }
    b.node("Conv", ins, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    add_bn(b, "c", "y", 6, 10);
    return b.build();
}

TEST(FoldBatchNorm, IntoConvWithAndWithoutBias) {
    for (bool bias : {true, false}) {
        ir::Model before = conv_bn(bias);
        ir::Model m = before;
        ASSERT_TRUE(passes::fold_batchnorm(m)) << bias;
        ASSERT_EQ(m.graph.nodes.size(), 1u);
        const ir::Node& conv = m.graph.nodes[0];
        EXPECT_EQ(conv.name, "conv");
        EXPECT_EQ(conv.outputs[0], "y");
        ASSERT_EQ(conv.inputs.size(), 3u);
        EXPECT_EQ(conv.inputs[1], "w");  // read only by the conv: keeps its name
        EXPECT_LE(max_output_diff(before, m), 1e-4) << bias;
        EXPECT_NE(before.graph.find_initializer("w")->data(), m.graph.find_initializer("w")->data());
    }
}

TEST(FoldBatchNorm, IntoGroupedConvTranspose) {
    ModelBuilder b;
    b.input("x", {1, 4, 5, 5}).output("y");
    b.init("w", random_tensor({4, 3, 3, 3}, 3)).init("b", random_tensor({6}, 4));  // C=4, M/group=3, group=2
    b.node("ConvTranspose", {"x", "w", "b"}, {"c"}, "deconv", {attr_i("group", 2), attr_is("strides", {2, 2})});
    add_bn(b, "c", "y", 6, 20);
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(passes::fold_batchnorm(m));
    EXPECT_EQ(count_op(m, "BatchNormalization"), 0);
    EXPECT_LE(max_output_diff(before, m), 1e-4);
}

TEST(FoldBatchNorm, IntoGemmBothWeightLayouts) {
    for (int trans_b : {0, 1}) {
        ModelBuilder b;
        b.input("x", {-1, 8}).output("y");
        b.init("w", random_tensor(trans_b ? std::vector<int64_t>{5, 8} : std::vector<int64_t>{8, 5}, 5));
        b.init("c", random_tensor({5}, 6));
        b.node("Gemm", {"x", "w", "c"}, {"g"}, "fc", {attr_i("transB", trans_b), attr_f("beta", 0.5f)});
        add_bn(b, "g", "y", 5, 30);
        ir::Model before = b.build();
        ir::Model m = before;
        ASSERT_TRUE(passes::fold_batchnorm(m)) << trans_b;
        ASSERT_EQ(m.graph.nodes.size(), 1u);
        EXPECT_EQ(m.graph.nodes[0].attr_float("beta", 0), 1.0f);
        EXPECT_LE(max_output_diff(before, m, 3), 1e-4) << trans_b;
    }
}

TEST(FoldBatchNorm, NearMissesStay) {
    {  // the conv output is also read by another node
        ir::Model m = conv_bn(true);
        m.graph.nodes.push_back(m.graph.nodes[0]);
        m.graph.nodes.back() = ir::Node{"relu", "Relu", "", {"c"}, {"r"}, {}, ""};
        m.graph.outputs.push_back({"r", DataType::kFloat32, {}, {}});
        EXPECT_FALSE(passes::fold_batchnorm(m));
    }
    {  // statistics are a graph input, not constants
        ir::Model m = conv_bn(true);
        m.graph.remove_initializer("bn.mean");
        m.graph.inputs.push_back({"bn.mean", DataType::kFloat32, ir::Shape::of({6}), {}});
        EXPECT_FALSE(passes::fold_batchnorm(m));
    }
    {  // training mode
        ir::Model m = conv_bn(true);
        passes::set_attribute(m.graph.nodes[1], attr_i("training_mode", 1));
        EXPECT_FALSE(passes::fold_batchnorm(m));
    }
    {  // BatchNormalization after a Relu: nothing to fold into
        ModelBuilder b;
        b.input("x", {1, 6, 4, 4}).output("y");
        b.node("Relu", {"x"}, {"r"}, "relu");
        add_bn(b, "r", "y", 6, 40);
        ir::Model m = b.build();
        EXPECT_FALSE(passes::fold_batchnorm(m));
    }
}

TEST(FoldBatchNorm, SharedWeightGetsANewName) {
    ir::Model m = conv_bn(false);
    m.graph.nodes.insert(m.graph.nodes.begin(), ir::Node{"other", "Conv", "", {"x", "w"}, {"o"}, {}, ""});
    passes::set_attribute(m.graph.nodes[0], attr_is("pads", {1, 1, 1, 1}));
    m.graph.outputs.push_back({"o", DataType::kFloat32, {}, {}});
    ir::Model before = m;
    ASSERT_TRUE(passes::fold_batchnorm(m));
    EXPECT_NE(find_node(m, "conv")->inputs[1], "w");
    EXPECT_EQ(find_node(m, "other")->inputs[1], "w");
    EXPECT_LE(max_output_diff(before, m), 1e-4);
}

ir::Model matmul_add(std::vector<int64_t> x_dims, std::vector<int64_t> bias_dims, bool bias_const = true) {
    ModelBuilder b;
    b.input("x", x_dims).output("y");
    b.init("w", random_tensor({8, 16}, 1));
    if (bias_const)
        b.init("bias", random_tensor(bias_dims, 2));
    else
        b.input("bias", bias_dims);
    b.node("MatMul", {"x", "w"}, {"t"}, "linear").node("Add", {"bias", "t"}, {"y"}, "add_bias");
    return b.build();
}

TEST(FuseMatMulAdd, BecomesGemmNamedLikeTheMatMul) {
    for (auto bias : {std::vector<int64_t>{16}, std::vector<int64_t>{1, 16}, std::vector<int64_t>{4, 16}}) {
        ir::Model before = matmul_add({4, 8}, bias);
        ir::Model m = before;
        ASSERT_TRUE(passes::fuse_matmul_add(m));
        ASSERT_EQ(m.graph.nodes.size(), 1u);
        EXPECT_EQ(m.graph.nodes[0].op_type, "Gemm");
        EXPECT_EQ(m.graph.nodes[0].name, "linear");
        EXPECT_EQ(m.graph.nodes[0].inputs, (std::vector<std::string>{"x", "w", "bias"}));
        EXPECT_LE(max_output_diff(before, m), 1e-5);
    }
}

TEST(FuseMatMulAdd, NearMissesStay) {
    ir::Model rank3 = matmul_add({2, 4, 8}, {16});
    EXPECT_FALSE(passes::fuse_matmul_add(rank3));
    ir::Model dynamic_bias = matmul_add({4, 8}, {16}, false);
    EXPECT_FALSE(passes::fuse_matmul_add(dynamic_bias));
    ir::Model growing_bias = matmul_add({1, 8}, {3, 16});  // the Add broadcasts the result to 3 rows
    EXPECT_FALSE(passes::fuse_matmul_add(growing_bias));
    ir::Model symbolic_rows = matmul_add({-1, 8}, {4, 16});  // rows unknown: cannot prove [M,N]
    EXPECT_FALSE(passes::fuse_matmul_add(symbolic_rows));
}

TEST(MergeLayoutOps, TransposePairs) {
    ModelBuilder b;
    b.input("x", {2, 3, 4, 5}).output("y").output("z");
    b.node("Transpose", {"x"}, {"t1"}, "to_nhwc", {attr_is("perm", {0, 2, 3, 1})});
    b.node("Transpose", {"t1"}, {"t2"}, "to_nchw", {attr_is("perm", {0, 3, 1, 2})});  // inverse: identity
    b.node("Relu", {"t2"}, {"y"}, "relu");
    b.node("Transpose", {"x"}, {"u1"}, "p1", {attr_is("perm", {1, 0, 2, 3})});
    b.node("Transpose", {"u1"}, {"z"}, "p2", {attr_is("perm", {0, 2, 1, 3})});
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(passes::merge_layout_ops(m));
    EXPECT_EQ(count_op(m, "Transpose"), 1);
    EXPECT_EQ(find_node(m, "relu")->inputs[0], "x");
    const ir::Node* p2 = find_node(m, "p2");
    ASSERT_NE(p2, nullptr);
    EXPECT_EQ(p2->inputs[0], "x");
    EXPECT_EQ(p2->attr_ints("perm"), (std::vector<int64_t>{1, 2, 0, 3}));
    EXPECT_EQ(max_output_diff(before, m), 0.0);
}

TEST(MergeLayoutOps, ReshapeAndSqueezeChains) {
    ModelBuilder b;
    b.input("x", {2, 3, 4}).output("y").output("z").output("w");
    b.init("s1", int64s({6, 4})).init("s2", int64s({-1}));
    b.node("Reshape", {"x", "s1"}, {"r1"}, "r1").node("Reshape", {"r1", "s2"}, {"y"}, "r2");
    b.init("a0", int64s({0})).init("a2", int64s({2}));
    b.node("Unsqueeze", {"x", "a0"}, {"u1"}, "u1").node("Unsqueeze", {"u1", "a2"}, {"u2"}, "u2");
    b.node("Squeeze", {"u2", "a2"}, {"q1"}, "q1").node("Squeeze", {"q1", "a0"}, {"z"}, "q2");
    b.node("Flatten", {"x"}, {"f"}, "flat", {attr_i("axis", 1)}).init("s3", int64s({4, 6}));
    b.node("Reshape", {"f", "s3"}, {"w"}, "r3");
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(passes::merge_layout_ops(m));
    EXPECT_EQ(find_node(m, "r2")->inputs[0], "x");
    EXPECT_EQ(find_node(m, "r1"), nullptr);
    EXPECT_EQ(find_node(m, "r3")->inputs[0], "x");
    EXPECT_EQ(find_node(m, "u1"), nullptr);
    EXPECT_EQ(find_node(m, "q1"), nullptr);
    EXPECT_EQ(max_output_diff(before, m), 0.0);
}

TEST(MergeLayoutOps, NearMissesStay) {
    ModelBuilder b;
    b.input("x", {2, 3, 4}).output("y").output("t1").output("z");
    b.node("Transpose", {"x"}, {"t1"}, "a", {attr_is("perm", {1, 0, 2})});  // also a graph output
    b.node("Transpose", {"t1"}, {"y"}, "b", {attr_is("perm", {1, 0, 2})});
    b.init("s1", int64s({6, 4})).init("s0", int64s({0, 2, 2}));  // 0 copies a dim of the first's output
    b.node("Reshape", {"x", "s1"}, {"r1"}, "r1").node("Reshape", {"r1", "s0"}, {"z"}, "r2");
    ir::Model m = b.build();
    EXPECT_FALSE(passes::merge_layout_ops(m));
}

ir::Model pad_then(const std::string& op, std::vector<int64_t> pads, float value = 0.0f, const std::string& mode = "constant",
                   std::vector<ir::Attribute> op_attrs = {}) {
    ModelBuilder b;
    b.input("x", {1, 3, 6, 6}).output("y");
    b.init("pads", int64s(pads)).init("value", Tensor::from_vector<float>(DataType::kFloat32, {}, {value}));
    b.node("Pad", {"x", "pads", "value"}, {"p"}, "pad", {attr_s("mode", mode)});
    if (op == "Conv") {
        b.init("w", random_tensor({4, 3, 3, 3}, 1));
        op_attrs.push_back(attr_is("pads", {0, 1, 0, 1}));
        b.node("Conv", {"p", "w"}, {"y"}, "conv", op_attrs);
    } else {
        op_attrs.push_back(attr_is("kernel_shape", {3, 3}));
        b.node(op, {"p"}, {"y"}, "pool", op_attrs);
    }
    return b.build();
}

TEST(FoldPad, IntoConvAndAveragePool) {
    ir::Model before = pad_then("Conv", {0, 0, 1, 2, 0, 0, 1, 0});
    ir::Model m = before;
    ASSERT_TRUE(passes::fold_pad(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_EQ(m.graph.nodes[0].name, "conv");
    EXPECT_EQ(m.graph.nodes[0].attr_ints("pads"), (std::vector<int64_t>{1, 3, 1, 1}));
    EXPECT_LE(max_output_diff(before, m), 1e-5);
    ir::Model pool_before = pad_then("AveragePool", {0, 0, 1, 1, 0, 0, 1, 1}, 0.0f, "constant",
                                     {attr_i("count_include_pad", 1)});
    ir::Model pool = pool_before;
    ASSERT_TRUE(passes::fold_pad(pool));
    EXPECT_EQ(count_op(pool, "Pad"), 0);
    EXPECT_LE(max_output_diff(pool_before, pool), 1e-5);
}

TEST(FoldPad, NearMissesStay) {
    std::vector<ir::Model> misses = {
        pad_then("Conv", {0, 0, 1, 1, 0, 0, 1, 1}, 0.0f, "reflect"),
        pad_then("Conv", {0, 1, 1, 1, 0, 0, 1, 1}),        // pads the channel axis
        pad_then("Conv", {0, 0, 1, 1, 0, 0, 1, 1}, 1.0f),  // pads with ones
        pad_then("MaxPool", {0, 0, 1, 1, 0, 0, 1, 1}),
        pad_then("AveragePool", {0, 0, 1, 1, 0, 0, 1, 1}),  // count_include_pad=0 would count fewer
    };
    for (size_t i = 0; i < misses.size(); ++i) EXPECT_FALSE(passes::fold_pad(misses[i])) << i;
}

}  // namespace
}  // namespace edgeinfer::testing

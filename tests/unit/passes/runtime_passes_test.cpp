// Runtime-only passes (Conv + Add / activation → FusedConv, channels-last regions) and the kernel
// implementation names a profile shows: structural, negative and numeric tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iostream>

#include "pass_test_util.hpp"
#include "passes/bf16_regions.hpp"
#include "passes/blocked_layout.hpp"
#include "passes/channels_last.hpp"
#include "passes/conv_fusion.hpp"
#include "passes/pipelines.hpp"

namespace edgeinfer::testing {
namespace {

// x -> conv -> <activation nodes added by `act`> -> y
ir::Model conv_then(const std::function<void(ModelBuilder&)>& act, int64_t opset = 14) {
    ModelBuilder b(opset);
    b.input("x", {-1, 3, 7, 7}).output("y");
    b.init("w", random_tensor({8, 3, 3, 3}, 1, 0.5f)).init("b", random_tensor({8}, 2));
    b.node("Conv", {"x", "w", "b"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    act(b);
    return b.build();
}

TEST(FuseConvActivation, EveryActivationBecomesOneFusedConv) {
    struct Case {
        std::string op;
        std::vector<ir::Attribute> attrs;
        std::string fused_name;
    };
    std::vector<Case> cases = {{"Relu", {}, "Relu"},
                               {"LeakyRelu", {attr_f("alpha", 0.2f)}, "LeakyRelu"},
                               {"Sigmoid", {}, "Sigmoid"},
                               {"HardSigmoid", {attr_f("alpha", 0.3f), attr_f("beta", 0.4f)}, "HardSigmoid"},
                               {"HardSwish", {}, "HardSwish"},
                               {"Tanh", {}, "Tanh"},
                               {"Elu", {attr_f("alpha", 0.7f)}, "Elu"},
                               {"Softplus", {}, "Softplus"}};
    for (const Case& c : cases) {
        ir::Model before = conv_then([&](ModelBuilder& b) { b.node(c.op, {"c"}, {"y"}, "act", c.attrs); });
        ir::Model m = before;
        ASSERT_TRUE(passes::fuse_conv_activation(m)) << c.op;
        ASSERT_EQ(m.graph.nodes.size(), 1u) << c.op;
        const ir::Node& n = m.graph.nodes[0];
        EXPECT_EQ(n.domain, "edgeinfer");
        EXPECT_EQ(n.op_type, "FusedConv");
        EXPECT_EQ(n.name, "conv");
        EXPECT_EQ(n.outputs[0], "y");
        EXPECT_EQ(n.attr_string("activation", ""), c.fused_name);
        EXPECT_LE(max_output_diff(before, m), 1e-4) << c.op;
    }
}

TEST(FuseConvActivation, ClipWithConstantBoundsAndSiLU) {
    ir::Model clip = conv_then([](ModelBuilder& b) {
        b.init("lo", Tensor::from_vector<float>(DataType::kFloat32, {}, {0.0f}));
        b.init("hi", Tensor::from_vector<float>(DataType::kFloat32, {}, {6.0f}));
        b.node("Clip", {"c", "lo", "hi"}, {"y"}, "relu6");
    });
    ir::Model m = clip;
    ASSERT_TRUE(passes::fuse_conv_activation(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_EQ(m.graph.nodes[0].attr_floats("activation_params"), (std::vector<float>{0.0f, 6.0f}));
    EXPECT_LE(max_output_diff(clip, m), 1e-4);

    ir::Model silu = conv_then([](ModelBuilder& b) {
        b.node("Sigmoid", {"c"}, {"s"}, "sig");
        b.node("Mul", {"s", "c"}, {"y"}, "mul");
    });
    m = silu;
    ASSERT_TRUE(passes::fuse_conv_activation(m));
    ASSERT_EQ(m.graph.nodes.size(), 1u);
    EXPECT_EQ(m.graph.nodes[0].attr_string("activation", ""), "SiLU");
    EXPECT_LE(max_output_diff(silu, m), 1e-4);
}

// PyTorch's hardswish export before opset 14: Mul(y, HardSigmoid(y, alpha=1/6)) becomes one FusedConv
// computing oneDNN's hardswish; other HardSigmoid parameters are a gate, not HardSwish, and stay.
TEST(FuseConvActivation, MulByHardSigmoidIsHardSwish) {
    for (bool swap : {false, true}) {
        ir::Model hs = conv_then(
            [&](ModelBuilder& b) {
                b.node("HardSigmoid", {"c"}, {"s"}, "hsig", {attr_f("alpha", 1.0f / 6.0f)});
                b.node("Mul", swap ? std::vector<std::string>{"s", "c"} : std::vector<std::string>{"c", "s"}, {"y"},
                       "mul");
            },
            13);
        ir::Model m = hs;
        ASSERT_TRUE(passes::fuse_conv_activation(m));
        ASSERT_EQ(m.graph.nodes.size(), 1u);
        EXPECT_EQ(m.graph.nodes[0].name, "conv");
        EXPECT_EQ(m.graph.nodes[0].outputs[0], "y");
        EXPECT_EQ(m.graph.nodes[0].attr_string("activation", ""), "HardSwish");
        EXPECT_LE(max_output_diff(hs, m), 1e-5);
    }
    ir::Model gate = conv_then(
        [](ModelBuilder& b) {
            b.node("HardSigmoid", {"c"}, {"s"}, "hsig", {attr_f("alpha", 0.2f)});
            b.node("Mul", {"c", "s"}, {"y"}, "mul");
        },
        13);
    ir::Model m = gate;
    passes::fuse_conv_activation(m);
    bool mul_stays = false;
    for (const ir::Node& n : m.graph.nodes) mul_stays = mul_stays || n.op_type == "Mul";
    EXPECT_TRUE(mul_stays);
    EXPECT_LE(max_output_diff(gate, m), 1e-5);
}

TEST(FuseConvActivation, NearMissesStay) {
    // The conv output is also a graph output.
    ir::Model shared = conv_then([](ModelBuilder& b) { b.node("Relu", {"c"}, {"y"}, "act"); });
    shared.graph.outputs.push_back({"c", DataType::kFloat32, {}, {}});
    EXPECT_FALSE(passes::fuse_conv_activation(shared));
    // Clip bounds computed at run time.
    ModelBuilder b;
    b.input("x", {1, 3, 7, 7}).input("hi", {}).output("y");
    b.init("w", random_tensor({8, 3, 3, 3}, 1));
    b.node("Conv", {"x", "w"}, {"c"}, "conv");
    b.node("Clip", {"c", "", "hi"}, {"y"}, "clip");
    ir::Model dyn = b.build();
    EXPECT_FALSE(passes::fuse_conv_activation(dyn));
    // SiLU whose Sigmoid output is read twice.
    ir::Model silu2 = conv_then([](ModelBuilder& bb) {
        bb.node("Sigmoid", {"c"}, {"s"}, "sig");
        bb.node("Mul", {"s", "c"}, {"m"}, "mul");
        bb.node("Add", {"m", "s"}, {"y"}, "add");
    });
    EXPECT_FALSE(passes::fuse_conv_activation(silu2));
    // ConvTranspose is not a FusedConv.
    ModelBuilder t;
    t.input("x", {1, 3, 5, 5}).output("y");
    t.init("w", random_tensor({3, 4, 3, 3}, 3));
    t.node("ConvTranspose", {"x", "w"}, {"c"}, "deconv");
    t.node("Relu", {"c"}, {"y"}, "relu");
    ir::Model tm = t.build();
    EXPECT_FALSE(passes::fuse_conv_activation(tm));
}

TEST(FuseGemmActivation, GemmReluAndSiLU) {
    for (const std::string act : {"Relu", "SiLU"}) {
        ModelBuilder b;
        b.input("x", {-1, 6}).output("y");
        b.init("w", random_tensor({4, 6}, 1)).init("c", random_tensor({4}, 2));
        b.node("Gemm", {"x", "w", "c"}, {"g"}, "fc",
               {attr_i("transB", 1), attr_f("alpha", 0.5f), attr_f("beta", 2.0f)});
        if (act == "Relu") {
            b.node("Relu", {"g"}, {"y"}, "relu");
        } else {
            b.node("Sigmoid", {"g"}, {"s"}, "sig");
            b.node("Mul", {"g", "s"}, {"y"}, "mul");
        }
        ir::Model before = b.build();
        ir::Model m = before;
        EXPECT_FALSE(passes::fuse_conv_activation(m)) << act;  // not a conv
        ASSERT_TRUE(passes::fuse_gemm_activation(m)) << act;
        ASSERT_EQ(m.graph.nodes.size(), 1u);
        EXPECT_EQ(m.graph.nodes[0].op_type, "FusedGemm");
        EXPECT_EQ(m.graph.nodes[0].name, "fc");
        EXPECT_EQ(m.graph.nodes[0].attr_string("activation", ""), act);
        EXPECT_LE(max_output_diff(before, m, 3), 1e-4) << act;
    }
    // The Gemm result also read elsewhere: stays.
    ModelBuilder b;
    b.input("x", {2, 6}).output("y").output("g");
    b.init("w", random_tensor({6, 4}, 1));
    b.node("Gemm", {"x", "w"}, {"g"}, "fc");
    b.node("Relu", {"g"}, {"y"}, "relu");
    ir::Model m = b.build();
    EXPECT_FALSE(passes::fuse_gemm_activation(m));
}

// x -> conv1 -> a; a -> conv2 -> c; y = Relu(Add(c, a)): a ResNet basic block's tail.
ir::Model residual_block(int64_t channels = 8) {
    ModelBuilder b;
    b.input("x", {-1, channels, 6, 6}).output("y");
    b.init("w1", random_tensor({channels, channels, 3, 3}, 4, 0.3f))
        .init("w2", random_tensor({channels, channels, 1, 1}, 5));
    b.init("b2", random_tensor({channels}, 6));
    b.node("Conv", {"x", "w1"}, {"a"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Conv", {"a", "w2", "b2"}, {"c"}, "conv2");
    b.node("Add", {"c", "a"}, {"s"}, "add");
    b.node("Relu", {"s"}, {"y"}, "relu");
    return b.build();
}

TEST(FuseConvAdd, ResidualAddThenReluIsOneNode) {
    ir::Model before = residual_block();
    ir::Model m = before;
    ASSERT_TRUE(passes::fuse_conv_add(m));
    ASSERT_TRUE(passes::fuse_conv_activation(m));
    ASSERT_EQ(m.graph.nodes.size(), 2u);
    const ir::Node& f = m.graph.nodes[1];
    EXPECT_EQ(f.op_type, "FusedConv");
    EXPECT_EQ(f.name, "conv2");
    ASSERT_EQ(f.inputs.size(), 4u);
    EXPECT_EQ(f.inputs[3], "a");
    EXPECT_EQ(f.attr_string("activation", ""), "Relu");
    EXPECT_EQ(f.outputs[0], "y");
    EXPECT_LE(max_output_diff(before, m), 1e-4);
}

TEST(FuseConvAdd, NearMissesStay) {
    // Z broadcast from a constant: not a residual.
    ModelBuilder b;
    b.input("x", {1, 4, 5, 5}).output("y");
    b.init("w", random_tensor({4, 4, 1, 1}, 1)).init("k", random_tensor({4, 1, 1}, 2));
    b.node("Conv", {"x", "w"}, {"c"}, "conv");
    b.node("Add", {"c", "k"}, {"y"}, "add");
    ir::Model m = b.build();
    EXPECT_FALSE(passes::fuse_conv_add(m));
    // Shapes that broadcast (Z is [1, 4, 1, 1]).
    ModelBuilder b2;
    b2.input("x", {1, 4, 5, 5}).input("z", {1, 4, 1, 1}).output("y");
    b2.init("w", random_tensor({4, 4, 1, 1}, 1));
    b2.node("Conv", {"x", "w"}, {"c"}, "conv");
    b2.node("Add", {"c", "z"}, {"y"}, "add");
    ir::Model m2 = b2.build();
    EXPECT_FALSE(passes::fuse_conv_add(m2));
}

// conv -> relu -> maxpool -> residual block -> global pool -> flatten -> gemm
ir::Model small_cnn() {
    ModelBuilder b;
    b.input("x", {-1, 3, 16, 16}).output("y");
    b.init("w0", random_tensor({8, 3, 3, 3}, 11, 0.4f)).init("b0", random_tensor({8}, 12));
    b.init("w1", random_tensor({8, 8, 3, 3}, 13, 0.2f)).init("w2", random_tensor({8, 8, 3, 3}, 14, 0.2f));
    b.init("k", random_tensor({8, 1, 1}, 15)).init("fc", random_tensor({5, 8}, 16));
    b.node("Conv", {"x", "w0", "b0"}, {"c0"}, "conv0", {attr_is("pads", {1, 1, 1, 1}), attr_is("strides", {2, 2})});
    b.node("Relu", {"c0"}, {"r0"}, "relu0");
    b.node("MaxPool", {"r0"}, {"p0"}, "pool0", {attr_is("kernel_shape", {3, 3}), attr_is("pads", {1, 1, 1, 1})});
    b.node("Conv", {"p0", "w1"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c1"}, {"r1"}, "relu1");
    b.node("Conv", {"r1", "w2"}, {"c2"}, "conv2", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"c2", "p0"}, {"s"}, "add");
    b.node("Mul", {"s", "k"}, {"sk"}, "scale");  // constant broadcast operand, permuted for NHWC
    b.node("AveragePool", {"sk"}, {"a"}, "avg", {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2})});
    b.node("Concat", {"a", "a"}, {"cat"}, "cat", {attr_i("axis", 1)});
    b.node("GlobalAveragePool", {"cat"}, {"g"}, "gap");
    b.node("Flatten", {"g"}, {"f"}, "flatten");
    b.init("fc2", random_tensor({5, 16}, 17));
    b.node("Gemm", {"f", "fc2"}, {"y"}, "gemm", {attr_i("transB", 1)});
    return b.build();
}

TEST(ChannelsLast, ConvRegionRunsNhwcWithTransposesOnlyAtItsEdges) {
    ir::Model before = small_cnn();
    ir::Model m = before;
    passes::PassReport r = passes::make_runtime_pass_manager(passes::Level::kAll).run(m);
    EXPECT_EQ(r.passes.size(), 4u);
    // Into the region (the input) and out of it (before Flatten): two Transposes, nothing else.
    EXPECT_EQ(count_op(m, "Transpose"), 2);
    for (const auto& n : m.graph.nodes) {
        if (n.op_type == "Transpose" || n.op_type == "Flatten" || n.op_type == "Gemm") continue;
        if (n.op_type == "Mul") continue;  // layout-agnostic: stays ONNX, reads NHWC
        if (n.op_type == "Concat") {
            EXPECT_EQ(n.attr_int("axis", 0), 3);
            continue;
        }
        EXPECT_EQ(n.domain, "edgeinfer") << n.name;
        EXPECT_EQ(n.attr_int("channels_last", 0), 1) << n.name;
    }
    EXPECT_EQ(m.graph.nodes.back().outputs[0], "y");
    EXPECT_LE(max_output_diff(before, m, 2), 1e-4);
}

// An SSD-style head: conv -> Reshape [N,A,K,H,W] -> Transpose (0,3,4,1,2) -> Reshape [N,-1,K].
ir::Model detection_head(const std::vector<int64_t>& perm) {
    ModelBuilder b;
    b.input("x", {1, 3, 6, 5}).output("y");
    b.init("w", random_tensor({12, 3, 3, 3}, 31)).init("b", random_tensor({12}, 32));
    b.init("split", int64s({1, -1, 4, 6, 5})).init("flat", int64s({1, -1, 4}));
    b.node("Conv", {"x", "w", "b"}, {"c"}, "head", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Reshape", {"c", "split"}, {"r"}, "view");
    b.node("Transpose", {"r"}, {"t"}, "permute", {attr_is("perm", perm)});
    b.node("Reshape", {"t", "flat"}, {"y"}, "flatten");
    return b.build();
}

TEST(ChannelsLast, DetectionHeadPermuteIsAReshapeOfTheNhwcValue) {
    ir::Model before = detection_head({0, 3, 4, 1, 2});
    ir::Model m = before;
    ASSERT_TRUE(passes::convert_to_channels_last(m));
    EXPECT_EQ(count_op(m, "Transpose"), 1);  // only the graph input into NHWC
    EXPECT_EQ(count_op(m, "Reshape"), 2);
    const ir::Node* permute = find_node(m, "permute");
    ASSERT_NE(permute, nullptr);
    EXPECT_EQ(permute->op_type, "Reshape");
    EXPECT_LE(max_output_diff(before, m, 1), 1e-5);
    // Another permutation is a real data movement: both Transposes stay.
    ir::Model other = detection_head({0, 3, 4, 2, 1});
    ir::Model m2 = other;
    ASSERT_TRUE(passes::convert_to_channels_last(m2));
    EXPECT_EQ(count_op(m2, "Transpose"), 3);
    EXPECT_LE(max_output_diff(other, m2, 1), 1e-5);
}

// A conv output used as another conv's run-time weights: the weights stay NCHW (and fp32 in bf16
// regions), read through a Transpose back from the producer's channels-last output.
TEST(ChannelsLast, ConvOutputUsedAsWeightsStaysNchw) {
    ModelBuilder b;
    b.input("x", {1, 4, 6, 6}).input("wsrc", {8, 4, 3, 3}).output("y");
    b.init("w0", random_tensor({4, 4, 1, 1}, 51, 0.5f));
    b.node("Conv", {"wsrc", "w0"}, {"wd"}, "make_weights");
    b.node("Conv", {"x", "wd"}, {"y"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    ir::Model before = b.build();
    ir::Model m = before;
    ASSERT_TRUE(passes::convert_to_channels_last(m));
    const ir::Node* conv = find_node(m, "conv");
    ASSERT_NE(conv, nullptr);
    bool produced = false;
    for (const ir::Node& n : m.graph.nodes)
        produced = produced || (!n.outputs.empty() && n.outputs[0] == conv->inputs[1]);
    EXPECT_TRUE(produced) << conv->inputs[1] << " has no producer";
    EXPECT_LE(max_output_diff(before, m, 1), 1e-4);
    passes::RuntimePassOptions o;
    o.bf16 = true;
    ir::Model bf16 = before;
    passes::make_runtime_pass_manager(passes::Level::kAll, o).run(bf16);
    EXPECT_EQ(find_node(bf16, "make_weights")->attr_int("output_type", 1), 1);
}

TEST(ChannelsLast, NothingToDoWithoutConvOrPool) {
    ModelBuilder b;
    b.input("x", {1, 4, 5, 5}).output("y");
    b.node("Relu", {"x"}, {"y"}, "relu");
    ir::Model m = b.build();
    EXPECT_FALSE(passes::convert_to_channels_last(m));
    // A 1-D convolution (rank 3) stays as it is.
    ModelBuilder c;
    c.input("x", {1, 4, 9}).output("y");
    c.init("w", random_tensor({4, 4, 3}, 1));
    c.node("Conv", {"x", "w"}, {"y"}, "conv1d");
    ir::Model m1 = c.build();
    EXPECT_FALSE(passes::convert_to_channels_last(m1));
}

// x [1,16,16,16] -> conv a (16->M, relu) -> conv b (M->M, relu) -> conv c (M->M, + b's output, relu)
// -> conv e (M->M) -> conv d (1x1) -> y. At M = 64 (16x16 outputs) the fast tactics run b, c and e with Winograd
// (a has 16 input channels, d is 1x1). `extra_reader` also sends c's output to a Relu graph output.
ir::Model conv_chain(int64_t m_channels, bool extra_reader = false) {
    ModelBuilder b;
    b.input("x", {1, 16, 16, 16}).output("y");
    if (extra_reader) b.output("r");
    const int64_t M = m_channels;
    b.init("wa", random_tensor({M, 16, 3, 3}, 61, 0.2f)).init("ba", random_tensor({M}, 62, 0.1f));
    b.init("wb", random_tensor({M, M, 3, 3}, 63, 0.1f)).init("wc", random_tensor({M, M, 3, 3}, 64, 0.1f));
    b.init("we", random_tensor({M, M, 3, 3}, 66, 0.1f)).init("wd", random_tensor({M, M, 1, 1}, 65, 0.2f));
    const auto pad = attr_is("pads", {1, 1, 1, 1});
    b.node("Conv", {"x", "wa", "ba"}, {"ca"}, "a", {pad});
    b.node("Relu", {"ca"}, {"ra"}, "relu_a");
    b.node("Conv", {"ra", "wb"}, {"cb"}, "b", {pad});
    b.node("Relu", {"cb"}, {"rb"}, "relu_b");
    b.node("Conv", {"rb", "wc"}, {"cc"}, "c", {pad});
    b.node("Add", {"cc", "rb"}, {"sc"}, "add_c");
    b.node("Relu", {"sc"}, {"rc"}, "relu_c");
    b.node("Conv", {"rc", "we"}, {"ce"}, "e", {pad});
    b.node("Conv", {"ce", "wd"}, {"y"}, "d");
    if (extra_reader) b.node("Relu", {"rc"}, {"r"}, "relu_out");
    return b.build();
}

passes::RuntimePassOptions with_winograd() {
    passes::RuntimePassOptions o;
    o.winograd = true;
    return o;
}

TEST(BlockedConvs, ValuesBetweenWinogradConvsAreStoredBlocked) {
    ir::Model before = conv_chain(64);
    ir::Model m = before;
    passes::PassReport r = passes::make_runtime_pass_manager(passes::Level::kAll, with_winograd()).run(m);
    ASSERT_EQ(r.passes.size(), 5u);
    EXPECT_EQ(r.passes.back().name, "blocked-convs");
    EXPECT_TRUE(r.passes.back().changed);
    const ir::Node* a = find_node(m, "a");
    const ir::Node* b = find_node(m, "b");
    const ir::Node* c = find_node(m, "c");
    const ir::Node* e = find_node(m, "e");
    const ir::Node* d = find_node(m, "d");
    ASSERT_TRUE(a && b && c && d && e);
    EXPECT_FALSE(passes::winograd_candidate(m.graph, *a));
    EXPECT_FALSE(passes::winograd_candidate(m.graph, *d));
    // b -> c (as X and Z) and c -> e are blocked; a's output (a direct conv) and e's (read by the 1x1 d) are not.
    EXPECT_EQ(a->attr_int("y_block", 0), 0);
    EXPECT_EQ(b->attr_int("x_block", 0), 0);
    EXPECT_EQ(b->attr_int("y_block", 0), 16);
    EXPECT_EQ(c->attr_int("x_block", 0), 16);
    EXPECT_EQ(c->attr_int("z_block", 0), 16);
    EXPECT_EQ(c->attr_int("y_block", 0), 16);
    EXPECT_EQ(e->attr_int("x_block", 0), 16);
    EXPECT_EQ(e->attr_int("y_block", 0), 0);
    EXPECT_EQ(d->attr_int("x_block", 0), 0);
    const ir::Shape* blocked = passes::annotated_shape(m.graph, b->outputs[0]);
    ASSERT_NE(blocked, nullptr);
    EXPECT_EQ(blocked->to_string(), "1 x 4 x 16 x 16 x 16");
    EXPECT_LE(max_output_diff(before, m, 1), 1e-4);
}

TEST(BlockedConvs, NearMissesStayChannelsLast) {
    auto blocked_nodes = [](const ir::Model& m) {
        int n = 0;
        for (const ir::Node& node : m.graph.nodes) n += node.attr_int("y_block", 0) != 0;
        return n;
    };
    // 32 channels: no Winograd by the fast heuristic.
    ir::Model narrow = conv_chain(32);
    passes::make_runtime_pass_manager(passes::Level::kAll, with_winograd()).run(narrow);
    EXPECT_EQ(blocked_nodes(narrow), 0);
    // 72 channels: Winograd candidates, but 72 does not fill 16-channel blocks.
    ir::Model odd = conv_chain(72);
    passes::make_runtime_pass_manager(passes::Level::kAll, with_winograd()).run(odd);
    EXPECT_TRUE(passes::winograd_candidate(odd.graph, *find_node(odd, "b")));
    EXPECT_EQ(blocked_nodes(odd), 0);
    // Without Winograd (direct-only tactics, no AVX-512) the pass is not in the pipeline.
    ir::Model plain = conv_chain(64);
    passes::make_runtime_pass_manager(passes::Level::kAll).run(plain);
    EXPECT_EQ(blocked_nodes(plain), 0);
    // c's output also feeds a Relu (a graph output): it stays NHWC, b's output is still blocked.
    ir::Model before = conv_chain(64, true);
    ir::Model e = before;
    passes::make_runtime_pass_manager(passes::Level::kAll, with_winograd()).run(e);
    EXPECT_EQ(find_node(e, "c")->attr_int("y_block", 0), 0);
    EXPECT_EQ(find_node(e, "e")->attr_int("x_block", 0), 0);
    EXPECT_EQ(find_node(e, "b")->attr_int("y_block", 0), 16);
    EXPECT_LE(max_output_diff(before, e, 1), 1e-4);
    // bf16 regions keep their own layout: the pass is not in that pipeline.
    passes::RuntimePassOptions bf16 = with_winograd();
    bf16.bf16 = true;
    for (const std::string& name : passes::runtime_pipeline_for(passes::Level::kAll, bf16))
        EXPECT_NE(name, "blocked-convs");
}

// Largest |a - b| of two float32 tensors of the same size.
double max_diff(const Tensor& a, const Tensor& b) {
    if (a.numel() != b.numel()) return INFINITY;
    double worst = 0;
    for (int64_t i = 0; i < a.numel(); ++i)
        worst = std::max<double>(worst, std::fabs(a.data_as<float>()[i] - b.data_as<float>()[i]));
    return worst;
}

// Sessions: the blocked graph gives the plain model's result with Winograd (fast) and with every conv direct
// (a blocked operand reordered to NHWC and back), and a blocked conv with wrong attributes is refused.
TEST(BlockedConvs, BlockedGraphMatchesThePlainModelWithEitherTactic) {
    ir::Model plain = conv_chain(64);
    auto inputs = seeded_inputs(plain, 1);
    Tensor reference = run_model(plain, inputs)[0].tensor;  // no runtime passes: NCHW, direct/Winograd by shape
    ir::Model blocked = plain;
    passes::make_runtime_pass_manager(passes::Level::kAll, with_winograd()).run(blocked);
    auto bytes = model::serialize_model(blocked);
    ASSERT_TRUE(bytes.is_ok());
    auto run_with = [&](TacticMode mode, int* winograd) {
        SessionOptions o;
        o.num_threads = 1;
        o.tactics = mode;
        o.optimization_level = GraphOptimizationLevel::kNone;  // the blocked graph as it is
        o.enable_profiling = true;
        auto s = Session::create_from_bytes(bytes->data(), bytes->size(), o);
        EXPECT_TRUE(s.is_ok()) << s.status().to_string();
        if (!s.is_ok()) return Tensor();
        auto out = s.value()->run(inputs);
        EXPECT_TRUE(out.is_ok()) << out.status().to_string();
        *winograd = 0;
        for (const NodeProfile& p : s.value()->profile()) *winograd += p.tactic.rfind("winograd", 0) == 0;
        return out.is_ok() ? std::move(out).value()[0].tensor : Tensor();
    };
    int wino_fast = 0, wino_direct = 0;
    Tensor fast = run_with(TacticMode::kFast, &wino_fast);
    Tensor direct = run_with(TacticMode::kDirectOnly, &wino_direct);
    EXPECT_EQ(wino_direct, 0);
    const double d_fast = max_diff(fast, reference), d_direct = max_diff(direct, reference);
    std::cout << "blocked chain: " << wino_fast << " Winograd conv(s); |fast - plain| " << d_fast
              << ", |direct-only - plain| " << d_direct << "\n";
    EXPECT_LE(d_fast, 1e-4);
    EXPECT_LE(d_direct, 1e-3);  // the plain model's convs b, c, e use Winograd (fast), these are direct

    for (ir::Node& n : blocked.graph.nodes)
        if (n.name == "c") passes::set_attribute(n, attr_i("x_block", 8));
    auto bad_bytes = model::serialize_model(blocked);
    ASSERT_TRUE(bad_bytes.is_ok());
    SessionOptions o;
    o.optimization_level = GraphOptimizationLevel::kNone;
    auto s = Session::create_from_bytes(bad_bytes->data(), bad_bytes->size(), o);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.status().message().find("x_block must be 0 or 16, got 8"), std::string::npos) << s.status().message();
}

TEST(RuntimePasses, NeverPartOfTheExportPipeline) {
    passes::PipelineOptions opts;
    for (const passes::PassDef& d : passes::pass_catalog(opts))
        for (const passes::PassDef& r : passes::runtime_pass_catalog()) EXPECT_NE(d.name, r.name);
    EXPECT_TRUE(passes::runtime_pipeline_for(passes::Level::kBasic).empty());
}

// A session on a fused, channels-last model names oneDNN's implementation for every conv and Gemm, and the
// one-pass channels-last max pooling (kernels/cpu/pool.cpp) for MaxPool.
TEST(RuntimePasses, ProfileNamesTheImplementation) {
    auto bytes = model::serialize_model(small_cnn());
    ASSERT_TRUE(bytes.is_ok());
    SessionOptions opts;
    opts.num_threads = 1;
    opts.enable_profiling = true;
    auto s = Session::create_from_bytes(bytes->data(), bytes->size(), opts);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    ir::Model plain = small_cnn();
    auto out = s.value()->run(seeded_inputs(plain, 1));
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    int convs = 0;
    for (const NodeProfile& p : s.value()->profile()) {
        if (p.op_type == "FusedConv" || p.op_type == "MaxPool" || p.op_type == "Gemm") {
            if (p.op_type == "MaxPool")
                EXPECT_EQ(p.kernel, "cpu:max_pool_nhwc") << p.node_name;
            else
                EXPECT_EQ(p.kernel.rfind("onednn:", 0), 0u) << p.node_name << ": " << p.kernel;
            convs += p.op_type == "FusedConv";
            // The shapes the node was prepared with: channels-last data (N, H, W, C) and the weight.
            ASSERT_FALSE(p.input_shapes.empty()) << p.node_name;
            if (p.op_type == "FusedConv") {
                ASSERT_GE(p.input_shapes.size(), 2u) << p.node_name;
                EXPECT_EQ(p.input_shapes[0].size(), 4u) << p.node_name;
                EXPECT_EQ(p.input_shapes[0].back(), p.input_shapes[1][1]) << p.node_name;  // C of X = W's C/group
            }
        } else if (p.op_type == "Flatten") {
            EXPECT_EQ(p.kernel, "cpu");
        }
    }
    EXPECT_EQ(convs, 3);
}

// The first output of `m` from a one-thread session at precision `p` with keep_fp32_nodes `keep`;
// the session's profile goes to `profile` when given.
Tensor run_at_precision(const ir::Model& m, const std::vector<NamedTensor>& inputs, Precision p,
                        std::vector<std::string> keep = {}, std::vector<NodeProfile>* profile = nullptr) {
    auto bytes = model::serialize_model(m);
    EXPECT_TRUE(bytes.is_ok());
    SessionOptions o;
    o.num_threads = 1;
    o.precision = p;
    o.keep_fp32_nodes = std::move(keep);
    o.enable_profiling = profile != nullptr;
    auto s = Session::create_from_bytes(bytes->data(), bytes->size(), o);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    if (!s.is_ok()) return Tensor();
    auto out = s.value()->run(inputs);
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    if (profile) *profile = s.value()->profile();
    return out.is_ok() ? std::move(out).value()[0].tensor : Tensor();
}

// Conv, ConvTranspose, Gemm and MatMul with constant weights: bf16 stays close to fp32, each
// reports a bf16 implementation (or why not), and keep_fp32_nodes pins a node to fp32.
TEST(Bf16, HeavyOpsComputeInBf16CloseToFp32) {
    ModelBuilder b;
    b.input("x", {1, 8, 12, 12}).output("y");
    b.init("w0", random_tensor({16, 8, 3, 3}, 21, 0.2f)).init("w1", random_tensor({16, 16, 2, 2}, 22, 0.2f));
    b.init("w2", random_tensor({16, 16, 3, 3}, 23, 0.1f)).init("fc", random_tensor({5, 16}, 24));
    b.init("mm", random_tensor({5, 3}, 25));
    b.node("Conv", {"x", "w0"}, {"c0"}, "conv0", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c0"}, {"r0"}, "relu0");
    b.node("ConvTranspose", {"r0", "w1"}, {"d"}, "deconv", {attr_is("strides", {2, 2})});
    b.node("Conv", {"d", "w2"}, {"c2"}, "conv2", {attr_is("strides", {2, 2})});
    b.node("GlobalAveragePool", {"c2"}, {"g"}, "gap");
    b.node("Flatten", {"g"}, {"f"}, "flatten");
    b.node("Gemm", {"f", "fc"}, {"h"}, "fc", {attr_i("transB", 1)});
    b.node("MatMul", {"h", "mm"}, {"y"}, "mm");
    ir::Model plain = b.build();
    auto inputs = seeded_inputs(plain, 1);
    std::vector<NodeProfile> p32, p16, pinned;
    Tensor y32 = run_at_precision(plain, inputs, Precision::kFp32, {}, &p32);
    Tensor y16 = run_at_precision(plain, inputs, Precision::kBf16, {}, &p16);
    ASSERT_EQ(y16.numel(), y32.numel());
    EXPECT_GE(cosine(y32, y16), 0.999);
    for (const NodeProfile& p : p32) EXPECT_EQ(p.kernel.find("bf16"), std::string::npos) << p.node_name;
    int heavy = 0;
    for (const NodeProfile& p : p16) {
        if (p.op_type == "FusedConv" || p.op_type == "ConvTranspose" || p.op_type == "Gemm" || p.op_type == "MatMul") {
            ++heavy;
            EXPECT_NE(p.kernel.find("bf16"), std::string::npos) << p.node_name << ": " << p.kernel;
        }
    }
    EXPECT_EQ(heavy, 5);
    run_at_precision(plain, inputs, Precision::kBf16, {"conv2"}, &pinned);
    for (const NodeProfile& p : pinned)
        if (p.node_name == "conv2") {
            EXPECT_EQ(p.kernel.find("bf16"), std::string::npos) << p.kernel;
        }
}

// conv -> relu -> maxpool -> conv -> relu -> squeeze-excitation (GlobalAveragePool, 1x1 conv,
// sigmoid, Mul) -> conv + residual Add -> GlobalAveragePool -> Flatten -> Gemm, batch symbolic.
ir::Model se_block_cnn() {
    ModelBuilder b;
    b.input("x", {-1, 8, 12, 12}).output("y");
    b.init("w0", random_tensor({16, 8, 3, 3}, 41, 0.2f)).init("w1", random_tensor({16, 16, 3, 3}, 42, 0.1f));
    b.init("w2", random_tensor({16, 16, 1, 1}, 43, 0.3f)).init("w3", random_tensor({16, 16, 3, 3}, 44, 0.1f));
    b.init("fc", random_tensor({5, 16}, 45));
    b.node("Conv", {"x", "w0"}, {"c0"}, "conv0", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c0"}, {"r0"}, "relu0");
    b.node("MaxPool", {"r0"}, {"p"}, "pool", {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2})});
    b.node("Conv", {"p", "w1"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c1"}, {"r1"}, "relu1");
    b.node("GlobalAveragePool", {"r1"}, {"g"}, "squeeze");
    b.node("Conv", {"g", "w2"}, {"e"}, "excite");
    b.node("Sigmoid", {"e"}, {"gate"}, "sigmoid");
    b.node("Mul", {"gate", "r1"}, {"m"}, "scale");  // the broadcast operand first
    b.node("Conv", {"m", "w3"}, {"c3"}, "conv3", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Add", {"c3", "p"}, {"a"}, "residual");
    b.node("GlobalAveragePool", {"a"}, {"g2"}, "gap");
    b.node("Flatten", {"g2"}, {"f"}, "flatten");
    b.node("Gemm", {"f", "fc"}, {"y"}, "fc", {attr_i("transB", 1)});
    return b.build();
}

// Which nodes write bf16 after the runtime pipeline at precision bf16.
std::vector<std::string> bf16_writers(const ir::Model& m) {
    std::vector<std::string> names;
    for (const ir::Node& n : m.graph.nodes) {
        if (n.attr_int("output_type", 1) != passes::kOnnxBfloat16) continue;
        names.push_back(n.name);
        const ir::ValueInfo* v = m.graph.find_value_info(n.outputs[0]);
        EXPECT_TRUE(v && v->dtype == DataType::kBFloat16) << n.name;
    }
    std::sort(names.begin(), names.end());
    return names;
}

TEST(Bf16Regions, ValuesBetweenRegionMembersAreBf16) {
    ir::Model m = se_block_cnn();
    passes::RuntimePassOptions o;
    o.bf16 = true;
    passes::PassReport r = passes::make_runtime_pass_manager(passes::Level::kAll, o).run(m);
    EXPECT_EQ(r.passes.back().name, "bf16-regions");
    // Every value inside the region is bf16; the last pool's output leaves the region (Flatten) in fp32.
    EXPECT_EQ(bf16_writers(m),
              (std::vector<std::string>{"conv0", "conv1", "conv3", "excite", "pool", "scale", "squeeze"}));
    const ir::Node* scale = find_node(m, "scale");
    ASSERT_NE(scale, nullptr);
    EXPECT_EQ(scale->domain, "edgeinfer");  // the oneDNN binary op, bf16 in and out
    const ir::Node* gap = find_node(m, "gap");
    ASSERT_NE(gap, nullptr);
    EXPECT_EQ(gap->attr_int("output_type", 1), 1);
    // A pinned node keeps its inputs and outputs fp32: conv1 reads the pool's output and writes r1.
    ir::Model pinned = se_block_cnn();
    o.keep_fp32 = {"conv1"};
    passes::make_runtime_pass_manager(passes::Level::kAll, o).run(pinned);
    EXPECT_EQ(bf16_writers(pinned), (std::vector<std::string>{"conv0", "conv3", "excite", "scale", "squeeze"}));
    // fp32 sessions never form regions.
    ir::Model fp32 = se_block_cnn();
    passes::make_runtime_pass_manager(passes::Level::kAll).run(fp32);
    EXPECT_TRUE(bf16_writers(fp32).empty());
}

// The bf16 session of that model runs every region member on bf16 tensors and stays close to fp32.
TEST(Bf16Regions, SessionOutputStaysCloseToFp32) {
    ir::Model plain = se_block_cnn();
    auto inputs = seeded_inputs(plain, 2);
    std::vector<NodeProfile> prof;
    Tensor y32 = run_at_precision(plain, inputs, Precision::kFp32);
    Tensor y16 = run_at_precision(plain, inputs, Precision::kBf16, {}, &prof);
    ASSERT_EQ(y16.dims(), (std::vector<int64_t>{2, 5}));
    EXPECT_EQ(y16.dtype(), DataType::kFloat32);
    EXPECT_GE(cosine(y32, y16), 0.999);
    // Regions form where oneDNN has native bf16 (the convs say ":bf16", not "bf16 unavailable"); there
    // the Mul is oneDNN's bf16 binary op, elsewhere the plain fp32 one.
    std::string conv_kernel, mul_kernel;
    for (const NodeProfile& p : prof) {
        if (p.node_name == "conv0") conv_kernel = p.kernel;
        if (p.node_name == "scale") mul_kernel = p.kernel;
    }
    auto bf16_kernel = [](const std::string& k) {
        return k.rfind("onednn:", 0) == 0 && k.size() >= 5 && k.compare(k.size() - 5, 5, ":bf16") == 0;
    };
    if (bf16_kernel(conv_kernel))
        EXPECT_TRUE(bf16_kernel(mul_kernel)) << mul_kernel;
    else
        EXPECT_EQ(mul_kernel, "cpu") << conv_kernel;
    EXPECT_GE(cosine(y32, run_at_precision(plain, inputs, Precision::kBf16, {"conv1", "scale"})), 0.999);
}

}  // namespace
}  // namespace edgeinfer::testing

// In-place outputs (PrepareContext::allow_in_place, runtime/plan.cpp): a channels-last FusedConv with a residual
// input Z stores its output in Z's bytes where it is Z's last reader, so the plan's arena shrinks and the sum
// post-op adds Z where it lies; where Z is read later or is a graph output, the two keep their own bytes.
// Results are checked against the same network in plain ONNX ops, unoptimized.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../passes/pass_test_util.hpp"
#include "runtime/plan.hpp"

namespace edgeinfer {
namespace {

using testing::attr_i;
using testing::attr_is;
using testing::attr_s;
using testing::ModelBuilder;
using testing::random_tensor;

constexpr int64_t kH = 8, kC = 16, kWide = 32;  // X [1, 8, 8, 16]; Z and Y [1, 8, 8, 32]
constexpr size_t kWideBytes = 1 * kH * kH * kWide * sizeof(float);
constexpr size_t kNarrowBytes = 1 * kH * kH * kC * sizeof(float);

std::vector<ir::Attribute> fused_attrs(bool relu) {
    std::vector<ir::Attribute> a{attr_i("channels_last", 1), attr_is("kernel_shape", {1, 1})};
    if (relu) a.push_back(attr_s("activation", "Relu"));
    return a;
}

// x -> z = relu(conv_a(x)); t = conv_b(x); y = relu(conv_c(t) + z), as edgeinfer:FusedConv nodes (NHWC).
// `z_read_later`: z is also read after y (z2 = Neg(z), a second output); `z_output`: z is a graph output.
ir::Model fused_block(bool z_read_later, bool z_output) {
    ModelBuilder b;
    b.m.opset_imports.push_back({"edgeinfer", 1});
    b.input("x", {1, kH, kH, kC})
        .init("wa", random_tensor({kWide, kC, 1, 1}, 1, 0.2f))
        .init("ba", random_tensor({kWide}, 2, 0.1f))
        .init("wb", random_tensor({kC, kC, 1, 1}, 3, 0.2f))
        .init("wc", random_tensor({kWide, kC, 1, 1}, 4, 0.2f))
        .init("bc", random_tensor({kWide}, 5, 0.1f))
        .node("FusedConv", {"x", "wa", "ba"}, {"z"}, "conv_a", fused_attrs(true))
        .node("FusedConv", {"x", "wb"}, {"t"}, "conv_b", fused_attrs(false))
        .node("FusedConv", {"t", "wc", "bc", "z"}, {"y"}, "conv_c", fused_attrs(true));
    for (ir::Node& n : b.m.graph.nodes) n.domain = "edgeinfer";
    b.output("y");
    if (z_read_later) b.node("Neg", {"z"}, {"z2"}, "neg").output("z2");
    if (z_output) b.output("z");
    return b.m;
}

// The same network in ONNX ops on NCHW values, with Transposes at its edges.
ir::Model plain_block(const ir::Model& fused, bool z_read_later, bool z_output) {
    ModelBuilder b;
    b.input("x", {1, kH, kH, kC});
    for (const auto& [name, t] : fused.graph.initializers) b.init(name, t);
    const auto to_nchw = attr_is("perm", {0, 3, 1, 2});
    const auto to_nhwc = attr_is("perm", {0, 2, 3, 1});
    b.node("Transpose", {"x"}, {"xn"}, "", {to_nchw})
        .node("Conv", {"xn", "wa", "ba"}, {"za"}, "", {})
        .node("Relu", {"za"}, {"zn"})
        .node("Conv", {"xn", "wb"}, {"tn"}, "", {})
        .node("Conv", {"tn", "wc", "bc"}, {"cn"}, "", {})
        .node("Add", {"cn", "zn"}, {"sn"})
        .node("Relu", {"sn"}, {"yn"})
        .node("Transpose", {"yn"}, {"y"}, "", {to_nhwc})
        .output("y");
    if (z_read_later) b.node("Neg", {"zn"}, {"z2n"}).node("Transpose", {"z2n"}, {"z2"}, "", {to_nhwc}).output("z2");
    if (z_output) b.node("Transpose", {"zn"}, {"z"}, "", {to_nhwc}).output("z");
    return b.build();
}

struct Built {
    runtime::CompiledGraph graph;
    std::unique_ptr<runtime::Plan> plan;
};

Built build_plan(const ir::Model& m, const Tensor& x) {
    Built b;
    auto g = runtime::compile_graph(m, "in_place_test");
    EXPECT_TRUE(g.is_ok()) << g.status().to_string();
    if (!g.is_ok()) return b;
    b.graph = std::move(g).value();
    auto p = runtime::Plan::build(b.graph, {&x}, 1);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    if (p.is_ok()) b.plan = std::move(p).value();
    return b;
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
    ASSERT_EQ(got.dims(), want.dims()) << what;
    const float* a = got.data_as<float>();
    const float* r = want.data_as<float>();
    for (int64_t i = 0; i < want.numel(); ++i) ASSERT_NEAR(a[i], r[i], 1e-4f) << what << " element " << i;
}

// Runs the fused block and its plain twin on one input; checks every output and returns the arena size.
size_t check_block(bool z_read_later, bool z_output) {
    const ir::Model fused = fused_block(z_read_later, z_output);
    const Tensor x = random_tensor({1, kH, kH, kC}, 9);
    Built b = build_plan(fused, x);
    if (!b.plan) return 0;
    Status st = b.plan->run(b.graph, {&x}, 1, {});
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    auto want = testing::run_model(plain_block(fused, z_read_later, z_output), {{"x", x}});
    EXPECT_EQ(want.size(), fused.graph.outputs.size());
    for (size_t k = 0; k < want.size() && k < fused.graph.outputs.size(); ++k)
        expect_close(b.plan->output(b.graph, k), want[k].tensor, fused.graph.outputs[k].name);
    return b.plan->arena_bytes();
}

TEST(InPlace, ResidualConvStoresItsOutputInZ) {
    // z, t and y would all be live at conv_c; y takes z's bytes instead.
    EXPECT_EQ(check_block(false, false), kWideBytes + kNarrowBytes);
}

TEST(InPlace, ZReadLaterKeepsItsBytes) {
    // z2 = Neg(z) after conv_c: overwriting z would change z2.
    EXPECT_GE(check_block(true, false), 2 * kWideBytes + kNarrowBytes);
}

TEST(InPlace, ZGraphOutputKeepsItsBytes) { EXPECT_GE(check_block(false, true), 2 * kWideBytes + kNarrowBytes); }

}  // namespace
}  // namespace edgeinfer

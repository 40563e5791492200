// The floating-point oneDNN kernels (Conv / FusedConv / ConvTranspose in kernels/cpu/conv.cpp, MatMul / Gemm in
// kernels/cpu/gemm.cpp, pooling in kernels/cpu/pool.cpp) keep to the buffers the plan gives them: run
// through create/prepare/run with the output and the scratch each inside a larger buffer of canary bytes,
// no byte outside the output (or after the scratch) changes, and the output matches a reference.
//
// oneDNN 2.6's AMX 1x1 int8 convolution stored whole 16-row tiles past the end of its destination
// (tests/unit/kernels/quantized_test.cpp); its bf16 sibling (jit_1x1:avx512_core_amx_bf16) does the same in
// a standalone program. These cases cover the shapes where a tile-sized store would overrun (6x6, 7x7, 13x13
// outputs: rows not a multiple of 16; odd M), every layout the conv kernel runs (NCHW through scratch,
// NHWC and nChw16c written directly), the Winograd tactic, the residual sum, groups, stride 2 and bf16.
// CTest runs the binary at full ISA and capped at AVX2, its bf16 cases also at AVX512_CORE (ONEDNN_MAX_CPU_ISA).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "../passes/pass_test_util.hpp"
#include "kernels/registry.hpp"

namespace edgeinfer {
namespace {

// bfloat16 <-> float (round to nearest even; the test's values are finite).
uint16_t to_bf16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u += 0x7FFF + ((u >> 16) & 1);
    return static_cast<uint16_t>(u >> 16);
}
float from_bf16(uint16_t h) {
    uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
}

// A tensor of `dtype` (float32 or bfloat16) holding `v` (rounded to bf16 in place for bfloat16).
Tensor make_tensor(DataType dtype, const std::vector<int64_t>& dims, std::vector<float>& v) {
    if (dtype == DataType::kFloat32) return Tensor::from_vector<float>(dtype, dims, v);
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        h[i] = to_bf16(v[i]);
        v[i] = from_bf16(h[i]);
    }
    return Tensor::from_vector<uint16_t>(dtype, dims, h);
}

// A case's name: each label followed by its value ("C64M48HW13...").
std::string labelled(std::initializer_list<std::pair<const char*, int64_t>> fields) {
    std::string name;
    for (const auto& field : fields) {
        name += field.first;
        name += std::to_string(field.second);
    }
    return name;
}

// How one case runs: the node's opset, which inputs are initializers, the precision and a recorded tactic.
struct RunSpec {
    int64_t opset;
    std::vector<bool> constant;
    Precision precision;
    std::string tactic;  // "" none: the kernel's own choice
};

// What one guarded run saw.
struct Guarded {
    std::string impl, tactic;
    kernels::TensorDesc out;
    std::vector<float> y;  // the output in memory order, as float
};

// Creates the kernel for `node` (inputs with `spec.constant[i]` are initializers), prepares it with
// `spec.precision` and, when `spec.tactic` is not empty, that recorded tactic, and runs it at 2 threads with
// its output at a 64-byte aligned offset inside kGuard canary bytes on each side and its scratch followed by
// kGuard more. Then the checks every case makes: the output has `dims` and no byte outside the output (or
// after the scratch) changed. `name` (the case's) is printed with the implementation that ran.
void run_guarded(const ir::Node& node, const std::vector<Tensor>& in, const RunSpec& spec,
                 const std::vector<int64_t>& dims, const std::string& name, Guarded& g) {
    const std::string label = node.op_type + " '" + node.name + "'";
    std::vector<DataType> types;
    std::vector<const Tensor*> constants;
    std::vector<kernels::TensorDesc> descs;
    for (size_t i = 0; i < in.size(); ++i) {
        const bool present = !in[i].empty();
        types.push_back(present ? in[i].dtype() : DataType::kUndefined);
        constants.push_back(present && spec.constant[i] ? &in[i] : nullptr);
        descs.push_back(
            {present ? in[i].dtype() : DataType::kUndefined, present ? in[i].dims() : std::vector<int64_t>{}, present});
    }
    kernels::CreateContext cctx{node, label, spec.opset, types, constants};
    cctx.precision = spec.precision;
    auto def = kernels::default_registry().find(cctx);
    ASSERT_TRUE(def.is_ok()) << def.status().to_string();
    auto kernel = (*def)->factory(cctx);
    ASSERT_TRUE(kernel.is_ok()) << kernel.status().to_string();

    omp_set_num_threads(2);
    kernels::PrepareContext pctx(node, label, descs, constants, 1);
    if (!spec.tactic.empty()) pctx.set_recorded_tactic(spec.tactic);
    Status prepared = (*kernel)->prepare(pctx);
    ASSERT_TRUE(prepared.is_ok()) << prepared.to_string();
    ASSERT_FALSE(pctx.deferred());
    g.out = pctx.outputs().at(0);
    g.impl = pctx.implementation();
    g.tactic = pctx.tactic();
    ASSERT_EQ(g.out.dims, dims);
    std::printf("%s: %s%s%s\n", name.c_str(), g.impl.c_str(), g.tactic.empty() ? "" : " tactic ", g.tactic.c_str());

    constexpr size_t kGuard = 64 * 1024;
    constexpr uint8_t kCanary = 0xA5;
    auto aligned = [](std::vector<uint8_t>& v) {
        return v.data() + (64 - reinterpret_cast<uintptr_t>(v.data()) % 64) % 64;
    };
    const size_t out_bytes = static_cast<size_t>(shape_numel(g.out.dims)) * dtype_size(g.out.dtype);
    std::vector<uint8_t> arena(out_bytes + 2 * kGuard + 64, kCanary);
    uint8_t* base = aligned(arena);
    Tensor y = Tensor::wrap(g.out.dtype, g.out.dims, base + kGuard);
    const size_t scratch_bytes = pctx.scratch_bytes();
    std::vector<uint8_t> scratch(scratch_bytes + kGuard + 64, kCanary);
    uint8_t* sp = aligned(scratch);
    auto state = pctx.take_state();
    kernels::RunContext rctx;
    for (const Tensor& t : in) rctx.inputs.push_back(t.empty() ? nullptr : &t);
    rctx.outputs = {&y};
    rctx.state = state.get();
    rctx.scratch = sp;
    rctx.scratch_bytes = scratch_bytes;
    rctx.num_threads = 2;
    rctx.label = &label;
    Status ran = (*kernel)->run(rctx);
    ASSERT_TRUE(ran.is_ok()) << ran.to_string();

    size_t before = 0, after = 0, scratch_after = 0;  // changed canary bytes (farthest from the buffer)
    for (size_t i = 0; i < kGuard; ++i) {
        if (base[kGuard - 1 - i] != kCanary) before = i + 1;
        if (base[kGuard + out_bytes + i] != kCanary) after = i + 1;
        if (sp[scratch_bytes + i] != kCanary) scratch_after = i + 1;
    }
    EXPECT_EQ(before, 0u) << g.impl << ": bytes written before the output";
    EXPECT_EQ(after, 0u) << g.impl << ": bytes written after the output (" << out_bytes << " bytes)";
    EXPECT_EQ(scratch_after, 0u) << g.impl << ": bytes written after the scratch";
    const size_t n = static_cast<size_t>(shape_numel(g.out.dims));
    g.y.resize(n);
    for (size_t i = 0; i < n; ++i)
        g.y[i] = g.out.dtype == DataType::kBFloat16 ? from_bf16(y.data_as<uint16_t>()[i]) : y.data_as<float>()[i];
}

// A node of `op` with output "y".
ir::Node make_node(const std::string& op, const std::string& domain, const std::string& name,
                   std::vector<std::string> inputs, std::vector<ir::Attribute> attributes) {
    ir::Node node;
    node.op_type = op;
    node.domain = domain;
    node.name = name;
    node.inputs = std::move(inputs);
    node.outputs = {"y"};
    node.attributes = std::move(attributes);
    return node;
}

// The largest difference from the reference, and the largest reference value, over an output.
struct MaxError {
    double worst = 0, largest = 0;
    void add(double got, double want) {
        worst = std::max(worst, std::fabs(got - want));
        largest = std::max(largest, std::fabs(want));
    }
    // Every output within `tolerance` of the largest reference value.
    void expect_within(double tolerance, const Guarded& g) const {
        EXPECT_LE(worst, tolerance * largest) << g.impl << ": largest |y| " << largest;
    }
};

// ---------------------------------------------------------------------------------------------
// Convolution: 1 x C x HW x HW to M channels, K x K kernel, padding K / 2, stride S, G groups.

enum class Layout { kNchw, kNhwc, kBlocked };

struct ConvCase {
    int64_t c, m, hw, k, stride, group;
    Layout layout;
    bool residual;       // FusedConv with Z (sum post-op) and a Relu
    bool bf16;           // Precision::kBf16
    bool bf16_io;        // bf16 X and (output_type = 16) Y, as inside a bf16 region
    const char* tactic;  // recorded tactic ("" none: the kernel's own choice)
};

std::string conv_name(const ::testing::TestParamInfo<ConvCase>& info) {
    const ConvCase& c = info.param;
    const char* layouts[] = {"Nchw", "Nhwc", "Blocked"};
    return labelled({{"C", c.c}, {"M", c.m}, {"HW", c.hw}, {"K", c.k}, {"S", c.stride}, {"G", c.group}}) +
           layouts[static_cast<int>(c.layout)] + (c.residual ? "Residual" : "") + (c.bf16 ? "Bf16" : "") +
           (c.bf16_io ? "Io" : "") + (c.tactic[0] != '\0' ? std::string("_") + c.tactic : "");
}
void PrintTo(const ConvCase& c, std::ostream* os) { *os << conv_name({c, 0}); }

// Memory offset of logical element (c, h, w) of a 1 x ch x hw x hw value stored in `layout`.
int64_t offset(Layout layout, int64_t ch, int64_t hw, int64_t c, int64_t h, int64_t w) {
    switch (layout) {
        case Layout::kNchw:
            return (c * hw + h) * hw + w;
        case Layout::kNhwc:
            return (h * hw + w) * ch + c;
        default:
            return ((c / 16 * hw + h) * hw + w) * 16 + c % 16;
    }
}

std::vector<int64_t> dims_of(Layout layout, int64_t ch, int64_t hw) {
    switch (layout) {
        case Layout::kNchw:
            return {1, ch, hw, hw};
        case Layout::kNhwc:
            return {1, hw, hw, ch};
        default:
            return {1, ch / 16, hw, hw, 16};
    }
}

class OnednnConvBuffers : public ::testing::TestWithParam<ConvCase> {};

TEST_P(OnednnConvBuffers, WritesOnlyItsOutput) {
    const ConvCase p = GetParam();
    const int64_t pad = p.k / 2, oh = (p.hw + 2 * pad - p.k) / p.stride + 1;
    const int64_t cg = p.c / p.group, mg = p.m / p.group;
    const uint32_t seed = static_cast<uint32_t>(p.c * 131 + p.m * 7 + p.hw * 3 + p.k + p.group);
    const DataType io = p.bf16_io ? DataType::kBFloat16 : DataType::kFloat32;
    std::vector<float> xv = random_floats(static_cast<size_t>(p.c * p.hw * p.hw), seed);
    std::vector<float> wv = random_floats(static_cast<size_t>(p.m * cg * p.k * p.k), seed + 1);
    std::vector<float> bv = random_floats(static_cast<size_t>(p.m), seed + 2);
    std::vector<float> zv = random_floats(static_cast<size_t>(p.m * oh * oh), seed + 3);
    std::vector<Tensor> in(p.residual ? 4 : 3);
    in[0] = make_tensor(io, dims_of(p.layout, p.c, p.hw), xv);
    in[1] = make_tensor(DataType::kFloat32, {p.m, cg, p.k, p.k}, wv);
    in[2] = make_tensor(DataType::kFloat32, {p.m}, bv);
    if (p.residual) in[3] = make_tensor(io, dims_of(p.layout, p.m, oh), zv);

    const bool fused = p.layout != Layout::kNchw || p.residual || p.bf16_io;
    ir::Node node =
        make_node(fused ? "FusedConv" : "Conv", fused ? "edgeinfer" : "", "conv", {"x", "w", "b"},
                  {testing::attr_is("kernel_shape", {p.k, p.k}), testing::attr_is("pads", {pad, pad, pad, pad}),
                   testing::attr_is("strides", {p.stride, p.stride}), testing::attr_i("group", p.group)});
    if (p.residual) node.inputs.push_back("z");
    if (p.layout != Layout::kNchw) node.attributes.push_back(testing::attr_i("channels_last", 1));
    if (p.layout == Layout::kBlocked) {
        node.attributes.push_back(testing::attr_i("x_block", 16));
        node.attributes.push_back(testing::attr_i("y_block", 16));
        if (p.residual) node.attributes.push_back(testing::attr_i("z_block", 16));
    }
    if (p.residual) node.attributes.push_back(testing::attr_s("activation", "Relu"));
    if (p.bf16_io) node.attributes.push_back(testing::attr_i("output_type", 16));

    Guarded g;
    ASSERT_NO_FATAL_FAILURE(run_guarded(
        node, in, {fused ? 1 : 11, {false, true, true, false}, p.bf16 ? Precision::kBf16 : Precision::kFp32, p.tactic},
        dims_of(p.layout, p.m, oh), conv_name({p, 0}), g));

    MaxError e;
    for (int64_t o = 0; o < p.m; ++o)
        for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < oh; ++ox) {
                double acc = bv[o];
                const int64_t grp = o / mg;
                for (int64_t c = 0; c < cg; ++c)
                    for (int64_t ky = 0; ky < p.k; ++ky)
                        for (int64_t kx = 0; kx < p.k; ++kx) {
                            const int64_t iy = oy * p.stride + ky - pad, ix = ox * p.stride + kx - pad;
                            if (iy < 0 || ix < 0 || iy >= p.hw || ix >= p.hw) continue;
                            acc += static_cast<double>(xv[offset(p.layout, p.c, p.hw, grp * cg + c, iy, ix)]) *
                                   wv[((o * cg + c) * p.k + ky) * p.k + kx];
                        }
                const int64_t i = offset(p.layout, p.m, oh, o, oy, ox);
                if (p.residual) acc = std::max(0.0, acc + zv[i]);
                e.add(g.y[i], acc);
            }
    // bf16 rounds the operands (and a bf16 Y) to 8 bits of mantissa; Winograd loses a few bits.
    e.expect_within(p.bf16 || p.bf16_io ? 3e-2 : g.tactic == "winograd" ? 1e-4 : 1e-5, g);
}

constexpr Layout kNchw = Layout::kNchw, kNhwc = Layout::kNhwc, kBlocked = Layout::kBlocked;

INSTANTIATE_TEST_SUITE_P(Fp32, OnednnConvBuffers,
                         ::testing::Values(ConvCase{64, 64, 6, 1, 1, 1, kNchw, false, false, false, ""},
                                           ConvCase{64, 64, 7, 1, 1, 1, kNchw, false, false, false, ""},
                                           ConvCase{64, 48, 13, 1, 1, 1, kNchw, false, false, false, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kNhwc, false, false, false, ""},
                                           ConvCase{64, 64, 7, 1, 1, 1, kNhwc, false, false, false, ""},
                                           ConvCase{128, 32, 13, 1, 1, 1, kNhwc, false, false, false, ""},
                                           ConvCase{40, 64, 6, 1, 1, 1, kNhwc, false, false, false, ""},
                                           ConvCase{64, 64, 6, 3, 1, 1, kNhwc, false, false, false, ""},
                                           ConvCase{32, 48, 13, 3, 1, 1, kNhwc, false, false, false, ""},
                                           ConvCase{32, 32, 13, 3, 2, 1, kNhwc, false, false, false, ""},
                                           ConvCase{32, 32, 13, 3, 2, 1, kNchw, false, false, false, ""},
                                           ConvCase{64, 64, 7, 1, 2, 1, kNhwc, false, false, false, ""},
                                           ConvCase{64, 64, 7, 3, 1, 64, kNhwc, false, false, false, ""},
                                           ConvCase{64, 64, 13, 3, 2, 64, kNchw, false, false, false, ""},
                                           ConvCase{64, 64, 6, 3, 1, 4, kNhwc, false, false, false, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kBlocked, false, false, false, ""},
                                           ConvCase{32, 64, 13, 3, 1, 1, kBlocked, false, false, false, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kNhwc, true, false, false, ""},
                                           ConvCase{64, 64, 7, 3, 1, 1, kNchw, true, false, false, ""},
                                           ConvCase{64, 48, 13, 1, 1, 1, kBlocked, true, false, false, ""}),
                         conv_name);

INSTANTIATE_TEST_SUITE_P(Tactics, OnednnConvBuffers,
                         ::testing::Values(ConvCase{64, 64, 7, 3, 1, 1, kNchw, false, false, false, "direct"},
                                           ConvCase{64, 64, 7, 3, 1, 1, kNchw, false, false, false, "winograd"},
                                           ConvCase{64, 64, 13, 3, 1, 1, kNchw, false, false, false, "winograd"},
                                           ConvCase{64, 48, 6, 3, 1, 1, kNhwc, false, false, false, "winograd"},
                                           ConvCase{64, 64, 13, 3, 1, 1, kBlocked, false, false, false, "winograd"},
                                           ConvCase{64, 64, 7, 3, 1, 1, kBlocked, true, false, false, "winograd"},
                                           ConvCase{64, 64, 13, 3, 1, 1, kNhwc, true, false, false, "winograd"}),
                         conv_name);

INSTANTIATE_TEST_SUITE_P(Bf16, OnednnConvBuffers,
                         ::testing::Values(ConvCase{64, 64, 6, 1, 1, 1, kNchw, false, true, false, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kNhwc, false, true, false, ""},
                                           ConvCase{40, 48, 6, 1, 1, 1, kNhwc, false, true, false, ""},
                                           ConvCase{24, 64, 6, 1, 1, 1, kNhwc, false, true, false, ""},
                                           ConvCase{64, 64, 11, 1, 2, 1, kNhwc, false, true, false, ""},
                                           ConvCase{256, 256, 6, 1, 1, 1, kNhwc, false, true, false, ""},
                                           ConvCase{64, 64, 6, 1, 1, 4, kNhwc, false, true, false, ""},
                                           ConvCase{64, 64, 7, 1, 1, 1, kNhwc, false, true, false, ""},
                                           ConvCase{128, 32, 13, 1, 1, 1, kNhwc, false, true, false, ""},
                                           ConvCase{64, 64, 6, 3, 1, 1, kNhwc, false, true, false, ""},
                                           ConvCase{32, 32, 13, 3, 2, 1, kNhwc, false, true, false, ""},
                                           ConvCase{64, 64, 7, 3, 1, 64, kNhwc, false, true, false, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kNhwc, true, true, false, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kNhwc, false, true, true, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kNhwc, true, true, true, ""},
                                           ConvCase{64, 64, 13, 3, 1, 1, kNhwc, true, true, true, ""},
                                           ConvCase{64, 64, 6, 1, 1, 1, kBlocked, false, true, true, ""}),
                         conv_name);

// ---------------------------------------------------------------------------------------------
// ConvTranspose (NCHW): 1 x C x HW x HW to M channels, K x K kernel, stride S, padding P.

struct DeconvCase {
    int64_t c, m, hw, k, stride, pad;
    bool bf16;
};

std::string deconv_name(const ::testing::TestParamInfo<DeconvCase>& info) {
    const DeconvCase& c = info.param;
    return labelled({{"C", c.c}, {"M", c.m}, {"HW", c.hw}, {"K", c.k}, {"S", c.stride}, {"P", c.pad}}) +
           (c.bf16 ? "Bf16" : "");
}
void PrintTo(const DeconvCase& c, std::ostream* os) { *os << deconv_name({c, 0}); }

class OnednnDeconvBuffers : public ::testing::TestWithParam<DeconvCase> {};

TEST_P(OnednnDeconvBuffers, WritesOnlyItsOutput) {
    const DeconvCase p = GetParam();
    const int64_t oh = (p.hw - 1) * p.stride + p.k - 2 * p.pad;
    const uint32_t seed = static_cast<uint32_t>(p.c * 11 + p.m * 3 + p.hw + p.k * 5);
    std::vector<float> xv = random_floats(static_cast<size_t>(p.c * p.hw * p.hw), seed);
    std::vector<float> wv = random_floats(static_cast<size_t>(p.c * p.m * p.k * p.k), seed + 1);
    std::vector<float> bv = random_floats(static_cast<size_t>(p.m), seed + 2);
    std::vector<Tensor> in{make_tensor(DataType::kFloat32, {1, p.c, p.hw, p.hw}, xv),
                           make_tensor(DataType::kFloat32, {p.c, p.m, p.k, p.k}, wv),
                           make_tensor(DataType::kFloat32, {p.m}, bv)};
    const ir::Node node =
        make_node("ConvTranspose", "", "deconv", {"x", "w", "b"},
                  {testing::attr_is("kernel_shape", {p.k, p.k}), testing::attr_is("pads", {p.pad, p.pad, p.pad, p.pad}),
                   testing::attr_is("strides", {p.stride, p.stride})});
    Guarded g;
    ASSERT_NO_FATAL_FAILURE(run_guarded(node, in,
                                        {11, {false, true, true}, p.bf16 ? Precision::kBf16 : Precision::kFp32, ""},
                                        {1, p.m, oh, oh}, deconv_name({p, 0}), g));
    std::vector<double> want(static_cast<size_t>(p.m * oh * oh));
    for (int64_t o = 0; o < p.m; ++o)
        for (int64_t i = 0; i < oh * oh; ++i) want[o * oh * oh + i] = bv[o];
    for (int64_t c = 0; c < p.c; ++c)
        for (int64_t iy = 0; iy < p.hw; ++iy)
            for (int64_t ix = 0; ix < p.hw; ++ix)
                for (int64_t o = 0; o < p.m; ++o)
                    for (int64_t ky = 0; ky < p.k; ++ky)
                        for (int64_t kx = 0; kx < p.k; ++kx) {
                            const int64_t oy = iy * p.stride + ky - p.pad, ox = ix * p.stride + kx - p.pad;
                            if (oy < 0 || ox < 0 || oy >= oh || ox >= oh) continue;
                            want[(o * oh + oy) * oh + ox] += static_cast<double>(xv[(c * p.hw + iy) * p.hw + ix]) *
                                                             wv[((c * p.m + o) * p.k + ky) * p.k + kx];
                        }
    MaxError e;
    for (size_t i = 0; i < want.size(); ++i) e.add(g.y[i], want[i]);
    e.expect_within(p.bf16 ? 3e-2 : 1e-5, g);
}

INSTANTIATE_TEST_SUITE_P(Shapes, OnednnDeconvBuffers,
                         ::testing::Values(DeconvCase{64, 64, 6, 2, 2, 0, false}, DeconvCase{64, 32, 7, 3, 2, 1, false},
                                           DeconvCase{64, 64, 6, 1, 1, 0, false}, DeconvCase{64, 64, 6, 2, 2, 0, true},
                                           DeconvCase{64, 32, 7, 3, 2, 1, true}, DeconvCase{64, 64, 6, 1, 1, 0, true}),
                         deconv_name);

// ---------------------------------------------------------------------------------------------
// MatMul [batch..., M, K] x [K, N] (B constant) and Gemm (B transposed, C bias), odd M.

struct MatMulCase {
    int64_t batch, m, k, n;
    bool gemm, bf16;
};

std::string matmul_name(const ::testing::TestParamInfo<MatMulCase>& info) {
    const MatMulCase& c = info.param;
    return (c.gemm ? "Gemm" : "MatMul") + labelled({{"B", c.batch}, {"M", c.m}, {"K", c.k}, {"N", c.n}}) +
           (c.bf16 ? "Bf16" : "");
}
void PrintTo(const MatMulCase& c, std::ostream* os) { *os << matmul_name({c, 0}); }

class OnednnMatMulBuffers : public ::testing::TestWithParam<MatMulCase> {};

TEST_P(OnednnMatMulBuffers, WritesOnlyItsOutput) {
    const MatMulCase p = GetParam();
    const uint32_t seed = static_cast<uint32_t>(p.batch * 17 + p.m * 5 + p.k + p.n * 3);
    std::vector<float> av = random_floats(static_cast<size_t>(p.batch * p.m * p.k), seed);
    std::vector<float> bv = random_floats(static_cast<size_t>(p.k * p.n), seed + 1);
    std::vector<float> cv = random_floats(static_cast<size_t>(p.n), seed + 2);
    ir::Node node = make_node(p.gemm ? "Gemm" : "MatMul", "", "mm", {"a", "b"}, {});
    std::vector<Tensor> in;
    std::vector<int64_t> a_dims{p.m, p.k};
    if (!p.gemm && p.batch > 1) a_dims.insert(a_dims.begin(), p.batch);
    in.push_back(make_tensor(DataType::kFloat32, a_dims, av));
    // Gemm's B is [N, K] with transB = 1; MatMul's is [K, N].
    in.push_back(
        make_tensor(DataType::kFloat32, p.gemm ? std::vector<int64_t>{p.n, p.k} : std::vector<int64_t>{p.k, p.n}, bv));
    if (p.gemm) {
        in.push_back(make_tensor(DataType::kFloat32, {p.n}, cv));
        node.inputs.push_back("c");
        node.attributes.push_back(testing::attr_i("transB", 1));
    }
    std::vector<int64_t> y_dims = a_dims;  // [batch..., M, N]
    y_dims.back() = p.n;
    Guarded g;
    ASSERT_NO_FATAL_FAILURE(run_guarded(node, in,
                                        {13, {false, true, true}, p.bf16 ? Precision::kBf16 : Precision::kFp32, ""},
                                        y_dims, matmul_name({p, 0}), g));
    MaxError e;
    for (int64_t r = 0; r < p.batch * p.m; ++r)
        for (int64_t j = 0; j < p.n; ++j) {
            double acc = p.gemm ? cv[j] : 0.0;
            for (int64_t i = 0; i < p.k; ++i)
                acc += static_cast<double>(av[r * p.k + i]) * (p.gemm ? bv[j * p.k + i] : bv[i * p.n + j]);
            e.add(g.y[r * p.n + j], acc);
        }
    e.expect_within(p.bf16 ? 3e-2 : 1e-5, g);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OnednnMatMulBuffers,
    ::testing::Values(MatMulCase{1, 7, 64, 64, false, false}, MatMulCase{1, 37, 96, 48, false, false},
                      MatMulCase{3, 13, 64, 64, false, false}, MatMulCase{1, 1, 64, 33, false, false},
                      MatMulCase{1, 7, 64, 64, false, true}, MatMulCase{1, 37, 96, 48, false, true},
                      MatMulCase{3, 13, 64, 64, false, true}, MatMulCase{1, 17, 128, 40, false, true},
                      MatMulCase{1, 7, 64, 64, true, false}, MatMulCase{1, 37, 96, 48, true, false},
                      MatMulCase{1, 7, 64, 64, true, true}, MatMulCase{1, 37, 96, 48, true, true}),
    matmul_name);

// ---------------------------------------------------------------------------------------------
// MaxPool / AveragePool over 1 x C x HW x HW, NCHW or channels-last (edgeinfer domain).

struct PoolCase {
    int64_t c, hw, k, stride;
    bool max, nhwc;
};

std::string pool_name(const ::testing::TestParamInfo<PoolCase>& info) {
    const PoolCase& c = info.param;
    return (c.max ? "Max" : "Average") + labelled({{"C", c.c}, {"HW", c.hw}, {"K", c.k}, {"S", c.stride}}) +
           (c.nhwc ? "Nhwc" : "Nchw");
}
void PrintTo(const PoolCase& c, std::ostream* os) { *os << pool_name({c, 0}); }

class OnednnPoolBuffers : public ::testing::TestWithParam<PoolCase> {};

TEST_P(OnednnPoolBuffers, WritesOnlyItsOutput) {
    const PoolCase p = GetParam();
    const Layout layout = p.nhwc ? Layout::kNhwc : Layout::kNchw;
    const int64_t oh = (p.hw - p.k) / p.stride + 1;
    std::vector<float> xv = random_floats(static_cast<size_t>(p.c * p.hw * p.hw), static_cast<uint32_t>(p.c + p.hw));
    ir::Node node =
        make_node(p.max ? "MaxPool" : "AveragePool", p.nhwc ? "edgeinfer" : "", "pool", {"x"},
                  {testing::attr_is("kernel_shape", {p.k, p.k}), testing::attr_is("strides", {p.stride, p.stride})});
    if (p.nhwc) node.attributes.push_back(testing::attr_i("channels_last", 1));
    Guarded g;
    ASSERT_NO_FATAL_FAILURE(run_guarded(node, {make_tensor(DataType::kFloat32, dims_of(layout, p.c, p.hw), xv)},
                                        {p.nhwc ? 1 : 11, {false}, Precision::kFp32, ""}, dims_of(layout, p.c, oh),
                                        pool_name({p, 0}), g));
    double worst = 0;
    for (int64_t c = 0; c < p.c; ++c)
        for (int64_t oy = 0; oy < oh; ++oy)
            for (int64_t ox = 0; ox < oh; ++ox) {
                double acc = p.max ? -1e30 : 0.0;
                for (int64_t ky = 0; ky < p.k; ++ky)
                    for (int64_t kx = 0; kx < p.k; ++kx) {
                        const double v = xv[offset(layout, p.c, p.hw, c, oy * p.stride + ky, ox * p.stride + kx)];
                        acc = p.max ? std::max(acc, v) : acc + v / static_cast<double>(p.k * p.k);
                    }
                worst = std::max(worst, std::fabs(g.y[offset(layout, p.c, oh, c, oy, ox)] - acc));
            }
    EXPECT_LE(worst, 1e-6) << g.impl;
}

INSTANTIATE_TEST_SUITE_P(Shapes, OnednnPoolBuffers,
                         ::testing::Values(PoolCase{64, 13, 3, 2, true, false}, PoolCase{64, 13, 3, 2, false, false},
                                           PoolCase{40, 7, 2, 1, true, false}, PoolCase{64, 13, 3, 2, true, true},
                                           PoolCase{64, 13, 3, 2, false, true}, PoolCase{40, 7, 2, 1, false, true},
                                           PoolCase{16, 6, 3, 1, true, true}),
                         pool_name);

}  // namespace
}  // namespace edgeinfer

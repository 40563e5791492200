// The int8 convolution kernels (kernels/cpu/quantized_conv.cpp) keep to the buffers the plan gives them, and
// the int8 path gives the same bits at every run and thread count.
//
// oneDNN 2.6's AMX 1x1 int8 convolution (picked for a source zero point) stored whole 16-row tiles and
// wrote 12 rows past the end of 6x6 outputs, into the plan's arena: there it overwrote other values, and
// at 2 threads the convolution's own source while the other thread still read it, so the bundled
// segmenter's int8 output changed from run to run (pixel agreement 98.6-99.4% instead of a steady 99.41%).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "../passes/pass_test_util.hpp"
#include "edgeinfer/session.hpp"
#include "kernels/registry.hpp"
#include "model/onnx_model.hpp"
#include "quant/quantizer.hpp"

namespace edgeinfer {
namespace {

// A 1 x C x HW x HW convolution to M channels with a K x K kernel (padding K / 2), uint8 activations
// with a nonzero zero point (which makes oneDNN use its zero-point kernels), int8 weights.
struct ConvCase {
    int64_t c, m, hw, k;
    bool float_out;  // edgeinfer:QConv without y_scale (float32 output) instead of uint8
    bool nhwc;       // edgeinfer:QConv with x_layout = y_layout = NHWC (oneDNN then writes Y itself)
};

std::string case_name(const ::testing::TestParamInfo<ConvCase>& info) {
    const ConvCase& c = info.param;
    return "C" + std::to_string(c.c) + "M" + std::to_string(c.m) + "HW" + std::to_string(c.hw) + "K" +
           std::to_string(c.k) + (c.float_out ? "Float" : "Uint8") + (c.nhwc ? "Nhwc" : "");
}

void PrintTo(const ConvCase& c, std::ostream* os) { *os << case_name({c, 0}); }

template <typename T>
Tensor scalar(DataType dtype, T v) {
    return Tensor::from_vector<T>(dtype, {}, {v});
}

class QuantizedConvBuffers : public ::testing::TestWithParam<ConvCase> {};

// The kernel, run through its create/prepare/run interface with its output placed inside a larger
// buffer, writes no byte after the output (nor before) and computes the ONNX QLinearConv formula.
// (In NCHW oneDNN computes into scratch and a reorder writes Y; in NHWC, as between two fused int8
// convolutions, oneDNN writes Y directly: where oneDNN 2.6's AMX 1x1 kernel wrote past it.)
TEST_P(QuantizedConvBuffers, WritesOnlyItsOutput) {
    const ConvCase p = GetParam();
    constexpr float kXScale = 0.02f, kWScale = 0.01f, kYScale = 0.05f;
    constexpr uint8_t kXZero = 12, kYZero = 3;
    std::mt19937 rng(static_cast<uint32_t>(p.c * 131 + p.m * 7 + p.hw * 3 + p.k));
    // Even weights: CPUs without VNNI halve them to 7 bits (kernels/cpu/quantized_common.hpp), exactly when even.
    std::uniform_int_distribution<int> u8(0, 255), half_s8(-63, 63), bias(-2000, 2000);
    std::vector<uint8_t> xv(static_cast<size_t>(p.c * p.hw * p.hw));
    std::vector<int8_t> wv(static_cast<size_t>(p.m * p.c * p.k * p.k));
    std::vector<int32_t> bv(static_cast<size_t>(p.m));
    for (auto& v : xv) v = static_cast<uint8_t>(u8(rng));
    for (auto& v : wv) v = static_cast<int8_t>(2 * half_s8(rng));
    for (auto& v : bv) v = bias(rng);
    std::vector<Tensor> in(9);
    in[0] = Tensor::from_vector<uint8_t>(DataType::kUInt8, {1, p.c, p.hw, p.hw}, xv);
    in[1] = scalar<float>(DataType::kFloat32, kXScale);
    in[2] = scalar<uint8_t>(DataType::kUInt8, kXZero);
    in[3] = Tensor::from_vector<int8_t>(DataType::kInt8, {p.m, p.c, p.k, p.k}, wv);
    in[4] = scalar<float>(DataType::kFloat32, kWScale);
    in[5] = scalar<int8_t>(DataType::kInt8, 0);
    if (!p.float_out) {
        in[6] = scalar<float>(DataType::kFloat32, kYScale);
        in[7] = scalar<uint8_t>(DataType::kUInt8, kYZero);
    }
    in[8] = Tensor::from_vector<int32_t>(DataType::kInt32, {p.m}, bv);

    ir::Node node;
    const bool fused = p.float_out || p.nhwc;
    node.op_type = fused ? "QConv" : "QLinearConv";
    node.domain = fused ? "edgeinfer" : "";
    node.name = "q";
    node.inputs = {"x", "xs", "xz", "w", "ws", "wz", p.float_out ? "" : "ys", p.float_out ? "" : "yz", "b"};
    node.outputs = {"y"};
    const int64_t pad = p.k / 2;
    node.attributes.push_back(testing::attr_is("pads", {pad, pad, pad, pad}));
    if (p.nhwc) {
        node.attributes.push_back(testing::attr_s("x_layout", "NHWC"));
        node.attributes.push_back(testing::attr_s("y_layout", "NHWC"));
    }
    // Element (c, h, w) of a 1 x channels x HW x HW value in its memory order.
    auto at = [&](int64_t channels, int64_t c, int64_t h, int64_t w) {
        return p.nhwc ? (h * p.hw + w) * channels + c : (c * p.hw + h) * p.hw + w;
    };
    const std::string label = node.op_type + " 'q'";
    std::vector<DataType> types;
    std::vector<const Tensor*> constants, values;
    std::vector<kernels::TensorDesc> descs;
    for (size_t i = 0; i < in.size(); ++i) {
        const bool present = !node.inputs[i].empty();
        types.push_back(present ? in[i].dtype() : DataType::kUndefined);
        constants.push_back(present && i > 0 ? &in[i] : nullptr);
        values.push_back(constants.back());
        descs.push_back(
            {present ? in[i].dtype() : DataType::kUndefined, present ? in[i].dims() : std::vector<int64_t>{}, present});
    }
    kernels::CreateContext cctx{node, label, node.domain.empty() ? 13 : 1, types, constants};
    auto def = kernels::default_registry().find(cctx);
    ASSERT_TRUE(def.is_ok()) << def.status().to_string();
    auto kernel = (*def)->factory(cctx);
    ASSERT_TRUE(kernel.is_ok()) << kernel.status().to_string();

    omp_set_num_threads(2);
    kernels::PrepareContext pctx(node, label, descs, values, 1);
    Status prepared = (*kernel)->prepare(pctx);
    ASSERT_TRUE(prepared.is_ok()) << prepared.to_string();
    ASSERT_FALSE(pctx.deferred());
    const kernels::TensorDesc& out = pctx.outputs().at(0);
    ASSERT_EQ(out.dtype, p.float_out ? DataType::kFloat32 : DataType::kUInt8);
    ASSERT_EQ(out.dims, (std::vector<int64_t>{1, p.m, p.hw, p.hw}));
    std::printf("%s: %s\n", case_name({p, 0}).c_str(), pctx.implementation().c_str());

    // The output at 64-byte aligned offset kGuard of a buffer with kGuard canary bytes on each side.
    constexpr size_t kGuard = 64 * 1024;
    constexpr uint8_t kCanary = 0xA5;
    const size_t out_bytes = static_cast<size_t>(shape_numel(out.dims)) * dtype_size(out.dtype);
    std::vector<uint8_t> arena(out_bytes + 2 * kGuard + 64, kCanary);
    uint8_t* base = arena.data() + (64 - reinterpret_cast<uintptr_t>(arena.data()) % 64) % 64;
    Tensor y = Tensor::wrap(out.dtype, out.dims, base + kGuard);
    std::vector<uint8_t> scratch(pctx.scratch_bytes() + 64);
    auto state = pctx.take_state();
    kernels::RunContext rctx;
    for (size_t i = 0; i < in.size(); ++i) rctx.inputs.push_back(node.inputs[i].empty() ? nullptr : &in[i]);
    rctx.outputs = {&y};
    rctx.state = state.get();
    rctx.scratch = scratch.data() + (64 - reinterpret_cast<uintptr_t>(scratch.data()) % 64) % 64;
    rctx.scratch_bytes = pctx.scratch_bytes();
    rctx.num_threads = 2;
    rctx.label = &label;
    Status ran = (*kernel)->run(rctx);
    ASSERT_TRUE(ran.is_ok()) << ran.to_string();

    size_t before = 0, after = 0;
    for (size_t i = 0; i < kGuard; ++i) {
        if (base[kGuard - 1 - i] != kCanary) before = i + 1;
        if (base[kGuard + out_bytes + i] != kCanary) after = i + 1;
    }
    EXPECT_EQ(before, 0u) << "bytes written before the output";
    EXPECT_EQ(after, 0u) << "bytes written after the output (" << out_bytes << " bytes)";

    // ONNX QLinearConv: sum over the window of (x - x_zero_point) * w (padding contributes 0), plus
    // bias, times x_scale * w_scale (/ y_scale, rounded, plus y_zero_point, saturated for uint8).
    double worst = 0, largest = 0;
    for (int64_t o = 0; o < p.m; ++o)
        for (int64_t oy = 0; oy < p.hw; ++oy)
            for (int64_t ox = 0; ox < p.hw; ++ox) {
                int64_t acc = bv[o];
                for (int64_t c = 0; c < p.c; ++c)
                    for (int64_t ky = 0; ky < p.k; ++ky)
                        for (int64_t kx = 0; kx < p.k; ++kx) {
                            const int64_t iy = oy + ky - pad, ix = ox + kx - pad;
                            if (iy < 0 || ix < 0 || iy >= p.hw || ix >= p.hw) continue;
                            acc += (xv[at(p.c, c, iy, ix)] - kXZero) * wv[((o * p.c + c) * p.k + ky) * p.k + kx];
                        }
                const int64_t i = at(p.m, o, oy, ox);
                double want = static_cast<double>(acc) * kXScale * kWScale, got;
                if (p.float_out) {
                    got = y.data_as<float>()[i];
                } else {
                    want = std::clamp(std::nearbyint(want / kYScale) + kYZero, 0.0, 255.0);
                    got = y.data_as<uint8_t>()[i];
                }
                worst = std::max(worst, std::fabs(got - want));
                largest = std::max(largest, std::fabs(want));
            }
    if (p.float_out)
        EXPECT_LE(worst, 1e-5 * largest) << "largest |y| " << largest;
    else
        EXPECT_LE(worst, 1.0) << "uint8 values may differ by one rounding step";
}

INSTANTIATE_TEST_SUITE_P(Shapes, QuantizedConvBuffers,
                         ::testing::Values(ConvCase{64, 64, 6, 1, false, true}, ConvCase{64, 64, 6, 1, true, true},
                                           ConvCase{64, 48, 6, 1, true, true}, ConvCase{128, 16, 6, 1, false, true},
                                           ConvCase{256, 256, 6, 1, true, true}, ConvCase{40, 64, 6, 1, false, true},
                                           ConvCase{64, 64, 7, 1, true, true}, ConvCase{64, 64, 11, 1, false, true},
                                           ConvCase{64, 64, 6, 3, true, true}, ConvCase{32, 32, 10, 3, false, true},
                                           ConvCase{64, 64, 6, 1, false, false}, ConvCase{64, 64, 6, 1, true, false},
                                           ConvCase{32, 32, 10, 3, false, false}),
                         case_name);

// The int8 ops' registry entries (kernels/cpu/quantized_common.hpp quant_kernel_def): an attribute they cannot
// use makes supports() name it, and the factory refuses the node with the same reason; usable ones create a
// kernel.
TEST(QuantizedKernelAttrs, UnusableAttributesAreNamed) {
    struct AttrCase {
        const char* op;
        ir::Attribute attr;
        const char* why;  // "" when the node is supported
    };
    const AttrCase cases[] = {
        {"QLinearConv", testing::attr_s("auto_pad", "MIDDLE"),
         "auto_pad 'MIDDLE' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID"},
        {"QLinearConv", testing::attr_is("strides", {1, 0}), "strides must be >= 1"},
        {"QLinearConv", testing::attr_is("dilations", {0, 1}), "dilations must be >= 1"},
        {"QLinearConv", testing::attr_is("pads", {0, -1, 0, 0}), "negative pads are not supported"},
        {"QLinearConv", testing::attr_i("group", 0), "group must be >= 1"},
        {"QLinearConv", testing::attr_s("x_layout", "NCWH"), "x_layout must be NCHW or NHWC"},
        {"QLinearConv", testing::attr_s("activation", "Erf"), "fused activation 'Erf' is not supported"},
        {"QLinearMatMul", testing::attr_s("activation", "Erf"), "fused activation 'Erf' is not supported"},
        {"QLinearConv", testing::attr_is("strides", {2, 2}), ""},
        {"QLinearMatMul", testing::attr_s("activation", "Relu"), ""},
    };
    const Tensor w = Tensor::from_vector<int8_t>(DataType::kInt8, {1, 1, 1, 1}, {2});
    for (const AttrCase& c : cases) {
        SCOPED_TRACE(std::string(c.op) + " " + c.attr.name);
        ir::Node node;
        node.op_type = c.op;
        node.name = "q";
        node.inputs = {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"};
        node.outputs = {"y"};
        const std::vector<DataType> types = {DataType::kUInt8,   DataType::kFloat32, DataType::kUInt8,
                                             DataType::kInt8,    DataType::kFloat32, DataType::kInt8,
                                             DataType::kFloat32, DataType::kUInt8};
        const std::vector<const Tensor*> constants = {nullptr, nullptr, nullptr, &w,
                                                      nullptr, nullptr, nullptr, nullptr};
        kernels::CreateContext cctx{node, std::string(c.op) + " 'q'", 13, types, constants};
        auto plain = kernels::default_registry().find(cctx);  // the entry, found before the attribute is set
        ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
        node.attributes.push_back(c.attr);
        auto def = kernels::default_registry().find(cctx);
        if (*c.why == '\0') {
            ASSERT_TRUE(def.is_ok()) << def.status().to_string();
            EXPECT_TRUE((*def)->factory(cctx).is_ok());
            continue;
        }
        ASSERT_FALSE(def.is_ok());
        EXPECT_NE(def.status().message().find(c.why), std::string::npos) << def.status().to_string();
        // The factory, called on a node supports() refused, gives the same reason and names the node.
        auto kernel = (*plain)->factory(cctx);
        ASSERT_FALSE(kernel.is_ok());
        EXPECT_EQ(kernel.status().code(), StatusCode::kInvalidModel);
        EXPECT_NE(kernel.status().message().find(std::string(c.op) + " 'q': " + c.why), std::string::npos)
            << kernel.status().to_string();
    }
}

// The bundled trained segmenter (models/shapes_segmenter.onnx) quantized with a few seeded samples, in
// int8 at 2 threads: the same input gives the same bits at every run, and the bits of 1 thread.
TEST(QuantizedDeterminism, SegmenterInt8SameBitsEveryRun) {
    auto m = model::load_model(std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes_segmenter.onnx");
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    std::vector<quant::Sample> samples;
    for (uint32_t k = 0; k < 4; ++k) samples.push_back({{"input", testing::random_tensor({1, 3, 96, 96}, 100 + k)}});
    quant::QuantizeOptions qo;
    qo.num_threads = 2;
    auto q = quant::quantize_model(std::move(m).value(), samples, qo);
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    auto bytes = model::serialize_model(q.value());
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    auto run = [&](int threads, int runs) {
        SessionOptions o;
        o.num_threads = threads;
        o.precision = Precision::kInt8;
        auto s = Session::create_from_bytes(bytes->data(), bytes->size(), o);
        EXPECT_TRUE(s.is_ok()) << s.status().to_string();
        std::vector<std::vector<float>> outs;
        if (!s.is_ok()) return outs;
        const Tensor x = testing::random_tensor({1, 3, 96, 96}, 7);
        for (int r = 0; r < runs; ++r) {
            auto y = s.value()->run({{"input", x}});
            EXPECT_TRUE(y.is_ok()) << y.status().to_string();
            if (!y.is_ok()) break;
            const Tensor& t = y->front().tensor;
            outs.emplace_back(t.data_as<float>(), t.data_as<float>() + t.numel());
        }
        return outs;
    };
    const auto one = run(1, 1), two = run(2, 12);
    ASSERT_EQ(one.size(), 1u);
    ASSERT_EQ(two.size(), 12u);
    for (size_t r = 0; r < two.size(); ++r)
        EXPECT_EQ(std::memcmp(two[r].data(), one[0].data(), one[0].size() * sizeof(float)), 0)
            << "run " << r << " at 2 threads differs from 1 thread";
}

}  // namespace
}  // namespace edgeinfer

// Kernels: QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger and the fused edgeinfer:QConv /
// edgeinfer:QMatMul / edgeinfer:Quantize (from passes/qdq_fusion) on oneDNN int8 primitives; also
// com.microsoft:QLinearConv (ONNX Runtime's NHWC transformer: QLinearConv's inputs, channels_last = 1 for
// (N, spatial..., C) X and Y, which needs int8 weights with zero point 0).
//
// Every op computes acc = sum (x - x_zp) * (w - w_zp) in the accumulator domain, adds a bias there,
// multiplies by m[c] = x_scale * w_scale[c] / y_scale, applies an optional activation in output
// units (SiLU and HardSwish, which do not commute with scaling, in real units followed by 1/y_scale),
// then rounds, adds y_zp and saturates (or writes float32 / int32). edgeinfer:QConv may take a
// residual Z (input 9, Y's shape and layout) added before the activation: float32 (with a float32
// output only), or quantized with z_scale / z_zero_point (inputs 10, 11; int8 weights only) when
// passes/qdq_fusion chains residual blocks in int8; with a quantized output Z then has the output's
// type and is added by the sum post-op in its own scale and zero point.
// Fast path: constant weights whose zero point folds into int8 values run as one oneDNN int8
// convolution/matmul with output scales, src/dst zero points, bias, sum (Z) and eltwise post-ops.
// On CPUs without VNNI (AVX2, AVX-512 before Cascade Lake) oneDNN multiplies uint8 x int8 pairs with
// VPMADDUBSW, whose 16-bit sums saturate for full-range weights: there the weights are halved to 7
// bits (the output scale doubled, the accumulator-domain bias halved), which cannot saturate, and the
// implementation name ends in ":7bit".
// Anything else (uint8 weights that do not fit int8 after subtracting their zero point, weights
// computed at run time, batched weights) runs a float32 oneDNN primitive on the zero-point-corrected
// integer values and requantizes in a loop.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

// Input positions of the quantization parameters; -1 where the op has none.
struct Slots {
    int x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias, z;
};
constexpr Slots kQLinearSlots{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};        // QLinearConv/MatMul, edgeinfer QConv/QMatMul
constexpr Slots kIntegerSlots{0, -1, 2, 1, -1, 3, -1, -1, -1, -1};  // ConvInteger / MatMulInteger
constexpr size_t kZScale = 10, kZZeroPoint = 11;                    // edgeinfer:QConv, quantized Z

enum class OpKind { kQLinear, kInteger, kFused };

// Activation applied in output units (after the multiplier, before rounding).
struct Activation {
    enum class Kind { kNone, kRelu, kLeakyRelu, kClip, kSiLU, kHardSwish } kind = Kind::kNone;
    float alpha = 0.0f, lo = 0.0f, hi = 0.0f;
};

std::string parse_activation(const ir::Node& node, Activation& act) {
    std::string name = node.attr_string("activation", "");
    if (name.empty()) return "";
    if (name == "Relu") {
        act.kind = Activation::Kind::kRelu;
    } else if (name == "LeakyRelu") {
        act.kind = Activation::Kind::kLeakyRelu;
        act.alpha = node.attr_float("alpha", 0.01f);
    } else if (name == "SiLU") {  // x * sigmoid(x)
        act.kind = Activation::Kind::kSiLU;
    } else if (name == "HardSwish") {  // x * clip(x / 6 + 1/2, 0, 1)
        act.kind = Activation::Kind::kHardSwish;
    } else if (name == "Clip") {
        act.kind = Activation::Kind::kClip;
        act.lo = node.attr_float("min", std::numeric_limits<float>::lowest());
        act.hi = node.attr_float("max", std::numeric_limits<float>::max());
    } else {
        return "fused activation '" + name + "' is not supported";
    }
    return "";
}

bool is_q8(DataType t) { return t == DataType::kUInt8 || t == DataType::kInt8; }

// Integer values of a zero-point tensor (uint8, int8 or int32).
bool read_zero_points(const Tensor& t, std::vector<int32_t>& out) {
    out.resize(static_cast<size_t>(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) {
        switch (t.dtype()) {
            case DataType::kUInt8:
                out[i] = t.data_as<uint8_t>()[i];
                break;
            case DataType::kInt8:
                out[i] = t.data_as<int8_t>()[i];
                break;
            case DataType::kInt32:
                out[i] = t.data_as<int32_t>()[i];
                break;
            default:
                return false;
        }
    }
    return true;
}

// Quantization parameters of one node for one plan, in the forms both paths use.
struct QuantValues {
    int32_t x_zp = 0, y_zp = 0;
    std::vector<int32_t> w_zp{0};
    std::vector<float> multiplier;  // per output channel: x_scale * w_scale[c] / y_scale (see post_scale)
    float post_scale = 1.0f;        // 1 / y_scale after a SiLU/HardSwish computed in real units, else 1
    float out_div = 1.0f;           // real value = out_div * (value before the activation and post_scale)
    std::vector<float> bias_acc;    // per output channel, accumulator domain; empty: none
    DataType out = DataType::kFloat32;
    Activation act;  // bounds already in output units
};

// Reads scales, zero points and bias (prepare-time values). `missing` is set when a value is not
// known yet (the node then defers to run time).
Status read_quant_values(const PrepareContext& ctx, OpKind kind, const Slots& s, int64_t channels,
                         const Activation& act_attr, QuantValues& q, bool& missing) {
    missing = false;
    auto value = [&](int slot) -> const Tensor* {
        if (slot < 0 || !ctx.has_input(static_cast<size_t>(slot))) return nullptr;
        const Tensor* t = ctx.value(static_cast<size_t>(slot));
        if (t == nullptr) missing = true;
        return t;
    };
    auto scalar_float = [&](int slot, float& out, const char* what) -> Status {
        const Tensor* t = value(slot);
        if (t == nullptr) return Status::ok();
        if (t->dtype() != DataType::kFloat32 || t->numel() != 1)
            return ctx.invalid(std::string(what) + " must be a float32 scalar");
        out = t->data_as<float>()[0];
        if (!(out > 0.0f) || !std::isfinite(out))
            return ctx.invalid(std::string(what) + " must be positive and finite");
        return Status::ok();
    };
    auto scalar_zp = [&](int slot, int32_t& out, const char* what) -> Status {
        const Tensor* t = value(slot);
        std::vector<int32_t> v;
        if (t == nullptr) return Status::ok();
        if (!read_zero_points(*t, v) || v.size() != 1) return ctx.invalid(std::string(what) + " must be a scalar");
        out = v[0];
        return Status::ok();
    };
    float xs = 1.0f, ys = 1.0f;
    std::vector<float> ws{1.0f};
    EDGEINFER_RETURN_IF_ERROR(scalar_float(s.x_scale, xs, "x_scale"));
    EDGEINFER_RETURN_IF_ERROR(scalar_zp(s.x_zp, q.x_zp, "x_zero_point"));
    EDGEINFER_RETURN_IF_ERROR(scalar_float(s.y_scale, ys, "y_scale"));
    EDGEINFER_RETURN_IF_ERROR(scalar_zp(s.y_zp, q.y_zp, "y_zero_point"));
    if (const Tensor* t = value(s.w_scale)) {
        if (t->dtype() != DataType::kFloat32 || (t->numel() != 1 && t->numel() != channels))
            return ctx.invalid("w_scale must be a float32 scalar or have one value per output channel (" +
                               std::to_string(channels) + ")");
        ws.assign(t->data_as<float>(), t->data_as<float>() + t->numel());
    }
    if (const Tensor* t = value(s.w_zp)) {
        if (!read_zero_points(*t, q.w_zp) || (t->numel() != 1 && t->numel() != channels))
            return ctx.invalid("w_zero_point must be a scalar or have one value per output channel");
    }
    const Tensor* b = value(s.bias);
    if (missing) return Status::ok();
    // SiLU and HardSwish compute in real units: the accumulators scaled by x_scale * w_scale only,
    // the activation, then 1 / y_scale (oneDNN: output scales, eltwise, linear; then the dst zero point).
    const bool real_units = act_attr.kind == Activation::Kind::kSiLU || act_attr.kind == Activation::Kind::kHardSwish;
    const float out_div = real_units ? 1.0f : ys;
    q.out_div = out_div;
    q.post_scale = real_units ? 1.0f / ys : 1.0f;
    q.multiplier.resize(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) q.multiplier[c] = xs * ws[ws.size() == 1 ? 0 : c] / out_div;
    if (b != nullptr) {
        if (b->numel() != channels) return ctx.invalid("bias must have " + std::to_string(channels) + " values");
        q.bias_acc.resize(static_cast<size_t>(channels));
        for (int64_t c = 0; c < channels; ++c) {
            if (b->dtype() == DataType::kInt32)
                q.bias_acc[c] = static_cast<float>(b->data_as<int32_t>()[c]);
            else if (b->dtype() == DataType::kFloat32)
                q.bias_acc[c] = b->data_as<float>()[c] / (xs * ws[ws.size() == 1 ? 0 : c]);
            else
                return ctx.invalid("bias must be int32 or float32");
        }
    }
    // Output type: int32 for the *Integer ops, the y zero point's type, float32 for fused ops
    // without y_scale.
    if (kind == OpKind::kInteger) {
        q.out = DataType::kInt32;
    } else if (s.y_scale >= 0 && ctx.has_input(static_cast<size_t>(s.y_scale))) {
        q.out = s.y_zp >= 0 && ctx.has_input(static_cast<size_t>(s.y_zp)) ? ctx.input(s.y_zp).dtype : DataType::kUInt8;
        if (!is_q8(q.out)) return ctx.invalid("y_zero_point must be uint8 or int8");
    } else if (kind == OpKind::kQLinear) {
        return ctx.invalid("y_scale is required");
    }
    q.act = act_attr;
    if (q.act.kind == Activation::Kind::kClip) {
        q.act.lo /= ys;
        q.act.hi /= ys;
    }
    return Status::ok();
}

// Constant weights with their zero point folded in: int8 when every value fits (fast path), else
// float32 (fallback). `channel_of(i)` maps element i of W to its output channel.
struct FoldedWeights {
    Tensor s8;   // int8, same dims as W
    Tensor f32;  // float32 (w - zp) when int8 does not fit
};

// oneDNN's int8 kernels here multiply with VPMADDUBSW (no VNNI): int8 weights must keep to 7 bits.
// An x86 matter only: on aarch64 oneDNN's int8 kernels (SVE SDOT, or its reference gemm on NEON-only
// CPUs) accumulate in 32 bits, and its effective ISA there names no x86 feature at all.
bool seven_bit_weights() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool v = !cpu_isa_has(dnnl::cpu_isa::avx512_core_vnni) && !cpu_isa_has(dnnl::cpu_isa::avx2_vnni);
    return v;
#else
    return false;
#endif
}


template <typename ChannelOf>
FoldedWeights fold_weights(const Tensor& w, const std::vector<int32_t>& zp, ChannelOf channel_of) {
    FoldedWeights out;
    auto at = [&](int64_t i) -> int32_t {
        int32_t v = w.dtype() == DataType::kUInt8 ? w.data_as<uint8_t>()[i] : w.data_as<int8_t>()[i];
        return v - zp[zp.size() == 1 ? 0 : channel_of(i)];
    };
    bool fits = true;
    for (int64_t i = 0; i < w.numel() && fits; ++i) fits = at(i) >= -128 && at(i) <= 127;
    if (fits) {
        out.s8 = Tensor::allocate(DataType::kInt8, w.dims());
        const bool halve = seven_bit_weights();  // then every value fits [-64, 64]
        for (int64_t i = 0; i < w.numel(); ++i)
            out.s8.data_as<int8_t>()[i] =
                static_cast<int8_t>(halve ? std::nearbyint(static_cast<float>(at(i)) * 0.5f) : at(i));
    } else {
        out.f32 = Tensor::allocate(DataType::kFloat32, w.dims());
        for (int64_t i = 0; i < w.numel(); ++i) out.f32.data_as<float>()[i] = static_cast<float>(at(i));
    }
    return out;
}

// Integer input values minus their zero point, as float32 (fallback path).
void widen(const Tensor& t, const int32_t* zp, size_t num_zp, int64_t inner, int64_t channels, float* out) {
    const int64_t n = t.numel();
    parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            int32_t z = zp[num_zp == 1 ? 0 : (i / inner) % channels];
            int32_t v = t.dtype() == DataType::kUInt8 ? t.data_as<uint8_t>()[i] : t.data_as<int8_t>()[i];
            out[i] = static_cast<float>(v - z);
        }
    });
}

// Requantizes accumulators: element i belongs to channel (i / inner) % channels. `z` (float32
// output only, may be null) is added before the activation.
void finish(const float* acc, const float* z, const QuantValues& q, int64_t inner, int64_t channels, Tensor& y) {
    const int64_t n = y.numel();
    const float lo = q.out == DataType::kUInt8 ? 0.0f : -128.0f, hi = q.out == DataType::kUInt8 ? 255.0f : 127.0f;
    parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            int64_t c = (i / inner) % channels;
            float v = acc[i] + (q.bias_acc.empty() ? 0.0f : q.bias_acc[c]);
            if (q.out == DataType::kInt32) {
                y.data_as<int32_t>()[i] = static_cast<int32_t>(std::nearbyint(v));
                continue;
            }
            v *= q.multiplier[c];
            if (z != nullptr) v += z[i];
            switch (q.act.kind) {
                case Activation::Kind::kRelu:
                    v = std::max(v, 0.0f);
                    break;
                case Activation::Kind::kLeakyRelu:
                    v = v < 0.0f ? v * q.act.alpha : v;
                    break;
                case Activation::Kind::kClip:
                    v = std::min(q.act.hi, std::max(q.act.lo, v));
                    break;
                case Activation::Kind::kSiLU:
                    v = v / (1.0f + std::exp(-v)) * q.post_scale;
                    break;
                case Activation::Kind::kHardSwish:
                    v = v * std::min(1.0f, std::max(0.0f, v / 6.0f + 0.5f)) * q.post_scale;
                    break;
                case Activation::Kind::kNone:
                    break;
            }
            if (q.out == DataType::kFloat32) {
                y.data_as<float>()[i] = v;
                continue;
            }
            v = std::min(hi, std::max(lo, std::nearbyint(v) + static_cast<float>(q.y_zp)));
            if (q.out == DataType::kUInt8)
                y.data_as<uint8_t>()[i] = static_cast<uint8_t>(v);
            else
                y.data_as<int8_t>()[i] = static_cast<int8_t>(v);
        }
    });
}

// The oneDNN attribute of the fast path: output scales, zero points, residual sum and activation post-ops.
// The sum post-op adding Z (what dst holds when the primitive runs), in the units before the activation.
struct SumPostOp {
    bool on = false;
    float scale = 1.0f;
    int32_t zero_point = 0;
    memory::data_type type = memory::data_type::undef;
};

dnnl::primitive_attr int8_attr(const QuantValues& q, int scale_mask, const SumPostOp& sum = {}) {
    dnnl::primitive_attr attr = user_scratch_attr();
    if (q.out != DataType::kInt32) {
        bool common = true;
        for (float m : q.multiplier) common = common && m == q.multiplier[0];
        if (common)
            attr.set_output_scales(0, {q.multiplier[0]});
        else
            attr.set_output_scales(scale_mask, q.multiplier);
    }
    if (q.x_zp != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    if (q.y_zp != 0 && q.out != DataType::kFloat32 && q.out != DataType::kInt32)
        attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
    dnnl::post_ops ops;
    if (sum.on) ops.append_sum(sum.scale, sum.zero_point, sum.type);
    if (q.act.kind != Activation::Kind::kNone && q.out != DataType::kInt32) {
        if (q.act.kind == Activation::Kind::kClip)
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, q.act.lo, q.act.hi);
        else if (q.act.kind == Activation::Kind::kSiLU)
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f);
        else if (q.act.kind == Activation::Kind::kHardSwish)
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_hardswish, 0.0f, 0.0f);
        else
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, q.act.alpha, 0.0f);
        if (q.post_scale != 1.0f) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, q.post_scale, 0.0f);
    }
    if (ops.len() > 0) attr.set_post_ops(ops);
    return attr;
}

// Per-shape state shared by the convolution and matmul kernels.
struct QState : KernelState {
    bool empty = false;
    bool fast = false;
    QuantValues q;
    int64_t inner = 1, channels = 1;  // output element i is in channel (i / inner) % channels
    int64_t w_inner = 1;              // weight element i is in channel (i / w_inner) % channels
    BoundPrimitive prim;
    memory::desc src_md, dst_md, sp_md;
    bool reorder_src = false, reorder_dst = false;
    bool has_z = false;  // edgeinfer:QConv residual Z (Y's shape and layout): put into dst first
    bool reorder_z = false;      // Z reaches dst through z_reorder (layout, or dequantization), not memcpy
    bool z_dequantize = false;   // quantized Z, float32 dst: z_reorder applies z_attr (scale, zero point)
    memory::desc z_plain;        // Z as stored
    dnnl::primitive_attr z_attr;
    std::vector<int32_t> z_zp_mem{0};
    BoundPrimitive src_reorder, dst_reorder, z_reorder;
    memory::desc src_sp, dst_sp, z_sp;
    std::vector<int32_t> x_zp_mem{0}, y_zp_mem{0};  // runtime zero-point buffers (fast path)
    std::vector<float> bias;                        // accumulator-domain bias (fast path)
    dnnl::memory packed_weights;
    FoldedWeights own_weights;  // W folded for this state (run-time values)
    std::unique_ptr<PackedWeightsCache> own_cache;
    bool widen_weights = false;  // fallback with run-time weights
    size_t src_off = 0, dst_off = 0, sp_off = 0, xf_off = 0, wf_off = 0, acc_off = 0;
};

// The fast path's bias and output scales for weights fold_weights halved (accumulators half as large).
void compensate_seven_bit(QState& st) {
    if (!seven_bit_weights()) return;
    for (float& m : st.q.multiplier) m *= 2.0f;
    for (float& v : st.bias) v *= 0.5f;
}

void bind_common(QState& st, const memory::desc& w_md) {
    st.prim.arg(DNNL_ARG_SRC, st.src_md);
    if (st.packed_weights)
        st.prim.fixed(DNNL_ARG_WEIGHTS, st.packed_weights);
    else
        st.prim.arg(DNNL_ARG_WEIGHTS, w_md);
    st.prim.arg(DNNL_ARG_DST, st.dst_md);
    st.prim.arg(DNNL_ARG_SCRATCHPAD, st.sp_md);
    if (st.fast) {
        auto s32 = memory::desc({1}, memory::data_type::s32, memory::format_tag::a);
        if (st.q.x_zp != 0)
            st.prim.fixed(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, wrap_memory(s32, st.x_zp_mem.data()));
        if (st.q.y_zp != 0 && is_q8(st.q.out))
            st.prim.fixed(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, wrap_memory(s32, st.y_zp_mem.data()));
        if (!st.bias.empty()) {
            auto b_md =
                memory::desc({static_cast<int64_t>(st.bias.size())}, memory::data_type::f32, memory::format_tag::a);
            st.prim.fixed(DNNL_ARG_BIAS, wrap_memory(b_md, st.bias.data()));
        }
    }
}

// Runs a prepared state: shared by both kernels (they differ only in how prepare builds it).
void run_state(const RunContext& ctx, const QState& st, const Slots& s) {
    void* sp = ScratchLayout::at(ctx.scratch, st.sp_off);
    Tensor& y = ctx.out(0);
    if (st.fast) {
        const void* src = ctx.in(s.x).data();
        if (st.reorder_src) {
            void* tmp = ScratchLayout::at(ctx.scratch, st.src_off);
            st.src_reorder.execute({{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, tmp}, {DNNL_ARG_SCRATCHPAD, sp}});
            src = tmp;
        }
        void* dst = st.reorder_dst ? ScratchLayout::at(ctx.scratch, st.dst_off) : y.data();
        if (st.has_z) {  // the sum post-op adds what dst holds
            const void* z = ctx.in(s.z).data();
            if (st.reorder_z)
                st.z_reorder.execute({{DNNL_ARG_FROM, z}, {DNNL_ARG_TO, dst}, {DNNL_ARG_SCRATCHPAD, sp}});
            else
                std::memcpy(dst, z, ctx.in(s.z).nbytes());
        }
        st.prim.execute({{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, sp}});
        if (st.reorder_dst)
            st.dst_reorder.execute({{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, y.data()}, {DNNL_ARG_SCRATCHPAD, sp}});
        return;
    }
    auto* xf = static_cast<float*>(ScratchLayout::at(ctx.scratch, st.xf_off));
    widen(ctx.in(s.x), &st.q.x_zp, 1, 1, 1, xf);
    const void* w = nullptr;
    if (st.widen_weights) {
        auto* wf = static_cast<float*>(ScratchLayout::at(ctx.scratch, st.wf_off));
        widen(ctx.in(s.w), st.q.w_zp.data(), st.q.w_zp.size(), st.w_inner, st.channels, wf);
        w = wf;
    }
    auto* acc = static_cast<float*>(ScratchLayout::at(ctx.scratch, st.acc_off));
    st.prim.execute({{DNNL_ARG_SRC, xf}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, acc}, {DNNL_ARG_SCRATCHPAD, sp}});
    finish(acc, st.has_z ? ctx.in(s.z).data_as<float>() : nullptr, st.q, st.inner, st.channels, y);
}

// Base of both kernels. Constant weights are folded with their zero point and packed once per
// kernel (the zero point is itself an input, so this happens at the first prepare).
class QuantKernelBase : public Kernel {
  public:
    QuantKernelBase(OpKind kind, Activation act, Tensor constant_w)
        : kind_(kind),
          slots_(kind == OpKind::kInteger ? kIntegerSlots : kQLinearSlots),
          act_(act),
          constant_w_(std::move(constant_w)) {}

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<QState>();
        if (st.empty) return Status::ok();
        return onednn_guard(*ctx.label, [&]() {
            run_state(ctx, st, slots_);
            return Status::ok();
        });
    }

  protected:
    // Folded weights (nullptr when W is only known at run time) and the cache packing them.
    template <typename ChannelOf>
    const FoldedWeights* folded(const PrepareContext& ctx, const std::vector<int32_t>& zp, ChannelOf channel_of,
                                QState& st, PackedWeightsCache*& cache) const {
        if (!constant_w_.empty()) {
            std::lock_guard<std::mutex> lock(mu_);
            if (!folded_ready_ || folded_zp_ != zp) {
                folded_ = fold_weights(constant_w_, zp, channel_of);
                folded_zp_ = zp;
                folded_ready_ = true;
                cache_ = std::make_unique<PackedWeightsCache>();
            }
            cache = cache_.get();
            return &folded_;
        }
        const Tensor* w = ctx.value(static_cast<size_t>(slots_.w));
        if (w == nullptr) return nullptr;
        st.own_weights = fold_weights(*w, zp, channel_of);  // values given while running (deferred node)
        st.own_cache = std::make_unique<PackedWeightsCache>();
        cache = st.own_cache.get();
        return &st.own_weights;
    }

    Status check_types(const PrepareContext& ctx) const {
        if (!is_q8(ctx.input(slots_.x).dtype)) return ctx.invalid("input x must be uint8 or int8");
        if (!is_q8(ctx.input(slots_.w).dtype)) return ctx.invalid("input w must be uint8 or int8");
        for (int zp : {slots_.x_zp, slots_.w_zp})
            if (ctx.has_input(zp) && ctx.input(zp).dtype != ctx.input(zp == slots_.x_zp ? slots_.x : slots_.w).dtype)
                return ctx.invalid("zero point type differs from its input's type");
        return Status::ok();
    }

    OpKind kind_;
    Slots slots_;
    Activation act_;
    Tensor constant_w_;  // W when it is an initializer
    mutable std::mutex mu_;
    mutable bool folded_ready_ = false;
    mutable FoldedWeights folded_;
    mutable std::vector<int32_t> folded_zp_;
    mutable std::unique_ptr<PackedWeightsCache> cache_;
};

// Finishes a state: reorders between plain tensors and the primitive's layouts, scratch layout.
void plan_scratch(PrepareContext& ctx, QState& st, const memory::desc& src_plain, const memory::desc& dst_plain,
                  size_t x_numel, size_t w_numel, size_t y_numel) {
    ScratchLayout layout;
    if (st.fast) {
        st.reorder_src = st.src_md != src_plain;
        if (st.reorder_src) st.src_reorder = bound_reorder(src_plain, st.src_md, st.src_sp);
        st.reorder_dst = st.dst_md != dst_plain;
        if (st.reorder_dst) st.dst_reorder = bound_reorder(st.dst_md, dst_plain, st.dst_sp);
        st.reorder_z = st.has_z && (st.z_dequantize || st.z_plain != st.dst_md);
        if (st.reorder_z) {
            st.z_reorder = bound_reorder(st.z_plain, st.dst_md, st.z_sp, st.z_dequantize ? st.z_attr : user_scratch_attr());
            if (st.z_dequantize && st.z_zp_mem[0] != 0)
                st.z_reorder.fixed(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC,
                                   wrap_memory(memory::desc({1}, memory::data_type::s32, memory::format_tag::a),
                                               st.z_zp_mem.data()));
        }
        if (st.reorder_src) st.src_off = layout.add(st.src_md.get_size());
        if (st.reorder_dst) st.dst_off = layout.add(st.dst_md.get_size());
    } else {
        st.xf_off = layout.add(x_numel * 4);
        if (st.widen_weights) st.wf_off = layout.add(w_numel * 4);
        st.acc_off = layout.add(y_numel * 4);
    }
    st.sp_off =
        layout.add(std::max({st.sp_md.get_size(), st.src_sp.get_size(), st.dst_sp.get_size(), st.z_sp.get_size()}));
    ctx.request_scratch(layout.total());
}

// ---------------------------------------------------------------------------------------------
// Convolution: QLinearConv, ConvInteger, edgeinfer:QConv.

struct ConvAttrs {
    AutoPad auto_pad = AutoPad::kNotSet;
    int64_t group = 1;
    std::vector<int64_t> kernel_shape, strides, dilations, pads;
    // Memory order of X / Y / Z: "NHWC" between two QConv nodes (passes/qdq_fusion), NCHW otherwise;
    // Z's (z_layout) is Y's unless given.
    bool x_nhwc = false, y_nhwc = false, z_nhwc = false;
    // com.microsoft:QLinearConv with channels_last = 1 (ONNX Runtime's NHWC transformer): X and Y dims are
    // (N, spatial..., C) themselves; computed as NCHW dims over channels-last memory.
    bool nhwc_dims = false;
};

// Strides of `dims` ([N, C, spatial...]) stored channels-last.
std::vector<int64_t> channels_last_strides(const std::vector<int64_t>& dims) {
    std::vector<int64_t> st(dims.size());
    int64_t step = 1;
    st[1] = step;
    step *= dims[1];
    for (size_t i = dims.size() - 1; i >= 2; --i) {
        st[i] = step;
        step *= dims[i];
    }
    st[0] = step;
    return st;
}

std::string parse_conv_attrs(const ir::Node& node, ConvAttrs& a) {
    if (!parse_auto_pad(node.attr_string("auto_pad", "NOTSET"), a.auto_pad))
        return "auto_pad '" + node.attr_string("auto_pad", "") + "' is not supported";
    a.group = node.attr_int("group", 1);
    if (a.group < 1) return "group must be >= 1";
    a.kernel_shape = node.attr_ints("kernel_shape");
    a.strides = node.attr_ints("strides");
    a.dilations = node.attr_ints("dilations");
    a.pads = node.attr_ints("pads");
    for (int64_t v : a.strides)
        if (v < 1) return "strides must be >= 1";
    for (int64_t v : a.dilations)
        if (v < 1) return "dilations must be >= 1";
    for (int64_t v : a.pads)
        if (v < 0) return "negative pads are not supported";
    for (const char* attr : {"x_layout", "y_layout"}) {
        std::string layout = node.attr_string(attr, "NCHW");
        if (layout != "NCHW" && layout != "NHWC") return std::string(attr) + " must be NCHW or NHWC";
        (attr[0] == 'x' ? a.x_nhwc : a.y_nhwc) = layout == "NHWC";
    }
    if (node.domain == "com.microsoft") {
        a.nhwc_dims = a.x_nhwc = a.y_nhwc = node.attr_int("channels_last", 0) != 0;
        return "";
    }
    std::string z_layout = node.attr_string("z_layout", a.y_nhwc ? "NHWC" : "NCHW");
    if (z_layout != "NCHW" && z_layout != "NHWC") return "z_layout must be NCHW or NHWC";
    a.z_nhwc = z_layout == "NHWC";
    return "";
}

class QuantConvKernel final : public QuantKernelBase {
  public:
    QuantConvKernel(OpKind kind, ConvAttrs attrs, Activation act, Tensor w)
        : QuantKernelBase(kind, act, std::move(w)), attrs_(std::move(attrs)) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

  private:
    // Output dims and oneDNN's strides / dilations / paddings for one input shape.
    Status geometry(const PrepareContext& ctx, const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                    std::vector<int64_t>& y, memory::dims& st, memory::dims& dil, memory::dims& pl,
                    memory::dims& pr) const {
        const size_t n = x.size() - 2;
        auto at = [](const std::vector<int64_t>& v, size_t i, int64_t d) { return i < v.size() ? v[i] : d; };
        if ((!attrs_.strides.empty() && attrs_.strides.size() != n) ||
            (!attrs_.dilations.empty() && attrs_.dilations.size() != n) ||
            (!attrs_.pads.empty() && attrs_.pads.size() != 2 * n))
            return ctx.invalid("strides/dilations/pads do not match " + std::to_string(n) + " spatial dims");
        y = {x[0], w[0]};
        for (size_t i = 0; i < n; ++i) {
            int64_t s = at(attrs_.strides, i, 1), d = at(attrs_.dilations, i, 1);
            int64_t extent = (w[i + 2] - 1) * d + 1, in = x[i + 2];
            int64_t lo = at(attrs_.pads, i, 0), hi = at(attrs_.pads, i + n, 0), out;
            if (attrs_.auto_pad == AutoPad::kValid) lo = hi = 0;
            if (attrs_.auto_pad == AutoPad::kSameUpper || attrs_.auto_pad == AutoPad::kSameLower) {
                out = (in + s - 1) / s;
                int64_t total = std::max<int64_t>(0, (out - 1) * s + extent - in);
                lo = attrs_.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
                hi = total - lo;
            } else {
                if (in + lo + hi < extent) return ctx.invalid("kernel is larger than the padded input");
                out = (in + lo + hi - extent) / s + 1;
            }
            y.push_back(out);
            st.push_back(s);
            dil.push_back(d - 1);
            pl.push_back(lo);
            pr.push_back(hi);
        }
        return Status::ok();
    }

    Status prepare_impl(PrepareContext& ctx) const {
        const Slots& s = slots_;
        if (!ctx.has_input(s.x) || !ctx.has_input(s.w)) return ctx.invalid("x and w are required");
        EDGEINFER_RETURN_IF_ERROR(check_types(ctx));
        std::vector<int64_t> x = ctx.input(s.x).dims;
        const auto& w = ctx.input(s.w).dims;
        if (x.size() < 3 || x.size() > 5) return ctx.unsupported_here("input rank " + std::to_string(x.size()));
        if (attrs_.nhwc_dims) {  // (N, spatial..., C) -> logical (N, C, spatial...)
            x.insert(x.begin() + 1, x.back());
            x.pop_back();
        }
        if (w.size() != x.size()) return ctx.invalid("w rank differs from x rank");
        const int64_t g = attrs_.group;
        if (w[1] * g != x[1] || w[0] % g != 0)
            return ctx.invalid("x has " + std::to_string(x[1]) + " channels, w expects " + std::to_string(w[1]) +
                               " x group " + std::to_string(g));
        if (!attrs_.kernel_shape.empty() && std::vector<int64_t>(w.begin() + 2, w.end()) != attrs_.kernel_shape)
            return ctx.invalid("kernel_shape does not match w");
        std::vector<int64_t> y;
        memory::dims strides, dil, pl, pr;
        EDGEINFER_RETURN_IF_ERROR(geometry(ctx, x, w, y, strides, dil, pl, pr));
        auto st = std::make_unique<QState>();
        bool missing = false;
        EDGEINFER_RETURN_IF_ERROR(read_quant_values(ctx, kind_, s, w[0], act_, st->q, missing));
        if (missing) return ctx.defer();
        if (attrs_.nhwc_dims) {
            std::vector<int64_t> ys{y[0]};
            ys.insert(ys.end(), y.begin() + 2, y.end());
            ys.push_back(y[1]);
            ctx.set_output(0, st->q.out, ys);
        } else {
            ctx.set_output(0, st->q.out, y);
        }
        st->has_z = s.z >= 0 && ctx.has_input(static_cast<size_t>(s.z));
        SumPostOp sum;
        if (st->has_z) {
            const DataType zt = ctx.input(s.z).dtype;
            if (ctx.input(s.z).dims != y)
                return ctx.invalid("Z is " + shape_to_string(ctx.input(s.z).dims) + ", expected " + shape_to_string(y));
            sum.on = true;
            st->z_plain = memory::desc(to_dnnl_dims(y), dnnl_type(zt),
                                       attrs_.z_nhwc ? channels_last_strides(y) : strides_of(y));
            if (ctx.has_input(kZScale)) {  // quantized Z
                const Tensor* zs = ctx.value(kZScale);
                const Tensor* zz = ctx.has_input(kZZeroPoint) ? ctx.value(kZZeroPoint) : nullptr;
                if (zs == nullptr || (ctx.has_input(kZZeroPoint) && zz == nullptr)) return ctx.defer();
                if (zs->dtype() != DataType::kFloat32 || zs->numel() != 1 || !(zs->data_as<float>()[0] > 0.0f))
                    return ctx.invalid("z_scale must be a positive float32 scalar");
                std::vector<int32_t> zp{0};
                if (zz != nullptr && (!read_zero_points(*zz, zp) || zp.size() != 1 || zz->dtype() != zt))
                    return ctx.invalid("z_zero_point must be a scalar of Z's type");
                if (!is_q8(zt)) return ctx.invalid("Z with z_scale must be uint8 or int8");
                const float z_scale = zs->data_as<float>()[0];
                if (st->q.out == DataType::kFloat32) {  // dst starts as Z in real units
                    st->z_dequantize = true;
                    st->z_attr = user_scratch_attr();
                    st->z_attr.set_output_scales(0, {z_scale});
                    st->z_zp_mem = zp;
                    if (zp[0] != 0) st->z_attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
                } else {  // dst starts as Z's integers, scaled into the output's units by the sum
                    if (zt != st->q.out)
                        return ctx.invalid("Z is " + std::string(dtype_name(zt)) + " but the output is " +
                                           std::string(dtype_name(st->q.out)));
                    sum.scale = z_scale / st->q.out_div;
                    sum.zero_point = zp[0];
                    sum.type = dnnl_type(zt);
                }
            } else if (zt != DataType::kFloat32 || st->q.out != DataType::kFloat32) {
                return ctx.invalid("Z is " + std::string(dtype_name(zt)) +
                                   ": a float32 Z needs a float32 output (no y_scale), a quantized one z_scale");
            }
        }
        st->channels = w[0];
        st->inner = shape_numel(std::vector<int64_t>(y.begin() + 2, y.end()));
        st->w_inner = shape_numel(w) / std::max<int64_t>(1, w[0]);
        if (shape_numel(y) == 0 || shape_numel(x) == 0) {
            st->empty = true;
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        // Weights in oneDNN's logical order: [g, M/g, C/g, k...] is the ONNX layout reinterpreted.
        memory::dims wdims, wstrides;
        onnx_conv_weights_layout(w, g, false, wdims, wstrides);
        const int64_t w_inner = st->w_inner;
        PackedWeightsCache* cache = nullptr;
        const FoldedWeights* fw = folded(
            ctx, st->q.w_zp, [w_inner](int64_t i) { return i / w_inner; }, *st, cache);
        const bool fast = fw != nullptr && !fw->s8.empty();
        auto any = memory::format_tag::any;
        auto f32 = memory::data_type::f32;
        memory::desc src_plain(to_dnnl_dims(x), dnnl_type(ctx.input(s.x).dtype),
                               attrs_.x_nhwc ? channels_last_strides(x) : strides_of(x));
        memory::desc dst_plain(to_dnnl_dims(y), dnnl_type(st->q.out),
                               attrs_.y_nhwc ? channels_last_strides(y) : strides_of(y));
        if (!fast && (attrs_.x_nhwc || attrs_.y_nhwc || (st->has_z && attrs_.z_nhwc)))
            return ctx.unsupported_here("NHWC x_layout/y_layout needs int8 weights (zero point 0)");
        if (!fast && st->has_z && ctx.input(s.z).dtype != DataType::kFloat32)
            return ctx.unsupported_here("a quantized Z needs int8 weights (zero point 0)");
        memory::desc w_plain(wdims, fast ? memory::data_type::s8 : f32, wstrides);
        auto& eng = onednn_engine();
        memory::desc w_md;
        if (fast) {
            st->fast = true;
            st->x_zp_mem = {st->q.x_zp};
            st->y_zp_mem = {st->q.y_zp};
            st->bias = st->q.bias_acc;
            compensate_seven_bit(*st);
            memory::desc bias_md = st->bias.empty() ? memory::desc() : memory::desc({w[0]}, f32, memory::format_tag::a);
            memory::desc src_any(to_dnnl_dims(x), dnnl_type(ctx.input(s.x).dtype), any);
            memory::desc dst_any(to_dnnl_dims(y), dnnl_type(st->q.out), any);
            dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                              src_any, memory::desc(wdims, memory::data_type::s8, any), bias_md,
                                              dst_any, strides, dil, pl, pr);
            dnnl::convolution_forward::primitive_desc pd(d, int8_attr(st->q, 1 << 1, sum), eng);
            if (!skip_out_of_bounds_impls(pd))
                return ctx.unsupported_here(std::string("oneDNN's only int8 convolution here (") + pd.impl_info_str() +
                                            ") writes past its output");
            st->src_md = pd.src_desc();
            st->dst_md = pd.dst_desc();
            st->sp_md = pd.scratchpad_desc();
            w_md = pd.weights_desc();
            st->packed_weights = cache->get(w_plain, fw->s8.data(), w_md);
            st->prim = BoundPrimitive(dnnl::convolution_forward(pd));
            ctx.set_implementation(std::string("onednn:int8:") + pd.impl_info_str() +
                                   (seven_bit_weights() ? ":7bit" : ""));
        } else {
            memory::desc src_f(to_dnnl_dims(x), f32, strides_of(x)), dst_f(to_dnnl_dims(y), f32, strides_of(y));
            dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                              src_f, w_plain, memory::desc(), dst_f, strides, dil, pl, pr);
            dnnl::convolution_forward::primitive_desc pd(d, user_scratch_attr(), eng);
            st->src_md = src_f;
            st->dst_md = dst_f;
            st->sp_md = pd.scratchpad_desc();
            w_md = pd.weights_desc();
            if (fw != nullptr) st->packed_weights = cache->get(w_plain, fw->f32.data(), w_md);
            st->widen_weights = fw == nullptr;
            if (st->widen_weights && w_md != w_plain) return ctx.unsupported_here("run-time weights need a reorder");
            st->prim = BoundPrimitive(dnnl::convolution_forward(pd));
            ctx.set_implementation(std::string("onednn:int8-ref:") + pd.impl_info_str());
        }
        bind_common(*st, w_md);
        plan_scratch(ctx, *st, src_plain, dst_plain, static_cast<size_t>(shape_numel(x)),
                     static_cast<size_t>(shape_numel(w)), static_cast<size_t>(shape_numel(y)));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    ConvAttrs attrs_;
};

// ---------------------------------------------------------------------------------------------
// Matrix product: QLinearMatMul, MatMulInteger, edgeinfer:QMatMul (B is [K, N]).

class QuantMatMulKernel final : public QuantKernelBase {
  public:
    QuantMatMulKernel(OpKind kind, Activation act, Tensor w) : QuantKernelBase(kind, act, std::move(w)) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        const Slots& s = slots_;
        if (!ctx.has_input(s.x) || !ctx.has_input(s.w)) return ctx.invalid("A and B are required");
        EDGEINFER_RETURN_IF_ERROR(check_types(ctx));
        std::vector<int64_t> a = ctx.input(s.x).dims, b = ctx.input(s.w).dims;
        if (a.empty() || b.empty()) return ctx.invalid("A and B must have rank >= 1");
        const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
        if (a_vec) a.insert(a.begin(), 1);
        if (b_vec) b.push_back(1);
        const int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
        if (b[b.size() - 2] != k)
            return ctx.invalid("A has " + std::to_string(k) + " columns but B has " + std::to_string(b[b.size() - 2]) +
                               " rows");
        const size_t rank = std::max(a.size(), b.size());
        a.insert(a.begin(), rank - a.size(), 1);
        b.insert(b.begin(), rank - b.size(), 1);
        std::vector<int64_t> yd(rank);
        for (size_t i = 0; i + 2 < rank; ++i) {
            if (a[i] != b[i] && a[i] != 1 && b[i] != 1) return ctx.invalid("batch dims of A and B do not broadcast");
            yd[i] = std::max(a[i], b[i]);
        }
        yd[rank - 2] = m;
        yd[rank - 1] = n;
        auto st = std::make_unique<QState>();
        bool missing = false;
        EDGEINFER_RETURN_IF_ERROR(read_quant_values(ctx, kind_, s, n, act_, st->q, missing));
        if (missing) return ctx.defer();
        // ONNX output shape: broadcast batch dims, then M unless A was a vector, N unless B was.
        std::vector<int64_t> out_dims(yd.begin(), yd.end() - 2);
        if (!a_vec) out_dims.push_back(m);
        if (!b_vec) out_dims.push_back(n);
        ctx.set_output(0, st->q.out, out_dims);
        st->channels = n;
        st->inner = 1;
        st->w_inner = 1;
        if (shape_numel(yd) == 0) {
            st->empty = true;
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        PackedWeightsCache* cache = nullptr;
        const FoldedWeights* fw = folded(
            ctx, st->q.w_zp, [n](int64_t i) { return i % n; }, *st, cache);
        const bool batched_b = shape_numel(b) != k * n;
        const bool fast = fw != nullptr && !fw->s8.empty() && !batched_b;
        auto f32 = memory::data_type::f32;
        auto& eng = onednn_engine();
        memory::desc w_md;
        if (fast) {
            // A's batch dims collapse into rows: one 2-D int8 product with B packed once.
            const int64_t rows = shape_numel(a) / k;
            memory::desc src({rows, k}, dnnl_type(ctx.input(s.x).dtype), memory::format_tag::ab);
            memory::desc dst({rows, n}, dnnl_type(st->q.out), memory::format_tag::ab);
            memory::desc w_plain({k, n}, memory::data_type::s8, memory::format_tag::ab);
            memory::desc bias_md =
                st->q.bias_acc.empty() ? memory::desc() : memory::desc({1, n}, f32, memory::format_tag::ab);
            st->fast = true;
            st->x_zp_mem = {st->q.x_zp};
            st->y_zp_mem = {st->q.y_zp};
            st->bias = st->q.bias_acc;
            compensate_seven_bit(*st);
            dnnl::matmul::desc d(src, memory::desc({k, n}, memory::data_type::s8, memory::format_tag::any), bias_md,
                                 dst);
            dnnl::matmul::primitive_desc pd(d, int8_attr(st->q, 1 << 1), eng);
            st->src_md = src;
            st->dst_md = dst;
            st->sp_md = pd.scratchpad_desc();
            w_md = pd.weights_desc();
            st->packed_weights = cache->get(w_plain, fw->s8.data(), w_md);
            st->prim = BoundPrimitive(dnnl::matmul(pd));
            ctx.set_implementation(std::string("onednn:int8:") + pd.impl_info_str() +
                                   (seven_bit_weights() ? ":7bit" : ""));
            bind_common(*st, w_md);
            plan_scratch(ctx, *st, src, dst, 0, 0, 0);
        } else {
            memory::desc src(to_dnnl_dims(a), f32, strides_of(a)), dst(to_dnnl_dims(yd), f32, strides_of(yd));
            memory::desc wmd(to_dnnl_dims(b), f32, strides_of(b));
            dnnl::matmul::desc d(src, wmd, memory::desc(), dst);
            dnnl::matmul::primitive_desc pd(d, user_scratch_attr(), eng);
            st->src_md = src;
            st->dst_md = dst;
            st->sp_md = pd.scratchpad_desc();
            // Constant weights that do not fit int8 are used as folded; others are widened per run.
            st->widen_weights = fw == nullptr || fw->f32.empty();
            if (!st->widen_weights) st->packed_weights = wrap_memory(wmd, fw->f32.data());
            st->prim = BoundPrimitive(dnnl::matmul(pd));
            ctx.set_implementation(std::string("onednn:int8-ref:") + pd.impl_info_str());
            bind_common(*st, wmd);
            plan_scratch(ctx, *st, src, dst, static_cast<size_t>(shape_numel(a)), static_cast<size_t>(shape_numel(b)),
                         static_cast<size_t>(shape_numel(yd)));
        }
        ctx.set_state(std::move(st));
        return Status::ok();
    }
};

// ---------------------------------------------------------------------------------------------
// edgeinfer:Quantize: float32 -> uint8/int8 with a per-tensor constant scale and zero point, as one
// oneDNN reorder (scale 1/y_scale, destination zero point, round to nearest even, saturation). With
// attributes x_layout / y_layout ("NCHW" or "NHWC", rank 4, from passes/qdq_fusion) the same reorder
// also moves the value between NCHW and channels-last memory (dims stay NCHW).

struct QuantizeState : KernelState {
    bool empty = false;
    BoundPrimitive reorder;
    memory::desc sp_md;
    std::vector<int32_t> zp_mem{0};
};

class QuantizeKernel final : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<QuantizeState>();
        if (st.empty) return Status::ok();
        return onednn_guard(*ctx.label, [&]() {
            st.reorder.execute({{DNNL_ARG_FROM, ctx.in(0).data()},
                                {DNNL_ARG_TO, ctx.out(0).data()},
                                {DNNL_ARG_SCRATCHPAD, ctx.scratch}});
            return Status::ok();
        });
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        if (ctx.input(0).dtype != DataType::kFloat32) return ctx.invalid("input must be float32");
        const Tensor* scale = ctx.value(1);
        const Tensor* zp = ctx.has_input(2) ? ctx.value(2) : nullptr;
        if (scale == nullptr || (ctx.has_input(2) && zp == nullptr)) return ctx.defer();
        if (scale->dtype() != DataType::kFloat32 || scale->numel() != 1 || !(scale->data_as<float>()[0] > 0.0f))
            return ctx.invalid("scale must be a positive float32 scalar");
        std::vector<int32_t> z{0};
        if (zp != nullptr && (!read_zero_points(*zp, z) || z.size() != 1 || !is_q8(zp->dtype())))
            return ctx.invalid("zero point must be a uint8 or int8 scalar");
        const DataType out = zp ? zp->dtype() : DataType::kUInt8;
        const std::vector<int64_t>& dims = ctx.input(0).dims;
        bool nhwc[2] = {false, false};
        for (int k = 0; k < 2; ++k) {
            const char* attr = k == 0 ? "x_layout" : "y_layout";
            std::string layout = ctx.node().attr_string(attr, "NCHW");
            if (layout != "NCHW" && layout != "NHWC") return ctx.invalid(std::string(attr) + " must be NCHW or NHWC");
            nhwc[k] = layout == "NHWC";
        }
        if (nhwc[0] != nhwc[1] && dims.size() != 4)
            return ctx.invalid("x_layout/y_layout need a rank-4 input, got " + shape_to_string(dims));
        ctx.set_output(0, out, dims);
        auto st = std::make_unique<QuantizeState>();
        const int64_t n = shape_numel(ctx.input(0).dims);
        st->empty = n == 0;
        if (!st->empty) {
            st->zp_mem = z;
            dnnl::primitive_attr attr = user_scratch_attr();
            attr.set_output_scales(0, {1.0f / scale->data_as<float>()[0]});
            if (z[0] != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
            // Same memory order: one flat reorder, described as rows of 256 values when they divide it
            // (oneDNN 2.6 threads a 1-D reorder badly: 2 threads took 5x the time of one on resnet50).
            const memory::dims flat = n % 256 == 0 ? memory::dims{n / 256, 256} : memory::dims{n};
            const auto flat_tag = flat.size() == 2 ? memory::format_tag::ab : memory::format_tag::a;
            memory::desc from(flat, memory::data_type::f32, flat_tag);
            memory::desc to(flat, dnnl_type(out), flat_tag);
            if (nhwc[0] != nhwc[1]) {  // another memory order: the reorder changes it too
                auto strides = [&dims](bool cl) { return cl ? channels_last_strides(dims) : strides_of(dims); };
                from = memory::desc(to_dnnl_dims(dims), memory::data_type::f32, strides(nhwc[0]));
                to = memory::desc(to_dnnl_dims(dims), dnnl_type(out), strides(nhwc[1]));
            }
            auto& eng = onednn_engine();
            dnnl::reorder::primitive_desc pd(eng, from, eng, to, attr);
            st->sp_md = pd.scratchpad_desc();
            st->reorder = BoundPrimitive(dnnl::reorder(pd));
            st->reorder.arg(DNNL_ARG_FROM, from);
            st->reorder.arg(DNNL_ARG_TO, to);
            st->reorder.arg(DNNL_ARG_SCRATCHPAD, st->sp_md);
            if (z[0] != 0)
                st->reorder.fixed(
                    DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST,
                    wrap_memory(memory::desc({1}, memory::data_type::s32, memory::format_tag::a), st->zp_mem.data()));
            ctx.request_scratch(st->sp_md.get_size());
            ctx.set_implementation(std::string("onednn:int8:") + pd.impl_info_str() +
                                   (seven_bit_weights() ? ":7bit" : ""));
        }
        ctx.set_state(std::move(st));
        return Status::ok();
    }
};

// ---------------------------------------------------------------------------------------------

KernelDef quant_def(std::string domain, std::string op, int64_t since, OpKind kind, bool conv) {
    KernelDef d;
    d.domain = std::move(domain);
    d.op_type = std::move(op);
    d.since_version = since;
    d.dtypes = {DataType::kUInt8, DataType::kInt8};
    d.supports = [conv](const CreateContext& ctx) -> std::string {
        Activation act;
        std::string why = parse_activation(ctx.node, act);
        ConvAttrs attrs;
        if (why.empty() && conv) why = parse_conv_attrs(ctx.node, attrs);
        return why;
    };
    d.factory = [kind, conv](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        Activation act;
        std::string why = parse_activation(ctx.node, act);
        ConvAttrs attrs;
        if (why.empty() && conv) why = parse_conv_attrs(ctx.node, attrs);
        if (!why.empty()) return ctx.invalid(why);
        const size_t w_slot = kind == OpKind::kInteger ? kIntegerSlots.w : kQLinearSlots.w;
        Tensor w;
        if (w_slot < ctx.constant_inputs.size() && ctx.constant_inputs[w_slot] != nullptr &&
            is_q8(ctx.constant_inputs[w_slot]->dtype()))
            w = *ctx.constant_inputs[w_slot];
        if (conv) return std::unique_ptr<Kernel>(new QuantConvKernel(kind, std::move(attrs), act, std::move(w)));
        return std::unique_ptr<Kernel>(new QuantMatMulKernel(kind, act, std::move(w)));
    };
    return d;
}

}  // namespace

void register_quantized_kernels(KernelRegistry& registry) {
    registry.add(quant_def("", "QLinearConv", 10, OpKind::kQLinear, true));
    registry.add(quant_def("", "ConvInteger", 10, OpKind::kInteger, true));
    registry.add(quant_def("", "QLinearMatMul", 10, OpKind::kQLinear, false));
    registry.add(quant_def("", "MatMulInteger", 10, OpKind::kInteger, false));
    registry.add(quant_def("edgeinfer", "QConv", 1, OpKind::kFused, true));
    registry.add(quant_def("com.microsoft", "QLinearConv", 1, OpKind::kQLinear, true));
    registry.add(quant_def("edgeinfer", "QMatMul", 1, OpKind::kFused, false));
    KernelDef q = simple_def<QuantizeKernel>("Quantize", 1, 1 << 30, float_types());
    q.domain = "edgeinfer";
    registry.add(std::move(q));
}

}  // namespace edgeinfer::kernels::cpu

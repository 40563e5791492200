// The machinery the int8 convolution and matrix-product kernels share (quantized_conv.cpp,
// quantized_matmul.cpp): quantization parameters read at prepare, weights with their zero point folded,
// the oneDNN int8 attribute, the per-shape state and how it runs, and the kernels' common base.
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
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {

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

// Reads the node's fused `activation` attribute (Relu, LeakyRelu, Clip, SiLU, HardSwish) into `act`;
// "" or why it is not supported.
std::string parse_activation(const ir::Node& node, Activation& act);

inline bool is_q8(DataType t) { return t == DataType::kUInt8 || t == DataType::kInt8; }

// Integer values of a zero-point tensor (uint8, int8 or int32).
bool read_zero_points(const Tensor& t, std::vector<int32_t>& out);

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
                         const Activation& act_attr, QuantValues& q, bool& missing);

// Constant weights with their zero point folded in: int8 when every value fits (fast path), else
// float32 (fallback). `channel_of(i)` maps element i of W to its output channel.
struct FoldedWeights {
    Tensor s8;   // int8, same dims as W
    Tensor f32;  // float32 (w - zp) when int8 does not fit
};

// oneDNN's int8 kernels here multiply with VPMADDUBSW (no VNNI): int8 weights must keep to 7 bits.
// An x86 matter only: on aarch64 oneDNN's int8 kernels (SVE SDOT, or its reference gemm on NEON-only
// CPUs) accumulate in 32 bits, and its effective ISA there names no x86 feature at all.
bool seven_bit_weights();

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
void widen(const Tensor& t, const int32_t* zp, size_t num_zp, int64_t inner, int64_t channels, float* out);

// Requantizes accumulators: element i belongs to channel (i / inner) % channels. `z` (float32
// output only, may be null) is added before the activation.
void finish(const float* acc, const float* z, const QuantValues& q, int64_t inner, int64_t channels, Tensor& y);

// The sum post-op adding Z (what dst holds when the primitive runs), in the units before the activation.
struct SumPostOp {
    bool on = false;
    float scale = 1.0f;
    int32_t zero_point = 0;
    dnnl::memory::data_type type = dnnl::memory::data_type::undef;
};

// The oneDNN attribute of the fast path: output scales, zero points, residual sum and activation post-ops.
dnnl::primitive_attr int8_attr(const QuantValues& q, int scale_mask, const SumPostOp& sum = {});

// Per-shape state shared by the convolution and matmul kernels.
struct QState : KernelState {
    bool empty = false;
    bool fast = false;
    QuantValues q;
    int64_t inner = 1, channels = 1;  // output element i is in channel (i / inner) % channels
    int64_t w_inner = 1;              // weight element i is in channel (i / w_inner) % channels
    BoundPrimitive prim;
    dnnl::memory::desc src_md, dst_md, sp_md;
    bool reorder_src = false, reorder_dst = false;
    bool has_z = false;          // edgeinfer:QConv residual Z (Y's shape and layout): put into dst first
    bool reorder_z = false;      // Z reaches dst through z_reorder (layout, or dequantization), not memcpy
    bool z_dequantize = false;   // quantized Z, float32 dst: z_reorder applies z_attr (scale, zero point)
    dnnl::memory::desc z_plain;  // Z as stored
    dnnl::primitive_attr z_attr;
    std::vector<int32_t> z_zp_mem{0};
    BoundPrimitive src_reorder, dst_reorder, z_reorder;
    dnnl::memory::desc src_sp, dst_sp, z_sp;
    std::vector<int32_t> x_zp_mem{0}, y_zp_mem{0};  // runtime zero-point buffers (fast path)
    std::vector<float> bias;                        // accumulator-domain bias (fast path)
    dnnl::memory packed_weights;
    FoldedWeights own_weights;  // W folded for this state (run-time values)
    std::unique_ptr<PackedWeightsCache> own_cache;
    bool widen_weights = false;  // fallback with run-time weights
    size_t src_off = 0, dst_off = 0, sp_off = 0, xf_off = 0, wf_off = 0, acc_off = 0;
};

// The fast path's bias and output scales for weights fold_weights halved (accumulators half as large).
void compensate_seven_bit(QState& st);

// Binds the primitive's arguments: weights (packed, or given per run), zero points and bias (fast path).
void bind_common(QState& st, const dnnl::memory::desc& w_md);

// Runs a prepared state: shared by both kernels (they differ only in how prepare builds it).
void run_state(const RunContext& ctx, const QState& st, const Slots& s);

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

// W when it is a constant uint8/int8 initializer (folded and packed once, at the first prepare); an
// empty tensor when it is computed at run time or has another type.
Tensor constant_q8_weight(const CreateContext& ctx, OpKind kind);

// The op's attributes besides the fused activation, for ops that have none (the matmuls).
struct NoAttrs {};
inline std::string parse_no_attrs(const ir::Node&, NoAttrs&) { return ""; }

// The registry entry of one int8 op (uint8/int8 inputs). supports() and the factory both read the fused
// activation, then `parse` (the op's own attributes into Attrs; "" or why not); the factory then builds
// the kernel with make(kind, attrs, activation, constant_q8_weight(ctx, kind)).
template <typename Attrs, typename Make>
KernelDef quant_kernel_def(std::string domain, std::string op, int64_t since, OpKind kind,
                           std::string (*parse)(const ir::Node&, Attrs&), Make make) {
    auto read = [parse](const ir::Node& node, Activation& act, Attrs& attrs) {
        std::string why = parse_activation(node, act);
        return why.empty() ? parse(node, attrs) : why;
    };
    KernelDef d;
    d.domain = std::move(domain);
    d.op_type = std::move(op);
    d.since_version = since;
    d.dtypes = {DataType::kUInt8, DataType::kInt8};
    d.supports = [read](const CreateContext& ctx) -> std::string {
        Activation act;
        Attrs attrs;
        return read(ctx.node, act, attrs);
    };
    d.factory = [read, kind, make](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        Activation act;
        Attrs attrs;
        std::string why = read(ctx.node, act, attrs);
        if (!why.empty()) return ctx.invalid(why);
        return std::unique_ptr<Kernel>(make(kind, std::move(attrs), act, constant_q8_weight(ctx, kind)));
    };
    return d;
}

// Finishes a state: reorders between plain tensors and the primitive's layouts, scratch layout.
void plan_scratch(PrepareContext& ctx, QState& st, const dnnl::memory::desc& src_plain,
                  const dnnl::memory::desc& dst_plain, size_t x_numel, size_t w_numel, size_t y_numel);

// Strides of `dims` ([N, C, spatial...]) stored channels-last.
std::vector<int64_t> channels_last_strides(const std::vector<int64_t>& dims);

}  // namespace edgeinfer::kernels::cpu

// Kernels: Conv, ConvTranspose and edgeinfer:FusedConv (Conv [+ residual Z] + activations) via oneDNN.
//
// prepare builds a convolution/deconvolution primitive with format `any` for src, weights and dst so
// oneDNN picks its fastest (blocked) layouts; run reorders src/dst between plain NCHW and those layouts
// through scratch memory. Constant weights are reordered once per chosen layout and shared by shapes.
//
// edgeinfer:FusedConv (created by the runtime-only passes in passes/conv_fusion.cpp and
// passes/channels_last.cpp, never written to ONNX files):
//   inputs  X, W, B (optional), Z (optional, same shape as Y): Y = act(conv(X, W) + B + Z)
//   attrs   Conv's, plus activation (string: Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish,
//           Tanh, SiLU, Elu, Softplus, Gelu), activation_params (floats: LeakyRelu/Elu alpha, Clip
//           min/max, HardSigmoid alpha/beta), channels_last (int: X, Z and Y are NHWC / NDHWC / NWC),
//           output_type (int, ONNX type: 1 float (default) or 16 bfloat16; set by passes/bf16_regions),
//           x_block / y_block / z_block (int, 0 or 16; set by passes/blocked_layout on channels-last 2-D convs):
//           16 stores that operand in oneDNN's blocked layout nChw16c, as [N, C/16, H, W, 16], instead of NHWC.
//           A Winograd conv whose X and Y are both blocked runs without reorders; direct convs reorder
//           blocked operands to and from NHWC.
//   X and Z may be float32 or bfloat16 (bf16 regions); W and B are float32.
//   Z is added by a oneDNN sum post-op (Z copied or reordered into the destination first; where Z is laid
//   out as Y the plan may give Y Z's bytes and nothing is copied), the activation by eltwise post-ops.
//
// Tactics (docs/tactics.md): a 2-D fp32 convolution with a 3x3 kernel, stride 1, no dilation and one group
// has up to three implementations: oneDNN's direct convolution ("direct") and its two Winograd ones
// (algorithm::convolution_winograd, AVX-512 only; fewer multiplications, a few bits less exact): F(2,3)
// `jit_fp32_wino_2x3` ("winograd": oneDNN lists it first) and F(4,3) `jit_wino_4x3` ("winograd_4x3"), picked
// among oneDNN's implementations by name. TacticMode::kFast picks by a shape heuristic, kTimed times all of
// them on the node's shapes (its real weights, seeded inputs) and keeps the fastest whose output is within
// kTacticTolerance of the direct one's range, and kDirectOnly never uses Winograd. Where oneDNN has no
// Winograd implementation (no AVX-512, post-ops it cannot fuse) creating its primitive descriptor fails and the
// node runs direct; where it has only one of the two, that one runs. Every convolution names the tactic that
// runs, read back from the implementation oneDNN built.
//
// com.microsoft:FusedConv (written by ONNX Runtime's optimizer) is the same kernel: Conv's attributes plus
// activation / activation_params (Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, Tanh), inputs X, W, B, Z, NCHW.
//
// Precision policy (CreateContext::precision == kBf16, see docs/precision.md): Conv, ConvTranspose
// and FusedConv compute in bf16 with fp32 accumulation: weights are packed to bf16 once, the fp32
// source is reordered to bf16 in scratch unless it is bf16 already, and oneDNN writes the destination
// in the output's type (fp32, or bf16 inside a bf16 region). Where oneDNN has no bf16 implementation
// the node falls back to fp32 and reorders converts at its edges.
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct ConvAttrs : WindowAttrs {  // auto_pad, kernel_shape, strides, dilations, pads
    bool transpose = false;
    int64_t group = 1;
    std::vector<int64_t> output_padding, output_shape;
    std::vector<Eltwise> activation;
    bool channels_last = false;                     // FusedConv: X, Z and Y are channels-last (N, spatial..., C)
    bool bf16 = false;                              // compute in bf16 (fp32 accumulation)
    bool bf16_output = false;                       // FusedConv output_type = 16: Y is stored as bf16
    int64_t x_block = 0, y_block = 0, z_block = 0;  // FusedConv: 16 = that operand is stored nChw16c
    TacticMode tactics = TacticMode::kFast;
};

constexpr int64_t kBlock = 16;  // channels per block of a blocked operand (nChw16c)
constexpr const char* kDirect = "direct";
constexpr const char* kWinograd = "winograd";         // F(2,3): a Winograd implementation other than F(4,3)
constexpr const char* kWinograd4x3 = "winograd_4x3";  // F(4,3)
constexpr const char* kImpl4x3 = "wino_4x3";          // in oneDNN 2.6's F(4,3) name, "jit_wino_4x3:avx512_core"
// Timed tactics: a candidate's output may differ from the direct one's by this much of the direct output's
// range (max - min) on the timing inputs, else it is rejected.
constexpr double kTacticTolerance = 1e-5;

// Reads and validates attributes; "" or the reason they are not usable.
std::string parse_attrs(const ir::Node& node, bool transpose, ConvAttrs& a) {
    bool fused = node.domain == "edgeinfer";  // only FusedConv reads the fusion attributes
    a.transpose = transpose;
    std::string why = parse_window_attrs(node, a);
    if (!why.empty()) return why;
    a.group = node.attr_int("group", 1);
    if (a.group < 1) return "group must be >= 1, got " + std::to_string(a.group);
    a.output_padding = node.attr_ints("output_padding");
    a.output_shape = node.attr_ints("output_shape");
    // com.microsoft:FusedConv (ONNX Runtime's optimizer): Conv's attributes plus activation /
    // activation_params, Y = act(conv(X, W) + B + Z), all NCHW float32.
    if (node.domain == "com.microsoft") return parse_activation(node, a.activation);
    if (!fused) return "";
    a.channels_last = node.attr_int("channels_last", 0) != 0;
    const std::pair<const char*, int64_t*> blocks[] = {
        {"x_block", &a.x_block}, {"y_block", &a.y_block}, {"z_block", &a.z_block}};
    for (const auto& [name, v] : blocks) {
        *v = node.attr_int(name, 0);
        if (*v != 0 && *v != kBlock) return std::string(name) + " must be 0 or 16, got " + std::to_string(*v);
        if (*v != 0 && !a.channels_last) return std::string(name) + " needs channels_last=1";
    }
    why = parse_output_type(node, a.bf16_output);
    if (!why.empty()) return why;
    return parse_activation(node, a.activation);
}

// Channels-last dims (N, spatial..., C) <-> logical dims (N, C, spatial...).
std::vector<int64_t> to_logical(const std::vector<int64_t>& d) {
    std::vector<int64_t> out{d[0], d.back()};
    out.insert(out.end(), d.begin() + 1, d.end() - 1);
    return out;
}
std::vector<int64_t> to_channels_last(const std::vector<int64_t>& d) {
    std::vector<int64_t> out{d[0]};
    out.insert(out.end(), d.begin() + 2, d.end());
    out.push_back(d[1]);
    return out;
}
// Blocked dims [N, C/16, H, W, 16] <-> logical dims [N, C, H, W] (C a multiple of 16).
std::vector<int64_t> blocked_to_logical(const std::vector<int64_t>& d) { return {d[0], d[1] * d[4], d[2], d[3]}; }
std::vector<int64_t> to_blocked(const std::vector<int64_t>& d) { return {d[0], d[1] / kBlock, d[2], d[3], kBlock}; }

// Spatial geometry of one convolution for concrete input dims.
struct Geometry {
    std::vector<int64_t> out, pad_l, pad_r, strides, dilations;
};

int64_t attr_at(const std::vector<int64_t>& v, size_t i, int64_t fallback) { return i < v.size() ? v[i] : fallback; }

Status conv_geometry(const PrepareContext& ctx, const ConvAttrs& a, const std::vector<int64_t>& in,
                     const std::vector<int64_t>& kernel, Geometry& g) {
    size_t n = in.size();
    if ((!a.strides.empty() && a.strides.size() != n) || (!a.dilations.empty() && a.dilations.size() != n))
        return ctx.invalid("strides/dilations must have " + std::to_string(n) + " values");
    if (a.auto_pad == AutoPad::kNotSet && !a.pads.empty() && a.pads.size() != 2 * n)
        return ctx.invalid("pads must have " + std::to_string(2 * n) + " values, got " + std::to_string(a.pads.size()));
    if (a.transpose && !a.output_shape.empty() && a.output_shape.size() != n && a.output_shape.size() != n + 2)
        return ctx.invalid("output_shape must have " + std::to_string(n) + " values");
    g = Geometry{};
    for (size_t i = 0; i < n; ++i) {
        int64_t s = attr_at(a.strides, i, 1);
        int64_t d = attr_at(a.dilations, i, 1);
        int64_t kr = (kernel[i] - 1) * d + 1;
        int64_t pl = 0, pr = 0, out = 0;
        if (a.auto_pad == AutoPad::kNotSet) {
            pl = attr_at(a.pads, i, 0);
            pr = attr_at(a.pads, i + n, 0);
        }
        if (!a.transpose) {
            if (a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower) {
                out = (in[i] + s - 1) / s;
                int64_t total = std::max<int64_t>(0, (out - 1) * s + kr - in[i]);
                pl = a.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
                pr = total - pl;
            } else {
                if (in[i] + pl + pr < kr)
                    return ctx.invalid("dilated kernel " + std::to_string(kr) + " is larger than padded input " +
                                       std::to_string(in[i] + pl + pr) + " on spatial axis " + std::to_string(i));
                out = (in[i] + pl + pr - kr) / s + 1;
            }
        } else {
            int64_t op = attr_at(a.output_padding, i, 0);
            int64_t natural = s * (in[i] - 1) + op + kr;
            bool explicit_shape = !a.output_shape.empty();
            if (explicit_shape || a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower) {
                out = explicit_shape ? a.output_shape[a.output_shape.size() - n + i] : in[i] * s;
                int64_t total = natural - out;
                if (total < 0) {
                    pl = pr = 0;  // the output extends past the natural result: the tail holds only bias
                } else if (a.auto_pad == AutoPad::kSameUpper) {
                    pl = total / 2;
                    pr = total - pl;
                } else {
                    pr = total / 2;
                    pl = total - pr;
                }
            } else {
                out = natural - pl - pr;
            }
            if (out < 0) return ctx.invalid("computed output size " + std::to_string(out) + " is negative");
        }
        g.out.push_back(out);
        g.pad_l.push_back(pl);
        g.pad_r.push_back(pr);
        g.strides.push_back(s);
        g.dilations.push_back(d - 1);  // oneDNN counts dilation from 0
    }
    return Status::ok();
}

struct ConvState : KernelState {
    bool empty = false;  // zero-sized tensor: nothing to compute
    bool has_bias = false;
    bool has_z = false;      // FusedConv residual input: put into dst before the sum post-op
    bool reorder_z = false;  // Z's layout or type differs from dst_md's: reordered, not copied
    BoundPrimitive prim;
    memory::desc z_plain, src_plain, src_md, weights_plain, weights_md, dst_plain, dst_md, bias_md, scratchpad_md;
    bool reorder_src = false, reorder_weights = false, reorder_dst = false;
    BoundPrimitive src_reorder, weights_reorder, dst_reorder, z_reorder;
    memory::desc src_reorder_sp, weights_reorder_sp, dst_reorder_sp, z_reorder_sp;
    std::string impl;  // oneDNN's implementation name
    dnnl::algorithm alg = dnnl::algorithm::convolution_direct;
    dnnl::memory packed_weights;  // constant weights already in weights_md
    size_t src_off = 0, weights_off = 0, dst_off = 0, sp_off = 0;
};

class ConvKernel final : public Kernel {
  public:
    ConvKernel(ConvAttrs attrs, Tensor constant_weights)
        : attrs_(std::move(attrs)), constant_weights_(std::move(constant_weights)) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<ConvState>();
        if (st.empty) return Status::ok();
        return onednn_guard(*ctx.label, [&]() {
            run_impl(ctx, st);
            return Status::ok();
        });
    }

  private:
    Status validate(const PrepareContext& ctx, const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                    int64_t& out_channels) const {
        size_t r = x.size();
        if (r < 3 || r > 5) return ctx.unsupported_here("input rank " + std::to_string(r) + " (only 1D-3D spatial)");
        if (w.size() != r)
            return ctx.invalid("weight rank " + std::to_string(w.size()) + " != input rank " + std::to_string(r));
        int64_t g = attrs_.group;
        int64_t c = x[1];
        if (!attrs_.transpose) {
            if (w[1] * g != c)
                return ctx.invalid("input has " + std::to_string(c) + " channels but weight expects " +
                                   std::to_string(w[1]) + " x group " + std::to_string(g));
            if (w[0] % g != 0)
                return ctx.invalid("weight output channels " + std::to_string(w[0]) + " not divisible by group");
            out_channels = w[0];
        } else {
            if (w[0] != c)
                return ctx.invalid("input has " + std::to_string(c) + " channels, weight dim 0 is " +
                                   std::to_string(w[0]));
            if (c % g != 0) return ctx.invalid("input channels not divisible by group " + std::to_string(g));
            out_channels = w[1] * g;
        }
        if (!attrs_.kernel_shape.empty() && std::vector<int64_t>(w.begin() + 2, w.end()) != attrs_.kernel_shape)
            return ctx.invalid("kernel_shape does not match the weight's spatial dims");
        if (ctx.has_input(2)) {
            const auto& b = ctx.input(2).dims;
            if (b.size() != 1 || b[0] != out_channels)
                return ctx.invalid("bias shape " + shape_to_string(b) + ", expected " + std::to_string(out_channels));
        }
        const bool fused = ctx.node().domain == "edgeinfer";
        for (size_t i = 0; i < 3; ++i) {
            if (!ctx.has_input(i)) continue;
            DataType t = ctx.input(i).dtype;
            if (i == 0 && fused && t == DataType::kBFloat16) continue;  // inside a bf16 region
            if (t != DataType::kFloat32) return ctx.unsupported_here("input " + std::to_string(i) + " must be float32");
        }
        return Status::ok();
    }

    Status prepare_impl(PrepareContext& ctx) const {
        if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.invalid("X and W are required");
        const auto& w = ctx.input(1).dims;
        if (attrs_.channels_last && ctx.input(0).dims.size() < 3)
            return ctx.invalid("channels-last input " + shape_to_string(ctx.input(0).dims) + " has rank < 3");
        const auto& x_in = ctx.input(0).dims;
        if (attrs_.x_block && (x_in.size() != 5 || x_in[4] != kBlock))
            return ctx.invalid("x_block=16 input " + shape_to_string(x_in) + " is not [N, C/16, H, W, 16]");
        if ((attrs_.y_block || attrs_.z_block) && x_in.size() != (attrs_.x_block ? 5u : 4u))
            return ctx.invalid("y_block/z_block need a 2-D convolution, input is " + shape_to_string(x_in));
        const std::vector<int64_t> x = attrs_.x_block         ? blocked_to_logical(x_in)
                                       : attrs_.channels_last ? to_logical(x_in)
                                                              : x_in;
        int64_t out_channels = 0;
        EDGEINFER_RETURN_IF_ERROR(validate(ctx, x, w, out_channels));
        std::vector<int64_t> in_spatial(x.begin() + 2, x.end());
        std::vector<int64_t> kernel(w.begin() + 2, w.end());
        Geometry g;
        EDGEINFER_RETURN_IF_ERROR(conv_geometry(ctx, attrs_, in_spatial, kernel, g));
        std::vector<int64_t> y{x[0], out_channels};
        y.insert(y.end(), g.out.begin(), g.out.end());
        if ((attrs_.y_block || attrs_.z_block) && out_channels % kBlock != 0)
            return ctx.invalid("y_block/z_block need output channels divisible by 16, got " +
                               std::to_string(out_channels));
        const std::vector<int64_t> y_stored = stored_dims(y, attrs_.y_block);
        const DataType y_type = attrs_.bf16_output ? DataType::kBFloat16 : DataType::kFloat32;
        ctx.set_output(0, y_type, y_stored);
        auto st = std::make_unique<ConvState>();
        st->has_z = ctx.has_input(3);
        if (st->has_z && (ctx.input(3).dims != stored_dims(y, attrs_.z_block) ||
                          (ctx.input(3).dtype != DataType::kFloat32 && ctx.input(3).dtype != DataType::kBFloat16)))
            return ctx.invalid("Z is " + std::string(dtype_name(ctx.input(3).dtype)) + " " +
                               shape_to_string(ctx.input(3).dims) + ", expected float32 or bfloat16 " +
                               shape_to_string(stored_dims(y, attrs_.z_block)));
        if (shape_numel(y) == 0 || shape_numel(x) == 0 || shape_numel(w) == 0) {
            st->empty = shape_numel(y) == 0;
            if (!st->empty) return ctx.unsupported_here("empty input or weight with non-empty output");
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        memory::dims wdims, wstrides;
        onnx_conv_weights_layout(w, attrs_.group, attrs_.transpose, wdims, wstrides);
        auto f32 = memory::data_type::f32;
        memory::desc bias_md =
            ctx.has_input(2) ? memory::desc({out_channels}, f32, memory::format_tag::a) : memory::desc();
        st->has_bias = ctx.has_input(2);
        st->bias_md = bias_md;
        auto x_dt = dnnl_type(ctx.input(0).dtype), y_dt = dnnl_type(y_type);
        auto stored = [&](const std::vector<int64_t>& d, memory::data_type t, int64_t block) {
            if (block) return memory::desc(to_dnnl_dims(d), t, memory::format_tag::nChw16c);
            return attrs_.channels_last ? memory::desc(to_dnnl_dims(d), t, channels_last_format(d.size()))
                                        : memory::desc(to_dnnl_dims(d), t, to_dnnl_dims(strides_of(d)));
        };
        st->src_plain = stored(x, x_dt, attrs_.x_block);
        st->dst_plain = stored(y, y_dt, attrs_.y_block);
        if (st->has_z) st->z_plain = stored(y, dnnl_type(ctx.input(3).dtype), attrs_.z_block);
        st->weights_plain = memory::desc(wdims, f32, wstrides);

        std::string tactic = kDirect;
        bool timed = false;
        if (winograd_shape(ctx, x, w, g)) {
            const std::string& recorded = ctx.recorded_tactic();
            if (!recorded.empty()) {
                tactic = recorded == kWinograd || recorded == kWinograd4x3 ? recorded : kDirect;
            } else if (attrs_.tactics == TacticMode::kFast ||
                       (attrs_.tactics == TacticMode::kTimed && (!ctx.timing_allowed() || ctx.value(0)))) {
                tactic = fast_tactic(x, y);
            } else if (attrs_.tactics == TacticMode::kTimed) {
                tactic = time_tactics(ctx, *st, x, y, wdims, g);
                timed = true;
            }
        }
        std::string name = build_state(*st, x, y, wdims, g, tactic, true);
        // Z already laid out as Y: the plan may store Y in Z's bytes, and the sum post-op then adds Z where
        // it lies instead of after a copy (resnet50: 16 copies of 0.4-3.2 MB per run).
        if (st->has_z && !st->reorder_z && !st->reorder_dst) ctx.allow_in_place(0, 3);
        ctx.set_implementation(std::move(name));
        ctx.set_tactic(built_tactic(*st), timed);
        ctx.request_scratch(scratch_total(*st));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    // How Y (or Z) with logical dims `y` is stored: blocked, channels-last or plain.
    std::vector<int64_t> stored_dims(const std::vector<int64_t>& y, int64_t block) const {
        if (block) return to_blocked(y);
        return attrs_.channels_last ? to_channels_last(y) : y;
    }

    // Winograd is a candidate: fp32 2-D convolution, 3x3 kernel, stride 1, no dilation, one group.
    bool winograd_shape(const PrepareContext& ctx, const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                        const Geometry& g) const {
        if (attrs_.transpose || attrs_.bf16 || attrs_.bf16_output || attrs_.group != 1 || x.size() != 4) return false;
        if (ctx.input(0).dtype != DataType::kFloat32) return false;
        if (has_bf16_z(ctx)) return false;
        if (w[2] != 3 || w[3] != 3) return false;
        for (size_t i = 0; i < 2; ++i)
            if (g.strides[i] != 1 || g.dilations[i] != 0) return false;
        return true;
    }
    static bool has_bf16_z(const PrepareContext& ctx) {
        return ctx.has_input(3) && ctx.input(3).dtype != DataType::kFloat32;
    }

    // TacticMode::kFast (bench/RESULTS.md, issue 20 session 9, conv_tactics_probe; 1 and 2 threads, AVX-512):
    // Winograd with 64+ channels in and out on 14x14 or larger outputs (at 7x7 F(2,3) and direct are even and
    // F(4,3) is slower); F(4,3) where it has at least 25 output tiles of 4x4 (20x20 and larger: 0.45-0.53x
    // direct alone vs F(2,3)'s 0.59-0.61x; inside ResNets even with F(2,3), 7-10% ahead on plain 3x3 chains),
    // F(2,3) below (at 14x14 F(4,3)'s transformed weights, 36 per 3x3 filter, serve only 16 tiles: it was
    // slower than F(2,3)). passes/blocked_layout.cpp predicts the Winograd convs with the same channel and size
    // rule.
    static const char* fast_tactic(const std::vector<int64_t>& x, const std::vector<int64_t>& y) {
        if (x[1] < 64 || y[1] < 64 || y[2] * y[3] < 14 * 14) return kDirect;
        const int64_t tiles = ((y[2] + 3) / 4) * ((y[3] + 3) / 4);
        return tiles >= 25 ? kWinograd4x3 : kWinograd;
    }

    // The tactic a built state runs, named from the implementation oneDNN built (a Winograd tactic it has no
    // implementation for falls back to direct or to its other Winograd one).
    static const char* built_tactic(const ConvState& st) {
        if (st.alg != dnnl::algorithm::convolution_winograd) return kDirect;
        return st.impl.find(kImpl4x3) != std::string::npos ? kWinograd4x3 : kWinograd;
    }

    // Builds the primitive (bf16 when asked and available, else fp32) for `tactic` (falling back to direct where
    // oneDNN has no Winograd implementation), its reorders, argument bindings and scratch layout.
    // `cache_weights`: pack constant weights through the kernel's cache (the chosen tactic) or privately (a
    // candidate being timed). Returns the implementation name for profiles.
    std::string build_state(ConvState& st, const std::vector<int64_t>& x, const std::vector<int64_t>& y,
                            const memory::dims& wdims, const Geometry& g, const std::string& tactic,
                            bool cache_weights) const {
        const auto alg =
            tactic == kDirect ? dnnl::algorithm::convolution_direct : dnnl::algorithm::convolution_winograd;
        const bool want_4x3 = tactic == kWinograd4x3;
        std::string why_fp32;
        bool built = false;
        if (attrs_.bf16) {
            try {
                build_primitive(st, x, y, wdims, g, true, dnnl::algorithm::convolution_direct, false);
                built = true;
            } catch (const dnnl::error& e) {
                if (e.status != dnnl_unimplemented) throw;
                why_fp32 = " (bf16 unavailable: fp32)";
            }
        }
        if (!built) {
            st.alg = alg;
            try {
                build_primitive(st, x, y, wdims, g, false, alg, want_4x3);
            } catch (const dnnl::error& e) {
                if (e.status != dnnl_unimplemented || alg == dnnl::algorithm::convolution_direct) throw;
                st.alg = dnnl::algorithm::convolution_direct;
                build_primitive(st, x, y, wdims, g, false, st.alg, false);
            }
        }
        std::string name = "onednn:" + st.impl + (built ? ":bf16" : why_fp32);
        plan_reorders(st);
        if (!constant_weights_.empty()) {
            if (cache_weights) {
                st.packed_weights = weights_cache_.get(st.weights_plain, constant_weights_.data(), st.weights_md);
            } else {
                st.packed_weights = dnnl::memory(st.weights_md, onednn_engine());
                dnnl::memory in = wrap_memory(st.weights_plain, constant_weights_.data());
                dnnl::reorder(in, st.packed_weights).execute(onednn_stream(), in, st.packed_weights);
                onednn_stream().wait();
            }
        }
        st.reorder_weights = constant_weights_.empty() && st.weights_md != st.weights_plain;
        st.prim.arg(DNNL_ARG_SRC, st.src_md);
        if (st.packed_weights)
            st.prim.fixed(DNNL_ARG_WEIGHTS, st.packed_weights);
        else
            st.prim.arg(DNNL_ARG_WEIGHTS, st.weights_md);
        st.prim.arg(DNNL_ARG_DST, st.dst_md);
        if (st.has_bias) st.prim.arg(DNNL_ARG_BIAS, st.bias_md);
        st.prim.arg(DNNL_ARG_SCRATCHPAD, st.scratchpad_md);
        return name;
    }

    // Scratch regions of a built state (offsets set in `st`); returns the total bytes.
    static size_t scratch_total(ConvState& st) {
        ScratchLayout layout;
        if (st.reorder_src) st.src_off = layout.add(st.src_md.get_size());
        if (st.reorder_weights) st.weights_off = layout.add(st.weights_md.get_size());
        if (st.reorder_dst) st.dst_off = layout.add(st.dst_md.get_size());
        size_t sp =
            std::max({st.scratchpad_md.get_size(), st.src_reorder_sp.get_size(), st.weights_reorder_sp.get_size(),
                      st.dst_reorder_sp.get_size(), st.z_reorder_sp.get_size()});
        st.sp_off = layout.add(sp);
        return layout.total();
    }

    // TacticMode::kTimed: runs direct and each Winograd implementation oneDNN has here (F(2,3), F(4,3)) on seeded
    // inputs of the node's shapes (its constant weights when it has them) and returns the fastest one whose
    // output is within kTacticTolerance of direct's range.
    std::string time_tactics(const PrepareContext& ctx, const ConvState& base, const std::vector<int64_t>& x,
                             const std::vector<int64_t>& y, const memory::dims& wdims, const Geometry& g) const {
        struct Candidate {
            const char* tactic;
            ConvState st;
            Tensor out;
            double ms = std::numeric_limits<double>::infinity();
        };
        std::vector<Candidate> cands;
        size_t scratch = 0;
        const std::vector<int64_t> y_stored = stored_dims(y, attrs_.y_block);
        for (const char* tactic : {kDirect, kWinograd, kWinograd4x3}) {
            Candidate c{tactic, base, Tensor(), std::numeric_limits<double>::infinity()};
            build_state(c.st, x, y, wdims, g, tactic, false);
            if (std::strcmp(built_tactic(c.st), tactic) != 0) continue;  // oneDNN has no such implementation here
            scratch = std::max(scratch, scratch_total(c.st));
            c.out = Tensor::allocate(DataType::kFloat32, y_stored);
            cands.push_back(std::move(c));
        }
        if (cands.size() < 2) return kDirect;  // no Winograd here
        std::unique_ptr<uint8_t[]> scratch_buf(new uint8_t[scratch + 64]);
        void* sp = scratch_buf.get() + (64 - reinterpret_cast<uintptr_t>(scratch_buf.get()) % 64) % 64;
        const std::vector<Tensor> ins = timing_inputs(ctx);
        auto run_ms = [&](const ConvState& st, Tensor& out, int reps) {
            RunContext rc;
            for (size_t i = 0; i < ins.size(); ++i) rc.inputs.push_back(ins[i].empty() ? nullptr : &ins[i]);
            rc.outputs.push_back(&out);
            rc.scratch = sp;
            rc.scratch_bytes = scratch;
            double best = std::numeric_limits<double>::infinity();
            for (int r = 0; r < reps; ++r) {
                auto t0 = std::chrono::steady_clock::now();
                run_impl(rc, st);
                best = std::min(
                    best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            }
            return best;
        };
        for (Candidate& c : cands) run_ms(c.st, c.out, 1);  // warm up (first runs page in buffers, JIT caches)
        // Alternate, best of several, so load from elsewhere hits all alike.
        for (int round = 0; round < 3; ++round)
            for (Candidate& c : cands) c.ms = std::min(c.ms, run_ms(c.st, c.out, 2));
        const float* d = cands[0].out.data_as<float>();  // direct
        float lo = std::numeric_limits<float>::infinity(), hi = -lo;
        for (int64_t i = 0; i < cands[0].out.numel(); ++i) {
            lo = std::min(lo, d[i]);
            hi = std::max(hi, d[i]);
        }
        const double range = hi > lo ? static_cast<double>(hi - lo) : 1.0;
        const Candidate* best = &cands[0];
        for (size_t k = 1; k < cands.size(); ++k) {
            const float* w = cands[k].out.data_as<float>();
            double worst = 0;
            for (int64_t i = 0; i < cands[k].out.numel(); ++i)
                worst = std::max(worst, static_cast<double>(std::fabs(d[i] - w[i])));
            const bool accurate = std::isfinite(worst) && worst <= kTacticTolerance * range;
            if (accurate && cands[k].ms < best->ms) best = &cands[k];
        }
        return best->tactic;
    }

    // The node's inputs for timing: its constant weights and bias where it has them, seeded values in [-1, 1)
    // elsewhere.
    std::vector<Tensor> timing_inputs(const PrepareContext& ctx) const {
        uint32_t seed = 0x9e3779b9u;
        std::vector<Tensor> ins;
        for (size_t i = 0; i < ctx.num_inputs(); ++i) {
            if (!ctx.has_input(i)) {
                ins.emplace_back();
                continue;
            }
            Tensor t = Tensor::allocate(DataType::kFloat32, ctx.input(i).dims);
            if (i == 1 && !constant_weights_.empty()) {
                std::memcpy(t.data(), constant_weights_.data(), t.nbytes());
            } else if (i == 2 && ctx.value(2)) {
                std::memcpy(t.data(), ctx.value(2)->data(), t.nbytes());
            } else {
                float* p = t.data_as<float>();
                for (int64_t k = 0; k < t.numel(); ++k) {
                    seed = seed * 1664525u + 1013904223u;
                    p[k] = static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
                }
            }
            ins.push_back(std::move(t));
        }
        return ins;
    }

    // The (de)convolution primitive, in bf16 (bf16 src/weights, fp32 dst) or fp32. Channels-last or blocked
    // src/dst stay in that layout unless oneDNN only has its reference code for it; otherwise
    // oneDNN picks (format `any`) and run reorders. Winograd: oneDNN's F(4,3) implementation when `want_4x3`,
    // else its first one that is not F(4,3) (F(2,3)); its first one when it has no such implementation.
    void build_primitive(ConvState& st, const std::vector<int64_t>& x, const std::vector<int64_t>& y,
                         const memory::dims& wdims, const Geometry& g, bool bf16, dnnl::algorithm alg,
                         bool want_4x3) const {
        auto f32 = memory::data_type::f32;
        auto cdt = bf16 ? memory::data_type::bf16 : f32;
        // A bf16 primitive writes fp32 or bf16 as the output asks; an fp32 one writes fp32.
        auto ddt = bf16 ? st.dst_plain.data_type() : f32;
        auto any = memory::format_tag::any;
        memory::desc src_any(to_dnnl_dims(x), cdt, any), dst_any(to_dnnl_dims(y), ddt, any);
        memory::desc w_any(wdims, cdt, any);
        dnnl::primitive_attr attr = user_scratch_attr();
        if (st.has_z || !attrs_.activation.empty()) {
            dnnl::post_ops ops;
            if (st.has_z) ops.append_sum(1.0f);
            append_activation(ops, attrs_.activation);
            attr.set_post_ops(ops);
        }
        auto strides = to_dnnl_dims(g.strides), dil = to_dnnl_dims(g.dilations);
        auto pl = to_dnnl_dims(g.pad_l), pr = to_dnnl_dims(g.pad_r);
        auto& eng = onednn_engine();
        auto take = [&st](const auto& pd) {
            st.src_md = pd.src_desc();
            st.weights_md = pd.weights_desc();
            st.dst_md = pd.dst_desc();
            st.scratchpad_md = pd.scratchpad_desc();
            const char* info = pd.impl_info_str();
            st.impl = info ? info : "?";
        };
        auto build = [&](const memory::desc& src, const memory::desc& dst) {
            if (!attrs_.transpose) {
                dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, alg, src, w_any, st.bias_md, dst,
                                                  strides, dil, pl, pr);
                dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
                if (alg == dnnl::algorithm::convolution_winograd) pick_winograd(pd, want_4x3);
                if (!skip_out_of_bounds_impls(pd))
                    throw dnnl::error(dnnl_unimplemented, "only implementations that write past dst");
                take(pd);
                st.prim = BoundPrimitive(dnnl::convolution_forward(pd));
            } else {
                dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                                    dnnl::algorithm::deconvolution_direct, src, w_any, st.bias_md, dst,
                                                    strides, dil, pl, pr);
                dnnl::deconvolution_forward::primitive_desc pd(d, attr, eng);
                take(pd);
                st.prim = BoundPrimitive(dnnl::deconvolution_forward(pd));
            }
        };
        // Channels-last direct convs run NHWC (oneDNN's brgconv; blocked operands are reordered), Winograd ones
        // nChw16c, without reorders when X and Y are stored so (passes/blocked_layout.cpp). Else oneDNN picks
        // (format `any`) and run reorders.
        const bool direct = alg == dnnl::algorithm::convolution_direct;
        const bool blocked = !direct && attrs_.x_block != 0 && attrs_.y_block != 0;
        if (attrs_.channels_last && (blocked || direct)) {
            auto layout = [&](const std::vector<int64_t>& d) {
                return blocked ? memory::format_tag::nChw16c : channels_last_format(d.size());
            };
            try {
                build(memory::desc(to_dnnl_dims(x), cdt, layout(x)), memory::desc(to_dnnl_dims(y), ddt, layout(y)));
                if (st.impl.rfind("ref", 0) != 0) return;
            } catch (const dnnl::error& e) {
                if (e.status != dnnl_unimplemented) throw;
            }
        }
        build(src_any, dst_any);
    }

    // Moves `pd` to oneDNN's F(4,3) Winograd implementation (`want_4x3`) or to its first other one; leaves it at
    // oneDNN's first implementation when it has none of that kind.
    static void pick_winograd(dnnl::convolution_forward::primitive_desc& pd, bool want_4x3) {
        auto is_wanted = [want_4x3](const dnnl::convolution_forward::primitive_desc& p) {
            const char* info = p.impl_info_str();
            return info && (std::strstr(info, kImpl4x3) != nullptr) == want_4x3;
        };
        if (is_wanted(pd)) return;
        const dnnl::convolution_forward::primitive_desc first = pd;  // keeps its own handle when pd moves on
        while (pd.next_impl())
            if (is_wanted(pd)) return;
        pd = first;
    }

    // Creates the reorders between plain NCHW tensors and the primitive's chosen layouts.
    static void plan_reorders(ConvState& st) {
        auto make = [](const memory::desc& from, const memory::desc& to, BoundPrimitive& r, memory::desc& sp) {
            r = bound_reorder(from, to, sp);
        };
        st.reorder_src = st.src_md != st.src_plain;
        if (st.reorder_src) make(st.src_plain, st.src_md, st.src_reorder, st.src_reorder_sp);
        st.reorder_dst = st.dst_md != st.dst_plain;
        if (st.reorder_dst) make(st.dst_md, st.dst_plain, st.dst_reorder, st.dst_reorder_sp);
        if (st.weights_md != st.weights_plain)
            make(st.weights_plain, st.weights_md, st.weights_reorder, st.weights_reorder_sp);
        st.reorder_z = st.has_z && st.z_plain != st.dst_md;
        if (st.reorder_z) make(st.z_plain, st.dst_md, st.z_reorder, st.z_reorder_sp);
    }

    void run_impl(RunContext& ctx, const ConvState& st) const {
        void* sp = ScratchLayout::at(ctx.scratch, st.sp_off);
        const void* src = ctx.in(0).data();
        if (st.reorder_src) {
            void* tmp = ScratchLayout::at(ctx.scratch, st.src_off);
            st.src_reorder.execute({{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, tmp}, {DNNL_ARG_SCRATCHPAD, sp}});
            src = tmp;
        }
        const void* weights = nullptr;
        if (!st.packed_weights) {
            weights = ctx.in(1).data();
            if (st.reorder_weights) {
                void* tmp = ScratchLayout::at(ctx.scratch, st.weights_off);
                st.weights_reorder.execute({{DNNL_ARG_FROM, weights}, {DNNL_ARG_TO, tmp}, {DNNL_ARG_SCRATCHPAD, sp}});
                weights = tmp;
            }
        }
        void* out = ctx.out(0).data();
        void* dst = st.reorder_dst ? ScratchLayout::at(ctx.scratch, st.dst_off) : out;
        const void* bias = st.has_bias ? ctx.in(2).data() : nullptr;
        if (st.has_z) {  // the sum post-op adds what dst holds
            const void* z = ctx.in(3).data();
            if (st.reorder_z)
                st.z_reorder.execute({{DNNL_ARG_FROM, z}, {DNNL_ARG_TO, dst}, {DNNL_ARG_SCRATCHPAD, sp}});
            else if (z != dst)  // equal when the plan stored Y in Z's bytes (allow_in_place)
                std::memcpy(dst, z, ctx.in(3).nbytes());
        }
        st.prim.execute({{DNNL_ARG_SRC, src},
                         {DNNL_ARG_WEIGHTS, weights},
                         {DNNL_ARG_DST, dst},
                         {DNNL_ARG_BIAS, bias},
                         {DNNL_ARG_SCRATCHPAD, sp}});
        if (st.reorder_dst)
            st.dst_reorder.execute({{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, out}, {DNNL_ARG_SCRATCHPAD, sp}});
    }

    ConvAttrs attrs_;
    Tensor constant_weights_;  // empty unless W is an initializer
    mutable PackedWeightsCache weights_cache_;
};

KernelDef conv_def(std::string domain, std::string op, bool transpose) {
    KernelDef d;
    d.domain = std::move(domain);
    d.op_type = std::move(op);
    d.since_version = 1;
    d.dtypes = {DataType::kFloat32, DataType::kBFloat16};  // bf16: FusedConv in a bf16 region only
    d.supports = [transpose](const CreateContext& ctx) -> std::string {
        ConvAttrs a;
        std::string why = parse_attrs(ctx.node, transpose, a);
        if (!why.empty()) return why;
        if (ctx.input_types.size() > 1 && ctx.input_types[1] != DataType::kUndefined &&
            ctx.input_types[1] != DataType::kFloat32)
            return "weight type " + std::string(dtype_name(ctx.input_types[1])) + " is not supported";
        return "";
    };
    d.factory = [transpose](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        ConvAttrs a;
        std::string why = parse_attrs(ctx.node, transpose, a);
        if (!why.empty()) return ctx.invalid(why);
        a.bf16 = ctx.precision == Precision::kBf16;
        a.tactics = ctx.tactics;
        Tensor w;
        if (ctx.constant_inputs.size() > 1 && ctx.constant_inputs[1] != nullptr &&
            ctx.constant_inputs[1]->dtype() == DataType::kFloat32)
            w = *ctx.constant_inputs[1];
        return std::unique_ptr<Kernel>(new ConvKernel(std::move(a), std::move(w)));
    };
    return d;
}

}  // namespace

void register_conv_kernels(KernelRegistry& registry) {
    registry.add(conv_def("", "Conv", false));
    registry.add(conv_def("", "ConvTranspose", true));
    registry.add(conv_def("edgeinfer", "FusedConv", false));
    registry.add(conv_def("com.microsoft", "FusedConv", false));
}

}  // namespace edgeinfer::kernels::cpu

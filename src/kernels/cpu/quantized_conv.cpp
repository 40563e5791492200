// Kernels: QLinearConv, ConvInteger and the fused edgeinfer:QConv (from passes/qdq_fusion) on oneDNN
// int8 convolutions; also com.microsoft:QLinearConv (ONNX Runtime's NHWC transformer: QLinearConv's
// inputs, channels_last = 1 for (N, spatial..., C) X and Y, which needs int8 weights with zero point 0).
// What they compute and the two paths (int8 primitive, float32 fallback): quantized_common.hpp.
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/quantized_common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct ConvAttrs : WindowAttrs {
    int64_t group = 1;
    // Memory order of X / Y / Z: "NHWC" between two QConv nodes (passes/qdq_fusion), NCHW otherwise;
    // Z's (z_layout) is Y's unless given.
    bool x_nhwc = false, y_nhwc = false, z_nhwc = false;
    // com.microsoft:QLinearConv with channels_last = 1 (ONNX Runtime's NHWC transformer): X and Y dims are
    // (N, spatial..., C) themselves; computed as NCHW dims over channels-last memory.
    bool nhwc_dims = false;
};

std::string parse_conv_attrs(const ir::Node& node, ConvAttrs& a) {
    std::string why = parse_window_attrs(node, a);
    if (!why.empty()) return why;
    a.group = node.attr_int("group", 1);
    if (a.group < 1) return "group must be >= 1";
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
            st->z_plain =
                memory::desc(to_dnnl_dims(y), dnnl_type(zt), attrs_.z_nhwc ? channels_last_strides(y) : strides_of(y));
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

std::unique_ptr<Kernel> make_conv(OpKind kind, ConvAttrs attrs, Activation act, Tensor w) {
    return std::make_unique<QuantConvKernel>(kind, std::move(attrs), act, std::move(w));
}

}  // namespace

void register_quantized_conv_kernels(KernelRegistry& registry) {
    registry.add(quant_kernel_def("", "QLinearConv", 10, OpKind::kQLinear, parse_conv_attrs, make_conv));
    registry.add(quant_kernel_def("", "ConvInteger", 10, OpKind::kInteger, parse_conv_attrs, make_conv));
    registry.add(quant_kernel_def("edgeinfer", "QConv", 1, OpKind::kFused, parse_conv_attrs, make_conv));
    registry.add(quant_kernel_def("com.microsoft", "QLinearConv", 1, OpKind::kQLinear, parse_conv_attrs, make_conv));
}

}  // namespace edgeinfer::kernels::cpu

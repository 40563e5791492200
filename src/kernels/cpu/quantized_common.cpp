// The int8 kernels' shared machinery (quantized_common.hpp): parameters, requantization loops, the oneDNN
// attribute, binding and running a state, scratch layout.
#include "kernels/cpu/quantized_common.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace edgeinfer::kernels::cpu {

using dnnl::memory;

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

Tensor constant_q8_weight(const CreateContext& ctx, OpKind kind) {
    const size_t w_slot = kind == OpKind::kInteger ? kIntegerSlots.w : kQLinearSlots.w;
    if (w_slot < ctx.constant_inputs.size() && ctx.constant_inputs[w_slot] != nullptr &&
        is_q8(ctx.constant_inputs[w_slot]->dtype()))
        return *ctx.constant_inputs[w_slot];
    return Tensor();
}

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

bool seven_bit_weights() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool v = !cpu_isa_has(dnnl::cpu_isa::avx512_core_vnni) && !cpu_isa_has(dnnl::cpu_isa::avx2_vnni);
    return v;
#else
    return false;
#endif
}

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

dnnl::primitive_attr int8_attr(const QuantValues& q, int scale_mask, const SumPostOp& sum) {
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
            st.z_reorder =
                bound_reorder(st.z_plain, st.dst_md, st.z_sp, st.z_dequantize ? st.z_attr : user_scratch_attr());
            if (st.z_dequantize && st.z_zp_mem[0] != 0)
                st.z_reorder.fixed(
                    DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC,
                    wrap_memory(memory::desc({1}, memory::data_type::s32, memory::format_tag::a), st.z_zp_mem.data()));
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

}  // namespace edgeinfer::kernels::cpu

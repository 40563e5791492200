// Kernel: DeformConv-19 (2-D), deformable convolution as torchvision's deform_conv2d computes it.
//
// Per image, each kernel tap of each output position samples the input bilinearly (zero outside) at its
// regular position plus a learned offset (offset input: (N, offset_group * kH * kW * 2, oH, oW), (dy, dx)
// per tap), optionally times a mask (N, offset_group * kH * kW, oH, oW). The samples form the column
// matrix (C * kH * kW, oH * oW) in plain code; the product with the weights (per group: (oC / group,
// C / group * kH * kW)) and the bias run as one oneDNN batched matmul over the groups.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct DeformAttrs {
    std::vector<int64_t> kernel_shape, strides, dilations, pads;
    int64_t group = 1, offset_group = 1;
};

struct DeformState : KernelState {
    int64_t n = 0, c = 0, h = 0, w = 0, oc = 0, kh = 0, kw = 0, oh = 0, ow = 0;
    int64_t sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0;
    int64_t group = 1, offset_group = 1;
    bool has_mask = false, has_bias = false, empty = false;
    BoundPrimitive matmul;
    size_t col_off = 0, sp_off = 0;
};

std::string dims_text(const std::vector<int64_t>& v) { return shape_to_string(v); }

class DeformConvKernel final : public Kernel {
  public:
    explicit DeformConvKernel(DeformAttrs a) : a_(std::move(a)) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<DeformState>();
        if (st.empty) return Status::ok();
        float* col = static_cast<float*>(ScratchLayout::at(ctx.scratch, st.col_off));
        void* sp = ScratchLayout::at(ctx.scratch, st.sp_off);
        const float* x = ctx.in(0).data_as<float>();
        const float* offset = ctx.in(2).data_as<float>();
        const float* bias = st.has_bias ? ctx.in(3).data_as<float>() : nullptr;
        const float* mask = st.has_mask ? ctx.in(4).data_as<float>() : nullptr;
        float* y = ctx.out(0).data_as<float>();
        const int64_t kk = st.kh * st.kw, opix = st.oh * st.ow;
        for (int64_t n = 0; n < st.n; ++n) {
            build_columns(st, x + n * st.c * st.h * st.w, offset + n * st.offset_group * kk * 2 * opix,
                          mask ? mask + n * st.offset_group * kk * opix : nullptr, col);
            EDGEINFER_RETURN_IF_ERROR(onednn_guard(*ctx.label, [&]() {
                st.matmul.execute({{DNNL_ARG_SRC, ctx.in(1).data()},
                                   {DNNL_ARG_WEIGHTS, col},
                                   {DNNL_ARG_BIAS, bias},
                                   {DNNL_ARG_DST, y + n * st.oc * opix},
                                   {DNNL_ARG_SCRATCHPAD, sp}});
                return Status::ok();
            }));
        }
        return Status::ok();
    }

  private:
    Status prepare_impl(PrepareContext& ctx) const {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& wt = ctx.input(1);
        const TensorDesc& off = ctx.input(2);
        for (size_t i = 0; i < 5; ++i)
            if (ctx.has_input(i) && ctx.input(i).dtype != DataType::kFloat32)
                return ctx.unsupported_here("inputs must be float32, input " + std::to_string(i) + " is " +
                                            std::string(dtype_name(ctx.input(i).dtype)));
        if (x.dims.size() != 4)
            return ctx.unsupported_here("only 2-D DeformConv (X of shape [N, C, H, W]) is supported, got X " +
                                        dims_text(x.dims));
        if (wt.dims.size() != 4)
            return ctx.invalid("W must have shape [oC, C / group, kH, kW], got " + dims_text(wt.dims));
        auto st = std::make_unique<DeformState>();
        st->n = x.dims[0], st->c = x.dims[1], st->h = x.dims[2], st->w = x.dims[3];
        st->oc = wt.dims[0], st->kh = wt.dims[2], st->kw = wt.dims[3];
        st->group = a_.group, st->offset_group = a_.offset_group;
        if (!a_.kernel_shape.empty() && a_.kernel_shape != std::vector<int64_t>{st->kh, st->kw})
            return ctx.invalid("kernel_shape " + dims_text(a_.kernel_shape) + " differs from W's " +
                               dims_text(wt.dims));
        auto two = [](const std::vector<int64_t>& v, size_t n, int64_t fallback) {
            return v.empty() ? std::vector<int64_t>(n, fallback) : v;
        };
        const std::vector<int64_t> s = two(a_.strides, 2, 1), d = two(a_.dilations, 2, 1), p = two(a_.pads, 4, 0);
        if (s.size() != 2 || d.size() != 2 || p.size() != 4)
            return ctx.invalid("strides and dilations need 2 values and pads 4");
        if (st->c % st->group != 0 || st->oc % st->group != 0 || wt.dims[1] != st->c / st->group)
            return ctx.invalid("group " + std::to_string(st->group) + " does not fit X " + dims_text(x.dims) +
                               " and W " + dims_text(wt.dims));
        if (st->c % st->offset_group != 0)
            return ctx.invalid("offset_group " + std::to_string(st->offset_group) + " does not divide the " +
                               std::to_string(st->c) + " channels");
        st->sh = s[0], st->sw = s[1], st->dh = d[0], st->dw = d[1], st->ph = p[0], st->pw = p[1];
        const int64_t span_h = st->h + p[0] + p[2] - (st->dh * (st->kh - 1) + 1);
        const int64_t span_w = st->w + p[1] + p[3] - (st->dw * (st->kw - 1) + 1);
        if (span_h < 0 || span_w < 0)
            return ctx.invalid("the dilated kernel does not fit the padded input " + dims_text(x.dims));
        st->oh = span_h / st->sh + 1, st->ow = span_w / st->sw + 1;
        const int64_t kk = st->kh * st->kw;
        const std::vector<int64_t> want_off{st->n, st->offset_group * kk * 2, st->oh, st->ow};
        if (off.dims != want_off)
            return ctx.invalid("offset must have shape " + dims_text(want_off) + ", got " + dims_text(off.dims));
        st->has_bias = ctx.has_input(3);
        if (st->has_bias && ctx.input(3).dims != std::vector<int64_t>{st->oc})
            return ctx.invalid("B must have shape [" + std::to_string(st->oc) + "], got " +
                               dims_text(ctx.input(3).dims));
        st->has_mask = ctx.has_input(4);
        const std::vector<int64_t> want_mask{st->n, st->offset_group * kk, st->oh, st->ow};
        if (st->has_mask && ctx.input(4).dims != want_mask)
            return ctx.invalid("mask must have shape " + dims_text(want_mask) + ", got " +
                               dims_text(ctx.input(4).dims));
        ctx.set_output(0, DataType::kFloat32, {st->n, st->oc, st->oh, st->ow});
        st->empty = st->n * st->oc * st->oh * st->ow == 0;
        if (!st->empty && st->c * kk == 0) return ctx.unsupported_here("zero input channels");
        if (!st->empty) {
            // Per group g: Y[g] (oC/G, oHW) = W[g] (oC/G, C/G*kk) x col[g] (C/G*kk, oHW) + B[g] (oC/G, 1).
            const int64_t g = st->group, m = st->oc / g, k = st->c / g * kk, l = st->oh * st->ow;
            const memory::desc a_md = plain_f32_md({g, m, k}), b_md = plain_f32_md({g, k, l});
            const memory::desc c_md = plain_f32_md({g, m, l});
            const memory::desc bias_md = st->has_bias ? plain_f32_md({g, m, 1}) : memory::desc();
            dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), user_scratch_attr(),
                                            onednn_engine());
            st->matmul = BoundPrimitive(dnnl::matmul(pd));
            st->matmul.arg(DNNL_ARG_SRC, a_md);
            st->matmul.arg(DNNL_ARG_WEIGHTS, b_md);
            if (st->has_bias) st->matmul.arg(DNNL_ARG_BIAS, bias_md);
            st->matmul.arg(DNNL_ARG_DST, c_md);
            st->matmul.arg(DNNL_ARG_SCRATCHPAD, pd.scratchpad_desc());
            ScratchLayout layout;
            st->col_off = layout.add(static_cast<size_t>(st->c * kk * l) * sizeof(float));
            st->sp_off = layout.add(pd.scratchpad_desc().get_size());
            ctx.request_scratch(layout.total());
            const char* info = pd.impl_info_str();
            ctx.set_implementation(std::string("onednn:") + (info ? info : "?") + "+deform-sampling");
        }
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    // col[(c * kk + k) * oHW + pix] = mask * bilinear(x[c], sampling point of tap k at pix). The four
    // corners and their weights (mask folded in) depend only on the offset group, the tap and the pixel:
    // computed once, applied to every channel of the group.
    static void build_columns(const DeformState& st, const float* x, const float* offset, const float* mask,
                              float* col) {
        const int64_t kk = st.kh * st.kw, opix = st.oh * st.ow, hw = st.h * st.w;
        const int64_t per_og = st.c / st.offset_group;
        if (hw == 0) {  // an empty image (padding only) samples zeros everywhere
            std::fill(col, col + st.c * kk * opix, 0.0f);
            return;
        }
        parallel_for(
            st.offset_group * kk * st.oh,
            [&](int64_t begin, int64_t end) {
                for (int64_t task = begin; task < end; ++task) {
                    const int64_t og = task / (kk * st.oh), k = task / st.oh % kk, oy = task % st.oh;
                    const int64_t ki = k / st.kw, kj = k % st.kw;
                    const float* dy = offset + (og * kk + k) * 2 * opix;
                    const float* dx = dy + opix;
                    const float* mk = mask ? mask + (og * kk + k) * opix : nullptr;
                    for (int64_t ox = 0; ox < st.ow; ++ox) {
                        const int64_t pix = oy * st.ow + ox;
                        const double py = double(oy * st.sh - st.ph + ki * st.dh) + double(dy[pix]);
                        const double px = double(ox * st.sw - st.pw + kj * st.dw) + double(dx[pix]);
                        int64_t pos[4];
                        float wt[4];
                        corners(st.h, st.w, py, px, mk ? double(mk[pix]) : 1.0, pos, wt);
                        for (int64_t c = og * per_og; c < (og + 1) * per_og; ++c) {
                            const float* plane = x + c * hw;
                            col[(c * kk + k) * opix + pix] = wt[0] * plane[pos[0]] + wt[1] * plane[pos[1]] +
                                                             wt[2] * plane[pos[2]] + wt[3] * plane[pos[3]];
                        }
                    }
                }
            },
            1);
    }

    // The bilinear corners of (y, x) as plane offsets with weights times `scale`; corners outside the
    // image get weight 0 (and offset 0, so reading them is harmless).
    static void corners(int64_t h, int64_t w, double y, double x, double scale, int64_t pos[4], float wt[4]) {
        for (int i = 0; i < 4; ++i) pos[i] = 0, wt[i] = 0.0f;
        if (!(y > -1.0 && y < double(h) && x > -1.0 && x < double(w))) return;
        const double fy = std::floor(y), fx = std::floor(x);
        const auto y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
        const double ly = y - fy, lx = x - fx;
        const double cw[4] = {(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx};
        for (int i = 0; i < 4; ++i) {
            const int64_t yy = y0 + i / 2, xx = x0 + i % 2;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            pos[i] = yy * w + xx;
            wt[i] = static_cast<float>(cw[i] * scale);
        }
    }

    DeformAttrs a_;
};

}  // namespace

void register_deform_conv_kernels(KernelRegistry& registry) {
    KernelDef def;
    def.op_type = "DeformConv";
    def.since_version = 19;
    def.dtypes = {DataType::kFloat32};
    def.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        DeformAttrs a;
        a.kernel_shape = n.attr_ints("kernel_shape");
        a.strides = n.attr_ints("strides");
        a.dilations = n.attr_ints("dilations");
        a.pads = n.attr_ints("pads");
        a.group = n.attr_int("group", 1);
        a.offset_group = n.attr_int("offset_group", 1);
        if (a.group < 1 || a.offset_group < 1)
            return ctx.invalid("group and offset_group must be >= 1, got " + std::to_string(a.group) + " and " +
                               std::to_string(a.offset_group));
        for (const auto* v : {&a.strides, &a.dilations})
            for (int64_t e : *v)
                if (e < 1) return ctx.invalid("strides and dilations must be >= 1");
        for (int64_t e : a.pads)
            if (e < 0) return ctx.invalid("pads must be >= 0");
        return std::unique_ptr<Kernel>(new DeformConvKernel(std::move(a)));
    };
    registry.add(std::move(def));
}

}  // namespace edgeinfer::kernels::cpu

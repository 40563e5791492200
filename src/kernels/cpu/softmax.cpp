// Kernels: Softmax and LogSoftmax (opset < 13: coerced to 2-D at `axis`; opset >= 13: one axis) via oneDNN,
// and Hardmax (same axis rules; one-hot of the first maximum).
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;

struct SoftmaxState : KernelState {
    bool empty = false;
    int64_t outer = 1, n = 1, inner = 1;  // the (outer, axis extent, inner) view
    BoundPrimitive prim;
    memory::desc md, scratchpad_md;
};

class SoftmaxKernel final : public Kernel {
  public:
    SoftmaxKernel(bool log, bool coerce_2d, int64_t axis) : log_(log), coerce_2d_(coerce_2d), axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<SoftmaxState>();
        if (st.empty) return Status::ok();
        return onednn_guard(*ctx.label, [&]() {
            st.prim.execute({{DNNL_ARG_SRC, ctx.in(0).data()},
                             {DNNL_ARG_DST, ctx.out(0).data()},
                             {DNNL_ARG_SCRATCHPAD, ctx.scratch}});
            nan_rows(st, ctx.in(0).data_as<float>(), ctx.out(0).data_as<float>());
            return Status::ok();
        });
    }

  private:
    // oneDNN's row maximum skips NaN and +inf; softmax(x - max) of a row holding either is NaN throughout
    // (NaN, or inf - inf), as in PyTorch, numpy and ONNX Runtime. One scan when every value is finite or -inf.
    static void nan_rows(const SoftmaxState& st, const float* x, float* y) {
        auto bad = [](float v) { return std::isnan(v) || v == std::numeric_limits<float>::infinity(); };
        const int64_t total = st.outer * st.n * st.inner;
        if (std::none_of(x, x + total, bad)) return;
        for (int64_t o = 0; o < st.outer; ++o) {
            for (int64_t i = 0; i < st.inner; ++i) {
                const int64_t base = o * st.n * st.inner + i;
                bool poisoned = false;
                for (int64_t k = 0; k < st.n && !poisoned; ++k) poisoned = bad(x[base + k * st.inner]);
                if (!poisoned) continue;
                for (int64_t k = 0; k < st.n; ++k) y[base + k * st.inner] = std::numeric_limits<float>::quiet_NaN();
            }
        }
    }

    Status prepare_impl(PrepareContext& ctx) const {
        const auto& x = ctx.input(0).dims;
        if (ctx.input(0).dtype != DataType::kFloat32) return ctx.unsupported_here("only float32 is supported");
        int64_t axis = axis_;
        int64_t rank = static_cast<int64_t>(x.size());
        if (rank == 0 || !normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        ctx.set_output(0, DataType::kFloat32, x);
        auto st = std::make_unique<SoftmaxState>();
        st->empty = shape_numel(x) == 0;
        if (st->empty) {
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        auto prod = [&](int64_t from, int64_t to) {
            int64_t p = 1;
            for (int64_t i = from; i < to; ++i) p *= x[i];
            return p;
        };
        // A view where the softmax runs over dim 1: (outer, axis extent, inner).
        std::vector<int64_t> view;
        if (coerce_2d_) {
            view = {prod(0, axis), prod(axis, rank)};
        } else {
            view = {prod(0, axis), x[axis]};
            int64_t inner = prod(axis + 1, rank);
            if (inner > 1) view.push_back(inner);
        }
        st->outer = view[0], st->n = view[1], st->inner = view.size() > 2 ? view[2] : 1;
        st->md = plain_f32_md(view);
        auto& eng = onednn_engine();
        dnnl::primitive_attr attr = user_scratch_attr();
        auto kind = dnnl::prop_kind::forward_inference;
        if (log_) {
            dnnl::logsoftmax_forward::primitive_desc pd(dnnl::logsoftmax_forward::desc(kind, st->md, 1), attr, eng);
            st->scratchpad_md = pd.scratchpad_desc();
            st->prim = BoundPrimitive(dnnl::logsoftmax_forward(pd));
        } else {
            dnnl::softmax_forward::primitive_desc pd(dnnl::softmax_forward::desc(kind, st->md, 1), attr, eng);
            st->scratchpad_md = pd.scratchpad_desc();
            st->prim = BoundPrimitive(dnnl::softmax_forward(pd));
        }
        st->prim.arg(DNNL_ARG_SRC, st->md);
        st->prim.arg(DNNL_ARG_DST, st->md);
        st->prim.arg(DNNL_ARG_SCRATCHPAD, st->scratchpad_md);
        ctx.request_scratch(st->scratchpad_md.get_size());
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    bool log_;
    bool coerce_2d_;
    int64_t axis_;
};

KernelDef softmax_def(const std::string& op, bool log, int64_t since, int64_t end) {
    KernelDef d;
    d.op_type = op;
    d.since_version = since;
    d.end_version = end;
    d.dtypes = float_types();
    bool coerce_2d = since < 13;
    d.factory = [log, coerce_2d](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        int64_t axis = ctx.node.attr_int("axis", coerce_2d ? 1 : -1);
        return std::unique_ptr<Kernel>(new SoftmaxKernel(log, coerce_2d, axis));
    };
    return d;
}

// Hardmax: 1 at the first maximum along the axis (or the flattened [axis, rank) block before opset
// 13), 0 elsewhere. NaN never wins against a number.
class HardmaxKernel final : public Kernel {
  public:
    HardmaxKernel(bool coerce_2d, int64_t axis) : coerce_2d_(coerce_2d), axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        int64_t rank = static_cast<int64_t>(x.dims.size());
        int64_t axis = axis_;
        if (rank == 0 || !normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        if (!dtype_in(x.dtype, types::kFloats))
            return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)) + " is not a float type");
        ctx.set_output(0, x.dtype, x.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        const auto& d = x.dims();
        const int64_t rank = x.rank();
        if (x.numel() == 0) return Status::ok();
        int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
        auto prod = [&](int64_t from, int64_t to) {
            int64_t p = 1;
            for (int64_t i = from; i < to; ++i) p *= d[i];
            return p;
        };
        const int64_t outer = prod(0, axis);
        const int64_t n = coerce_2d_ ? prod(axis, rank) : d[axis];
        const int64_t inner = coerce_2d_ ? 1 : prod(axis + 1, rank);
        std::memset(y.data(), 0, y.nbytes());
        dispatch_types<types::kFloats>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            T* out = y.data_as<T>();
            parallel_for(
                outer * inner,
                [&](int64_t begin, int64_t end) {
                    for (int64_t row = begin; row < end; ++row) {
                        const int64_t o = row / inner, i = row % inner;
                        const int64_t base = o * n * inner + i;
                        int64_t best = 0;
                        auto best_v = load(in[base]);
                        for (int64_t j = 1; j < n; ++j) {
                            auto v = load(in[base + j * inner]);
                            if (v > best_v || (best_v != best_v && v == v)) best_v = v, best = j;
                        }
                        out[base + best * inner] = store<T>(1.0f);
                    }
                },
                std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)));
        });
        return Status::ok();
    }

  private:
    bool coerce_2d_;
    int64_t axis_;
};

KernelDef hardmax_def(int64_t since, int64_t end) {
    KernelDef d;
    d.op_type = "Hardmax";
    d.since_version = since;
    d.end_version = end;
    d.dtypes = dtypes_of(types::kFloats);
    bool coerce_2d = since < 13;
    d.factory = [coerce_2d](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new HardmaxKernel(coerce_2d, ctx.node.attr_int("axis", coerce_2d ? 1 : -1)));
    };
    return d;
}

}  // namespace

void register_softmax_kernels(KernelRegistry& registry) {
    registry.add(softmax_def("Softmax", false, 1, 12));
    registry.add(softmax_def("Softmax", false, 13, 1 << 30));
    registry.add(softmax_def("LogSoftmax", true, 1, 12));
    registry.add(softmax_def("LogSoftmax", true, 13, 1 << 30));
    registry.add(hardmax_def(1, 12));
    registry.add(hardmax_def(13, 1 << 30));
}

}  // namespace edgeinfer::kernels::cpu

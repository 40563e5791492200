// Kernels: BatchNormalization (inference), InstanceNormalization and LayerNormalization via oneDNN
// batch/layer normalization, with plain C++ for shapes oneDNN does not take; MeanVarianceNormalization
// (ONNX's function op, as one kernel); GroupNormalization-18 (scale and bias per group) and -21 (per
// channel), plain C++ over (N, C, spatial...) with moments in double; com.microsoft's
// SkipLayerNormalization (plain C++, one pass per row). LayerNormalization is also registered where ONNX
// Runtime's optimizer writes its contrib form: the ONNX domain below opset 17.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using dnnl::memory;
using dnnl::normalization_flags;

struct NormState : KernelState {
    bool empty = false;
    bool reference = false;
    BoundPrimitive prim;
    memory::desc data_md, param_md, stat_md, scratchpad_md;
    int64_t outer = 0, channels = 0, inner = 0;
    // Scratch offsets: primitive scratchpad, expanded scale/shift, mean/variance when not outputs.
    size_t sp_off = 0, scale_off = 0, shift_off = 0, mean_off = 0, var_off = 0;
    bool expand_scale = false, expand_shift = false, has_shift = false;
    bool training = false;  // statistics are computed (and written to mean/var buffers)
};

void execute_norm(RunContext& ctx, const NormState& st, const void* scale, const void* shift, void* mean, void* var) {
    st.prim.execute({{DNNL_ARG_SRC, ctx.in(0).data()},
                     {DNNL_ARG_DST, ctx.out(0).data()},
                     {DNNL_ARG_SCALE, scale},
                     {DNNL_ARG_SHIFT, st.has_shift ? shift : nullptr},
                     {DNNL_ARG_MEAN, mean},
                     {DNNL_ARG_VARIANCE, var},
                     {DNNL_ARG_SCRATCHPAD, ScratchLayout::at(ctx.scratch, st.sp_off)}});
}

void bind_norm(NormState& st, dnnl::primitive prim) {
    st.prim = BoundPrimitive(std::move(prim));
    st.prim.arg(DNNL_ARG_SRC, st.data_md);
    st.prim.arg(DNNL_ARG_DST, st.data_md);
    st.prim.arg(DNNL_ARG_SCALE, st.param_md);
    if (st.has_shift) st.prim.arg(DNNL_ARG_SHIFT, st.param_md);
    st.prim.arg(DNNL_ARG_MEAN, st.stat_md);
    st.prim.arg(DNNL_ARG_VARIANCE, st.stat_md);
    st.prim.arg(DNNL_ARG_SCRATCHPAD, st.scratchpad_md);
}

// ---- BatchNormalization (inference): y = (x - mean) / sqrt(var + eps) * scale + B per channel.
class BatchNormKernel final : public Kernel {
  public:
    explicit BatchNormKernel(float epsilon) : epsilon_(epsilon) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() {
            const auto& x = ctx.input(0).dims;
            if (x.size() < 2) return ctx.invalid("input rank must be >= 2, got " + std::to_string(x.size()));
            for (size_t i = 0; i < 5; ++i) {
                if (!ctx.has_input(i)) return ctx.invalid("input " + std::to_string(i) + " is required");
                if (ctx.input(i).dtype != DataType::kFloat32) return ctx.unsupported_here("only float32 is supported");
                if (i > 0 && ctx.input(i).dims != std::vector<int64_t>{x[1]})
                    return ctx.invalid("input " + std::to_string(i) + " has shape " +
                                       shape_to_string(ctx.input(i).dims) + ", expected " + std::to_string(x[1]));
            }
            ctx.set_output(0, DataType::kFloat32, x);
            auto st = std::make_unique<NormState>();
            st->empty = shape_numel(x) == 0;
            st->outer = x[0];
            st->channels = x[1];
            st->inner = x[1] == 0 ? 0 : shape_numel(x) / std::max<int64_t>(1, x[0] * x[1]);
            st->reference = st->empty || x.size() > 5;
            ScratchLayout layout;
            if (st->reference) {
                st->scale_off = layout.add(static_cast<size_t>(x[1]) * sizeof(float));
                st->shift_off = layout.add(static_cast<size_t>(x[1]) * sizeof(float));
            } else {
                st->data_md = plain_f32_md(x);
                auto flags = normalization_flags::use_global_stats | normalization_flags::use_scale |
                             normalization_flags::use_shift;
                dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, st->data_md, epsilon_,
                                                          flags);
                dnnl::batch_normalization_forward::primitive_desc pd(d, user_scratch_attr(), onednn_engine());
                st->param_md = pd.weights_desc();
                st->stat_md = pd.mean_desc();
                st->scratchpad_md = pd.scratchpad_desc();
                st->has_shift = true;
                bind_norm(*st, dnnl::batch_normalization_forward(pd));
                st->sp_off = layout.add(st->scratchpad_md.get_size());
            }
            ctx.request_scratch(layout.total());
            ctx.set_state(std::move(st));
            return Status::ok();
        });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<NormState>();
        if (st.empty) return Status::ok();
        if (!st.reference) {
            return onednn_guard(*ctx.label, [&]() {
                execute_norm(ctx, st, ctx.in(1).data(), ctx.in(2).data(), const_cast<void*>(ctx.in(3).data()),
                             const_cast<void*>(ctx.in(4).data()));
                return Status::ok();
            });
        }
        // Fold into y = x * a[c] + b[c].
        float* a = static_cast<float*>(ScratchLayout::at(ctx.scratch, st.scale_off));
        float* b = static_cast<float*>(ScratchLayout::at(ctx.scratch, st.shift_off));
        const float *scale = ctx.in(1).data_as<float>(), *bias = ctx.in(2).data_as<float>();
        const float *mean = ctx.in(3).data_as<float>(), *var = ctx.in(4).data_as<float>();
        for (int64_t c = 0; c < st.channels; ++c) {
            a[c] = scale[c] / std::sqrt(var[c] + epsilon_);
            b[c] = bias[c] - mean[c] * a[c];
        }
        const float* x = ctx.in(0).data_as<float>();
        float* y = ctx.out(0).data_as<float>();
        int64_t inner = st.inner, channels = st.channels;
        parallel_for(
            st.outer * channels,
            [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                    int64_t c = r % channels;
                    for (int64_t i = 0; i < inner; ++i) y[r * inner + i] = x[r * inner + i] * a[c] + b[c];
                }
            },
            16);
        return Status::ok();
    }

  private:
    float epsilon_;
};

// ---- InstanceNormalization: per (n, c) row of spatial values, y = (x - mean) / sqrt(var + eps) * scale[c] + B[c].
// Plain C++ (SIMD reductions, rows in parallel): oneDNN's batch normalization over a (1, N*C, S) view
// computes the same thing but its statistics path is several times slower for one image.
class InstanceNormKernel final : public Kernel {
  public:
    explicit InstanceNormKernel(float epsilon) : epsilon_(epsilon) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& x = ctx.input(0).dims;
        if (x.size() < 2) return ctx.invalid("input rank must be >= 2, got " + std::to_string(x.size()));
        for (size_t i = 0; i < 3; ++i) {
            if (!ctx.has_input(i)) return ctx.invalid("input " + std::to_string(i) + " is required");
            if (ctx.input(i).dtype != DataType::kFloat32) return ctx.unsupported_here("only float32 is supported");
            if (i > 0 && ctx.input(i).dims != std::vector<int64_t>{x[1]})
                return ctx.invalid("input " + std::to_string(i) + " has shape " + shape_to_string(ctx.input(i).dims) +
                                   ", expected " + std::to_string(x[1]));
        }
        ctx.set_output(0, DataType::kFloat32, x);
        auto st = std::make_unique<NormState>();
        st->empty = shape_numel(x) == 0;
        if (!st->empty) {
            st->outer = x[0];
            st->channels = x[1];
            st->inner = shape_numel(x) / (x[0] * x[1]);
        }
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<NormState>();
        if (st.empty) return Status::ok();
        const float* x = ctx.in(0).data_as<float>();
        const float* scale = ctx.in(1).data_as<float>();
        const float* bias = ctx.in(2).data_as<float>();
        float* y = ctx.out(0).data_as<float>();
        int64_t inner = st.inner, channels = st.channels;
        float eps = epsilon_;
        parallel_for(
            st.outer * channels,
            [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                    const float* xr = x + r * inner;
                    float* yr = y + r * inner;
                    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
                    for (int64_t i = 0; i < inner; ++i) sum += xr[i];
                    float mean = sum / static_cast<float>(inner);
                    float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
                    for (int64_t i = 0; i < inner; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
                    float a = scale[r % channels] / std::sqrt(sq / static_cast<float>(inner) + eps);
                    float b = bias[r % channels] - mean * a;
#pragma omp simd
                    for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * a + b;
                }
            },
            std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)));
        return Status::ok();
    }

  private:
    float epsilon_;
};

// ---- LayerNormalization (opset 17): normalizes over dims [axis, rank); optional Mean and InvStdDev outputs.
class LayerNormKernel final : public Kernel {
  public:
    LayerNormKernel(int64_t axis, float epsilon) : axis_(axis), epsilon_(epsilon) {}

    Status prepare(PrepareContext& ctx) const override {
        return onednn_guard(ctx.label(), [&]() { return prepare_impl(ctx); });
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<NormState>();
        if (st.empty) return Status::ok();
        const void* scale = ctx.in(1).data();
        const void* shift = st.has_shift ? ctx.in(2).data() : nullptr;
        if (st.expand_scale) scale = expand(ctx, ctx.in(1), st.scale_off, st.inner);
        if (st.expand_shift) shift = expand(ctx, ctx.in(2), st.shift_off, st.inner);
        bool want_mean = has_out(ctx, 1), want_inv = has_out(ctx, 2);
        void* mean = want_mean ? ctx.out(1).data() : ScratchLayout::at(ctx.scratch, st.mean_off);
        void* var = want_inv ? ctx.out(2).data() : ScratchLayout::at(ctx.scratch, st.var_off);
        Status s = onednn_guard(*ctx.label, [&]() {
            execute_norm(ctx, st, scale, shift, st.training ? mean : nullptr, st.training ? var : nullptr);
            return Status::ok();
        });
        if (!s.is_ok() || !want_inv) return s;
        float* inv = static_cast<float*>(var);
        for (int64_t i = 0; i < st.outer; ++i) inv[i] = 1.0f / std::sqrt(inv[i] + epsilon_);
        return Status::ok();
    }

  private:
    static bool has_out(const RunContext& ctx, size_t i) { return i < ctx.outputs.size() && ctx.outputs[i] != nullptr; }

    // Repeats a scale/bias tensor that covers trailing normalized dims to `inner` floats in scratch.
    static const void* expand(RunContext& ctx, const Tensor& t, size_t offset, int64_t inner) {
        float* dst = static_cast<float*>(ScratchLayout::at(ctx.scratch, offset));
        const float* src = t.data_as<float>();
        int64_t numel = t.numel();
        for (int64_t i = 0; i < inner; ++i) dst[i] = src[i % numel];
        return dst;
    }

    Status prepare_impl(PrepareContext& ctx) const {
        const auto& x = ctx.input(0).dims;
        int64_t rank = static_cast<int64_t>(x.size());
        int64_t axis = axis_;
        if (!normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " out of range for rank " + std::to_string(rank));
        for (size_t i = 0; i < 3; ++i)
            if (ctx.has_input(i) && ctx.input(i).dtype != DataType::kFloat32)
                return ctx.unsupported_here("only float32 is supported");
        if (!ctx.has_input(1)) return ctx.invalid("Scale is required");
        std::vector<int64_t> norm_dims(x.begin() + axis, x.end());
        auto st = std::make_unique<NormState>();
        for (size_t i = 1; i < 3; ++i) {
            if (!ctx.has_input(i)) continue;
            std::vector<int64_t> out;
            const auto& p = ctx.input(i).dims;
            if (!broadcast_shapes(norm_dims, p, out) || out != norm_dims)
                return ctx.invalid("input " + std::to_string(i) + " of shape " + shape_to_string(p) +
                                   " does not broadcast to " + shape_to_string(norm_dims));
            // Only a trailing-suffix (or scalar) broadcast repeats cleanly along the flattened axis.
            int64_t pn = shape_numel(p);
            size_t lead = 0;
            while (lead < p.size() && p[lead] == 1) ++lead;
            bool simple = pn == 1 || std::equal(p.begin() + lead, p.end(), norm_dims.end() - (p.size() - lead));
            if (!simple) return ctx.unsupported_here("Scale/B broadcast of shape " + shape_to_string(p));
            if (pn != shape_numel(norm_dims)) (i == 1 ? st->expand_scale : st->expand_shift) = true;
        }
        std::vector<int64_t> stat_dims = x;
        for (int64_t i = axis; i < rank; ++i) stat_dims[i] = 1;
        ctx.set_output(0, DataType::kFloat32, x);
        for (size_t i = 1; i < 3; ++i)
            if (ctx.num_outputs() > i && !ctx.node().outputs[i].empty())
                ctx.set_output(i, DataType::kFloat32, stat_dims);

        st->outer = shape_numel(std::vector<int64_t>(x.begin(), x.begin() + axis));
        st->inner = shape_numel(norm_dims);
        st->empty = shape_numel(x) == 0;
        st->has_shift = ctx.has_input(2);
        st->training = ctx.num_outputs() > 1 && std::any_of(ctx.node().outputs.begin() + 1, ctx.node().outputs.end(),
                                                            [](const std::string& s) { return !s.empty(); });
        if (st->empty) {
            ctx.set_state(std::move(st));
            return Status::ok();
        }
        st->data_md = plain_f32_md({st->outer, st->inner});
        auto flags = normalization_flags::use_scale;
        if (st->has_shift) flags = flags | normalization_flags::use_shift;
        auto kind = st->training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
        dnnl::layer_normalization_forward::desc d(kind, st->data_md, epsilon_, flags);
        dnnl::layer_normalization_forward::primitive_desc pd(d, user_scratch_attr(), onednn_engine());
        st->param_md = pd.weights_desc();
        st->stat_md = pd.mean_desc();
        st->scratchpad_md = pd.scratchpad_desc();
        bind_norm(*st, dnnl::layer_normalization_forward(pd));
        ScratchLayout layout;
        size_t inner_bytes = static_cast<size_t>(st->inner) * sizeof(float);
        size_t outer_bytes = static_cast<size_t>(st->outer) * sizeof(float);
        if (st->expand_scale) st->scale_off = layout.add(inner_bytes);
        if (st->expand_shift) st->shift_off = layout.add(inner_bytes);
        st->mean_off = layout.add(outer_bytes);
        st->var_off = layout.add(outer_bytes);
        st->sp_off = layout.add(st->scratchpad_md.get_size());
        ctx.request_scratch(layout.total());
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    int64_t axis_;
    float epsilon_;
};

std::string batchnorm_supports(const CreateContext& ctx) {
    const ir::Node& n = ctx.node;
    if (n.attr_int("training_mode", 0) != 0) return "training_mode=1 is not supported (inference only)";
    if (ctx.opset < 9 && n.attr_int("spatial", 1) == 0) return "spatial=0 is not supported";
    for (size_t i = 1; i < n.outputs.size(); ++i)
        if (!n.outputs[i].empty()) return "running/saved mean and variance outputs exist only in training mode";
    return "";
}

// MeanVarianceNormalization-9/13: Y = (X - mean) / (sqrt(var) + 1e-9), mean and var over `axes`
// (default [0, 2, 3]), as ONNX's function body computes them (var = E[X^2] - E[X]^2, clamped at 0
// here so rounding cannot take a square root of a negative). Moments accumulate in double.
struct MvnState : KernelState {
    std::vector<int64_t> dims, group_strides;  // group_strides: 0 on reduced axes
    int64_t groups = 0, group_size = 1;
};

class MvnKernel final : public Kernel {
  public:
    explicit MvnKernel(std::vector<int64_t> axes) : axes_(std::move(axes)) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        if (!dtype_in(x.dtype, types::kFloats))
            return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)) + " is not a float type");
        const int64_t rank = static_cast<int64_t>(x.dims.size());
        std::vector<bool> reduced(x.dims.size(), false);
        for (int64_t a : axes_) {
            int64_t axis = a;
            if (!normalize_axis(axis, rank))
                return ctx.invalid("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
            if (reduced[axis]) return ctx.invalid("axis " + std::to_string(a) + " is listed twice");
            reduced[axis] = true;
        }
        auto st = std::make_unique<MvnState>();
        st->dims = x.dims;
        st->group_strides.assign(x.dims.size(), 0);
        int64_t stride = 1;
        for (int64_t d = rank - 1; d >= 0; --d) {
            if (reduced[d]) {
                st->group_size *= x.dims[d];
            } else {
                st->group_strides[d] = stride;
                stride *= x.dims[d];
            }
        }
        st->groups = stride;
        ctx.set_output(0, x.dtype, x.dims);
        ctx.request_scratch(static_cast<size_t>(st->groups) * 2 * sizeof(double));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<MvnState>();
        const Tensor& x = ctx.in(0);
        const int64_t n = x.numel();
        if (n == 0) return Status::ok();
        double* sum = static_cast<double*>(ctx.scratch);
        double* sum_sq = sum + st.groups;
        std::fill(sum, sum + 2 * st.groups, 0.0);
        dispatch_types<types::kFloats>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            T* out = ctx.out(0).data_as<T>();
            for_each_group(st, n, [&](int64_t i, int64_t g) {
                const double v = static_cast<double>(load(in[i]));
                sum[g] += v;
                sum_sq[g] += v * v;
            });
            const double count = static_cast<double>(st.group_size);
            for (int64_t g = 0; g < st.groups; ++g) {
                const double mean = sum[g] / count;
                const double var = std::max(sum_sq[g] / count - mean * mean, 0.0);
                sum[g] = mean;
                sum_sq[g] = 1.0 / (std::sqrt(var) + 1e-9);
            }
            for_each_group(st, n, [&](int64_t i, int64_t g) {
                out[i] = store<T>((static_cast<double>(load(in[i])) - sum[g]) * sum_sq[g]);
            });
        });
        return Status::ok();
    }

  private:
    // fn(element index, group index) for every element in row-major order.
    template <typename F>
    static void for_each_group(const MvnState& st, int64_t n, F&& fn) {
        const size_t rank = st.dims.size();
        std::vector<int64_t> idx(rank, 0);
        int64_t g = 0;
        for (int64_t i = 0; i < n; ++i) {
            fn(i, g);
            for (size_t d = rank; d-- > 0;) {
                g += st.group_strides[d];
                if (++idx[d] < st.dims[d]) break;
                g -= st.group_strides[d] * st.dims[d];
                idx[d] = 0;
            }
        }
    }

    std::vector<int64_t> axes_;
};

// GroupNormalization: x is (N, C, D...), C = num_groups * channels_per_group; each (n, group) block of
// C / num_groups * prod(D) consecutive values is normalized with its own mean and variance, then
// scaled and shifted per group (opset 18) or per channel (opset 21).
class GroupNormKernel final : public Kernel {
  public:
    GroupNormKernel(int64_t groups, float epsilon, bool per_channel)
        : groups_(groups), epsilon_(epsilon), per_channel_(per_channel) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        if (!dtype_in(x.dtype, types::kFloats))
            return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)) + " is not a float type");
        if (x.dims.size() < 2) return ctx.invalid("X must have rank >= 2 (N, C, ...), got " + shape_to_string(x.dims));
        const int64_t c = x.dims[1];
        if (c % groups_ != 0)
            return ctx.invalid("num_groups " + std::to_string(groups_) + " does not divide the " + std::to_string(c) +
                               " channels");
        const int64_t want = per_channel_ ? c : groups_;
        for (size_t i : {size_t{1}, size_t{2}}) {
            const TensorDesc& p = ctx.input(i);
            if (p.dtype != x.dtype || p.dims.size() != 1 || p.dims[0] != want)
                return ctx.invalid(std::string(i == 1 ? "scale" : "bias") + " must be " +
                                   std::string(dtype_name(x.dtype)) + " [" + std::to_string(want) + "] (" +
                                   (per_channel_ ? "per channel" : "per group") + " at this opset), got " +
                                   std::string(dtype_name(p.dtype)) + " " + shape_to_string(p.dims));
        }
        ctx.set_output(0, x.dtype, x.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        if (x.numel() == 0) return Status::ok();
        const int64_t n = x.dims()[0], c = x.dims()[1];
        const int64_t inner = x.numel() / (n * c), cpg = c / groups_;
        const int64_t block = cpg * inner;
        dispatch_types<types::kFloats>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            const T* scale = ctx.in(1).data_as<T>();
            const T* bias = ctx.in(2).data_as<T>();
            T* out = ctx.out(0).data_as<T>();
            parallel_for(
                n * groups_,
                [&](int64_t begin, int64_t end) {
                    for (int64_t b = begin; b < end; ++b) {
                        const T* src = in + b * block;
                        double sum = 0, sum_sq = 0;
                        for (int64_t i = 0; i < block; ++i) sum += static_cast<double>(load(src[i]));
                        const double mean = block > 0 ? sum / double(block) : 0.0;
                        for (int64_t i = 0; i < block; ++i) {
                            const double d = static_cast<double>(load(src[i])) - mean;
                            sum_sq += d * d;
                        }
                        const double var = block > 0 ? sum_sq / double(block) : 0.0;
                        const double inv = 1.0 / std::sqrt(var + double(epsilon_));
                        const int64_t g = b % groups_;
                        for (int64_t k = 0; k < cpg; ++k) {
                            const int64_t p = per_channel_ ? g * cpg + k : g;
                            const double sc = static_cast<double>(load(scale[p])) * inv;
                            const double sh = static_cast<double>(load(bias[p]));
                            const T* s = src + k * inner;
                            T* d = out + b * block + k * inner;
                            for (int64_t i = 0; i < inner; ++i)
                                d[i] = store<T>((static_cast<double>(load(s[i])) - mean) * sc + sh);
                        }
                    }
                },
                1);
        });
        return Status::ok();
    }

  private:
    int64_t groups_;
    float epsilon_;
    bool per_channel_;
};

// ---- com.microsoft SkipLayerNormalization: S = input + skip (+ bias), Y = LayerNorm(S) over the last dim.
//   inputs  input (..., H), skip (input's shape, or a suffix of it), gamma (H), beta (H, optional),
//           bias (H, optional); attribute epsilon (default 1e-12)
//   outputs output (input's shape), mean and inv_std_var (input's shape with a last dim of 1, optional),
//           input_skip_bias_sum (S, optional)
class SkipLayerNormKernel final : public Kernel {
  public:
    explicit SkipLayerNormKernel(float epsilon) : epsilon_(epsilon) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& x = ctx.input(0).dims;
        if (x.empty()) return ctx.invalid("input must have rank >= 1");
        for (size_t i = 0; i < ctx.num_inputs(); ++i)
            if (ctx.has_input(i) && ctx.input(i).dtype != DataType::kFloat32)
                return ctx.unsupported_here("input " + std::to_string(i) + " has type " +
                                            std::string(dtype_name(ctx.input(i).dtype)) + " (float32 only)");
        if (!ctx.has_input(1) || !ctx.has_input(2)) return ctx.invalid("inputs skip and gamma are required");
        const int64_t h = x.back();
        const auto& skip = ctx.input(1).dims;
        // skip: input's shape, or a suffix of it (with leading 1s), repeated over the leading dims.
        std::vector<int64_t> trimmed = skip;
        while (trimmed.size() > 1 && trimmed.front() == 1) trimmed.erase(trimmed.begin());
        if (trimmed.size() > x.size() || !std::equal(trimmed.begin(), trimmed.end(), x.end() - trimmed.size()) ||
            trimmed.empty() || trimmed.back() != h)
            return ctx.invalid("skip of shape " + shape_to_string(skip) + " does not match input " +
                               shape_to_string(x));
        for (size_t i : {size_t{2}, size_t{3}, size_t{4}}) {
            if (!ctx.has_input(i)) continue;
            const auto& p = ctx.input(i).dims;
            if (shape_numel(p) != h || p.empty() || p.back() != h)
                return ctx.invalid("input " + std::to_string(i) + " of shape " + shape_to_string(p) +
                                   " must hold the hidden size " + std::to_string(h));
        }
        ctx.set_output(0, DataType::kFloat32, x);
        std::vector<int64_t> stat = x;
        stat.back() = 1;
        for (size_t i = 1; i < 3; ++i)
            if (ctx.num_outputs() > i && !ctx.node().outputs[i].empty()) ctx.set_output(i, DataType::kFloat32, stat);
        if (ctx.num_outputs() > 3 && !ctx.node().outputs[3].empty()) ctx.set_output(3, DataType::kFloat32, x);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        const int64_t h = x.dims().back();
        if (x.numel() == 0 || h == 0) return Status::ok();
        const int64_t rows = x.numel() / h;
        const int64_t skip_rows = ctx.in(1).numel() / h;
        const float* xs = x.data_as<float>();
        const float* skip = ctx.in(1).data_as<float>();
        const float* gamma = ctx.in(2).data_as<float>();
        const float* beta = ctx.has_in(3) ? ctx.in(3).data_as<float>() : nullptr;
        const float* bias = ctx.has_in(4) ? ctx.in(4).data_as<float>() : nullptr;
        auto out = [&](size_t i) -> float* {
            return i < ctx.outputs.size() && ctx.outputs[i] ? ctx.out(i).data_as<float>() : nullptr;
        };
        float* y = out(0);
        float *mean_out = out(1), *inv_out = out(2), *sum_out = out(3);
        const float eps = epsilon_;
        parallel_for(
            rows,
            [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                    const float* xr = xs + r * h;
                    const float* sr = skip + (r % skip_rows) * h;
                    // The sum goes to input_skip_bias_sum when asked for, else to Y (overwritten below).
                    float* s = sum_out ? sum_out + r * h : y + r * h;
                    double sum = 0.0;
                    for (int64_t c = 0; c < h; ++c) {
                        float v = xr[c] + sr[c] + (bias ? bias[c] : 0.0f);
                        s[c] = v;
                        sum += v;
                    }
                    const double mean = sum / static_cast<double>(h);
                    double sq = 0.0;
                    for (int64_t c = 0; c < h; ++c) {
                        double d = s[c] - mean;
                        sq += d * d;
                    }
                    const float inv = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(h) + eps));
                    const float m = static_cast<float>(mean);
                    float* yr = y + r * h;
                    for (int64_t c = 0; c < h; ++c) yr[c] = (s[c] - m) * inv * gamma[c] + (beta ? beta[c] : 0.0f);
                    if (mean_out) mean_out[r] = m;
                    if (inv_out) inv_out[r] = inv;
                }
            },
            std::max<int64_t>(1, 16384 / h));
        return Status::ok();
    }

  private:
    float epsilon_;
};

}  // namespace

void register_norm_kernels(KernelRegistry& registry) {
    KernelDef bn;
    bn.op_type = "BatchNormalization";
    bn.since_version = 1;
    bn.dtypes = float_types();
    bn.supports = batchnorm_supports;
    bn.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        std::string why = batchnorm_supports(ctx);
        if (!why.empty()) return Status(StatusCode::kUnsupported, ctx.label + ": " + why);
        return std::unique_ptr<Kernel>(new BatchNormKernel(ctx.node.attr_float("epsilon", 1e-5f)));
    };
    registry.add(std::move(bn));

    KernelDef in;
    in.op_type = "InstanceNormalization";
    in.since_version = 1;
    in.dtypes = float_types();
    in.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new InstanceNormKernel(ctx.node.attr_float("epsilon", 1e-5f)));
    };
    registry.add(std::move(in));

    KernelDef ln;
    ln.op_type = "LayerNormalization";
    ln.since_version = 17;
    ln.dtypes = float_types();
    ln.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(
            new LayerNormKernel(ctx.node.attr_int("axis", -1), ctx.node.attr_float("epsilon", 1e-5f)));
    };
    registry.add(ln);
    // ONNX Runtime's contrib LayerNormalization (same inputs, attributes and outputs as opset 17's), which its
    // optimizer writes in the ONNX domain of models below opset 17.
    ln.since_version = 1;
    ln.end_version = 16;
    registry.add(std::move(ln));

    KernelDef skip;
    skip.domain = "com.microsoft";
    skip.op_type = "SkipLayerNormalization";
    skip.since_version = 1;
    skip.dtypes = float_types();
    skip.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new SkipLayerNormKernel(ctx.node.attr_float("epsilon", 1e-12f)));
    };
    registry.add(std::move(skip));

    KernelDef mvn;
    mvn.op_type = "MeanVarianceNormalization";
    mvn.since_version = 9;
    mvn.dtypes = dtypes_of(types::kFloats);
    mvn.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new MvnKernel(ctx.node.attr_ints("axes", {0, 2, 3})));
    };
    registry.add(std::move(mvn));

    for (const bool per_channel : {false, true}) {
        KernelDef gn;
        gn.op_type = "GroupNormalization";
        gn.since_version = per_channel ? 21 : 18;
        gn.end_version = per_channel ? (1 << 30) : 20;
        gn.dtypes = dtypes_of(types::kFloats);
        gn.factory = [per_channel](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            const ir::Attribute* groups = ctx.node.find_attribute("num_groups");
            if (groups == nullptr || groups->i < 1) return ctx.invalid("attribute num_groups (>= 1) is required");
            // stash_type (opset 21) asks for at least float moments: they accumulate in double here.
            return std::unique_ptr<Kernel>(
                new GroupNormKernel(groups->i, ctx.node.attr_float("epsilon", 1e-5f), per_channel));
        };
        registry.add(std::move(gn));
    }
}

}  // namespace edgeinfer::kernels::cpu

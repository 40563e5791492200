// Kernels: ONNX Runtime's quantized elementwise ops in the com.microsoft domain, as its optimizer writes
// them for QDQ / statically quantized models (docs/operators.md, "com.microsoft"):
//
//   QLinearAdd(A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp)   C = q(dq(A) + dq(B)), broadcasting
//   QLinearMul(same inputs)                                          C = q(dq(A) * dq(B)), broadcasting
//   QLinearSigmoid(X, X_scale, X_zp, Y_scale, Y_zp)                  Y = q(sigmoid(dq(X)))
//   QLinearGlobalAveragePool(X, x_scale, x_zp, y_scale, y_zp)        Y = q(mean over spatial dims of dq(X)),
//                                                                    attribute channels_last (NHWC in and out)
//
// dq(x) = (x - zp) * scale, q(v) = saturate(round_half_even(v / scale) + zp); uint8 or int8 tensors, scalar
// scales and zero points (zero points optional, default 0). Scales are read when each run starts, so they
// may be computed values. QLinearSigmoid uses a 256-entry table built per run.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

bool is_q8(DataType t) { return t == DataType::kUInt8 || t == DataType::kInt8; }

template <typename T>
T saturate_round(float v) {
    float r = std::nearbyint(v);
    r = std::min(std::max(r, static_cast<float>(std::numeric_limits<T>::lowest())),
                 static_cast<float>(std::numeric_limits<T>::max()));
    return static_cast<T>(r);
}

// A scalar scale (float32) and an optional scalar zero point of the tensor's type.
Status check_qparams(const PrepareContext& ctx, size_t scale, size_t zp, DataType t, const char* name) {
    if (!ctx.has_input(scale)) return ctx.invalid(std::string(name) + "_scale is required");
    const TensorDesc& s = ctx.input(scale);
    if (s.dtype != DataType::kFloat32 || shape_numel(s.dims) != 1)
        return ctx.unsupported_here(std::string(name) + "_scale must be a float32 scalar (per-tensor), got " +
                                    std::string(dtype_name(s.dtype)) + " " + shape_to_string(s.dims));
    if (ctx.has_input(zp)) {
        const TensorDesc& z = ctx.input(zp);
        if (z.dtype != t || shape_numel(z.dims) != 1)
            return ctx.unsupported_here(std::string(name) + "_zero_point must be a scalar of type " +
                                        std::string(dtype_name(t)) + ", got " + std::string(dtype_name(z.dtype)) + " " +
                                        shape_to_string(z.dims));
    }
    return Status::ok();
}

float scale_of(const RunContext& ctx, size_t i) { return ctx.in(i).data_as<float>()[0]; }

template <typename T>
float zp_of(const RunContext& ctx, size_t i) {
    return ctx.has_in(i) ? static_cast<float>(ctx.in(i).data_as<T>()[0]) : 0.0f;
}

template <typename F>
bool dispatch_q8(DataType t, F&& fn) {
    if (t == DataType::kUInt8) {
        fn(uint8_t{});
        return true;
    }
    if (t == DataType::kInt8) {
        fn(int8_t{});
        return true;
    }
    return false;
}

// ---- QLinearAdd / QLinearMul ---------------------------------------------------------------------
struct BinaryState : KernelState {
    std::vector<int64_t> out_dims, a_strides, b_strides;
    bool same_shape = false;
};

class QLinearBinaryKernel final : public Kernel {
  public:
    explicit QLinearBinaryKernel(bool mul) : mul_(mul) {}

    Status prepare(PrepareContext& ctx) const override {
        if (!ctx.has_input(0) || !ctx.has_input(3)) return ctx.invalid("inputs A and B are required");
        const DataType t = ctx.input(0).dtype;
        if (!is_q8(t)) return ctx.unsupported_here("A has type " + std::string(dtype_name(t)) + " (uint8 or int8)");
        if (ctx.input(3).dtype != t) return ctx.invalid("A and B have different types");
        EDGEINFER_RETURN_IF_ERROR(check_qparams(ctx, 1, 2, t, "A"));
        EDGEINFER_RETURN_IF_ERROR(check_qparams(ctx, 4, 5, t, "B"));
        EDGEINFER_RETURN_IF_ERROR(check_qparams(ctx, 6, 7, t, "C"));
        const auto& a = ctx.input(0).dims;
        const auto& b = ctx.input(3).dims;
        auto st = std::make_unique<BinaryState>();
        if (!broadcast_shapes(a, b, st->out_dims))
            return ctx.invalid("shapes " + shape_to_string(a) + " and " + shape_to_string(b) + " do not broadcast");
        st->same_shape = a == b;
        st->a_strides = broadcast_strides(a, st->out_dims);
        st->b_strides = broadcast_strides(b, st->out_dims);
        ctx.set_output(0, t, st->out_dims);
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<BinaryState>();
        const int64_t n = ctx.out(0).numel();
        if (n == 0) return Status::ok();
        dispatch_q8(ctx.in(0).dtype(), [&](auto tag) {
            using T = decltype(tag);
            const float sa = scale_of(ctx, 1), sb = scale_of(ctx, 4), sc = scale_of(ctx, 6);
            const float za = zp_of<T>(ctx, 2), zb = zp_of<T>(ctx, 5), zc = zp_of<T>(ctx, 7);
            const T* a = ctx.in(0).data_as<T>();
            const T* b = ctx.in(3).data_as<T>();
            T* c = ctx.out(0).data_as<T>();
            const bool mul = mul_;
            auto value = [=](T x, T y) {
                const float fa = (static_cast<float>(x) - za) * sa, fb = (static_cast<float>(y) - zb) * sb;
                return saturate_round<T>((mul ? fa * fb : fa + fb) / sc + zc);
            };
            if (st.same_shape) {
                parallel_for(n, [&](int64_t begin, int64_t end) {
                    for (int64_t i = begin; i < end; ++i) c[i] = value(a[i], b[i]);
                });
                return;
            }
            const auto& dims = st.out_dims;
            const size_t r = dims.size();
            parallel_for(n, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i) {
                    int64_t rem = i, ia = 0, ib = 0;
                    for (size_t d = r; d-- > 0;) {
                        const int64_t idx = rem % dims[d];
                        rem /= dims[d];
                        ia += idx * st.a_strides[d];
                        ib += idx * st.b_strides[d];
                    }
                    c[i] = value(a[ia], b[ib]);
                }
            });
        });
        return Status::ok();
    }

  private:
    bool mul_;
};

// ---- QLinearSigmoid -------------------------------------------------------------------------------
class QLinearSigmoidKernel final : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        const DataType t = ctx.input(0).dtype;
        if (!is_q8(t)) return ctx.unsupported_here("X has type " + std::string(dtype_name(t)) + " (uint8 or int8)");
        EDGEINFER_RETURN_IF_ERROR(check_qparams(ctx, 1, 2, t, "X"));
        EDGEINFER_RETURN_IF_ERROR(check_qparams(ctx, 3, 4, t, "Y"));
        ctx.set_output(0, t, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const int64_t n = ctx.in(0).numel();
        if (n == 0) return Status::ok();
        dispatch_q8(ctx.in(0).dtype(), [&](auto tag) {
            using T = decltype(tag);
            const float sx = scale_of(ctx, 1), sy = scale_of(ctx, 3);
            const float zx = zp_of<T>(ctx, 2), zy = zp_of<T>(ctx, 4);
            T table[256];
            for (int v = 0; v < 256; ++v) {
                const T x = static_cast<T>(static_cast<int>(std::numeric_limits<T>::lowest()) + v);
                const float f = (static_cast<float>(x) - zx) * sx;
                table[v] = saturate_round<T>(1.0f / (1.0f + std::exp(-f)) / sy + zy);
            }
            const T* x = ctx.in(0).data_as<T>();
            T* y = ctx.out(0).data_as<T>();
            const int lo = static_cast<int>(std::numeric_limits<T>::lowest());
            parallel_for(n, [&](int64_t begin, int64_t end) {
                for (int64_t i = begin; i < end; ++i) y[i] = table[static_cast<int>(x[i]) - lo];
            });
        });
        return Status::ok();
    }
};

// ---- QLinearGlobalAveragePool ---------------------------------------------------------------------
class QLinearGlobalAveragePoolKernel final : public Kernel {
  public:
    explicit QLinearGlobalAveragePoolKernel(bool channels_last) : channels_last_(channels_last) {}

    Status prepare(PrepareContext& ctx) const override {
        const DataType t = ctx.input(0).dtype;
        if (!is_q8(t)) return ctx.unsupported_here("X has type " + std::string(dtype_name(t)) + " (uint8 or int8)");
        EDGEINFER_RETURN_IF_ERROR(check_qparams(ctx, 1, 2, t, "x"));
        EDGEINFER_RETURN_IF_ERROR(check_qparams(ctx, 3, 4, t, "y"));
        const auto& x = ctx.input(0).dims;
        if (x.size() < 3) return ctx.invalid("X must have rank >= 3, got " + shape_to_string(x));
        std::vector<int64_t> y(x.size(), 1);
        y[0] = x[0];
        if (channels_last_)
            y.back() = x.back();
        else
            y[1] = x[1];
        ctx.set_output(0, t, y);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& x = ctx.in(0).dims();
        const int64_t batch = x[0];
        const int64_t channels = channels_last_ ? x.back() : x[1];
        const int64_t spatial = batch * channels == 0 ? 0 : ctx.in(0).numel() / (batch * channels);
        if (batch * channels == 0) return Status::ok();
        dispatch_q8(ctx.in(0).dtype(), [&](auto tag) {
            using T = decltype(tag);
            const float sx = scale_of(ctx, 1), sy = scale_of(ctx, 3);
            const float zx = zp_of<T>(ctx, 2), zy = zp_of<T>(ctx, 4);
            const T* in = ctx.in(0).data_as<T>();
            T* out = ctx.out(0).data_as<T>();
            const bool cl = channels_last_;
            parallel_for(
                batch * channels,
                [&](int64_t begin, int64_t end) {
                    for (int64_t i = begin; i < end; ++i) {
                        const int64_t b = i / channels, c = i % channels;
                        int64_t sum = 0;
                        if (cl) {
                            const T* p = in + b * spatial * channels + c;
                            for (int64_t s = 0; s < spatial; ++s) sum += p[s * channels];
                        } else {
                            const T* p = in + i * spatial;
                            for (int64_t s = 0; s < spatial; ++s) sum += p[s];
                        }
                        const float mean = spatial > 0 ? static_cast<float>(sum) / static_cast<float>(spatial) : zx;
                        out[i] = saturate_round<T>((mean - zx) * sx / sy + zy);
                    }
                },
                64);
        });
        return Status::ok();
    }

  private:
    bool channels_last_;
};

KernelDef q8_def(const char* op) {
    KernelDef d;
    d.domain = "com.microsoft";
    d.op_type = op;
    d.since_version = 1;
    d.dtypes = {DataType::kUInt8, DataType::kInt8};
    return d;
}

}  // namespace

void register_qlinear_elementwise_kernels(KernelRegistry& registry) {
    for (bool mul : {false, true}) {
        KernelDef d = q8_def(mul ? "QLinearMul" : "QLinearAdd");
        d.factory = [mul](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(new QLinearBinaryKernel(mul));
        };
        registry.add(std::move(d));
    }
    KernelDef sig = q8_def("QLinearSigmoid");
    sig.factory = [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new QLinearSigmoidKernel());
    };
    registry.add(std::move(sig));
    KernelDef gap = q8_def("QLinearGlobalAveragePool");
    gap.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new QLinearGlobalAveragePoolKernel(ctx.node.attr_int("channels_last", 0) != 0));
    };
    registry.add(std::move(gap));
}

}  // namespace edgeinfer::kernels::cpu

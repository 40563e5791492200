// Kernels: unary elementwise ops (activations, math functions, rounding, predicates, Clip).
//
// Each op is a small functor applied in a flat loop the compiler vectorizes; float32 uses
// branch-free polynomial exp/tanh/erf so that those loops vectorize too (max error < 1e-6 relative).
// 16-bit floats compute in float32; float64 uses the C library.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

constexpr int64_t kLatest = 1 << 30;
constexpr int64_t kGrain = 8192;

// ---- vectorizable float32 math -------------------------------------------------------------

// e^x = 2^n * e^r with n = round(x / ln 2), |r| <= ln 2 / 2 and a Cephes polynomial for e^r;
// 2^n is applied as two factors so that n in [-150, 128] needs no special cases.
[[gnu::always_inline]] inline float fast_exp(float x) {
    float xc = blend(x < -104.0f, -104.0f, x);
    xc = blend(xc > 88.8f, 88.8f, xc);
    xc = blend(xc != xc, 0.0f, xc);  // NaN: keep the int conversion defined; the result is x
    float t = xc * 1.44269504088896341f;
    int32_t n = static_cast<int32_t>(t + blend(t >= 0.0f, 0.5f, -0.5f));
    float nf = static_cast<float>(n);
    float r = xc - nf * 0.693359375f + nf * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t n1 = n >> 1;
    int32_t n2 = n - n1;
    float s1 = std::bit_cast<float>(static_cast<uint32_t>(n1 + 127) << 23);
    float s2 = std::bit_cast<float>(static_cast<uint32_t>(n2 + 127) << 23);
    float y = p * s1 * s2;
    return blend(x != x, x, y);
}

// e^x - 1 without cancellation near 0 (Taylor series below |x| = 0.1).
[[gnu::always_inline]] inline float fast_expm1(float x) {
    float taylor = x * (1.0f + x * (0.5f + x * (1.0f / 6.0f + x * (1.0f / 24.0f + x * (1.0f / 120.0f)))));
    float e = fast_exp(x) - 1.0f;
    return blend(std::fabs(x) < 0.1f, taylor, e);
}

// Rational approximation of tanh on [-7.9, 7.9] (as in Eigen); |error| < 4e-7.
[[gnu::always_inline]] inline float fast_tanh(float x) {
    const float c = 7.90531110763549805f;
    float xc = blend(x < -c, -c, x);
    xc = blend(xc > c, c, xc);
    float x2 = xc * xc;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * xc;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    float y = p / q;
    return blend(std::fabs(x) < 0.0004f, x, y);
}

// Rational approximation of erf on [-4, 4] (as in Eigen); |error| < 4e-7.
[[gnu::always_inline]] inline float fast_erf(float x) {
    float xc = blend(x < -4.0f, -4.0f, x);
    xc = blend(xc > 4.0f, 4.0f, xc);
    float x2 = xc * xc;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 + -2.10102402082508e-06f;
    p = p * x2 + -5.69250639462346e-05f;
    p = p * x2 + -7.34990630326855e-04f;
    p = p * x2 + -2.95459980854025e-03f;
    p = p * x2 + -1.60960333262415e-02f;
    p = p * xc;
    float q = -1.45660718464996e-05f;
    q = q * x2 + -2.13374055278905e-04f;
    q = q * x2 + -1.68282697438203e-03f;
    q = q * x2 + -7.37332916720468e-03f;
    q = q * x2 + -1.42647390514189e-02f;
    float y = p / q;
    return blend(x != x, x, y);
}

[[gnu::always_inline]] inline float fast_sigmoid(float x) {
    float e = fast_exp(-std::fabs(x));
    float r = 1.0f / (1.0f + e);
    return blend(x >= 0.0f, r, e * r);
}

// Round half to even for |x| < 2^23 by letting the FPU round (x + 2^23) - 2^23.
[[gnu::always_inline]] inline float round_even(float x) {
    float a = std::fabs(x);
    float r = std::copysign((a + 8388608.0f) - 8388608.0f, x);
    return blend(a < 8388608.0f, r, x);
}
[[gnu::always_inline]] inline double round_even(double x) { return std::nearbyint(x); }

[[gnu::always_inline]] inline float ew_exp(float x) { return fast_exp(x); }
[[gnu::always_inline]] inline double ew_exp(double x) { return std::exp(x); }
[[gnu::always_inline]] inline float ew_expm1(float x) { return fast_expm1(x); }
[[gnu::always_inline]] inline double ew_expm1(double x) { return std::expm1(x); }
[[gnu::always_inline]] inline float ew_tanh(float x) { return fast_tanh(x); }
[[gnu::always_inline]] inline double ew_tanh(double x) { return std::tanh(x); }
[[gnu::always_inline]] inline float ew_erf(float x) { return fast_erf(x); }
[[gnu::always_inline]] inline double ew_erf(double x) { return std::erf(x); }
[[gnu::always_inline]] inline float ew_sigmoid(float x) { return fast_sigmoid(x); }
[[gnu::always_inline]] inline double ew_sigmoid(double x) {
    double e = std::exp(-std::fabs(x));
    double r = 1.0 / (1.0 + e);
    return blend(x >= 0.0, r, e * r);
}

// ---- op functors: operator() takes and returns the compute type ------------------------------

using namespace types;

struct FloatOp {
    static constexpr unsigned kTypes = kFloats;
    static constexpr bool kBoolOut = false;
};

struct ReluOp {
    static constexpr unsigned kTypes = kFloats | kSigned;
    static constexpr bool kBoolOut = false;
    template <typename C>
    C operator()(C x) const {
        return x < C(0) ? C(0) : x;
    }
};
struct LeakyReluOp : FloatOp {
    float alpha = 0.01f;
    template <typename C>
    C operator()(C x) const {
        return blend(x < C(0), C(C(alpha) * x), x);
    }
};
struct EluOp : FloatOp {
    float alpha = 1.0f;
    template <typename C>
    C operator()(C x) const {
        C neg = C(alpha) * ew_expm1(x);
        return blend(x < C(0), neg, x);
    }
};
struct SeluOp : FloatOp {
    float alpha = 1.67326319217681884765625f;
    float gamma = 1.05070102214813232421875f;
    template <typename C>
    C operator()(C x) const {
        C neg = C(alpha) * ew_expm1(x);
        return C(gamma) * blend(x > C(0), x, neg);
    }
};
struct CeluOp : FloatOp {
    float alpha = 1.0f;
    template <typename C>
    C operator()(C x) const {
        C neg = C(alpha) * ew_expm1(x / C(alpha));
        return blend(x > C(0), x, neg);
    }
};
struct SigmoidOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return ew_sigmoid(x);
    }
};
struct HardSigmoidOp : FloatOp {
    float alpha = 0.2f;
    float beta = 0.5f;
    template <typename C>
    C operator()(C x) const {
        C v = C(alpha) * x + C(beta);
        v = blend(v < C(0), C(0), v);
        return blend(v > C(1), C(1), v);
    }
};
struct HardSwishOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        C v = x * C(1.0 / 6.0) + C(0.5);
        v = blend(v < C(0), C(0), v);
        return x * blend(v > C(1), C(1), v);
    }
};
struct TanhOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return ew_tanh(x);
    }
};
struct SoftplusOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return blend(x > C(0), x, C(0)) + std::log1p(ew_exp(-std::fabs(x)));
    }
};
// Mish (opset 18): x * tanh(softplus(x)).
struct MishOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return x * ew_tanh(blend(x > C(0), x, C(0)) + std::log1p(ew_exp(-std::fabs(x))));
    }
};
// Gelu (opset 20): x * Phi(x), exactly (erf) or with the tanh approximation.
struct GeluOp : FloatOp {
    bool tanh_approximation = false;
    template <typename C>
    C operator()(C x) const {
        if (tanh_approximation)
            return C(0.5) * x * (C(1) + ew_tanh(C(0.7978845608028654) * (x + C(0.044715) * x * x * x)));
        return C(0.5) * x * (C(1) + ew_erf(x * C(0.7071067811865476)));
    }
};
// BitwiseNot (opset 18) of integers.
struct BitwiseNotOp {
    static constexpr unsigned kTypes = kInts;
    static constexpr bool kBoolOut = false;
    template <typename C>
    C operator()(C x) const {
        return C(~x);
    }
};
struct SoftsignOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return x / (C(1) + std::fabs(x));
    }
};
struct ErfOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return ew_erf(x);
    }
};
struct ExpOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return ew_exp(x);
    }
};
struct ReciprocalOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return C(1) / x;
    }
};
struct RoundOp : FloatOp {
    template <typename C>
    C operator()(C x) const {
        return round_even(x);
    }
};
struct ThresholdedReluOp : FloatOp {
    float alpha = 1.0f;
    template <typename C>
    C operator()(C x) const {
        return blend(x > C(alpha), x, C(0));
    }
};

// Ops that are one C library call.
#define EDGEINFER_LIBM_OP_(NAME, FN) \
    struct NAME : FloatOp {          \
        template <typename C>        \
        C operator()(C x) const {    \
            return FN(x);            \
        }                            \
    };
EDGEINFER_LIBM_OP_(SqrtOp, std::sqrt)
EDGEINFER_LIBM_OP_(LogOp, std::log)
EDGEINFER_LIBM_OP_(FloorOp, std::floor)
EDGEINFER_LIBM_OP_(CeilOp, std::ceil)
EDGEINFER_LIBM_OP_(SinOp, std::sin)
EDGEINFER_LIBM_OP_(CosOp, std::cos)
EDGEINFER_LIBM_OP_(TanOp, std::tan)
EDGEINFER_LIBM_OP_(AsinOp, std::asin)
EDGEINFER_LIBM_OP_(AcosOp, std::acos)
EDGEINFER_LIBM_OP_(AtanOp, std::atan)
EDGEINFER_LIBM_OP_(SinhOp, std::sinh)
EDGEINFER_LIBM_OP_(CoshOp, std::cosh)
EDGEINFER_LIBM_OP_(AsinhOp, std::asinh)
EDGEINFER_LIBM_OP_(AcoshOp, std::acosh)
EDGEINFER_LIBM_OP_(AtanhOp, std::atanh)
#undef EDGEINFER_LIBM_OP_

struct AbsOp {
    static constexpr unsigned kTypes = kFloats | kInts;
    static constexpr bool kBoolOut = false;
    template <typename C>
    C operator()(C x) const {
        if constexpr (std::is_unsigned_v<C>)
            return x;
        else
            return x < C(0) ? C(-x) : x;
    }
};
struct NegOp {
    static constexpr unsigned kTypes = kFloats | kSigned;
    static constexpr bool kBoolOut = false;
    template <typename C>
    C operator()(C x) const {
        return C(-x);
    }
};
struct SignOp {
    static constexpr unsigned kTypes = kNumeric;
    static constexpr bool kBoolOut = false;
    template <typename C>
    C operator()(C x) const {
        if constexpr (std::is_unsigned_v<C>)
            return x > C(0) ? C(1) : C(0);
        else
            return x > C(0) ? C(1) : (x < C(0) ? C(-1) : x);  // keeps 0 and NaN
    }
};
struct NotOp {
    static constexpr unsigned kTypes = kBool;
    static constexpr bool kBoolOut = false;
    bool operator()(bool x) const { return !x; }
};
struct ShrinkOp {
    static constexpr unsigned kTypes = kNumeric;
    static constexpr bool kBoolOut = false;
    float lambd = 0.5f;
    float bias = 0.0f;
    template <typename C>
    C operator()(C x) const {
        using F = std::conditional_t<std::is_floating_point_v<C>, C, double>;
        F v = static_cast<F>(x);
        F r = blend(v < F(-lambd), F(v + F(bias)), blend(v > F(lambd), F(v - F(bias)), F(0)));
        return static_cast<C>(r);
    }
};
struct IsNaNOp {
    static constexpr unsigned kTypes = kFloats;
    static constexpr bool kBoolOut = true;
    template <typename C>
    bool operator()(C x) const {
        return x != x;
    }
};
struct IsInfOp {
    static constexpr unsigned kTypes = kFloats;
    static constexpr bool kBoolOut = true;
    bool detect_negative = true;
    bool detect_positive = true;
    template <typename C>
    bool operator()(C x) const {
        const C inf = std::numeric_limits<C>::infinity();
        return (detect_positive && x == inf) || (detect_negative && x == -inf);
    }
};
// Clip with bounds in the compute type; NaN passes through.
template <typename C>
struct ClipOp {
    C lo;
    C hi;
    C operator()(C x) const {
        C y = x < lo ? lo : x;
        return y > hi ? hi : y;
    }
};

// ---- loops and kernels -----------------------------------------------------------------------

// flatten: inline the whole functor so that the loop vectorizes, whatever GCC's inlining budget says.
template <typename T, typename TO, typename Op>
[[gnu::flatten]] void unary_range(const T* __restrict x, TO* __restrict y, int64_t begin, int64_t end, const Op& op) {
    for (int64_t i = begin; i < end; ++i) y[i] = store<TO>(op(load(x[i])));
}

template <typename T, typename TO, typename Op>
void unary_loop(const T* x, TO* y, int64_t n, const Op& op) {
    parallel_for(
        n, [&](int64_t begin, int64_t end) { unary_range(x, y, begin, end, op); }, kGrain);
}

template <typename Op>
class UnaryKernel final : public Kernel {
  public:
    explicit UnaryKernel(Op op) : op_(op) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType t = ctx.input(0).dtype;
        if (!dtype_in(t, Op::kTypes))
            return ctx.unsupported_here("input type " + std::string(dtype_name(t)) + " is not supported");
        ctx.set_output(0, Op::kBoolOut ? DataType::kBool : t, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        int64_t n = x.numel();
        if (n == 0) return Status::ok();
        dispatch_types<Op::kTypes>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            using TO = std::conditional_t<Op::kBoolOut, bool, T>;
            unary_loop(x.data_as<T>(), y.data_as<TO>(), n, op_);
        });
        return Status::ok();
    }

  private:
    Op op_;
};

// Clip up to opset 10: bounds are float attributes.
class ClipAttrKernel final : public Kernel {
  public:
    ClipAttrKernel(float lo, float hi) : lo_(lo), hi_(hi) {}

    Status prepare(PrepareContext& ctx) const override {
        DataType t = ctx.input(0).dtype;
        if (!dtype_in(t, kFloats))
            return ctx.unsupported_here("input type " + std::string(dtype_name(t)) + " is not supported");
        ctx.set_output(0, t, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        int64_t n = x.numel();
        if (n == 0) return Status::ok();
        dispatch_types<kFloats>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            using C = compute_t<T>;
            unary_loop(x.data_as<T>(), ctx.out(0).data_as<T>(), n, ClipOp<C>{C(lo_), C(hi_)});
        });
        return Status::ok();
    }

  private:
    float lo_;
    float hi_;
};

// Clip from opset 11: bounds are optional scalar inputs of the input's type.
class ClipKernel final : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        DataType t = ctx.input(0).dtype;
        if (!dtype_in(t, kNumeric))
            return ctx.unsupported_here("input type " + std::string(dtype_name(t)) + " is not supported");
        for (size_t i = 1; i <= 2; ++i) {
            if (!ctx.has_input(i)) continue;
            const TensorDesc& b = ctx.input(i);
            if (b.dtype != t)
                return ctx.invalid("input " + std::to_string(i) + " has type " + std::string(dtype_name(b.dtype)) +
                                   ", expected " + std::string(dtype_name(t)));
            if (shape_numel(b.dims) != 1)
                return ctx.invalid("input " + std::to_string(i) + " has shape " + shape_to_string(b.dims) +
                                   ", expected a scalar");
        }
        ctx.set_output(0, t, ctx.input(0).dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        int64_t n = x.numel();
        if (n == 0) return Status::ok();
        dispatch_types<kNumeric>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            using C = compute_t<T>;
            C lo = ctx.has_in(1) ? load(ctx.in(1).data_as<T>()[0]) : std::numeric_limits<C>::lowest();
            C hi = ctx.has_in(2) ? load(ctx.in(2).data_as<T>()[0]) : std::numeric_limits<C>::max();
            if constexpr (std::is_floating_point_v<C>) {
                if (!ctx.has_in(1)) lo = -std::numeric_limits<C>::infinity();
                if (!ctx.has_in(2)) hi = std::numeric_limits<C>::infinity();
            }
            unary_loop(x.data_as<T>(), ctx.out(0).data_as<T>(), n, ClipOp<C>{lo, hi});
        });
        return Status::ok();
    }
};

// ---- registration --------------------------------------------------------------------------

// Registers Op for [since, end]; `make` builds the functor from the node's attributes.
template <typename Op, typename MakeOp>
void add_unary(KernelRegistry& registry, const char* op_type, int64_t since, int64_t end, MakeOp make) {
    KernelDef d;
    d.op_type = op_type;
    d.since_version = since;
    d.end_version = end;
    d.dtypes = dtypes_of(Op::kTypes);
    d.factory = [make](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        EDGEINFER_ASSIGN_OR_RETURN(Op op, make(ctx));
        return std::unique_ptr<Kernel>(new UnaryKernel<Op>(op));
    };
    registry.add(std::move(d));
}

template <typename Op>
void add_unary(KernelRegistry& registry, const char* op_type, int64_t since, int64_t end = kLatest) {
    add_unary<Op>(registry, op_type, since, end, [](const CreateContext&) -> Result<Op> { return Op{}; });
}

void add_activations(KernelRegistry& r) {
    add_unary<ReluOp>(r, "Relu", 1);
    add_unary<LeakyReluOp>(r, "LeakyRelu", 1, kLatest, [](const CreateContext& c) -> Result<LeakyReluOp> {
        LeakyReluOp op;
        op.alpha = c.node.attr_float("alpha", 0.01f);
        return op;
    });
    add_unary<EluOp>(r, "Elu", 1, kLatest, [](const CreateContext& c) -> Result<EluOp> {
        EluOp op;
        op.alpha = c.node.attr_float("alpha", 1.0f);
        return op;
    });
    add_unary<SeluOp>(r, "Selu", 1, kLatest, [](const CreateContext& c) -> Result<SeluOp> {
        SeluOp op;
        op.alpha = c.node.attr_float("alpha", op.alpha);
        op.gamma = c.node.attr_float("gamma", op.gamma);
        return op;
    });
    add_unary<CeluOp>(r, "Celu", 12, kLatest, [](const CreateContext& c) -> Result<CeluOp> {
        CeluOp op;
        op.alpha = c.node.attr_float("alpha", 1.0f);
        if (op.alpha == 0.0f) return c.invalid("attribute alpha must not be 0");
        return op;
    });
    add_unary<SigmoidOp>(r, "Sigmoid", 1);
    add_unary<HardSigmoidOp>(r, "HardSigmoid", 1, kLatest, [](const CreateContext& c) -> Result<HardSigmoidOp> {
        HardSigmoidOp op;
        op.alpha = c.node.attr_float("alpha", 0.2f);
        op.beta = c.node.attr_float("beta", 0.5f);
        return op;
    });
    add_unary<HardSwishOp>(r, "HardSwish", 14);
    add_unary<TanhOp>(r, "Tanh", 1);
    add_unary<SoftplusOp>(r, "Softplus", 1);
    add_unary<SoftsignOp>(r, "Softsign", 1);
    add_unary<MishOp>(r, "Mish", 18);
    add_unary<GeluOp>(r, "Gelu", 20, kLatest, [](const CreateContext& c) -> Result<GeluOp> {
        GeluOp op;
        const std::string approximate = c.node.attr_string("approximate", "none");
        if (approximate != "none" && approximate != "tanh")
            return c.invalid("attribute approximate must be 'none' or 'tanh', got '" + approximate + "'");
        op.tanh_approximation = approximate == "tanh";
        return op;
    });
    add_unary<ThresholdedReluOp>(r, "ThresholdedRelu", 1, kLatest,
                                 [](const CreateContext& c) -> Result<ThresholdedReluOp> {
                                     ThresholdedReluOp op;
                                     op.alpha = c.node.attr_float("alpha", 1.0f);
                                     return op;
                                 });
    add_unary<ShrinkOp>(r, "Shrink", 9, kLatest, [](const CreateContext& c) -> Result<ShrinkOp> {
        ShrinkOp op;
        op.lambd = c.node.attr_float("lambd", 0.5f);
        op.bias = c.node.attr_float("bias", 0.0f);
        return op;
    });
}

void add_math(KernelRegistry& r) {
    add_unary<ErfOp>(r, "Erf", 9);
    add_unary<SqrtOp>(r, "Sqrt", 1);
    add_unary<ExpOp>(r, "Exp", 1);
    add_unary<LogOp>(r, "Log", 1);
    add_unary<AbsOp>(r, "Abs", 1);
    add_unary<NegOp>(r, "Neg", 1);
    add_unary<ReciprocalOp>(r, "Reciprocal", 1);
    add_unary<FloorOp>(r, "Floor", 1);
    add_unary<CeilOp>(r, "Ceil", 1);
    add_unary<RoundOp>(r, "Round", 11);
    add_unary<SignOp>(r, "Sign", 9);
    add_unary<NotOp>(r, "Not", 1);
    add_unary<BitwiseNotOp>(r, "BitwiseNot", 18);
    add_unary<SinOp>(r, "Sin", 7);
    add_unary<CosOp>(r, "Cos", 7);
    add_unary<TanOp>(r, "Tan", 7);
    add_unary<AsinOp>(r, "Asin", 7);
    add_unary<AcosOp>(r, "Acos", 7);
    add_unary<AtanOp>(r, "Atan", 7);
    add_unary<SinhOp>(r, "Sinh", 9);
    add_unary<CoshOp>(r, "Cosh", 9);
    add_unary<AsinhOp>(r, "Asinh", 9);
    add_unary<AcoshOp>(r, "Acosh", 9);
    add_unary<AtanhOp>(r, "Atanh", 9);
    add_unary<IsNaNOp>(r, "IsNaN", 9);
    add_unary<IsInfOp>(r, "IsInf", 10, kLatest, [](const CreateContext& c) -> Result<IsInfOp> {
        IsInfOp op;
        op.detect_negative = c.node.attr_int("detect_negative", 1) != 0;
        op.detect_positive = c.node.attr_int("detect_positive", 1) != 0;
        return op;
    });
}

void add_clip(KernelRegistry& r) {
    KernelDef attr_def;
    attr_def.op_type = "Clip";
    attr_def.since_version = 1;
    attr_def.end_version = 10;
    attr_def.dtypes = dtypes_of(kFloats);
    attr_def.factory = [](const CreateContext& c) -> Result<std::unique_ptr<Kernel>> {
        float lo = c.node.attr_float("min", -std::numeric_limits<float>::max());
        float hi = c.node.attr_float("max", std::numeric_limits<float>::max());
        return std::unique_ptr<Kernel>(new ClipAttrKernel(lo, hi));
    };
    r.add(std::move(attr_def));
    r.add(simple_def<ClipKernel>("Clip", 11, kLatest, dtypes_of(kNumeric)));
}

}  // namespace

void register_elementwise_kernels(KernelRegistry& registry) {
    add_activations(registry);
    add_math(registry);
    add_clip(registry);
}

}  // namespace edgeinfer::kernels::cpu

// Kernels: broadcasting elementwise ops with two or more inputs (arithmetic, comparisons, logic,
// Min/Max/Sum/Mean, Pow, Mod, PRelu, BitShift, Where).
//
// prepare() collapses the broadcast into a BroadcastPlan: output dims with all-1 axes dropped and
// neighbouring axes merged when every input broadcasts them alike, so that NCHW + C11 becomes
// [N, C, HW] with a contiguous or broadcast innermost run. run() walks the outer rows (in parallel)
// and calls a typed inner loop specialised for stride 1 / stride 0 operands, which vectorizes:
// same-shape and scalar operands are the one-row case.
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using namespace types;

constexpr int64_t kLatest = 1 << 30;
constexpr int kMaxInputs = 3;
constexpr size_t kMaxDims = 16;

// ---- broadcast plan ------------------------------------------------------------------------

struct BroadcastPlan {
    int num_inputs = 2;
    int64_t numel = 0;
    size_t outer_rank = 0;
    std::array<int64_t, kMaxDims> outer_dims{};
    std::array<std::array<int64_t, kMaxDims>, kMaxInputs> outer_strides{};
    int64_t outer_count = 1;
    int64_t inner = 1;
    std::array<int64_t, kMaxInputs> inner_stride{};  // 0 (broadcast) or 1
};

// Plans reading `inputs` (each broadcastable to `out`) in the order of `out`; false if too many dims.
bool make_plan(const std::vector<const std::vector<int64_t>*>& inputs, const std::vector<int64_t>& out,
               BroadcastPlan& plan) {
    const size_t r = out.size();
    const int n = static_cast<int>(inputs.size());
    plan = BroadcastPlan{};
    plan.num_inputs = n;
    plan.numel = shape_numel(out);
    std::vector<int64_t> dims;
    std::vector<std::array<bool, kMaxInputs>> full;  // input k reads axis d with a stride
    for (size_t d = 0; d < r; ++d) {
        if (out[d] == 1) continue;
        std::array<bool, kMaxInputs> f{};
        for (int k = 0; k < n; ++k) {
            const std::vector<int64_t>& in = *inputs[k];
            size_t off = r - in.size();
            f[k] = d >= off && in[d - off] != 1;
        }
        if (!dims.empty() && full.back() == f) {
            dims.back() *= out[d];
        } else {
            dims.push_back(out[d]);
            full.push_back(f);
        }
    }
    if (dims.empty()) {  // a single element
        dims.push_back(1);
        full.push_back({});
    }
    if (dims.size() - 1 > kMaxDims) return false;
    const size_t nd = dims.size();
    for (int k = 0; k < n; ++k) {
        int64_t running = 1;
        for (size_t d = nd; d-- > 0;) {
            int64_t stride = full[d][k] ? running : 0;
            if (full[d][k]) running *= dims[d];
            if (d == nd - 1)
                plan.inner_stride[k] = stride;
            else
                plan.outer_strides[k][d] = stride;
        }
    }
    plan.inner = dims.back();
    plan.outer_rank = nd - 1;
    for (size_t d = 0; d + 1 < nd; ++d) {
        plan.outer_dims[d] = dims[d];
        plan.outer_count *= dims[d];
    }
    return true;
}

// Calls fn(offsets, out_offset, count) for runs of the innermost axis, in parallel.
template <typename RowFn>
void for_each_run(const BroadcastPlan& p, RowFn&& fn) {
    if (p.numel == 0) return;
    const int n = p.num_inputs;
    if (p.outer_count == 1) {
        parallel_for(p.inner, [&](int64_t begin, int64_t end) {
            std::array<int64_t, kMaxInputs> off{};
            for (int k = 0; k < n; ++k) off[k] = begin * p.inner_stride[k];
            fn(off, begin, end - begin);
        });
        return;
    }
    const int64_t min_rows = std::max<int64_t>(1, 16384 / std::max<int64_t>(p.inner, 1));
    parallel_for(
        p.outer_count,
        [&](int64_t row_begin, int64_t row_end) {
            std::array<int64_t, kMaxDims> idx{};
            std::array<int64_t, kMaxInputs> off{};
            int64_t rem = row_begin;
            for (size_t d = p.outer_rank; d-- > 0;) {
                idx[d] = rem % p.outer_dims[d];
                rem /= p.outer_dims[d];
                for (int k = 0; k < n; ++k) off[k] += idx[d] * p.outer_strides[k][d];
            }
            for (int64_t row = row_begin; row < row_end; ++row) {
                fn(off, row * p.inner, p.inner);
                for (size_t d = p.outer_rank; d-- > 0;) {
                    for (int k = 0; k < n; ++k) off[k] += p.outer_strides[k][d];
                    if (++idx[d] < p.outer_dims[d]) break;
                    for (int k = 0; k < n; ++k) off[k] -= p.outer_strides[k][d] * p.outer_dims[d];
                    idx[d] = 0;
                }
            }
        },
        min_rows);
}

// One run of `count` outputs; sa/sb are the operands' strides (0 or 1). flatten inlines the functor
// so that each of the four loops vectorizes. `out` may alias `a` (variadic folds), never `b`.
template <typename TA, typename TB, typename TO, typename Op>
[[gnu::flatten]] void binary_run(const TA* a, int64_t sa, const TB* b, int64_t sb, TO* out, int64_t count,
                                 const Op& op) {
    if (sa == 1 && sb == 1) {
        for (int64_t i = 0; i < count; ++i) out[i] = store<TO>(op(load(a[i]), load(b[i])));
    } else if (sa == 1) {
        const auto vb = load(b[0]);
        for (int64_t i = 0; i < count; ++i) out[i] = store<TO>(op(load(a[i]), vb));
    } else if (sb == 1) {
        const auto va = load(a[0]);
        for (int64_t i = 0; i < count; ++i) out[i] = store<TO>(op(va, load(b[i])));
    } else {
        const TO v = store<TO>(op(load(a[0]), load(b[0])));
        for (int64_t i = 0; i < count; ++i) out[i] = v;
    }
}

// out = op(a, b) over the plan; op takes compute types, its result is stored as TO.
template <typename TA, typename TB, typename TO, typename Op>
void binary_loop(const BroadcastPlan& p, const TA* a, const TB* b, TO* out, const Op& op) {
    for_each_run(p, [&](const std::array<int64_t, kMaxInputs>& off, int64_t out_off, int64_t count) {
        binary_run(a + off[0], p.inner_stride[0], b + off[1], p.inner_stride[1], out + out_off, count, op);
    });
}

// ---- op functors (compute types in, anything convertible out) ------------------------------

enum class BinOp {
    kAdd,
    kSub,
    kMul,
    kDiv,
    kMod,
    kFMod,
    kPow,
    kMin,
    kMax,
    kSum,
    kMean,
    kEqual,
    kLess,
    kLessEqual,
    kGreater,
    kGreaterEqual,
    kAnd,
    kOr,
    kXor,
    kPRelu,
    kShiftLeft,
    kShiftRight,
    kBitAnd,
    kBitOr,
    kBitXor,
};

template <typename C>
constexpr bool kIsSignedInt = (std::is_integral_v<C> && std::is_signed_v<C>);

// BitwiseAnd (0), BitwiseOr (1), BitwiseXor (2) of integers.
template <int Kind>
struct BitF {
    template <typename C>
    C operator()(C a, C b) const {
        if constexpr (Kind == 0)
            return C(a & b);
        else if constexpr (Kind == 1)
            return C(a | b);
        else
            return C(a ^ b);
    }
};

struct AddF {
    template <typename C>
    C operator()(C a, C b) const {
        return C(a + b);
    }
};
struct SubF {
    template <typename C>
    C operator()(C a, C b) const {
        return C(a - b);
    }
};
struct MulF {
    template <typename C>
    C operator()(C a, C b) const {
        return C(a * b);
    }
};
// Min/Max propagate NaN from either operand (as numpy and ONNX Runtime do); `!(b == b)` is false for integers.
struct MinF {
    template <typename C>
    C operator()(C a, C b) const {
        return (b < a || !(b == b)) ? b : a;
    }
};
struct MaxF {
    template <typename C>
    C operator()(C a, C b) const {
        return (a < b || !(b == b)) ? b : a;
    }
};
struct FirstF {
    template <typename C>
    C operator()(C a, C) const {
        return a;
    }
};
struct EqualF {
    template <typename C>
    bool operator()(C a, C b) const {
        return a == b;
    }
};
struct LessF {
    template <typename C>
    bool operator()(C a, C b) const {
        return a < b;
    }
};
struct LessEqualF {
    template <typename C>
    bool operator()(C a, C b) const {
        return a <= b;
    }
};
struct GreaterF {
    template <typename C>
    bool operator()(C a, C b) const {
        return a > b;
    }
};
struct GreaterEqualF {
    template <typename C>
    bool operator()(C a, C b) const {
        return a >= b;
    }
};
struct AndF {
    bool operator()(bool a, bool b) const { return a && b; }
};
struct OrF {
    bool operator()(bool a, bool b) const { return a || b; }
};
struct XorF {
    bool operator()(bool a, bool b) const { return a != b; }
};
struct PReluF {
    template <typename C>
    C operator()(C x, C s) const {
        return blend(x < C(0), C(x * s), x);
    }
};

// Integer division truncates like C; the divisor was checked for 0; INT_MIN / -1 wraps.
struct DivF {
    template <typename C>
    C operator()(C a, C b) const {
        if constexpr (kIsSignedInt<C>) {
            if (b == C(-1)) return static_cast<C>(0 - static_cast<std::make_unsigned_t<C>>(a));
            return C(a / b);
        } else {
            return C(a / b);
        }
    }
};
// fmod = 1: the remainder has the dividend's sign (C fmod / %); fmod = 0: the divisor's sign.
template <bool kFmod>
struct ModF {
    template <typename C>
    C operator()(C a, C b) const {
        C r;
        if constexpr (std::is_floating_point_v<C>)
            r = std::fmod(a, b);
        else if constexpr (kIsSignedInt<C>)
            r = b == C(-1) ? C(0) : C(a % b);
        else
            r = C(a % b);
        if constexpr (!kFmod && !std::is_unsigned_v<C>) {
            if (r != C(0) && ((r < C(0)) != (b < C(0)))) r = C(r + b);
        }
        return r;
    }
};
template <bool kLeft>
struct ShiftF {
    template <typename C>
    C operator()(C a, C b) const {
        if (b >= C(sizeof(C) * 8)) return C(0);
        return kLeft ? C(a << b) : C(a >> b);
    }
};
// Pow: float base uses std::pow; int base with int exponent multiplies exactly; int base with a
// float exponent computes in double and truncates.
struct PowF {
    template <typename CA, typename CB>
    CA operator()(CA a, CB b) const {
        if constexpr (std::is_integral_v<CA> && std::is_integral_v<CB>) {
            if constexpr (std::is_signed_v<CB>) {
                if (b < 0) return static_cast<CA>(std::pow(static_cast<double>(a), static_cast<double>(b)));
            }
            using U = std::make_unsigned_t<CA>;
            U result = 1, base = static_cast<U>(a);
            for (uint64_t e = static_cast<uint64_t>(b); e != 0; e >>= 1) {
                if (e & 1u) result = static_cast<U>(result * base);
                base = static_cast<U>(base * base);
            }
            return static_cast<CA>(result);
        } else if constexpr (std::is_integral_v<CA>) {
            return static_cast<CA>(std::pow(static_cast<double>(a), static_cast<double>(b)));
        } else if constexpr (std::is_same_v<CA, float> && !std::is_same_v<CB, double>) {
            return std::pow(a, static_cast<float>(b));
        } else {
            return static_cast<CA>(std::pow(static_cast<double>(a), static_cast<double>(b)));
        }
    }
};

constexpr bool is_compare(BinOp op) {
    return op == BinOp::kEqual || op == BinOp::kLess || op == BinOp::kLessEqual || op == BinOp::kGreater ||
           op == BinOp::kGreaterEqual;
}
constexpr bool is_variadic(BinOp op) {
    return op == BinOp::kMin || op == BinOp::kMax || op == BinOp::kSum || op == BinOp::kMean;
}

// ---- kernel --------------------------------------------------------------------------------

struct BinaryState final : KernelState {
    std::vector<BroadcastPlan> plans;  // one per step (variadic ops fold input after input)
    bool scalar_exponent = false;      // Pow with a one-element exponent
};

class BinaryKernel final : public Kernel {
  public:
    // legacy_axis: opset < 7 broadcast=1 with an axis: input 1 aligns with input 0 at that axis.
    BinaryKernel(BinOp op, unsigned types, std::optional<int64_t> legacy_axis, bool legacy_prelu)
        : op_(op), types_(types), legacy_axis_(legacy_axis), legacy_prelu_(legacy_prelu) {}

    Status prepare(PrepareContext& ctx) const override;
    Status run(RunContext& ctx) const override;

  private:
    std::vector<int64_t> second_dims(const PrepareContext& ctx) const;
    template <typename T>
    Status run_typed(RunContext& ctx, const BinaryState& st) const;
    template <typename T, typename Op>
    void fold(RunContext& ctx, const BinaryState& st, const Op& op) const;
    template <typename T>
    Status run_pow(RunContext& ctx, const BinaryState& st) const;

    BinOp op_;
    unsigned types_;
    std::optional<int64_t> legacy_axis_;
    bool legacy_prelu_;
};

// Dims of input 1 as it broadcasts against input 0 (legacy axis alignment, old PRelu slopes).
std::vector<int64_t> BinaryKernel::second_dims(const PrepareContext& ctx) const {
    const std::vector<int64_t>& a = ctx.input(0).dims;
    std::vector<int64_t> b = ctx.input(1).dims;
    int64_t axis = legacy_axis_.value_or(0);
    if (legacy_axis_ && normalize_axis(axis, static_cast<int64_t>(a.size())) &&
        axis + static_cast<int64_t>(b.size()) <= static_cast<int64_t>(a.size())) {
        std::vector<int64_t> aligned(a.size() - static_cast<size_t>(axis), 1);
        std::copy(b.begin(), b.end(), aligned.begin());
        return aligned;
    }
    // PRelu before opset 7: a 1-D slope of C values applies per channel (axis 1).
    if (legacy_prelu_ && b.size() == 1 && a.size() >= 2 && b[0] == a[1] && b[0] != 1) {
        std::vector<int64_t> aligned(a.size() - 1, 1);
        aligned[0] = b[0];
        return aligned;
    }
    return b;
}

Status BinaryKernel::prepare(PrepareContext& ctx) const {
    const size_t n = ctx.num_inputs();
    if (n == 0 || !ctx.has_input(0)) return ctx.invalid("missing input 0");
    if (!is_variadic(op_) && (n != 2 || !ctx.has_input(1))) return ctx.invalid("expected 2 inputs");
    const DataType t = ctx.input(0).dtype;
    if (!dtype_in(t, types_))
        return ctx.unsupported_here("input type " + std::string(dtype_name(t)) + " is not supported");
    std::vector<std::vector<int64_t>> dims;
    for (size_t i = 0; i < n; ++i) {
        if (!ctx.has_input(i)) return ctx.invalid("input " + std::to_string(i) + " is missing");
        const DataType ti = ctx.input(i).dtype;
        if (op_ == BinOp::kPow) {
            if (i == 1 && !dtype_in(ti, kNumeric))
                return ctx.unsupported_here("exponent type " + std::string(dtype_name(ti)) + " is not supported");
        } else if (ti != t) {
            return ctx.invalid("input " + std::to_string(i) + " has type " + std::string(dtype_name(ti)) +
                               ", expected " + std::string(dtype_name(t)) + " like input 0");
        }
        dims.push_back(i == 1 ? second_dims(ctx) : ctx.input(i).dims);
    }
    std::vector<int64_t> out = dims[0];
    for (size_t i = 1; i < n; ++i) {
        std::vector<int64_t> next;
        if (!broadcast_shapes(out, dims[i], next))
            return ctx.invalid("cannot broadcast shapes " + shape_to_string(out) + " and " +
                               shape_to_string(ctx.input(i).dims));
        out = std::move(next);
    }
    if (op_ == BinOp::kPRelu && out != dims[0])
        return ctx.invalid("slope shape " + shape_to_string(ctx.input(1).dims) + " does not broadcast to input shape " +
                           shape_to_string(dims[0]));

    auto state = std::make_unique<BinaryState>();
    state->plans.resize(n == 1 ? 1 : n - 1);
    bool ok = true;
    if (n == 1) {
        ok = make_plan({&dims[0], &dims[0]}, out, state->plans[0]);
    } else {
        ok = make_plan({&dims[0], &dims[1]}, out, state->plans[0]);
        for (size_t i = 2; i < n && ok; ++i) ok = make_plan({&out, &dims[i]}, out, state->plans[i - 1]);
    }
    if (!ok) return ctx.unsupported_here("more than " + std::to_string(kMaxDims) + " broadcast dimensions");
    state->scalar_exponent = op_ == BinOp::kPow && shape_numel(dims[1]) == 1;
    ctx.set_state(std::move(state));
    ctx.set_output(0, is_compare(op_) ? DataType::kBool : t, out);
    return Status::ok();
}

// Sum/Min/Max/Mean: out = op(in0, in1), then out = op(out, in_k); one input is copied.
template <typename T, typename Op>
void BinaryKernel::fold(RunContext& ctx, const BinaryState& st, const Op& op) const {
    T* out = ctx.out(0).data_as<T>();
    const size_t n = ctx.inputs.size();
    if (n == 1) {
        const T* a = ctx.in(0).data_as<T>();
        binary_loop(st.plans[0], a, a, out, FirstF{});
        return;
    }
    binary_loop(st.plans[0], ctx.in(0).data_as<T>(), ctx.in(1).data_as<T>(), out, op);
    for (size_t i = 2; i < n; ++i)
        binary_loop(st.plans[i - 1], static_cast<const T*>(out), ctx.in(i).data_as<T>(), out, op);
}

template <typename T>
Status BinaryKernel::run_pow(RunContext& ctx, const BinaryState& st) const {
    const T* a = ctx.in(0).data_as<T>();
    T* out = ctx.out(0).data_as<T>();
    const Tensor& e = ctx.in(1);
    if constexpr (std::is_same_v<T, float>) {
        // x^2, x^0.5, x^1 with a constant exponent are common in exported models.
        if (st.scalar_exponent && e.dtype() == DataType::kFloat32) {
            const float v = e.data_as<float>()[0];
            const float* b = e.data_as<float>();
            if (v == 2.0f) {
                binary_loop(st.plans[0], a, b, out, [](float x, float) { return x * x; });
                return Status::ok();
            }
            if (v == 0.5f) {
                binary_loop(st.plans[0], a, b, out, [](float x, float) { return std::sqrt(x); });
                return Status::ok();
            }
            if (v == 1.0f) {
                binary_loop(st.plans[0], a, b, out, FirstF{});
                return Status::ok();
            }
        }
    }
    bool ok = dispatch_types<kNumeric>(e.dtype(), [&](auto tag) {
        using TB = decltype(tag);
        binary_loop(st.plans[0], a, e.data_as<TB>(), out, PowF{});
    });
    if (!ok) return ctx.error(StatusCode::kUnsupported, "exponent type is not supported");
    return Status::ok();
}

template <typename T>
Status BinaryKernel::run_typed(RunContext& ctx, const BinaryState& st) const {
    using C = compute_t<T>;
    const BroadcastPlan& p = st.plans[0];
    const T* a = ctx.in(0).data_as<T>();
    const T* b = ctx.in(1 < ctx.inputs.size() ? 1 : 0).data_as<T>();
    if constexpr (std::is_integral_v<T>) {
        if (op_ == BinOp::kDiv || op_ == BinOp::kMod || op_ == BinOp::kFMod) {
            const int64_t nb = ctx.in(1).numel();
            for (int64_t i = 0; i < nb; ++i)
                if (b[i] == T(0)) return ctx.error(StatusCode::kOutOfRange, "integer division by zero");
        }
    }
    if (is_compare(op_)) {
        bool* o = ctx.out(0).data_as<bool>();
        switch (op_) {
            case BinOp::kEqual:
                binary_loop(p, a, b, o, EqualF{});
                break;
            case BinOp::kLess:
                binary_loop(p, a, b, o, LessF{});
                break;
            case BinOp::kLessEqual:
                binary_loop(p, a, b, o, LessEqualF{});
                break;
            case BinOp::kGreater:
                binary_loop(p, a, b, o, GreaterF{});
                break;
            default:
                binary_loop(p, a, b, o, GreaterEqualF{});
                break;
        }
        return Status::ok();
    }
    T* o = ctx.out(0).data_as<T>();
    if constexpr (std::is_same_v<T, bool>) {
        switch (op_) {
            case BinOp::kAnd:
                binary_loop(p, a, b, o, AndF{});
                break;
            case BinOp::kOr:
                binary_loop(p, a, b, o, OrF{});
                break;
            case BinOp::kXor:
                binary_loop(p, a, b, o, XorF{});
                break;
            default:
                return ctx.error(StatusCode::kUnsupported, "bool inputs are not supported");
        }
        return Status::ok();
    } else {
        switch (op_) {
            case BinOp::kAdd:
                binary_loop(p, a, b, o, AddF{});
                break;
            case BinOp::kSub:
                binary_loop(p, a, b, o, SubF{});
                break;
            case BinOp::kMul:
                binary_loop(p, a, b, o, MulF{});
                break;
            case BinOp::kDiv:
                binary_loop(p, a, b, o, DivF{});
                break;
            case BinOp::kMod:
                binary_loop(p, a, b, o, ModF<false>{});
                break;
            case BinOp::kFMod:
                binary_loop(p, a, b, o, ModF<true>{});
                break;
            case BinOp::kPRelu:
                binary_loop(p, a, b, o, PReluF{});
                break;
            case BinOp::kPow:
                return run_pow<T>(ctx, st);
            case BinOp::kMin:
                fold<T>(ctx, st, MinF{});
                break;
            case BinOp::kMax:
                fold<T>(ctx, st, MaxF{});
                break;
            case BinOp::kSum:
                fold<T>(ctx, st, AddF{});
                break;
            case BinOp::kMean:
                fold<T>(ctx, st, AddF{});
                if (ctx.inputs.size() > 1) {
                    const C scale = C(1) / C(static_cast<double>(ctx.inputs.size()));
                    const int64_t count = ctx.out(0).numel();
                    parallel_for(count, [&](int64_t begin, int64_t end) {
                        for (int64_t i = begin; i < end; ++i) {
                            if constexpr (std::is_integral_v<C>)
                                o[i] = static_cast<T>(o[i] / static_cast<C>(ctx.inputs.size()));
                            else
                                o[i] = store<T>(load(o[i]) * scale);
                        }
                    });
                }
                break;
            case BinOp::kBitAnd:
            case BinOp::kBitOr:
            case BinOp::kBitXor:
                if constexpr (std::is_integral_v<T>) {
                    if (op_ == BinOp::kBitAnd)
                        binary_loop(p, a, b, o, BitF<0>{});
                    else if (op_ == BinOp::kBitOr)
                        binary_loop(p, a, b, o, BitF<1>{});
                    else
                        binary_loop(p, a, b, o, BitF<2>{});
                    break;
                }
                return ctx.error(StatusCode::kUnsupported, "input type is not supported");
            case BinOp::kShiftLeft:
            case BinOp::kShiftRight:
                if constexpr (std::is_unsigned_v<T>) {
                    if (op_ == BinOp::kShiftLeft)
                        binary_loop(p, a, b, o, ShiftF<true>{});
                    else
                        binary_loop(p, a, b, o, ShiftF<false>{});
                    break;
                }
                [[fallthrough]];
            default:
                return ctx.error(StatusCode::kUnsupported, "input type is not supported");
        }
        return Status::ok();
    }
}

Status BinaryKernel::run(RunContext& ctx) const {
    if (ctx.out(0).numel() == 0) return Status::ok();
    const BinaryState& st = ctx.state_as<BinaryState>();
    Status status = Status::ok();
    dispatch_types<kAll>(ctx.in(0).dtype(), [&](auto tag) { status = run_typed<decltype(tag)>(ctx, st); });
    return status;
}

// ---- Where ---------------------------------------------------------------------------------

struct WhereState final : KernelState {
    BroadcastPlan plan;
};

class WhereKernel final : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        if (ctx.num_inputs() != 3 || !ctx.has_input(0) || !ctx.has_input(1) || !ctx.has_input(2))
            return ctx.invalid("expected 3 inputs");
        if (ctx.input(0).dtype != DataType::kBool)
            return ctx.invalid("condition has type " + std::string(dtype_name(ctx.input(0).dtype)) + ", expected bool");
        const DataType t = ctx.input(1).dtype;
        if (ctx.input(2).dtype != t)
            return ctx.invalid("inputs 1 and 2 have different types " + std::string(dtype_name(t)) + " and " +
                               std::string(dtype_name(ctx.input(2).dtype)));
        const size_t size = dtype_size(t);
        if (size != 1 && size != 2 && size != 4 && size != 8)
            return ctx.unsupported_here("type " + std::string(dtype_name(t)) + " is not supported");
        std::vector<int64_t> out, out2;
        if (!broadcast_shapes(ctx.input(0).dims, ctx.input(1).dims, out) ||
            !broadcast_shapes(out, ctx.input(2).dims, out2))
            return ctx.invalid("cannot broadcast shapes " + shape_to_string(ctx.input(0).dims) + ", " +
                               shape_to_string(ctx.input(1).dims) + " and " + shape_to_string(ctx.input(2).dims));
        auto state = std::make_unique<WhereState>();
        if (!make_plan({&ctx.input(0).dims, &ctx.input(1).dims, &ctx.input(2).dims}, out2, state->plan))
            return ctx.unsupported_here("more than " + std::to_string(kMaxDims) + " broadcast dimensions");
        ctx.set_state(std::move(state));
        ctx.set_output(0, t, out2);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const BroadcastPlan& p = ctx.state_as<WhereState>().plan;
        switch (dtype_size(ctx.out(0).dtype())) {
            case 1:
                select<uint8_t>(ctx, p);
                break;
            case 2:
                select<uint16_t>(ctx, p);
                break;
            case 4:
                select<uint32_t>(ctx, p);
                break;
            default:
                select<uint64_t>(ctx, p);
                break;
        }
        return Status::ok();
    }

  private:
    template <typename T>
    static void select(RunContext& ctx, const BroadcastPlan& p) {
        const bool* c = ctx.in(0).data_as<bool>();
        const T* x = static_cast<const T*>(ctx.in(1).data());
        const T* y = static_cast<const T*>(ctx.in(2).data());
        T* o = static_cast<T*>(ctx.out(0).data());
        for_each_run(p, [&](const std::array<int64_t, kMaxInputs>& off, int64_t out_off, int64_t count) {
            const bool* pc = c + off[0];
            const T* px = x + off[1];
            const T* py = y + off[2];
            T* po = o + out_off;
            const int64_t sc = p.inner_stride[0], sx = p.inner_stride[1], sy = p.inner_stride[2];
            if (sc == 1 && sx == 1 && sy == 1) {
                for (int64_t i = 0; i < count; ++i) po[i] = pc[i] ? px[i] : py[i];
            } else {
                for (int64_t i = 0; i < count; ++i) po[i] = pc[i * sc] ? px[i * sx] : py[i * sy];
            }
        });
    }
};

// ---- registration --------------------------------------------------------------------------

void add_binary(KernelRegistry& registry, const char* op_type, BinOp op, unsigned types, int64_t since,
                int64_t end = kLatest) {
    KernelDef d;
    d.op_type = op_type;
    d.since_version = since;
    d.end_version = end;
    d.dtypes = dtypes_of(types);
    d.factory = [op, types](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        BinOp actual = op;
        if (op == BinOp::kMod && ctx.node.attr_int("fmod", 0) != 0) actual = BinOp::kFMod;
        if (op == BinOp::kShiftLeft) {
            std::string dir = ctx.node.attr_string("direction", "");
            if (dir == "RIGHT")
                actual = BinOp::kShiftRight;
            else if (dir != "LEFT")
                return ctx.invalid("attribute direction must be LEFT or RIGHT, got '" + dir + "'");
        }
        // Before opset 7, broadcast=1 with `axis` aligns input 1 inside input 0 at that axis; without
        // `axis` it aligns trailing dims, which numpy broadcasting also does.
        std::optional<int64_t> legacy_axis;
        if (ctx.opset < 7 && ctx.node.attr_int("broadcast", 0) != 0 && ctx.node.find_attribute("axis"))
            legacy_axis = ctx.node.attr_int("axis", 0);
        bool legacy_prelu = op == BinOp::kPRelu && ctx.opset < 7;
        return std::unique_ptr<Kernel>(new BinaryKernel(actual, types, legacy_axis, legacy_prelu));
    };
    registry.add(std::move(d));
}

}  // namespace

void register_binary_kernels(KernelRegistry& registry) {
    const unsigned arith = kNumeric;
    add_binary(registry, "Add", BinOp::kAdd, arith, 1);
    add_binary(registry, "Sub", BinOp::kSub, arith, 1);
    add_binary(registry, "Mul", BinOp::kMul, arith, 1);
    add_binary(registry, "Div", BinOp::kDiv, arith, 1);
    add_binary(registry, "Mod", BinOp::kMod, arith, 10);
    add_binary(registry, "Pow", BinOp::kPow, kFloats | kI32 | kI64, 1);
    add_binary(registry, "Min", BinOp::kMin, arith, 1);
    add_binary(registry, "Max", BinOp::kMax, arith, 1);
    add_binary(registry, "Sum", BinOp::kSum, arith, 1);
    add_binary(registry, "Mean", BinOp::kMean, arith, 1);
    add_binary(registry, "Equal", BinOp::kEqual, kAll, 1);
    add_binary(registry, "Less", BinOp::kLess, arith, 1);
    add_binary(registry, "LessOrEqual", BinOp::kLessEqual, arith, 12);
    add_binary(registry, "Greater", BinOp::kGreater, arith, 1);
    add_binary(registry, "GreaterOrEqual", BinOp::kGreaterEqual, arith, 12);
    add_binary(registry, "And", BinOp::kAnd, kBool, 1);
    add_binary(registry, "Or", BinOp::kOr, kBool, 1);
    add_binary(registry, "Xor", BinOp::kXor, kBool, 1);
    add_binary(registry, "PRelu", BinOp::kPRelu, kFloats | kI32 | kI64 | kU32 | kU64, 1);
    add_binary(registry, "BitShift", BinOp::kShiftLeft, kUnsigned, 11);
    add_binary(registry, "BitwiseAnd", BinOp::kBitAnd, kInts, 18);
    add_binary(registry, "BitwiseOr", BinOp::kBitOr, kInts, 18);
    add_binary(registry, "BitwiseXor", BinOp::kBitXor, kInts, 18);
    registry.add(simple_def<WhereKernel>("Where", 9, kLatest));
}

}  // namespace edgeinfer::kernels::cpu

// Kernels: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare, ArgMax, ArgMin.
//
// Shapes are canonicalized in prepare: size-1 dims are dropped and neighbouring dims that are all
// kept or all reduced are merged. Most reductions then have the form [K1, R, K2] (reduce the
// middle): K2 == 1 walks contiguous rows, K2 > 1 accumulates blocks of K2 lanes (vectorizable).
// Anything else (e.g. axes {0, 2} of a 4-d tensor) takes a general strided path.
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

constexpr size_t kMaxRank = 16;
constexpr int64_t kLanes = 64;  // K2 lanes accumulated together on the strided path

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

const std::vector<DataType>& reduce_types() {
    static const std::vector<DataType> v{DataType::kFloat32, DataType::kFloat64, DataType::kInt32,
                                         DataType::kInt64,   DataType::kInt8,    DataType::kUInt8};
    return v;
}

template <typename F>
bool dispatch_reduce(DataType t, F&& fn) {
    switch (t) {
        case DataType::kFloat32:
            fn(float{});
            return true;
        case DataType::kFloat64:
            fn(double{});
            return true;
        case DataType::kInt32:
            fn(int32_t{});
            return true;
        case DataType::kInt64:
            fn(int64_t{});
            return true;
        case DataType::kInt8:
            fn(int8_t{});
            return true;
        case DataType::kUInt8:
            fn(uint8_t{});
            return true;
        case DataType::kBool:  // registered for ReduceMax/ReduceMin from opset 20 only (any / all)
            fn(bool{});
            return true;
        default:
            return false;
    }
}

// Accumulation per op: floats accumulate in double, integers in int64 (max/min keep T).
template <typename T, ReduceOp Op>
struct Reducer {
    static constexpr bool kFloat = std::is_floating_point_v<T>;
    using A = std::conditional_t<kFloat, double, int64_t>;

    static A init() {
        if constexpr (Op == ReduceOp::kProd) return A(1);
        if constexpr (Op == ReduceOp::kMax || Op == ReduceOp::kLogSumExp)
            return kFloat ? -std::numeric_limits<A>::infinity() : A(std::numeric_limits<T>::lowest());
        if constexpr (Op == ReduceOp::kMin)
            return kFloat ? std::numeric_limits<A>::infinity() : A(std::numeric_limits<T>::max());
        return A(0);
    }
    static A step(A a, T x) {
        A v = static_cast<A>(x);
        if constexpr (Op == ReduceOp::kProd) return a * v;
        if constexpr (Op == ReduceOp::kMax || Op == ReduceOp::kLogSumExp) return v > a ? v : a;
        if constexpr (Op == ReduceOp::kMin) return v < a ? v : a;
        if constexpr (Op == ReduceOp::kL1) return a + (v < 0 ? -v : v);
        if constexpr (Op == ReduceOp::kL2 || Op == ReduceOp::kSumSquare) return a + v * v;
        return a + v;
    }
    // Second pass of LogSumExp: sum of exp(x - max).
    static A step_exp(A a, T x, A m) {
        return a + static_cast<A>(std::exp(static_cast<double>(x) - static_cast<double>(m)));
    }
    static T finish(A a, int64_t count, A m) {
        if constexpr (Op == ReduceOp::kMean) {
            if constexpr (kFloat) return static_cast<T>(a / static_cast<double>(count));
            return count ? static_cast<T>(a / count) : T(0);
        }
        if constexpr (Op == ReduceOp::kL2) return static_cast<T>(std::sqrt(static_cast<double>(a)));
        if constexpr (Op == ReduceOp::kLogSum) return static_cast<T>(std::log(static_cast<double>(a)));
        if constexpr (Op == ReduceOp::kLogSumExp) {
            double md = static_cast<double>(m);
            if constexpr (kFloat) {
                if (count == 0) return -std::numeric_limits<T>::infinity();
                if (std::isinf(md)) return static_cast<T>(md);
            } else {
                if (count == 0) return std::numeric_limits<T>::lowest();
            }
            return static_cast<T>(std::log(static_cast<double>(a)) + md);
        }
        return static_cast<T>(a);
    }
};

// Reduction geometry fixed per shape.
struct ReduceState : KernelState {
    bool identity = false;  // noop_with_empty_axes with no axes: out = in
    bool simple = true;     // [K1, R, K2]
    int64_t k1 = 1, r = 1, k2 = 1;
    // General path: kept and reduced dims (merged) with input strides.
    std::vector<int64_t> kept_dims, kept_strides, red_dims, red_strides;
};

struct Block {
    int64_t size;
    bool reduced;
};

// Merges dims into alternating kept/reduced blocks, dropping size-1 dims.
std::vector<Block> merge_blocks(const std::vector<int64_t>& dims, const std::vector<bool>& reduced) {
    std::vector<Block> blocks;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] == 1) continue;
        if (!blocks.empty() && blocks.back().reduced == reduced[i])
            blocks.back().size *= dims[i];
        else
            blocks.push_back({dims[i], static_cast<bool>(reduced[i])});
    }
    return blocks;
}

std::unique_ptr<ReduceState> plan_reduction(const std::vector<int64_t>& dims, const std::vector<bool>& reduced) {
    auto st = std::make_unique<ReduceState>();
    std::vector<Block> b = merge_blocks(dims, reduced);
    // Fit [K1?, R?, K2?].
    size_t i = 0;
    if (i < b.size() && !b[i].reduced) st->k1 = b[i++].size;
    if (i < b.size() && b[i].reduced) st->r = b[i++].size;
    if (i < b.size() && !b[i].reduced) st->k2 = b[i++].size;
    if (i == b.size()) return st;
    st->simple = false;
    int64_t stride = 1;
    std::vector<std::pair<int64_t, int64_t>> kept, red;  // (dim, stride), innermost first
    for (size_t j = b.size(); j-- > 0;) {
        (b[j].reduced ? red : kept).push_back({b[j].size, stride});
        stride *= b[j].size;
    }
    for (size_t j = kept.size(); j-- > 0;) {
        st->kept_dims.push_back(kept[j].first);
        st->kept_strides.push_back(kept[j].second);
    }
    for (size_t j = red.size(); j-- > 0;) {
        st->red_dims.push_back(red[j].first);
        st->red_strides.push_back(red[j].second);
    }
    return st;
}

template <typename T, ReduceOp Op>
void reduce_simple(const ReduceState& st, const T* in, T* out) {
    using R = Reducer<T, Op>;
    using A = typename R::A;
    const int64_t k1 = st.k1, n = st.r, k2 = st.k2;
    if (k2 == 1) {
        parallel_for(
            k1,
            [&](int64_t b, int64_t e) {
                for (int64_t o = b; o < e; ++o) {
                    const T* p = in + o * n;
                    A m{};
                    if constexpr (Op == ReduceOp::kLogSumExp) {
                        m = R::init();
                        for (int64_t i = 0; i < n; ++i) m = R::step(m, p[i]);
                        A a = 0;
                        for (int64_t i = 0; i < n; ++i) a = R::step_exp(a, p[i], m);
                        out[o] = R::finish(a, n, m);
                    } else {
                        // Four independent accumulators let the compiler overlap the adds.
                        A a0 = R::init(), a1 = R::init(), a2 = R::init(), a3 = R::init();
                        int64_t i = 0;
                        for (; i + 4 <= n; i += 4) {
                            a0 = R::step(a0, p[i]);
                            a1 = R::step(a1, p[i + 1]);
                            a2 = R::step(a2, p[i + 2]);
                            a3 = R::step(a3, p[i + 3]);
                        }
                        for (; i < n; ++i) a0 = R::step(a0, p[i]);
                        A a;
                        if constexpr (Op == ReduceOp::kProd)
                            a = a0 * a1 * a2 * a3;
                        else if constexpr (Op == ReduceOp::kMax)
                            a = std::max(std::max(a0, a1), std::max(a2, a3));
                        else if constexpr (Op == ReduceOp::kMin)
                            a = std::min(std::min(a0, a1), std::min(a2, a3));
                        else
                            a = (a0 + a1) + (a2 + a3);
                        out[o] = R::finish(a, n, m);
                    }
                }
            },
            std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)));
        return;
    }
    const int64_t lane_blocks = (k2 + kLanes - 1) / kLanes;
    parallel_for(
        k1 * lane_blocks,
        [&](int64_t b, int64_t e) {
            A acc[kLanes];
            A mx[kLanes];
            for (int64_t w = b; w < e; ++w) {
                int64_t o = w / lane_blocks;
                int64_t j0 = (w % lane_blocks) * kLanes;
                int64_t jn = std::min(kLanes, k2 - j0);
                const T* base = in + o * n * k2 + j0;
                for (int64_t j = 0; j < jn; ++j) acc[j] = R::init();
                for (int64_t i = 0; i < n; ++i) {
                    const T* row = base + i * k2;
                    for (int64_t j = 0; j < jn; ++j) acc[j] = R::step(acc[j], row[j]);
                }
                if constexpr (Op == ReduceOp::kLogSumExp) {
                    for (int64_t j = 0; j < jn; ++j) {
                        mx[j] = acc[j];
                        acc[j] = 0;
                    }
                    for (int64_t i = 0; i < n; ++i) {
                        const T* row = base + i * k2;
                        for (int64_t j = 0; j < jn; ++j) acc[j] = R::step_exp(acc[j], row[j], mx[j]);
                    }
                } else {
                    for (int64_t j = 0; j < jn; ++j) mx[j] = A{};
                }
                T* dst = out + o * k2 + j0;
                for (int64_t j = 0; j < jn; ++j) dst[j] = R::finish(acc[j], n, mx[j]);
            }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(n * kLanes, 1)));
}

// Visits the offsets of every reduced element below `base` (innermost reduced dim in a tight loop).
template <typename F>
void for_each_reduced(const ReduceState& st, int64_t base, F&& fn) {
    size_t nr = st.red_dims.size();
    std::array<int64_t, kMaxRank> c{};
    int64_t inner = st.red_dims[nr - 1], inner_stride = st.red_strides[nr - 1];
    int64_t off = base;
    while (true) {
        for (int64_t i = 0; i < inner; ++i) fn(off + i * inner_stride);
        size_t k = nr - 1;
        while (k-- > 0) {
            off += st.red_strides[k];
            if (++c[k] < st.red_dims[k]) break;
            off -= c[k] * st.red_strides[k];
            c[k] = 0;
        }
        if (k == static_cast<size_t>(-1)) return;
    }
}

template <typename T, ReduceOp Op>
void reduce_general(const ReduceState& st, const T* in, T* out, int64_t out_numel) {
    using R = Reducer<T, Op>;
    using A = typename R::A;
    int64_t count = shape_numel(st.red_dims);
    parallel_for(
        out_numel,
        [&](int64_t b, int64_t e) {
            for (int64_t o = b; o < e; ++o) {
                int64_t base = 0, rem = o;
                for (size_t k = st.kept_dims.size(); k-- > 0;) {
                    base += (rem % st.kept_dims[k]) * st.kept_strides[k];
                    rem /= st.kept_dims[k];
                }
                A a = R::init();
                A m{};
                if (count == 0) {
                    out[o] = R::finish(a, count, m);
                    continue;
                }
                for_each_reduced(st, base, [&](int64_t off) { a = R::step(a, in[off]); });
                if constexpr (Op == ReduceOp::kLogSumExp) {
                    m = a;
                    a = 0;
                    for_each_reduced(st, base, [&](int64_t off) { a = R::step_exp(a, in[off], m); });
                }
                out[o] = R::finish(a, count, m);
            }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(count, 1)));
}

template <typename T, ReduceOp Op>
void run_reduce(const ReduceState& st, const T* in, T* out, int64_t out_numel) {
    if (st.simple)
        reduce_simple<T, Op>(st, in, out);
    else
        reduce_general<T, Op>(st, in, out, out_numel);
}

template <typename T>
void run_reduce_op(ReduceOp op, const ReduceState& st, const T* in, T* out, int64_t n) {
    switch (op) {
        case ReduceOp::kSum:
            run_reduce<T, ReduceOp::kSum>(st, in, out, n);
            break;
        case ReduceOp::kMean:
            run_reduce<T, ReduceOp::kMean>(st, in, out, n);
            break;
        case ReduceOp::kMax:
            run_reduce<T, ReduceOp::kMax>(st, in, out, n);
            break;
        case ReduceOp::kMin:
            run_reduce<T, ReduceOp::kMin>(st, in, out, n);
            break;
        case ReduceOp::kProd:
            run_reduce<T, ReduceOp::kProd>(st, in, out, n);
            break;
        case ReduceOp::kL1:
            run_reduce<T, ReduceOp::kL1>(st, in, out, n);
            break;
        case ReduceOp::kL2:
            run_reduce<T, ReduceOp::kL2>(st, in, out, n);
            break;
        case ReduceOp::kLogSum:
            run_reduce<T, ReduceOp::kLogSum>(st, in, out, n);
            break;
        case ReduceOp::kLogSumExp:
            run_reduce<T, ReduceOp::kLogSumExp>(st, in, out, n);
            break;
        case ReduceOp::kSumSquare:
            run_reduce<T, ReduceOp::kSumSquare>(st, in, out, n);
            break;
    }
}

class ReduceKernel : public Kernel {
  public:
    ReduceKernel(ReduceOp op, bool axes_input, std::vector<int64_t> axes, bool keepdims, bool noop_empty)
        : op_(op), axes_input_(axes_input), axes_(std::move(axes)), keepdims_(keepdims), noop_empty_(noop_empty) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        int64_t rank = static_cast<int64_t>(x.dims.size());
        if (rank > static_cast<int64_t>(kMaxRank)) return ctx.unsupported_here("rank above 16");
        std::vector<int64_t> axes = axes_;
        if (axes_input_ && ctx.has_input(1)) {
            const TensorDesc& a = ctx.input(1);
            if (a.dtype != DataType::kInt64 && a.dtype != DataType::kInt32) return ctx.invalid("axes must be int64");
            if (a.dims.size() > 1) return ctx.invalid("axes must be 1-d");
            const Tensor* v = ctx.value(1);
            if (!v) return ctx.defer();
            if (v->numel() > 0) read_int_values(*v, axes);
        }
        std::vector<bool> reduced(static_cast<size_t>(rank), false);
        for (int64_t a : axes) {
            int64_t ax = a;
            if (!normalize_axis(ax, rank))
                return ctx.invalid("axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
            if (reduced[ax]) return ctx.invalid("axis " + std::to_string(a) + " is repeated");
            reduced[ax] = true;
        }
        if (axes.empty()) {
            // noop_with_empty_axes reduces every element on its own: L1, L2, LogSum and SumSquare still apply
            // their function (|x|, |x|, log x, x^2), as ONNX's reference and ONNX Runtime do; the rest copy.
            if (noop_empty_ && (op_ == ReduceOp::kL1 || op_ == ReduceOp::kL2 || op_ == ReduceOp::kLogSum ||
                                op_ == ReduceOp::kSumSquare)) {
                ctx.set_output(0, x.dtype, x.dims);
                ctx.set_state(plan_reduction(x.dims, reduced));
                return Status::ok();
            }
            if (noop_empty_) {
                auto st = std::make_unique<ReduceState>();
                st->identity = true;
                ctx.set_output(0, x.dtype, x.dims);
                ctx.set_state(std::move(st));
                return Status::ok();
            }
            reduced.assign(static_cast<size_t>(rank), true);
        }
        std::vector<int64_t> out;
        for (int64_t i = 0; i < rank; ++i) {
            if (!reduced[i])
                out.push_back(x.dims[i]);
            else if (keepdims_)
                out.push_back(1);
        }
        ctx.set_output(0, x.dtype, std::move(out));
        ctx.set_state(plan_reduction(x.dims, reduced));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const ReduceState& st = ctx.state_as<ReduceState>();
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        if (st.identity) {
            std::memcpy(y.data(), x.data(), x.nbytes());
            return Status::ok();
        }
        dispatch_reduce(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            run_reduce_op<T>(op_, st, x.data_as<T>(), y.data_as<T>(), y.numel());
        });
        return Status::ok();
    }

  private:
    ReduceOp op_;
    bool axes_input_;
    std::vector<int64_t> axes_;
    bool keepdims_;
    bool noop_empty_;
};

// ---------------------------------------------------------------------------------------------
// ArgMax / ArgMin along one axis; ties pick the first index unless select_last_index.
struct ArgState : KernelState {
    int64_t k1 = 1, r = 1, k2 = 1;
};

template <typename T, bool kMax>
void run_arg(const ArgState& st, bool last, const T* in, int64_t* out) {
    const int64_t n = st.r, k2 = st.k2;
    auto better = [last](T v, T best) {
        if constexpr (kMax)
            return last ? v >= best : v > best;
        else
            return last ? v <= best : v < best;
    };
    const int64_t lane_blocks = (k2 + kLanes - 1) / kLanes;
    parallel_for(
        st.k1 * lane_blocks,
        [&](int64_t b, int64_t e) {
            T best[kLanes];
            int64_t idx[kLanes];
            for (int64_t w = b; w < e; ++w) {
                int64_t o = w / lane_blocks;
                int64_t j0 = (w % lane_blocks) * kLanes;
                int64_t jn = std::min(kLanes, k2 - j0);
                const T* base = in + o * n * k2 + j0;
                for (int64_t j = 0; j < jn; ++j) {
                    best[j] = base[j];
                    idx[j] = 0;
                }
                for (int64_t i = 1; i < n; ++i) {
                    const T* row = base + i * k2;
                    for (int64_t j = 0; j < jn; ++j)
                        if (better(row[j], best[j])) {
                            best[j] = row[j];
                            idx[j] = i;
                        }
                }
                std::memcpy(out + o * k2 + j0, idx, static_cast<size_t>(jn) * sizeof(int64_t));
            }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(n * std::min(k2, kLanes), 1)));
}

class ArgKernel : public Kernel {
  public:
    ArgKernel(bool is_max, int64_t axis, bool keepdims, bool last)
        : is_max_(is_max), axis_(axis), keepdims_(keepdims), last_(last) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        int64_t rank = static_cast<int64_t>(x.dims.size());
        int64_t axis = axis_;
        if (!normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        if (x.dims[axis] == 0) return ctx.invalid("cannot take the arg of an empty axis");
        std::vector<int64_t> out;
        for (int64_t i = 0; i < rank; ++i) {
            if (i != axis)
                out.push_back(x.dims[i]);
            else if (keepdims_)
                out.push_back(1);
        }
        auto st = std::make_unique<ArgState>();
        for (int64_t i = 0; i < axis; ++i) st->k1 *= x.dims[i];
        st->r = x.dims[axis];
        for (int64_t i = axis + 1; i < rank; ++i) st->k2 *= x.dims[i];
        ctx.set_output(0, DataType::kInt64, std::move(out));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const ArgState& st = ctx.state_as<ArgState>();
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (y.numel() == 0) return Status::ok();
        dispatch_reduce(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            if (is_max_)
                run_arg<T, true>(st, last_, x.data_as<T>(), y.data_as<int64_t>());
            else
                run_arg<T, false>(st, last_, x.data_as<T>(), y.data_as<int64_t>());
        });
        return Status::ok();
    }

  private:
    bool is_max_;
    int64_t axis_;
    bool keepdims_;
    bool last_;
};

// ---------------------------------------------------------------------------------------------
KernelDef reduce_def(const std::string& op, ReduceOp rop, int64_t since, int64_t end, bool axes_input,
                     bool with_bool = false) {
    KernelDef d;
    d.op_type = op;
    d.since_version = since;
    d.end_version = end;
    d.dtypes = reduce_types();
    if (with_bool) d.dtypes.push_back(DataType::kBool);
    d.factory = [rop, axes_input](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        std::vector<int64_t> axes = axes_input ? std::vector<int64_t>{} : ctx.node.attr_ints("axes");
        bool keepdims = ctx.node.attr_int("keepdims", 1) != 0;
        bool noop = axes_input && ctx.node.attr_int("noop_with_empty_axes", 0) != 0;
        return std::unique_ptr<Kernel>(new ReduceKernel(rop, axes_input, std::move(axes), keepdims, noop));
    };
    return d;
}

KernelDef arg_def(const std::string& op, bool is_max) {
    KernelDef d;
    d.op_type = op;
    d.since_version = 1;
    d.dtypes = reduce_types();
    d.factory = [is_max](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new ArgKernel(is_max, ctx.node.attr_int("axis", 0),
                                                     ctx.node.attr_int("keepdims", 1) != 0,
                                                     ctx.node.attr_int("select_last_index", 0) != 0));
    };
    return d;
}

}  // namespace

void register_reduce_kernels(KernelRegistry& registry) {
    // ReduceSum takes axes as an input from opset 13; the others from opset 18.
    registry.add(reduce_def("ReduceSum", ReduceOp::kSum, 1, 12, false));
    registry.add(reduce_def("ReduceSum", ReduceOp::kSum, 13, 1 << 30, true));
    const std::pair<const char*, ReduceOp> ops[] = {
        {"ReduceMean", ReduceOp::kMean},
        {"ReduceMax", ReduceOp::kMax},
        {"ReduceMin", ReduceOp::kMin},
        {"ReduceProd", ReduceOp::kProd},
        {"ReduceL1", ReduceOp::kL1},
        {"ReduceL2", ReduceOp::kL2},
        {"ReduceLogSum", ReduceOp::kLogSum},
        {"ReduceLogSumExp", ReduceOp::kLogSumExp},
        {"ReduceSumSquare", ReduceOp::kSumSquare},
    };
    for (const auto& [name, op] : ops) {
        registry.add(reduce_def(name, op, 1, 17, false));
        if (op == ReduceOp::kMax || op == ReduceOp::kMin) {
            // Opset 20 adds bool to ReduceMax (any) and ReduceMin (all).
            registry.add(reduce_def(name, op, 18, 19, true));
            registry.add(reduce_def(name, op, 20, 1 << 30, true, true));
        } else {
            registry.add(reduce_def(name, op, 18, 1 << 30, true));
        }
    }
    registry.add(arg_def("ArgMax", true));
    registry.add(arg_def("ArgMin", false));
}

}  // namespace edgeinfer::kernels::cpu

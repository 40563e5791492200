// Kernels: TopK, CumSum, NonZero, NonMaxSuppression.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

int64_t product(const std::vector<int64_t>& d, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end && i < d.size(); ++i) p *= d[i];
    return p;
}

// Reads element 0 of a numeric tensor as double (for scalar inputs such as K or thresholds).
double scalar_value(const Tensor& t) {
    double v = 0;
    dispatch_numeric(t.dtype(), [&](auto tag) { v = static_cast<double>(t.data_as<decltype(tag)>()[0]); });
    return v;
}

// ---------------------------------------------------------------------------------------------
// TopK: the K largest (or smallest) values along `axis`, with their indices. Ties keep the lower
// index first. Output is always sorted (a valid answer for sorted=0 as well).
struct TopKState : KernelState {
    int64_t k1 = 1, r = 1, k2 = 1, k = 0;
    int threads = 1;
};

// Strict ordering "a comes before b" on values, NaN ranked above every number.
template <typename T>
inline bool greater_value(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(a)) return !std::isnan(b);
        if (std::isnan(b)) return false;
    }
    return a > b;
}

template <typename T>
void topk_row(const T* x, int64_t n, int64_t stride, int64_t k, bool largest, int64_t* work, T* vals, int64_t* idxs,
              int64_t out_stride) {
    for (int64_t i = 0; i < n; ++i) work[i] = i;
    auto before = [&](int64_t a, int64_t b) {
        T va = x[a * stride], vb = x[b * stride];
        bool ab = largest ? greater_value(va, vb) : greater_value(vb, va);
        if (ab) return true;
        bool ba = largest ? greater_value(vb, va) : greater_value(va, vb);
        return !ba && a < b;
    };
    if (k < n) std::nth_element(work, work + k, work + n, before);
    std::sort(work, work + k, before);
    for (int64_t j = 0; j < k; ++j) {
        if (vals) vals[j * out_stride] = x[work[j] * stride];
        if (idxs) idxs[j * out_stride] = work[j];
    }
}

class TopKKernel : public Kernel {
  public:
    TopKKernel(int64_t axis, int64_t k_attr, bool k_input, bool largest)
        : axis_(axis), k_attr_(k_attr), k_input_(k_input), largest_(largest) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        int64_t rank = static_cast<int64_t>(x.dims.size());
        int64_t axis = axis_;
        if (!normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        int64_t k = k_attr_;
        if (k_input_) {
            if (!ctx.has_input(1)) return ctx.invalid("input K is missing");
            const TensorDesc& kd = ctx.input(1);
            if (kd.dtype != DataType::kInt64 || shape_numel(kd.dims) != 1)
                return ctx.invalid("K must be an int64 tensor with one value");
            const Tensor* kv = ctx.value(1);
            if (!kv) return ctx.defer();
            k = kv->data_as<int64_t>()[0];
        }
        if (k < 0 || k > x.dims[axis])
            return ctx.invalid("K " + std::to_string(k) + " must be in [0, " + std::to_string(x.dims[axis]) + "]");
        auto st = std::make_unique<TopKState>();
        st->k1 = product(x.dims, 0, axis);
        st->r = x.dims[axis];
        st->k2 = product(x.dims, axis + 1, x.dims.size());
        st->k = k;
        st->threads = std::max(1, omp_get_max_threads());
        std::vector<int64_t> out = x.dims;
        out[axis] = k;
        ctx.set_output(0, x.dtype, out);
        ctx.set_output(1, DataType::kInt64, out);
        ctx.request_scratch(static_cast<size_t>(st->threads) * static_cast<size_t>(std::max<int64_t>(st->r, 1)) *
                            sizeof(int64_t));
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const TopKState& st = ctx.state_as<TopKState>();
        const Tensor& x = ctx.in(0);
        if (st.k == 0 || st.k1 * st.k2 == 0) return Status::ok();
        int64_t rows = st.k1 * st.k2;
        int nt = static_cast<int>(std::min<int64_t>({st.threads, omp_get_max_threads(), rows}));
        if (st.r * rows < 32768) nt = 1;
        int64_t* scratch = static_cast<int64_t*>(ctx.scratch);
        dispatch_numeric(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            T* vals = ctx.outputs.size() > 0 && ctx.outputs[0] ? ctx.out(0).data_as<T>() : nullptr;
            int64_t* idxs = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.out(1).data_as<int64_t>() : nullptr;
#pragma omp parallel num_threads(nt) if (nt > 1)
            {
                int tid = omp_get_thread_num();
                int count = omp_get_num_threads();
                int64_t* work = scratch + static_cast<int64_t>(tid) * st.r;
                int64_t begin = rows * tid / count, end = rows * (tid + 1) / count;
                for (int64_t row = begin; row < end; ++row) {
                    int64_t o = row / st.k2, i = row % st.k2;
                    int64_t out_off = o * st.k * st.k2 + i;
                    topk_row(in + o * st.r * st.k2 + i, st.r, st.k2, st.k, largest_, work,
                             vals ? vals + out_off : nullptr, idxs ? idxs + out_off : nullptr, st.k2);
                }
            }
        });
        return Status::ok();
    }

  private:
    int64_t axis_;
    int64_t k_attr_;
    bool k_input_;
    bool largest_;
};

// ---------------------------------------------------------------------------------------------
// CumSum along an axis given as a (scalar) input; `exclusive` and `reverse` attributes.
class CumSumKernel : public Kernel {
  public:
    CumSumKernel(bool exclusive, bool reverse) : exclusive_(exclusive), reverse_(reverse) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& a = ctx.input(1);
        if (a.dtype != DataType::kInt64 && a.dtype != DataType::kInt32)
            return ctx.invalid("axis must be int32 or int64");
        if (shape_numel(a.dims) != 1 || a.dims.size() > 1) return ctx.invalid("axis must be a scalar");
        if (x.dims.empty()) return ctx.invalid("input must have rank >= 1");
        if (const Tensor* v = ctx.value(1)) {
            std::vector<int64_t> axis;
            read_int_values(*v, axis);
            int64_t ax = axis[0];
            if (!normalize_axis(ax, static_cast<int64_t>(x.dims.size())))
                return ctx.invalid("axis " + std::to_string(axis[0]) + " is out of range for rank " +
                                   std::to_string(x.dims.size()));
        }
        ctx.set_output(0, x.dtype, x.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        const Tensor& a = ctx.in(1);
        Tensor& y = ctx.out(0);
        int64_t axis = a.dtype() == DataType::kInt64 ? a.data_as<int64_t>()[0] : a.data_as<int32_t>()[0];
        int64_t rank = x.rank();
        if (!normalize_axis(axis, rank))
            return ctx.error(StatusCode::kOutOfRange,
                             "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
        if (y.numel() == 0) return Status::ok();
        int64_t k1 = product(x.dims(), 0, axis), n = x.dims()[axis], k2 = product(x.dims(), axis + 1, x.dims().size());
        dispatch_numeric(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            T* out = y.data_as<T>();
            parallel_for(
                k1,
                [&](int64_t b, int64_t e) {
                    for (int64_t o = b; o < e; ++o) scan(in + o * n * k2, out + o * n * k2, n, k2);
                },
                std::max<int64_t>(1, 16384 / std::max<int64_t>(n * k2, 1)));
        });
        return Status::ok();
    }

  private:
    // One [n, k2] slab: rows are accumulated lane-wise, forward or backward.
    template <typename T>
    void scan(const T* in, T* out, int64_t n, int64_t k2) const {
        for (int64_t step = 0; step < n; ++step) {
            int64_t i = reverse_ ? n - 1 - step : step;
            int64_t prev = reverse_ ? i + 1 : i - 1;
            T* dst = out + i * k2;
            if (step == 0) {
                if (exclusive_)
                    for (int64_t j = 0; j < k2; ++j) dst[j] = T(0);
                else
                    for (int64_t j = 0; j < k2; ++j) dst[j] = in[i * k2 + j];
                continue;
            }
            const T* acc = out + prev * k2;
            const T* src = in + (exclusive_ ? prev : i) * k2;
            for (int64_t j = 0; j < k2; ++j) dst[j] = static_cast<T>(acc[j] + src[j]);
        }
    }

    bool exclusive_;
    bool reverse_;
};

// ---------------------------------------------------------------------------------------------
// NonZero: [rank, count] int64 coordinates of the non-zero elements, row-major order.
template <typename F>
bool dispatch_nonzero(DataType t, F&& fn) {
    if (t == DataType::kFloat16 || t == DataType::kBFloat16) {
        fn(uint16_t{}, true);
        return true;
    }
    return dispatch_numeric(t, [&](auto tag) { fn(tag, false); });
}

template <typename T>
inline bool is_nonzero(T v, bool half) {
    if constexpr (std::is_same_v<T, uint16_t>)
        if (half) return (v & 0x7fff) != 0;
    return v != T(0);
}

int64_t count_nonzero(const Tensor& t) {
    int64_t count = 0;
    int64_t n = t.numel();
    dispatch_nonzero(t.dtype(), [&](auto tag, bool half) {
        using T = decltype(tag);
        const T* p = t.data_as<T>();
        for (int64_t i = 0; i < n; ++i) count += is_nonzero(p[i], half) ? 1 : 0;
    });
    return count;
}

class NonZeroKernel : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        const Tensor* v = ctx.value(0);
        if (!v) return ctx.defer();
        int64_t rank = static_cast<int64_t>(ctx.input(0).dims.size());
        ctx.set_output(0, DataType::kInt64, {rank, count_nonzero(*v)});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        int64_t count = y.dims()[1];
        if (y.numel() == 0) return Status::ok();
        const std::vector<int64_t>& dims = x.dims();
        size_t rank = dims.size();
        int64_t* out = y.data_as<int64_t>();
        int64_t n = x.numel();
        int64_t j = 0;
        dispatch_nonzero(x.dtype(), [&](auto tag, bool half) {
            using T = decltype(tag);
            const T* p = x.data_as<T>();
            for (int64_t i = 0; i < n && j < count; ++i) {
                if (!is_nonzero(p[i], half)) continue;
                int64_t rem = i;
                for (size_t d = rank; d-- > 0;) {
                    out[static_cast<int64_t>(d) * count + j] = rem % dims[d];
                    rem /= dims[d];
                }
                ++j;
            }
        });
        return Status::ok();
    }
};

// ---------------------------------------------------------------------------------------------
// NonMaxSuppression: selection happens in prepare (which sees every value, the output size
// depending on them); run copies the [selected, 3] triples.
struct NmsState : KernelState {
    std::vector<int64_t> selected;  // flattened [count, 3]
};

struct Corners {
    float x_min, y_min, x_max, y_max;
};

Corners box_corners(const float* b, bool center) {
    if (center) {
        float hw = b[2] / 2, hh = b[3] / 2;
        return {b[0] - hw, b[1] - hh, b[0] + hw, b[1] + hh};
    }
    return {std::min(b[1], b[3]), std::min(b[0], b[2]), std::max(b[1], b[3]), std::max(b[0], b[2])};
}

// IoU(a, b) > threshold, as ONNX Runtime computes it.
bool suppresses(const Corners& a, const Corners& b, float threshold) {
    float ix_min = std::max(a.x_min, b.x_min), ix_max = std::min(a.x_max, b.x_max);
    if (ix_max <= ix_min) return false;
    float iy_min = std::max(a.y_min, b.y_min), iy_max = std::min(a.y_max, b.y_max);
    if (iy_max <= iy_min) return false;
    float inter = (ix_max - ix_min) * (iy_max - iy_min);
    float area_a = (a.x_max - a.x_min) * (a.y_max - a.y_min);
    float area_b = (b.x_max - b.x_min) * (b.y_max - b.y_min);
    float uni = area_a + area_b - inter;
    if (inter <= 0 || area_a <= 0 || area_b <= 0 || uni <= 0) return false;
    return inter / uni > threshold;
}

// Kept boxes bucketed by x: a candidate is tested only against kept boxes whose x-range can
// overlap its own (boxes that do not overlap in x have no intersection, so they never suppress).
// Cells are at least as wide as the widest candidate, so a box lands in at most two. torchvision's
// batched_nms offsets each class's boxes apart, which makes this prune almost every pair.
class XGrid {
  public:
    XGrid(const std::vector<Corners>& corners, const std::vector<int64_t>& candidates) {
        double lo = std::numeric_limits<double>::infinity(), hi = -lo, widest = 0;
        for (int64_t i : candidates) {
            const Corners& c = corners[i];
            if (!std::isfinite(c.x_min) || !std::isfinite(c.x_max)) continue;
            lo = std::min(lo, double(c.x_min));
            hi = std::max(hi, double(c.x_max));
            widest = std::max(widest, double(c.x_max) - double(c.x_min));
        }
        if (!(hi > lo)) return;  // nothing finite, or every box at one x: a single cell
        lo_ = lo;
        double cells = widest > 0 ? std::min(65536.0, std::floor((hi - lo) / widest)) : 65536.0;
        cells_ = std::max<int64_t>(1, static_cast<int64_t>(cells));
        width_ = (hi - lo) / double(cells_);
        buckets_.assign(static_cast<size_t>(cells_), {});
    }

    template <typename Test>
    bool any_overlap(const std::vector<Corners>& corners, int64_t i, Test suppressed_by) const {
        auto [first, last] = span(corners[i]);
        if (first < 0) return false;  // non-finite box: IoU with it is never above the threshold
        for (int64_t cell = first; cell <= last; ++cell)
            for (int64_t k : buckets_[static_cast<size_t>(cell)])
                if (suppressed_by(k)) return true;
        return false;
    }

    void add(const std::vector<Corners>& corners, int64_t i) {
        auto [first, last] = span(corners[i]);
        for (int64_t cell = first; cell >= 0 && cell <= last; ++cell) buckets_[static_cast<size_t>(cell)].push_back(i);
    }

  private:
    std::pair<int64_t, int64_t> span(const Corners& c) const {
        if (!std::isfinite(c.x_min) || !std::isfinite(c.x_max)) return {-1, -1};
        if (cells_ == 1) return {0, 0};
        return {cell_of(c.x_min), cell_of(c.x_max)};
    }
    int64_t cell_of(float x) const {
        double f = std::floor((double(x) - lo_) / width_);
        return static_cast<int64_t>(std::clamp(f, 0.0, double(cells_ - 1)));
    }

    double lo_ = 0, width_ = 1;
    int64_t cells_ = 1;
    std::vector<std::vector<int64_t>> buckets_ = std::vector<std::vector<int64_t>>(1);
};

class NmsKernel : public Kernel {
  public:
    explicit NmsKernel(bool center) : center_(center) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& boxes = ctx.input(0);
        const TensorDesc& scores = ctx.input(1);
        if (boxes.dims.size() != 3 || boxes.dims[2] != 4) return ctx.invalid("boxes must have shape [batch, boxes, 4]");
        if (scores.dims.size() != 3) return ctx.invalid("scores must have shape [batch, classes, boxes]");
        if (boxes.dims[0] != scores.dims[0] || boxes.dims[1] != scores.dims[2])
            return ctx.invalid("boxes " + shape_to_string(boxes.dims) + " and scores " + shape_to_string(scores.dims) +
                               " do not match");
        if (boxes.dtype != DataType::kFloat32 || scores.dtype != DataType::kFloat32)
            return ctx.invalid("boxes and scores must be float32");
        for (size_t i = 2; i < 5; ++i)
            if (ctx.has_input(i) && shape_numel(ctx.input(i).dims) != 1)
                return ctx.invalid("input " + std::to_string(i) + " must hold one value");
        for (size_t i = 0; i < 5; ++i)
            if ((i < 2 || ctx.has_input(i)) && !ctx.value(i)) return ctx.defer();
        // Read max_output_boxes_per_class as an integer: torchvision passes INT64_MAX, which a
        // round trip through double would overflow to a negative count.
        int64_t max_out = 0;
        if (ctx.has_input(2)) {
            const Tensor& m = *ctx.value(2);
            if (m.dtype() == DataType::kInt64)
                max_out = m.data_as<int64_t>()[0];
            else if (m.dtype() == DataType::kInt32)
                max_out = m.data_as<int32_t>()[0];
            else
                max_out = static_cast<int64_t>(scalar_value(m));
        }
        float iou = ctx.has_input(3) ? static_cast<float>(scalar_value(*ctx.value(3))) : 0.0f;
        bool has_score = ctx.has_input(4);
        float score_thr = has_score ? static_cast<float>(scalar_value(*ctx.value(4))) : 0.0f;
        if (iou < 0 || iou > 1) return ctx.invalid("iou_threshold " + std::to_string(iou) + " must be in [0, 1]");

        auto st = std::make_unique<NmsState>();
        int64_t batches = boxes.dims[0], classes = scores.dims[1], n = boxes.dims[1];
        const float* box_data = ctx.value(0)->data_as<float>();
        const float* score_data = ctx.value(1)->data_as<float>();
        std::vector<Corners> corners(static_cast<size_t>(n));
        std::vector<int64_t> order;
        for (int64_t b = 0; b < batches && max_out > 0; ++b) {
            for (int64_t i = 0; i < n; ++i) corners[i] = box_corners(box_data + (b * n + i) * 4, center_);
            for (int64_t c = 0; c < classes; ++c) {
                const float* s = score_data + (b * classes + c) * n;
                order.clear();
                for (int64_t i = 0; i < n; ++i)
                    if (!has_score || s[i] > score_thr) order.push_back(i);
                std::sort(order.begin(), order.end(),
                          [s](int64_t x, int64_t y) { return s[x] > s[y] || (s[x] == s[y] && x < y); });
                int64_t kept_count = 0;
                XGrid grid(corners, order);
                for (int64_t i : order) {
                    if (kept_count >= max_out) break;
                    if (grid.any_overlap(corners, i, [&](int64_t k) { return suppresses(corners[i], corners[k], iou); }))
                        continue;
                    grid.add(corners, i);
                    ++kept_count;
                    st->selected.insert(st->selected.end(), {b, c, i});
                }
            }
        }
        ctx.set_output(0, DataType::kInt64, {static_cast<int64_t>(st->selected.size() / 3), 3});
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const NmsState& st = ctx.state_as<NmsState>();
        if (!st.selected.empty())
            std::memcpy(ctx.out(0).data(), st.selected.data(), st.selected.size() * sizeof(int64_t));
        return Status::ok();
    }

  private:
    bool center_;
};

// ---------------------------------------------------------------------------------------------
template <typename MakeFn>
KernelDef make_def(std::string op, int64_t since, int64_t end, std::vector<DataType> dtypes, MakeFn make) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.dtypes = std::move(dtypes);
    d.factory = [make](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> { return make(ctx); };
    return d;
}

const std::vector<DataType>& nonzero_types() {
    static const std::vector<DataType> v = [] {
        std::vector<DataType> t = numeric_types();
        t.push_back(DataType::kBool);
        t.push_back(DataType::kFloat16);
        t.push_back(DataType::kBFloat16);
        return t;
    }();
    return v;
}

}  // namespace

void register_index_kernels(KernelRegistry& registry) {
    registry.add(
        make_def("TopK", 1, 9, numeric_types(), [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            const ir::Attribute* k = ctx.node.find_attribute("k");
            if (!k) return ctx.invalid("attribute k is required");
            return std::unique_ptr<Kernel>(new TopKKernel(ctx.node.attr_int("axis", -1), k->i, false, true));
        }));
    registry.add(
        make_def("TopK", 10, 1 << 30, numeric_types(), [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(
                new TopKKernel(ctx.node.attr_int("axis", -1), 0, true, ctx.node.attr_int("largest", 1) != 0));
        }));
    registry.add(make_def(
        "CumSum", 11, 1 << 30, numeric_types(), [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(
                new CumSumKernel(ctx.node.attr_int("exclusive", 0) != 0, ctx.node.attr_int("reverse", 0) != 0));
        }));
    registry.add(
        make_def("NonZero", 9, 1 << 30, nonzero_types(), [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(new NonZeroKernel());
        }));
    registry.add(make_def("NonMaxSuppression", 10, 1 << 30, {DataType::kFloat32},
                          [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
                              int64_t center = ctx.node.attr_int("center_point_box", 0);
                              if (center != 0 && center != 1) return ctx.invalid("center_point_box must be 0 or 1");
                              return std::unique_ptr<Kernel>(new NmsKernel(center == 1));
                          }));
}

}  // namespace edgeinfer::kernels::cpu

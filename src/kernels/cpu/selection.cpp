// Kernels whose output size depends on input values: Compress (slices where a condition holds) and
// Unique (distinct elements or slices with their first indices, inverse indices and counts).
//
// Both need their data input's values to size the output, so prepare defers until a run shows them;
// prepare then decides which slices are kept and run only copies them.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using namespace types;

constexpr int64_t kLatest = 1 << 30;

int64_t product(const std::vector<int64_t>& d, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end && i < d.size(); ++i) p *= d[i];
    return p;
}

// Copies slices `picks` (indices along the middle axis of an [outer, n, inner] view) into an
// [outer, picks.size(), inner] output; dtype-agnostic.
void gather_slices(const Tensor& x, Tensor& y, int64_t outer, int64_t n, int64_t inner,
                   const std::vector<int64_t>& picks) {
    const size_t es = dtype_size(x.dtype());
    const size_t block = static_cast<size_t>(inner) * es;
    const auto* src = static_cast<const uint8_t*>(x.data());
    auto* dst = static_cast<uint8_t*>(y.data());
    const int64_t k = static_cast<int64_t>(picks.size());
    parallel_for(
        outer * k,
        [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                const int64_t o = r / k, j = r % k;
                std::memcpy(dst + static_cast<size_t>(r) * block, src + static_cast<size_t>(o * n + picks[j]) * block,
                            block);
            }
        },
        std::max<int64_t>(1, 65536 / std::max<int64_t>(inner, 1)));
}

// ---------------------------------------------------------------------------------------------
// Compress-9/11: keeps the slices along `axis` (or the elements of the flattened input without an
// axis) whose condition entry is true. A condition shorter than the axis drops the remaining slices.
struct CompressState : KernelState {
    int64_t outer = 1, n = 1, inner = 1;
    std::vector<int64_t> picks;
};

class CompressKernel final : public Kernel {
  public:
    CompressKernel(bool has_axis, int64_t axis) : has_axis_(has_axis), axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const TensorDesc& c = ctx.input(1);
        if (dtype_size(x.dtype) == 0) return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)));
        if (c.dtype != DataType::kBool || c.dims.size() != 1)
            return ctx.invalid("condition must be a 1-D bool tensor, got " + std::string(dtype_name(c.dtype)) + " " +
                               shape_to_string(c.dims));
        const int64_t rank = static_cast<int64_t>(x.dims.size());
        int64_t axis = axis_;
        if (has_axis_ && !normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        auto st = std::make_unique<CompressState>();
        if (has_axis_) {
            st->outer = product(x.dims, 0, static_cast<size_t>(axis));
            st->n = x.dims[axis];
            st->inner = product(x.dims, static_cast<size_t>(axis) + 1, x.dims.size());
        } else {
            st->n = shape_numel(x.dims);
        }
        if (c.dims[0] > st->n)
            return ctx.invalid("condition has " + std::to_string(c.dims[0]) + " entries, more than the " +
                               std::to_string(st->n) + (has_axis_ ? " slices along the axis" : " input elements"));
        const Tensor* cond = ctx.value(1);
        if (!cond) return ctx.defer();
        const auto* flags = cond->data_as<uint8_t>();
        for (int64_t i = 0; i < c.dims[0]; ++i)
            if (flags[i]) st->picks.push_back(i);
        std::vector<int64_t> out{static_cast<int64_t>(st->picks.size())};
        if (has_axis_) {
            out = x.dims;
            out[axis] = static_cast<int64_t>(st->picks.size());
        }
        ctx.set_output(0, x.dtype, out);
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<CompressState>();
        if (ctx.out(0).numel() == 0) return Status::ok();
        gather_slices(ctx.in(0), ctx.out(0), st.outer, st.n, st.inner, st.picks);
        return Status::ok();
    }

  private:
    bool has_axis_;
    int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Unique-11: outputs Y (the distinct slices along `axis`, or distinct elements of the flattened
// input), indices (first occurrence of each), inverse_indices (for each input slice, its entry in Y)
// and counts. sorted=1 orders Y ascending (slices lexicographically, NaN last); sorted=0 keeps the
// order of first occurrence.
struct UniqueState : KernelState {
    int64_t outer = 1, n = 1, inner = 1;
    std::vector<int64_t> first, inverse, counts;
};

// Three-way comparison of slices a and b: the slice is the [outer, inner] block at one axis index.
template <typename T>
int compare_slices(const T* x, int64_t outer, int64_t n, int64_t inner, int64_t a, int64_t b) {
    for (int64_t o = 0; o < outer; ++o) {
        const T* pa = x + (o * n + a) * inner;
        const T* pb = x + (o * n + b) * inner;
        for (int64_t i = 0; i < inner; ++i) {
            auto va = load(pa[i]), vb = load(pb[i]);
            if constexpr (kIsFloat<T>) {
                const bool na = std::isnan(static_cast<double>(va)), nb = std::isnan(static_cast<double>(vb));
                if (na || nb) {
                    if (na && nb) continue;
                    return na ? 1 : -1;
                }
            }
            if (va < vb) return -1;
            if (vb < va) return 1;
        }
    }
    return 0;
}

template <typename T>
void unique_slices(const T* x, bool sorted, UniqueState& st) {
    const int64_t n = st.n;
    auto cmp = [&](int64_t a, int64_t b) { return compare_slices(x, st.outer, n, st.inner, a, b); };
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    // Stable: equal slices stay in input order, so the first of each run is the first occurrence.
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cmp(a, b) < 0; });
    std::vector<int64_t> group_of(static_cast<size_t>(n));  // input slice -> group in sorted order
    std::vector<int64_t> group_first, group_count;
    for (int64_t j = 0; j < n; ++j) {
        if (j == 0 || cmp(order[j - 1], order[j]) != 0) {
            group_first.push_back(order[j]);
            group_count.push_back(0);
        }
        group_of[order[j]] = static_cast<int64_t>(group_first.size()) - 1;
        group_count.back()++;
    }
    const int64_t groups = static_cast<int64_t>(group_first.size());
    std::vector<int64_t> rank(static_cast<size_t>(groups));  // group -> output position
    std::iota(rank.begin(), rank.end(), 0);
    if (!sorted) {
        std::vector<int64_t> by_first(rank);
        std::sort(by_first.begin(), by_first.end(),
                  [&](int64_t a, int64_t b) { return group_first[a] < group_first[b]; });
        for (int64_t p = 0; p < groups; ++p) rank[by_first[p]] = p;
    }
    st.first.assign(static_cast<size_t>(groups), 0);
    st.counts.assign(static_cast<size_t>(groups), 0);
    for (int64_t g = 0; g < groups; ++g) {
        st.first[rank[g]] = group_first[g];
        st.counts[rank[g]] = group_count[g];
    }
    st.inverse.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) st.inverse[i] = rank[group_of[i]];
}

class UniqueKernel final : public Kernel {
  public:
    UniqueKernel(bool has_axis, int64_t axis, bool sorted) : has_axis_(has_axis), axis_(axis), sorted_(sorted) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        if (!dtype_in(x.dtype, kAll))
            return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)) + " is not supported");
        const int64_t rank = static_cast<int64_t>(x.dims.size());
        int64_t axis = axis_;
        if (has_axis_ && !normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        const Tensor* v = ctx.value(0);
        if (!v) return ctx.defer();
        auto st = std::make_unique<UniqueState>();
        if (has_axis_) {
            st->outer = product(x.dims, 0, static_cast<size_t>(axis));
            st->n = x.dims[axis];
            st->inner = product(x.dims, static_cast<size_t>(axis) + 1, x.dims.size());
        } else {
            st->n = shape_numel(x.dims);
        }
        if (st->outer * st->inner == 0) {
            // Empty slices are all equal: one group when there are slices at all.
            const int64_t groups = st->n > 0 ? 1 : 0;
            st->first.assign(static_cast<size_t>(groups), 0);
            st->counts.assign(static_cast<size_t>(groups), st->n);
            st->inverse.assign(static_cast<size_t>(st->n), 0);
        } else {
            dispatch_types<kAll>(x.dtype, [&](auto tag) { unique_slices(v->data_as<decltype(tag)>(), sorted_, *st); });
        }
        const int64_t groups = static_cast<int64_t>(st->first.size());
        std::vector<int64_t> y_dims{groups};
        if (has_axis_) {
            y_dims = x.dims;
            y_dims[axis] = groups;
        }
        ctx.set_output(0, x.dtype, y_dims);
        ctx.set_output(1, DataType::kInt64, {groups});
        ctx.set_output(2, DataType::kInt64, {st->n});
        ctx.set_output(3, DataType::kInt64, {groups});
        ctx.set_state(std::move(st));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<UniqueState>();
        auto out = [&](size_t i) -> Tensor* { return i < ctx.outputs.size() ? ctx.outputs[i] : nullptr; };
        if (Tensor* y = out(0); y && y->numel() > 0) gather_slices(ctx.in(0), *y, st.outer, st.n, st.inner, st.first);
        const std::vector<int64_t>* lists[] = {&st.first, &st.inverse, &st.counts};
        for (size_t i = 1; i < 4; ++i)
            if (Tensor* t = out(i); t && !lists[i - 1]->empty())
                std::memcpy(t->data(), lists[i - 1]->data(), lists[i - 1]->size() * sizeof(int64_t));
        return Status::ok();
    }

  private:
    bool has_axis_;
    int64_t axis_;
    bool sorted_;
};

}  // namespace

void register_selection_kernels(KernelRegistry& registry) {
    KernelDef compress;
    compress.op_type = "Compress";
    compress.since_version = 9;
    compress.end_version = kLatest;
    compress.dtypes = dtypes_of(kAll);
    compress.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Attribute* axis = ctx.node.find_attribute("axis");
        return std::unique_ptr<Kernel>(new CompressKernel(axis != nullptr, axis ? axis->i : 0));
    };
    registry.add(std::move(compress));

    KernelDef unique;
    unique.op_type = "Unique";
    unique.since_version = 11;
    unique.end_version = kLatest;
    unique.dtypes = dtypes_of(kAll);
    unique.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Attribute* axis = ctx.node.find_attribute("axis");
        int64_t sorted = ctx.node.attr_int("sorted", 1);
        if (sorted != 0 && sorted != 1)
            return ctx.invalid("attribute sorted must be 0 or 1, got " + std::to_string(sorted));
        return std::unique_ptr<Kernel>(new UniqueKernel(axis != nullptr, axis ? axis->i : 0, sorted == 1));
    };
    registry.add(std::move(unique));
}

}  // namespace edgeinfer::kernels::cpu

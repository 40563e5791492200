// Kernels on the last two axes of a tensor, taken as a batch of matrices: Trilu (keep the upper or lower
// triangle) and Det (determinant by LU decomposition with partial pivoting).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

using namespace types;

constexpr int64_t kLatest = 1 << 30;

// ---------------------------------------------------------------------------------------------
// Trilu-14: rows i, columns j of each [N, M] matrix keep their value where j - i >= k (upper) or
// j - i <= k (lower) and become zero elsewhere. k is an optional int64 scalar input (default 0).
// The copy is dtype-agnostic: each row is one kept span and zeroed spans.
class TriluKernel final : public Kernel {
  public:
    explicit TriluKernel(bool upper) : upper_(upper) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        if (x.dims.size() < 2) return ctx.invalid("input must have rank >= 2, got shape " + shape_to_string(x.dims));
        if (dtype_size(x.dtype) == 0) return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)));
        if (ctx.has_input(1)) {
            const TensorDesc& k = ctx.input(1);
            if (k.dtype != DataType::kInt64 || shape_numel(k.dims) != 1)
                return ctx.invalid("k must be an int64 scalar, got " + std::string(dtype_name(k.dtype)) + " " +
                                   shape_to_string(k.dims));
        }
        ctx.set_output(0, x.dtype, x.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        if (x.numel() == 0) return Status::ok();
        int64_t k = ctx.has_in(1) ? ctx.in(1).data_as<int64_t>()[0] : 0;
        const auto& d = x.dims();
        const int64_t rows = d[d.size() - 2], cols = d[d.size() - 1];
        const int64_t total_rows = x.numel() / cols;
        const size_t es = dtype_size(x.dtype());
        const auto* src = static_cast<const uint8_t*>(x.data());
        auto* dst = static_cast<uint8_t*>(y.data());
        parallel_for(
            total_rows,
            [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                    const int64_t i = r % rows;
                    // Kept columns form [lo, hi).
                    int64_t lo = upper_ ? std::clamp<int64_t>(i + k, 0, cols) : 0;
                    int64_t hi = upper_ ? cols : std::clamp<int64_t>(i + k + 1, 0, cols);
                    if (hi < lo) hi = lo;
                    const size_t off = static_cast<size_t>(r * cols) * es;
                    std::memset(dst + off, 0, static_cast<size_t>(lo) * es);
                    std::memcpy(dst + off + lo * es, src + off + lo * es, static_cast<size_t>(hi - lo) * es);
                    std::memset(dst + off + hi * es, 0, static_cast<size_t>(cols - hi) * es);
                }
            },
            std::max<int64_t>(1, 65536 / std::max<int64_t>(cols, 1)));
        return Status::ok();
    }

  private:
    bool upper_;
};

// ---------------------------------------------------------------------------------------------
// Det-11: input [*, M, M], output [*]. Each matrix is factored in double precision (LU with partial
// pivoting); the determinant is the product of the pivots, negated per row swap.
class DetKernel final : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& x = ctx.input(0);
        const size_t r = x.dims.size();
        if (r < 2 || x.dims[r - 1] != x.dims[r - 2])
            return ctx.invalid("input must have shape [*, M, M], got " + shape_to_string(x.dims));
        if (!dtype_in(x.dtype, kFloats))
            return ctx.unsupported_here("input type " + std::string(dtype_name(x.dtype)) + " is not a float type");
        const int64_t m = x.dims[r - 1];
        ctx.set_output(0, x.dtype, std::vector<int64_t>(x.dims.begin(), x.dims.end() - 2));
        // One M x M double work matrix per thread.
        ctx.request_scratch(static_cast<size_t>(std::max(1, omp_get_max_threads())) * static_cast<size_t>(m * m) *
                            sizeof(double));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& x = ctx.in(0);
        Tensor& y = ctx.out(0);
        const int64_t m = x.dims().back();
        const int64_t batch = y.numel();
        if (batch == 0) return Status::ok();
        auto* scratch = static_cast<double*>(ctx.scratch);
        dispatch_types<kFloats>(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            const T* in = x.data_as<T>();
            T* out = y.data_as<T>();
            // One work matrix per thread, as many as prepare's scratch holds.
            const int64_t slots = std::max<int64_t>(
                1, static_cast<int64_t>(ctx.scratch_bytes / sizeof(double)) / std::max<int64_t>(m * m, 1));
            const int nt = static_cast<int>(std::min<int64_t>({std::max(1, omp_get_max_threads()), batch, slots}));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1 && batch * m * m > 4096)
            for (int64_t b = 0; b < batch; ++b) {
                double* a = scratch + static_cast<int64_t>(omp_get_thread_num()) * m * m;
                for (int64_t i = 0; i < m * m; ++i) a[i] = static_cast<double>(load(in[b * m * m + i]));
                out[b] = store<T>(lu_determinant(a, m));
            }
        });
        return Status::ok();
    }

  private:
    static double lu_determinant(double* a, int64_t m) {
        double det = 1.0;
        for (int64_t c = 0; c < m; ++c) {
            int64_t pivot = c;
            for (int64_t r = c + 1; r < m; ++r)
                if (std::fabs(a[r * m + c]) > std::fabs(a[pivot * m + c])) pivot = r;
            if (a[pivot * m + c] == 0.0) return 0.0;
            if (pivot != c) {
                for (int64_t j = 0; j < m; ++j) std::swap(a[c * m + j], a[pivot * m + j]);
                det = -det;
            }
            const double p = a[c * m + c];
            det *= p;
            for (int64_t r = c + 1; r < m; ++r) {
                const double f = a[r * m + c] / p;
                if (f == 0.0) continue;
                double* row = a + r * m;
                const double* prow = a + c * m;
                for (int64_t j = c + 1; j < m; ++j) row[j] -= f * prow[j];
            }
        }
        return det;
    }
};

}  // namespace

void register_matrix_kernels(KernelRegistry& registry) {
    KernelDef trilu;
    trilu.op_type = "Trilu";
    trilu.since_version = 14;
    trilu.end_version = kLatest;
    trilu.dtypes = dtypes_of(kAll);
    trilu.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        int64_t upper = ctx.node.attr_int("upper", 1);
        if (upper != 0 && upper != 1)
            return ctx.invalid("attribute upper must be 0 or 1, got " + std::to_string(upper));
        return std::unique_ptr<Kernel>(new TriluKernel(upper == 1));
    };
    registry.add(std::move(trilu));

    registry.add(simple_def<DetKernel>("Det", 11, kLatest, dtypes_of(kFloats)));
}

}  // namespace edgeinfer::kernels::cpu

// Kernels: Gather, GatherElements, GatherND, ScatterND, ScatterElements, Scatter, OneHot.
#include <array>
#include <cmath>
#include <cstring>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

constexpr size_t kMaxRank = 16;

struct Bytes16 {
    uint64_t lo, hi;
};

// Every dtype these kernels move by bytes (strings are not supported).
const std::vector<DataType>& copyable_types() {
    static const std::vector<DataType> v{
        DataType::kFloat32, DataType::kUInt8,  DataType::kInt8,     DataType::kUInt16,    DataType::kInt16,
        DataType::kInt32,   DataType::kInt64,  DataType::kBool,     DataType::kFloat16,   DataType::kFloat64,
        DataType::kUInt32,  DataType::kUInt64, DataType::kBFloat16, DataType::kComplex64, DataType::kComplex128};
    return v;
}

// Calls fn(U{}) with an unsigned type of `size` bytes, for element moves that ignore the dtype.
template <typename F>
void dispatch_by_size(size_t size, F&& fn) {
    switch (size) {
        case 1:
            fn(uint8_t{});
            break;
        case 2:
            fn(uint16_t{});
            break;
        case 4:
            fn(uint32_t{});
            break;
        case 8:
            fn(uint64_t{});
            break;
        default:
            fn(Bytes16{});
            break;
    }
}

bool is_index_type(DataType t) { return t == DataType::kInt32 || t == DataType::kInt64; }

int64_t index_at(const Tensor& t, int64_t i) {
    return t.dtype() == DataType::kInt64 ? t.data_as<int64_t>()[i] : t.data_as<int32_t>()[i];
}

// Normalizes a possibly negative index into [0, dim); false when out of range.
bool normalize_index(int64_t& idx, int64_t dim) {
    if (idx < -dim || idx >= dim) return false;
    if (idx < 0) idx += dim;
    return true;
}

std::string range_message(int64_t idx, int64_t dim, const std::string& where = "") {
    return "index " + std::to_string(idx) + (where.empty() ? "" : " " + where) + " is out of range [" +
           std::to_string(-dim) + ", " + std::to_string(dim) + ")";
}

int64_t product(const std::vector<int64_t>& d, size_t begin, size_t end) {
    int64_t p = 1;
    for (size_t i = begin; i < end && i < d.size(); ++i) p *= d[i];
    return p;
}

// Walks the coordinates of a shape in row-major order, tracking one offset under given strides.
struct Walker {
    size_t rank = 0;
    const int64_t* dims = nullptr;
    const int64_t* strides = nullptr;
    std::array<int64_t, kMaxRank> coord{};
    int64_t offset = 0;

    Walker(const std::vector<int64_t>& d, const std::vector<int64_t>& s, int64_t linear)
        : rank(d.size()), dims(d.data()), strides(s.data()) {
        for (size_t k = rank; k-- > 0;) {
            coord[k] = dims[k] ? linear % dims[k] : 0;
            linear = dims[k] ? linear / dims[k] : 0;
            offset += coord[k] * strides[k];
        }
    }
    void next() {
        for (size_t k = rank; k-- > 0;) {
            offset += strides[k];
            if (++coord[k] < dims[k]) return;
            offset -= coord[k] * strides[k];
            coord[k] = 0;
        }
    }
};

Status check_rank(const PrepareContext& ctx, size_t rank) {
    if (rank > kMaxRank)
        return ctx.unsupported_here("rank " + std::to_string(rank) + " is above " + std::to_string(kMaxRank));
    return Status::ok();
}

std::string data_and_index_types(const CreateContext& ctx, size_t index_input) {
    if (ctx.input_types.size() > index_input && ctx.input_types[index_input] != DataType::kUndefined &&
        !is_index_type(ctx.input_types[index_input]))
        return "indices must be int32 or int64, got " + std::string(dtype_name(ctx.input_types[index_input]));
    return "";
}

// ---------------------------------------------------------------------------------------------
// Gather: out[o, j..., i] = data[o, indices[j...], i] along `axis`.
class GatherKernel : public Kernel {
  public:
    explicit GatherKernel(int64_t axis) : axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& data = ctx.input(0);
        const TensorDesc& idx = ctx.input(1);
        int64_t rank = static_cast<int64_t>(data.dims.size());
        if (rank < 1) return ctx.invalid("data must have rank >= 1");
        if (!is_index_type(idx.dtype)) return ctx.invalid("indices must be int32 or int64");
        int64_t axis = axis_;
        if (!normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        std::vector<int64_t> out(data.dims.begin(), data.dims.begin() + axis);
        out.insert(out.end(), idx.dims.begin(), idx.dims.end());
        out.insert(out.end(), data.dims.begin() + axis + 1, data.dims.end());
        ctx.set_output(0, data.dtype, std::move(out));
        ctx.request_scratch(static_cast<size_t>(shape_numel(idx.dims)) * sizeof(int64_t));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& data = ctx.in(0);
        const Tensor& indices = ctx.in(1);
        Tensor& out = ctx.out(0);
        int64_t axis = axis_;
        normalize_axis(axis, data.rank());
        int64_t outer = product(data.dims(), 0, axis);
        int64_t n = data.dims()[axis];
        int64_t inner = product(data.dims(), axis + 1, data.dims().size());
        int64_t nidx = indices.numel();
        int64_t* idx = static_cast<int64_t*>(ctx.scratch);
        for (int64_t j = 0; j < nidx; ++j) {
            int64_t v = index_at(indices, j);
            if (!normalize_index(v, n)) return ctx.error(StatusCode::kOutOfRange, range_message(v, n));
            idx[j] = v;
        }
        if (out.numel() == 0) return Status::ok();
        size_t es = dtype_size(data.dtype());
        const auto* src = static_cast<const unsigned char*>(data.data());
        auto* dst = static_cast<unsigned char*>(out.data());
        if (inner == 1) {
            dispatch_by_size(es, [&](auto tag) {
                using U = decltype(tag);
                const U* s = reinterpret_cast<const U*>(src);
                U* d = reinterpret_cast<U*>(dst);
                parallel_for(outer * nidx, [&](int64_t b, int64_t e) {
                    for (int64_t i = b; i < e; ++i) d[i] = s[(i / nidx) * n + idx[i % nidx]];
                });
            });
            return Status::ok();
        }
        size_t row = static_cast<size_t>(inner) * es;
        parallel_for(
            outer * nidx,
            [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) {
                    int64_t o = i / nidx;
                    std::memcpy(dst + i * row, src + (o * n + idx[i % nidx]) * row, row);
                }
            },
            std::max<int64_t>(1, 16384 / inner));
        return Status::ok();
    }

  private:
    int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// GatherElements: out[c] = data[c with c[axis] = indices[c]].
class GatherElementsKernel : public Kernel {
  public:
    explicit GatherElementsKernel(int64_t axis) : axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& data = ctx.input(0);
        const TensorDesc& idx = ctx.input(1);
        size_t rank = data.dims.size();
        EDGEINFER_RETURN_IF_ERROR(check_rank(ctx, rank));
        if (rank < 1) return ctx.invalid("data must have rank >= 1");
        if (!is_index_type(idx.dtype)) return ctx.invalid("indices must be int32 or int64");
        if (idx.dims.size() != rank)
            return ctx.invalid("indices rank " + std::to_string(idx.dims.size()) + " differs from data rank " +
                               std::to_string(rank));
        int64_t axis = axis_;
        if (!normalize_axis(axis, static_cast<int64_t>(rank)))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range");
        for (size_t d = 0; d < rank; ++d)
            if (static_cast<int64_t>(d) != axis && idx.dims[d] > data.dims[d])
                return ctx.invalid("indices dim " + std::to_string(d) + " (" + std::to_string(idx.dims[d]) +
                                   ") exceeds data dim (" + std::to_string(data.dims[d]) + ")");
        ctx.set_output(0, data.dtype, idx.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& data = ctx.in(0);
        const Tensor& indices = ctx.in(1);
        Tensor& out = ctx.out(0);
        int64_t axis = axis_;
        normalize_axis(axis, data.rank());
        int64_t n = data.dims()[axis];
        int64_t total = indices.numel();
        for (int64_t i = 0; i < total; ++i) {
            int64_t v = index_at(indices, i);
            if (v < -n || v >= n) return ctx.error(StatusCode::kOutOfRange, range_message(v, n));
        }
        if (total == 0) return Status::ok();
        std::vector<int64_t> ds = strides_of(data.dims());
        int64_t axis_stride = ds[axis];
        ds[axis] = 0;  // the axis coordinate comes from the index
        const std::vector<int64_t>& dims = indices.dims();
        bool i64 = indices.dtype() == DataType::kInt64;
        dispatch_by_size(dtype_size(data.dtype()), [&](auto tag) {
            using U = decltype(tag);
            const U* s = data.data_as<U>();
            U* d = out.data_as<U>();
            parallel_for(total, [&](int64_t b, int64_t e) {
                Walker w(dims, ds, b);
                for (int64_t i = b; i < e; ++i, w.next()) {
                    int64_t v = i64 ? indices.data_as<int64_t>()[i] : indices.data_as<int32_t>()[i];
                    if (v < 0) v += n;
                    d[i] = s[w.offset + v * axis_stride];
                }
            });
        });
        return Status::ok();
    }

  private:
    int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// GatherND: out[b, n] = data[b, indices[b, n, :]] (a slice of data.dims[batch_dims + k:]).
class GatherNDKernel : public Kernel {
  public:
    explicit GatherNDKernel(int64_t batch_dims) : batch_dims_(batch_dims) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& data = ctx.input(0);
        const TensorDesc& idx = ctx.input(1);
        int64_t r = static_cast<int64_t>(data.dims.size());
        int64_t q = static_cast<int64_t>(idx.dims.size());
        int64_t b = batch_dims_;
        if (!is_index_type(idx.dtype)) return ctx.invalid("indices must be int32 or int64");
        if (r < 1 || q < 1) return ctx.invalid("data and indices must have rank >= 1");
        if (b < 0 || b >= std::min(r, q))
            return ctx.invalid("batch_dims " + std::to_string(b) + " must be in [0, min(rank(data), rank(indices)))");
        for (int64_t i = 0; i < b; ++i)
            if (data.dims[i] != idx.dims[i])
                return ctx.invalid("batch dim " + std::to_string(i) + " differs between data and indices");
        int64_t k = idx.dims[q - 1];
        if (k < 1 || k > r - b)
            return ctx.invalid("indices last dim " + std::to_string(k) + " must be in [1, " + std::to_string(r - b) +
                               "]");
        std::vector<int64_t> out(idx.dims.begin(), idx.dims.end() - 1);
        out.insert(out.end(), data.dims.begin() + b + k, data.dims.end());
        ctx.set_output(0, data.dtype, std::move(out));
        ctx.request_scratch(static_cast<size_t>(shape_numel(idx.dims) / k) * sizeof(int64_t));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& data = ctx.in(0);
        const Tensor& indices = ctx.in(1);
        Tensor& out = ctx.out(0);
        const std::vector<int64_t>& dd = data.dims();
        int64_t b = batch_dims_;
        int64_t k = indices.dims().back();
        int64_t tuples = indices.numel() / k;
        int64_t batches = product(dd, 0, b);
        int64_t per_batch = batches ? tuples / batches : 0;
        int64_t batch_stride = product(dd, b, dd.size());
        int64_t slice = product(dd, b + k, dd.size());
        std::vector<int64_t> ds = strides_of(dd);
        int64_t* offsets = static_cast<int64_t*>(ctx.scratch);
        for (int64_t t = 0; t < tuples; ++t) {
            int64_t off = (per_batch ? t / per_batch : 0) * batch_stride;
            for (int64_t j = 0; j < k; ++j) {
                int64_t v = index_at(indices, t * k + j);
                int64_t dim = dd[b + j];
                if (!normalize_index(v, dim))
                    return ctx.error(StatusCode::kOutOfRange,
                                     range_message(v, dim, "for data dim " + std::to_string(b + j)));
                off += v * ds[b + j];
            }
            offsets[t] = off;
        }
        if (out.numel() == 0) return Status::ok();
        size_t es = dtype_size(data.dtype());
        size_t row = static_cast<size_t>(slice) * es;
        const auto* src = static_cast<const unsigned char*>(data.data());
        auto* dst = static_cast<unsigned char*>(out.data());
        parallel_for(
            tuples,
            [&](int64_t s, int64_t e) {
                for (int64_t t = s; t < e; ++t) std::memcpy(dst + t * row, src + offsets[t] * es, row);
            },
            std::max<int64_t>(1, 16384 / std::max<int64_t>(slice, 1)));
        return Status::ok();
    }

  private:
    int64_t batch_dims_;
};

// ---------------------------------------------------------------------------------------------
// Scatter reductions shared by ScatterND and ScatterElements.
enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

Result<ScatterReduction> parse_reduction(const CreateContext& ctx) {
    std::string r = ctx.node.attr_string("reduction", "none");
    if (r == "none") return ScatterReduction::kNone;
    if (ctx.opset < 16)
        return ctx.invalid("attribute reduction needs opset 16, the model imports " + std::to_string(ctx.opset));
    if (r == "add") return ScatterReduction::kAdd;
    if (r == "mul") return ScatterReduction::kMul;
    if (r == "max" && ctx.opset >= 18) return ScatterReduction::kMax;
    if (r == "min" && ctx.opset >= 18) return ScatterReduction::kMin;
    return ctx.invalid("reduction '" + r + "' is not valid at opset " + std::to_string(ctx.opset));
}

std::string scatter_supports(const CreateContext& ctx) {
    std::string why = data_and_index_types(ctx, 1);
    if (!why.empty()) return why;
    std::string r = ctx.node.attr_string("reduction", "none");
    if (r != "none" && !ctx.input_types.empty() && ctx.input_types[0] != DataType::kUndefined) {
        bool numeric = dispatch_numeric(ctx.input_types[0], [](auto) {});
        if (!numeric)
            return "reduction '" + r + "' on " + std::string(dtype_name(ctx.input_types[0])) + " is not supported";
    }
    return "";
}

template <typename T>
inline void apply_reduction(ScatterReduction red, T& dst, T src) {
    switch (red) {
        case ScatterReduction::kNone:
            dst = src;
            break;
        case ScatterReduction::kAdd:
            dst = static_cast<T>(dst + src);
            break;
        case ScatterReduction::kMul:
            dst = static_cast<T>(dst * src);
            break;
        case ScatterReduction::kMax:
            dst = std::max(dst, src);
            break;
        case ScatterReduction::kMin:
            dst = std::min(dst, src);
            break;
    }
}

void copy_tensor(const Tensor& src, Tensor& dst) {
    if (src.nbytes() > 0) std::memcpy(dst.data(), src.data(), src.nbytes());
}

// ScatterND: out = data; out[indices[n, :]] (reduction)= updates[n].
class ScatterNDKernel : public Kernel {
  public:
    explicit ScatterNDKernel(ScatterReduction red) : red_(red) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& data = ctx.input(0);
        const TensorDesc& idx = ctx.input(1);
        const TensorDesc& upd = ctx.input(2);
        int64_t r = static_cast<int64_t>(data.dims.size());
        int64_t q = static_cast<int64_t>(idx.dims.size());
        if (!is_index_type(idx.dtype)) return ctx.invalid("indices must be int32 or int64");
        if (upd.dtype != data.dtype) return ctx.invalid("updates dtype differs from data dtype");
        if (r < 1 || q < 1) return ctx.invalid("data and indices must have rank >= 1");
        int64_t k = idx.dims[q - 1];
        if (k < 1 || k > r)
            return ctx.invalid("indices last dim " + std::to_string(k) + " must be in [1, " + std::to_string(r) + "]");
        std::vector<int64_t> expect(idx.dims.begin(), idx.dims.end() - 1);
        expect.insert(expect.end(), data.dims.begin() + k, data.dims.end());
        if (upd.dims != expect)
            return ctx.invalid("updates shape " + shape_to_string(upd.dims) + " should be " + shape_to_string(expect));
        ctx.set_output(0, data.dtype, data.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& data = ctx.in(0);
        const Tensor& indices = ctx.in(1);
        const Tensor& updates = ctx.in(2);
        Tensor& out = ctx.out(0);
        copy_tensor(data, out);
        const std::vector<int64_t>& dd = data.dims();
        int64_t k = indices.dims().back();
        int64_t tuples = indices.numel() / k;
        int64_t slice = product(dd, k, dd.size());
        std::vector<int64_t> ds = strides_of(dd);
        size_t es = dtype_size(data.dtype());
        Status status = Status::ok();
        auto offset_of = [&](int64_t t, int64_t& off) {
            off = 0;
            for (int64_t j = 0; j < k; ++j) {
                int64_t v = index_at(indices, t * k + j);
                if (!normalize_index(v, dd[j])) {
                    status = ctx.error(StatusCode::kOutOfRange,
                                       range_message(v, dd[j], "for data dim " + std::to_string(j)));
                    return false;
                }
                off += v * ds[j];
            }
            return true;
        };
        if (red_ == ScatterReduction::kNone) {
            auto* dst = static_cast<unsigned char*>(out.data());
            const auto* src = static_cast<const unsigned char*>(updates.data());
            size_t row = static_cast<size_t>(slice) * es;
            for (int64_t t = 0; t < tuples; ++t) {
                int64_t off;
                if (!offset_of(t, off)) return status;
                if (row) std::memcpy(dst + off * es, src + t * row, row);
            }
            return Status::ok();
        }
        dispatch_numeric(data.dtype(), [&](auto tag) {
            using T = decltype(tag);
            T* dst = out.data_as<T>();
            const T* src = updates.data_as<T>();
            for (int64_t t = 0; t < tuples; ++t) {
                int64_t off;
                if (!offset_of(t, off)) return;
                for (int64_t i = 0; i < slice; ++i) apply_reduction(red_, dst[off + i], src[t * slice + i]);
            }
        });
        return status;
    }

  private:
    ScatterReduction red_;
};

// ScatterElements / Scatter: out = data; out[c with c[axis] = indices[c]] (reduction)= updates[c].
class ScatterElementsKernel : public Kernel {
  public:
    ScatterElementsKernel(int64_t axis, ScatterReduction red) : axis_(axis), red_(red) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& data = ctx.input(0);
        const TensorDesc& idx = ctx.input(1);
        const TensorDesc& upd = ctx.input(2);
        size_t rank = data.dims.size();
        EDGEINFER_RETURN_IF_ERROR(check_rank(ctx, rank));
        if (rank < 1) return ctx.invalid("data must have rank >= 1");
        if (!is_index_type(idx.dtype)) return ctx.invalid("indices must be int32 or int64");
        if (upd.dtype != data.dtype) return ctx.invalid("updates dtype differs from data dtype");
        if (idx.dims != upd.dims)
            return ctx.invalid("indices shape " + shape_to_string(idx.dims) + " differs from updates shape " +
                               shape_to_string(upd.dims));
        if (idx.dims.size() != rank) return ctx.invalid("indices rank differs from data rank");
        int64_t axis = axis_;
        if (!normalize_axis(axis, static_cast<int64_t>(rank)))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range");
        for (size_t d = 0; d < rank; ++d)
            if (static_cast<int64_t>(d) != axis && idx.dims[d] > data.dims[d])
                return ctx.invalid("indices dim " + std::to_string(d) + " exceeds data dim");
        ctx.set_output(0, data.dtype, data.dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& data = ctx.in(0);
        const Tensor& indices = ctx.in(1);
        const Tensor& updates = ctx.in(2);
        Tensor& out = ctx.out(0);
        copy_tensor(data, out);
        int64_t axis = axis_;
        normalize_axis(axis, data.rank());
        int64_t n = data.dims()[axis];
        int64_t total = indices.numel();
        if (total == 0) return Status::ok();
        std::vector<int64_t> ds = strides_of(data.dims());
        int64_t axis_stride = ds[axis];
        ds[axis] = 0;
        Status status = Status::ok();
        auto body = [&](auto tag, auto&& apply) {
            using U = decltype(tag);
            U* d = out.data_as<U>();
            const U* s = updates.data_as<U>();
            Walker w(indices.dims(), ds, 0);
            for (int64_t i = 0; i < total; ++i, w.next()) {
                int64_t v = index_at(indices, i);
                if (!normalize_index(v, n)) {
                    status = ctx.error(StatusCode::kOutOfRange, range_message(v, n));
                    return;
                }
                apply(d[w.offset + v * axis_stride], s[i]);
            }
        };
        if (red_ == ScatterReduction::kNone) {
            dispatch_by_size(dtype_size(data.dtype()),
                             [&](auto tag) { body(tag, [](auto& dst, auto src) { dst = src; }); });
        } else {
            dispatch_numeric(data.dtype(), [&](auto tag) {
                using T = decltype(tag);
                body(tag, [this](T& dst, T src) { apply_reduction(red_, dst, src); });
            });
        }
        return status;
    }

  private:
    int64_t axis_;
    ScatterReduction red_;
};

// ---------------------------------------------------------------------------------------------
// OneHot: out[o, d, i] = values[indices[o, i] == d] with depth inserted at `axis`.
double read_number(const Tensor& t, int64_t i) {
    double v = 0;
    if (t.dtype() == DataType::kFloat16) {
        uint16_t h = t.data_as<uint16_t>()[i];
        int exp = (h >> 10) & 0x1f;
        double mant = h & 0x3ff;
        v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(mant + 1024, exp - 25);
        if (exp == 31) v = mant ? NAN : INFINITY;
        return (h & 0x8000) ? -v : v;
    }
    dispatch_numeric(t.dtype(), [&](auto tag) { v = static_cast<double>(t.data_as<decltype(tag)>()[i]); });
    return v;
}

class OneHotKernel : public Kernel {
  public:
    explicit OneHotKernel(int64_t axis) : axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        const TensorDesc& idx = ctx.input(0);
        const TensorDesc& depth_desc = ctx.input(1);
        const TensorDesc& values = ctx.input(2);
        if (shape_numel(depth_desc.dims) != 1) return ctx.invalid("depth must hold one value");
        if (shape_numel(values.dims) != 2) return ctx.invalid("values must hold two values [off, on]");
        if (dtype_size(values.dtype) == 0)
            return ctx.unsupported_here("values of type " + std::string(dtype_name(values.dtype)));
        const Tensor* depth_value = ctx.value(1);
        if (!depth_value) return ctx.defer();
        double dv = read_number(*depth_value, 0);
        if (!(dv >= 1) || dv > 1e15) return ctx.invalid("depth " + std::to_string(dv) + " must be positive");
        int64_t depth = static_cast<int64_t>(dv);
        int64_t rank = static_cast<int64_t>(idx.dims.size());
        int64_t axis = axis_;
        if (axis < -rank - 1 || axis > rank) return ctx.invalid("axis " + std::to_string(axis_) + " is out of range");
        if (axis < 0) axis += rank + 1;
        std::vector<int64_t> out = idx.dims;
        out.insert(out.begin() + axis, depth);
        ctx.set_output(0, values.dtype, std::move(out));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const Tensor& indices = ctx.in(0);
        const Tensor& values = ctx.in(2);
        Tensor& out = ctx.out(0);
        int64_t rank = indices.rank();
        int64_t axis = axis_ < 0 ? axis_ + rank + 1 : axis_;
        int64_t depth = out.dims()[axis];
        int64_t outer = product(indices.dims(), 0, axis);
        int64_t inner = product(indices.dims(), axis, indices.dims().size());
        if (out.numel() == 0) return Status::ok();
        dispatch_by_size(dtype_size(values.dtype()), [&](auto tag) {
            using U = decltype(tag);
            U off = values.data_as<U>()[0];
            U on = values.data_as<U>()[1];
            U* d = out.data_as<U>();
            int64_t total = out.numel();
            parallel_for(total, [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) d[i] = off;
            });
            for (int64_t o = 0; o < outer; ++o)
                for (int64_t i = 0; i < inner; ++i) {
                    double raw = read_number(indices, o * inner + i);
                    if (!(raw > -static_cast<double>(depth) - 1 && raw < static_cast<double>(depth))) continue;
                    int64_t v = static_cast<int64_t>(raw);
                    if (v < 0) v += depth;
                    if (v < 0 || v >= depth) continue;
                    d[(o * depth + v) * inner + i] = on;
                }
        });
        return Status::ok();
    }

  private:
    int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
template <typename MakeFn>
KernelDef make_def(std::string op, int64_t since, int64_t end, std::vector<DataType> dtypes, MakeFn make,
                   SupportsFn supports = nullptr) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.dtypes = std::move(dtypes);
    d.factory = [make](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> { return make(ctx); };
    d.supports = std::move(supports);
    return d;
}

Result<std::unique_ptr<Kernel>> make_scatter_elements(const CreateContext& ctx) {
    EDGEINFER_ASSIGN_OR_RETURN(ScatterReduction red, parse_reduction(ctx));
    return std::unique_ptr<Kernel>(new ScatterElementsKernel(ctx.node.attr_int("axis", 0), red));
}

}  // namespace

void register_gather_kernels(KernelRegistry& registry) {
    auto index_input1 = [](const CreateContext& ctx) { return data_and_index_types(ctx, 1); };
    registry.add(make_def(
        "Gather", 1, 1 << 30, copyable_types(),
        [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(new GatherKernel(ctx.node.attr_int("axis", 0)));
        },
        index_input1));
    registry.add(make_def(
        "GatherElements", 11, 1 << 30, copyable_types(),
        [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(new GatherElementsKernel(ctx.node.attr_int("axis", 0)));
        },
        index_input1));
    registry.add(make_def(
        "GatherND", 11, 1 << 30, copyable_types(),
        [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(new GatherNDKernel(ctx.node.attr_int("batch_dims", 0)));
        },
        [](const CreateContext& ctx) { return data_and_index_types(ctx, 1); }));
    registry.add(make_def(
        "ScatterND", 11, 1 << 30, copyable_types(),
        [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            EDGEINFER_ASSIGN_OR_RETURN(ScatterReduction red, parse_reduction(ctx));
            return std::unique_ptr<Kernel>(new ScatterNDKernel(red));
        },
        scatter_supports));
    registry.add(make_def("ScatterElements", 11, 1 << 30, copyable_types(), make_scatter_elements, scatter_supports));
    registry.add(make_def("Scatter", 9, 10, copyable_types(), make_scatter_elements, index_input1));
    registry.add(make_def(
        "OneHot", 9, 1 << 30, {},
        [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(new OneHotKernel(ctx.node.attr_int("axis", -1)));
        },
        [](const CreateContext& ctx) -> std::string {
            for (size_t i = 0; i < 2 && i < ctx.input_types.size(); ++i) {
                DataType t = ctx.input_types[i];
                if (t != DataType::kUndefined && t != DataType::kFloat16 && !dispatch_numeric(t, [](auto) {}))
                    return "OneHot input " + std::to_string(i) + " of type " + std::string(dtype_name(t)) +
                           " is not supported";
            }
            return "";
        }));
}

}  // namespace edgeinfer::kernels::cpu

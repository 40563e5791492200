// Kernels: Transpose, Concat, Split, Slice, Tile, Pad, CenterCropPad, DepthToSpace, SpaceToDepth (data movement,
// any dtype), and the StridedCopy they share with tensor_shape.cpp. Transpose, Slice, Tile, DepthToSpace and
// SpaceToDepth are one strided copy each; where it gathers (innermost stride not 1) and oneDNN has a jit reorder for
// it, the reorder runs instead of StridedCopy's loops (CopyState).
#include "kernels/cpu/tensor_copy.hpp"

#include <array>
#include <limits>

#include "kernels/cpu/common.hpp"
#include "kernels/cpu/onednn_util.hpp"

namespace edgeinfer::kernels::cpu {

// ---------------------------------------------------------------------------------------------
// StridedCopy

namespace {

constexpr int kMaxCopyRank = 32;  // after merging; kernels reject inputs of rank > kMaxInputRank
constexpr int64_t kMaxInputRank = 16;
constexpr int64_t kTile = 32;

struct Bytes16 {
    uint64_t lo, hi;
};

// dst[r, c] = src[r + c * col_stride] for an R x C tile of a batched 2-D transpose.
template <typename T>
void transpose_tile(const T* src, T* dst, int64_t r0, int64_t r1, int64_t c0, int64_t c1, int64_t cols,
                    int64_t col_stride) {
    for (int64_t r = r0; r < r1; ++r) {
        T* d = dst + r * cols;
        const T* s = src + r;
        for (int64_t c = c0; c < c1; ++c) d[c] = s[c * col_stride];
    }
}

template <typename T>
void strided_copy_typed(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides, int64_t numel,
                        const T* src, T* dst) {
    const int rank = static_cast<int>(dims.size());
    if (rank == 0) {
        dst[0] = src[0];
        return;
    }
    const int64_t inner = dims[rank - 1];
    const int64_t inner_stride = strides[rank - 1];
    // Batched 2-D transpose (NCHW <-> NHWC, matrix transposes): cache-blocked tiles.
    if (rank >= 2 && inner_stride != 1 && inner_stride != 0 && strides[rank - 2] == 1 && inner >= 8 &&
        dims[rank - 2] >= 8) {
        const int64_t rows = dims[rank - 2];
        const int64_t row_tiles = (rows + kTile - 1) / kTile;
        const int64_t col_tiles = (inner + kTile - 1) / kTile;
        const int64_t batch = numel / (rows * inner);
        const int outer_rank = rank - 2;
        parallel_for(
            batch * row_tiles * col_tiles,
            [&](int64_t begin, int64_t end) {
                for (int64_t u = begin; u < end; ++u) {
                    const int64_t batch_index = u / (row_tiles * col_tiles);
                    const int64_t rt = (u / col_tiles) % row_tiles;
                    const int64_t ct = u % col_tiles;
                    int64_t off = 0;
                    for (int64_t j = outer_rank - 1, rem = batch_index; j >= 0; --j) {
                        off += (rem % dims[j]) * strides[j];
                        rem /= dims[j];
                    }
                    transpose_tile(src + off, dst + batch_index * rows * inner, rt * kTile,
                                   std::min(rows, (rt + 1) * kTile), ct * kTile, std::min(inner, (ct + 1) * kTile),
                                   inner, inner_stride);
                }
            },
            16);
        return;
    }
    // Batched 2-D transpose with a short inner dim (NCHW -> NHWC of an image, C < 8): gather the
    // few channels of each pixel; the rows walk memory contiguously.
    if (rank >= 2 && inner_stride != 1 && inner_stride != 0 && strides[rank - 2] == 1 && inner < 8) {
        const int64_t rows = dims[rank - 2];
        const int64_t batch = numel / (rows * inner);
        const int outer_rank = rank - 2;
        constexpr int64_t kChunk = 4096;
        const int64_t chunks = (rows + kChunk - 1) / kChunk;
        parallel_for(
            batch * chunks,
            [&](int64_t begin, int64_t end) {
                for (int64_t u = begin; u < end; ++u) {
                    const int64_t batch_index = u / chunks, r0 = (u % chunks) * kChunk;
                    const int64_t r1 = std::min(rows, r0 + kChunk);
                    int64_t off = 0;
                    for (int64_t j = outer_rank - 1, rem = batch_index; j >= 0; --j) {
                        off += (rem % dims[j]) * strides[j];
                        rem /= dims[j];
                    }
                    const T* s = src + off;
                    T* d = dst + batch_index * rows * inner;
                    for (int64_t r = r0; r < r1; ++r)
                        for (int64_t c = 0; c < inner; ++c) d[r * inner + c] = s[r + c * inner_stride];
                }
            },
            1);
        return;
    }
    // General case: one output row (the innermost dim) at a time, odometer over the outer dims.
    const int64_t rows = numel / inner;
    const int outer_rank = rank - 1;
    parallel_for(
        rows,
        [&](int64_t begin, int64_t end) {
            std::array<int64_t, kMaxCopyRank> coord{};
            int64_t off = 0;
            int64_t rem = begin;
            for (int j = outer_rank - 1; j >= 0; --j) {
                coord[j] = rem % dims[j];
                rem /= dims[j];
                off += coord[j] * strides[j];
            }
            for (int64_t row = begin; row < end; ++row) {
                T* d = dst + row * inner;
                const T* s = src + off;
                if (inner_stride == 1) {
                    std::memcpy(d, s, static_cast<size_t>(inner) * sizeof(T));
                } else if (inner_stride == 0) {
                    std::fill(d, d + inner, *s);
                } else {
                    for (int64_t i = 0; i < inner; ++i) d[i] = s[i * inner_stride];
                }
                for (int j = outer_rank - 1; j >= 0; --j) {
                    off += strides[j];
                    if (++coord[j] < dims[j]) break;
                    off -= strides[j] * dims[j];
                    coord[j] = 0;
                }
            }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(inner, 1)));
}

}  // namespace

StridedCopy::StridedCopy(std::vector<int64_t> dims, std::vector<int64_t> strides, int64_t offset, size_t elem_size)
    : offset_(offset), numel_(shape_numel(dims)), elem_size_(elem_size) {
    for (size_t i = 0; i < dims.size(); ++i) {
        if (dims[i] == 1) continue;
        // Merge with the previous (outer) dim when together they walk memory as one dim.
        if (!dims_.empty() && strides_.back() == strides[i] * dims[i]) {
            dims_.back() *= dims[i];
            strides_.back() = strides[i];
        } else {
            dims_.push_back(dims[i]);
            strides_.push_back(strides[i]);
        }
    }
    EDGEINFER_CHECK(dims_.size() <= static_cast<size_t>(kMaxCopyRank), "StridedCopy rank too large");
}

void StridedCopy::run(const void* src, void* dst) const {
    if (numel_ == 0) return;
    switch (elem_size_) {
        case 1:
            strided_copy_typed(dims_, strides_, numel_, static_cast<const uint8_t*>(src) + offset_,
                               static_cast<uint8_t*>(dst));
            break;
        case 2:
            strided_copy_typed(dims_, strides_, numel_, static_cast<const uint16_t*>(src) + offset_,
                               static_cast<uint16_t*>(dst));
            break;
        case 4:
            strided_copy_typed(dims_, strides_, numel_, static_cast<const uint32_t*>(src) + offset_,
                               static_cast<uint32_t*>(dst));
            break;
        case 8:
            strided_copy_typed(dims_, strides_, numel_, static_cast<const uint64_t*>(src) + offset_,
                               static_cast<uint64_t*>(dst));
            break;
        case 16:
            strided_copy_typed(dims_, strides_, numel_, static_cast<const Bytes16*>(src) + offset_,
                               static_cast<Bytes16*>(dst));
            break;
        default:
            EDGEINFER_CHECK(false, "StridedCopy: unsupported element size");
    }
}

namespace {

// Every dtype with a fixed element size (all but strings).
const std::vector<DataType>& copyable_types() {
    static const std::vector<DataType> v{
        DataType::kFloat32, DataType::kUInt8,  DataType::kInt8,      DataType::kUInt16,     DataType::kInt16,
        DataType::kInt32,   DataType::kInt64,  DataType::kBool,      DataType::kFloat16,    DataType::kFloat64,
        DataType::kUInt32,  DataType::kUInt64, DataType::kComplex64, DataType::kComplex128, DataType::kBFloat16};
    return v;
}

std::string list_to_string(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

Status check_rank(const PrepareContext& ctx, int64_t rank) {
    if (rank > kMaxInputRank)
        return ctx.unsupported_here("input rank " + std::to_string(rank) + " exceeds the supported maximum of " +
                                    std::to_string(kMaxInputRank));
    return Status::ok();
}

// Reads the int values of input i: false (and defer) when not known yet.
Status read_input_ints(PrepareContext& ctx, size_t i, const char* what, std::vector<int64_t>& out, bool& known) {
    known = false;
    const Tensor* t = ctx.value(i);
    if (t == nullptr) return Status::ok();
    if (t->rank() > 1) return ctx.invalid(std::string(what) + " must be 1-D, got shape " + shape_to_string(t->dims()));
    if (!read_int_values(*t, out))
        return ctx.invalid(std::string(what) + " must be int32 or int64, got " + std::string(dtype_name(t->dtype())));
    known = true;
    return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// The copy state of Transpose, Slice, Tile, DepthToSpace and SpaceToDepth.

// A copy that gathers (innermost stride not 1) runs as a oneDNN reorder where oneDNN has a jit kernel for it: 2-4x
// faster than StridedCopy's loops on NCHW <-> NHWC and the layout transposes the channels-last pass inserts
// (bench/RESULTS.md, session 10). Elements move as bytes (u8) or 32-bit integers (s32), so every bit pattern is
// copied as is; 2-, 8- and 16-byte elements get one more, innermost dim of 2, 2 or 4 units.
struct CopyState : KernelState {
    StridedCopy copy;
    BoundPrimitive reorder;  // empty: `copy` runs
};

constexpr int64_t kMinReorderBytes = 16 * 1024;  // below this a oneDNN call costs more than the loops

// The reorder doing `copy`'s gather, or an empty one (a plain row copy, too small, strides oneDNN cannot describe,
// or no jit kernel: then the loops are as good). `impl` receives oneDNN's implementation name.
BoundPrimitive gather_reorder(const StridedCopy& copy, std::string& impl) {
    const std::vector<int64_t>& dims = copy.dims();
    const std::vector<int64_t>& strides = copy.strides();
    const size_t es = copy.elem_size();
    if (dims.empty() || strides.back() == 1 || copy.numel() * static_cast<int64_t>(es) < kMinReorderBytes) return {};
    for (int64_t s : strides)
        if (s <= 0) return {};  // broadcast or reversed: oneDNN memory descriptors have positive strides
    const bool words = es % 4 == 0;
    if (!words && es > 2) return {};
    const int64_t units = static_cast<int64_t>(words ? es / 4 : es);  // s32 or u8 units per element
    std::vector<int64_t> d = dims, s;
    for (int64_t v : strides) s.push_back(v * units);
    if (units > 1) {
        d.push_back(units);
        s.push_back(1);
    }
    if (d.size() > DNNL_MAX_NDIMS) return {};
    const auto type = words ? dnnl::memory::data_type::s32 : dnnl::memory::data_type::u8;
    try {
        const dnnl::memory::desc from(to_dnnl_dims(d), type, to_dnnl_dims(s));
        const dnnl::memory::desc to(to_dnnl_dims(d), type, to_dnnl_dims(strides_of(d)));
        auto& eng = onednn_engine();
        dnnl::reorder::primitive_desc pd(eng, from, eng, to, user_scratch_attr());
        const char* name = pd.impl_info_str();
        if (pd.scratchpad_desc().get_size() != 0 || name == nullptr || std::string(name).rfind("jit", 0) != 0)
            return {};
        impl = name;
        BoundPrimitive r{dnnl::reorder(pd)};
        r.arg(DNNL_ARG_FROM, from);
        r.arg(DNNL_ARG_TO, to);
        return r;
    } catch (const dnnl::error&) {
        return {};
    }
}

// Sets `copy` (with its reorder where one serves) as the node's state.
void set_copy(PrepareContext& ctx, StridedCopy copy) {
    auto st = std::make_unique<CopyState>();
    st->copy = std::move(copy);
    std::string impl;
    st->reorder = gather_reorder(st->copy, impl);
    if (st->reorder) ctx.set_implementation("onednn:reorder:" + impl);
    ctx.set_state(std::move(st));
}

Status run_strided(const RunContext& ctx) {
    if (ctx.out(0).numel() == 0) return Status::ok();
    const auto& st = ctx.state_as<CopyState>();
    if (!st.reorder) {
        st.copy.run(ctx.in(0).data(), ctx.out(0).data());
        return Status::ok();
    }
    const void* src = static_cast<const char*>(ctx.in(0).data()) + st.copy.offset() * st.copy.elem_size();
    return onednn_guard(*ctx.label, [&]() {
        st.reorder.execute({{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, ctx.out(0).data()}});
        return Status::ok();
    });
}

// ---------------------------------------------------------------------------------------------
// Transpose

class TransposeKernel : public Kernel {
  public:
    explicit TransposeKernel(std::vector<int64_t> perm) : perm_(std::move(perm)) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(in.dims.size());
        EDGEINFER_RETURN_IF_ERROR(check_rank(ctx, rank));
        std::vector<int64_t> perm = perm_;
        if (perm.empty())
            for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
        if (static_cast<int64_t>(perm.size()) != rank)
            return ctx.invalid("perm " + list_to_string(perm_) + " has " + std::to_string(perm.size()) +
                               " entries but the input has rank " + std::to_string(rank));
        std::vector<bool> seen(rank, false);
        for (int64_t& p : perm) {
            if (!normalize_axis(p, rank) || seen[p])
                return ctx.invalid("perm " + list_to_string(perm_) + " is not a permutation of 0.." +
                                   std::to_string(rank - 1));
            seen[p] = true;
        }
        std::vector<int64_t> in_strides = strides_of(in.dims);
        std::vector<int64_t> out_dims(rank), strides(rank);
        for (int64_t i = 0; i < rank; ++i) {
            out_dims[i] = in.dims[perm[i]];
            strides[i] = in_strides[perm[i]];
        }
        set_copy(ctx, StridedCopy(out_dims, strides, 0, dtype_size(in.dtype)));
        ctx.set_output(0, in.dtype, out_dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override { return run_strided(ctx); }

  private:
    std::vector<int64_t> perm_;
};

// ---------------------------------------------------------------------------------------------
// Concat

struct ConcatState : KernelState {
    int64_t outer = 0;
    size_t out_row_bytes = 0;
    std::vector<size_t> chunk_bytes;  // per input: bytes of one outer row
    std::vector<size_t> col_offset;   // per input: byte offset within an output row
};

class ConcatKernel : public Kernel {
  public:
    explicit ConcatKernel(int64_t axis) : axis_(axis) {}

    Status prepare(PrepareContext& ctx) const override {
        if (ctx.num_inputs() == 0) return ctx.invalid("needs at least one input");
        const auto& first = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(first.dims.size());
        int64_t axis = axis_;
        if (rank == 0) return ctx.invalid("cannot concatenate scalars");
        if (!normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        std::vector<int64_t> out_dims = first.dims;
        out_dims[axis] = 0;
        auto state = std::make_unique<ConcatState>();
        const size_t esize = dtype_size(first.dtype);
        int64_t inner = 1;
        for (int64_t d = axis + 1; d < rank; ++d) inner *= first.dims[d];
        state->outer = 1;
        for (int64_t d = 0; d < axis; ++d) state->outer *= first.dims[d];
        for (size_t k = 0; k < ctx.num_inputs(); ++k) {
            const auto& in = ctx.input(k);
            if (!ctx.has_input(k)) return ctx.invalid("input " + std::to_string(k) + " is missing");
            if (in.dtype != first.dtype)
                return ctx.invalid("input " + std::to_string(k) + " has type " + std::string(dtype_name(in.dtype)) +
                                   ", input 0 has " + std::string(dtype_name(first.dtype)));
            bool ok = static_cast<int64_t>(in.dims.size()) == rank;
            for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || in.dims[d] == first.dims[d];
            if (!ok)
                return ctx.invalid("input " + std::to_string(k) + " has shape " + shape_to_string(in.dims) +
                                   ", incompatible with input 0 shape " + shape_to_string(first.dims) + " along axis " +
                                   std::to_string(axis));
            state->col_offset.push_back(static_cast<size_t>(out_dims[axis] * inner) * esize);
            state->chunk_bytes.push_back(static_cast<size_t>(in.dims[axis] * inner) * esize);
            out_dims[axis] += in.dims[axis];
        }
        state->out_row_bytes = static_cast<size_t>(out_dims[axis] * inner) * esize;
        ctx.set_output(0, first.dtype, out_dims);
        ctx.set_state(std::move(state));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<ConcatState>();
        if (st.out_row_bytes == 0 || st.outer == 0) return Status::ok();
        auto* dst = static_cast<uint8_t*>(ctx.out(0).data());
        const size_t n = st.chunk_bytes.size();
        parallel_for(
            st.outer,
            [&](int64_t begin, int64_t end) {
                for (int64_t o = begin; o < end; ++o) {
                    uint8_t* row = dst + static_cast<size_t>(o) * st.out_row_bytes;
                    for (size_t k = 0; k < n; ++k) {
                        if (st.chunk_bytes[k] == 0) continue;
                        const auto* src = static_cast<const uint8_t*>(ctx.in(k).data());
                        std::memcpy(row + st.col_offset[k], src + static_cast<size_t>(o) * st.chunk_bytes[k],
                                    st.chunk_bytes[k]);
                    }
                }
            },
            std::max<int64_t>(1, 65536 / static_cast<int64_t>(st.out_row_bytes)));
        return Status::ok();
    }

  private:
    int64_t axis_;
};

// ---------------------------------------------------------------------------------------------
// Split

struct SplitState : KernelState {
    int64_t outer = 0;
    size_t in_row_bytes = 0;
    std::vector<size_t> chunk_bytes;
    std::vector<size_t> col_offset;
};

class SplitKernel : public Kernel {
  public:
    // split_input: index of the input holding the split sizes (-1: attribute or none).
    // uneven_last: opset 18's num_outputs, whose last part may be smaller (parts of ceil(dim / n)).
    SplitKernel(int64_t axis, std::vector<int64_t> split, int split_input, bool uneven_last = false)
        : axis_(axis), split_(std::move(split)), split_input_(split_input), uneven_last_(uneven_last) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(in.dims.size());
        int64_t axis = axis_;
        if (!normalize_axis(axis, rank))
            return ctx.invalid("axis " + std::to_string(axis_) + " is out of range for rank " + std::to_string(rank));
        std::vector<int64_t> split = split_;
        if (split_input_ >= 0 && ctx.has_input(split_input_)) {
            bool known = false;
            EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, split_input_, "split", split, known));
            if (!known) return ctx.defer();
        }
        const int64_t n = static_cast<int64_t>(ctx.num_outputs());
        const int64_t dim = in.dims[axis];
        if (split.empty() && uneven_last_ && dim % n != 0) {
            const int64_t part = (dim + n - 1) / n;
            if (part * (n - 1) >= dim)
                return ctx.invalid("axis " + std::to_string(axis) + " of size " + std::to_string(dim) +
                                   " leaves the last of num_outputs=" + std::to_string(n) + " parts of " +
                                   std::to_string(part) + " empty or negative");
            split.assign(n, part);
            split.back() = dim - part * (n - 1);
        }
        if (split.empty()) {
            if (dim % n != 0)
                return ctx.invalid("axis " + std::to_string(axis) + " of size " + std::to_string(dim) +
                                   " cannot be split evenly into " + std::to_string(n) + " outputs");
            split.assign(n, dim / n);
        }
        if (static_cast<int64_t>(split.size()) != n)
            return ctx.invalid("split " + list_to_string(split) + " has " + std::to_string(split.size()) +
                               " entries for " + std::to_string(n) + " outputs");
        int64_t total = 0;
        for (int64_t s : split) {
            if (s < 0) return ctx.invalid("split " + list_to_string(split) + " has a negative size");
            total += s;
        }
        if (total != dim)
            return ctx.invalid("split " + list_to_string(split) + " sums to " + std::to_string(total) + " but axis " +
                               std::to_string(axis) + " of input shape " + shape_to_string(in.dims) + " has size " +
                               std::to_string(dim));
        auto state = std::make_unique<SplitState>();
        const size_t esize = dtype_size(in.dtype);
        int64_t inner = 1;
        for (int64_t d = axis + 1; d < rank; ++d) inner *= in.dims[d];
        state->outer = 1;
        for (int64_t d = 0; d < axis; ++d) state->outer *= in.dims[d];
        state->in_row_bytes = static_cast<size_t>(dim * inner) * esize;
        int64_t offset = 0;
        for (int64_t k = 0; k < n; ++k) {
            std::vector<int64_t> out_dims = in.dims;
            out_dims[axis] = split[k];
            ctx.set_output(k, in.dtype, out_dims);
            state->col_offset.push_back(static_cast<size_t>(offset * inner) * esize);
            state->chunk_bytes.push_back(static_cast<size_t>(split[k] * inner) * esize);
            offset += split[k];
        }
        ctx.set_state(std::move(state));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        const auto& st = ctx.state_as<SplitState>();
        if (st.in_row_bytes == 0 || st.outer == 0) return Status::ok();
        const auto* src = static_cast<const uint8_t*>(ctx.in(0).data());
        const size_t n = st.chunk_bytes.size();
        parallel_for(
            st.outer,
            [&](int64_t begin, int64_t end) {
                for (size_t k = 0; k < n; ++k) {
                    if (st.chunk_bytes[k] == 0 || ctx.outputs[k] == nullptr) continue;
                    auto* dst = static_cast<uint8_t*>(ctx.out(k).data());
                    for (int64_t o = begin; o < end; ++o)
                        std::memcpy(dst + static_cast<size_t>(o) * st.chunk_bytes[k],
                                    src + static_cast<size_t>(o) * st.in_row_bytes + st.col_offset[k],
                                    st.chunk_bytes[k]);
                }
            },
            std::max<int64_t>(1, 65536 / static_cast<int64_t>(st.in_row_bytes)));
        return Status::ok();
    }

  private:
    int64_t axis_;
    std::vector<int64_t> split_;
    int split_input_;
    bool uneven_last_ = false;
};

// ---------------------------------------------------------------------------------------------
// Slice

class SliceKernel : public Kernel {
  public:
    // Opset < 10: starts/ends/axes from attributes (attr_mode); otherwise from inputs 1..4.
    SliceKernel(bool attr_mode, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes)
        : attr_mode_(attr_mode), starts_(std::move(starts)), ends_(std::move(ends)), axes_(std::move(axes)) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(in.dims.size());
        EDGEINFER_RETURN_IF_ERROR(check_rank(ctx, rank));
        std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
        if (!attr_mode_) {
            const char* names[] = {"starts", "ends", "axes", "steps"};
            std::vector<int64_t>* dst[] = {&starts, &ends, &axes, &steps};
            for (size_t i = 1; i <= 4; ++i) {
                if (!ctx.has_input(i)) {
                    if (i <= 2) return ctx.invalid(std::string("input '") + names[i - 1] + "' is required");
                    continue;
                }
                bool known = false;
                EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, i, names[i - 1], *dst[i - 1], known));
                if (!known) return ctx.defer();
            }
        }
        const size_t n = starts.size();
        if (ends.size() != n)
            return ctx.invalid("starts " + list_to_string(starts) + " and ends " + list_to_string(ends) +
                               " differ in length");
        if (axes.empty())
            for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
        if (steps.empty()) steps.assign(n, 1);
        if (axes.size() != n || steps.size() != n)
            return ctx.invalid("starts, ends, axes and steps must have the same length (got " + std::to_string(n) +
                               ", " + std::to_string(ends.size()) + ", " + std::to_string(axes.size()) + ", " +
                               std::to_string(steps.size()) + ")");
        std::vector<int64_t> out_dims = in.dims;
        std::vector<int64_t> in_strides = strides_of(in.dims);
        std::vector<int64_t> strides = in_strides;
        std::vector<bool> seen(rank, false);
        int64_t offset = 0;
        for (size_t i = 0; i < n; ++i) {
            int64_t axis = axes[i];
            if (!normalize_axis(axis, rank) || seen[axis])
                return ctx.invalid("axes " + list_to_string(axes) + " are out of range or repeated for rank " +
                                   std::to_string(rank));
            seen[axis] = true;
            const int64_t step = steps[i];
            if (step == 0) return ctx.invalid("steps must not be 0");
            const int64_t dim = in.dims[axis];
            int64_t start = starts[i], end = ends[i];
            if (start < 0) start += dim;
            if (end < 0) end += dim;
            int64_t count = 0;
            if (step > 0) {
                start = std::clamp<int64_t>(start, 0, dim);
                end = std::clamp<int64_t>(end, 0, dim);
                if (end > start) count = (end - start + step - 1) / step;
            } else if (dim > 0) {
                start = std::clamp<int64_t>(start, 0, dim - 1);
                end = std::clamp<int64_t>(end, -1, dim - 1);
                if (start > end) count = (start - end + (-step) - 1) / (-step);
            }
            out_dims[axis] = count;
            strides[axis] = in_strides[axis] * step;
            if (count > 0) offset += start * in_strides[axis];
        }
        set_copy(ctx, StridedCopy(out_dims, strides, offset, dtype_size(in.dtype)));
        ctx.set_output(0, in.dtype, out_dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override { return run_strided(ctx); }

  private:
    bool attr_mode_;
    std::vector<int64_t> starts_, ends_, axes_;
};

// ---------------------------------------------------------------------------------------------
// Tile

class TileKernel : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(in.dims.size());
        EDGEINFER_RETURN_IF_ERROR(check_rank(ctx, rank));
        std::vector<int64_t> repeats;
        bool known = false;
        EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 1, "repeats", repeats, known));
        if (!known) return ctx.defer();
        if (static_cast<int64_t>(repeats.size()) != rank)
            return ctx.invalid("repeats " + list_to_string(repeats) + " has " + std::to_string(repeats.size()) +
                               " entries for input shape " + shape_to_string(in.dims));
        // Output dim i of size r*d is walked as (r, d): stride 0 over the repeats.
        std::vector<int64_t> in_strides = strides_of(in.dims);
        std::vector<int64_t> out_dims, view_dims, view_strides;
        for (int64_t i = 0; i < rank; ++i) {
            if (repeats[i] < 0) return ctx.invalid("repeats " + list_to_string(repeats) + " has a negative entry");
            out_dims.push_back(in.dims[i] * repeats[i]);
            view_dims.insert(view_dims.end(), {repeats[i], in.dims[i]});
            view_strides.insert(view_strides.end(), {0, in_strides[i]});
        }
        set_copy(ctx, StridedCopy(view_dims, view_strides, 0, dtype_size(in.dtype)));
        ctx.set_output(0, in.dtype, out_dims);
        return Status::ok();
    }

    Status run(RunContext& ctx) const override { return run_strided(ctx); }
};

// ---------------------------------------------------------------------------------------------
// Pad

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

// Input coordinate read for output coordinate i (already shifted by the begin pad); -1: the constant.
inline int64_t pad_source(PadMode mode, int64_t i, int64_t d) {
    if (i >= 0 && i < d) return i;
    switch (mode) {
        case PadMode::kConstant:
            return -1;
        case PadMode::kEdge:
            return i < 0 ? 0 : d - 1;
        case PadMode::kWrap:
            return ((i % d) + d) % d;
        case PadMode::kReflect: {
            if (d == 1) return 0;
            int64_t p = 2 * (d - 1);
            int64_t m = ((i % p) + p) % p;
            return m >= d ? p - m : m;
        }
    }
    return -1;
}

// Negative pads crop first; the non-constant modes then pad what remains (ONNX's reference: wrap and
// reflect see the cropped axis). Per axis: `begin` the signed begin pad, `crop` the elements cropped at
// the start, `kept` the length left after cropping both ends.
struct PadState : KernelState {
    std::vector<int64_t> in_dims, out_dims, in_strides, begin, crop, kept;
    size_t esize = 0;

    // Input coordinate along axis j for output coordinate o; -1: the constant.
    int64_t source(PadMode mode, size_t j, int64_t o) const {
        const int64_t i = pad_source(mode, o - std::max<int64_t>(begin[j], 0), kept[j]);
        return i < 0 ? -1 : i + crop[j];
    }
};

class PadKernel : public Kernel {
  public:
    // Opset < 11: pads and value from attributes; otherwise inputs 1 (pads), 2 (value), 3 (axes).
    PadKernel(PadMode mode, bool attr_mode, std::vector<int64_t> pads, float value)
        : mode_(mode), attr_mode_(attr_mode), pads_(std::move(pads)), value_(value) {}
    // CenterCropPad-18: input 1 is the target shape of `axes` (all axes when empty); each axis is cropped
    // or zero-padded around its centre (the extra element of an odd difference goes to the end).
    static PadKernel center_crop_pad(std::vector<int64_t> axes) {
        PadKernel k(PadMode::kConstant, false, {}, 0.0f);
        k.center_crop_ = true;
        k.center_axes_ = std::move(axes);
        return k;
    }

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        const int64_t rank = static_cast<int64_t>(in.dims.size());
        EDGEINFER_RETURN_IF_ERROR(check_rank(ctx, rank));
        std::vector<int64_t> pads = pads_, axes;
        if (center_crop_) {
            bool known = false;
            std::vector<int64_t> shape;
            EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 1, "shape", shape, known));
            if (!known) return ctx.defer();
            axes = center_axes_;
            if (axes.empty())
                for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
            if (shape.size() != axes.size())
                return ctx.invalid("shape " + list_to_string(shape) + " must have one value per axis of " +
                                   list_to_string(axes));
            pads.assign(2 * axes.size(), 0);
            for (size_t k = 0; k < axes.size(); ++k) {
                int64_t axis = axes[k];
                if (!normalize_axis(axis, rank))
                    return ctx.invalid("axes " + list_to_string(axes) + " are out of range for rank " +
                                       std::to_string(rank));
                if (shape[k] < 0) return ctx.invalid("shape " + list_to_string(shape) + " has a negative size");
                const int64_t diff = shape[k] - in.dims[axis];  // > 0 pads, < 0 crops
                const int64_t half = (diff < 0 ? -((-diff) / 2) : diff / 2);
                pads[k] = half;
                pads[k + axes.size()] = diff - half;
            }
        } else if (!attr_mode_) {
            bool known = false;
            EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 1, "pads", pads, known));
            if (!known) return ctx.defer();
            if (ctx.has_input(3)) {
                EDGEINFER_RETURN_IF_ERROR(read_input_ints(ctx, 3, "axes", axes, known));
                if (!known) return ctx.defer();
            }
            if (ctx.has_input(2)) {
                const auto& v = ctx.input(2);
                if (v.dtype != in.dtype)
                    return ctx.invalid("constant_value has type " + std::string(dtype_name(v.dtype)) +
                                       ", the input has " + std::string(dtype_name(in.dtype)));
                if (shape_numel(v.dims) != 1)
                    return ctx.invalid("constant_value must hold one value, got shape " + shape_to_string(v.dims));
            }
        }
        if (axes.empty())
            for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
        const int64_t n = static_cast<int64_t>(axes.size());
        if (static_cast<int64_t>(pads.size()) != 2 * n)
            return ctx.invalid("pads " + list_to_string(pads) + " must have " + std::to_string(2 * n) +
                               " entries for input shape " + shape_to_string(in.dims));
        auto state = std::make_unique<PadState>();
        state->in_dims = in.dims;
        state->out_dims = in.dims;
        state->begin.assign(rank, 0);
        state->crop.assign(rank, 0);
        state->kept = in.dims;
        state->in_strides = strides_of(in.dims);
        state->esize = dtype_size(in.dtype);
        std::vector<bool> seen(rank, false);
        for (int64_t k = 0; k < n; ++k) {
            int64_t axis = axes[k];
            if (!normalize_axis(axis, rank) || seen[axis])
                return ctx.invalid("axes " + list_to_string(axes) + " are out of range or repeated for rank " +
                                   std::to_string(rank));
            seen[axis] = true;
            const int64_t b = pads[k], e = pads[k + n], d = in.dims[axis];
            state->begin[axis] = b;
            state->out_dims[axis] = d + b + e;
            state->crop[axis] = std::max<int64_t>(-b, 0);
            state->kept[axis] = std::max<int64_t>(d - state->crop[axis] - std::max<int64_t>(-e, 0), 0);
            if (d + b + e < 0)
                return ctx.invalid("pads " + list_to_string(pads) + " remove more than axis " + std::to_string(axis) +
                                   " of input shape " + shape_to_string(in.dims) + " holds");
            if (mode_ != PadMode::kConstant && state->kept[axis] == 0 && d + b + e > 0)
                return ctx.invalid("cannot pad the empty axis " + std::to_string(axis) + " in non-constant mode");
        }
        ctx.set_output(0, in.dtype, state->out_dims);
        ctx.set_state(std::move(state));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override;

  private:
    PadMode mode_;
    bool attr_mode_;
    std::vector<int64_t> pads_;
    float value_;
    bool center_crop_ = false;
    std::vector<int64_t> center_axes_;
};

// The constant of opsets < 11 (a float attribute) converted to the element type.
void pad_value_bytes(DataType dtype, float value, uint8_t* out) {
    dispatch_numeric(dtype, [&](auto t) {
        using T = decltype(t);
        T v = static_cast<T>(value);
        std::memcpy(out, &v, sizeof(T));
    });
}

Status PadKernel::run(RunContext& ctx) const {
    const auto& st = ctx.state_as<PadState>();
    Tensor& out = ctx.out(0);
    if (out.numel() == 0) return Status::ok();
    const size_t es = st.esize;
    alignas(16) uint8_t cval[16] = {};
    if (attr_mode_) {
        pad_value_bytes(out.dtype(), value_, cval);
    } else if (ctx.has_in(2)) {
        std::memcpy(cval, ctx.in(2).data(), es);
    }
    const auto* src = static_cast<const uint8_t*>(ctx.in(0).data());
    auto* dst = static_cast<uint8_t*>(out.data());
    const int rank = static_cast<int>(st.out_dims.size());
    if (rank == 0) {
        std::memcpy(dst, src, es);
        return Status::ok();
    }
    const int last = rank - 1;
    const int64_t out_inner = st.out_dims[last], in_inner = st.in_dims[last], b = st.begin[last];
    const int64_t rows = out.numel() / out_inner;
    const PadMode mode = mode_;
    // Output positions [lo, hi) of a row read the input row directly.
    const int64_t lo = std::clamp<int64_t>(b, 0, out_inner);
    const int64_t hi = std::clamp<int64_t>(b + in_inner, lo, out_inner);
    parallel_for(
        rows,
        [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) {
                uint8_t* d = dst + static_cast<size_t>(r * out_inner) * es;
                int64_t rem = r, src_off = 0;
                bool constant_row = false;
                for (int j = last - 1; j >= 0; --j) {
                    int64_t o = rem % st.out_dims[j];
                    rem /= st.out_dims[j];
                    int64_t i = st.source(mode, static_cast<size_t>(j), o);
                    if (i < 0) {
                        constant_row = true;
                        break;
                    }
                    src_off += i * st.in_strides[j];
                }
                if (constant_row) {
                    for (int64_t k = 0; k < out_inner; ++k) std::memcpy(d + k * es, cval, es);
                    continue;
                }
                const uint8_t* s = src + static_cast<size_t>(src_off) * es;
                if (hi > lo) std::memcpy(d + lo * es, s + (lo - b) * es, static_cast<size_t>(hi - lo) * es);
                auto edge = [&](int64_t k) {
                    int64_t i = st.source(mode, static_cast<size_t>(last), k);
                    std::memcpy(d + k * es, i < 0 ? cval : s + i * es, es);
                };
                for (int64_t k = 0; k < lo; ++k) edge(k);
                for (int64_t k = hi; k < out_inner; ++k) edge(k);
            }
        },
        std::max<int64_t>(1, 16384 / std::max<int64_t>(out_inner, 1)));
    return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// DepthToSpace / SpaceToDepth

class DepthToSpaceKernel : public Kernel {
  public:
    DepthToSpaceKernel(int64_t block, bool crd) : block_(block), crd_(crd) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        if (in.dims.size() != 4) return ctx.invalid("input must be 4-D NCHW, got " + shape_to_string(in.dims));
        const int64_t b = block_, n = in.dims[0], c = in.dims[1], h = in.dims[2], w = in.dims[3];
        if (c % (b * b) != 0)
            return ctx.invalid("channels " + std::to_string(c) +
                               " are not divisible by blocksize^2 = " + std::to_string(b * b));
        const int64_t oc = c / (b * b), hw = h * w;
        // Output viewed as [N, C', H, b1, W, b2].
        std::vector<int64_t> dims{n, oc, h, b, w, b};
        std::vector<int64_t> strides = crd_ ? std::vector<int64_t>{c * hw, b * b * hw, w, b * hw, 1, hw}
                                            : std::vector<int64_t>{c * hw, hw, w, b * oc * hw, 1, oc * hw};
        set_copy(ctx, StridedCopy(dims, strides, 0, dtype_size(in.dtype)));
        ctx.set_output(0, in.dtype, {n, oc, h * b, w * b});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override { return run_strided(ctx); }

  private:
    int64_t block_;
    bool crd_;
};

class SpaceToDepthKernel : public Kernel {
  public:
    explicit SpaceToDepthKernel(int64_t block) : block_(block) {}

    Status prepare(PrepareContext& ctx) const override {
        const auto& in = ctx.input(0);
        if (in.dims.size() != 4) return ctx.invalid("input must be 4-D NCHW, got " + shape_to_string(in.dims));
        const int64_t b = block_, n = in.dims[0], c = in.dims[1], h = in.dims[2], w = in.dims[3];
        if (h % b != 0 || w % b != 0)
            return ctx.invalid("spatial dims " + std::to_string(h) + "x" + std::to_string(w) +
                               " are not divisible by blocksize " + std::to_string(b));
        // Output viewed as [N, b1, b2, C, H', W']: channel (b1 * b + b2) * C + c.
        std::vector<int64_t> dims{n, b, b, c, h / b, w / b};
        std::vector<int64_t> strides{c * h * w, w, 1, h * w, b * w, b};
        set_copy(ctx, StridedCopy(dims, strides, 0, dtype_size(in.dtype)));
        ctx.set_output(0, in.dtype, {n, c * b * b, h / b, w / b});
        return Status::ok();
    }

    Status run(RunContext& ctx) const override { return run_strided(ctx); }

  private:
    int64_t block_;
};

// ---------------------------------------------------------------------------------------------
// Registration

using Factory = std::function<Result<std::unique_ptr<Kernel>>(const CreateContext&)>;

KernelDef make_def(std::string op, int64_t since, int64_t end, Factory factory) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.dtypes = copyable_types();
    d.factory = std::move(factory);
    return d;
}

Result<std::unique_ptr<Kernel>> create_pad(const CreateContext& ctx) {
    const ir::Node& n = ctx.node;
    std::string mode_name = n.attr_string("mode", "constant");
    PadMode mode;
    if (mode_name == "constant") {
        mode = PadMode::kConstant;
    } else if (mode_name == "reflect") {
        mode = PadMode::kReflect;
    } else if (mode_name == "edge") {
        mode = PadMode::kEdge;
    } else if (mode_name == "wrap" && ctx.opset >= 19) {
        mode = PadMode::kWrap;
    } else {
        return ctx.invalid("unknown mode '" + mode_name + "'");
    }
    if (ctx.opset >= 11) return std::unique_ptr<Kernel>(new PadKernel(mode, false, {}, 0.0f));
    std::vector<int64_t> pads = n.attr_ints(ctx.opset < 2 ? "paddings" : "pads");
    if (pads.empty() && !n.find_attribute(ctx.opset < 2 ? "paddings" : "pads"))
        return ctx.invalid("attribute 'pads' is required");
    return std::unique_ptr<Kernel>(new PadKernel(mode, true, std::move(pads), n.attr_float("value", 0.0f)));
}

}  // namespace

void register_tensor_copy_kernels(KernelRegistry& registry) {
    registry.add(make_def("Transpose", 1, 1 << 30, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new TransposeKernel(ctx.node.attr_ints("perm")));
    }));
    registry.add(make_def("Concat", 1, 1 << 30, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        if (ctx.opset >= 4 && !ctx.node.find_attribute("axis")) return ctx.invalid("attribute 'axis' is required");
        return std::unique_ptr<Kernel>(new ConcatKernel(ctx.node.attr_int("axis", 1)));
    }));
    registry.add(make_def("Split", 1, 1 << 30, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        // Opset 1: sizes from attribute 'split' or input 1; 2..12: attribute; 13+: input 1; 18+: without
        // input 1, `num_outputs` parts of ceil(dim / num_outputs), the last one smaller.
        int split_input = ctx.opset >= 13 || ctx.opset == 1 ? 1 : -1;
        std::vector<int64_t> split = ctx.opset >= 13 ? std::vector<int64_t>{} : ctx.node.attr_ints("split");
        const bool has_num_outputs = ctx.opset >= 18 && ctx.node.find_attribute("num_outputs");
        if (has_num_outputs && ctx.node.attr_int("num_outputs", 0) != static_cast<int64_t>(ctx.node.outputs.size()))
            return ctx.invalid("attribute num_outputs=" + std::to_string(ctx.node.attr_int("num_outputs", 0)) +
                               " but the node has " + std::to_string(ctx.node.outputs.size()) + " outputs");
        return std::unique_ptr<Kernel>(
            new SplitKernel(ctx.node.attr_int("axis", 0), std::move(split), split_input, has_num_outputs));
    }));
    registry.add(make_def("Slice", 1, 9, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Node& n = ctx.node;
        if (!n.find_attribute("starts") || !n.find_attribute("ends"))
            return ctx.invalid("attributes 'starts' and 'ends' are required");
        return std::unique_ptr<Kernel>(
            new SliceKernel(true, n.attr_ints("starts"), n.attr_ints("ends"), n.attr_ints("axes")));
    }));
    registry.add(make_def("Slice", 10, 1 << 30, [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new SliceKernel(false, {}, {}, {}));
    }));
    registry.add(make_def("Tile", 6, 1 << 30, [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new TileKernel());
    }));
    registry.add(make_def("Pad", 1, 1 << 30, create_pad));
    registry.add(
        make_def("CenterCropPad", 18, 1 << 30, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
            return std::unique_ptr<Kernel>(new PadKernel(PadKernel::center_crop_pad(ctx.node.attr_ints("axes"))));
        }));
    registry.add(make_def("DepthToSpace", 1, 1 << 30, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        int64_t block = ctx.node.attr_int("blocksize", 0);
        if (block <= 0) return ctx.invalid("attribute 'blocksize' must be positive");
        std::string mode = ctx.opset >= 11 ? ctx.node.attr_string("mode", "DCR") : "DCR";
        if (mode != "DCR" && mode != "CRD") return ctx.invalid("unknown mode '" + mode + "' (expected DCR or CRD)");
        return std::unique_ptr<Kernel>(new DepthToSpaceKernel(block, mode == "CRD"));
    }));
    registry.add(make_def("SpaceToDepth", 1, 1 << 30, [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        int64_t block = ctx.node.attr_int("blocksize", 0);
        if (block <= 0) return ctx.invalid("attribute 'blocksize' must be positive");
        return std::unique_ptr<Kernel>(new SpaceToDepthKernel(block));
    }));
}

}  // namespace edgeinfer::kernels::cpu

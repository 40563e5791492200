// Shared helpers for CPU kernels: dtype dispatch, broadcasting, axis handling, OpenMP loops,
// and the process-wide oneDNN engine. Header-only so each kernel file stays self-contained.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "base/status.hpp"
#include "kernels/kernel.hpp"
#include "kernels/registry.hpp"

namespace edgeinfer::kernels::cpu {

// Parallel loop over [0, n) in chunks; runs serially when the work is small.
// `fn(begin, end)` processes one chunk. One threading model: OpenMP, as oneDNN uses.
template <typename F>
void parallel_for(int64_t n, F&& fn, int64_t min_chunk = 16384) {
    int threads = omp_get_max_threads();
    if (n <= min_chunk || threads <= 1 || omp_in_parallel()) {
        if (n > 0) fn(int64_t{0}, n);
        return;
    }
    int64_t chunks = std::min<int64_t>(threads, (n + min_chunk - 1) / min_chunk);
#pragma omp parallel for num_threads(static_cast<int>(chunks)) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
        int64_t begin = n * c / chunks;
        int64_t end = n * (c + 1) / chunks;
        fn(begin, end);
    }
}

// Normalizes a possibly negative axis; false when out of range.
inline bool normalize_axis(int64_t& axis, int64_t rank) {
    if (axis < -rank || axis >= rank) return false;
    if (axis < 0) axis += rank;
    return true;
}

// Numpy-style broadcast of two shapes; false if incompatible.
inline bool broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::vector<int64_t>& out) {
    size_t r = std::max(a.size(), b.size());
    out.assign(r, 1);
    for (size_t i = 0; i < r; ++i) {
        int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
        int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
        if (da == db || db == 1)
            out[i] = da;
        else if (da == 1)
            out[i] = db;
        else
            return false;
    }
    return true;
}

// Row-major strides of `dims`.
inline std::vector<int64_t> strides_of(const std::vector<int64_t>& dims) {
    std::vector<int64_t> s(dims.size(), 1);
    for (int64_t i = static_cast<int64_t>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
    return s;
}

// Strides for reading a tensor of `in_dims` broadcast to `out_dims` (0 where broadcast).
inline std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_dims, const std::vector<int64_t>& out_dims) {
    std::vector<int64_t> s(out_dims.size(), 0);
    std::vector<int64_t> in_s = strides_of(in_dims);
    size_t off = out_dims.size() - in_dims.size();
    for (size_t i = 0; i < in_dims.size(); ++i) s[off + i] = in_dims[i] == 1 ? 0 : in_s[i];
    return s;
}

// Reads an integer tensor (int32 or int64) as int64 values; false for other dtypes.
inline bool read_int_values(const Tensor& t, std::vector<int64_t>& out) {
    int64_t n = t.numel();
    out.resize(static_cast<size_t>(n));
    if (n == 0) return t.dtype() == DataType::kInt64 || t.dtype() == DataType::kInt32;
    if (t.dtype() == DataType::kInt64) {
        std::memcpy(out.data(), t.data(), static_cast<size_t>(n) * 8);
        return true;
    }
    if (t.dtype() == DataType::kInt32) {
        for (int64_t i = 0; i < n; ++i) out[i] = t.data_as<int32_t>()[i];
        return true;
    }
    return false;
}

// Calls fn(T{}) with the C++ type of `t`; returns false for dtypes not listed.
template <typename F>
bool dispatch_numeric(DataType t, F&& fn) {
    switch (t) {
        case DataType::kFloat32: fn(float{}); return true;
        case DataType::kFloat64: fn(double{}); return true;
        case DataType::kInt64: fn(int64_t{}); return true;
        case DataType::kInt32: fn(int32_t{}); return true;
        case DataType::kInt16: fn(int16_t{}); return true;
        case DataType::kInt8: fn(int8_t{}); return true;
        case DataType::kUInt8: fn(uint8_t{}); return true;
        case DataType::kUInt16: fn(uint16_t{}); return true;
        case DataType::kUInt32: fn(uint32_t{}); return true;
        case DataType::kUInt64: fn(uint64_t{}); return true;
        case DataType::kBool: fn(bool{}); return true;
        default: return false;
    }
}

// Process-wide oneDNN CPU engine, and a stream for the calling thread.
inline dnnl::engine& onednn_engine() {
    static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}
inline dnnl::stream& onednn_stream() {
    thread_local dnnl::stream stream(onednn_engine());
    return stream;
}

// dnnl::memory::dims from int64 dims.
inline dnnl::memory::dims to_dnnl_dims(const std::vector<int64_t>& d) { return dnnl::memory::dims(d.begin(), d.end()); }

// Plain row-major format tag for a rank (1..6).
inline dnnl::memory::format_tag plain_tag(size_t rank) {
    using tag = dnnl::memory::format_tag;
    switch (rank) {
        case 1: return tag::a;
        case 2: return tag::ab;
        case 3: return tag::abc;
        case 4: return tag::abcd;
        case 5: return tag::abcde;
        case 6: return tag::abcdef;
        default: return tag::undef;
    }
}

// Lists of dtypes for KernelDef::dtypes.
inline const std::vector<DataType>& float_types() {
    static const std::vector<DataType> v{DataType::kFloat32};
    return v;
}
inline const std::vector<DataType>& numeric_types() {
    static const std::vector<DataType> v{DataType::kFloat32, DataType::kFloat64, DataType::kInt64, DataType::kInt32,
                                         DataType::kInt16,   DataType::kInt8,    DataType::kUInt8, DataType::kUInt16,
                                         DataType::kUInt32,  DataType::kUInt64};
    return v;
}

// A KernelDef for the ONNX domain with a factory that default-constructs K.
template <typename K>
KernelDef simple_def(std::string op, int64_t since, int64_t end, std::vector<DataType> dtypes = {}) {
    KernelDef d;
    d.op_type = std::move(op);
    d.since_version = since;
    d.end_version = end;
    d.dtypes = std::move(dtypes);
    d.factory = [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> { return std::unique_ptr<Kernel>(new K()); };
    return d;
}

}  // namespace edgeinfer::kernels::cpu

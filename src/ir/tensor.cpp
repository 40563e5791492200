// edgeinfer::Tensor storage and DataType helpers.
#include <cstdlib>
#include <cstring>
#include <new>

#include "base/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer {

size_t dtype_size(DataType t) {
    switch (t) {
        case DataType::kFloat32: return 4;
        case DataType::kUInt8: return 1;
        case DataType::kInt8: return 1;
        case DataType::kUInt16: return 2;
        case DataType::kInt16: return 2;
        case DataType::kInt32: return 4;
        case DataType::kInt64: return 8;
        case DataType::kBool: return 1;
        case DataType::kFloat16: return 2;
        case DataType::kFloat64: return 8;
        case DataType::kUInt32: return 4;
        case DataType::kUInt64: return 8;
        case DataType::kComplex64: return 8;
        case DataType::kComplex128: return 16;
        case DataType::kBFloat16: return 2;
        case DataType::kFloat8E4M3FN:
        case DataType::kFloat8E4M3FNUZ:
        case DataType::kFloat8E5M2:
        case DataType::kFloat8E5M2FNUZ:
        case DataType::kUInt4:
        case DataType::kInt4:
            return 1;  // int4/uint4: one element per byte in memory
        case DataType::kString:
        case DataType::kUndefined: return 0;
    }
    return 0;
}

std::string_view dtype_name(DataType t) {
    switch (t) {
        case DataType::kUndefined: return "undefined";
        case DataType::kFloat32: return "float32";
        case DataType::kUInt8: return "uint8";
        case DataType::kInt8: return "int8";
        case DataType::kUInt16: return "uint16";
        case DataType::kInt16: return "int16";
        case DataType::kInt32: return "int32";
        case DataType::kInt64: return "int64";
        case DataType::kString: return "string";
        case DataType::kBool: return "bool";
        case DataType::kFloat16: return "float16";
        case DataType::kFloat64: return "float64";
        case DataType::kUInt32: return "uint32";
        case DataType::kUInt64: return "uint64";
        case DataType::kComplex64: return "complex64";
        case DataType::kComplex128: return "complex128";
        case DataType::kBFloat16: return "bfloat16";
        case DataType::kFloat8E4M3FN:
            return "float8e4m3fn";
        case DataType::kFloat8E4M3FNUZ:
            return "float8e4m3fnuz";
        case DataType::kFloat8E5M2:
            return "float8e5m2";
        case DataType::kFloat8E5M2FNUZ:
            return "float8e5m2fnuz";
        case DataType::kUInt4:
            return "uint4";
        case DataType::kInt4:
            return "int4";
    }
    return "undefined";
}

DataType dtype_from_name(std::string_view name) {
    if (name == "float") return DataType::kFloat32;
    if (name == "double") return DataType::kFloat64;
    if (name == "half") return DataType::kFloat16;
    for (int i = 1; i <= kMaxDataTypeCode; ++i) {
        auto t = static_cast<DataType>(i);
        if (dtype_name(t) == name) return t;
    }
    return DataType::kUndefined;
}

std::string_view value_kind_name(ValueKind kind) {
    switch (kind) {
        case ValueKind::kTensor:
            return "tensor";
        case ValueKind::kSequence:
            return "sequence";
        case ValueKind::kOptionalTensor:
            return "optional(tensor)";
        case ValueKind::kOptionalSequence:
            return "optional(sequence)";
    }
    return "tensor";
}

bool parse_value_kind(std::string_view name, ValueKind& out) {
    for (ValueKind k :
         {ValueKind::kTensor, ValueKind::kSequence, ValueKind::kOptionalTensor, ValueKind::kOptionalSequence})
        if (value_kind_name(k) == name) {
            out = k;
            return true;
        }
    return false;
}

bool dtype_is_float(DataType t) {
    return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kFloat64 || t == DataType::kBFloat16;
}

bool dtype_is_float8(DataType t) {
    return t == DataType::kFloat8E4M3FN || t == DataType::kFloat8E4M3FNUZ || t == DataType::kFloat8E5M2 ||
           t == DataType::kFloat8E5M2FNUZ;
}

bool dtype_is_int4(DataType t) { return t == DataType::kInt4 || t == DataType::kUInt4; }

int64_t shape_numel(const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    return n;
}

std::string shape_to_string(const std::vector<int64_t>& dims) {
    if (dims.empty()) return "scalar";
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += 'x';
        s += std::to_string(dims[i]);
    }
    return s;
}

namespace {

std::shared_ptr<void> aligned_buffer(size_t bytes) {
    constexpr size_t kAlign = 64;
    size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    if (rounded == 0) rounded = kAlign;
    void* p = std::aligned_alloc(kAlign, rounded);
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, rounded);
    return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

Tensor Tensor::allocate(DataType dtype, std::vector<int64_t> dims) {
    Tensor t;
    t.dtype_ = dtype;
    t.dims_ = std::move(dims);
    if (dtype == DataType::kString) {
        t.strings_ = std::make_shared<std::vector<std::string>>(static_cast<size_t>(t.numel()));
        return t;
    }
    t.holder_ = aligned_buffer(t.nbytes());
    t.data_ = t.holder_.get();
    return t;
}

Tensor Tensor::wrap(DataType dtype, std::vector<int64_t> dims, void* data) {
    Tensor t;
    t.dtype_ = dtype;
    t.dims_ = std::move(dims);
    t.data_ = data;
    return t;
}

Tensor Tensor::copy_of(DataType dtype, std::vector<int64_t> dims, const void* data) {
    Tensor t = allocate(dtype, std::move(dims));
    if (t.nbytes() > 0 && data != nullptr) std::memcpy(t.data_, data, t.nbytes());
    return t;
}

Tensor Tensor::strings(std::vector<int64_t> dims, std::vector<std::string> values) {
    Tensor t;
    t.dtype_ = DataType::kString;
    t.dims_ = std::move(dims);
    t.strings_ = std::make_shared<std::vector<std::string>>(std::move(values));
    return t;
}

const std::vector<std::string>& Tensor::string_data() const {
    static const std::vector<std::string> kEmpty;
    return strings_ ? *strings_ : kEmpty;
}

Tensor Tensor::clone() const {
    if (dtype_ == DataType::kString) return strings(dims_, string_data());
    if (empty()) return Tensor();
    return copy_of(dtype_, dims_, data_);
}

Tensor Tensor::reshaped(std::vector<int64_t> dims) const {
    if (shape_numel(dims) != numel()) return Tensor();
    Tensor t = *this;
    t.dims_ = std::move(dims);
    return t;
}

}  // namespace edgeinfer

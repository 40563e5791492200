// edgeinfer::DataType and edgeinfer::Tensor: typed n-d arrays that own or wrap memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace edgeinfer {

// Values equal ONNX TensorProto.DataType so they cross the file format unchanged.
enum class DataType : int {
    kUndefined = 0,
    kFloat32 = 1,
    kUInt8 = 2,
    kInt8 = 3,
    kUInt16 = 4,
    kInt16 = 5,
    kInt32 = 6,
    kInt64 = 7,
    kString = 8,
    kBool = 9,
    kFloat16 = 10,
    kFloat64 = 11,
    kUInt32 = 12,
    kUInt64 = 13,
    kComplex64 = 14,
    kComplex128 = 15,
    kBFloat16 = 16,
    // 8-bit floats (opset 19): E4M3FN has no infinities (NaN 0x7f/0xff, max 448); the FNUZ kinds have
    // no infinities and no negative zero (NaN 0x80; E4M3FNUZ max 240, E5M2FNUZ max 57344); E5M2 is
    // IEEE-like (infinities, max 57344).
    kFloat8E4M3FN = 17,
    kFloat8E4M3FNUZ = 18,
    kFloat8E5M2 = 19,
    kFloat8E5M2FNUZ = 20,
    // 4-bit integers (opset 21). ONNX files pack two per byte (first element in the low nibble); a
    // Tensor holds one per byte (int4 sign-extended in an int8, uint4 in a uint8, range -8..7 / 0..15).
    kUInt4 = 21,
    kInt4 = 22,
};

// The largest DataType value edgeinfer knows (ONNX element types above it are refused).
inline constexpr int kMaxDataTypeCode = 22;

// Bytes per element; 0 for kUndefined and kString.
size_t dtype_size(DataType t);
// "float32", "int64", ...
std::string_view dtype_name(DataType t);
// Parses names as printed by dtype_name (also "float", "double", "half"); kUndefined if unknown.
DataType dtype_from_name(std::string_view name);
bool dtype_is_float(DataType t);
// The four 8-bit float types.
bool dtype_is_float8(DataType t);
// int4 and uint4.
bool dtype_is_int4(DataType t);

// What a value is: one tensor (almost every model's values), a sequence of tensors, or an ONNX optional
// holding a tensor or a sequence (or nothing). Sequences and optionals appear in models that keep lists
// (PyTorch exports of Python lists, SplitToSequence, Loop carrying a list).
enum class ValueKind : int { kTensor = 0, kSequence = 1, kOptionalTensor = 2, kOptionalSequence = 3 };
// "tensor", "sequence", "optional(tensor)", "optional(sequence)".
std::string_view value_kind_name(ValueKind kind);
// Parses the names value_kind_name prints; false when `name` is none of them.
bool parse_value_kind(std::string_view name, ValueKind& out);

// Number of elements of a shape (1 for a scalar, 0 if any dim is 0).
int64_t shape_numel(const std::vector<int64_t>& dims);
// "1x3x224x224" ("scalar" for rank 0).
std::string shape_to_string(const std::vector<int64_t>& dims);

// A dense row-major tensor. Copying a Tensor shares its memory (like a shared_ptr);
// use clone() for a deep copy. A tensor either owns its buffer (allocate) or wraps
// caller memory (wrap) without copying; the caller keeps wrapped memory alive.
class Tensor {
public:
    Tensor() = default;

    // Allocates zero-filled, 64-byte aligned storage.
    static Tensor allocate(DataType dtype, std::vector<int64_t> dims);
    // Wraps memory the caller owns; no copy is made.
    static Tensor wrap(DataType dtype, std::vector<int64_t> dims, void* data);
    // Copies `bytes` bytes from `data` into a new owned tensor. Requires bytes == numel*dtype_size.
    static Tensor copy_of(DataType dtype, std::vector<int64_t> dims, const void* data);
    // A tensor of strings (dtype kString).
    static Tensor strings(std::vector<int64_t> dims, std::vector<std::string> values);

    template <typename T>
    static Tensor from_vector(DataType dtype, std::vector<int64_t> dims, const std::vector<T>& v) {
        return copy_of(dtype, std::move(dims), v.data());
    }

    DataType dtype() const { return dtype_; }
    const std::vector<int64_t>& dims() const { return dims_; }
    int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
    int64_t numel() const { return shape_numel(dims_); }
    size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
    bool empty() const { return dtype_ == DataType::kUndefined; }
    bool owns_data() const { return static_cast<bool>(holder_); }

    void* data() { return data_; }
    const void* data() const { return data_; }
    template <typename T>
    T* data_as() {
        return static_cast<T*>(data_);
    }
    template <typename T>
    const T* data_as() const {
        return static_cast<const T*>(data_);
    }
    const std::vector<std::string>& string_data() const;
    // Points a wrapping tensor at other memory of the same dtype and dims (no allocation).
    void rebind(void* data) {
        holder_.reset();
        data_ = data;
    }

    // A deep copy with its own storage.
    Tensor clone() const;
    // Same memory, new dims with the same element count; returns an empty Tensor otherwise.
    Tensor reshaped(std::vector<int64_t> dims) const;

private:
    DataType dtype_ = DataType::kUndefined;
    std::vector<int64_t> dims_;
    void* data_ = nullptr;
    std::shared_ptr<void> holder_;
    std::shared_ptr<std::vector<std::string>> strings_;
};

}  // namespace edgeinfer

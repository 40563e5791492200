// Half/BFloat16 storage types, their float conversions, and dtype dispatch over a chosen set of types.
// Shared by the elementwise, binary and cast kernels; 16-bit floats compute in float32.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "edgeinfer/tensor.hpp"

namespace edgeinfer::kernels::cpu {

// IEEE 754 binary16 <-> binary32, round to nearest even (F. Giesen's branch-light conversions).
inline uint16_t float_to_half_bits(float value) {
    uint32_t f = std::bit_cast<uint32_t>(value);
    const uint32_t sign = f & 0x80000000u;
    f ^= sign;
    uint16_t o;
    if (f >= (143u << 23)) {  // overflow to inf, or inf / nan
        o = f > (255u << 23) ? 0x7e00 : 0x7c00;
    } else if (f < (113u << 23)) {  // result is a half subnormal or zero
        const uint32_t denorm_magic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
        float fv = std::bit_cast<float>(f) + std::bit_cast<float>(denorm_magic);
        o = static_cast<uint16_t>(std::bit_cast<uint32_t>(fv) - denorm_magic);
    } else {
        uint32_t mant_odd = (f >> 13) & 1u;
        f += (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu;
        f += mant_odd;
        o = static_cast<uint16_t>(f >> 13);
    }
    return static_cast<uint16_t>(o | (sign >> 16));
}

inline float half_bits_to_float(uint16_t h) {
    const uint32_t shifted_exp = 0x7c00u << 13;
    uint32_t o = (static_cast<uint32_t>(h) & 0x7fffu) << 13;
    uint32_t exp = shifted_exp & o;
    o += (127u - 15u) << 23;
    if (exp == shifted_exp) {
        o += (128u - 16u) << 23;  // inf / nan
    } else if (exp == 0) {
        o += 1u << 23;  // zero / subnormal: renormalize
        o = std::bit_cast<uint32_t>(std::bit_cast<float>(o) - std::bit_cast<float>(113u << 23));
    }
    o |= (static_cast<uint32_t>(h) & 0x8000u) << 16;
    return std::bit_cast<float>(o);
}

// bfloat16: the upper half of a float32, rounded to nearest even; NaN stays a (quiet) NaN.
inline uint16_t float_to_bfloat16_bits(float value) {
    uint32_t f = std::bit_cast<uint32_t>(value);
    if ((f & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((f >> 16) | 0x40u);
    f += 0x7fffu + ((f >> 16) & 1u);
    return static_cast<uint16_t>(f >> 16);
}

inline float bfloat16_bits_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

struct Half {
    uint16_t bits = 0;
    Half() = default;
    explicit Half(float f) : bits(float_to_half_bits(f)) {}
    explicit operator float() const { return half_bits_to_float(bits); }
};

struct BFloat16 {
    uint16_t bits = 0;
    BFloat16() = default;
    explicit BFloat16(float f) : bits(float_to_bfloat16_bits(f)) {}
    explicit operator float() const { return bfloat16_bits_to_float(bits); }
};

// The type arithmetic is done in: float for 16-bit floats, the type itself otherwise.
template <typename T>
struct ComputeType {
    using type = T;
};
template <>
struct ComputeType<Half> {
    using type = float;
};
template <>
struct ComputeType<BFloat16> {
    using type = float;
};
template <typename T>
using compute_t = typename ComputeType<T>::type;

template <typename T>
inline compute_t<T> load(T v) {
    return static_cast<compute_t<T>>(v);
}
template <typename TO, typename C>
inline TO store(C v) {
    if constexpr (std::is_same_v<TO, Half> || std::is_same_v<TO, BFloat16>)
        return TO(static_cast<float>(v));
    else
        return static_cast<TO>(v);
}

template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// c ? a : b without a branch. GCC (with the default -ftrapping-math) refuses to vectorize a float
// select whose arm it can sink a computation into; a bitwise blend keeps such loops vectorizable.
template <typename C>
[[gnu::always_inline]] inline C blend(bool c, C a, C b) {
    if constexpr (std::is_same_v<C, float>) {
        const uint32_t m = 0u - static_cast<uint32_t>(c);
        return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
    } else if constexpr (std::is_same_v<C, double>) {
        const uint64_t m = uint64_t{0} - static_cast<uint64_t>(c);
        return std::bit_cast<double>((std::bit_cast<uint64_t>(a) & m) | (std::bit_cast<uint64_t>(b) & ~m));
    } else {
        return c ? a : b;
    }
}

// Sets of dtypes a kernel instantiates (bit masks).
namespace types {
inline constexpr unsigned kF32 = 1u << 0, kF64 = 1u << 1, kF16 = 1u << 2, kBF16 = 1u << 3;
inline constexpr unsigned kI8 = 1u << 4, kI16 = 1u << 5, kI32 = 1u << 6, kI64 = 1u << 7;
inline constexpr unsigned kU8 = 1u << 8, kU16 = 1u << 9, kU32 = 1u << 10, kU64 = 1u << 11;
inline constexpr unsigned kBool = 1u << 12;
inline constexpr unsigned kFloats = kF32 | kF64 | kF16 | kBF16;
inline constexpr unsigned kSigned = kI8 | kI16 | kI32 | kI64;
inline constexpr unsigned kUnsigned = kU8 | kU16 | kU32 | kU64;
inline constexpr unsigned kInts = kSigned | kUnsigned;
inline constexpr unsigned kNumeric = kFloats | kInts;
inline constexpr unsigned kAll = kNumeric | kBool;
}  // namespace types

// The DataTypes of a mask, for KernelDef::dtypes.
inline std::vector<DataType> dtypes_of(unsigned mask) {
    static const std::pair<unsigned, DataType> table[] = {
        {types::kF32, DataType::kFloat32},   {types::kF64, DataType::kFloat64}, {types::kF16, DataType::kFloat16},
        {types::kBF16, DataType::kBFloat16}, {types::kI8, DataType::kInt8},     {types::kI16, DataType::kInt16},
        {types::kI32, DataType::kInt32},     {types::kI64, DataType::kInt64},   {types::kU8, DataType::kUInt8},
        {types::kU16, DataType::kUInt16},    {types::kU32, DataType::kUInt32},  {types::kU64, DataType::kUInt64},
        {types::kBool, DataType::kBool}};
    std::vector<DataType> v;
    for (const auto& [bit, dt] : table)
        if (mask & bit) v.push_back(dt);
    return v;
}

inline bool dtype_in(DataType t, unsigned mask) {
    for (DataType d : dtypes_of(mask))
        if (d == t) return true;
    return false;
}

// Calls fn(T{}) with the C++ type of `t` when `t` is in Mask; returns false otherwise.
template <unsigned Mask, typename F>
bool dispatch_types(DataType t, F&& fn) {
    using namespace types;
#define EDGEINFER_DISPATCH_CASE_(DT, BIT, CT) \
    case DataType::DT:                        \
        if constexpr ((Mask & (BIT)) != 0) {  \
            fn(CT{});                         \
            return true;                      \
        } else {                              \
            return false;                     \
        }
    switch (t) {
        EDGEINFER_DISPATCH_CASE_(kFloat32, kF32, float)
        EDGEINFER_DISPATCH_CASE_(kFloat64, kF64, double)
        EDGEINFER_DISPATCH_CASE_(kFloat16, kF16, Half)
        EDGEINFER_DISPATCH_CASE_(kBFloat16, kBF16, BFloat16)
        EDGEINFER_DISPATCH_CASE_(kInt8, kI8, int8_t)
        EDGEINFER_DISPATCH_CASE_(kInt16, kI16, int16_t)
        EDGEINFER_DISPATCH_CASE_(kInt32, kI32, int32_t)
        EDGEINFER_DISPATCH_CASE_(kInt64, kI64, int64_t)
        EDGEINFER_DISPATCH_CASE_(kUInt8, kU8, uint8_t)
        EDGEINFER_DISPATCH_CASE_(kUInt16, kU16, uint16_t)
        EDGEINFER_DISPATCH_CASE_(kUInt32, kU32, uint32_t)
        EDGEINFER_DISPATCH_CASE_(kUInt64, kU64, uint64_t)
        EDGEINFER_DISPATCH_CASE_(kBool, kBool, bool)
        default:
            return false;
    }
#undef EDGEINFER_DISPATCH_CASE_
}

}  // namespace edgeinfer::kernels::cpu

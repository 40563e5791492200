// 8-bit float conversions (tables for decoding, frexp-based rounding for encoding) and int4 packing.
#include "ir/float8.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace edgeinfer::ir {
namespace {

struct Float8Format {
    int mant_bits;     // 3 (E4M3) or 2 (E5M2)
    int bias;          // 7, 8, 15, 16
    uint8_t max_code;  // magnitude code of the largest finite value
    bool fnuz;         // NaN is 0x80, no negative zero, no infinity
    bool has_inf;      // E5M2 only: 0x7c is infinity
};

Float8Format format_of(DataType t) {
    switch (t) {
        case DataType::kFloat8E4M3FN:
            return {3, 7, 0x7e, false, false};
        case DataType::kFloat8E4M3FNUZ:
            return {3, 8, 0x7f, true, false};
        case DataType::kFloat8E5M2:
            return {2, 15, 0x7b, false, true};
        default:
            return {2, 16, 0x7f, true, false};  // kFloat8E5M2FNUZ
    }
}

float decode(const Float8Format& f, uint8_t bits) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    if (f.fnuz && bits == 0x80) return nan;
    const bool negative = (bits & 0x80) != 0;
    const int mag = bits & 0x7f;
    if (!f.fnuz && mag > f.max_code) {
        if (f.has_inf && mag == 0x7c)
            return negative ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
        return nan;
    }
    const int exp = mag >> f.mant_bits;
    const int mant = mag & ((1 << f.mant_bits) - 1);
    const float v = exp == 0 ? std::ldexp(static_cast<float>(mant), 1 - f.bias - f.mant_bits)
                             : std::ldexp(static_cast<float>(mant + (1 << f.mant_bits)), exp - f.bias - f.mant_bits);
    return negative ? -v : v;
}

using Table = std::array<float, 256>;

const Table& table_of(DataType t) {
    static const std::array<Table, 4> tables = [] {
        std::array<Table, 4> all{};
        const DataType types[] = {DataType::kFloat8E4M3FN, DataType::kFloat8E4M3FNUZ, DataType::kFloat8E5M2,
                                  DataType::kFloat8E5M2FNUZ};
        for (int k = 0; k < 4; ++k)
            for (int b = 0; b < 256; ++b) all[k][b] = decode(format_of(types[k]), static_cast<uint8_t>(b));
        return all;
    }();
    return tables[static_cast<int>(t) - static_cast<int>(DataType::kFloat8E4M3FN)];
}

}  // namespace

float float8_to_float(DataType t, uint8_t bits) { return table_of(t)[bits]; }

float float8_max(DataType t) { return decode(format_of(t), format_of(t).max_code); }

uint8_t float_to_float8(DataType t, float x, bool saturate) {
    const Float8Format f = format_of(t);
    const uint8_t nan = f.fnuz ? 0x80 : 0x7f;
    if (std::isnan(x)) return nan;
    const uint8_t sign = std::signbit(x) ? 0x80 : 0x00;
    const uint8_t overflow = saturate    ? static_cast<uint8_t>(sign | f.max_code)
                             : f.has_inf ? static_cast<uint8_t>(sign | 0x7c)
                                         : static_cast<uint8_t>(f.fnuz ? 0x80 : sign | 0x7f);
    const float a = std::fabs(x);
    if (std::isinf(a)) return overflow;
    if (!saturate && !f.fnuz) {
        // ONNX Runtime 1.30 (core/common/float8.h, the same bit code as ONNX's older onnx.helper conversion) leaves
        // round-to-nearest-even in one range of each non-FNUZ type; matched here so Cast, CastLike and
        // QuantizeLinear agree with it (checked over every exponent, see docs/operators.md "Oracle"):
        // E4M3FN: [480, 496) truncates to the NaN code 0x7f, which ORT lowers to 448 and then does not round up.
        if (t == DataType::kFloat8E4M3FN && a >= 480.0f && a < 496.0f) return static_cast<uint8_t>(sign | 0x7e);
        // E5M2: [61440, 65536) rounds up past 57344 and ORT ORs the infinity code into 0x7b: 0x7f, a NaN.
        if (t == DataType::kFloat8E5M2 && a >= 61440.0f && a < 65536.0f) return static_cast<uint8_t>(sign | 0x7f);
    }
    // The magnitude code grows monotonically with the value: subnormals count steps of the smallest
    // subnormal, normals are (biased exponent << mant_bits) + mantissa, and a mantissa that rounds up
    // to 2^(mant_bits+1) carries into the exponent by itself.
    const int min_exp = 1 - f.bias;
    double code;
    if (a < std::ldexp(1.0f, min_exp)) {
        code = std::nearbyint(std::ldexp(static_cast<double>(a), f.mant_bits - min_exp));
    } else {
        int e2 = 0;
        std::frexp(a, &e2);  // a = m * 2^e2, m in [0.5, 1)
        const int e = e2 - 1;
        const double q = std::nearbyint(std::ldexp(static_cast<double>(a), f.mant_bits - e));
        if (e + f.bias > 31) return overflow;
        code = std::ldexp(1.0, f.mant_bits) * (e + f.bias) + (q - std::ldexp(1.0, f.mant_bits));
    }
    if (code > f.max_code) return overflow;
    if (code == 0 && f.fnuz) return 0;
    return static_cast<uint8_t>(sign | static_cast<uint8_t>(code));
}

uint8_t float_to_int4(DataType t, float x) {
    if (std::isnan(x)) return 0;
    const float lo = t == DataType::kInt4 ? -8.0f : 0.0f;
    const float hi = t == DataType::kInt4 ? 7.0f : 15.0f;
    const float v = std::nearbyint(std::min(hi, std::max(lo, x)));
    return static_cast<uint8_t>(static_cast<int8_t>(v));
}

void pack_int4(const uint8_t* unpacked, int64_t n, uint8_t* packed) {
    for (int64_t i = 0; i < n; i += 2) {
        const uint8_t lo = unpacked[i] & 0x0f;
        const uint8_t hi = i + 1 < n ? static_cast<uint8_t>(unpacked[i + 1] & 0x0f) : 0;
        packed[i / 2] = static_cast<uint8_t>(lo | (hi << 4));
    }
}

void unpack_int4(const uint8_t* packed, int64_t n, bool is_signed, uint8_t* unpacked) {
    for (int64_t i = 0; i < n; ++i) {
        uint8_t v = (i % 2 == 0 ? packed[i / 2] : packed[i / 2] >> 4) & 0x0f;
        if (is_signed && (v & 0x08)) v |= 0xf0;
        unpacked[i] = v;
    }
}

}  // namespace edgeinfer::ir

// 8-bit float (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ) and 4-bit integer element helpers: conversions to and
// from float32, and the two-per-byte packing ONNX files use for int4/uint4.
#pragma once

#include <cstdint>

#include "edgeinfer/tensor.hpp"

namespace edgeinfer::ir {

// The float32 value of an 8-bit float of type `t` (one of dtype_is_float8): exact; NaN codes give NaN.
float float8_to_float(DataType t, uint8_t bits);

// float32 to an 8-bit float of type `t`, rounding to nearest even (ONNX Cast-19). NaN gives the
// type's NaN; zero of the FNUZ types is always +0. Out of range (|x| beyond the largest finite value
// after rounding, infinities included): with `saturate` the largest finite value of x's sign;
// without, E5M2 gives ±infinity and the others NaN, except in the two ranges where ONNX Runtime 1.30
// (the oracle) differs and this follows it: E4M3FN |x| in [480, 496) gives ±448, E5M2 |x| in
// [61440, 65536) gives NaN.
uint8_t float_to_float8(DataType t, float x, bool saturate);

// The largest finite value of an 8-bit float type (448, 240, 57344, 57344).
float float8_max(DataType t);

// float32 to int4 (-8..7) or uint4 (0..15): clipped to the range, then rounded half to even (ONNX's
// reference); NaN gives 0. Returned as the in-memory byte (int4 sign-extended).
uint8_t float_to_int4(DataType t, float x);

// ONNX storage of int4/uint4: element 2i in the low nibble of byte i, element 2i+1 in the high nibble.
// `packed` has (n + 1) / 2 bytes; the last high nibble is zero when n is odd.
void pack_int4(const uint8_t* unpacked, int64_t n, uint8_t* packed);
// The inverse; int4 nibbles are sign-extended when `is_signed`.
void unpack_int4(const uint8_t* packed, int64_t n, bool is_signed, uint8_t* unpacked);

}  // namespace edgeinfer::ir

// float8 and int4/uint4 element types (ir/float8.hpp, the ONNX loader and saver, .npy): conversions checked
// against hand values and a brute-force nearest-value search, int4 packing with odd element counts in both
// of ONNX's storage forms (raw_data, int32_data), and the errors of malformed tensors.
#include "ir/float8.hpp"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ir/npy.hpp"
#include "model/onnx_model.hpp"
#include "model/proto_convert.hpp"

namespace edgeinfer {
namespace {

constexpr DataType kF8[] = {DataType::kFloat8E4M3FN, DataType::kFloat8E4M3FNUZ, DataType::kFloat8E5M2,
                            DataType::kFloat8E5M2FNUZ};

// Each type's value from the bit fields, written independently of ir/float8.cpp: sign, exponent field,
// mantissa field, with the type's exponent bias and its special codes.
double reference_value(DataType t, int code) {
    const bool e4 = t == DataType::kFloat8E4M3FN || t == DataType::kFloat8E4M3FNUZ;
    const bool uz = t == DataType::kFloat8E4M3FNUZ || t == DataType::kFloat8E5M2FNUZ;
    const int mbits = e4 ? 3 : 2;
    const int bias = t == DataType::kFloat8E4M3FN     ? 7
                     : t == DataType::kFloat8E4M3FNUZ ? 8
                     : t == DataType::kFloat8E5M2     ? 15
                                                      : 16;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (uz && code == 0x80) return nan;
    const int s = code >> 7, e = (code >> mbits) & ((1 << (7 - mbits)) - 1), m = code & ((1 << mbits) - 1);
    if (t == DataType::kFloat8E4M3FN && e == 15 && m == 7) return nan;
    if (t == DataType::kFloat8E5M2 && e == 31) return m == 0 ? (s ? -INFINITY : INFINITY) : nan;
    double v = e == 0 ? m * std::pow(2.0, 1 - bias - mbits) : (1.0 + m / double(1 << mbits)) * std::pow(2.0, e - bias);
    return s ? -v : v;
}

TEST(Float8, DecodesEveryCodeLikeTheBitFieldsSay) {
    for (DataType t : kF8)
        for (int c = 0; c < 256; ++c) {
            const double want = reference_value(t, c);
            const float got = ir::float8_to_float(t, static_cast<uint8_t>(c));
            if (std::isnan(want))
                EXPECT_TRUE(std::isnan(got)) << dtype_name(t) << " code " << c;
            else
                EXPECT_EQ(static_cast<double>(got), want) << dtype_name(t) << " code " << c;
        }
}

TEST(Float8, KnownConstants) {
    // Largest finite values and smallest subnormals, from the ONNX float8 documentation.
    EXPECT_EQ(ir::float8_max(DataType::kFloat8E4M3FN), 448.0f);
    EXPECT_EQ(ir::float8_max(DataType::kFloat8E4M3FNUZ), 240.0f);
    EXPECT_EQ(ir::float8_max(DataType::kFloat8E5M2), 57344.0f);
    EXPECT_EQ(ir::float8_max(DataType::kFloat8E5M2FNUZ), 57344.0f);
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E4M3FN, 0x01), std::ldexp(1.0f, -9));
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E4M3FNUZ, 0x01), std::ldexp(1.0f, -10));
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E5M2, 0x01), std::ldexp(1.0f, -16));
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E5M2FNUZ, 0x01), std::ldexp(1.0f, -17));
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E4M3FN, 1.0f, true), 0x38);
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E5M2, -2.0f, true), 0xc0);
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E4M3FNUZ, 1.0f, true), 0x40);
}

// The code nearest to x among the finite codes of t (ties to the even code), by searching all of them.
int brute_force_nearest(DataType t, double x) {
    int best = -1;
    double best_d = INFINITY;
    for (int c = 0; c < 256; ++c) {
        const double v = reference_value(t, c);
        if (!std::isfinite(v)) continue;
        const double d = std::fabs(v - x);
        if (d < best_d || (d == best_d && (c & 1) == 0 && (best & 1) == 1)) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

TEST(Float8, RoundsToNearestEvenLikeABruteForceSearch) {
    std::vector<float> xs = {0.3f,  -0.3f, 1.0f / 3, 5.5f,    17.0f, 100.0f, -231.0f, 0.0009f, 1e-3f,
                             3e-5f, 6e-8f, 1.0625f,  1.1875f, 2.25f, 240.0f, 3.5e4f,  -1.5e-2f};
    for (int k = -20; k <= 16; ++k) xs.push_back(std::ldexp(1.37f, k));
    for (DataType t : kF8)
        for (float x : xs) {
            if (std::fabs(x) > ir::float8_max(t)) continue;
            const int want = brute_force_nearest(t, x);
            const int got = ir::float_to_float8(t, x, true);
            // A result of zero has its own sign rule (FNUZ has no -0): compare values for zeros.
            if (reference_value(t, want) == 0)
                EXPECT_EQ(ir::float8_to_float(t, static_cast<uint8_t>(got)), 0.0f) << dtype_name(t) << " " << x;
            else
                EXPECT_EQ(got, want) << dtype_name(t) << " x=" << x;
        }
}

TEST(Float8, TiesGoToEven) {
    // E4M3FN around 1: step 1/8. 1 + 1/16 lies halfway between 1 (mantissa 000) and 1.125 (001): even is 1.
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E4M3FN, ir::float_to_float8(DataType::kFloat8E4M3FN, 1.0625f, true)),
              1.0f);
    // 1 + 3/16 between 1.125 (001) and 1.25 (010): even is 1.25.
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E4M3FN, ir::float_to_float8(DataType::kFloat8E4M3FN, 1.1875f, true)),
              1.25f);
}

TEST(Float8, SaturationAndSpecialValues) {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    // saturate = 1: out of range and infinities become the largest finite value of their sign.
    for (DataType t : kF8) {
        for (float x : {1e6f, inf}) {
            EXPECT_EQ(ir::float8_to_float(t, ir::float_to_float8(t, x, true)), ir::float8_max(t)) << dtype_name(t);
            EXPECT_EQ(ir::float8_to_float(t, ir::float_to_float8(t, -x, true)), -ir::float8_max(t)) << dtype_name(t);
        }
        EXPECT_TRUE(std::isnan(ir::float8_to_float(t, ir::float_to_float8(t, nan, true)))) << dtype_name(t);
        EXPECT_TRUE(std::isnan(ir::float8_to_float(t, ir::float_to_float8(t, nan, false)))) << dtype_name(t);
    }
    // saturate = 0: E5M2 overflows to infinity, the others to NaN.
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E5M2, ir::float_to_float8(DataType::kFloat8E5M2, 1e6f, false)), inf);
    EXPECT_EQ(ir::float8_to_float(DataType::kFloat8E5M2, ir::float_to_float8(DataType::kFloat8E5M2, -inf, false)),
              -inf);
    for (DataType t : {DataType::kFloat8E4M3FN, DataType::kFloat8E4M3FNUZ, DataType::kFloat8E5M2FNUZ})
        EXPECT_TRUE(std::isnan(ir::float8_to_float(t, ir::float_to_float8(t, inf, false)))) << dtype_name(t);
    // 464 is halfway between 448 (0x7e) and the NaN code 0x7f of E4M3FN: ties to even keep 448; above overflows.
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E4M3FN, 464.0f, false), 0x7e);
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E4M3FN, 470.0f, false), 0x7f);
    // Zero: E4M3FN keeps -0, the FNUZ types have only +0 (0x80 is their NaN).
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E4M3FN, -0.0f, true), 0x80);
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E4M3FNUZ, -0.0f, true), 0x00);
    EXPECT_EQ(ir::float_to_float8(DataType::kFloat8E5M2FNUZ, -1e-30f, true), 0x00);
}

// saturate = 0 at the top of each range, as ONNX Runtime 1.30 converts (values measured by running these through
// ORT's Cast; tests/oracle/make_cases.py has the same boundaries as oracle cases): round to nearest even, then
// overflow, except E4M3FN [480, 496) -> 448 and E5M2 [61440, 65536) -> NaN where ORT's bit code differs.
TEST(Float8, WithoutSaturationMatchesOnnxRuntimeAtTheTopOfTheRange) {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    struct Case {
        DataType t;
        float x, want;
    };
    const Case cases[] = {
        {DataType::kFloat8E4M3FN, 448.0f, 448.0f},       {DataType::kFloat8E4M3FN, 449.0f, 448.0f},
        {DataType::kFloat8E4M3FN, 463.9f, 448.0f},       {DataType::kFloat8E4M3FN, 464.0f, 448.0f},
        {DataType::kFloat8E4M3FN, 465.0f, nan},          {DataType::kFloat8E4M3FN, 479.9f, nan},
        {DataType::kFloat8E4M3FN, 480.0f, 448.0f},       {DataType::kFloat8E4M3FN, 495.9f, 448.0f},
        {DataType::kFloat8E4M3FN, 496.0f, nan},          {DataType::kFloat8E4M3FN, 1e9f, nan},
        {DataType::kFloat8E4M3FNUZ, 240.0f, 240.0f},     {DataType::kFloat8E4M3FNUZ, 247.9f, 240.0f},
        {DataType::kFloat8E4M3FNUZ, 248.0f, nan},        {DataType::kFloat8E4M3FNUZ, 480.0f, nan},
        {DataType::kFloat8E5M2, 57344.0f, 57344.0f},     {DataType::kFloat8E5M2, 61439.0f, 57344.0f},
        {DataType::kFloat8E5M2, 61440.0f, nan},          {DataType::kFloat8E5M2, 65535.0f, nan},
        {DataType::kFloat8E5M2, 65536.0f, inf},          {DataType::kFloat8E5M2, 1e9f, inf},
        {DataType::kFloat8E5M2FNUZ, 57344.0f, 57344.0f}, {DataType::kFloat8E5M2FNUZ, 61439.0f, 57344.0f},
        {DataType::kFloat8E5M2FNUZ, 61440.0f, nan},      {DataType::kFloat8E5M2FNUZ, 1e9f, nan},
    };
    for (const Case& c : cases)
        for (float sign : {1.0f, -1.0f}) {
            const float got = ir::float8_to_float(c.t, ir::float_to_float8(c.t, sign * c.x, false));
            if (std::isnan(c.want))
                EXPECT_TRUE(std::isnan(got)) << dtype_name(c.t) << " x=" << sign * c.x << " got " << got;
            else
                EXPECT_EQ(got, sign * c.want) << dtype_name(c.t) << " x=" << sign * c.x;
        }
}

TEST(Int4, ConvertsByClippingThenRoundingHalfToEven) {
    EXPECT_EQ(static_cast<int8_t>(ir::float_to_int4(DataType::kInt4, 2.5f)), 2);
    EXPECT_EQ(static_cast<int8_t>(ir::float_to_int4(DataType::kInt4, -3.5f)), -4);
    EXPECT_EQ(static_cast<int8_t>(ir::float_to_int4(DataType::kInt4, 100.0f)), 7);
    EXPECT_EQ(static_cast<int8_t>(ir::float_to_int4(DataType::kInt4, -100.0f)), -8);
    EXPECT_EQ(ir::float_to_int4(DataType::kUInt4, -1.0f), 0);
    EXPECT_EQ(ir::float_to_int4(DataType::kUInt4, 15.7f), 15);
}

TEST(Int4, PacksTwoPerByteLowNibbleFirstWithOddCounts) {
    const std::vector<uint8_t> values = {0x01, 0xf8 /* -8 */, 0x07, 0xff /* -1 */, 0x03};
    std::vector<uint8_t> packed(3);
    ir::pack_int4(values.data(), 5, packed.data());
    EXPECT_EQ(packed, (std::vector<uint8_t>{0x81, 0xf7, 0x03}));
    std::vector<uint8_t> back(5);
    ir::unpack_int4(packed.data(), 5, true, back.data());
    EXPECT_EQ(back, values);
    ir::unpack_int4(packed.data(), 5, false, back.data());
    EXPECT_EQ(back, (std::vector<uint8_t>{1, 8, 7, 15, 3}));
}

TEST(Int4, LoadsRawDataAndInt32DataAndSavesPacked) {
    onnx::TensorProto raw;
    raw.set_name("w");
    raw.set_data_type(22);  // INT4
    raw.add_dims(5);
    raw.set_raw_data(std::string("\x81\xf7\x03", 3));
    auto t = model::tensor_from_proto(raw, "m.onnx", "", true);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(t->dtype(), DataType::kInt4);
    const int8_t* v = t->data_as<int8_t>();
    EXPECT_EQ(std::vector<int8_t>(v, v + 5), (std::vector<int8_t>{1, -8, 7, -1, 3}));

    onnx::TensorProto ints;
    ints.set_name("u");
    ints.set_data_type(21);  // UINT4
    ints.add_dims(3);
    ints.add_int32_data(0x21);
    ints.add_int32_data(0x0f);
    auto u = model::tensor_from_proto(ints, "m.onnx", "", true);
    ASSERT_TRUE(u.is_ok()) << u.status().to_string();
    const uint8_t* uv = u->data_as<uint8_t>();
    EXPECT_EQ(std::vector<uint8_t>(uv, uv + 3), (std::vector<uint8_t>{1, 2, 15}));

    onnx::TensorProto saved;
    model::tensor_to_proto(*t, "w", &saved);
    EXPECT_EQ(saved.data_type(), 22);
    EXPECT_EQ(saved.raw_data(), std::string("\x81\xf7\x03", 3));

    raw.set_raw_data(std::string("\x81\xf7", 2));  // 5 elements need 3 bytes
    auto bad = model::tensor_from_proto(raw, "m.onnx", "", true);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("tensor 'w': raw_data has 2 bytes"), std::string::npos)
        << bad.status().message();
    EXPECT_NE(bad.status().message().find("needs 3 (two per byte)"), std::string::npos);
}

TEST(Float8, LoadsInt32DataAndRawDataAndRefusesUnknownTypes) {
    onnx::TensorProto p;
    p.set_name("s");
    p.set_data_type(19);  // FLOAT8E5M2
    p.add_dims(2);
    p.add_int32_data(0x3c);  // 1.0
    p.add_int32_data(0xc0);  // -2.0
    auto t = model::tensor_from_proto(p, "m.onnx", "", true);
    ASSERT_TRUE(t.is_ok()) << t.status().to_string();
    EXPECT_EQ(t->dtype(), DataType::kFloat8E5M2);
    EXPECT_EQ(ir::float8_to_float(t->dtype(), t->data_as<uint8_t>()[0]), 1.0f);
    EXPECT_EQ(ir::float8_to_float(t->dtype(), t->data_as<uint8_t>()[1]), -2.0f);
    p.clear_int32_data();
    p.set_raw_data(std::string("\x38\x7e", 2));
    p.set_data_type(17);  // FLOAT8E4M3FN
    auto r = model::tensor_from_proto(p, "m.onnx", "", true);
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(ir::float8_to_float(r->dtype(), r->data_as<uint8_t>()[1]), 448.0f);
    p.set_data_type(23);  // FLOAT4E2M1 (ONNX 1.18): not known
    auto bad = model::tensor_from_proto(p, "m.onnx", "", true);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("tensor 's': unknown data type 23"), std::string::npos);
}

TEST(Float8, NamesRoundTripAndNpyWritesValues) {
    for (DataType t : {DataType::kFloat8E4M3FN, DataType::kFloat8E4M3FNUZ, DataType::kFloat8E5M2,
                       DataType::kFloat8E5M2FNUZ, DataType::kInt4, DataType::kUInt4}) {
        EXPECT_EQ(dtype_from_name(dtype_name(t)), t);
        EXPECT_EQ(dtype_size(t), 1u);
    }
    Tensor f8 = Tensor::allocate(DataType::kFloat8E4M3FN, {2});
    f8.data_as<uint8_t>()[0] = 0x38;  // 1.0
    f8.data_as<uint8_t>()[1] = 0xfe;  // -448
    auto back = ir::decode_npy(ir::encode_npy(f8).data(), ir::encode_npy(f8).size(), "x.npy");
    ASSERT_TRUE(back.is_ok());
    EXPECT_EQ(back->dtype(), DataType::kFloat32);
    EXPECT_EQ(back->data_as<float>()[0], 1.0f);
    EXPECT_EQ(back->data_as<float>()[1], -448.0f);
    Tensor i4 = Tensor::from_vector<int8_t>(DataType::kInt4, {3}, {-8, 0, 7});
    auto i8 = ir::decode_npy(ir::encode_npy(i4).data(), ir::encode_npy(i4).size(), "y.npy");
    ASSERT_TRUE(i8.is_ok());
    EXPECT_EQ(i8->dtype(), DataType::kInt8);
    EXPECT_EQ(i8->data_as<int8_t>()[0], -8);
}

}  // namespace
}  // namespace edgeinfer

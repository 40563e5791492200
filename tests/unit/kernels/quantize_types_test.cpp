// Opsets 19-21 element types through sessions: Cast/CastLike with float8 (`saturate`) and int4,
// QuantizeLinear/DequantizeLinear with float8, int4/uint4 and int16, blocked quantization (a short last
// block), output_dtype, ConstantOfShape with a float8 value, and the errors bad attributes get.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ir/float8.hpp"
#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> decoded(const Tensor& t) {
    std::vector<float> out;
    for (int64_t i = 0; i < t.numel(); ++i) out.push_back(ir::float8_to_float(t.dtype(), t.data_as<uint8_t>()[i]));
    return out;
}

void expect_floats(const std::vector<float>& got, const std::vector<float>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i]))
            EXPECT_TRUE(std::isnan(got[i])) << "element " << i << " is " << got[i];
        else
            EXPECT_EQ(got[i], want[i]) << "element " << i;
    }
}

Tensor bytes_of(DataType t, const std::vector<int64_t>& dims, const std::vector<uint8_t>& v) {
    return Tensor::from_vector<uint8_t>(t, dims, v);
}

TEST(Float8Cast, SaturatesByDefaultAndOverflowsToNaNWithout) {
    // E4M3FN: 0.3 lies between 0.28125 and 0.3125 (step 2^-5 in [0.25, 0.5)): nearest 0.3125.
    const std::vector<float> x{1.0f, 500.0f, -kInf, kNaN, 0.3f, -0.0f};
    for (int saturate : {1, 0}) {
        ModelBuilder b(19);
        b.input("x", {6}).output("q", DataType::kFloat8E4M3FN).output("y");
        std::vector<ir::Attribute> attrs{attr_i("to", 17)};
        if (saturate == 0) attrs.push_back(attr_i("saturate", 0));
        b.node("Cast", {"x"}, {"q"}, "to_f8", attrs);
        b.node("Cast", {"q"}, {"y"}, "to_f32", {attr_i("to", 1)});
        auto out = try_run(b.m, {{"x", floats({6}, x)}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ((*out)[0].tensor.dtype(), DataType::kFloat8E4M3FN);
        if (saturate)
            expect_floats(values_of<float>((*out)[1].tensor), {1.0f, 448.0f, -448.0f, kNaN, 0.3125f, -0.0f});
        else
            expect_floats(values_of<float>((*out)[1].tensor), {1.0f, kNaN, kNaN, kNaN, 0.3125f, -0.0f});
    }
}

TEST(Float8Cast, E5M2KeepsInfinityWithoutSaturationAndCastLikeTakesTheType) {
    ModelBuilder b(19);
    b.input("x", {3}).output("q", DataType::kFloat8E5M2).output("l", DataType::kFloat8E5M2FNUZ);
    b.init("like", bytes_of(DataType::kFloat8E5M2FNUZ, {1}, {0}));
    b.node("Cast", {"x"}, {"q"}, "to_e5m2", {attr_i("to", 19), attr_i("saturate", 0)});
    b.node("CastLike", {"x", "like"}, {"l"}, "like_fnuz");
    auto out = try_run(b.m, {{"x", floats({3}, {1e6f, -kInf, 3.0f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    expect_floats(decoded((*out)[0].tensor), {kInf, -kInf, 3.0f});
    EXPECT_EQ((*out)[1].tensor.dtype(), DataType::kFloat8E5M2FNUZ);
    expect_floats(decoded((*out)[1].tensor), {57344.0f, -57344.0f, 3.0f});  // CastLike saturates by default
}

TEST(Int4Cast, ClipsThenRoundsHalfToEvenAndComesBackExactly) {
    ModelBuilder b(21);
    b.input("x", {5}).output("q", DataType::kInt4).output("y").output("u", DataType::kUInt4);
    b.node("Cast", {"x"}, {"q"}, "to_i4", {attr_i("to", 22)});
    b.node("Cast", {"q"}, {"y"}, "back", {attr_i("to", 1)});
    b.node("Cast", {"x"}, {"u"}, "to_u4", {attr_i("to", 21)});
    auto out = try_run(b.m, {{"x", floats({5}, {2.5f, -3.5f, 100.0f, -100.0f, 7.4f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<float>((*out)[1].tensor), (std::vector<float>{2, -4, 7, -8, 7}));
    EXPECT_EQ(values_of<uint8_t>((*out)[2].tensor), (std::vector<uint8_t>{2, 0, 15, 0, 7}));
}

TEST(Float8Quantize, QuantizesAndDequantizesWithAScale) {
    // y = float8(x / 2); back = y * 2. x / 2 = {0.5, 10.25, -300, 1.15}: E4M3FN gives 0.5, 10 (step 1 in [8, 16),
    // 10.25 rounds down), -240 saturated? no: -300 is within 448, step 32 in [256, 448]: -288; 1.15 -> 1.125.
    ModelBuilder b(19);
    b.input("x", {4}).output("q", DataType::kFloat8E4M3FN).output("y");
    b.init("s", floats({}, {2.0f})).init("z", bytes_of(DataType::kFloat8E4M3FN, {}, {0}));
    b.node("QuantizeLinear", {"x", "s", "z"}, {"q"}, "q");
    b.node("DequantizeLinear", {"q", "s", "z"}, {"y"}, "dq");
    auto out = try_run(b.m, {{"x", floats({4}, {1.0f, 20.5f, -600.0f, 2.3f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    expect_floats(decoded((*out)[0].tensor), {0.5f, 10.0f, -288.0f, 1.125f});
    expect_floats(values_of<float>((*out)[1].tensor), {1.0f, 20.0f, -576.0f, 2.25f});
}

TEST(Float8Quantize, WithoutSaturationQuantizeLinearAndCastLikeAgreeWithOnnxRuntime) {
    // QuantizeLinear (x / 0.5) and CastLike share ir::float_to_float8: ORT 1.30 gives 448 for 480 (E4M3FN, the
    // case QDQ21_e4m3fn_saturate0 of the oracle) and NaN for 61440 (E5M2, where plain overflow would be inf).
    ModelBuilder b(21);
    b.input("x", {5}).input("w", {4}).output("q", DataType::kFloat8E4M3FN).output("l", DataType::kFloat8E5M2);
    b.init("s", floats({}, {0.5f})).init("z", bytes_of(DataType::kFloat8E4M3FN, {}, {0}));
    b.init("like", bytes_of(DataType::kFloat8E5M2, {1}, {0}));
    b.node("QuantizeLinear", {"x", "s", "z"}, {"q"}, "q", {attr_i("saturate", 0)});
    b.node("CastLike", {"w", "like"}, {"l"}, "like_e5m2", {attr_i("saturate", 0)});
    auto out = try_run(b.m, {{"x", floats({5}, {232.0f, 232.5f, 240.0f, -247.0f, 248.0f})},
                             {"w", floats({4}, {61439.0f, 61440.0f, -65535.0f, 65536.0f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    expect_floats(decoded((*out)[0].tensor), {448.0f, kNaN, 448.0f, -448.0f, kNaN});
    expect_floats(decoded((*out)[1].tensor), {57344.0f, kNaN, kNaN, kInf});
}

TEST(BlockedQuantize, Int4WithOutputDtypeAndAShortLastBlock) {
    // x [2, 5], axis 1, block 2: blocks {0,1}, {2,3}, {4} per row; scale [2, 3].
    ModelBuilder b(21);
    b.input("x", {2, 5}).output("q", DataType::kInt4).output("y");
    b.init("s", floats({2, 3}, {1.0f, 2.0f, 4.0f, 0.5f, 1.0f, 10.0f}));
    b.node("QuantizeLinear", {"x", "s"}, {"q"}, "q",
           {attr_i("axis", 1), attr_i("block_size", 2), attr_i("output_dtype", 22)});
    b.node("DequantizeLinear", {"q", "s"}, {"y"}, "dq", {attr_i("axis", 1), attr_i("block_size", 2)});
    auto out = try_run(b.m, {{"x", floats({2, 5}, {1, -2.6f, 5, 3, 100, 0.2f, 2.5f, -1.5f, 9, -100})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    // Row 0: 1/1=1, -2.6/1=-3 (nearest), 5/2=2.5->2 (even), 3/2=1.5->2, 100/4=25->7 (clipped).
    // Row 1: 0.2/0.5=0.4->0, 2.5/0.5=5, -1.5/1=-1.5->-2, 9/1=9->7, -100/10=-10->-8.
    EXPECT_EQ(values_of<int8_t>((*out)[0].tensor), (std::vector<int8_t>{1, -3, 2, 2, 7, 0, 5, -2, 7, -8}));
    EXPECT_EQ(values_of<float>((*out)[1].tensor), (std::vector<float>{1, -3, 4, 4, 28, 0, 2.5f, -2, 7, -80}));
}

TEST(BlockedDequantize, Uint4WithZeroPointsAlongAxisZero) {
    // x [5, 2] uint4, axis 0, block 2: blocks rows {0,1}, {2,3}, {4}; scale and zero point [3, 2].
    ModelBuilder b(21);
    b.input("x", {5, 2}, DataType::kUInt4).output("y");
    b.init("s", floats({3, 2}, {1, 2, 3, 4, 5, 6})).init("z", bytes_of(DataType::kUInt4, {3, 2}, {8, 0, 1, 2, 15, 3}));
    b.node("DequantizeLinear", {"x", "s", "z"}, {"y"}, "dq", {attr_i("axis", 0), attr_i("block_size", 2)});
    auto out = try_run(b.m, {{"x", bytes_of(DataType::kUInt4, {5, 2}, {8, 1, 9, 2, 1, 2, 3, 4, 15, 0})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    // (x - z) * s per element: rows 0-1 use (z 8, s 1 | z 0, s 2), rows 2-3 (1, 3 | 2, 4), row 4 (15, 5 | 3, 6).
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{0, 2, 1, 4, 0, 0, 6, 8, 0, -18}));
}

TEST(Int16Quantize, Opset21QuantizesToInt16AndUint16) {
    ModelBuilder b(21);
    b.input("x", {3}).output("q", DataType::kInt16).output("u", DataType::kUInt16);
    b.init("s", floats({}, {0.5f}))
        .init("z", Tensor::from_vector<int16_t>(DataType::kInt16, {}, {10}))
        .init("zu", Tensor::from_vector<uint16_t>(DataType::kUInt16, {}, {0}));
    b.node("QuantizeLinear", {"x", "s", "z"}, {"q"}, "q");
    b.node("QuantizeLinear", {"x", "s", "zu"}, {"u"}, "qu");
    auto out = try_run(b.m, {{"x", floats({3}, {1.0f, -20000.0f, 40000.0f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<int16_t>((*out)[0].tensor), (std::vector<int16_t>{12, -32768, 32767}));
    EXPECT_EQ(values_of<uint16_t>((*out)[1].tensor), (std::vector<uint16_t>{2, 0, 65535}));
}

TEST(ConstantOfShape20, FillsWithAFloat8Value) {
    ModelBuilder b(20);
    b.input("shape", {2}, DataType::kInt64).output("y", DataType::kFloat8E5M2);
    ir::Attribute value;
    value.name = "value";
    value.kind = ir::Attribute::Kind::kTensor;
    value.t = bytes_of(DataType::kFloat8E5M2, {1}, {0x3c});  // 1.0
    b.node("ConstantOfShape", {"shape"}, {"y"}, "fill", {value});
    auto out = try_run(b.m, {{"shape", int64s_shaped({2}, {2, 3})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 3}));
    expect_floats(decoded((*out)[0].tensor), std::vector<float>(6, 1.0f));
}

Status run_error(ModelBuilder& b, const std::vector<NamedTensor>& inputs) {
    auto out = try_run(b.m, inputs);
    return out.is_ok() ? Status::ok() : out.status();
}

void expect_error(const Status& s, const std::vector<std::string>& words) {
    ASSERT_FALSE(s.is_ok());
    for (const std::string& w : words)
        EXPECT_NE(s.message().find(w), std::string::npos) << w << " not in " << s.message();
}

TEST(QdqErrors, BadBlockSizesAndTypesNameTheNode) {
    const auto x = floats({2, 5}, std::vector<float>(10, 1.0f));
    {
        ModelBuilder b(21);
        b.input("x", {2, 5}).output("y", DataType::kInt8);
        b.init("s", floats({2, 2}, {1, 1, 1, 1}));
        b.node("QuantizeLinear", {"x", "s"}, {"y"}, "qb",
               {attr_i("axis", 1), attr_i("block_size", 2), attr_i("output_dtype", 3)});
        expect_error(run_error(b, {{"x", x}}),
                     {"QuantizeLinear 'qb'", "block_size 2 along axis 1 needs scale of shape 2x3"});
    }
    {
        ModelBuilder b(21);
        b.input("x", {2, 5}).output("y");
        b.init("s", floats({2, 3}, std::vector<float>(6, 1.0f)));
        b.node("QuantizeLinear", {"x", "s"}, {"y"}, "neg", {attr_i("axis", 1), attr_i("block_size", -2)});
        expect_error(run_error(b, {{"x", x}}), {"QuantizeLinear 'neg'", "block_size must be 0 or positive, got -2"});
    }
    {
        ModelBuilder b(21);
        b.input("x", {2, 5}).output("y");
        b.init("s", floats({}, {1.0f})).init("z", Tensor::from_vector<int8_t>(DataType::kInt8, {}, {0}));
        b.node("QuantizeLinear", {"x", "s", "z"}, {"y"}, "od", {attr_i("output_dtype", 2)});
        expect_error(run_error(b, {{"x", x}}),
                     {"QuantizeLinear 'od'", "output_dtype uint8 differs from the zero point's type int8"});
    }
    {
        ModelBuilder b(21);
        b.input("x", {2, 5}).output("y");
        b.init("s", floats({}, {1.0f}));
        b.node("QuantizeLinear", {"x", "s"}, {"y"}, "odd", {attr_i("output_dtype", 1)});
        expect_error(run_error(b, {{"x", x}}), {"QuantizeLinear 'odd'", "output_dtype 1 is not a quantized type"});
    }
    {
        ModelBuilder b(19);  // int4 arrived with opset 21
        b.input("x", {2}, DataType::kInt4).output("y");
        b.init("s", floats({}, {1.0f}));
        b.node("DequantizeLinear", {"x", "s"}, {"y"}, "early");
        expect_error(run_error(b, {{"x", bytes_of(DataType::kInt4, {2}, {1, 2})}}),
                     {"DequantizeLinear 'early'", "input type int4 is not supported at opset 19"});
    }
    {
        ModelBuilder b(19);
        b.input("x", {3}).output("y");
        b.node("Cast", {"x"}, {"y"}, "sat", {attr_i("to", 17), attr_i("saturate", 2)});
        expect_error(run_error(b, {{"x", floats({3}, {1, 2, 3})}}), {"Cast 'sat'", "'saturate' must be 0 or 1, got 2"});
    }
}

}  // namespace
}  // namespace edgeinfer::testing

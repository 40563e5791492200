// fp16 lowering (float16 models computed in float32): structural, negative and numeric tests.
#include "passes/fp16_lowering.hpp"

#include <gtest/gtest.h>

#include "kernels/cpu/typed_dispatch.hpp"
#include "pass_test_util.hpp"

namespace edgeinfer::testing {
namespace {

Tensor to_half(const Tensor& t) {
    Tensor out = Tensor::allocate(DataType::kFloat16, t.dims());
    for (int64_t i = 0; i < t.numel(); ++i)
        static_cast<uint16_t*>(out.data())[i] = kernels::cpu::float_to_half_bits(t.data_as<float>()[i]);
    return out;
}

Tensor to_float(const Tensor& t) {
    if (t.dtype() == DataType::kFloat32) return t;
    Tensor out = Tensor::allocate(DataType::kFloat32, t.dims());
    for (int64_t i = 0; i < t.numel(); ++i)
        out.data_as<float>()[i] = kernels::cpu::half_bits_to_float(static_cast<const uint16_t*>(t.data())[i]);
    return out;
}

// x (float16) -> Conv -> Relu -> Mul by a Constant -> y (float16); `dtype` float32 builds the same in float32.
ir::Model conv_model(DataType dtype) {
    ModelBuilder b(13);
    b.input("x", {-1, 3, 6, 6}, dtype).output("y", dtype);
    Tensor w = random_tensor({4, 3, 3, 3}, 1, 0.4f), bias = random_tensor({4}, 2);
    b.init("w", dtype == DataType::kFloat16 ? to_half(w) : w);
    b.init("b", dtype == DataType::kFloat16 ? to_half(bias) : bias);
    ir::Attribute value;
    value.name = "value";
    value.kind = ir::Attribute::Kind::kTensor;
    Tensor k = Tensor::from_vector<float>(DataType::kFloat32, {1}, {0.5f});
    value.t = dtype == DataType::kFloat16 ? to_half(k) : k;
    b.node("Conv", {"x", "w", "b"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    b.node("Relu", {"c"}, {"r"}, "relu");
    b.node("Constant", {}, {"k"}, "half", {value});
    b.node("Mul", {"r", "k"}, {"y"}, "scale");
    return b.build();
}

TEST(LowerFp16, WeightsBecomeFloat32AndCastsGuardTheBoundary) {
    ir::Model m = conv_model(DataType::kFloat16);
    ASSERT_TRUE(passes::has_fp16(m));
    EXPECT_TRUE(passes::lower_fp16_to_fp32(m));
    EXPECT_EQ(m.graph.initializers.at("w").dtype(), DataType::kFloat32);
    EXPECT_EQ(m.graph.initializers.at("b").dtype(), DataType::kFloat32);
    // The declared I/O dtypes stay float16; one Cast in, one Cast out, named after the value.
    EXPECT_EQ(m.graph.inputs[0].dtype, DataType::kFloat16);
    EXPECT_EQ(m.graph.outputs[0].dtype, DataType::kFloat16);
    ASSERT_EQ(count_op(m, "Cast"), 2);
    const ir::Node& first = m.graph.nodes.front();
    EXPECT_EQ(first.name, "x/fp16_to_fp32");
    EXPECT_EQ(first.inputs[0], "x");
    EXPECT_EQ(first.attr_int("to", 0), 1);
    EXPECT_EQ(find_node(m, "conv")->inputs[0], first.outputs[0]);
    const ir::Node& last = m.graph.nodes.back();
    EXPECT_EQ(last.name, "y/fp32_to_fp16");
    EXPECT_EQ(last.outputs[0], "y");
    EXPECT_EQ(last.attr_int("to", 0), 10);
    EXPECT_EQ(find_node(m, "scale")->outputs[0], last.inputs[0]);
    EXPECT_EQ(find_node(m, "half")->find_attribute("value")->t.dtype(), DataType::kFloat32);
    for (const ir::ValueInfo& v : m.graph.value_info) EXPECT_NE(v.dtype, DataType::kFloat16) << v.name;
}

TEST(LowerFp16, InternalCastsToFloat16BecomeCastsToFloat) {
    // "keep IO in fp32": float32 I/O, Cast to float16 after the input and back before the output.
    ModelBuilder b(13);
    b.input("x", {2, 3}).output("y");
    b.init("k", to_half(random_tensor({2, 3}, 3)));
    b.node("Cast", {"x"}, {"xh"}, "in_cast", {attr_i("to", 10)});
    b.node("Add", {"xh", "k"}, {"sh"}, "add");
    b.node("Cast", {"sh"}, {"y"}, "out_cast", {attr_i("to", 1)});
    ir::Model m = b.build();
    EXPECT_TRUE(passes::lower_fp16_to_fp32(m));
    EXPECT_EQ(count_op(m, "Cast"), 2);  // no boundary Casts added: the I/O is float32
    EXPECT_EQ(find_node(m, "in_cast")->attr_int("to", 0), 1);
    EXPECT_EQ(m.graph.inputs[0].dtype, DataType::kFloat32);
    EXPECT_FALSE(passes::has_fp16(m));
}

TEST(LowerFp16, Float32ModelIsLeftAlone) {
    ir::Model m = conv_model(DataType::kFloat32);
    // A near miss: a Cast to another type (int32 = 6) and a bfloat16 initializer are not float16.
    m.graph.nodes.push_back(m.graph.nodes.back());
    m.graph.nodes.back().op_type = "Cast";
    m.graph.nodes.back().name = "to_int";
    m.graph.nodes.back().inputs = {"y"};
    m.graph.nodes.back().outputs = {"yi"};
    m.graph.nodes.back().attributes = {attr_i("to", 6)};
    m.graph.add_initializer("bf", Tensor::allocate(DataType::kBFloat16, {2}));
    ir::Model before = m;
    EXPECT_FALSE(passes::has_fp16(m));
    EXPECT_FALSE(passes::lower_fp16_to_fp32(m));
    std::string why;
    EXPECT_TRUE(ir::models_equal(before, m, &why)) << why;
}

TEST(LowerFp16, SessionOnFloat16ModelMatchesFloat32Model) {
    ir::Model half = conv_model(DataType::kFloat16);
    ir::Model full = conv_model(DataType::kFloat32);
    // The float32 model with the float16-rounded weights: only I/O rounding separates the two.
    for (const char* n : {"w", "b"}) full.graph.initializers[n] = to_float(half.graph.initializers.at(n));
    Tensor x = random_tensor({2, 3, 6, 6}, 9);
    Tensor xr = to_float(to_half(x));
    auto y16 = run_model(half, {{"x", to_half(x)}});
    auto y32 = run_model(full, {{"x", xr}});
    ASSERT_EQ(y16.size(), 1u);
    ASSERT_EQ(y32.size(), 1u);
    EXPECT_EQ(y16[0].tensor.dtype(), DataType::kFloat16);
    Tensor got = to_float(y16[0].tensor);
    ASSERT_EQ(got.dims(), y32[0].tensor.dims());
    for (int64_t i = 0; i < got.numel(); ++i) {
        float want = y32[0].tensor.data_as<float>()[i];
        EXPECT_NEAR(got.data_as<float>()[i], want, 1e-3f * (1 + std::fabs(want))) << i;  // one float16 rounding
    }
}

}  // namespace
}  // namespace edgeinfer::testing

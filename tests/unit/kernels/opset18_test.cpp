// Opsets 18-21 (kernels/schema_changes.cpp and the operators added with them): Mish, Gelu, the Bitwise
// operators, Split's num_outputs, older kernels that still run newer nodes using only shared semantics,
// and load-time rejection that lists every operator a newer model needs and edgeinfer lacks.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

// Runs b.m as written (ONNX 1.12's shape inference has no schemas past opset 17).
Result<std::vector<NamedTensor>> run_raw(ModelBuilder& b, const std::vector<NamedTensor>& inputs) {
    return try_run(b.m, inputs);
}

TEST(Opset18, MishAndGeluMatchTheirFormulas) {
    const std::vector<float> x{-3.0f, -0.5f, 0.0f, 0.7f, 4.0f};
    ModelBuilder mish(18);
    mish.input("x", {5}).output("y");
    mish.node("Mish", {"x"}, {"y"}, "mish");
    auto m = run_raw(mish, {{"x", floats({5}, x)}});
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    ModelBuilder gelu(20);
    gelu.input("x", {5}).output("y").output("t");
    gelu.node("Gelu", {"x"}, {"y"}, "gelu");
    gelu.node("Gelu", {"x"}, {"t"}, "gelu_tanh", {attr_s("approximate", "tanh")});
    auto g = run_raw(gelu, {{"x", floats({5}, x)}});
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    for (size_t i = 0; i < x.size(); ++i) {
        const double v = x[i];
        EXPECT_NEAR(values_of<float>((*m)[0].tensor)[i], v * std::tanh(std::log1p(std::exp(v))), 1e-5) << v;
        EXPECT_NEAR(values_of<float>((*g)[0].tensor)[i], 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))), 1e-5) << v;
        EXPECT_NEAR(values_of<float>((*g)[1].tensor)[i],
                    0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))), 1e-5)
            << v;
    }
}

TEST(Opset18, BitwiseOperatorsOnIntegers) {
    ModelBuilder b(18);
    b.input("a", {3}, DataType::kInt32).input("b", {3}, DataType::kInt32);
    for (const char* out : {"and", "or", "xor", "not"}) b.output(out, DataType::kInt32);
    b.node("BitwiseAnd", {"a", "b"}, {"and"}, "n_and");
    b.node("BitwiseOr", {"a", "b"}, {"or"}, "n_or");
    b.node("BitwiseXor", {"a", "b"}, {"xor"}, "n_xor");
    b.node("BitwiseNot", {"a"}, {"not"}, "n_not");
    auto out = run_raw(b, {{"a", typed<int32_t>(DataType::kInt32, {3}, {12, -1, 5})},
                           {"b", typed<int32_t>(DataType::kInt32, {3}, {10, 7, 0})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<int32_t>((*out)[0].tensor), (std::vector<int32_t>{8, 7, 0}));
    EXPECT_EQ(values_of<int32_t>((*out)[1].tensor), (std::vector<int32_t>{14, -1, 5}));
    EXPECT_EQ(values_of<int32_t>((*out)[2].tensor), (std::vector<int32_t>{6, -8, 5}));
    EXPECT_EQ(values_of<int32_t>((*out)[3].tensor), (std::vector<int32_t>{-13, 0, -6}));
}

TEST(Opset18, SplitNumOutputsLeavesASmallerLastPart) {
    ModelBuilder b(18);
    b.input("x", {1, 7}).output("a").output("b").output("c");
    b.node("Split", {"x"}, {"a", "b", "c"}, "split", {attr_i("axis", 1), attr_i("num_outputs", 3)});
    auto out = run_raw(b, {{"x", floats({1, 7}, {0, 1, 2, 3, 4, 5, 6})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{0, 1, 2}));
    EXPECT_EQ(values_of<float>((*out)[1].tensor), (std::vector<float>{3, 4, 5}));
    EXPECT_EQ(values_of<float>((*out)[2].tensor), (std::vector<float>{6}));
}

// noop_with_empty_axes with empty axes reduces each element on its own, so ReduceL1/L2/LogSum/SumSquare still
// apply |x|, |x|, log x and x^2 (ONNX's reference and ONNX Runtime; found by the oracle, tests/oracle/) while
// ReduceSum copies.
TEST(Opset18, ReduceNoopWithEmptyAxesKeepsTheElementFunction) {
    ModelBuilder b(18);
    b.input("x", {4}).init("axes", int64s_shaped({0}, {}));
    const char* ops[] = {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceSumSquare", "ReduceSum"};
    for (const char* op : ops) {
        b.output(op);
        b.node(op, {"x", "axes"}, {op}, std::string("n_") + op, {attr_i("noop_with_empty_axes", 1)});
    }
    auto out = run_raw(b, {{"x", floats({4}, {-2.0f, 0.5f, 4.0f, 1.0f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{2.0f, 0.5f, 4.0f, 1.0f}));
    EXPECT_EQ(values_of<float>((*out)[1].tensor), (std::vector<float>{2.0f, 0.5f, 4.0f, 1.0f}));
    const std::vector<float> logs = values_of<float>((*out)[2].tensor);
    EXPECT_TRUE(std::isnan(logs[0]));
    EXPECT_FLOAT_EQ(logs[1], std::log(0.5f));
    EXPECT_FLOAT_EQ(logs[2], std::log(4.0f));
    EXPECT_FLOAT_EQ(logs[3], 0.0f);
    EXPECT_EQ(values_of<float>((*out)[3].tensor), (std::vector<float>{4.0f, 0.25f, 16.0f, 1.0f}));
    EXPECT_EQ(values_of<float>((*out)[4].tensor), (std::vector<float>{-2.0f, 0.5f, 4.0f, 1.0f}));
}

// An older kernel runs a newer node that uses only what both schemas share, and refuses one that does
// not, naming what it uses.
TEST(Opset18, OlderKernelsRunSharedSemanticsAndNameTheRest) {
    ModelBuilder plain(19);
    plain.input("x", {1, 1, 4, 4}).output("y");
    plain.node("AveragePool", {"x"}, {"y"}, "pool", {attr_is("kernel_shape", {2, 2}), attr_is("dilations", {1, 1})});
    std::vector<float> x(16, 1.0f);
    auto ok = run_raw(plain, {{"x", floats({1, 1, 4, 4}, x)}});
    ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
    EXPECT_EQ((*ok)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 3, 3}));

    ModelBuilder dilated(19);
    dilated.input("x", {1, 1, 4, 4}).output("y");
    dilated.node("AveragePool", {"x"}, {"y"}, "pool", {attr_is("kernel_shape", {2, 2}), attr_is("dilations", {2, 2})});
    auto refused = run_raw(dilated, {{"x", floats({1, 1, 4, 4}, x)}});
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(refused.status().message().find("AveragePool at opset 19: attribute dilations other than 1"),
              std::string::npos)
        << refused.status().to_string();
}

// Every operator a newer model needs and edgeinfer lacks is listed when the session is created.
TEST(Opset18, MissingNewerOperatorsAreAllListedAtLoad) {
    ModelBuilder b(21);
    b.input("x", {1, 4, 4}).output("y").output("z");
    b.init("shape", int64s_shaped({2}, {3, 3})).init("block", int64s_shaped({2}, {2, 2}));
    b.node("Col2Im", {"x", "shape", "block"}, {"y"}, "col2im");
    b.node("CenterCropPad", {"x", "shape"}, {"z"}, "crop");
    auto out = run_raw(b, {{"x", floats({1, 4, 4}, std::vector<float>(16, 0.0f))}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
    for (const char* w : {"2 of 2 nodes cannot run", "Col2Im", "CenterCropPad"})
        EXPECT_NE(out.status().message().find(w), std::string::npos) << w << " not in " << out.status().message();

    ModelBuilder future(22);
    future.input("x", {2}).output("y");
    future.node("Relu", {"x"}, {"y"}, "relu");
    auto too_new = run_raw(future, {{"x", floats({2}, {1, 2})}});
    ASSERT_FALSE(too_new.is_ok());
    EXPECT_NE(too_new.status().message().find("supports opsets 1 to 21"), std::string::npos)
        << too_new.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

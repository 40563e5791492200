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

// Opset 20 gives ReduceMax (any) and ReduceMin (all) bool inputs; opset 19 does not.
TEST(Opset18, ReduceMaxMinOnBoolFromOpset20) {
    for (int opset : {20, 19}) {
        ModelBuilder b(opset);
        b.input("x", {2, 3}, DataType::kBool).init("axes", int64s_shaped({1}, {1}));
        b.output("any", DataType::kBool).output("all", DataType::kBool);
        b.node("ReduceMax", {"x", "axes"}, {"any"}, "n_any", {attr_i("keepdims", 0)});
        b.node("ReduceMin", {"x", "axes"}, {"all"}, "n_all", {attr_i("keepdims", 0)});
        auto out = run_raw(b, {{"x", bools({2, 3}, {1, 0, 1, 1, 1, 1})}});
        if (opset == 19) {
            ASSERT_FALSE(out.is_ok());
            EXPECT_NE(out.status().message().find("bool"), std::string::npos) << out.status().to_string();
            continue;
        }
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ(values_of<uint8_t>((*out)[0].tensor), (std::vector<uint8_t>{1, 1}));
        EXPECT_EQ(values_of<uint8_t>((*out)[1].tensor), (std::vector<uint8_t>{0, 1}));
    }
}

// Kernels run the newer schemas' semantics: AveragePool 19 with dilations of 1, Scatter max/min 18.
TEST(Opset18, NewerSemanticsRunInTheSameKernels) {
    ModelBuilder plain(19);
    plain.input("x", {1, 1, 4, 4}).output("y");
    plain.node("AveragePool", {"x"}, {"y"}, "pool", {attr_is("kernel_shape", {2, 2}), attr_is("dilations", {1, 1})});
    std::vector<float> x(16, 1.0f);
    auto ok = run_raw(plain, {{"x", floats({1, 1, 4, 4}, x)}});
    ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
    EXPECT_EQ((*ok)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 3, 3}));

    // Opset 18's max/min reductions of ScatterElements and ScatterND run (duplicates reduce in order).
    ModelBuilder scatter(18);
    scatter.input("x", {4}).output("y").output("z");
    scatter.init("idx", int64s({1, 1, 3})).init("upd", floats({3}, {5.0f, 7.0f, -1.0f}));
    scatter.init("nd_idx", int64s_shaped({2, 1}, {2, 2})).init("nd_upd", floats({2}, {0.5f, -3.0f}));
    scatter.node("ScatterElements", {"x", "idx", "upd"}, {"y"}, "scatter_max", {attr_s("reduction", "max")});
    scatter.node("ScatterND", {"x", "nd_idx", "nd_upd"}, {"z"}, "scatter_min", {attr_s("reduction", "min")});
    auto reduced = run_raw(scatter, {{"x", floats({4}, {1, 2, 3, 4})}});
    ASSERT_TRUE(reduced.is_ok()) << reduced.status().to_string();
    EXPECT_EQ(values_of<float>((*reduced)[0].tensor), (std::vector<float>{1, 7, 3, 4}));
    EXPECT_EQ(values_of<float>((*reduced)[1].tensor), (std::vector<float>{1, 2, -3, 4}));
}

// Every node of a newer model that edgeinfer cannot run is listed when the session is created.
TEST(Opset18, UnsupportedNewerNodesAreAllListedAtLoad) {
    ModelBuilder b(21);
    b.input("img", {16}, DataType::kUInt8).input("x", {4}).output("y", DataType::kUInt8).output("z");
    b.node("ImageDecoder", {"img"}, {"y"}, "decode");
    b.node("NoSuchOp", {"x"}, {"z"}, "ghost");
    auto out = run_raw(b, {{"img", typed<uint8_t>(DataType::kUInt8, {16}, std::vector<uint8_t>(16, 0))},
                           {"x", floats({4}, {1, 2, 3, 4})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
    for (const char* w : {"2 of 2 nodes cannot run", "decode", "ImageDecoder", "ghost", "NoSuchOp"})
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

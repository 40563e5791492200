// Hardmax (kernels/cpu/softmax.cpp): the opset-13 single axis (negative too) against the opset-11
// coerced 2-D block, ties going to the first maximum, NaN never winning, and empty tensors; Softmax/LogSoftmax
// on rows holding NaN or +inf.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

std::vector<float> hardmax(int64_t opset, int64_t axis, const std::vector<int64_t>& dims, const std::vector<float>& x) {
    ModelBuilder b(opset);
    b.input("x", dims).output("y");
    b.node("Hardmax", {"x"}, {"y"}, "hm", {attr_i("axis", axis)});
    auto out = try_run(b.build(), {{"x", floats(dims, x)}});
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    return out.is_ok() ? values_of<float>((*out)[0].tensor) : std::vector<float>{};
}

TEST(HardmaxKernel, NegativeAxisAtOpset13AgainstTheCoercedBlockAtOpset11) {
    // x [2, 2, 2]: the maximum over axis 1 per (batch, last index), or over the flattened [2, 2]
    // block per batch before opset 13.
    const std::vector<float> x = {1, 7, 3, 2, 5, 0, 4, 6};
    EXPECT_EQ(hardmax(13, -2, {2, 2, 2}, x), (std::vector<float>{0, 1, 1, 0, 1, 0, 0, 1}));
    EXPECT_EQ(hardmax(11, -2, {2, 2, 2}, x), (std::vector<float>{0, 1, 0, 0, 0, 0, 0, 1}));
}

TEST(HardmaxKernel, TiesPickTheFirstAndNaNNeverWins) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(hardmax(13, -1, {2, 3}, {2, 2, 1, nan, -1, -3}), (std::vector<float>{1, 0, 0, 0, 1, 0}));
}

// A row holding NaN or +inf is NaN throughout (NaN, or inf - inf in x - max), as in PyTorch, numpy and ONNX
// Runtime (found by the oracle, tests/oracle/); a row with -inf and finite values stays finite. Axis 0 of a
// [3, 2] tensor, so the rows are strided columns.
TEST(SoftmaxKernel, RowsWithNaNOrPlusInfAreNaN) {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (const char* op : {"Softmax", "LogSoftmax"}) {
        ModelBuilder b(13);
        b.input("x", {3, 2}).output("y");
        b.node(op, {"x"}, {"y"}, "sm", {attr_i("axis", 0)});
        auto out = try_run(b.m, {{"x", floats({3, 2}, {1, -inf, inf, 0, 2, 1})}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        const std::vector<float> y = values_of<float>((*out)[0].tensor);
        for (int k = 0; k < 3; ++k) {
            EXPECT_TRUE(std::isnan(y[2 * k])) << op << " row 0, element " << k;
            EXPECT_TRUE(std::isfinite(y[2 * k + 1]) || (op[0] == 'L' && k == 0)) << op << " row 1, element " << k;
        }
        auto with_nan = try_run(b.m, {{"x", floats({3, 2}, {1, 0, nan, 0, 2, 1})}});
        ASSERT_TRUE(with_nan.is_ok());
        const std::vector<float> z = values_of<float>((*with_nan)[0].tensor);
        EXPECT_TRUE(std::isnan(z[0]) && std::isnan(z[2]) && std::isnan(z[4])) << op;
        EXPECT_FALSE(std::isnan(z[1]) || std::isnan(z[3]) || std::isnan(z[5])) << op;
    }
}

TEST(HardmaxKernel, EmptyTensorAndAnAxisOutOfRange) {
    EXPECT_TRUE(hardmax(13, 1, {0, 4}, {}).empty());
    ModelBuilder b(13);
    b.input("x", {2, 2}).output("y");
    b.node("Hardmax", {"x"}, {"y"}, "hm", {attr_i("axis", -3)});
    auto out = try_run(b.m, {{"x", floats({2, 2}, {1, 2, 3, 4})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("Hardmax 'hm'"), std::string::npos) << out.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

// Hardmax (kernels/cpu/softmax.cpp): the opset-13 single axis (negative too) against the opset-11
// coerced 2-D block, ties going to the first maximum, NaN never winning, and empty tensors.
#include <gtest/gtest.h>

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

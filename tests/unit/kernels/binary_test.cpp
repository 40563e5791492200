// Min/Max (kernels/cpu/binary.cpp): NaN in either operand, at either position, propagates (numpy and ONNX
// Runtime; found by the oracle, tests/oracle/), for two inputs with broadcasting and for the variadic fold.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

TEST(MinMaxKernel, NaNFromEitherOperandPropagates) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    ModelBuilder b(13);
    b.input("a", {3}).input("b", {3}).input("c", {1});
    for (const char* out : {"min_ab", "min_ba", "max_ab", "max_ba", "min_abc"}) b.output(out);
    b.node("Min", {"a", "b"}, {"min_ab"}, "n0");
    b.node("Min", {"b", "a"}, {"min_ba"}, "n1");
    b.node("Max", {"a", "b"}, {"max_ab"}, "n2");
    b.node("Max", {"b", "a"}, {"max_ba"}, "n3");
    b.node("Min", {"a", "b", "c"}, {"min_abc"}, "n4");
    auto out = try_run(
        b.m,
        {{"a", floats({3}, {nan, 1.0f, -2.0f})}, {"b", floats({3}, {0.0f, nan, 5.0f})}, {"c", floats({1}, {-1.0f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    for (size_t k = 0; k < 5; ++k) {
        const std::vector<float> v = values_of<float>((*out)[k].tensor);
        EXPECT_TRUE(std::isnan(v[0])) << (*out)[k].name;
        EXPECT_TRUE(std::isnan(v[1])) << (*out)[k].name;
    }
    EXPECT_EQ(values_of<float>((*out)[0].tensor)[2], -2.0f);
    EXPECT_EQ(values_of<float>((*out)[2].tensor)[2], 5.0f);
    EXPECT_EQ(values_of<float>((*out)[4].tensor)[2], -2.0f);
}

}  // namespace
}  // namespace edgeinfer::testing

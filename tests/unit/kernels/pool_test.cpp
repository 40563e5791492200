// MaxUnpool (kernels/cpu/pool.cpp): MaxPool's indices round trip on a 1-D pool with padding, a
// larger output_shape keeping coordinates, empty inputs and an index outside the output.
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

TEST(MaxUnpoolKernel, RoundTripsMaxPoolIndicesWithPadding) {
    // MaxPool 1-D, kernel 2, stride 2, pads [1, 1] over x [1, 2, 4]; MaxUnpool puts the maxima back.
    ModelBuilder b(11);
    b.input("x", {1, 2, 4}).output("y");
    b.node("MaxPool", {"x"}, {"p", "i"}, "pool",
           {attr_is("kernel_shape", {2}), attr_is("strides", {2}), attr_is("pads", {1, 1})});
    b.node("MaxUnpool", {"p", "i"}, {"y"}, "unpool",
           {attr_is("kernel_shape", {2}), attr_is("strides", {2}), attr_is("pads", {1, 1})});
    auto out = try_run(b.build(), {{"x", floats({1, 2, 4}, {1, 5, 2, 3, 9, 1, 7, 4})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 2, 4}));
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{1, 5, 0, 3, 9, 0, 7, 4}));
}

TEST(MaxUnpoolKernel, ALargerOutputShapeKeepsCoordinates) {
    ModelBuilder b(11);
    b.input("x", {1, 1, 1, 2}).input("i", {1, 1, 1, 2}, DataType::kInt64).output("y");
    b.init("shape", int64s({1, 1, 3, 5}));
    b.node("MaxUnpool", {"x", "i", "shape"}, {"y"}, "unpool",
           {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2})});
    // Default output 2x4: index 5 is (1, 1), index 2 is (0, 2).
    auto out = try_run(b.build(), {{"x", floats({1, 1, 1, 2}, {7, 8})}, {"i", int64s_shaped({1, 1, 1, 2}, {5, 2})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    std::vector<float> expect(15, 0.0f);
    expect[1 * 5 + 1] = 7;
    expect[0 * 5 + 2] = 8;
    EXPECT_EQ(values_of<float>((*out)[0].tensor), expect);
}

TEST(MaxUnpoolKernel, EmptyInputAndAnIndexOutsideTheOutput) {
    ModelBuilder b(11);
    b.input("x", {-1, 1, 2}).input("i", {-1, 1, 2}, DataType::kInt64).output("y");
    b.node("MaxUnpool", {"x", "i"}, {"y"}, "unpool", {attr_is("kernel_shape", {2}), attr_is("strides", {2})});
    ir::Model m = b.build();
    auto empty = try_run(m, {{"x", floats({0, 1, 2}, {})}, {"i", int64s_shaped({0, 1, 2}, {})}});
    ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
    EXPECT_EQ((*empty)[0].tensor.dims(), (std::vector<int64_t>{0, 1, 4}));
    auto bad = try_run(m, {{"x", floats({1, 1, 2}, {1, 2})}, {"i", int64s_shaped({1, 1, 2}, {0, 4})}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(bad.status().message().find("MaxUnpool 'unpool'"), std::string::npos) << bad.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

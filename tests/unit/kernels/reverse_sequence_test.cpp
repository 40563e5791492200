// ReverseSequence (kernels/cpu/reverse_sequence.cpp): batch-major layout with lengths 0, partial and
// full, inner blocks, an empty batch, and a length past the time axis (a run-time error).
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

TEST(ReverseSequenceKernel, BatchMajorWithInnerBlocks) {
    // x [3 batch, 3 time, 2]: lengths 0 (unchanged), 2 (first two steps swap), 3 (all reversed).
    ModelBuilder b(10);
    b.input("x", {3, 3, 2}, DataType::kInt64).input("lens", {3}, DataType::kInt64).output("y", DataType::kInt64);
    b.node("ReverseSequence", {"x", "lens"}, {"y"}, "rs", {attr_i("batch_axis", 0), attr_i("time_axis", 1)});
    std::vector<int64_t> x(18);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>(i);
    auto out = try_run(b.build(), {{"x", int64s_shaped({3, 3, 2}, x)}, {"lens", int64s_shaped({3}, {0, 2, 3})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<int64_t>((*out)[0].tensor),
              (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 8, 9, 6, 7, 10, 11, 16, 17, 14, 15, 12, 13}));
}

TEST(ReverseSequenceKernel, EmptyBatchAndALengthPastTheTimeAxis) {
    ModelBuilder b(10);
    b.input("x", {4, -1}).input("lens", {-1}, DataType::kInt64).output("y");
    b.node("ReverseSequence", {"x", "lens"}, {"y"}, "rs");
    ir::Model m = b.build();
    auto empty = try_run(m, {{"x", floats({4, 0}, {})}, {"lens", int64s_shaped({0}, {})}});
    ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
    EXPECT_EQ((*empty)[0].tensor.dims(), (std::vector<int64_t>{4, 0}));
    auto bad = try_run(m, {{"x", floats({4, 1}, {1, 2, 3, 4})}, {"lens", int64s_shaped({1}, {5})}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(bad.status().message().find("ReverseSequence 'rs'"), std::string::npos) << bad.status().to_string();
    EXPECT_NE(bad.status().message().find("sequence_lens[0] = 5"), std::string::npos) << bad.status().to_string();
}

TEST(ReverseSequenceKernel, AxesOtherThanZeroAndOneAreRejected) {
    ModelBuilder b(10);
    b.input("x", {2, 2, 2}).input("lens", {2}, DataType::kInt64).output("y");
    b.node("ReverseSequence", {"x", "lens"}, {"y"}, "rs", {attr_i("batch_axis", 2), attr_i("time_axis", 0)});
    auto out = try_run(b.m, {{"x", floats({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}, {"lens", int64s_shaped({2}, {1, 1})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("ReverseSequence 'rs'"), std::string::npos) << out.status().to_string();
    EXPECT_NE(out.status().message().find("batch_axis and time_axis"), std::string::npos) << out.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

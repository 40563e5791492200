// Compress and Unique (kernels/cpu/selection.cpp): negative axes, conditions shorter than the axis,
// nothing selected, empty inputs, unsorted order, and a condition only known while running.
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

TEST(CompressKernel, NegativeAxisAndAShortCondition) {
    // x [2, 4]; condition over the last axis keeps columns 1 and 2; column 3 is past its end.
    ModelBuilder b(11);
    b.input("x", {2, 4}, DataType::kInt64).input("c", {3}, DataType::kBool).output("y", DataType::kInt64);
    b.node("Compress", {"x", "c"}, {"y"}, "cmp", {attr_i("axis", -1)});
    auto out =
        try_run(b.build(), {{"x", int64s_shaped({2, 4}, {0, 1, 2, 3, 4, 5, 6, 7})}, {"c", bools({3}, {0, 1, 1})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(values_of<int64_t>((*out)[0].tensor), (std::vector<int64_t>{1, 2, 5, 6}));
}

TEST(CompressKernel, FlattenedWithoutAxisAndNothingSelected) {
    ModelBuilder b(11);
    b.input("x", {2, 2}).input("c", {4}, DataType::kBool).output("y");
    b.node("Compress", {"x", "c"}, {"y"}, "cmp");
    ir::Model m = b.build();
    auto some = try_run(m, {{"x", floats({2, 2}, {1, 2, 3, 4})}, {"c", bools({4}, {1, 0, 0, 1})}});
    ASSERT_TRUE(some.is_ok()) << some.status().to_string();
    EXPECT_EQ(values_of<float>((*some)[0].tensor), (std::vector<float>{1, 4}));
    auto none = try_run(m, {{"x", floats({2, 2}, {1, 2, 3, 4})}, {"c", bools({4}, {0, 0, 0, 0})}});
    ASSERT_TRUE(none.is_ok()) << none.status().to_string();
    EXPECT_EQ((*none)[0].tensor.dims(), (std::vector<int64_t>{0}));
}

TEST(CompressKernel, EmptyInputAndAConditionLongerThanTheAxis) {
    {
        ModelBuilder b(11);
        b.input("x", {0, 3}).output("y");
        b.init("c", bools({2}, {1, 1}));
        b.node("Compress", {"x", "c"}, {"y"}, "cmp", {attr_i("axis", 1)});
        auto out = try_run(b.build(), {{"x", floats({0, 3}, {})}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{0, 2}));
    }
    {
        ModelBuilder b(11);
        b.input("x", {2, 2}).output("y");
        b.init("c", bools({3}, {1, 1, 1}));
        b.node("Compress", {"x", "c"}, {"y"}, "cmp", {attr_i("axis", 0)});
        auto out = try_run(b.m, {{"x", floats({2, 2}, {1, 2, 3, 4})}});
        ASSERT_FALSE(out.is_ok());
        EXPECT_NE(out.status().message().find("Compress 'cmp'"), std::string::npos) << out.status().to_string();
        EXPECT_NE(out.status().message().find("condition has 3 entries"), std::string::npos)
            << out.status().to_string();
    }
}

TEST(UniqueKernel, UnsortedKeepsFirstOccurrenceOrder) {
    ModelBuilder b(11);
    b.input("x", {6}, DataType::kInt64)
        .output("y", DataType::kInt64)
        .output("idx", DataType::kInt64)
        .output("inv", DataType::kInt64)
        .output("cnt", DataType::kInt64);
    b.node("Unique", {"x"}, {"y", "idx", "inv", "cnt"}, "u", {attr_i("sorted", 0)});
    auto out = try_run(b.build(), {{"x", int64s_shaped({6}, {3, 1, 3, 0, 1, 3})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<int64_t>((*out)[0].tensor), (std::vector<int64_t>{3, 1, 0}));
    EXPECT_EQ(values_of<int64_t>((*out)[1].tensor), (std::vector<int64_t>{0, 1, 3}));
    EXPECT_EQ(values_of<int64_t>((*out)[2].tensor), (std::vector<int64_t>{0, 1, 0, 2, 1, 0}));
    EXPECT_EQ(values_of<int64_t>((*out)[3].tensor), (std::vector<int64_t>{3, 2, 1}));
}

TEST(UniqueKernel, SortedRowsAlongANegativeAxis) {
    // Columns of x [2, 4] along axis -1: (1,5) (0,4) (1,5) (0,3) -> sorted (0,3) (0,4) (1,5).
    ModelBuilder b(11);
    b.input("x", {2, 4})
        .output("y")
        .output("idx", DataType::kInt64)
        .output("inv", DataType::kInt64)
        .output("cnt", DataType::kInt64);
    b.node("Unique", {"x"}, {"y", "idx", "inv", "cnt"}, "u", {attr_i("axis", -1)});
    auto out = try_run(b.build(), {{"x", floats({2, 4}, {1, 0, 1, 0, 5, 4, 5, 3})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{0, 0, 1, 3, 4, 5}));
    EXPECT_EQ(values_of<int64_t>((*out)[1].tensor), (std::vector<int64_t>{3, 1, 0}));
    EXPECT_EQ(values_of<int64_t>((*out)[2].tensor), (std::vector<int64_t>{2, 1, 2, 0}));
    EXPECT_EQ(values_of<int64_t>((*out)[3].tensor), (std::vector<int64_t>{1, 1, 2}));
}

TEST(UniqueKernel, EmptyInputGivesEmptyOutputs) {
    ModelBuilder b(11);
    b.input("x", {0}).output("y").output("idx", DataType::kInt64);
    b.node("Unique", {"x"}, {"y", "idx"}, "u");
    auto out = try_run(b.build(), {{"x", floats({0}, {})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{0}));
    EXPECT_EQ((*out)[1].tensor.dims(), (std::vector<int64_t>{0}));
}

TEST(UniqueKernel, AxisOutOfRangeNamesTheNode) {
    ModelBuilder b(11);
    b.input("x", {2, 2}).output("y");
    b.node("Unique", {"x"}, {"y"}, "u", {attr_i("axis", 2)});
    auto out = try_run(b.m, {{"x", floats({2, 2}, {1, 2, 3, 4})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("Unique 'u'"), std::string::npos) << out.status().to_string();
    EXPECT_NE(out.status().message().find("axis 2 is out of range"), std::string::npos) << out.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

#include <gtest/gtest.h>

#include <cstdint>

#include "edgeinfer/tensor.hpp"

namespace edgeinfer {
namespace {

TEST(DataType, SizesAndNames) {
    EXPECT_EQ(dtype_size(DataType::kFloat32), 4u);
    EXPECT_EQ(dtype_size(DataType::kInt64), 8u);
    EXPECT_EQ(dtype_size(DataType::kBool), 1u);
    EXPECT_EQ(dtype_size(DataType::kBFloat16), 2u);
    EXPECT_EQ(dtype_size(DataType::kString), 0u);
    EXPECT_EQ(dtype_name(DataType::kFloat16), "float16");
    EXPECT_EQ(dtype_from_name("int64"), DataType::kInt64);
    EXPECT_EQ(dtype_from_name("float"), DataType::kFloat32);
    EXPECT_EQ(dtype_from_name("nonsense"), DataType::kUndefined);
}

TEST(Shape, NumelAndString) {
    EXPECT_EQ(shape_numel({}), 1);
    EXPECT_EQ(shape_numel({2, 3, 4}), 24);
    EXPECT_EQ(shape_numel({2, 0, 4}), 0);
    EXPECT_EQ(shape_to_string({1, 3, 224, 224}), "1x3x224x224");
    EXPECT_EQ(shape_to_string({}), "scalar");
}

TEST(Tensor, AllocateIsZeroedAndAligned) {
    Tensor t = Tensor::allocate(DataType::kFloat32, {3, 5});
    EXPECT_EQ(t.numel(), 15);
    EXPECT_EQ(t.nbytes(), 60u);
    EXPECT_TRUE(t.owns_data());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
    for (int i = 0; i < 15; ++i) EXPECT_EQ(t.data_as<float>()[i], 0.0f);
}

TEST(Tensor, WrapDoesNotCopy) {
    float buf[6] = {1, 2, 3, 4, 5, 6};
    Tensor t = Tensor::wrap(DataType::kFloat32, {2, 3}, buf);
    EXPECT_FALSE(t.owns_data());
    EXPECT_EQ(t.data(), buf);
    buf[4] = 42;
    EXPECT_EQ(t.data_as<float>()[4], 42.0f);
}

TEST(Tensor, CopySharesCloneDoesNot) {
    Tensor a = Tensor::from_vector<int64_t>(DataType::kInt64, {3}, {1, 2, 3});
    Tensor shared = a;
    Tensor deep = a.clone();
    a.data_as<int64_t>()[0] = 9;
    EXPECT_EQ(shared.data_as<int64_t>()[0], 9);
    EXPECT_EQ(deep.data_as<int64_t>()[0], 1);
}

TEST(Tensor, ReshapedKeepsMemoryAndRejectsWrongCount) {
    Tensor a = Tensor::allocate(DataType::kFloat32, {2, 6});
    Tensor b = a.reshaped({3, 4});
    EXPECT_EQ(b.data(), a.data());
    EXPECT_EQ(b.dims(), (std::vector<int64_t>{3, 4}));
    EXPECT_TRUE(a.reshaped({5}).empty());
}

TEST(Tensor, Strings) {
    Tensor s = Tensor::strings({2}, {"cat", "dog"});
    EXPECT_EQ(s.dtype(), DataType::kString);
    EXPECT_EQ(s.string_data()[1], "dog");
    EXPECT_EQ(s.clone().string_data(), s.string_data());
}

}  // namespace
}  // namespace edgeinfer

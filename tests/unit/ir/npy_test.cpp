#include <gtest/gtest.h>

#include "ir/npy.hpp"

namespace edgeinfer::ir {
namespace {

TEST(Npy, RoundTrip) {
    Tensor t = Tensor::from_vector<float>(DataType::kFloat32, {2, 3}, {1, 2, 3, 4, 5, 6});
    std::string bytes = encode_npy(t);
    EXPECT_EQ((10 + (static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8))) % 64, 0u);
    auto back = decode_npy(bytes.data(), bytes.size(), "t.npy");
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(back->dims(), t.dims());
    EXPECT_EQ(back->data_as<float>()[5], 6.0f);
    Tensor i = Tensor::from_vector<int64_t>(DataType::kInt64, {3}, {7, 8, 9});
    std::string ib = encode_npy(i);
    auto iback = decode_npy(ib.data(), ib.size(), "i.npy");
    ASSERT_TRUE(iback.is_ok());
    EXPECT_EQ(iback->dtype(), DataType::kInt64);
    EXPECT_EQ(iback->dims(), (std::vector<int64_t>{3}));
    Tensor s = Tensor::from_vector<float>(DataType::kFloat32, {}, {3.5f});
    std::string sb = encode_npy(s);
    auto sback = decode_npy(sb.data(), sb.size(), "s.npy");
    ASSERT_TRUE(sback.is_ok());
    EXPECT_TRUE(sback->dims().empty());
}

TEST(Npy, BadFilesAreErrors) {
    EXPECT_EQ(decode_npy("hello", 5, "x.npy").status().code(), StatusCode::kInvalidArgument);
    Tensor t = Tensor::from_vector<float>(DataType::kFloat32, {4}, {1, 2, 3, 4});
    std::string bytes = encode_npy(t);
    auto truncated = decode_npy(bytes.data(), bytes.size() - 3, "x.npy");
    ASSERT_FALSE(truncated.is_ok());
    EXPECT_NE(truncated.status().message().find("truncated"), std::string::npos);
    std::string fortran = bytes;
    fortran.replace(fortran.find("False"), 5, "True ");
    EXPECT_EQ(decode_npy(fortran.data(), fortran.size(), "x.npy").status().code(), StatusCode::kUnsupported);
    std::string obj = bytes;
    obj.replace(obj.find("<f4"), 3, "|O8");
    EXPECT_EQ(decode_npy(obj.data(), obj.size(), "x.npy").status().code(), StatusCode::kUnsupported);
    for (size_t cut = 0; cut < bytes.size(); ++cut) (void)decode_npy(bytes.data(), cut, "cut.npy");
    EXPECT_EQ(read_npy("/nonexistent.npy").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgeinfer::ir

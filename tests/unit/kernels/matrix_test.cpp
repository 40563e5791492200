// Trilu and Det (kernels/cpu/matrix.cpp) on what the ONNX backend tests leave out: batches of
// matrices, k beyond either side, integer and bool data, empty tensors, and the errors a node gets.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

// Trilu by definition: element (i, j) of every matrix is kept where j - i >= k (upper) or <= k.
std::vector<int64_t> trilu_reference(const std::vector<int64_t>& x, int64_t rows, int64_t cols, int64_t k, bool upper) {
    std::vector<int64_t> y(x.size());
    for (size_t e = 0; e < x.size(); ++e) {
        int64_t i = static_cast<int64_t>(e) / cols % rows, j = static_cast<int64_t>(e) % cols;
        bool keep = upper ? j - i >= k : j - i <= k;
        y[e] = keep ? x[e] : 0;
    }
    return y;
}

TEST(TriluKernel, BatchedInt64MatchesTheDefinitionForEveryK) {
    const int64_t rows = 3, cols = 5;
    std::vector<int64_t> x(2 * rows * cols);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int64_t>(i) + 1;
    for (bool upper : {true, false}) {
        for (int64_t k : {-7, -3, -1, 0, 2, 4, 5, 9}) {
            ModelBuilder b(14);
            b.input("x", {2, rows, cols}, DataType::kInt64).output("y", DataType::kInt64);
            b.init("k", int64s_shaped({}, {k}));
            b.node("Trilu", {"x", "k"}, {"y"}, "tri", {attr_i("upper", upper ? 1 : 0)});
            auto out = try_run(b.build(), {{"x", int64s_shaped({2, rows, cols}, x)}});
            ASSERT_TRUE(out.is_ok()) << out.status().to_string();
            EXPECT_EQ(values_of<int64_t>((*out)[0].tensor), trilu_reference(x, rows, cols, k, upper))
                << "upper=" << upper << " k=" << k;
        }
    }
}

TEST(TriluKernel, KFromARuntimeInputAndBoolData) {
    ModelBuilder b(14);
    b.input("x", {2, 2}, DataType::kBool).input("k", {}, DataType::kInt64).output("y", DataType::kBool);
    b.node("Trilu", {"x", "k"}, {"y"}, "tri", {attr_i("upper", 0)});
    auto out = try_run(b.build(), {{"x", bools({2, 2}, {1, 1, 1, 1})}, {"k", int64s_shaped({}, {-1})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ(values_of<uint8_t>((*out)[0].tensor), (std::vector<uint8_t>{0, 0, 1, 0}));
}

TEST(TriluKernel, EmptyMatricesGiveAnEmptyOutput) {
    ModelBuilder b(14);
    b.input("x", {0, 3, 3}).output("y");
    b.node("Trilu", {"x"}, {"y"}, "tri");
    auto out = try_run(b.build(), {{"x", floats({0, 3, 3}, {})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{0, 3, 3}));
}

TEST(TriluKernel, RejectsRankOneAndABadUpperNamingTheNode) {
    {
        ModelBuilder b(14);
        b.input("x", {4}).output("y");
        b.node("Trilu", {"x"}, {"y"}, "tri");
        auto out = try_run(b.m, {{"x", floats({4}, {1, 2, 3, 4})}});
        ASSERT_FALSE(out.is_ok());
        EXPECT_NE(out.status().message().find("Trilu 'tri'"), std::string::npos) << out.status().to_string();
        EXPECT_NE(out.status().message().find("rank >= 2"), std::string::npos) << out.status().to_string();
    }
    {
        ModelBuilder b(14);
        b.input("x", {2, 2}).output("y");
        b.node("Trilu", {"x"}, {"y"}, "tri", {attr_i("upper", 2)});
        auto out = try_run(b.m, {{"x", floats({2, 2}, {1, 2, 3, 4})}});
        ASSERT_FALSE(out.is_ok());
        EXPECT_NE(out.status().message().find("Trilu 'tri'"), std::string::npos) << out.status().to_string();
        EXPECT_NE(out.status().message().find("upper"), std::string::npos) << out.status().to_string();
    }
}

TEST(DetKernel, BatchOfMatricesWithPivotingAndASingularOne) {
    // [[0, 1], [1, 0]] needs a row swap (det -1); [[2, 4], [1, 2]] is singular; a 3x3 with det 12.
    ModelBuilder b(13);
    b.input("x", {3, 3, 3}).output("y");
    b.node("Det", {"x"}, {"y"}, "det");
    std::vector<float> x = {0, 1, 0, 1, 0, 0, 0, 0, 1,   // permutation: det -1
                            2, 4, 0, 1, 2, 0, 0, 0, 5,   // singular
                            2, 0, 1, 1, 3, 2, 1, 1, 3};  // det = 2*(9-2) - 0 + 1*(1-3) = 12
    auto out = try_run(b.build(), {{"x", floats({3, 3, 3}, x)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    const Tensor& y = (*out)[0].tensor;
    ASSERT_EQ(y.dims(), (std::vector<int64_t>{3}));
    EXPECT_NEAR(y.data_as<float>()[0], -1.0f, 1e-6);
    EXPECT_NEAR(y.data_as<float>()[1], 0.0f, 1e-6);
    EXPECT_NEAR(y.data_as<float>()[2], 12.0f, 1e-5);
}

TEST(DetKernel, EmptyBatchAndNonSquareInput) {
    {
        ModelBuilder b(13);
        b.input("x", {0, 2, 2}).output("y");
        b.node("Det", {"x"}, {"y"}, "det");
        auto out = try_run(b.build(), {{"x", floats({0, 2, 2}, {})}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{0}));
    }
    {
        ModelBuilder b(13);
        b.input("x", {2, 3}).output("y");
        b.node("Det", {"x"}, {"y"}, "det");
        auto out = try_run(b.m, {{"x", floats({2, 3}, {1, 2, 3, 4, 5, 6})}});
        ASSERT_FALSE(out.is_ok());
        EXPECT_NE(out.status().message().find("Det 'det'"), std::string::npos) << out.status().to_string();
        EXPECT_NE(out.status().message().find("[*, M, M]"), std::string::npos) << out.status().to_string();
    }
}

}  // namespace
}  // namespace edgeinfer::testing

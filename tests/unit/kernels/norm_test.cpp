// MeanVarianceNormalization (kernels/cpu/norm.cpp) against a double-precision reference over
// negative and non-adjacent axes, on float64 too; empty tensors; an axis listed twice.
#include <gtest/gtest.h>

#include <cmath>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

// (x - mean) / (std + 1e-9) over the axes in `reduced`, by brute force.
std::vector<double> mvn_reference(const std::vector<int64_t>& dims, const std::vector<float>& x,
                                  const std::vector<bool>& reduced) {
    const size_t n = x.size(), rank = dims.size();
    auto key = [&](size_t i) {
        std::vector<int64_t> k;
        for (size_t d = rank; d-- > 0;) {
            int64_t c = static_cast<int64_t>(i) % dims[d];
            i /= static_cast<size_t>(dims[d]);
            if (!reduced[d]) k.push_back(c);
        }
        return k;
    };
    std::vector<double> y(n);
    for (size_t i = 0; i < n; ++i) {
        double sum = 0, sq = 0, count = 0;
        for (size_t j = 0; j < n; ++j)
            if (key(j) == key(i)) sum += x[j], sq += double(x[j]) * x[j], count += 1;
        double mean = sum / count, var = std::max(sq / count - mean * mean, 0.0);
        y[i] = (x[i] - mean) / (std::sqrt(var) + 1e-9);
    }
    return y;
}

TEST(MeanVarianceNormalizationKernel, NegativeNonAdjacentAxesMatchTheReference) {
    const std::vector<int64_t> dims = {2, 3, 2, 4};
    Tensor x = random_tensor(dims, 11, 3.0f);
    std::vector<float> xv = values_of<float>(x);
    ModelBuilder b(13);
    b.input("x", dims).output("y");
    b.node("MeanVarianceNormalization", {"x"}, {"y"}, "mvn", {attr_is("axes", {-1, 1})});
    auto out = try_run(b.build(), {{"x", x}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    std::vector<double> ref = mvn_reference(dims, xv, {false, true, false, true});
    const float* y = (*out)[0].tensor.data_as<float>();
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(y[i], ref[i], 1e-4) << i;
}

TEST(MeanVarianceNormalizationKernel, Float64DefaultAxes) {
    const std::vector<int64_t> dims = {2, 2, 2, 3};
    std::vector<double> xv(24);
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = std::sin(static_cast<double>(i)) * 5.0;
    ModelBuilder b(13);
    b.input("x", dims, DataType::kFloat64).output("y", DataType::kFloat64);
    b.node("MeanVarianceNormalization", {"x"}, {"y"}, "mvn");
    auto out = try_run(b.build(), {{"x", typed<double>(DataType::kFloat64, dims, xv)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    std::vector<float> xf(xv.begin(), xv.end());
    std::vector<double> ref = mvn_reference(dims, xf, {true, false, true, true});
    const double* y = (*out)[0].tensor.data_as<double>();
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(y[i], ref[i], 1e-5) << i;
}

TEST(MeanVarianceNormalizationKernel, EmptyTensorAndADuplicateAxis) {
    {
        ModelBuilder b(13);
        b.input("x", {0, 3, 2, 2}).output("y");
        b.node("MeanVarianceNormalization", {"x"}, {"y"}, "mvn");
        auto out = try_run(b.build(), {{"x", floats({0, 3, 2, 2}, {})}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{0, 3, 2, 2}));
    }
    {
        ModelBuilder b(13);
        b.input("x", {2, 2}).output("y");
        b.node("MeanVarianceNormalization", {"x"}, {"y"}, "mvn", {attr_is("axes", {1, -1})});
        auto out = try_run(b.m, {{"x", floats({2, 2}, {1, 2, 3, 4})}});
        ASSERT_FALSE(out.is_ok());
        EXPECT_NE(out.status().message().find("MeanVarianceNormalization 'mvn'"), std::string::npos)
            << out.status().to_string();
        EXPECT_NE(out.status().message().find("listed twice"), std::string::npos) << out.status().to_string();
    }
}

}  // namespace
}  // namespace edgeinfer::testing

// DFT, STFT and the windows (kernels/cpu/signal.cpp): FFTs of prime, odd and power-of-two lengths
// against a direct O(n^2) sum, a negative axis, zero-padding, inverse round trips, windows of size
// 0 and 1, and a signal shorter than a frame.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

using cd = std::complex<double>;

Result<std::vector<NamedTensor>> dft(const Tensor& x, std::vector<ir::Attribute> attrs, int64_t length = 0) {
    ModelBuilder b(17);
    b.input("x", x.dims()).output("y");
    std::vector<std::string> ins{"x"};
    if (length > 0) {
        b.init("len", int64s_shaped({}, {length}));
        ins.push_back("len");
    }
    b.node("DFT", ins, {"y"}, "dft", std::move(attrs));
    return try_run(b.build(), {{"x", x}});
}

TEST(DftKernel, MatchesTheDirectSumForPrimeOddAndPowerOfTwoLengths) {
    for (int64_t n : {1, 7, 8, 12, 31}) {
        // x [2, n, 3, 1] real, transformed along axis -3 (= 1), padded to n + 2 points.
        Tensor x = random_tensor({2, n, 3, 1}, static_cast<uint32_t>(n));
        const int64_t len = n + 2;
        auto out = dft(x, {attr_i("axis", -3)}, len);
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        const Tensor& y = (*out)[0].tensor;
        ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, len, 3, 2}));
        const float* xv = x.data_as<float>();
        const float* yv = y.data_as<float>();
        for (int64_t b = 0; b < 2; ++b)
            for (int64_t i = 0; i < 3; ++i)
                for (int64_t k = 0; k < len; ++k) {
                    cd sum(0, 0);
                    for (int64_t t = 0; t < n; ++t)
                        sum +=
                            double(xv[(b * n + t) * 3 + i]) * std::polar(1.0, -2 * M_PI * double(k * t) / double(len));
                    const float* got = yv + ((b * len + k) * 3 + i) * 2;
                    EXPECT_NEAR(got[0], sum.real(), 1e-4) << "n=" << n << " k=" << k;
                    EXPECT_NEAR(got[1], sum.imag(), 1e-4) << "n=" << n << " k=" << k;
                }
    }
}

TEST(DftKernel, InverseUndoesTheForwardTransformAndOnesidedKeepsHalf) {
    Tensor x = random_tensor({1, 9, 2}, 3);
    auto fwd = dft(x, {});
    ASSERT_TRUE(fwd.is_ok()) << fwd.status().to_string();
    auto back = dft((*fwd)[0].tensor, {attr_i("inverse", 1)});
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    for (int64_t i = 0; i < x.numel(); ++i)
        EXPECT_NEAR((*back)[0].tensor.data_as<float>()[i], x.data_as<float>()[i], 1e-5) << i;
    auto half = dft(random_tensor({1, 9, 1}, 4), {attr_i("onesided", 1)});
    ASSERT_TRUE(half.is_ok()) << half.status().to_string();
    EXPECT_EQ((*half)[0].tensor.dims(), (std::vector<int64_t>{1, 5, 2}));
}

TEST(DftKernel, TheComplexAxisIsNotASignalAxis) {
    ModelBuilder b(17);
    b.input("x", {1, 4, 2}).output("y");
    b.node("DFT", {"x"}, {"y"}, "dft", {attr_i("axis", -1)});
    auto out = try_run(b.m, {{"x", random_tensor({1, 4, 2}, 1)}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("DFT 'dft'"), std::string::npos) << out.status().to_string();
    EXPECT_NE(out.status().message().find("signal axis"), std::string::npos) << out.status().to_string();
}

TEST(WindowKernels, SizesZeroAndOneAndDoubleOutput) {
    for (int64_t size : {0, 1, 5}) {
        ModelBuilder b(17);
        b.input("n", {}, DataType::kInt64).output("w", DataType::kFloat64);
        b.node("HannWindow", {"n"}, {"w"}, "hann", {attr_i("output_datatype", 11), attr_i("periodic", 0)});
        auto out = try_run(b.build(), {{"n", int64s_shaped({}, {size})}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        const Tensor& w = (*out)[0].tensor;
        ASSERT_EQ(w.dims(), (std::vector<int64_t>{size}));
        ASSERT_EQ(w.dtype(), DataType::kFloat64);
        for (int64_t i = 0; i < size; ++i) {
            double expect = size == 1 ? 0.0 : 0.5 - 0.5 * std::cos(2 * M_PI * double(i) / double(size - 1));
            EXPECT_NEAR(w.data_as<double>()[i], expect, 1e-12) << size << " " << i;
        }
    }
}

TEST(StftKernel, FramesMatchDftsOfWindowedSlicesAndShortSignalsFail) {
    Tensor x = random_tensor({1, 20, 1}, 9);
    ModelBuilder b(17);
    b.input("x", {1, 20, 1}).output("y");
    b.init("step", int64s_shaped({}, {5}));
    b.init("len", int64s_shaped({}, {6}));
    b.node("STFT", {"x", "step", "", "len"}, {"y"}, "stft");
    auto out = try_run(b.build(), {{"x", x}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    const Tensor& y = (*out)[0].tensor;
    ASSERT_EQ(y.dims(), (std::vector<int64_t>{1, 3, 4, 2}));  // (20 - 6) / 5 + 1 frames, 6 / 2 + 1 bins
    for (int64_t f = 0; f < 3; ++f)
        for (int64_t k = 0; k < 4; ++k) {
            cd sum(0, 0);
            for (int64_t t = 0; t < 6; ++t)
                sum += double(x.data_as<float>()[f * 5 + t]) * std::polar(1.0, -2 * M_PI * double(k * t) / 6.0);
            EXPECT_NEAR(y.data_as<float>()[(f * 4 + k) * 2], sum.real(), 1e-4);
            EXPECT_NEAR(y.data_as<float>()[(f * 4 + k) * 2 + 1], sum.imag(), 1e-4);
        }
    ModelBuilder s(17);
    s.input("x", {1, 4, 1}).output("y");
    s.init("step", int64s_shaped({}, {1}));
    s.init("len", int64s_shaped({}, {6}));
    s.node("STFT", {"x", "step", "", "len"}, {"y"}, "stft");
    auto bad = try_run(s.m, {{"x", random_tensor({1, 4, 1}, 2)}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("STFT 'stft'"), std::string::npos) << bad.status().to_string();
    EXPECT_NE(bad.status().message().find("shorter than a frame"), std::string::npos) << bad.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

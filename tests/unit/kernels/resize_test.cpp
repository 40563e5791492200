// Resize (linear, cubic) against a brute-force n-linear / n-cubic reference in double precision, on
// shapes that take each of the kernel's paths: rows-first upsampling (NCHW images, channels-last
// images, rank 3), the separable two-pass path and downsampling; uint8/int8 input on the same paths.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

struct ResizeCase {
    std::vector<int64_t> in, out;
    std::string mode, coord;
};

// Taps (input index, weight) of one axis for output coordinate o, following the ONNX definition.
std::vector<std::pair<int64_t, double>> axis_taps(const ResizeCase& c, int64_t in, int64_t out, int64_t o) {
    if (in == out) return {{o, 1.0}};
    double scale = static_cast<double>(out) / static_cast<double>(in);
    double x =
        c.coord == "align_corners"
            ? (out == 1 ? 0.0 : static_cast<double>(o) * static_cast<double>(in - 1) / static_cast<double>(out - 1))
            : (static_cast<double>(o) + 0.5) / scale - 0.5;
    double base = std::floor(x), r = x - base;
    auto i0 = static_cast<int64_t>(base);
    auto clamp = [in](int64_t i) { return std::min(std::max<int64_t>(i, 0), in - 1); };
    if (c.mode == "linear") return {{clamp(i0), 1.0 - r}, {clamp(i0 + 1), r}};
    const double a = -0.75;
    auto near = [a](double t) { return ((a + 2) * t - (a + 3)) * t * t + 1; };
    auto far = [a](double t) { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; };
    return {
        {clamp(i0 - 1), far(1 + r)}, {clamp(i0), near(r)}, {clamp(i0 + 1), near(1 - r)}, {clamp(i0 + 2), far(2 - r)}};
}

std::vector<double> reference(const ResizeCase& c, const Tensor& x) {
    const size_t rank = c.in.size();
    std::vector<int64_t> in_strides(rank, 1);
    for (size_t a = rank - 1; a-- > 0;) in_strides[a] = in_strides[a + 1] * c.in[a + 1];
    std::vector<double> out(static_cast<size_t>(shape_numel(c.out)));
    std::vector<int64_t> idx(rank, 0);
    for (double& v : out) {
        std::vector<std::pair<int64_t, double>> combos{{0, 1.0}};  // (input offset, weight)
        for (size_t a = 0; a < rank; ++a) {
            std::vector<std::pair<int64_t, double>> next;
            for (const auto& [off, w] : combos)
                for (const auto& [i, tw] : axis_taps(c, c.in[a], c.out[a], idx[a]))
                    next.push_back({off + i * in_strides[a], w * tw});
            combos = std::move(next);
        }
        v = 0.0;
        for (const auto& [off, w] : combos) v += w * x.data_as<float>()[off];
        for (size_t a = rank; a-- > 0;) {
            if (++idx[a] < c.out[a]) break;
            idx[a] = 0;
        }
    }
    return out;
}

TEST(ResizeKernel, MatchesTheReferenceOnEveryPath) {
    const std::vector<ResizeCase> cases = {
        {{1, 3, 7, 5}, {1, 3, 20, 13}, "linear", "half_pixel"},      // rows first (NCHW upsampling)
        {{1, 3, 7, 5}, {1, 3, 20, 13}, "linear", "align_corners"},   // rows first
        {{1, 2, 6, 9}, {1, 2, 17, 25}, "cubic", "half_pixel"},       // rows first, 4 taps per axis
        {{1, 6, 5, 8}, {1, 17, 11, 8}, "linear", "half_pixel"},      // channels-last image: the last axis copies
        {{2, 4, 9}, {2, 11, 9}, "linear", "half_pixel"},             // rank 3
        {{1, 21, 4, 4}, {1, 21, 33, 33}, "linear", "half_pixel"},    // a segmentation head's upsample
        {{1, 1, 4, 40}, {1, 1, 6, 60}, "linear", "half_pixel"},      // two-pass (few rows, wide)
        {{1, 3, 20, 13}, {1, 3, 7, 5}, "linear", "half_pixel"},      // downsampling
        {{1, 2, 11, 10}, {1, 2, 6, 17}, "cubic", "align_corners"}};  // mixed
    for (const ResizeCase& c : cases) {
        ModelBuilder b(13);
        b.input("x", c.in).output("y");
        b.init("sizes", int64s(c.out));
        b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize",
               {attr_s("mode", c.mode), attr_s("coordinate_transformation_mode", c.coord)});
        ir::Model m = b.build();
        auto inputs = seeded_inputs(m, 1);
        auto y = run_model(m, inputs);
        ASSERT_EQ(y.size(), 1u);
        ASSERT_EQ(y[0].tensor.dims(), c.out);
        std::vector<double> want = reference(c, inputs[0].tensor);
        double worst = 0;
        for (size_t i = 0; i < want.size(); ++i)
            worst = std::max(worst, std::fabs(want[i] - y[0].tensor.data_as<float>()[i]) / (1.0 + std::fabs(want[i])));
        EXPECT_LE(worst, 2e-6) << shape_to_string(c.in) << " -> " << shape_to_string(c.out) << " " << c.mode << " "
                               << c.coord;
    }
}

// uint8/int8 linear and cubic interpolate in float32, then truncate toward zero and saturate, as ONNX Runtime
// 1.30 does (its static_cast; the oracle cases Resize13_*int8_linear*); ORT's channels-last 10-bit fixed point
// is checked by hand below.
template <typename T>
void check_eight_bit(DataType dtype) {
    const std::vector<ResizeCase> cases = {{{1, 3, 7, 5}, {1, 3, 20, 13}, "linear", "half_pixel"},
                                           {{2, 4, 9}, {2, 11, 9}, "linear", "half_pixel"},
                                           {{1, 1, 4, 40}, {1, 1, 6, 60}, "linear", "half_pixel"},
                                           {{1, 3, 20, 13}, {1, 3, 7, 5}, "linear", "align_corners"},
                                           {{1, 2, 6, 9}, {1, 2, 17, 25}, "cubic", "half_pixel"},
                                           {{1, 2, 11, 10}, {1, 2, 6, 17}, "cubic", "align_corners"}};
    const double lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    for (const ResizeCase& c : cases) {
        const int64_t n = shape_numel(c.in);
        std::vector<T> x(static_cast<size_t>(n));
        std::vector<float> xf(x.size());
        for (int64_t i = 0; i < n; ++i) {  // ramps with jumps from the low end of the range to the high one
            x[i] = static_cast<T>(lo + static_cast<double>((i * 37 + (i % 7 == 0 ? 200 : 0)) % 256));
            xf[i] = static_cast<float>(x[i]);
        }
        ModelBuilder b(13);
        b.input("x", c.in, dtype).output("y", dtype);
        b.init("sizes", int64s(c.out));
        b.node("Resize", {"x", "", "", "sizes"}, {"y"}, "resize",
               {attr_s("mode", c.mode), attr_s("coordinate_transformation_mode", c.coord)});
        auto out = try_run(b.m, {{"x", typed<T>(dtype, c.in, x)}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        const Tensor& y = (*out)[0].tensor;
        ASSERT_EQ(y.dtype(), dtype);
        ASSERT_EQ(y.dims(), c.out);
        const std::vector<double> want = reference(c, floats(c.in, xf));
        int rounded_down = 0;
        for (size_t i = 0; i < want.size(); ++i) {
            // float32 against double: a value within 1e-3 of an integer may truncate either way.
            const double a = std::trunc(std::clamp(want[i] - 1e-3, lo, hi));
            const double z = std::trunc(std::clamp(want[i] + 1e-3, lo, hi));
            const double got = static_cast<double>(y.data_as<T>()[i]);
            EXPECT_TRUE(got == a || got == z)
                << dtype_name(dtype) << " " << shape_to_string(c.in) << " -> " << shape_to_string(c.out) << " "
                << c.mode << " element " << i << ": got " << got << ", reference " << want[i];
            rounded_down += want[i] - std::trunc(want[i]) > 0.6 && want[i] < hi;
        }
        EXPECT_GT(rounded_down, 0) << "no value checks truncation against rounding";
    }
}

TEST(ResizeKernel, EightBitInterpolatesInFloatThenTruncatesAndSaturates) {
    check_eight_bit<uint8_t>(DataType::kUInt8);
    check_eight_bit<int8_t>(DataType::kInt8);
    // By hand: [0, 255] -> 4 (half_pixel): 0, 63.75, 191.25, 255; int8 [-128, 127]: -128, -64.25, 63.25, 127.
    // Cubic overshoots past the range on a step and saturates.
    for (const std::string mode : {"linear", "cubic"}) {
        ModelBuilder b(13);
        b.input("u", {1, 1, 1, 2}, DataType::kUInt8).input("s", {1, 1, 1, 4}, DataType::kInt8);
        b.output("yu", DataType::kUInt8).output("ys", DataType::kInt8);
        b.init("up", int64s({1, 1, 1, 4})).init("same", int64s({1, 1, 1, 8}));
        b.node("Resize", {"u", "", "", "up"}, {"yu"}, "ru", {attr_s("mode", mode)});
        b.node("Resize", {"s", "", "", "same"}, {"ys"}, "rs", {attr_s("mode", mode)});
        auto out = try_run(b.m, {{"u", typed<uint8_t>(DataType::kUInt8, {1, 1, 1, 2}, {0, 255})},
                                 {"s", typed<int8_t>(DataType::kInt8, {1, 1, 1, 4}, {-128, -128, 127, 127})}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        const auto yu = values_of<uint8_t>((*out)[0].tensor);
        const auto ys = values_of<int8_t>((*out)[1].tensor);
        if (mode == "linear") {
            EXPECT_EQ(yu, (std::vector<uint8_t>{0, 63, 191, 255}));
            EXPECT_EQ(ys, (std::vector<int8_t>{-128, -128, -128, -64, 63, 127, 127, 127}));
        } else {  // a = -0.75: -128, -136.96, -154.89, -70.23, 69.23, 153.89, 135.96, 127
            EXPECT_EQ(ys, (std::vector<int8_t>{-128, -128, -128, -70, 69, 127, 127, 127})) << "saturated, not wrapped";
        }
    }
    // [0, 255] to 4 with align_corners: coordinates 0, 1/3, 2/3, 1. NCHW (scales [1, 1, 2, 1]) weighs in float32:
    // 85.000002 and 170.000003 truncate to 85 and 170. Channels-last (scales [1, 2, 1, 1]) is ONNX Runtime's
    // 10-bit fixed point: 1/3 is 341/1024, so 255 * 341 / 1024 = 84.9 and 255 * 682 / 1024 = 169.8 give 84, 169.
    {
        ModelBuilder b(13);
        b.input("nchw", {1, 1, 2, 1}, DataType::kUInt8).input("nhwc", {1, 2, 1, 1}, DataType::kUInt8);
        b.output("a", DataType::kUInt8).output("b", DataType::kUInt8);
        b.init("s1", int64s({1, 1, 4, 1})).init("s2", int64s({1, 4, 1, 1}));
        const auto attrs = std::vector<ir::Attribute>{attr_s("mode", "linear"),
                                                      attr_s("coordinate_transformation_mode", "align_corners")};
        b.node("Resize", {"nchw", "", "", "s1"}, {"a"}, "planar", attrs);
        b.node("Resize", {"nhwc", "", "", "s2"}, {"b"}, "channels_last", attrs);
        const std::vector<uint8_t> x{0, 255};
        auto out = try_run(b.m, {{"nchw", typed<uint8_t>(DataType::kUInt8, {1, 1, 2, 1}, x)},
                                 {"nhwc", typed<uint8_t>(DataType::kUInt8, {1, 2, 1, 1}, x)}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        EXPECT_EQ(values_of<uint8_t>((*out)[0].tensor), (std::vector<uint8_t>{0, 85, 170, 255}));
        EXPECT_EQ(values_of<uint8_t>((*out)[1].tensor), (std::vector<uint8_t>{0, 84, 169, 255}));
    }
    // antialias stays float32-only, with a message naming the node.
    ModelBuilder b(18);
    b.input("x", {1, 1, 4, 4}, DataType::kUInt8).output("y", DataType::kUInt8);
    b.init("scales", floats({4}, {1, 1, 0.5f, 0.5f}));
    b.node("Resize", {"x", "", "scales"}, {"y"}, "aa", {attr_s("mode", "linear"), attr_i("antialias", 1)});
    auto bad = try_run(b.m, {{"x", typed<uint8_t>(DataType::kUInt8, {1, 1, 4, 4}, std::vector<uint8_t>(16, 7))}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("antialias needs float32 input"), std::string::npos)
        << bad.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

// Resize (linear, cubic) against a brute-force n-linear / n-cubic reference in double precision, on
// shapes that take each of the kernel's paths: rows-first upsampling (NCHW images, channels-last
// images, rank 3), the separable two-pass path and downsampling.
#include <gtest/gtest.h>

#include <cmath>

#include "../passes/pass_test_util.hpp"

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

}  // namespace
}  // namespace edgeinfer::testing

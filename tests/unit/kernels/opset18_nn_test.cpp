// Opsets 18-21 neural-network operators: Col2Im, CenterCropPad, GroupNormalization 18/21, DeformConv,
// AffineGrid, GridSample-20 (N-d, mode names), DFT-20 (axis input), Resize-18/19 (axes,
// keep_aspect_ratio_policy, antialias, half_pixel_symmetric), Pad-18/19 (axes, wrap), AveragePool-19
// dilations and LpPool (ceil_mode of opset 18). Expected values are computed here by hand or by plain
// reference loops written independently of the kernels (gathers where the kernels scatter, direct sums
// where they use FFTs or oneDNN).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

Tensor iota(const std::vector<int64_t>& dims, float start = 0.0f, float step = 1.0f) {
    std::vector<float> v(static_cast<size_t>(shape_numel(dims)));
    for (size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>(i);
    return floats(dims, v);
}

Tensor float_values(const std::vector<float>& v) { return floats({static_cast<int64_t>(v.size())}, v); }

void expect_near_all(const Tensor& got, const std::vector<double>& want, double tol, const std::string& what) {
    ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size())) << what;
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got.data_as<float>()[i], want[i], tol) << what << " at " << i;
}

// The status of a model that must fail, with its message checked for each word: attribute errors found
// when the kernel is created are listed as nodes that cannot run (Unsupported); shape errors found when
// the plan is prepared are InvalidArgument.
void expect_error(const ir::Model& m, const std::vector<NamedTensor>& inputs, StatusCode code,
                  const std::vector<std::string>& words) {
    auto r = try_run(m, inputs);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), code) << r.status().to_string();
    for (const std::string& w : words)
        EXPECT_NE(r.status().message().find(w), std::string::npos) << w << " not in " << r.status().message();
}

// ---------------------------------------------------------------------------------------------
// Pad-18/19, AveragePool-19, LpPool-18

TEST(Opset18Nn, PadAxesAndWrap) {
    ModelBuilder b(19);
    b.input("x", {2, 3}).output("wrap").output("crop_wrap").output("const_axes");
    b.init("pads", int64s({2, 1})).init("axes", int64s({-1}));
    b.init("pads2", int64s({0, -1, 0, 2})).init("pads3", int64s({1, 0})).init("axes0", int64s({0}));
    b.node("Pad", {"x", "pads", "", "axes"}, {"wrap"}, "pad_wrap", {attr_s("mode", "wrap")});
    // Crop the first column, then wrap-pad two at the end: ONNX pads what remains after cropping.
    b.node("Pad", {"x", "pads2"}, {"crop_wrap"}, "pad_crop_wrap", {attr_s("mode", "wrap")});
    b.node("Pad", {"x", "pads3", "", "axes0"}, {"const_axes"}, "pad_axes");
    auto out = try_run(b.m, {{"x", floats({2, 3}, {1, 2, 3, 4, 5, 6})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 6}));
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4}));
    EXPECT_EQ(values_of<float>((*out)[1].tensor), (std::vector<float>{2, 3, 2, 3, 5, 6, 5, 6}));
    EXPECT_EQ((*out)[2].tensor.dims(), (std::vector<int64_t>{3, 3}));
    EXPECT_EQ(values_of<float>((*out)[2].tensor), (std::vector<float>{0, 0, 0, 1, 2, 3, 4, 5, 6}));

    ModelBuilder bad(19);
    bad.input("x", {2, 3}).output("y");
    bad.init("pads", int64s({1, 1})).init("axes", int64s({2}));
    bad.node("Pad", {"x", "pads", "", "axes"}, {"y"}, "pad_bad_axes");
    expect_error(bad.m, {{"x", floats({2, 3}, {1, 2, 3, 4, 5, 6})}}, StatusCode::kInvalidArgument,
                 {"pad_bad_axes", "axes [2] are out of range"});
}

TEST(Opset18Nn, AveragePoolDilations) {
    ModelBuilder b(19);
    b.input("x", {1, 1, 4, 4}).output("y");
    b.node("AveragePool", {"x"}, {"y"}, "pool", {attr_is("kernel_shape", {2, 2}), attr_is("dilations", {2, 2})});
    auto out = try_run(b.m, {{"x", iota({1, 1, 4, 4})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 2, 2}));
    // Window (i, j): x[i][j], x[i][j+2], x[i+2][j], x[i+2][j+2] of 0..15.
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{5, 6, 9, 10}));
}

TEST(Opset18Nn, LpPoolCeilModeAndGlobal) {
    const std::vector<float> x{1, -2, 3, 4, 5, -6, 7, 8, 9};
    ModelBuilder b(18);
    b.input("x", {1, 1, 3, 3}).output("ceil").output("floor").output("global").output("p3");
    b.node("LpPool", {"x"}, {"ceil"}, "lp_ceil",
           {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2}), attr_i("ceil_mode", 1), attr_i("p", 2)});
    b.node("LpPool", {"x"}, {"floor"}, "lp_floor", {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2})});
    b.node("GlobalLpPool", {"x"}, {"global"}, "glp", {attr_i("p", 1)});
    b.node("LpPool", {"x"}, {"p3"}, "lp3", {attr_is("kernel_shape", {3, 1}), attr_i("p", 3)});
    auto out = try_run(b.m, {{"x", floats({1, 1, 3, 3}, x)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    auto l2 = [](std::initializer_list<double> v) {
        double s = 0;
        for (double e : v) s += e * e;
        return std::sqrt(s);
    };
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 2, 2}));
    expect_near_all((*out)[0].tensor, {l2({1, -2, 4, 5}), l2({3, -6}), l2({7, 8}), 9.0}, 1e-5, "ceil_mode");
    EXPECT_EQ((*out)[1].tensor.dims(), (std::vector<int64_t>{1, 1, 1, 1}));
    expect_near_all((*out)[1].tensor, {l2({1, -2, 4, 5})}, 1e-5, "floor");
    expect_near_all((*out)[2].tensor, {45.0}, 1e-5, "global p=1");
    std::vector<double> p3;
    for (int j = 0; j < 3; ++j)
        p3.push_back(std::cbrt(std::pow(std::fabs(x[j]), 3) + std::pow(std::fabs(x[3 + j]), 3) +
                               std::pow(std::fabs(x[6 + j]), 3)));
    expect_near_all((*out)[3].tensor, p3, 1e-4, "p=3");

    ModelBuilder bad(18);
    bad.input("x", {1, 1, 3, 3}).output("y");
    bad.node("LpPool", {"x"}, {"y"}, "lp_bad", {attr_is("kernel_shape", {2, 2}), attr_i("p", 0)});
    expect_error(bad.m, {{"x", floats({1, 1, 3, 3}, x)}}, StatusCode::kUnsupported, {"lp_bad", "p must be > 0"});
}

// ---------------------------------------------------------------------------------------------
// GroupNormalization-18 (per-group scale) and -21 (per-channel scale)

std::vector<double> group_norm_reference(const Tensor& x, int64_t groups, const std::vector<float>& scale,
                                         const std::vector<float>& bias, bool per_channel, double eps) {
    const int64_t n = x.dims()[0], c = x.dims()[1], inner = x.numel() / (n * c), cpg = c / groups;
    std::vector<double> y(static_cast<size_t>(x.numel()));
    const float* p = x.data_as<float>();
    for (int64_t b = 0; b < n; ++b)
        for (int64_t g = 0; g < groups; ++g) {
            double mean = 0, var = 0;
            const int64_t count = cpg * inner;
            for (int64_t ch = g * cpg; ch < (g + 1) * cpg; ++ch)
                for (int64_t i = 0; i < inner; ++i) mean += p[(b * c + ch) * inner + i];
            mean /= double(count);
            for (int64_t ch = g * cpg; ch < (g + 1) * cpg; ++ch)
                for (int64_t i = 0; i < inner; ++i) var += std::pow(p[(b * c + ch) * inner + i] - mean, 2);
            var /= double(count);
            for (int64_t ch = g * cpg; ch < (g + 1) * cpg; ++ch) {
                const size_t k = static_cast<size_t>(per_channel ? ch : g);
                for (int64_t i = 0; i < inner; ++i) {
                    const int64_t at = (b * c + ch) * inner + i;
                    y[static_cast<size_t>(at)] = (p[at] - mean) / std::sqrt(var + eps) * scale[k] + bias[k];
                }
            }
        }
    return y;
}

TEST(Opset18Nn, GroupNormalizationPerGroupAt18PerChannelAt21) {
    const Tensor x = random_tensor({2, 6, 2, 3}, 7, 2.0f);
    const std::vector<float> gs{0.5f, 2.0f, -1.0f}, gb{0.1f, -0.2f, 0.3f};
    const std::vector<float> cs{1, 2, 3, 4, 5, 6}, cb{-1, 0, 1, 2, 3, 4};
    ModelBuilder b18(18);
    b18.input("x", {2, 6, 2, 3}).output("y");
    b18.init("s", float_values(gs)).init("b", float_values(gb));
    b18.node("GroupNormalization", {"x", "s", "b"}, {"y"}, "gn18", {attr_i("num_groups", 3), attr_f("epsilon", 1e-3f)});
    auto o18 = try_run(b18.m, {{"x", x}});
    ASSERT_TRUE(o18.is_ok()) << o18.status().to_string();
    expect_near_all((*o18)[0].tensor, group_norm_reference(x, 3, gs, gb, false, 1e-3), 1e-4, "opset 18");

    ModelBuilder b21(21);
    b21.input("x", {2, 6, 2, 3}).output("y");
    b21.init("s", float_values(cs)).init("b", float_values(cb));
    b21.node("GroupNormalization", {"x", "s", "b"}, {"y"}, "gn21", {attr_i("num_groups", 2)});
    auto o21 = try_run(b21.m, {{"x", x}});
    ASSERT_TRUE(o21.is_ok()) << o21.status().to_string();
    expect_near_all((*o21)[0].tensor, group_norm_reference(x, 2, cs, cb, true, 1e-5), 1e-4, "opset 21");

    // Opset 21 with opset 18's per-group scale is an error naming the node.
    ModelBuilder old_scale(21);
    old_scale.input("x", {2, 6, 2, 3}).output("y");
    old_scale.init("s", float_values(gs)).init("b", float_values(gb));
    old_scale.node("GroupNormalization", {"x", "s", "b"}, {"y"}, "gn_old", {attr_i("num_groups", 3)});
    expect_error(old_scale.m, {{"x", x}}, StatusCode::kInvalidArgument, {"gn_old", "scale must be", "per channel"});
    ModelBuilder no_groups(18);
    no_groups.input("x", {2, 6, 2, 3}).output("y");
    no_groups.init("s", float_values(gs)).init("b", float_values(gb));
    no_groups.node("GroupNormalization", {"x", "s", "b"}, {"y"}, "gn_none");
    expect_error(no_groups.m, {{"x", x}}, StatusCode::kUnsupported, {"gn_none", "num_groups (>= 1) is required"});
    ModelBuilder bad_groups(18);
    bad_groups.input("x", {2, 6, 2, 3}).output("y");
    bad_groups.init("s", float_values({1, 1, 1, 1})).init("b", float_values({0, 0, 0, 0}));
    bad_groups.node("GroupNormalization", {"x", "s", "b"}, {"y"}, "gn_bad", {attr_i("num_groups", 4)});
    expect_error(bad_groups.m, {{"x", x}}, StatusCode::kInvalidArgument, {"gn_bad", "num_groups 4 does not divide"});
}

// ---------------------------------------------------------------------------------------------
// Col2Im-18, CenterCropPad-18

TEST(Opset18Nn, Col2ImSumsOverlappingBlocks) {
    // Image 1x4, block 1x2, stride 1: three blocks; pixel j sums column entries (k, l) with l + k = j.
    ModelBuilder b(18);
    b.input("x", {1, 2, 3}).output("y");
    b.init("image", int64s({1, 4})).init("block", int64s({1, 2}));
    b.node("Col2Im", {"x", "image", "block"}, {"y"}, "c2i");
    auto out = try_run(b.m, {{"x", floats({1, 2, 3}, {1, 2, 3, 10, 20, 30})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 1, 4}));
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{1, 12, 23, 30}));
}

TEST(Opset18Nn, Col2ImWithPadsStridesDilationsMatchesAGather) {
    const int64_t n = 2, c = 2, h = 5, w = 4, kh = 2, kw = 3, dh = 2, dw = 1, sh = 1, sw = 2;
    const int64_t pt = 1, pl = 0, pb = 0, pr = 1;
    const int64_t bh = (h + pt + pb - (dh * (kh - 1) + 1)) / sh + 1, bw = (w + pl + pr - (dw * (kw - 1) + 1)) / sw + 1;
    const Tensor x = random_tensor({n, c * kh * kw, bh * bw}, 3);
    ModelBuilder b(18);
    b.input("x", {n, c * kh * kw, bh * bw}).output("y");
    b.init("image", int64s({h, w})).init("block", int64s({kh, kw}));
    b.node("Col2Im", {"x", "image", "block"}, {"y"}, "c2i",
           {attr_is("dilations", {dh, dw}), attr_is("pads", {pt, pl, pb, pr}), attr_is("strides", {sh, sw})});
    auto out = try_run(b.m, {{"x", x}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    // Each output pixel gathers every (tap, block) whose position lands on it.
    std::vector<double> want;
    const float* p = x.data_as<float>();
    for (int64_t b0 = 0; b0 < n; ++b0)
        for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t y = 0; y < h; ++y)
                for (int64_t xx = 0; xx < w; ++xx) {
                    double s = 0;
                    for (int64_t i = 0; i < kh; ++i)
                        for (int64_t j = 0; j < kw; ++j)
                            for (int64_t by = 0; by < bh; ++by)
                                for (int64_t bx = 0; bx < bw; ++bx)
                                    if (by * sh - pt + i * dh == y && bx * sw - pl + j * dw == xx)
                                        s += p[(b0 * c * kh * kw + (ch * kh + i) * kw + j) * bh * bw + by * bw + bx];
                    want.push_back(s);
                }
    expect_near_all((*out)[0].tensor, want, 1e-5, "col2im");

    ModelBuilder bad(18);
    bad.input("x", {1, 5, 3}).output("y");
    bad.init("image", int64s({1, 4})).init("block", int64s({1, 2}));
    bad.node("Col2Im", {"x", "image", "block"}, {"y"}, "c2i_bad");
    expect_error(bad.m, {{"x", iota({1, 5, 3})}}, StatusCode::kInvalidArgument,
                 {"c2i_bad", "not a multiple of prod(block_shape)"});
}

TEST(Opset18Nn, CenterCropPadCropsAndPadsAroundTheCentre) {
    ModelBuilder b(18);
    b.input("x", {3, 4}).output("both").output("last").output("odd_pad").output("empty");
    b.init("s_both", int64s({2, 6})).init("s_last", int64s({3})).init("s_odd", int64s({7})).init("s0", int64s({0}));
    b.node("CenterCropPad", {"x", "s_both"}, {"both"}, "ccp_both");
    b.node("CenterCropPad", {"x", "s_last"}, {"last"}, "ccp_last", {attr_is("axes", {-1})});
    b.node("CenterCropPad", {"x", "s_odd"}, {"odd_pad"}, "ccp_odd", {attr_is("axes", {1})});
    b.node("CenterCropPad", {"x", "s0"}, {"empty"}, "ccp_empty", {attr_is("axes", {0})});
    auto out = try_run(b.m, {{"x", iota({3, 4})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    // Rows 3 -> 2: drop the last row (odd difference: the extra goes to the end); columns 4 -> 6: one each side.
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 6}));
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 7, 0}));
    EXPECT_EQ(values_of<float>((*out)[1].tensor), (std::vector<float>{0, 1, 2, 4, 5, 6, 8, 9, 10}));
    EXPECT_EQ((*out)[2].tensor.dims(), (std::vector<int64_t>{3, 7}));
    EXPECT_EQ(values_of<float>((*out)[2].tensor),
              (std::vector<float>{0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 8, 9, 10, 11, 0, 0}));
    EXPECT_EQ((*out)[3].tensor.dims(), (std::vector<int64_t>{0, 4}));

    ModelBuilder bad(18);
    bad.input("x", {3, 4}).output("y");
    bad.init("s", int64s({2, 2, 2}));
    bad.node("CenterCropPad", {"x", "s"}, {"y"}, "ccp_bad");
    expect_error(bad.m, {{"x", iota({3, 4})}}, StatusCode::kInvalidArgument, {"ccp_bad", "one value per axis"});
}

// ---------------------------------------------------------------------------------------------
// AffineGrid-20, GridSample-20

TEST(Opset18Nn, AffineGridTransformsTheNormalizedBaseGrid) {
    const std::vector<float> theta{0.5f, -1.0f, 0.25f, 2.0f, 0.75f, -0.5f};
    ModelBuilder b(20);
    b.input("theta", {1, 2, 3}).output("g0").output("g1");
    b.init("size", int64s({1, 1, 2, 3}));
    b.node("AffineGrid", {"theta", "size"}, {"g0"}, "ag0");
    b.node("AffineGrid", {"theta", "size"}, {"g1"}, "ag1", {attr_i("align_corners", 1)});
    auto out = try_run(b.m, {{"theta", floats({1, 2, 3}, theta)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 2, 3, 2}));
    for (int align = 0; align < 2; ++align) {
        const std::vector<double> xs = align ? std::vector<double>{-1, 0, 1} : std::vector<double>{-2. / 3, 0, 2. / 3};
        const std::vector<double> ys = align ? std::vector<double>{-1, 1} : std::vector<double>{-0.5, 0.5};
        std::vector<double> want;
        for (double y : ys)
            for (double x : xs) {
                want.push_back(theta[0] * x + theta[1] * y + theta[2]);
                want.push_back(theta[3] * x + theta[4] * y + theta[5]);
            }
        expect_near_all((*out)[align].tensor, want, 1e-6, align ? "align_corners" : "centres");
    }

    ModelBuilder bad(20);
    bad.input("theta", {1, 2, 3}).output("g");
    bad.init("size", int64s({1, 1, 2, 2, 2}));
    bad.node("AffineGrid", {"theta", "size"}, {"g"}, "ag_bad");
    expect_error(bad.m, {{"theta", floats({1, 2, 3}, theta)}}, StatusCode::kInvalidArgument,
                 {"ag_bad", "theta must have shape [1, 3, 4]"});
}

// An identity AffineGrid feeding GridSample (linear, pixel centres) reproduces the input, in 2-D and 3-D.
TEST(Opset18Nn, IdentityAffineGridThroughGridSampleIsTheInput) {
    ModelBuilder b(20);
    b.input("x2", {1, 2, 3, 4}).input("x3", {1, 2, 2, 3, 4}).output("y2").output("y3");
    b.init("t2", floats({1, 2, 3}, {1, 0, 0, 0, 1, 0})).init("size2", int64s({1, 2, 3, 4}));
    b.init("t3", floats({1, 3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0})).init("size3", int64s({1, 2, 2, 3, 4}));
    b.node("AffineGrid", {"t2", "size2"}, {"g2"}, "ag2");
    b.node("AffineGrid", {"t3", "size3"}, {"g3"}, "ag3");
    b.node("GridSample", {"x2", "g2"}, {"y2"}, "gs2");
    b.node("GridSample", {"x3", "g3"}, {"y3"}, "gs3", {attr_s("mode", "linear")});
    const Tensor x2 = random_tensor({1, 2, 3, 4}, 1), x3 = random_tensor({1, 2, 2, 3, 4}, 2);
    auto out = try_run(b.m, {{"x2", x2}, {"x3", x3}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    for (int k = 0; k < 2; ++k) {
        const Tensor& want = k ? x3 : x2;
        std::vector<double> v(want.data_as<float>(), want.data_as<float>() + want.numel());
        expect_near_all((*out)[k].tensor, v, 1e-5, k ? "3-D" : "2-D");
    }
}

// Trilinear sampling with zeros outside, written as the 8-corner sum.
double trilinear(const float* vol, int64_t d, int64_t h, int64_t w, double z, double y, double x) {
    const double fz = std::floor(z), fy = std::floor(y), fx = std::floor(x);
    double s = 0;
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
            for (int c = 0; c < 2; ++c) {
                const int64_t iz = int64_t(fz) + a, iy = int64_t(fy) + b, ix = int64_t(fx) + c;
                if (iz < 0 || iz >= d || iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const double wt =
                    (a ? z - fz : 1 - (z - fz)) * (b ? y - fy : 1 - (y - fy)) * (c ? x - fx : 1 - (x - fx));
                s += wt * vol[(iz * h + iy) * w + ix];
            }
    return s;
}

TEST(Opset18Nn, GridSample20TrilinearAndModeNames) {
    const Tensor x = random_tensor({1, 2, 3, 4, 5}, 11);
    const Tensor grid = random_tensor({1, 2, 3, 2, 3}, 12, 0.8f);  // some points fall outside [-1, 1]
    ModelBuilder b(20);
    b.input("x", {1, 2, 3, 4, 5}).input("grid", {1, 2, 3, 2, 3}).output("y");
    b.node("GridSample", {"x", "grid"}, {"y"}, "gs", {attr_i("align_corners", 1)});
    auto out = try_run(b.m, {{"x", x}, {"grid", grid}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 2, 2, 3, 2}));
    std::vector<double> want;
    const float* g = grid.data_as<float>();
    for (int64_t c = 0; c < 2; ++c)
        for (int64_t p = 0; p < 12; ++p) {
            // align_corners=1: -1 and 1 are the centres of the first and last voxels; grid holds (x, y, z).
            const double gx = (g[p * 3] + 1) / 2 * 4, gy = (g[p * 3 + 1] + 1) / 2 * 3, gz = (g[p * 3 + 2] + 1) / 2 * 2;
            want.push_back(trilinear(x.data_as<float>() + c * 60, 3, 4, 5, gz, gy, gx));
        }
    expect_near_all((*out)[0].tensor, want, 1e-5, "trilinear");

    // Opset 20's "cubic" is opset 16's "bicubic"; the old names are errors at opset 20.
    const Tensor x2 = random_tensor({1, 1, 4, 4}, 13), g2 = random_tensor({1, 3, 3, 2}, 14, 0.6f);
    ModelBuilder cubic20(20), cubic16(16);
    cubic20.input("x", {1, 1, 4, 4}).input("g", {1, 3, 3, 2}).output("y");
    cubic20.node("GridSample", {"x", "g"}, {"y"}, "gs20", {attr_s("mode", "cubic"), attr_s("padding_mode", "border")});
    cubic16.input("x", {1, 1, 4, 4}).input("g", {1, 3, 3, 2}).output("y");
    cubic16.node("GridSample", {"x", "g"}, {"y"}, "gs16",
                 {attr_s("mode", "bicubic"), attr_s("padding_mode", "border")});
    auto y20 = try_run(cubic20.m, {{"x", x2}, {"g", g2}});
    auto y16 = try_run(cubic16.m, {{"x", x2}, {"g", g2}});
    ASSERT_TRUE(y20.is_ok() && y16.is_ok());
    EXPECT_EQ(values_of<float>((*y20)[0].tensor), values_of<float>((*y16)[0].tensor));
    ModelBuilder old_name(20);
    old_name.input("x", {1, 1, 4, 4}).input("g", {1, 3, 3, 2}).output("y");
    old_name.node("GridSample", {"x", "g"}, {"y"}, "gs_old", {attr_s("mode", "bilinear")});
    expect_error(old_name.m, {{"x", x2}, {"g", g2}}, StatusCode::kUnsupported,
                 {"gs_old", "mode 'bilinear' must be linear, nearest or cubic"});
}

TEST(Opset18Nn, GridSample20OneSpatialDimNearest) {
    // X (1, 1, 4) = [10, 20, 30, 40]; align_corners=0: pixel i's centre is at (2i + 1) / 4 - 1.
    ModelBuilder b(20);
    b.input("x", {1, 1, 4}).input("g", {1, 3, 1}).output("y");
    b.node("GridSample", {"x", "g"}, {"y"}, "gs1", {attr_s("mode", "nearest")});
    auto out =
        try_run(b.m, {{"x", floats({1, 1, 4}, {10, 20, 30, 40})}, {"g", floats({1, 3, 1}, {-0.75f, 0.3f, 1.5f})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    // -0.75 -> 0.0 (pixel 0); 0.3 -> 2.1 (pixel 2); 1.5 -> 4.5 (outside: zero).
    EXPECT_EQ(values_of<float>((*out)[0].tensor), (std::vector<float>{10, 30, 0}));
}

// ---------------------------------------------------------------------------------------------
// DFT-20

TEST(Opset18Nn, Dft20TakesTheAxisAsAnInput) {
    const Tensor x = random_tensor({2, 3, 5, 2}, 21);
    ModelBuilder b(20);
    b.input("x", {2, 3, 5, 2}).output("ax1").output("default").output("padded");
    b.init("one", int64s_shaped({}, {1})).init("len", int64s_shaped({}, {7}));
    b.node("DFT", {"x", "", "one"}, {"ax1"}, "dft_ax1");
    b.node("DFT", {"x"}, {"default"}, "dft_default");  // axis -2: the signal axis of length 5
    b.node("DFT", {"x", "len", "one"}, {"padded"}, "dft_len", {attr_i("inverse", 1)});
    auto out = try_run(b.m, {{"x", x}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    const float* p = x.data_as<float>();
    auto at = [&](int64_t i, int64_t j, int64_t k) {
        return std::complex<double>(p[((i * 3 + j) * 5 + k) * 2], p[((i * 3 + j) * 5 + k) * 2 + 1]);
    };
    // Direct sums, O(n^2).
    std::vector<double> ax1, dflt, padded;
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t f = 0; f < 3; ++f)
            for (int64_t k = 0; k < 5; ++k) {
                std::complex<double> s = 0;
                for (int64_t t = 0; t < 3; ++t) s += at(i, t, k) * std::polar(1.0, -2 * M_PI * double(f * t) / 3);
                ax1.push_back(s.real()), ax1.push_back(s.imag());
            }
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j)
            for (int64_t f = 0; f < 5; ++f) {
                std::complex<double> s = 0;
                for (int64_t t = 0; t < 5; ++t) s += at(i, j, t) * std::polar(1.0, -2 * M_PI * double(f * t) / 5);
                dflt.push_back(s.real()), dflt.push_back(s.imag());
            }
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t f = 0; f < 7; ++f)
            for (int64_t k = 0; k < 5; ++k) {
                std::complex<double> s = 0;
                for (int64_t t = 0; t < 3; ++t) s += at(i, t, k) * std::polar(1.0, 2 * M_PI * double(f * t) / 7);
                s /= 7.0;
                padded.push_back(s.real()), padded.push_back(s.imag());
            }
    expect_near_all((*out)[0].tensor, ax1, 1e-4, "axis 1");
    expect_near_all((*out)[1].tensor, dflt, 1e-4, "default axis -2");
    EXPECT_EQ((*out)[2].tensor.dims(), (std::vector<int64_t>{2, 7, 5, 2}));
    expect_near_all((*out)[2].tensor, padded, 1e-4, "inverse, dft_length 7");

    ModelBuilder bad(20);
    bad.input("x", {2, 3, 5, 2}).output("y");
    bad.init("last", int64s_shaped({}, {-1}));
    bad.node("DFT", {"x", "", "last"}, {"y"}, "dft_bad");
    expect_error(bad.m, {{"x", x}}, StatusCode::kInvalidArgument, {"dft_bad", "axis -1 must name a signal axis"});
}

// ---------------------------------------------------------------------------------------------
// Resize-18/19

TEST(Opset18Nn, Resize18AxesAndAspectRatioPolicy) {
    ModelBuilder b(18);
    b.input("x", {1, 1, 2, 2}).output("axes").output("not_larger").output("not_smaller");
    b.init("scales", float_values({2.0f, 3.0f})).init("sizes", int64s({4, 6}));
    b.node("Resize", {"x", "", "scales"}, {"axes"}, "r_axes", {attr_is("axes", {-2, -1})});
    for (const char* policy : {"not_larger", "not_smaller"})
        b.node("Resize", {"x", "", "", "sizes"}, {policy}, std::string("r_") + policy,
               {attr_is("axes", {2, 3}), attr_s("keep_aspect_ratio_policy", policy),
                attr_s("coordinate_transformation_mode", "asymmetric"), attr_s("nearest_mode", "floor")});
    auto out = try_run(b.m, {{"x", floats({1, 1, 2, 2}, {1, 2, 3, 4})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 4, 6}));
    EXPECT_EQ((*out)[1].tensor.dims(), (std::vector<int64_t>{1, 1, 4, 4}));  // scale min(4/2, 6/2) = 2
    EXPECT_EQ((*out)[2].tensor.dims(), (std::vector<int64_t>{1, 1, 6, 6}));  // scale max = 3
    // Nearest: each input pixel becomes a scale x scale block.
    auto blocks = [](int64_t rows, int64_t cols, int64_t sr, int64_t sc) {
        const float x[2][2] = {{1, 2}, {3, 4}};
        std::vector<float> v;
        for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j) v.push_back(x[i / sr][j / sc]);
        return v;
    };
    EXPECT_EQ(values_of<float>((*out)[0].tensor), blocks(4, 6, 2, 3));
    EXPECT_EQ(values_of<float>((*out)[1].tensor), blocks(4, 4, 2, 2));
    EXPECT_EQ(values_of<float>((*out)[2].tensor), blocks(6, 6, 3, 3));

    ModelBuilder bad_policy(18);
    bad_policy.input("x", {1, 1, 2, 2}).output("y");
    bad_policy.init("sizes", int64s({4, 6}));
    bad_policy.node("Resize", {"x", "", "", "sizes"}, {"y"}, "r_policy",
                    {attr_is("axes", {2, 3}), attr_s("keep_aspect_ratio_policy", "fit")});
    expect_error(bad_policy.m, {{"x", floats({1, 1, 2, 2}, {1, 2, 3, 4})}}, StatusCode::kUnsupported,
                 {"r_policy", "keep_aspect_ratio_policy 'fit'"});

    ModelBuilder bad(18);
    bad.input("x", {1, 1, 2, 2}).output("y");
    bad.init("scales", float_values({2.0f, 3.0f, 1.0f}));
    bad.node("Resize", {"x", "", "scales"}, {"y"}, "r_bad", {attr_is("axes", {2, 3})});
    expect_error(bad.m, {{"x", floats({1, 1, 2, 2}, {1, 2, 3, 4})}}, StatusCode::kInvalidArgument,
                 {"r_bad", "scales has 3 values for 2 axes"});
}

// ONNX's published cases (test_resize_downsample_scales_{linear,cubic}_antialias): 1..16 in 4x4,
// scales 0.6.
TEST(Opset18Nn, Resize18AntialiasDownsampling) {
    ModelBuilder b(18);
    b.input("x", {1, 1, 4, 4}).output("linear").output("cubic");
    b.init("scales", float_values({1.0f, 1.0f, 0.6f, 0.6f}));
    b.node("Resize", {"x", "", "scales"}, {"linear"}, "r_lin", {attr_s("mode", "linear"), attr_i("antialias", 1)});
    b.node("Resize", {"x", "", "scales"}, {"cubic"}, "r_cub", {attr_s("mode", "cubic"), attr_i("antialias", 1)});
    auto out = try_run(b.m, {{"x", iota({1, 1, 4, 4}, 1.0f)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    expect_near_all((*out)[0].tensor, {2.875, 4.5, 9.375, 11.0}, 1e-4, "linear antialias");
    expect_near_all((*out)[1].tensor, {2.5180721, 4.2858863, 9.589329, 11.357142}, 1e-4, "cubic antialias");
}

TEST(Opset18Nn, Resize19HalfPixelSymmetric) {
    // 1-D along the last axis, linear: x_in = offset + (x + 0.5) / scale - 0.5 with offset = len_in / 2 *
    // (1 - out_int / (scale * len_in)) (half_pixel would say 0): 5 -> 2 at scale 0.5 (2.5 truncated to 2)
    // and 5 -> 8 at scale 1.7 (8.5 truncated to 8).
    ModelBuilder b(19);
    b.input("x", {1, 5}).output("down").output("up");
    b.init("s_down", float_values({1.0f, 0.5f})).init("s_up", float_values({1.0f, 1.7f}));
    for (const char* o : {"down", "up"})
        b.node("Resize", {"x", "", std::string("s_") + o}, {o}, std::string("r_") + o,
               {attr_s("mode", "linear"), attr_s("coordinate_transformation_mode", "half_pixel_symmetric")});
    const std::vector<float> x{1, 3, 7, 15, 31};
    auto out = try_run(b.m, {{"x", floats({1, 5}, x)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    for (int k = 0; k < 2; ++k) {
        const double scale = k ? double(1.7f) : 0.5;
        const int64_t len_out = k ? 8 : 2;
        const double offset = 5.0 / 2 * (1 - double(len_out) / (scale * 5));
        std::vector<double> want;
        for (int64_t o = 0; o < len_out; ++o) {
            const double xi = std::clamp(offset + (double(o) + 0.5) / scale - 0.5, 0.0, 4.0);
            const int i0 = static_cast<int>(std::floor(xi));
            const int i1 = std::min(i0 + 1, 4);
            want.push_back(x[i0] * (1 - (xi - i0)) + x[i1] * (xi - i0));
        }
        expect_near_all((*out)[k].tensor, want, 1e-5, k ? "up" : "down");
    }

    ModelBuilder early(18);
    early.input("x", {1, 5}).output("y");
    early.init("scales", float_values({1.0f, 0.5f}));
    early.node("Resize", {"x", "", "scales"}, {"y"}, "r_early",
               {attr_s("coordinate_transformation_mode", "half_pixel_symmetric")});
    expect_error(early.m, {{"x", floats({1, 5}, x)}}, StatusCode::kUnsupported, {"r_early", "needs opset 19"});
}

// ---------------------------------------------------------------------------------------------
// DeformConv-19

TEST(Opset18Nn, DeformConvWithZeroOffsetsIsConv) {
    const Tensor x = random_tensor({2, 4, 5, 6}, 31), w = random_tensor({6, 2, 3, 2}, 32),
                 bias = random_tensor({6}, 33);
    std::vector<ir::Attribute> attrs{attr_i("group", 2), attr_is("pads", {1, 0, 1, 1}), attr_is("strides", {1, 2}),
                                     attr_is("dilations", {2, 1})};
    // Output 5 + 2 - 5 + 1 = 3 rows, (6 + 1 - 2) / 2 + 1 = 3 columns.
    ModelBuilder b(19);
    b.input("x", {2, 4, 5, 6}).output("deform").output("conv");
    b.init("w", w).init("b", bias).init("offset", floats({2, 2 * 2 * 6, 3, 3}, std::vector<float>(2 * 24 * 9, 0.0f)));
    std::vector<ir::Attribute> deform_attrs = attrs;
    deform_attrs.push_back(attr_i("offset_group", 2));
    b.node("DeformConv", {"x", "w", "offset", "b"}, {"deform"}, "dc", deform_attrs);
    b.node("Conv", {"x", "w", "b"}, {"conv"}, "conv", attrs);
    auto out = try_run(b.m, {{"x", x}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{2, 6, 3, 3}));
    const Tensor& conv = (*out)[1].tensor;
    expect_near_all((*out)[0].tensor, std::vector<double>(conv.data_as<float>(), conv.data_as<float>() + conv.numel()),
                    1e-4, "zero offsets");
}

TEST(Opset18Nn, DeformConvSamplesAtOffsetsTimesMask) {
    // 1x1 kernel of weight 2: y[i][j] = 2 * mask * bilinear(x, i + dy, j + dx); dy = 0.5, dx = -0.25.
    const Tensor x = iota({1, 1, 3, 3}, 1.0f);
    ModelBuilder b(19);
    b.input("x", {1, 1, 3, 3}).input("offset", {1, 2, 3, 3}).input("mask", {1, 1, 3, 3}).output("y");
    b.init("w", floats({1, 1, 1, 1}, {2.0f}));
    b.node("DeformConv", {"x", "w", "offset", "", "mask"}, {"y"}, "dc");
    std::vector<float> off(18), mask(9);
    for (int i = 0; i < 9; ++i) off[i] = 0.5f, off[9 + i] = -0.25f, mask[i] = 0.1f * float(i + 1);
    auto out = try_run(b.m, {{"x", x}, {"offset", floats({1, 2, 3, 3}, off)}, {"mask", floats({1, 1, 3, 3}, mask)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    auto px = [&](int64_t i, int64_t j) {
        return i >= 0 && i < 3 && j >= 0 && j < 3 ? double(x.data_as<float>()[i * 3 + j]) : 0.0;
    };
    std::vector<double> want;
    for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 3; ++j) {
            // y = i + 0.5 between rows i and i + 1; x = j - 0.25 between columns j - 1 and j.
            const double v =
                0.5 * (0.25 * px(i, j - 1) + 0.75 * px(i, j)) + 0.5 * (0.25 * px(i + 1, j - 1) + 0.75 * px(i + 1, j));
            want.push_back(2.0 * mask[i * 3 + j] * v);
        }
    expect_near_all((*out)[0].tensor, want, 1e-5, "offsets and mask");

    ModelBuilder bad(19);
    bad.input("x", {1, 1, 3, 3}).input("offset", {1, 2, 2, 2}).output("y");
    bad.init("w", floats({1, 1, 1, 1}, {2.0f}));
    bad.node("DeformConv", {"x", "w", "offset"}, {"y"}, "dc_bad");
    expect_error(bad.m, {{"x", x}, {"offset", iota({1, 2, 2, 2})}}, StatusCode::kInvalidArgument,
                 {"dc_bad", "offset must have shape 1x2x3x3"});

    // No channels and a group so large that W's C / group times group wraps int64 to 0 (= C): refused, not
    // taken as fitting.
    const int64_t huge = int64_t(1) << 40;
    ModelBuilder wrap(19);
    wrap.input("x", {1, 0, 3, 3}).input("offset", {1, 2, 3, 3}).output("y");
    wrap.init("w", floats({0, huge, 1, 1}, {}));
    wrap.node("DeformConv", {"x", "w", "offset"}, {"y"}, "dc_wrap", {attr_i("group", huge)});
    expect_error(wrap.m, {{"x", floats({1, 0, 3, 3}, {})}, {"offset", iota({1, 2, 3, 3})}},
                 StatusCode::kInvalidArgument, {"dc_wrap", "does not fit"});
}

// Empty inputs are legal and give empty outputs of the right shape.
TEST(Opset18Nn, EmptyTensorsGiveEmptyOutputs) {
    ModelBuilder b(21);
    b.input("x", {0, 4, 3}).input("img", {1, 2, 3, 4}).input("grid", {1, 0, 5, 2}).input("t", {1, 2, 3});
    b.input("e", {1, 2, 3, 0});
    b.output("col").output("gn").output("gs").output("ag");
    b.init("image", int64s({1, 4})).init("block", int64s({1, 2})).init("size", int64s({1, 2, 0, 3}));
    b.init("s", float_values({1, 1})).init("bias", float_values({0, 0}));
    b.node("Col2Im", {"x", "image", "block"}, {"col"}, "c2i");
    b.node("GroupNormalization", {"e", "s", "bias"}, {"gn"}, "gn", {attr_i("num_groups", 1)});
    b.node("GridSample", {"img", "grid"}, {"gs"}, "gs");
    b.node("AffineGrid", {"t", "size"}, {"ag"}, "ag");
    auto out = try_run(b.m, {{"x", floats({0, 4, 3}, {})},
                             {"img", random_tensor({1, 2, 3, 4}, 5)},
                             {"grid", floats({1, 0, 5, 2}, {})},
                             {"t", floats({1, 2, 3}, {1, 0, 0, 0, 1, 0})},
                             {"e", floats({1, 2, 3, 0}, {})}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.dims(), (std::vector<int64_t>{0, 2, 1, 4}));
    EXPECT_EQ((*out)[1].tensor.dims(), (std::vector<int64_t>{1, 2, 3, 0}));
    EXPECT_EQ((*out)[2].tensor.dims(), (std::vector<int64_t>{1, 2, 0, 5}));
    EXPECT_EQ((*out)[3].tensor.dims(), (std::vector<int64_t>{1, 0, 3, 2}));
}

}  // namespace
}  // namespace edgeinfer::testing

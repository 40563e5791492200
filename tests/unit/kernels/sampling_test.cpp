// GridSample and RoiAlign (kernels/cpu/sampling.cpp): an identity grid reproduces the image in
// every mode, padding modes far outside the image, empty batches and ROI lists, and the errors.
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

// Normalized grid [1, h, w, 2] hitting every pixel centre (align_corners=1).
Tensor identity_grid(int64_t h, int64_t w) {
    std::vector<float> g;
    for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
            g.push_back(w == 1 ? 0.0f : -1.0f + 2.0f * float(j) / float(w - 1));
            g.push_back(h == 1 ? 0.0f : -1.0f + 2.0f * float(i) / float(h - 1));
        }
    return floats({1, h, w, 2}, g);
}

Result<std::vector<NamedTensor>> grid_sample(const Tensor& x, const Tensor& grid, const std::string& mode,
                                             const std::string& padding, int64_t align) {
    ModelBuilder b(16);
    b.input("x", x.dims()).input("grid", grid.dims()).output("y");
    b.node("GridSample", {"x", "grid"}, {"y"}, "gs",
           {attr_s("mode", mode), attr_s("padding_mode", padding), attr_i("align_corners", align)});
    return try_run(b.build(), {{"x", x}, {"grid", grid}});
}

TEST(GridSampleKernel, IdentityGridReproducesTheImageInEveryMode) {
    Tensor x = random_tensor({1, 3, 4, 5}, 3);
    for (const char* mode : {"bilinear", "nearest", "bicubic"}) {
        auto out = grid_sample(x, identity_grid(4, 5), mode, "zeros", 1);
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        const Tensor& y = (*out)[0].tensor;
        ASSERT_EQ(y.dims(), x.dims());
        for (int64_t i = 0; i < x.numel(); ++i)
            EXPECT_NEAR(y.data_as<float>()[i], x.data_as<float>()[i], 1e-5) << mode << " " << i;
    }
}

TEST(GridSampleKernel, PaddingModesFarOutsideTheImage) {
    // x [1, 1, 1, 3] = 1 2 3; samples at normalized x = -5 and +5 (far left and right).
    Tensor x = floats({1, 1, 1, 3}, {1, 2, 3});
    Tensor grid = floats({1, 1, 2, 2}, {-5, 0, 5, 0});
    auto zeros = grid_sample(x, grid, "bilinear", "zeros", 0);
    auto border = grid_sample(x, grid, "bilinear", "border", 0);
    auto reflection = grid_sample(x, grid, "nearest", "reflection", 1);
    ASSERT_TRUE(zeros.is_ok() && border.is_ok() && reflection.is_ok());
    EXPECT_EQ(values_of<float>((*zeros)[0].tensor), (std::vector<float>{0, 0}));
    EXPECT_EQ(values_of<float>((*border)[0].tensor), (std::vector<float>{1, 3}));
    // align_corners=1: x = -5 -> pixel -4 -> reflected over [0, 2] to 0; +5 -> pixel 6 -> 2.
    EXPECT_EQ(values_of<float>((*reflection)[0].tensor), (std::vector<float>{1, 3}));
}

TEST(GridSampleKernel, EmptyBatchAndABadGrid) {
    auto empty = grid_sample(floats({0, 2, 3, 3}, {}), floats({0, 2, 2, 2}, {}), "bilinear", "zeros", 0);
    ASSERT_TRUE(empty.is_ok()) << empty.status().to_string();
    EXPECT_EQ((*empty)[0].tensor.dims(), (std::vector<int64_t>{0, 2, 2, 2}));
    ModelBuilder b(16);
    b.input("x", {1, 1, 2, 2}).input("grid", {1, 2, 2, 3}).output("y");
    b.node("GridSample", {"x", "grid"}, {"y"}, "gs");
    auto bad = try_run(
        b.m, {{"x", floats({1, 1, 2, 2}, {1, 2, 3, 4})}, {"grid", floats({1, 2, 2, 3}, std::vector<float>(12))}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("GridSample 'gs'"), std::string::npos) << bad.status().to_string();
    EXPECT_NE(bad.status().message().find("grid must have shape"), std::string::npos) << bad.status().to_string();
}

Result<std::vector<NamedTensor>> roi_align(const Tensor& x, const Tensor& rois, const Tensor& idx, int64_t opset) {
    ModelBuilder b(opset);
    b.input("x", x.dims()).input("rois", rois.dims()).input("idx", idx.dims(), DataType::kInt64).output("y");
    b.node("RoiAlign", {"x", "rois", "idx"}, {"y"}, "ra",
           {attr_i("output_height", 2), attr_i("output_width", 3), attr_i("sampling_ratio", 2)});
    return try_run(b.build(), {{"x", x}, {"rois", rois}, {"idx", idx}});
}

TEST(RoiAlignKernel, ALinearRampIsSampledExactlyAtOpsets10And16) {
    // x(h, w) = w on a 6x6 image; bin centres along w of roi x1=1..x2=4 (width 3, 3 bins) are at
    // 1.5, 2.5, 3.5 with output_half_pixel (opset 10's only mode), and 1, 2, 3 with half_pixel.
    std::vector<float> xv;
    for (int i = 0; i < 36; ++i) xv.push_back(float(i % 6));
    Tensor x = floats({1, 1, 6, 6}, xv);
    Tensor rois = floats({1, 4}, {1, 1, 4, 3});
    Tensor idx = int64s_shaped({1}, {0});
    auto v10 = roi_align(x, rois, idx, 10);
    auto v16 = roi_align(x, rois, idx, 16);
    ASSERT_TRUE(v10.is_ok()) << v10.status().to_string();
    ASSERT_TRUE(v16.is_ok()) << v16.status().to_string();
    const std::vector<float> a = values_of<float>((*v10)[0].tensor), b = values_of<float>((*v16)[0].tensor);
    const std::vector<float> expect_a = {1.5f, 2.5f, 3.5f, 1.5f, 2.5f, 3.5f}, expect_b = {1, 2, 3, 1, 2, 3};
    for (size_t i = 0; i < 6; ++i) {
        EXPECT_NEAR(a[i], expect_a[i], 1e-5) << i;
        EXPECT_NEAR(b[i], expect_b[i], 1e-5) << i;
    }
}

TEST(RoiAlignKernel, NoRoisAndABatchIndexOutOfRange) {
    Tensor x = random_tensor({2, 3, 4, 4}, 5);
    auto none = roi_align(x, floats({0, 4}, {}), int64s_shaped({0}, {}), 16);
    ASSERT_TRUE(none.is_ok()) << none.status().to_string();
    EXPECT_EQ((*none)[0].tensor.dims(), (std::vector<int64_t>{0, 3, 2, 3}));
    auto bad = roi_align(x, floats({1, 4}, {0, 0, 2, 2}), int64s_shaped({1}, {2}), 16);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(bad.status().message().find("RoiAlign 'ra'"), std::string::npos) << bad.status().to_string();
    EXPECT_NE(bad.status().message().find("batch_indices[0] = 2"), std::string::npos) << bad.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

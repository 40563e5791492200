// Segmentation head on synthetic outputs: argmax and ties, bilinear logits vs nearest mask back to the frame,
// letterbox and crop mappings, class maps, binary logits, class shares, and shape errors.
#include "vision/segmentation.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace edgeinfer::vision {
namespace {

NamedTensor f32(std::vector<int64_t> dims, const std::vector<float>& v) {
    return {"out", Tensor::from_vector(DataType::kFloat32, std::move(dims), v)};
}

PreprocessInfo stretch(int fw, int fh, int iw, int ih) {
    PreprocessInfo info;
    info.frame_width = fw;
    info.frame_height = fh;
    info.input_width = iw;
    info.input_height = ih;
    info.scale_x = static_cast<double>(iw) / fw;
    info.scale_y = static_cast<double>(ih) / fh;
    return info;
}

std::vector<int32_t> row(const cv::Mat& m, int y) {
    return std::vector<int32_t>(m.ptr<int32_t>(y), m.ptr<int32_t>(y) + m.cols);
}

TEST(MaskResizeNames, RoundTripAndRejectUnknown) {
    EXPECT_EQ(mask_resize_choices(), "logits|mask");
    for (MaskResize m : {MaskResize::kLogits, MaskResize::kMask}) {
        auto back = parse_mask_resize(to_string(m));
        ASSERT_TRUE(back.is_ok()) << to_string(m);
        EXPECT_EQ(*back, m);
    }
    auto bad = parse_mask_resize("nearest");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("'nearest'"), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find("logits|mask"), std::string::npos) << bad.status().message();
}

TEST(ArgmaxPlanes, TiesGoToTheLowerClass) {
    const std::vector<float> x = {1, 5, 3, 0,   // class 0
                                  2, 5, 3, 0,   // class 1
                                  0, 1, 4, 0};  // class 2
    const cv::Mat m = argmax_planes(x.data(), 3, 1, 4);
    EXPECT_EQ(row(m, 0), (std::vector<int32_t>{1, 0, 2, 0}));
}

TEST(Segment, SameSizeIsPlainArgmaxWithShares) {
    const std::vector<float> x = {9, 0, 0, 0,   // class 0
                                  0, 9, 9, 0,   // class 1
                                  0, 0, 0, 9};  // class 2
    auto r = segment(f32({1, 3, 2, 2}, x), stretch(2, 2, 2, 2));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->num_classes, 3);
    EXPECT_EQ(row(r->mask, 0), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(row(r->mask, 1), (std::vector<int32_t>{1, 2}));
    EXPECT_EQ(r->classified_pixels, 4);
    EXPECT_EQ(r->share, (std::vector<double>{0.25, 0.5, 0.25}));
}

TEST(Segment, LogitsAreResizedBilinearlyBeforeArgmax) {
    // Output 1x2, frame 5x1 (PyTorch bilinear, align_corners=False: frame x=2 samples the middle,
    // where class 2's flat 1.1 beats classes 0 and 1 at 1.0 each); nearest on the small mask cannot see it.
    const std::vector<float> x = {2, 0, 0, 2, 1.1f, 1.1f};
    auto logits = segment(f32({1, 3, 1, 2}, x), stretch(5, 1, 2, 1), MaskResize::kLogits);
    ASSERT_TRUE(logits.is_ok()) << logits.status().to_string();
    EXPECT_EQ(row(logits->mask, 0), (std::vector<int32_t>{0, 0, 2, 1, 1}));
    auto nearest = segment(f32({1, 3, 1, 2}, x), stretch(5, 1, 2, 1), MaskResize::kMask);
    ASSERT_TRUE(nearest.is_ok()) << nearest.status().to_string();
    EXPECT_EQ(row(nearest->mask, 0), (std::vector<int32_t>{0, 0, 1, 1, 1}));
    EXPECT_DOUBLE_EQ(nearest->share[2], 0.0);
}

TEST(Segment, LetterboxPaddingIsCutAway) {
    // Frame 4x2 letterboxed into 4x4 (one padding row above and below); output = input grid.
    PreprocessInfo info = stretch(4, 2, 4, 4);
    info.scale_y = 1.0;
    info.offset_y = 1.0;
    std::vector<float> x(2 * 16, 0.0f);
    for (int i = 0; i < 4; ++i) x[16 + 4 + i] = 1.0f;  // class 1 on input row 1 only
    auto r = segment(f32({1, 2, 4, 4}, x), info);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->mask.rows, 2);
    EXPECT_EQ(row(r->mask, 0), (std::vector<int32_t>{1, 1, 1, 1}));
    EXPECT_EQ(row(r->mask, 1), (std::vector<int32_t>{0, 0, 0, 0}));
}

TEST(Segment, PixelsOutsideACropHaveNoClass) {
    // Frame 6x6, center crop 4x4 (offset -1): the border ring was never seen by the model.
    PreprocessInfo info = stretch(6, 6, 4, 4);
    info.scale_x = info.scale_y = 1.0;
    info.offset_x = info.offset_y = -1.0;
    std::vector<float> x(2 * 16, 0.0f);
    for (int i = 0; i < 16; ++i) x[16 + i] = 1.0f;  // class 1 everywhere the model looked
    auto r = segment(f32({2, 4, 4}, x), info);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(row(r->mask, 0), (std::vector<int32_t>(6, -1)));
    EXPECT_EQ(row(r->mask, 3), (std::vector<int32_t>{-1, 1, 1, 1, 1, -1}));
    EXPECT_EQ(r->classified_pixels, 16);
    EXPECT_DOUBLE_EQ(r->share[1], 1.0);
}

TEST(Segment, IntegerClassMapsAndBinaryLogits) {
    NamedTensor map{"classes", Tensor::from_vector(DataType::kInt64, {1, 1, 2}, std::vector<int64_t>{3, 7})};
    auto r = segment(map, stretch(4, 2, 2, 1));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->num_classes, 8);
    EXPECT_EQ(row(r->mask, 1), (std::vector<int32_t>{3, 3, 7, 7}));
    auto b = segment(f32({1, 1, 1, 3}, {-2, 0.5f, 3}), stretch(3, 1, 3, 1));
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(b->num_classes, 2);
    EXPECT_EQ(row(b->mask, 0), (std::vector<int32_t>{0, 1, 1}));
}

TEST(Segment, UnexpectedShapesAndTypesNameTheOutput) {
    auto flat = segment(f32({4, 4}, std::vector<float>(16)), stretch(4, 4, 4, 4));
    ASSERT_FALSE(flat.is_ok());
    EXPECT_EQ(flat.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(flat.status().message().find("'out' float32 [4x4]"), std::string::npos) << flat.status().message();
    EXPECT_NE(flat.status().message().find("[1,C,H,W]"), std::string::npos) << flat.status().message();
    auto five = segment(f32({2, 2, 1, 2, 2}, std::vector<float>(16)), stretch(2, 2, 2, 2));
    EXPECT_FALSE(five.is_ok());
    NamedTensor u8{"mask", Tensor::from_vector(DataType::kUInt8, {1, 2, 2}, std::vector<uint8_t>{0, 1, 0, 1})};
    auto bad = segment(u8, stretch(2, 2, 2, 2));
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("'mask' uint8"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace edgeinfer::vision

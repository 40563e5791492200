// vision preprocessing: letterbox/crop geometry and the mapping back to the frame, scale/mean/std,
// color order, NCHW/NHWC/channel-stride layouts, gray/alpha/16-bit frames, and how defaults,
// sidecar, flags and the model input combine (with the errors for impossible combinations).
#include "vision/preprocess.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>

#include "vision/sidecar.hpp"

namespace edgeinfer::vision {
namespace {

PreprocessConfig raw_config(int w, int h) {
    PreprocessConfig c;
    c.width = w;
    c.height = h;
    c.scale = 1.0;
    c.mean = {0, 0, 0};
    c.std = {1, 1, 1};
    c.color = ColorOrder::kBgr;
    return c;
}

ValueDescription input(std::vector<int64_t> dims, DataType dtype = DataType::kFloat32) {
    ValueDescription v;
    v.name = "input";
    v.dtype = dtype;
    v.dims = std::move(dims);
    return v;
}

TEST(Preprocess, LetterboxPadsAndMapsBack) {
    cv::Mat frame(100, 200, CV_8UC3, cv::Scalar(10, 20, 30));
    PreprocessConfig c = raw_config(64, 64);
    c.resize = ResizeMode::kLetterbox;
    c.pad_value = 114;
    std::vector<float> dst(3 * 64 * 64);
    auto info = preprocess_into(frame, c, dst.data());
    ASSERT_TRUE(info.is_ok()) << info.status().to_string();
    EXPECT_DOUBLE_EQ(info->scale_x, 0.32);
    EXPECT_DOUBLE_EQ(info->scale_y, 0.32);
    EXPECT_EQ(info->offset_x, 0);
    EXPECT_EQ(info->offset_y, 16);  // 64x32 image centred: 16 rows of padding above and below
    for (int y : {0, 15, 48, 63}) EXPECT_EQ(dst[y * 64 + 5], 114.0f) << "row " << y;
    for (int y : {16, 32, 47}) {
        EXPECT_EQ(dst[y * 64 + 5], 10.0f) << "row " << y;                // B plane
        EXPECT_EQ(dst[2 * 64 * 64 + y * 64 + 5], 30.0f) << "row " << y;  // R plane
    }
    cv::Point2d p = info->to_frame(32, 32);
    EXPECT_DOUBLE_EQ(p.x, 100.0);
    EXPECT_DOUBLE_EQ(p.y, 50.0);
    auto box = info->box_to_frame({0, 16, 64, 48});
    EXPECT_DOUBLE_EQ(box[0], 0.0);
    EXPECT_DOUBLE_EQ(box[1], 0.0);
    EXPECT_DOUBLE_EQ(box[2], 200.0);
    EXPECT_DOUBLE_EQ(box[3], 100.0);
    auto clamped = info->box_to_frame({0, 0, 64, 64});  // padding maps outside the frame: clamped
    EXPECT_DOUBLE_EQ(clamped[1], 0.0);
    EXPECT_DOUBLE_EQ(clamped[3], 100.0);
}

TEST(Preprocess, CenterCropOfShorterSide) {
    // Column x holds the value x: the crop window shows which columns survived.
    cv::Mat frame(100, 200, CV_8UC3);
    for (int y = 0; y < 100; ++y)
        for (int x = 0; x < 200; ++x) frame.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(x), uchar(x), uchar(x));
    PreprocessConfig c = raw_config(50, 50);
    c.resize = ResizeMode::kCrop;
    c.crop_fraction = 1.0;
    c.interpolation = Interpolation::kNearest;
    std::vector<float> dst(3 * 50 * 50);
    auto info = preprocess_into(frame, c, dst.data());
    ASSERT_TRUE(info.is_ok());
    EXPECT_DOUBLE_EQ(info->scale_x, 0.5);  // shorter side 100 → 50, image 100x50, centre 50 columns kept
    EXPECT_EQ(info->offset_x, -25);
    EXPECT_EQ(info->offset_y, 0);
    EXPECT_NEAR(dst[0], 50.0f, 1.0f);    // input column 0 = frame column 50
    EXPECT_NEAR(dst[49], 148.0f, 1.0f);  // input column 49 = frame column 148
    cv::Point2d p = info->to_frame(0, 0);
    EXPECT_DOUBLE_EQ(p.x, 50.0);

    c.crop_fraction = 0.875;  // torchvision: resize to 57 (50/0.875), crop 50
    auto info2 = preprocess_into(frame, c, dst.data());
    ASSERT_TRUE(info2.is_ok());
    EXPECT_NEAR(info2->scale_y, 57.0 / 100.0, 1e-9);
    EXPECT_EQ(info2->offset_x, -32);  // (114 - 50) / 2
    EXPECT_EQ(info2->offset_y, -4);   // round((57 - 50) / 2)
}

TEST(Preprocess, ScaleMeanStdAndColorOrder) {
    cv::Mat frame(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));  // B, G, R
    PreprocessConfig c;
    c.width = 6;
    c.height = 4;
    c.mean = {0.1, 0.2, 0.3};
    c.std = {0.5, 0.25, 0.125};
    std::vector<float> dst(3 * 24);
    ASSERT_TRUE(preprocess_into(frame, c, dst.data()).is_ok());
    const double rgb[3] = {30, 20, 10};
    for (int ch = 0; ch < 3; ++ch)
        for (int i = 0; i < 24; ++i)
            ASSERT_NEAR(dst[ch * 24 + i], (rgb[ch] / 255.0 - c.mean[ch]) / c.std[ch], 1e-5) << ch << " " << i;
    c.color = ColorOrder::kBgr;
    ASSERT_TRUE(preprocess_into(frame, c, dst.data()).is_ok());
    EXPECT_NEAR(dst[0], (10 / 255.0 - 0.1) / 0.5, 1e-5);
}

TEST(Preprocess, NhwcAndChannelStride) {
    cv::Mat frame(2, 3, CV_8UC3, cv::Scalar(1, 2, 3));
    PreprocessConfig c = raw_config(3, 2);
    c.color = ColorOrder::kRgb;
    c.layout = Layout::kNhwc;
    std::vector<float> nhwc(18);
    ASSERT_TRUE(preprocess_into(frame, c, nhwc.data()).is_ok());
    for (int p = 0; p < 6; ++p) {
        EXPECT_EQ(nhwc[p * 3 + 0], 3.0f);
        EXPECT_EQ(nhwc[p * 3 + 1], 2.0f);
        EXPECT_EQ(nhwc[p * 3 + 2], 1.0f);
    }
    c.layout = Layout::kNchw;
    std::vector<float> strided(3 * 12, -1.0f);  // planes 12 values apart (as NCTHW with T=2)
    ASSERT_TRUE(preprocess_into(frame, c, strided.data(), 12).is_ok());
    for (int ch = 0; ch < 3; ++ch) {
        for (int i = 0; i < 6; ++i) EXPECT_EQ(strided[ch * 12 + i], float(3 - ch));
        for (int i = 6; i < 12; ++i) EXPECT_EQ(strided[ch * 12 + i], -1.0f) << "wrote outside its plane";
    }
}

TEST(Preprocess, GrayAlphaAnd16BitFramesMatchTheirBgr8Equivalent) {
    PreprocessConfig c;
    c.width = 8;
    c.height = 8;
    std::vector<float> expected(3 * 64), got(3 * 64);
    cv::Mat gray(8, 8, CV_8UC1, cv::Scalar(77));
    ASSERT_TRUE(preprocess_into(cv::Mat(8, 8, CV_8UC3, cv::Scalar(77, 77, 77)), c, expected.data()).is_ok());
    ASSERT_TRUE(preprocess_into(gray, c, got.data()).is_ok());
    EXPECT_EQ(got, expected);
    cv::Mat bgra(8, 8, CV_8UC4, cv::Scalar(77, 77, 77, 0));
    ASSERT_TRUE(preprocess_into(bgra, c, got.data()).is_ok());
    EXPECT_EQ(got, expected);
    cv::Mat deep(8, 8, CV_16UC3, cv::Scalar(77 * 257, 77 * 257, 77 * 257));
    ASSERT_TRUE(preprocess_into(deep, c, got.data()).is_ok());
    EXPECT_EQ(got, expected);
    cv::Mat floats(8, 8, CV_32FC3);
    auto bad = preprocess_into(floats, c, got.data());
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
}

TEST(Preprocess, GrayModelAndUint8Input) {
    cv::Mat frame(2, 2, CV_8UC3, cv::Scalar(0, 0, 255));  // pure red
    PreprocessConfig c = raw_config(2, 2);
    c.channels = 1;
    c.color = ColorOrder::kGray;
    c.mean = {0};
    c.std = {1};
    std::vector<float> g(4);
    ASSERT_TRUE(preprocess_into(frame, c, g.data()).is_ok());
    EXPECT_NEAR(g[0], 0.299 * 255, 0.6);
    PreprocessConfig u = raw_config(2, 2);
    u.dtype = DataType::kUInt8;
    u.color = ColorOrder::kRgb;
    std::vector<uint8_t> raw(12);
    ASSERT_TRUE(preprocess_into(frame, u, raw.data()).is_ok());
    EXPECT_EQ(raw[0], 255);  // R plane first
    EXPECT_EQ(raw[4], 0);
}

TEST(PreprocessResolve, DefaultsComeFromTheModel) {
    auto r = resolve_preprocess({}, nullptr, {}, input({1, 3, 224, 160}));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->config.width, 160);
    EXPECT_EQ(r->config.height, 224);
    EXPECT_EQ(r->config.color, ColorOrder::kRgb);
    EXPECT_EQ(r->config.layout, Layout::kNchw);
    EXPECT_EQ(r->config.mean, (std::vector<double>{0.485, 0.456, 0.406}));
    EXPECT_EQ(r->origin, "defaults: no sidecar, no flags");
    EXPECT_NE(r->config.describe().find("stretch 160x224 linear, RGB, NCHW, scale 1/255"), std::string::npos)
        << r->config.describe();

    auto nhwc = resolve_preprocess({}, nullptr, {}, input({1, 96, 128, 3}));
    ASSERT_TRUE(nhwc.is_ok());
    EXPECT_EQ(nhwc->config.layout, Layout::kNhwc);
    EXPECT_EQ(nhwc->config.width, 128);

    auto gray = resolve_preprocess({}, nullptr, {}, input({1, 1, 28, 28}));
    ASSERT_TRUE(gray.is_ok());
    EXPECT_EQ(gray->config.color, ColorOrder::kGray);
    ASSERT_EQ(gray->config.mean.size(), 1u);

    auto u8 = resolve_preprocess({}, nullptr, {}, input({1, 3, 8, 8}, DataType::kUInt8));
    ASSERT_TRUE(u8.is_ok());
    EXPECT_EQ(u8->config.dtype, DataType::kUInt8);
}

TEST(PreprocessResolve, SidecarThenFlagsOverride) {
    Sidecar s;
    s.path = "m.json";
    s.layout = "NCHW";
    s.color_order = "BGR";
    s.scale = 1.0;
    s.mean = {100, 110, 120};
    s.std = {50, 50, 50};
    s.resize = "letterbox";
    s.input_shape = {1, 3, 240, 320};
    auto r = resolve_preprocess({}, &s, {}, input({-1, 3, -1, -1}));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->config.width, 320);  // dynamic model dims: the sidecar's example shape
    EXPECT_EQ(r->config.height, 240);
    EXPECT_EQ(r->config.color, ColorOrder::kBgr);
    EXPECT_EQ(r->config.resize, ResizeMode::kLetterbox);
    EXPECT_EQ(r->config.mean[2], 120);
    EXPECT_EQ(r->origin, "sidecar m.json");

    PreprocessOverrides f;
    f.size = std::make_pair(64, 48);
    f.color = ColorOrder::kRgb;
    f.resize = ResizeMode::kCrop;
    f.mean = std::vector<double>{0.5};
    auto r2 = resolve_preprocess({}, &s, f, input({-1, 3, -1, -1}));
    ASSERT_TRUE(r2.is_ok());
    EXPECT_EQ(r2->config.width, 64);
    EXPECT_EQ(r2->config.height, 48);
    EXPECT_EQ(r2->config.color, ColorOrder::kRgb);
    EXPECT_EQ(r2->config.resize, ResizeMode::kCrop);
    EXPECT_EQ(r2->config.mean, (std::vector<double>{0.5, 0.5, 0.5}));
    EXPECT_EQ(r2->origin, "sidecar m.json + flags");

    PreprocessConfig head_default;
    head_default.resize = ResizeMode::kLetterbox;
    auto r3 = resolve_preprocess(head_default, nullptr, {}, input({1, 3, 32, 32}));
    ASSERT_TRUE(r3.is_ok());
    EXPECT_EQ(r3->config.resize, ResizeMode::kLetterbox);
}

TEST(PreprocessResolve, ErrorsNameTheCulprit) {
    auto dynamic = resolve_preprocess({}, nullptr, {}, input({1, 3, -1, -1}));
    ASSERT_FALSE(dynamic.is_ok());
    EXPECT_NE(dynamic.status().message().find("--size"), std::string::npos) << dynamic.status().message();

    PreprocessOverrides f;
    f.size = std::make_pair(320, 240);
    auto fixed = resolve_preprocess({}, nullptr, f, input({1, 3, 224, 224}));
    ASSERT_FALSE(fixed.is_ok());
    EXPECT_NE(fixed.status().message().find("fixed at 1x3x224x224"), std::string::npos) << fixed.status().message();

    PreprocessOverrides m;
    m.mean = std::vector<double>{0.1, 0.2};
    auto mean = resolve_preprocess({}, nullptr, m, input({1, 3, 8, 8}));
    ASSERT_FALSE(mean.is_ok());
    EXPECT_NE(mean.status().message().find("--mean has 2 values"), std::string::npos) << mean.status().message();

    auto rank = resolve_preprocess({}, nullptr, {}, input({1, 1000}));
    ASSERT_FALSE(rank.is_ok());
    EXPECT_EQ(rank.status().code(), StatusCode::kUnsupported);

    auto channels = resolve_preprocess({}, nullptr, {}, input({1, 5, 8, 8}));
    ASSERT_FALSE(channels.is_ok());
    EXPECT_NE(channels.status().message().find("5 channels"), std::string::npos);

    auto dtype = resolve_preprocess({}, nullptr, {}, input({1, 3, 8, 8}, DataType::kInt64));
    ASSERT_FALSE(dtype.is_ok());
    EXPECT_NE(dtype.status().message().find("int64"), std::string::npos);

    Sidecar s;
    s.path = "bad.json";
    s.layout = "CHWN";
    auto layout = resolve_preprocess({}, &s, {}, input({1, 3, 8, 8}));
    ASSERT_FALSE(layout.is_ok());
    EXPECT_NE(layout.status().message().find("bad.json"), std::string::npos);
    EXPECT_NE(layout.status().message().find("'layout'"), std::string::npos);
}

TEST(PreprocessFlags, Parse) {
    auto s = parse_size_flag("320x240");
    ASSERT_TRUE(s.is_ok());
    EXPECT_EQ(s->first, 320);
    EXPECT_EQ(s->second, 240);
    EXPECT_EQ(parse_size_flag("224")->second, 224);
    EXPECT_FALSE(parse_size_flag("0x5").is_ok());
    EXPECT_FALSE(parse_size_flag("axb").is_ok());
    EXPECT_EQ(parse_resize_mode("crop").value(), ResizeMode::kCrop);
    EXPECT_NE(parse_resize_mode("fill").status().message().find("stretch, letterbox or crop"), std::string::npos);
    EXPECT_EQ(parse_interpolation("bicubic").value(), Interpolation::kCubic);
    EXPECT_FALSE(parse_interpolation("lanczos9").is_ok());
    auto v = parse_channel_values("0.485,0.456,0.406", "--mean");
    ASSERT_TRUE(v.is_ok());
    EXPECT_EQ(v->size(), 3u);
    auto bad = parse_channel_values("0.4,x", "--std");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("--std"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::vision

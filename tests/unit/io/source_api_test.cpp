// The public frame and source API (include/edgeinfer/frame.hpp, source.hpp): images owned, shared and
// viewed, pixel format names, FrameSource over a folder and the synthetic pattern with limit and rate,
// end of stream as its own code, and bad DATASPECs named.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/source.hpp"
#include "io/frame.hpp"
#include "io/sources.hpp"
#include "io_test_util.hpp"

namespace edgeinfer {
namespace {

using testing::TempDir;

// "f3.png" (appended piecewise: GCC 12's -Wrestrict misfires on "f" + std::string).
std::string file_name(int i) {
    std::string s = "f";
    s += std::to_string(i);
    s += ".png";
    return s;
}

TEST(PublicImage, AllocateCopyCloneShare) {
    Image a = Image::allocate(5, 3, PixelFormat::kRgb8);
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(a.width(), 5);
    EXPECT_EQ(a.height(), 3);
    EXPECT_EQ(a.stride(), 15u);
    EXPECT_EQ(a.data()[14], 0);  // zero-filled
    a.data()[7] = 99;
    Image shared = a;  // copies share pixels
    EXPECT_EQ(shared.data(), a.data());
    Image deep = a.clone();
    EXPECT_NE(deep.data(), a.data());
    EXPECT_EQ(deep.data()[7], 99);
    a.data()[7] = 1;
    EXPECT_EQ(shared.data()[7], 1);
    EXPECT_EQ(deep.data()[7], 99);

    // copy_of a strided view packs its rows.
    uint8_t buffer[2 * 8] = {};
    for (int i = 0; i < 16; ++i) buffer[i] = static_cast<uint8_t>(i);
    Image packed = Image::copy_of(ImageView{buffer, 2, 2, PixelFormat::kGray8, 8});
    EXPECT_EQ(packed.stride(), 2u);
    EXPECT_EQ(packed.data()[0], 0);
    EXPECT_EQ(packed.data()[1], 1);
    EXPECT_EQ(packed.data()[2], 8);
    EXPECT_EQ(packed.data()[3], 9);
    EXPECT_TRUE(Image::allocate(0, 3, PixelFormat::kBgr8).empty());
    EXPECT_TRUE(Image::copy_of(ImageView{}).empty());
}

TEST(PublicImage, PixelFormatNames) {
    for (auto f :
         {PixelFormat::kBgr8, PixelFormat::kRgb8, PixelFormat::kGray8, PixelFormat::kBgra8, PixelFormat::kRgba8})
        EXPECT_EQ(parse_pixel_format(to_string(f)).value(), f);
    EXPECT_EQ(channels_of(PixelFormat::kGray8), 1);
    EXPECT_EQ(channels_of(PixelFormat::kRgba8), 4);
    auto bad = parse_pixel_format("yuv420");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("yuv420"), std::string::npos);
}

TEST(PublicImage, ReadAndWrapWithoutCopy) {
    TempDir dir;
    cv::Mat m(6, 8, CV_8UC3, cv::Scalar(10, 20, 30));
    ASSERT_TRUE(cv::imwrite(dir / "a.png", m));
    auto image = Image::read(dir / "a.png");
    ASSERT_TRUE(image.is_ok()) << image.status().to_string();
    EXPECT_EQ(image.value().width(), 8);
    EXPECT_EQ(image.value().format(), PixelFormat::kBgr8);
    EXPECT_EQ(image.value().data()[2], 30);

    auto missing = Image::read(dir / "missing.png");
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("missing.png"), std::string::npos);
    std::ofstream(dir / "junk.png") << "not a png";
    auto junk = Image::read(dir / "junk.png");
    ASSERT_FALSE(junk.is_ok());
    EXPECT_NE(junk.status().message().find("junk.png"), std::string::npos);

    // A Mat's pixels are shared, not copied, and outlive the Mat.
    Image wrapped;
    const uint8_t* pixels = nullptr;
    {
        cv::Mat gray(4, 4, CV_8UC1, cv::Scalar(7));
        pixels = gray.data;
        auto w = io::image_from_mat(gray);
        ASSERT_TRUE(w.is_ok());
        wrapped = w.value();
    }
    EXPECT_EQ(wrapped.data(), pixels);
    EXPECT_EQ(wrapped.format(), PixelFormat::kGray8);
    EXPECT_EQ(wrapped.data()[15], 7);
    EXPECT_FALSE(io::image_from_mat(cv::Mat(2, 2, CV_32FC1)).is_ok());
}

TEST(PublicSource, FolderInOrderThenEndOfStream) {
    TempDir dir;
    for (int i : {2, 0, 1})
        ASSERT_TRUE(cv::imwrite(dir / file_name(i), cv::Mat(6, 8, CV_8UC3, cv::Scalar(i * 50, 0, 0))));
    auto source = FrameSource::open(dir.path().string());
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    EXPECT_NE(source.value()->describe().find("3 images"), std::string::npos) << source.value()->describe();
    for (int i = 0; i < 3; ++i) {
        auto frame = source.value()->next();
        ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
        EXPECT_EQ(frame.value().seq, static_cast<uint64_t>(i));
        EXPECT_NE(frame.value().source_id.find(file_name(i)), std::string::npos);
        EXPECT_EQ(frame.value().image.format(), PixelFormat::kBgr8);
        EXPECT_EQ(frame.value().image.width(), 8);
        EXPECT_EQ(frame.value().image.data()[0], i * 50);
        EXPECT_GT(frame.value().timestamp_us, 0);
    }
    auto end = source.value()->next();
    ASSERT_FALSE(end.is_ok());
    EXPECT_EQ(end.status().code(), StatusCode::kEndOfStream);
}

TEST(PublicSource, PatternWithLimitAndRate) {
    SourceOptions o;
    o.limit = 5;
    o.rate = 50.0;
    auto source = FrameSource::open("pattern:64x48", o);
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    EXPECT_DOUBLE_EQ(source.value()->nominal_fps(), 30.0);
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t k = 0; k < 5; ++k) {
        auto frame = source.value()->next();
        ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
        EXPECT_EQ(frame.value().seq, k);
        EXPECT_EQ(frame.value().source_id, "pattern:64x48");
        ASSERT_EQ(frame.value().image.width(), 64);
        ASSERT_EQ(frame.value().image.height(), 48);
        // The pixels are the pattern's (io/sources.hpp), seen through the public image.
        const cv::Vec3b p = io::pattern_pixel(10, 20, k);
        const uint8_t* px = frame.value().image.data() + 20 * frame.value().image.stride() + 3 * 10;
        EXPECT_EQ(px[0], p[0]);
        EXPECT_EQ(px[1], p[1]);
        EXPECT_EQ(px[2], p[2]);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(seconds, 4 / 50.0 * 0.9);  // 5 frames at 50 per second: 4 periods at least
    auto end = source.value()->next();
    ASSERT_FALSE(end.is_ok());
    EXPECT_EQ(end.status().code(), StatusCode::kEndOfStream);
    EXPECT_NE(end.status().message().find("limit of 5"), std::string::npos);

    SourceOptions sized;
    sized.width = 32;
    sized.height = 16;
    auto small = FrameSource::open("pattern:64x48", sized);
    ASSERT_TRUE(small.is_ok());
    auto f = small.value()->next();
    ASSERT_TRUE(f.is_ok());
    EXPECT_EQ(f.value().image.width(), 32);
    EXPECT_EQ(f.value().image.height(), 16);
}

TEST(PublicSource, BadDataspecsAreNamed) {
    auto missing = FrameSource::open("/no/such/folder");
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("/no/such/folder"), std::string::npos);
    auto pattern = FrameSource::open("pattern:0x48");
    ASSERT_FALSE(pattern.is_ok());
    EXPECT_EQ(pattern.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(pattern.status().message().find("pattern:0x48"), std::string::npos);
    SourceOptions half;
    half.width = 32;
    auto size = FrameSource::open("pattern:64x48", half);
    ASSERT_FALSE(size.is_ok());
    EXPECT_EQ(size.status().code(), StatusCode::kInvalidArgument);
    SourceOptions negative;
    negative.limit = -1;
    EXPECT_FALSE(FrameSource::open("pattern:64x48", negative).is_ok());
}

}  // namespace
}  // namespace edgeinfer

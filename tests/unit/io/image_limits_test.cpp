// Hostile frames (issue 24): the pixel limit read from image headers before decoding in every decoder
// path (Image::read, image and folder sources, camera-server payloads, video streams), and truncated JPEGs.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/source.hpp"
#include "io/camera_protocol.hpp"
#include "io/image_header.hpp"
#include "io_test_util.hpp"

namespace edgeinfer {
namespace {

using testing::TempDir;

std::vector<uint8_t> encode(const std::string& ext, int width, int height) {
    cv::Mat image(height, width, CV_8UC3, cv::Scalar(30, 120, 200));
    std::vector<uint8_t> bytes;
    EXPECT_TRUE(cv::imencode(ext, image, bytes));
    return bytes;
}

// A small real JPEG whose frame header (SOF0) is rewritten to declare width x height: the decoder
// would allocate the declared size (a few KB of file, gigabytes of pixels).
std::vector<uint8_t> jpeg_bomb(int width, int height) {
    std::vector<uint8_t> bytes = encode(".jpg", 16, 16);
    for (size_t i = 2; i + 9 < bytes.size(); ++i)
        if (bytes[i] == 0xFF && bytes[i + 1] == 0xC0) {
            bytes[i + 5] = static_cast<uint8_t>(height >> 8);
            bytes[i + 6] = static_cast<uint8_t>(height & 0xFF);
            bytes[i + 7] = static_cast<uint8_t>(width >> 8);
            bytes[i + 8] = static_cast<uint8_t>(width & 0xFF);
            return bytes;
        }
    ADD_FAILURE() << "no SOF0 in OpenCV's JPEG";
    return bytes;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

TEST(ImageHeader, DimensionsOfJpegPngAndBmpWithoutDecoding) {
    for (const char* ext : {".jpg", ".png", ".bmp"}) {
        std::vector<uint8_t> bytes = encode(ext, 37, 21);
        auto d = io::image_dimensions(bytes.data(), bytes.size());
        ASSERT_TRUE(d.has_value()) << ext;
        EXPECT_EQ(d->width, 37) << ext;
        EXPECT_EQ(d->height, 21) << ext;
        // Cut inside the header: no dimensions, no read past the end.
        auto cut = io::image_dimensions(bytes.data(), std::min<size_t>(bytes.size(), 12));
        EXPECT_FALSE(cut.has_value()) << ext;
    }
    std::vector<uint8_t> bomb = jpeg_bomb(16384, 16384);
    auto d = io::image_dimensions(bomb.data(), bomb.size());
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->width, 16384);
    EXPECT_EQ(d->height, 16384);
    const uint8_t junk[] = {'G', 'I', 'F', '8', '9', 'a', 0, 0};
    EXPECT_FALSE(io::image_dimensions(junk, sizeof junk).has_value());
}

TEST(PixelLimit, ImageReadRefusesAJpegDeclaring16384SquaredBeforeDecoding) {
    TempDir dir;
    const std::string path = dir / "bomb.jpg";
    std::vector<uint8_t> bomb = jpeg_bomb(16384, 16384);
    ASSERT_LT(bomb.size(), 2048u);
    write_file(path, bomb);
    auto image = Image::read(path);
    ASSERT_FALSE(image.is_ok());
    EXPECT_EQ(image.status().code(), StatusCode::kResourceExhausted);
    const std::string& m = image.status().message();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find("16384x16384"), std::string::npos) << m;
    EXPECT_NE(m.find("33177600"), std::string::npos) << m;  // the default limit: 7680x4320

    // The limit is the caller's: a 64x48 PNG is over a 1000-pixel limit and within 3072.
    write_file(dir / "small.png", encode(".png", 64, 48));
    EXPECT_EQ(Image::read(dir / "small.png", 1000).status().code(), StatusCode::kResourceExhausted);
    auto ok = Image::read(dir / "small.png", 64 * 48);
    ASSERT_TRUE(ok.is_ok()) << ok.status().message();
    EXPECT_EQ(ok->width(), 64);
}

TEST(PixelLimit, FolderSkipsTheBombAndImageSourceNamesIt) {
    TempDir dir;
    write_file(dir / "a_bomb.jpg", jpeg_bomb(20000, 20000));
    write_file(dir / "b_good.png", encode(".png", 32, 24));
    auto folder = FrameSource::open(dir.path().string());
    ASSERT_TRUE(folder.is_ok()) << folder.status().message();
    auto frame = folder.value()->next();
    ASSERT_TRUE(frame.is_ok()) << frame.status().message();
    EXPECT_NE(frame->source_id.find("b_good.png"), std::string::npos);
    EXPECT_EQ(folder.value()->next().status().code(), StatusCode::kEndOfStream);

    auto single = FrameSource::open(dir / "a_bomb.jpg");
    ASSERT_TRUE(single.is_ok()) << single.status().message();
    auto refused = single.value()->next();
    EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(refused.status().message().find("20000x20000"), std::string::npos) << refused.status().message();

    SourceOptions small;
    small.max_pixels = 100;
    auto limited = FrameSource::open(dir / "b_good.png", small);
    ASSERT_TRUE(limited.is_ok());
    EXPECT_EQ(limited.value()->next().status().code(), StatusCode::kResourceExhausted);
}

TEST(PixelLimit, CameraPayloadsAreCheckedBeforeDecoding) {
    std::vector<uint8_t> bomb = jpeg_bomb(16384, 16384);
    io::ReplyHeader h;
    h.encoding = io::Encoding::kJpeg;
    h.width = 16384;
    h.height = 16384;
    h.size = bomb.size();
    auto refused = io::decode_payload(h, bomb.data(), bomb.size());
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(refused.status().message().find("16384x16384"), std::string::npos) << refused.status().message();

    // A raw BGR frame over a caller's limit, and the same frame within it.
    std::vector<uint8_t> raw(40 * 30 * 3, 7);
    io::ReplyHeader r;
    r.width = 40;
    r.height = 30;
    r.size = raw.size();
    EXPECT_EQ(io::decode_payload(r, raw.data(), raw.size(), 1000).status().code(), StatusCode::kResourceExhausted);
    EXPECT_TRUE(io::decode_payload(r, raw.data(), raw.size(), 1200).is_ok());
}

TEST(PixelLimit, VideoStreamsAreCheckedByTheirDeclaredSize) {
    TempDir dir;
    const std::string path = dir / "clip.avi";
    if (!testing::write_test_video(path, 3, 64, 48)) GTEST_SKIP() << "OpenCV cannot write MJPEG video here";
    SourceOptions small;
    small.max_pixels = 1000;
    auto refused = FrameSource::open(path, small);
    ASSERT_FALSE(refused.is_ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(refused.status().message().find(path), std::string::npos) << refused.status().message();
    EXPECT_NE(refused.status().message().find("64x48"), std::string::npos) << refused.status().message();
    auto fine = FrameSource::open(path);
    ASSERT_TRUE(fine.is_ok()) << fine.status().message();
    EXPECT_TRUE(fine.value()->next().is_ok());
}

}  // namespace
}  // namespace edgeinfer

namespace edgeinfer {
namespace {

// A JPEG of noise: its scan data is most of the file, so cutting it keeps the headers whole.
std::vector<uint8_t> noisy_jpeg(int width, int height) {
    cv::Mat image(height, width, CV_8UC3);
    cv::randu(image, 0, 256);
    std::vector<uint8_t> bytes;
    EXPECT_TRUE(cv::imencode(".jpg", image, bytes));
    return bytes;
}

// Issue 24: a truncated JPEG was classified with only libjpeg's stderr line.
TEST(TruncatedJpeg, DetectedWarnedAndCountedByTheSource) {
    std::vector<uint8_t> whole = noisy_jpeg(64, 48);
    EXPECT_FALSE(io::jpeg_truncated(whole.data(), whole.size()));
    std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<long>(whole.size() * 3 / 5));
    EXPECT_TRUE(io::jpeg_truncated(cut.data(), cut.size()));
    std::vector<uint8_t> png = encode(".png", 8, 8);
    EXPECT_FALSE(io::jpeg_truncated(png.data(), png.size() / 2)) << "only JPEGs are judged";

    TempDir dir;
    write_file(dir / "a_cut.jpg", cut);
    write_file(dir / "b_whole.jpg", whole);
    auto folder = FrameSource::open(dir.path().string());
    ASSERT_TRUE(folder.is_ok()) << folder.status().message();
    ::testing::internal::CaptureStderr();
    auto first = folder.value()->next();
    const std::string log = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(first.is_ok()) << first.status().message();  // still decoded: the rows it has are real
    EXPECT_EQ(first->image.width(), 64);
    EXPECT_NE(log.find("truncated JPEG"), std::string::npos) << log;
    EXPECT_NE(log.find(dir / "a_cut.jpg"), std::string::npos) << log;
    EXPECT_EQ(folder.value()->truncated_frames(), 1u);
    ASSERT_TRUE(folder.value()->next().is_ok());
    EXPECT_EQ(folder.value()->truncated_frames(), 1u) << "the whole JPEG is not counted";
}

}  // namespace
}  // namespace edgeinfer

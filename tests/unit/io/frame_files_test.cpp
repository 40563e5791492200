// io::save_frame_png and io::format_timestamp_us (what `edgeinfer frames --save` writes and prints).
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "edgeinfer/source.hpp"
#include "io/frame.hpp"

namespace edgeinfer {
namespace {

TEST(FrameFiles, SavesAPngNamedByIndex) {
    auto source = FrameSource::open("pattern:40x30", {});
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    auto frame = source.value()->next();
    ASSERT_TRUE(frame.is_ok()) << frame.status().to_string();
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "edgeinfer_frame_files_test";
    std::filesystem::create_directories(dir);
    auto path = io::save_frame_png(dir.string(), 7, frame.value());
    ASSERT_TRUE(path.is_ok()) << path.status().to_string();
    EXPECT_EQ(path.value(), (dir / "frame_000007.png").string());
    cv::Mat back = cv::imread(path.value(), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(back.empty());
    EXPECT_EQ(back.cols, frame->image.width());
    EXPECT_EQ(back.rows, frame->image.height());
    std::filesystem::remove_all(dir);

    auto bad = io::save_frame_png("/nonexistent/dir", 0, frame.value());
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("/nonexistent/dir/frame_000000.png"), std::string::npos)
        << bad.status().to_string();
}

TEST(FrameFiles, TimestampWithSixDecimals) {
    EXPECT_EQ(io::format_timestamp_us(1700000000123456), "1700000000.123456");
    EXPECT_EQ(io::format_timestamp_us(2000042), "2.000042");
    EXPECT_EQ(io::format_timestamp_us(0), "0.000000");
}

TEST(FrameFiles, LabelNamesTheFrameOfALiveSource) {
    io::Frame f;
    f.seq = 412;
    f.source_id = "tcp://127.0.0.1:8089";
    EXPECT_EQ(io::frame_label(f), "tcp://127.0.0.1:8089#412");
    f.source_id = "v4l2:0";
    EXPECT_EQ(io::frame_label(f), "v4l2:0#412");
    f.source_id = "gst:videotestsrc ! appsink";
    EXPECT_EQ(io::frame_label(f), "gst:videotestsrc ! appsink#412");
    f.source_id = "clip.mp4#12";  // already names one frame
    EXPECT_EQ(io::frame_label(f), "clip.mp4#12");
    f.source_id = "photos/cat.jpg";
    EXPECT_EQ(io::frame_label(f), "photos/cat.jpg");
}

}  // namespace
}  // namespace edgeinfer

// Frame sources from DATASPECs: pattern pixels, folders (sorted, recursive, unreadable files
// skipped), single images, video files (end, loop, truncation), cameras that are absent,
// capture modes and the rate limiter.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "io/camera_client.hpp"
#include "io/frame_source.hpp"
#include "io/sources.hpp"
#include "io_test_util.hpp"

namespace edgeinfer {
namespace {

using testing::TempDir;

void write_png(const std::string& path, cv::Vec3b colour, int w = 8, int h = 6) {
    ASSERT_TRUE(cv::imwrite(path, cv::Mat(h, w, CV_8UC3, cv::Scalar(colour[0], colour[1], colour[2]))));
}

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

TEST(PatternSource, EveryPixelFollowsTheFormula) {
    auto source = io::open_source("pattern:64x48");
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    EXPECT_DOUBLE_EQ(source.value()->nominal_fps(), 30.0);
    for (uint64_t k = 0; k < 20; ++k) {
        auto frame = source.value()->next();
        ASSERT_TRUE(frame.is_ok());
        EXPECT_EQ(frame->seq, k);
        EXPECT_EQ(frame->source_id, "pattern:64x48");
        ASSERT_EQ(frame->image.type(), CV_8UC3);
        ASSERT_EQ(frame->width(), 64);
        ASSERT_EQ(frame->height(), 48);
        EXPECT_EQ(testing::pattern_error(frame->image, k), 0.0) << "frame " << k;
    }
    // The pattern moves: consecutive frames differ.
    cv::Mat a, b;
    io::render_pattern(a, 32, 32, 0);
    io::render_pattern(b, 32, 32, 1);
    EXPECT_GT(cv::norm(a, b, cv::NORM_L1), 0.0);
}

TEST(PatternSource, ModeOverridesSizeAndBadSpecsAreNamed) {
    io::SourceOptions options;
    options.mode = io::parse_capture_mode("32x16").value();
    auto source = io::open_source("pattern:640x480", options);
    ASSERT_TRUE(source.is_ok());
    EXPECT_EQ(source.value()->next()->width(), 32);
    for (const char* bad : {"pattern:", "pattern:0x10", "pattern:10", "pattern:axb", "pattern:20000x10"}) {
        auto r = io::open_source(bad);
        ASSERT_FALSE(r.is_ok()) << bad;
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
        EXPECT_NE(r.status().message().find("pattern:WxH"), std::string::npos) << r.status().message();
    }
}

TEST(FolderSource, SortedSkipsUnreadableAndIgnoresOtherFiles) {
    TempDir dir;
    write_png(dir / "b.png", {0, 0, 200});
    write_png(dir / "a.png", {200, 0, 0});
    write_bytes(dir / "c.jpg", "");                          // zero bytes
    write_bytes(dir / "d.png", "this is not a png at all");  // garbage
    write_bytes(dir / "notes.txt", "ignored");
    std::filesystem::create_directories(dir.path() / "sub");
    write_png(dir / "sub/e.png", {0, 200, 0});

    auto source = io::open_source(dir.path().string());
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    EXPECT_NE(source.value()->describe().find("4 images"), std::string::npos) << source.value()->describe();
    auto first = source.value()->next();
    ASSERT_TRUE(first.is_ok());
    EXPECT_EQ(first->source_id, dir / "a.png");
    EXPECT_EQ(testing::colour_error(first->image, {200, 0, 0}), 0.0);
    auto second = source.value()->next();
    ASSERT_TRUE(second.is_ok());
    EXPECT_EQ(second->source_id, dir / "b.png");
    EXPECT_EQ(second->seq, 1u);
    auto end = source.value()->next();  // c.jpg and d.png are skipped with a warning
    ASSERT_FALSE(end.is_ok());
    EXPECT_EQ(end.status().code(), StatusCode::kEndOfStream);
    EXPECT_EQ(source.value()->next().status().code(), StatusCode::kEndOfStream);  // stays at the end

    io::SourceOptions recursive;
    recursive.recursive = true;
    auto all = io::open_source(dir.path().string(), recursive);
    ASSERT_TRUE(all.is_ok());
    std::vector<std::string> ids;
    for (auto f = all.value()->next(); f.is_ok(); f = all.value()->next()) ids.push_back(f->source_id);
    EXPECT_EQ(ids, (std::vector<std::string>{dir / "a.png", dir / "b.png", dir / "sub/e.png"}));
}

TEST(FolderSource, EmptyOrAllUnreadableFoldersFailClearly) {
    TempDir dir;
    write_bytes(dir / "readme.txt", "no images here");
    auto empty = io::open_source(dir.path().string());
    ASSERT_FALSE(empty.is_ok());
    EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);
    EXPECT_NE(empty.status().message().find("has no images"), std::string::npos) << empty.status().message();

    write_bytes(dir / "x.jpg", "");
    write_bytes(dir / "y.png", "garbage");
    auto bad = io::open_source(dir.path().string());
    ASSERT_TRUE(bad.is_ok());
    auto r = bad.value()->next();
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kIoError);
    EXPECT_NE(r.status().message().find("none of the 2 image files"), std::string::npos) << r.status().message();
}

TEST(ImageSource, OneFrameConvertedToBgrThenEnd) {
    TempDir dir;
    cv::Mat gray(6, 8, CV_8UC1, cv::Scalar(77));
    ASSERT_TRUE(cv::imwrite(dir / "gray.png", gray));
    cv::Mat deep(6, 8, CV_16UC3, cv::Scalar(65535, 0, 32768));
    ASSERT_TRUE(cv::imwrite(dir / "deep.png", deep));
    cv::Mat alpha(6, 8, CV_8UC4, cv::Scalar(10, 20, 30, 128));
    ASSERT_TRUE(cv::imwrite(dir / "alpha.png", alpha));

    auto g = io::open_source(dir / "gray.png");
    ASSERT_TRUE(g.is_ok());
    auto frame = g.value()->next();
    ASSERT_TRUE(frame.is_ok());
    EXPECT_EQ(frame->image.type(), CV_8UC3);
    EXPECT_EQ(testing::colour_error(frame->image, {77, 77, 77}), 0.0);
    EXPECT_EQ(g.value()->next().status().code(), StatusCode::kEndOfStream);

    auto d = io::open_source(dir / "deep.png")->get()->next();
    ASSERT_TRUE(d.is_ok());
    EXPECT_EQ(d->image.type(), CV_8UC3);
    EXPECT_LE(testing::colour_error(d->image, {255, 0, 128}), 1.0);
    auto a = io::open_source(dir / "alpha.png")->get()->next();
    ASSERT_TRUE(a.is_ok());
    EXPECT_EQ(testing::colour_error(a->image, {10, 20, 30}), 0.0);

    write_bytes(dir / "broken.jpg", "\xff\xd8\xff garbage");
    auto broken = io::open_source(dir / "broken.jpg");
    ASSERT_TRUE(broken.is_ok());
    auto r = broken.value()->next();
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kIoError);
    EXPECT_NE(r.status().message().find("broken.jpg"), std::string::npos);
}

TEST(VideoSource, ReadsEveryFrameThenEndsOrLoops) {
    TempDir dir;
    const std::string path = dir / "clip.avi";
    ASSERT_TRUE(testing::write_test_video(path, 8));
    auto source = io::open_source(path);
    ASSERT_TRUE(source.is_ok()) << source.status().to_string();
    EXPECT_NEAR(source.value()->nominal_fps(), 25.0, 0.5);
    for (int k = 0; k < 8; ++k) {
        auto f = source.value()->next();
        ASSERT_TRUE(f.is_ok()) << "frame " << k << ": " << f.status().to_string();
        EXPECT_EQ(f->seq, uint64_t(k));
        EXPECT_EQ(f->width(), 64);
        EXPECT_LT(testing::colour_error(f->image, testing::video_colour(k)), 4.0) << "frame " << k;
    }
    EXPECT_EQ(source.value()->next().status().code(), StatusCode::kEndOfStream);

    io::SourceOptions loop;
    loop.loop = true;
    loop.mode.width = 32;
    loop.mode.height = 24;
    auto looped = io::open_source(path, loop);
    ASSERT_TRUE(looped.is_ok());
    for (int k = 0; k < 20; ++k) {
        auto f = looped.value()->next();
        ASSERT_TRUE(f.is_ok()) << "frame " << k;
        EXPECT_EQ(f->width(), 32);
        EXPECT_LT(testing::colour_error(f->image, testing::video_colour(k % 8)), 4.0) << "frame " << k;
    }
}

TEST(VideoSource, TruncatedAndBogusVideosNeverCrash) {
    TempDir dir;
    const std::string path = dir / "clip.avi";
    ASSERT_TRUE(testing::write_test_video(path, 30));
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    auto source = io::open_source(path);
    if (source.is_ok()) {
        int frames = 0;
        Result<io::Frame> f = source.value()->next();
        for (; f.is_ok() && frames < 100; f = source.value()->next()) ++frames;
        EXPECT_LT(frames, 30);
        EXPECT_TRUE(f.status().code() == StatusCode::kEndOfStream || f.status().code() == StatusCode::kIoError)
            << f.status().to_string();
    } else {
        EXPECT_EQ(source.status().code(), StatusCode::kIoError);
    }
    write_bytes(dir / "fake.mp4", "not a video");
    auto fake = io::open_source(dir / "fake.mp4");
    ASSERT_FALSE(fake.is_ok());
    EXPECT_NE(fake.status().message().find("fake.mp4"), std::string::npos) << fake.status().message();
}

TEST(Dataspec, MissingPathsAndAbsentCamerasAreNamed) {
    auto missing = io::open_source("/no/such/folder");
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("pattern:WxH"), std::string::npos) << missing.status().message();
    EXPECT_EQ(io::open_source("").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(io::open_source("v4l2:cam").status().code(), StatusCode::kInvalidArgument);
    for (const char* spec : {"v4l2:99", "/dev/video99"}) {
        auto cam = io::open_source(spec);
        ASSERT_FALSE(cam.is_ok()) << spec;
        EXPECT_EQ(cam.status().code(), StatusCode::kSourceLost) << spec;
        EXPECT_NE(cam.status().message().find("/dev/video99"), std::string::npos) << cam.status().message();
    }
    EXPECT_EQ(io::list_capture_modes("v4l2:99").status().code(), StatusCode::kSourceLost);
    auto modes = io::list_capture_modes("pattern:64x48");
    ASSERT_TRUE(modes.is_ok());
    EXPECT_FALSE(modes->empty());
    EXPECT_EQ(io::open_source("tcp://nohostport").status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(io::open_source("tcp://127.0.0.1:8089?colour=red").status().code(), StatusCode::kInvalidArgument);
}

TEST(Dataspec, CameraUrlOptions) {
    auto url = io::parse_camera_url("tcp://127.0.0.1:9000?encoding=jpeg&quality=70&mode=sub&timeout_ms=250&retries=0");
    ASSERT_TRUE(url.is_ok()) << url.status().to_string();
    EXPECT_EQ(url->endpoint, "tcp://127.0.0.1:9000");
    EXPECT_EQ(url->options.encoding, io::Encoding::kJpeg);
    EXPECT_EQ(url->options.quality, 70);
    EXPECT_TRUE(url->options.subscribe);
    EXPECT_EQ(url->options.timeout_ms, 250);
    EXPECT_EQ(url->options.retries, 0);
    EXPECT_TRUE(io::parse_camera_url("ipc:///tmp/cam").is_ok());
    for (const char* bad : {"ipc://", "tcp://host", "tcp://host:0", "tcp://host:70000", "tcp://h:1?quality=0",
                            "tcp://h:1?encoding=png", "tcp://h:1?mode=push", "tcp://h:1?retries=-1"})
        EXPECT_EQ(io::parse_camera_url(bad).status().code(), StatusCode::kInvalidArgument) << bad;
}

TEST(CaptureMode, Parses) {
    auto m = io::parse_capture_mode("1280x720@30");
    ASSERT_TRUE(m.is_ok());
    EXPECT_EQ(m->width, 1280);
    EXPECT_EQ(m->height, 720);
    EXPECT_DOUBLE_EQ(m->fps, 30.0);
    EXPECT_DOUBLE_EQ(io::parse_capture_mode("@7.5")->fps, 7.5);
    EXPECT_EQ(io::parse_capture_mode("640x480")->fps, 0.0);
    for (const char* bad : {"", "640", "640x", "x480", "640x480@", "640x480@0", "640x480@fast", "-1x5"})
        EXPECT_EQ(io::parse_capture_mode(bad).status().code(), StatusCode::kInvalidArgument) << bad;
}

TEST(CaptureMode, AnIndexPicksAListedMode) {
    auto modes = io::list_capture_modes("pattern:64x48");
    ASSERT_TRUE(modes.is_ok()) << modes.status().to_string();
    ASSERT_EQ(modes->size(), 5u);
    EXPECT_EQ(modes->at(0).mode.width, 64);
    EXPECT_EQ(modes->at(0).mode.height, 48);
    auto picked = io::select_capture_mode("2", modes.value(), "pattern:64x48");
    ASSERT_TRUE(picked.is_ok()) << picked.status().to_string();
    EXPECT_EQ(picked->width, 640);
    EXPECT_EQ(picked->height, 480);
    EXPECT_DOUBLE_EQ(picked->fps, 30.0);

    // A V4L2-style list (as list_v4l2_modes builds it): the format travels with the mode; a range is
    // listed but cannot be picked by number.
    io::CaptureMode mjpg{1920, 1080, 30.0, "MJPG"};
    std::vector<io::ListedMode> fake{{"YUYV 640x480 @ 30,15", {640, 480, 30.0, "YUYV"}},
                                     {"MJPG 1920x1080 @ 30", mjpg},
                                     {"GREY 16x16 to 4096x4096", {}}};
    auto m = io::select_capture_mode("1", fake, "v4l2:0");
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    EXPECT_EQ(m->width, 1920);
    EXPECT_EQ(m->fourcc, "MJPG");
    auto range = io::select_capture_mode("2", fake, "v4l2:0");
    EXPECT_EQ(range.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(range.status().message().find("is a range"), std::string::npos) << range.status().message();
    auto past = io::select_capture_mode("3", fake, "v4l2:0");
    EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(past.status().message().find("modes 0..2"), std::string::npos) << past.status().message();
    EXPECT_NE(past.status().message().find("v4l2:0"), std::string::npos) << past.status().message();
    // Anything else is still WxH[@FPS].
    EXPECT_EQ(io::select_capture_mode("800x600@10", fake, "v4l2:0")->width, 800);
    EXPECT_EQ(io::select_capture_mode("8x", fake, "v4l2:0").status().code(), StatusCode::kInvalidArgument);
}

TEST(RateLimiter, HoldsTheRateWithinTenPercentOver50Frames) {
    io::RateLimiter limiter(100.0);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) limiter.wait();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double rate = 49 / seconds;  // 50 frames span 49 intervals
    EXPECT_NEAR(rate, 100.0, 10.0) << seconds << " s";

    io::RateLimiter unlimited(0);
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; ++i) unlimited.wait();
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.05);
}

}  // namespace
}  // namespace edgeinfer

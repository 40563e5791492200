// Recording: the pre-event ring, clip length from pre_seconds + duration_in_seconds, extension by
// later triggers, the max_duration_in_seconds cap (clips read back with cv::VideoCapture), and
// unwritable folders and full disks reported without a crash.
#include "pipeline/recorder.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'000'000'000'000;
constexpr int64_t kFrameUs = 100'000;  // 10 fps

// Frame i is a flat grey of level (i * 5) % 250, so a clip's first frame tells which frame it was.
cv::Mat synthetic(int i) { return cv::Mat(120, 160, CV_8UC3, cv::Scalar::all((i * 5) % 250)); }

struct ReadBack {
    int frames = 0;
    double fps = 0;
    cv::Size size;
    double first_level = -1;
};

ReadBack read_clip(const fs::path& path) {
    ReadBack r;
    cv::VideoCapture cap(path.string());
    EXPECT_TRUE(cap.isOpened()) << path;
    r.fps = cap.get(cv::CAP_PROP_FPS);
    cv::Mat f;
    while (cap.read(f)) {
        if (r.frames == 0) {
            r.size = f.size();
            r.first_level = cv::mean(f)[0];
        }
        ++r.frames;
    }
    return r;
}

class RecorderTest : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(testing::TempDir()) / ("pipeline_recorder_" + std::to_string(::getpid()) + "_" +
                                               testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    RecorderOptions options(double pre, double duration, double max) {
        RecorderOptions o;
        o.pre_seconds = pre;
        o.duration_in_seconds = duration;
        o.max_duration_in_seconds = max;
        o.directory = dir_ / "clips";
        o.min_free_bytes = 1 << 20;
        return o;
    }
    // Feeds frames 0..n-1, triggering at the frames listed.
    void feed(ClipRecorder& rec, int n, const std::vector<int>& triggers) {
        for (int i = 0; i < n; ++i) {
            const int64_t ts = kT0 + i * kFrameUs;
            EXPECT_TRUE(rec.push(synthetic(i), ts).is_ok()) << "frame " << i;
            if (std::find(triggers.begin(), triggers.end(), i) != triggers.end()) {
                auto path = rec.trigger(ts, "rule one");
                EXPECT_TRUE(path.is_ok()) << path.status().to_string();
            }
        }
        rec.finish();
    }
    fs::path dir_;
};

TEST(FrameRingTest, KeepsPreSecondsAndMeasuresFps) {
    FrameRing ring(1.0);
    for (int i = 0; i < 50; ++i) ring.push(synthetic(i), kT0 + i * kFrameUs);
    EXPECT_EQ(ring.frames().size(), 11u);  // 4.0 s .. 4.9 s: one second back from the newest, inclusive
    EXPECT_EQ(ring.frames().front().timestamp_us, kT0 + 39 * kFrameUs);
    EXPECT_NEAR(ring.measured_fps(), 10.0, 1e-9);
}

TEST_F(RecorderTest, ClipIsPreSecondsPlusDuration) {
    ClipRecorder rec(options(1.0, 2.0, 10.0), "cam/1");
    feed(rec, 100, {30});
    ASSERT_EQ(rec.clips().size(), 1u);
    const ClipInfo& clip = rec.clips()[0];
    ASSERT_TRUE(clip.status.is_ok()) << clip.status.to_string();
    EXPECT_EQ(clip.frames, 30);  // frames 20..49: 1 s before the trigger, 2 s after it
    EXPECT_EQ(clip.start_us, kT0 + 20 * kFrameUs);
    EXPECT_EQ(clip.end_us, kT0 + 49 * kFrameUs);
    EXPECT_NEAR(clip.fps, 10.0, 1e-6);  // measured from timestamps
    EXPECT_EQ(clip.path.parent_path(), dir_ / "clips");
    EXPECT_EQ(clip.path.filename().string().rfind("cam_1_rule_one_", 0), 0u);
    const ReadBack r = read_clip(clip.path);
    EXPECT_EQ(r.frames, 30);
    EXPECT_NEAR(r.fps, 10.0, 0.01);
    EXPECT_EQ(r.size, cv::Size(160, 120));
    EXPECT_NEAR(r.first_level, 100.0, 6.0);  // frame 20
    EXPECT_NEAR(r.frames / r.fps, 3.0, 0.01);
}

TEST_F(RecorderTest, LaterTriggersExtendTheClip) {
    ClipRecorder rec(options(1.0, 2.0, 10.0), "cam1");
    feed(rec, 100, {30, 40, 45});
    ASSERT_EQ(rec.clips().size(), 1u);
    EXPECT_EQ(rec.clips()[0].frames, 45);  // frames 20..64: until 2 s after the last trigger
    EXPECT_EQ(read_clip(rec.clips()[0].path).frames, 45);
}

TEST_F(RecorderTest, NeverLongerThanMaxDuration) {
    ClipRecorder rec(options(1.0, 2.0, 3.5), "cam1");
    std::vector<int> triggers;
    for (int i = 30; i < 90; i += 5) triggers.push_back(i);  // a rule that keeps firing
    feed(rec, 100, triggers);
    ASSERT_GE(rec.clips().size(), 2u);
    const ClipInfo& first = rec.clips()[0];
    EXPECT_EQ(first.frames, 35);  // frames 20..54: 3.5 s
    const ReadBack r = read_clip(first.path);
    EXPECT_EQ(r.frames, 35);
    EXPECT_LE(r.frames / r.fps, 3.5 + 1e-6);
    // The next clip starts where the first stopped: no frame is in two clips.
    EXPECT_EQ(rec.clips()[1].start_us, kT0 + 55 * kFrameUs);
    for (const auto& c : rec.clips()) EXPECT_LE(c.end_us - c.start_us, int64_t(3.5e6));
}

TEST_F(RecorderTest, UnwritableFolderIsReportedNotFatal) {
    fs::create_directories(dir_);
    std::ofstream(dir_ / "file") << "x";
    RecorderOptions o = options(1.0, 2.0, 10.0);
    o.directory = dir_ / "file" / "clips";  // a folder under a plain file cannot exist (even for root)
    ClipRecorder rec(o, "cam1");
    for (int i = 0; i < 40; ++i) {
        ASSERT_TRUE(rec.push(synthetic(i), kT0 + i * kFrameUs).is_ok());
        if (i == 30) {
            auto r = rec.trigger(kT0 + i * kFrameUs, "r");
            ASSERT_FALSE(r.is_ok());
            EXPECT_EQ(r.status().code(), StatusCode::kIoError);
            EXPECT_NE(r.status().message().find("cannot create recordings folder"), std::string::npos);
        }
    }
    EXPECT_FALSE(rec.recording());
    EXPECT_EQ(rec.errors(), 1u);
}

TEST_F(RecorderTest, FullDiskIsReportedNotFatal) {
    RecorderOptions o = options(1.0, 2.0, 10.0);
    o.min_free_bytes = ~0ull >> 1;  // more than any disk has free: the disk is "full"
    ClipRecorder rec(o, "cam1");
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(rec.push(synthetic(i), kT0 + i * kFrameUs).is_ok());
    auto r = rec.trigger(kT0 + 39 * kFrameUs, "r");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("disk full"), std::string::npos);
    EXPECT_FALSE(rec.recording());
}

}  // namespace
}  // namespace edgeinfer::pipeline

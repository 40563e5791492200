// pipeline recording: a ring of the last pre_seconds of frames, and ClipRecorder, which writes an
// MP4 clip (mp4v) from the ring onwards until duration_in_seconds after the last trigger, never
// longer than max_duration_in_seconds. Write failures and full disks are reported, never fatal.
// A clip is written under a temporary name (.partial-<pid>-<name>.mp4 in the same folder) and renamed
// to its name only once complete, so a clip's name never shows an unplayable file; what a killed
// process left behind is removed by remove_incomplete_clips() at the next start.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"

namespace cv {
class VideoWriter;
}

namespace edgeinfer::pipeline {

struct TimedFrame {
    cv::Mat image;
    int64_t timestamp_us = 0;
};

// Frames of the last `seconds` (by their timestamps); the newest is always kept.
class FrameRing {
  public:
    explicit FrameRing(double seconds) : span_us_(int64_t(seconds * 1e6)) {}
    void push(const cv::Mat& image, int64_t timestamp_us);  // keeps a reference, not a copy
    const std::deque<TimedFrame>& frames() const { return frames_; }
    // Frames per second measured over the ring; 0 with fewer than two frames.
    double measured_fps() const;

  private:
    int64_t span_us_;
    std::deque<TimedFrame> frames_;
};

struct RecorderOptions {
    double pre_seconds = 5.0;
    double duration_in_seconds = 10.0;
    double max_duration_in_seconds = 60.0;
    std::filesystem::path directory = "recordings";
    double fps = 0.0;                       // 0 = measured from frame timestamps (30 when unknown)
    uint64_t min_free_bytes = 64ull << 20;  // refuse to start (or stop) a clip below this much free space
};

struct ClipInfo {
    std::filesystem::path path;
    int64_t start_us = 0;  // timestamp of the first frame
    int64_t end_us = 0;    // timestamp of the last frame
    int frames = 0;
    double fps = 0.0;
    std::string rule_name;
    Status status;       // not OK when the clip was cut short (disk full, write error)
    bool saved = false;  // the file is at `path` (a clip cut short is kept when it is playable)
};

// The temporary name of a clip being written to `final_path`.
std::filesystem::path partial_clip_path(const std::filesystem::path& final_path);
// Removes the temporary clips in `dir` that no running process is writing (their writer's pid is gone):
// those of a process killed mid-recording. Returns the files removed.
std::vector<std::filesystem::path> remove_incomplete_clips(const std::filesystem::path& dir);

class ClipRecorder {
  public:
    ClipRecorder(RecorderOptions options, std::string source_id);
    ~ClipRecorder();
    ClipRecorder(const ClipRecorder&) = delete;
    ClipRecorder& operator=(const ClipRecorder&) = delete;

    // Every frame of the source, in timestamp order (before rules run on it). Writes it into the open
    // clip, or closes the clip when its time is up; an error closes the clip and is returned.
    Status push(const cv::Mat& image, int64_t timestamp_us);
    // A rule fired on the frame at `timestamp_us`: opens a clip with the ring's pre-event frames
    // (those not already in an earlier clip), or extends the open clip. Returns the clip's path.
    Result<std::filesystem::path> trigger(int64_t timestamp_us, const std::string& rule_name);
    // Closes the open clip (end of stream).
    void finish();

    bool recording() const { return writer_ != nullptr; }
    const std::vector<ClipInfo>& clips() const { return clips_; }  // closed clips
    uint64_t errors() const { return errors_; }

  private:
    Status write(const cv::Mat& image, int64_t timestamp_us);
    void close(Status status);
    Status check_space() const;

    RecorderOptions options_;
    std::string source_id_;
    FrameRing ring_;
    std::unique_ptr<cv::VideoWriter> writer_;
    ClipInfo current_;
    std::filesystem::path partial_;  // the open clip's temporary file
    cv::Size size_;
    int64_t end_us_ = 0;            // frames before this time belong to the open clip
    int64_t limit_us_ = 0;          // start + max duration
    int64_t last_written_us_ = -1;  // newest frame in any clip so far
    std::vector<ClipInfo> clips_;
    uint64_t errors_ = 0;
};

}  // namespace edgeinfer::pipeline

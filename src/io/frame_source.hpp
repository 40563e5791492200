// io::FrameSource: the one interface behind every source of frames, opened from a DATASPEC
// string (folder, image, video, camera, camera-server URL, synthetic pattern), and the rate
// limiter used by `-r/--rate`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/status.hpp"
#include "io/frame.hpp"

namespace edgeinfer::io {

class FrameSource {
  public:
    virtual ~FrameSource() = default;

    // The next frame, whose pixels now belong to the caller (a source never writes into a buffer
    // it returned); StatusCode::kEndOfStream when a finite source is exhausted,
    // StatusCode::kSourceLost when a camera or server vanished; other codes for bad input.
    virtual Result<io::Frame> next() = 0;

    // One line for humans: "folder photos/ (12 images)", "v4l2:0 (/dev/video0, 640x480 @ 30 fps)".
    virtual std::string describe() const = 0;

    // The rate frames would arrive at in real time (video files, synthetic pattern); 0 when
    // unknown or when next() already blocks at the source's own rate (cameras, servers).
    virtual double nominal_fps() const { return 0.0; }

    // Frames handed out so far that were decoded from cut-short data (a JPEG file or camera-server
    // payload with no end-of-image marker; each is also warned about through the logger).
    virtual uint64_t truncated_frames() const { return 0; }
};

// A capture mode: "1280x720", "1280x720@30" or "@15" (0 = leave as is).
struct CaptureMode {
    int width = 0;
    int height = 0;
    double fps = 0.0;
    std::string fourcc;  // V4L2 pixel format ("MJPG", "YUYV"), set when picked from a listed mode; "": as is
};
Result<CaptureMode> parse_capture_mode(std::string_view text);

// One entry of a source's mode list (`camera-server --list-modes`): a line for humans and the mode
// that `-m N` picks (width 0: a range, which -m WxH@FPS selects within).
struct ListedMode {
    std::string text;
    CaptureMode mode;
};

// The `-m` flag: a number N picks entry N of `modes` (numbered from 0 as --list-modes prints them),
// anything else is parse_capture_mode's WxH[@FPS]. kInvalidArgument naming `dataspec`, N and the count.
Result<CaptureMode> select_capture_mode(std::string_view text, const std::vector<ListedMode>& modes,
                                        std::string_view dataspec);

struct SourceOptions {
    bool recursive = false;  // folder: include sub-folders
    bool loop = false;       // video file: start again at the end instead of kEndOfStream
    CaptureMode mode;        // camera: requested mode; pattern and video: output size
    int64_t max_pixels = 0;  // image files, video, camera server: most pixels a frame may declare (0: 8K, 7680x4320)
};

// Opens a DATASPEC:
//   DIR                       images in a folder, sorted by path (unreadable files skipped with a warning)
//   FILE.jpg|png|bmp|...      one image
//   FILE.mp4|avi|mkv|...      a video file (OpenCV/FFmpeg)
//   /dev/videoN, v4l2:N       a V4L2 camera
//   tcp://HOST:PORT, ipc://PATH   an `edgeinfer camera-server` (query options: see camera_client.hpp)
//   pattern:WxH               a moving synthetic test pattern, deterministic per frame index
//   rtsp:// rtsps:// udp:// rtp:// srt:// http(s)://   a network stream (OpenCV/FFmpeg)
//   gst:PIPELINE              a GStreamer pipeline ending in appsink (OpenCV/GStreamer)
Result<std::unique_ptr<FrameSource>> open_source(std::string_view dataspec, const SourceOptions& options = {});

// The capture modes a source offers, in --list-modes order: a V4L2 camera's (format, size) pairs at
// their highest discrete rate, a pattern's own size then common sizes, a file's one size.
Result<std::vector<ListedMode>> list_capture_modes(std::string_view dataspec);

// Spaces calls to wait() at `rate_hz` per second (no limit when <= 0) without drifting: slot n
// is start + n/rate. When the caller falls more than one period behind, the schedule restarts
// instead of bursting to catch up.
class RateLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    explicit RateLimiter(double rate_hz = 0.0);

    // Blocks until the next slot.
    void wait();
    // Claims the next slot and returns when it starts (for callers that wait on their own).
    Clock::time_point next_slot();
    double rate() const { return rate_hz_; }

  private:
    double rate_hz_;
    Clock::time_point start_{};
    int64_t count_ = 0;
};

}  // namespace edgeinfer::io

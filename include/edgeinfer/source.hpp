// edgeinfer::FrameSource: frames from any DATASPEC the CLI takes (image folder, image, video file, V4L2
// camera, camera server tcp:// or ipc://, synthetic pattern), one at a time, with end of stream and a
// lost camera as their own status codes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/status.hpp"

namespace edgeinfer {

struct SourceOptions {
    bool recursive = false;  // folders: include sub-folders
    bool loop = false;       // video files: start again at the end instead of ending
    int width = 0;           // cameras: requested mode; pattern and video: output size (0: as the source gives)
    int height = 0;
    double fps = 0.0;   // cameras: requested frame rate (0: as the source gives)
    double rate = 0.0;  // at most this many frames per second handed out by next() (0: no limit)
    int64_t limit = 0;  // next() ends the stream after this many frames (0: no limit)
    // Most pixels one frame may declare (image headers, a video stream's size, camera-server replies),
    // checked before decoding: kResourceExhausted naming the source, the size and the limit.
    // 0: 7680x4320 (8K UHD, 33,177,600 pixels).
    int64_t max_pixels = 0;
};

class FrameSource {
  public:
    // DATASPEC: DIR | FILE.jpg|png|bmp|... | FILE.mp4|avi|mkv|... | /dev/videoN | v4l2:N |
    // tcp://HOST:PORT | ipc://PATH | pattern:WxH | rtsp:// udp:// rtp:// srt:// http(s):// URL (FFmpeg) |
    // gst:PIPELINE ending in appsink (GStreamer). Errors name the DATASPEC and what is wrong with it.
    static Result<std::unique_ptr<FrameSource>> open(const std::string& dataspec, const SourceOptions& options = {});
    ~FrameSource();
    FrameSource(const FrameSource&) = delete;
    FrameSource& operator=(const FrameSource&) = delete;

    // The next frame. StatusCode::kEndOfStream when the source (or the limit) is exhausted,
    // StatusCode::kSourceLost when a camera or server vanished; other codes for bad input.
    Result<Frame> next();
    // One line for humans: "folder photos/ (12 images)", "v4l2:0 (/dev/video0, 640x480 @ 30 fps)".
    std::string describe() const;
    // The rate frames would arrive at in real time (video files, pattern); 0 when unknown.
    double nominal_fps() const;
    // How many frames next() has handed out that were decoded from cut-short data (a JPEG file or
    // camera-server payload without its end-of-image marker); each is also logged as a warning.
    uint64_t truncated_frames() const;

    class Impl;

  private:
    explicit FrameSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgeinfer

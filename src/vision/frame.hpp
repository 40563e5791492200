// vision::Frame: one picture from a frame source (BGR8 pixels) with where and when it came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>

namespace edgeinfer::vision {

struct Frame {
    cv::Mat image;             // CV_8UC3, BGR order, continuous rows
    uint64_t seq = 0;          // position in its source: file index, video frame, camera-server sequence number
    int64_t timestamp_us = 0;  // capture time, microseconds since the Unix epoch
    std::string source_id;     // "photos/cat.jpg", "clip.mp4#12", "v4l2:0", "tcp://host:8089", "pattern:640x480"

    int width() const { return image.cols; }
    int height() const { return image.rows; }
};

// Wall-clock time in microseconds since the Unix epoch (the unit of Frame::timestamp_us).
inline int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace edgeinfer::vision

// io::Frame: one picture from a frame source (BGR8 pixels) with where and when it came from, and the
// conversions between OpenCV matrices and the public edgeinfer::Image / ImageView / Frame (no pixel copies).
#pragma once

#include <chrono>
#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/status.hpp"

namespace edgeinfer::io {

struct Frame {
    cv::Mat image;             // CV_8UC3, BGR order, continuous rows
    uint64_t seq = 0;          // position in its source: file index, video frame, camera-server sequence number
    int64_t timestamp_us = 0;  // capture time, microseconds since the Unix epoch
    std::string source_id;     // "photos/cat.jpg", "clip.mp4#12", "v4l2:0", "tcp://host:8089", "pattern:640x480"

    int width() const { return image.cols; }
    int height() const { return image.rows; }
};

// The frame as a printed line names it: source_id where that already names one frame (an image file,
// "clip.mp4#12"), else source_id#seq for live sources ("tcp://host:8089#412", "v4l2:0#7", "pattern:64x48#3").
std::string frame_label(const Frame& frame);

// Wall-clock time in microseconds since the Unix epoch (the unit of Frame::timestamp_us).
inline int64_t now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// An Image sharing `mat`'s pixels (the Mat's reference keeps them alive): CV_8UC3 is kBgr8, CV_8UC1
// kGray8, CV_8UC4 kBgra8; other types kUnsupported.
Result<Image> image_from_mat(const cv::Mat& mat);

// The public frame over `frame`'s pixels (no copy).
Result<edgeinfer::Frame> to_public_frame(const Frame& frame);

// Checks a caller's view (pixels present, sizes positive, stride at least a row); kInvalidArgument
// naming `what` ("image", "image 3 of the batch") and the field at fault.
Status check_view(const ImageView& view, const std::string& what);

// A Mat header over the view's pixels (no copy; valid while the caller's memory is), in the view's
// channel order. The view must pass check_view.
cv::Mat mat_from_view(const ImageView& view);

// The view as BGR8 (kBgr8 and kGray8/kBgra8 without a copy where OpenCV's preprocessing reads them
// directly, RGB orders converted); errors as check_view.
Result<cv::Mat> bgr_mat_from_view(const ImageView& view, const std::string& what);

// Writes `frame`'s image as DIR/frame_NNNNNN.png (NNNNNN: `index`, zero-padded) and returns the
// path; kIoError naming the path when it cannot be written.
Result<std::string> save_frame_png(const std::string& dir, int64_t index, const edgeinfer::Frame& frame);

// A microsecond timestamp as seconds with six decimals: 1700000000123456 -> "1700000000.123456".
std::string format_timestamp_us(int64_t us);

}  // namespace edgeinfer::io

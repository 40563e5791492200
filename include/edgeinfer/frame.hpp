// edgeinfer::Image and edgeinfer::Frame: 8-bit pixels (owned and shared, or a view of caller memory)
// and one picture from a frame source with where and when it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "edgeinfer/status.hpp"

namespace edgeinfer {

// Interleaved 8-bit pixels. kBgr8 is what OpenCV gives and what frame sources produce.
enum class PixelFormat { kBgr8, kRgb8, kGray8, kBgra8, kRgba8 };
std::string_view to_string(PixelFormat f);                      // "bgr8", "rgb8", "gray8", "bgra8", "rgba8"
Result<PixelFormat> parse_pixel_format(std::string_view name);  // kInvalidArgument naming the choices
int channels_of(PixelFormat f);                                 // 3, 3, 1, 4, 4

// Pixels the caller owns (no copy is made); rows are `stride` bytes apart (0: width * channels).
struct ImageView {
    const uint8_t* data = nullptr;
    int width = 0;
    int height = 0;
    PixelFormat format = PixelFormat::kBgr8;
    size_t stride = 0;
};

// Owned pixels, shared on copy (like Tensor); clone() for a deep copy.
class Image {
  public:
    Image() = default;
    // Zero-filled pixels, rows packed (stride = width * channels).
    static Image allocate(int width, int height, PixelFormat format);
    // A packed copy of `view`.
    static Image copy_of(const ImageView& view);
    // Decodes an image file (JPEG, PNG, BMP, ...) to kBgr8; kNotFound / kInvalidArgument naming the file.
    // An image of more than max_pixels (0: 7680x4320, 8K UHD) is kResourceExhausted naming the file, its
    // size and the limit, checked from a JPEG/PNG/BMP header before decoding (other formats after).
    static Result<Image> read(const std::string& path, int64_t max_pixels = 0);

    bool empty() const { return data_ == nullptr; }
    int width() const { return width_; }
    int height() const { return height_; }
    PixelFormat format() const { return format_; }
    size_t stride() const { return stride_; }
    uint8_t* data() { return data_; }
    const uint8_t* data() const { return data_; }
    ImageView view() const { return {data_, width_, height_, format_, stride_}; }
    Image clone() const;

    // Internal: wraps memory kept alive by `holder` (frame sources hand out decoded pixels this way).
    static Image wrap_shared(std::shared_ptr<void> holder, uint8_t* data, int width, int height, PixelFormat format,
                             size_t stride);

  private:
    std::shared_ptr<void> holder_;
    uint8_t* data_ = nullptr;
    int width_ = 0, height_ = 0;
    PixelFormat format_ = PixelFormat::kBgr8;
    size_t stride_ = 0;
};

struct Frame {
    Image image;               // kBgr8
    uint64_t seq = 0;          // position in its source: file index, video frame, camera-server sequence number
    int64_t timestamp_us = 0;  // capture time, microseconds since the Unix epoch
    std::string source_id;     // "photos/cat.jpg", "clip.mp4#12", "v4l2:0", "tcp://host:8089", "pattern:640x480"
};

}  // namespace edgeinfer

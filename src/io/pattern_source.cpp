// The synthetic test pattern: a moving picture computed from the frame index alone, so tests
// anywhere (a server, a client, a saved file) can recompute and check every pixel.
#include <string>

#include "base/status.hpp"
#include "io/sources.hpp"

namespace edgeinfer::io {
namespace {

class PatternSource final : public FrameSource {
  public:
    PatternSource(int width, int height)
        : width_(width), height_(height), id_("pattern:" + std::to_string(width) + "x" + std::to_string(height)) {}

    Result<io::Frame> next() override {
        io::Frame frame;
        render_pattern(frame.image, width_, height_, index_);
        frame.seq = index_++;
        frame.timestamp_us = io::now_us();
        frame.source_id = id_;
        return frame;
    }

    std::string describe() const override { return id_ + " (synthetic test pattern)"; }
    double nominal_fps() const override { return kPatternFps; }

  private:
    int width_;
    int height_;
    std::string id_;
    uint64_t index_ = 0;
};

uint8_t checker_red(int x, int y, uint64_t index) {
    return ((static_cast<uint64_t>(x / 32 + y / 32) + index / 15) & 1) ? 224 : 32;
}

}  // namespace

cv::Vec3b pattern_pixel(int x, int y, uint64_t index) {
    return cv::Vec3b(static_cast<uint8_t>((x + 3 * index) & 0xff), static_cast<uint8_t>((y + 2 * index) & 0xff),
                     checker_red(x, y, index));
}

void render_pattern(cv::Mat& out, int width, int height, uint64_t index) {
    out.create(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y) {
        auto* row = out.ptr<cv::Vec3b>(y);
        const auto green = static_cast<uint8_t>((y + 2 * index) & 0xff);
        for (int x = 0; x < width; ++x)
            row[x] = cv::Vec3b(static_cast<uint8_t>((x + 3 * index) & 0xff), green, checker_red(x, y, index));
    }
}

Result<std::unique_ptr<FrameSource>> open_pattern_source(int width, int height) {
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
        return invalid_argument("pattern size " + std::to_string(width) + "x" + std::to_string(height) +
                                " is outside 1x1..16384x16384");
    return std::unique_ptr<FrameSource>(std::make_unique<PatternSource>(width, height));
}

}  // namespace edgeinfer::io

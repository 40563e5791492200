// The concrete frame sources behind io::open_source, and the synthetic pattern's pixel formula
// (public to the project so tests can check pixels frame by frame).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "io/frame_source.hpp"

namespace edgeinfer::io {

// Files (file_sources.cpp).
Result<std::unique_ptr<FrameSource>> open_folder_source(const std::filesystem::path& dir, const SourceOptions& options);
Result<std::unique_ptr<FrameSource>> open_image_source(const std::filesystem::path& file, int64_t max_pixels = 0);
Result<std::unique_ptr<FrameSource>> open_video_source(const std::filesystem::path& file, const SourceOptions& options);
bool has_image_extension(const std::filesystem::path& file);
bool has_video_extension(const std::filesystem::path& file);
// Reads and decodes one image file to BGR8; messages name the file and say what is wrong. A JPEG, PNG
// or BMP header declaring more than max_pixels (0: 8K) is kResourceExhausted before decoding; other
// formats are checked after decoding. A JPEG cut short (no end-of-image marker) still decodes (with
// missing rows): it is warned about through the logger and reported in *truncated.
Result<cv::Mat> read_image_file(const std::filesystem::path& file, int64_t max_pixels = 0, bool* truncated = nullptr);

// V4L2 cameras (v4l2_source.cpp).
Result<std::unique_ptr<FrameSource>> open_v4l2_source(int index, const SourceOptions& options);
Result<std::vector<ListedMode>> list_v4l2_modes(int index);

// Synthetic pattern (pattern_source.cpp). Frame `index` at pixel (x, y), in B, G, R order:
//   B = (x + 3*index) mod 256, G = (y + 2*index) mod 256,
//   R = 224 on the checkerboard squares ((x/32 + y/32 + index/15) odd), 32 elsewhere.
// The gradients scroll a few pixels per frame; the checkerboard blinks twice a second at 30 fps.
cv::Vec3b pattern_pixel(int x, int y, uint64_t index);
void render_pattern(cv::Mat& out, int width, int height, uint64_t index);
inline constexpr double kPatternFps = 30.0;
Result<std::unique_ptr<FrameSource>> open_pattern_source(int width, int height);

}  // namespace edgeinfer::io

// Image dimensions read from a JPEG, PNG or BMP header without decoding (so a small file cannot make
// the decoder allocate a huge image), the pixel limit every decoder path checks, and the truncated-JPEG
// test (no end-of-image marker after the last scan). These read untrusted bytes and are fuzzed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "edgeinfer/status.hpp"

namespace edgeinfer::io {

// 8K UHD (7680x4320 = 33,177,600 pixels, about 100 MB as BGR8): the default most pixels one frame may have.
inline constexpr int64_t kDefaultMaxPixels = int64_t{7680} * 4320;

struct ImageDimensions {
    int64_t width = 0;
    int64_t height = 0;
    const char* format = "";  // "JPEG", "PNG", "BMP"
};

// The declared width and height of a JPEG (first SOF marker), PNG (IHDR) or BMP (info header);
// nullopt when the bytes are none of these or the header is cut short.
std::optional<ImageDimensions> image_dimensions(const uint8_t* data, size_t size);

// kResourceExhausted naming `what` ("image 'a.jpg'"), the declared size and the limit when
// width * height exceeds max_pixels (<= 0: kDefaultMaxPixels).
Status check_pixel_limit(const std::string& what, int64_t width, int64_t height, int64_t max_pixels);

// The header's dimensions checked against the limit before decoding; ok when the format is not
// one whose header is read here (the decoded size is then checked after decoding).
Status check_image_bytes(const std::string& what, const uint8_t* data, size_t size, int64_t max_pixels);

// True for a JPEG (starts with SOI) with no end-of-image marker after its last start-of-scan:
// the file or payload was cut short and decodes with gray or missing rows.
bool jpeg_truncated(const uint8_t* data, size_t size);

}  // namespace edgeinfer::io

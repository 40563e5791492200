// Header-only image dimensions (JPEG SOF, PNG IHDR, BMP info header), the pixel limit and the
// truncated-JPEG test.
#include "io/image_header.hpp"

namespace edgeinfer::io {
namespace {

uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
uint32_t le16(const uint8_t* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t le32(const uint8_t* p) { return (le16(p + 2) << 16) | le16(p); }

std::optional<ImageDimensions> jpeg_dimensions(const uint8_t* p, size_t n) {
    size_t i = 2;
    while (i + 4 <= n) {
        if (p[i] != 0xFF) return std::nullopt;
        const uint8_t marker = p[i + 1];
        if (marker == 0xFF) {  // fill byte
            ++i;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {  // markers without a length
            i += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // end of image or a scan before any frame header
        const size_t length = be16(p + i + 2);
        if (length < 2 || length > n - i - 2) return std::nullopt;
        const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (length < 7) return std::nullopt;
            return ImageDimensions{be16(p + i + 7), be16(p + i + 5), "JPEG"};
        }
        i += 2 + length;
    }
    return std::nullopt;
}

std::optional<ImageDimensions> png_dimensions(const uint8_t* p, size_t n) {
    // signature (8), chunk length (4), "IHDR", width (4), height (4)
    static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (n < 24) return std::nullopt;
    for (int k = 0; k < 8; ++k)
        if (p[k] != kSignature[k]) return std::nullopt;
    if (p[12] != 'I' || p[13] != 'H' || p[14] != 'D' || p[15] != 'R') return std::nullopt;
    return ImageDimensions{be32(p + 16), be32(p + 20), "PNG"};
}

std::optional<ImageDimensions> bmp_dimensions(const uint8_t* p, size_t n) {
    if (n < 26 || p[0] != 'B' || p[1] != 'M') return std::nullopt;
    const uint32_t header_size = le32(p + 14);
    if (header_size == 12)  // OS/2 BITMAPCOREHEADER: 16-bit sizes
        return ImageDimensions{le16(p + 18), le16(p + 20), "BMP"};
    const int64_t width = static_cast<int32_t>(le32(p + 18));
    const int64_t height = static_cast<int32_t>(le32(p + 22));  // negative: rows top-down
    return ImageDimensions{width < 0 ? -width : width, height < 0 ? -height : height, "BMP"};
}

}  // namespace

std::optional<ImageDimensions> image_dimensions(const uint8_t* data, size_t size) {
    if (data == nullptr || size < 4) return std::nullopt;
    if (data[0] == 0xFF && data[1] == 0xD8) return jpeg_dimensions(data, size);
    if (data[0] == 0x89 && data[1] == 'P') return png_dimensions(data, size);
    if (data[0] == 'B' && data[1] == 'M') return bmp_dimensions(data, size);
    return std::nullopt;
}

Status check_pixel_limit(const std::string& what, int64_t width, int64_t height, int64_t max_pixels) {
    if (max_pixels <= 0) max_pixels = kDefaultMaxPixels;
    if (width < 0 || height < 0 || (height > 0 && width > max_pixels / height)) {
        // Header fields are below 2^32 each, so the product fits in an unsigned 64-bit count.
        const uint64_t pixels = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
        return resource_exhausted(what + " declares " + std::to_string(width) + "x" + std::to_string(height) + " = " +
                                  std::to_string(pixels) + " pixels, more than the limit of " +
                                  std::to_string(max_pixels) + " (max_pixels; the default is 8K, 7680x4320)");
    }
    return Status::ok();
}

Status check_image_bytes(const std::string& what, const uint8_t* data, size_t size, int64_t max_pixels) {
    std::optional<ImageDimensions> d = image_dimensions(data, size);
    if (!d) return Status::ok();
    return check_pixel_limit(what + " (" + d->format + ")", d->width, d->height, max_pixels);
}

bool jpeg_truncated(const uint8_t* data, size_t size) {
    if (data == nullptr || size < 4 || data[0] != 0xFF || data[1] != 0xD8) return false;
    // Entropy-coded data stuffs every 0xFF with 0x00, so FF D9 (EOI) and FF DA (SOS) are markers
    // wherever they appear; whichever comes last decides.
    for (size_t i = size - 1; i >= 2; --i) {
        if (data[i - 1] != 0xFF) continue;
        if (data[i] == 0xD9) return false;
        if (data[i] == 0xDA) return true;
    }
    return true;
}

}  // namespace edgeinfer::io

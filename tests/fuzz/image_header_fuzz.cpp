// libFuzzer target: arbitrary bytes as an image header (JPEG SOF, PNG IHDR, BMP info header) and as a
// possibly truncated JPEG: dimensions or none, never a read past the end or a crash.
#include <cstddef>
#include <cstdint>

#include "io/image_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto d = edgeinfer::io::image_dimensions(data, size);
    if (d) (void)edgeinfer::io::check_pixel_limit("fuzz", d->width, d->height, 0);
    (void)edgeinfer::io::check_image_bytes("fuzz", data, size, 1 + (size % 4096));
    (void)edgeinfer::io::jpeg_truncated(data, size);
    return 0;
}

// libFuzzer target: arbitrary bytes as a camera-server request, reply header and payload must
// give a Status, never a crash. The first byte picks the payload's claimed encoding and size.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/camera_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)edgeinfer::io::decode_request(bytes);
    auto header = edgeinfer::io::decode_reply_header(bytes);
    if (header.is_ok() && header.value().ok) (void)edgeinfer::io::decode_payload(header.value(), data, size);
    if (size > 0) {
        // The bytes as a payload under a header that matches their size.
        edgeinfer::io::ReplyHeader h;
        h.encoding = (data[0] & 1) ? edgeinfer::io::Encoding::kJpeg : edgeinfer::io::Encoding::kBgr;
        h.width = 1 + (data[0] >> 1) % 64;
        h.height = h.encoding == edgeinfer::io::Encoding::kBgr ? 1 : 1 + data[size - 1] % 64;
        h.size = size;
        if (h.encoding == edgeinfer::io::Encoding::kBgr && size % 3 == 0) h.width = static_cast<int>(size / 3);
        (void)edgeinfer::io::decode_payload(h, data, size);
    }
    return 0;
}

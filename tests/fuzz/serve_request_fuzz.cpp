// libFuzzer target: arbitrary bytes as a v2 infer request body, with and without an
// Inference-Header-Content-Length taken from the first bytes: a request or a clear error, never a crash, a
// read past the end or an allocation the body cannot back; a parsed request encodes back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "serve/codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto plain = edgeinfer::serve::parse_infer_request(body, std::nullopt);
    if (plain.is_ok()) (void)edgeinfer::serve::encode_infer_response("m", "1", plain.value(), plain->inputs);
    if (size >= 2) {
        size_t header_length = (static_cast<size_t>(data[0]) << 8 | data[1]) % (size - 1);
        auto split = edgeinfer::serve::parse_infer_request(body.substr(2), header_length);
        if (split.is_ok()) (void)edgeinfer::serve::encode_infer_response("m", "1", split.value(), split->inputs);
    }
    return 0;
}

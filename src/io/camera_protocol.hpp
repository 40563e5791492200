// The camera-server wire protocol (docs/camera-protocol.md): the JSON request, the JSON reply
// header, and the pixel payload, each validated where it is decoded (these decoders are fuzzed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/status.hpp"

namespace edgeinfer::io {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxRequestBytes = 4096;  // a longer request is answered with bad_request
inline constexpr size_t kMaxReplyHeaderBytes = 65536;
inline constexpr int kMaxFrameDimension = 16384;
inline constexpr size_t kMaxPayloadBytes = size_t{256} << 20;
// The client's ZMQ_MAXMSGSIZE: one reply part (header or payload) larger than this drops the connection.
inline constexpr size_t kMaxReplyPartBytes = kMaxPayloadBytes + kMaxReplyHeaderBytes;
inline constexpr int kMaxWaitMs = 10000;

enum class Encoding { kBgr, kJpeg };
std::string_view encoding_name(Encoding encoding);  // "bgr", "jpeg"
// kUnsupported for a name that is not an encoding.
Result<Encoding> parse_encoding(std::string_view name);

struct FrameRequest {
    Encoding encoding = Encoding::kBgr;
    int quality = 90;               // JPEG quality, 1..100
    std::optional<uint64_t> after;  // answer with a frame whose seq differs from this one (a newer one)
    int wait_ms = 1000;             // how long the server may hold the request for such a frame, 0..10000
};

// Compact JSON: {"encoding":"jpeg","quality":80,"after":41,"wait_ms":1000} (defaults omitted).
std::string encode_request(const FrameRequest& request);
// Empty bytes are the default request. kInvalidArgument for malformed requests,
// kUnsupported for an unknown encoding; the message says what is wrong.
Result<FrameRequest> decode_request(std::string_view bytes);

// Error codes a server puts in the reply header's "error" field.
inline constexpr std::string_view kErrorBadRequest = "bad_request";
inline constexpr std::string_view kErrorUnsupportedEncoding = "unsupported_encoding";
inline constexpr std::string_view kErrorSourceLost = "source_lost";
inline constexpr std::string_view kErrorTimeout = "timeout";
inline constexpr std::string_view kErrorBusy = "busy";

struct ReplyHeader {
    bool ok = true;
    // When ok: the frame.
    int width = 0;
    int height = 0;
    int channels = 3;
    Encoding encoding = Encoding::kBgr;
    int quality = 0;           // JPEG only
    uint64_t seq = 0;          // the server's capture counter: +1 per captured frame, gaps are drops
    int64_t timestamp_us = 0;  // capture time, microseconds since the Unix epoch
    uint64_t size = 0;         // payload bytes
    std::string source;        // what the server captures from
    // When !ok: an error code (kError*) and a message for humans; seq is the last good frame's.
    std::string error;
    std::string message;
};

std::string encode_reply_header(const ReplyHeader& header);
// kIoError naming the bad field for anything that is not a valid version-1 header.
Result<ReplyHeader> decode_reply_header(std::string_view bytes);

// Encodes a BGR8 image as a payload (JPEG through OpenCV; raw BGR: the rows, packed).
Result<std::vector<uint8_t>> encode_payload(const cv::Mat& bgr, Encoding encoding, int quality);
// Decodes a payload described by an ok header into a BGR8 image, checking size and dimensions; a frame
// over max_pixels (<= 0: io::kDefaultMaxPixels, 8K) is kResourceExhausted before anything is decoded,
// whether the header or the JPEG's own frame header declares it.
Result<cv::Mat> decode_payload(const ReplyHeader& header, const void* data, size_t size, int64_t max_pixels = 0);

}  // namespace edgeinfer::io

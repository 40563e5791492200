// Encoding and validated decoding of camera-server requests, reply headers and payloads.
#include "io/camera_protocol.hpp"

#include <cstring>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "base/status.hpp"
#include "io/image_header.hpp"

namespace edgeinfer::io {
namespace {

using Json = nlohmann::json;

Status bad_request(std::string message) { return invalid_argument("bad request: " + std::move(message)); }
Status bad_reply(std::string message) { return io_error("bad reply header: " + std::move(message)); }

Result<int64_t> get_int(const Json& j, const char* key, int64_t lo, int64_t hi, bool request) {
    const Json& v = j.at(key);
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) ||
        v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
        std::string m = std::string("\"") + key + "\" must be an integer in [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "], got " + v.dump();
        return request ? bad_request(std::move(m)) : bad_reply(std::move(m));
    }
    return v.get<int64_t>();
}

Result<uint64_t> get_uint(const Json& j, const char* key, bool request) {
    const Json& v = j.at(key);
    if (!v.is_number_unsigned()) {
        std::string m = std::string("\"") + key + "\" must be a non-negative integer, got " + v.dump();
        return request ? bad_request(std::move(m)) : bad_reply(std::move(m));
    }
    return v.get<uint64_t>();
}

// Parses JSON as nlohmann does, and names the first key that appears twice in one object (nlohmann
// keeps the last silently, so {"encoding":"bgr","encoding":"jpeg"} would mean whatever the parser chose).
Json parse_json(std::string_view bytes, std::string& duplicate) {
    std::vector<std::set<std::string>> keys;  // one set per open object
    auto callback = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::object_start) {
            keys.emplace_back();
        } else if (event == Json::parse_event_t::object_end) {
            if (!keys.empty()) keys.pop_back();
        } else if (event == Json::parse_event_t::key && !keys.empty() && duplicate.empty() && parsed.is_string()) {
            if (!keys.back().insert(parsed.get<std::string>()).second) duplicate = parsed.get<std::string>();
        }
        return true;
    };
    return Json::parse(bytes.begin(), bytes.end(), callback, /*allow_exceptions=*/false);
}

Result<std::string> get_string(const Json& j, const char* key) {
    const Json& v = j.at(key);
    if (!v.is_string()) return bad_reply(std::string("\"") + key + "\" must be a string, got " + v.dump());
    return v.get<std::string>();
}

}  // namespace

std::string_view encoding_name(Encoding encoding) { return encoding == Encoding::kJpeg ? "jpeg" : "bgr"; }

Result<Encoding> parse_encoding(std::string_view name) {
    if (name == "bgr" || name == "raw") return Encoding::kBgr;
    if (name == "jpeg" || name == "jpg") return Encoding::kJpeg;
    std::string shown(name.substr(0, 64));
    return unsupported("unknown encoding '" + shown + "' (expected \"bgr\" or \"jpeg\")");
}

std::string encode_request(const FrameRequest& request) {
    nlohmann::ordered_json j;
    j["encoding"] = std::string(encoding_name(request.encoding));
    if (request.encoding == Encoding::kJpeg) j["quality"] = request.quality;
    if (request.after) j["after"] = *request.after;
    if (request.after || request.wait_ms != FrameRequest{}.wait_ms) j["wait_ms"] = request.wait_ms;
    return j.dump();
}

Result<FrameRequest> decode_request(std::string_view bytes) {
    FrameRequest request;
    if (bytes.size() > kMaxRequestBytes)
        return bad_request("request of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                           std::to_string(kMaxRequestBytes));
    if (bytes.empty()) return request;
    std::string duplicate;
    Json j = parse_json(bytes, duplicate);
    if (j.is_discarded())
        return bad_request("not JSON (expected an object like {\"encoding\":\"jpeg\",\"quality\":80})");
    if (!duplicate.empty()) return bad_request("field \"" + duplicate.substr(0, 64) + "\" appears more than once");
    if (!j.is_object()) return bad_request("expected a JSON object, got " + std::string(j.type_name()));
    for (const auto& [key, value] : j.items()) {
        if (key == "version") {
            EDGEINFER_ASSIGN_OR_RETURN(int64_t v, get_int(j, "version", 0, 1000000, true));
            if (v != kProtocolVersion)
                return bad_request("protocol version " + std::to_string(v) + " is not spoken here (server speaks " +
                                   std::to_string(kProtocolVersion) + ")");
        } else if (key == "encoding") {
            if (!value.is_string()) return bad_request("\"encoding\" must be a string, got " + value.dump());
            EDGEINFER_ASSIGN_OR_RETURN(request.encoding, parse_encoding(value.get<std::string>()));
        } else if (key == "quality") {
            EDGEINFER_ASSIGN_OR_RETURN(int64_t q, get_int(j, "quality", 1, 100, true));
            request.quality = static_cast<int>(q);
        } else if (key == "after") {
            EDGEINFER_ASSIGN_OR_RETURN(request.after, get_uint(j, "after", true));
        } else if (key == "wait_ms") {
            EDGEINFER_ASSIGN_OR_RETURN(int64_t w, get_int(j, "wait_ms", 0, kMaxWaitMs, true));
            request.wait_ms = static_cast<int>(w);
        } else {
            return bad_request("unknown field \"" + key.substr(0, 64) +
                               "\" (known: encoding, quality, after, wait_ms, version)");
        }
    }
    return request;
}

std::string encode_reply_header(const ReplyHeader& h) {
    nlohmann::ordered_json j;
    j["version"] = kProtocolVersion;
    j["status"] = h.ok ? "ok" : "error";
    if (h.ok) {
        j["width"] = h.width;
        j["height"] = h.height;
        j["channels"] = h.channels;
        j["encoding"] = std::string(encoding_name(h.encoding));
        if (h.encoding == Encoding::kJpeg) j["quality"] = h.quality;
        j["seq"] = h.seq;
        j["timestamp_us"] = h.timestamp_us;
        j["size"] = h.size;
        j["source"] = h.source;
    } else {
        j["error"] = h.error;
        j["message"] = h.message;
        j["seq"] = h.seq;
    }
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<ReplyHeader> decode_reply_header(std::string_view bytes) {
    if (bytes.size() > kMaxReplyHeaderBytes)
        return bad_reply(std::to_string(bytes.size()) + " bytes, more than the limit of " +
                         std::to_string(kMaxReplyHeaderBytes));
    std::string duplicate;
    Json j = parse_json(bytes, duplicate);
    if (j.is_discarded() || !j.is_object()) return bad_reply("not a JSON object");
    if (!duplicate.empty()) return bad_reply("field \"" + duplicate.substr(0, 64) + "\" appears more than once");
    for (const char* key : {"version", "status"})
        if (!j.contains(key)) return bad_reply(std::string("missing \"") + key + "\"");
    EDGEINFER_ASSIGN_OR_RETURN(int64_t version, get_int(j, "version", 0, 1000000, false));
    if (version != kProtocolVersion)
        return bad_reply("protocol version " + std::to_string(version) + " (this client speaks " +
                         std::to_string(kProtocolVersion) + ")");
    EDGEINFER_ASSIGN_OR_RETURN(std::string status, get_string(j, "status"));
    ReplyHeader h;
    if (status == "error") {
        h.ok = false;
        if (!j.contains("error")) return bad_reply("missing \"error\"");
        EDGEINFER_ASSIGN_OR_RETURN(h.error, get_string(j, "error"));
        if (j.contains("message")) {
            EDGEINFER_ASSIGN_OR_RETURN(h.message, get_string(j, "message"));
        }
        if (j.contains("seq")) {
            EDGEINFER_ASSIGN_OR_RETURN(h.seq, get_uint(j, "seq", false));
        }
        return h;
    }
    if (status != "ok")
        return bad_reply("\"status\" must be \"ok\" or \"error\", got \"" + status.substr(0, 64) + "\"");
    for (const char* key : {"width", "height", "channels", "encoding", "seq", "timestamp_us", "size"})
        if (!j.contains(key)) return bad_reply(std::string("missing \"") + key + "\"");
    EDGEINFER_ASSIGN_OR_RETURN(int64_t width, get_int(j, "width", 1, kMaxFrameDimension, false));
    EDGEINFER_ASSIGN_OR_RETURN(int64_t height, get_int(j, "height", 1, kMaxFrameDimension, false));
    EDGEINFER_ASSIGN_OR_RETURN(int64_t channels, get_int(j, "channels", 3, 3, false));
    EDGEINFER_ASSIGN_OR_RETURN(std::string encoding, get_string(j, "encoding"));
    Result<Encoding> parsed = parse_encoding(encoding);
    if (!parsed.is_ok()) return bad_reply(parsed.status().message());
    h.width = static_cast<int>(width);
    h.height = static_cast<int>(height);
    h.channels = static_cast<int>(channels);
    h.encoding = parsed.value();
    if (j.contains("quality")) {
        EDGEINFER_ASSIGN_OR_RETURN(int64_t q, get_int(j, "quality", 0, 100, false));
        h.quality = static_cast<int>(q);
    }
    EDGEINFER_ASSIGN_OR_RETURN(h.seq, get_uint(j, "seq", false));
    EDGEINFER_ASSIGN_OR_RETURN(h.timestamp_us, get_int(j, "timestamp_us", INT64_MIN, INT64_MAX, false));
    EDGEINFER_ASSIGN_OR_RETURN(h.size, get_uint(j, "size", false));
    if (h.size > kMaxPayloadBytes)
        return bad_reply("\"size\" " + std::to_string(h.size) + " exceeds the payload limit");
    if (h.encoding == Encoding::kBgr && h.size != static_cast<uint64_t>(width * height * channels))
        return bad_reply("\"size\" " + std::to_string(h.size) + " does not match " + std::to_string(width) + "x" +
                         std::to_string(height) + "x3 raw BGR");
    if (j.contains("source")) {
        EDGEINFER_ASSIGN_OR_RETURN(h.source, get_string(j, "source"));
    }
    return h;
}

Result<std::vector<uint8_t>> encode_payload(const cv::Mat& bgr, Encoding encoding, int quality) {
    if (bgr.type() != CV_8UC3 || bgr.empty())
        return invalid_argument("encode_payload: expected a non-empty BGR8 image");
    std::vector<uint8_t> out;
    if (encoding == Encoding::kBgr) {
        out.resize(bgr.total() * 3);
        const size_t row = static_cast<size_t>(bgr.cols) * 3;
        for (int y = 0; y < bgr.rows; ++y) std::memcpy(out.data() + row * y, bgr.ptr(y), row);
        return out;
    }
    try {
        if (!cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, quality}))
            return internal_error("JPEG encoding failed");
    } catch (const cv::Exception& e) {
        return internal_error(std::string("JPEG encoding failed: ") + e.what());
    }
    return out;
}

Result<cv::Mat> decode_payload(const ReplyHeader& header, const void* data, size_t size, int64_t max_pixels) {
    if (!header.ok) return invalid_argument("decode_payload: the header reports an error, there is no frame");
    if (size != header.size)
        return io_error("bad payload: " + std::to_string(size) + " bytes, the header says " +
                        std::to_string(header.size));
    const auto* bytes = static_cast<const uint8_t*>(data);
    EDGEINFER_RETURN_IF_ERROR(check_pixel_limit("frame", header.width, header.height, max_pixels));
    if (header.encoding == Encoding::kBgr) {
        if (size != static_cast<size_t>(header.width) * header.height * 3)
            return io_error("bad payload: " + std::to_string(size) + " bytes for a " + std::to_string(header.width) +
                            "x" + std::to_string(header.height) + " BGR frame");
        cv::Mat image(header.height, header.width, CV_8UC3);
        std::memcpy(image.data, bytes, size);
        return image;
    }
    std::optional<ImageDimensions> jpeg = image_dimensions(bytes, size);
    if (!jpeg || std::string_view(jpeg->format) != "JPEG") return io_error("bad payload: not a JPEG image");
    EDGEINFER_RETURN_IF_ERROR(check_pixel_limit("JPEG payload", jpeg->width, jpeg->height, max_pixels));
    const int64_t width = jpeg->width, height = jpeg->height;
    if (width != header.width || height != header.height)
        return io_error("bad payload: JPEG of " + std::to_string(width) + "x" + std::to_string(height) +
                        ", the header says " + std::to_string(header.width) + "x" + std::to_string(header.height));
    cv::Mat image;
    try {
        image =
            cv::imdecode(cv::Mat(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(bytes)), cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        return io_error(std::string("bad payload: JPEG does not decode: ") + e.what());
    }
    if (image.empty() || image.cols != header.width || image.rows != header.height)
        return io_error("bad payload: JPEG does not decode to a " + std::to_string(header.width) + "x" +
                        std::to_string(header.height) + " image");
    return image;
}

}  // namespace edgeinfer::io

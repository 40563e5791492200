// Status formatting and the EDGEINFER_CHECK failure handler.
#include "base/status.hpp"

namespace edgeinfer {

std::string_view status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::kOk:
            return "OK";
        case StatusCode::kInvalidArgument:
            return "InvalidArgument";
        case StatusCode::kNotFound:
            return "NotFound";
        case StatusCode::kInvalidModel:
            return "InvalidModel";
        case StatusCode::kUnsupported:
            return "Unsupported";
        case StatusCode::kIoError:
            return "IoError";
        case StatusCode::kOutOfRange:
            return "OutOfRange";
        case StatusCode::kInternal:
            return "Internal";
        case StatusCode::kEndOfStream:
            return "EndOfStream";
        case StatusCode::kSourceLost:
            return "SourceLost";
        case StatusCode::kCancelled:
            return "Cancelled";
        case StatusCode::kResourceExhausted:
            return "ResourceExhausted";
    }
    return "Unknown";
}

std::string Status::to_string() const {
    if (is_ok()) return "OK";
    return std::string(status_code_name(code_)) + ": " + message_;
}

Status Status::with_context(std::string_view context) const {
    if (is_ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
}

namespace base {

void check_failed(const char* file, int line, const char* expr, const char* message) {
    std::fprintf(stderr, "edgeinfer internal error at %s:%d: check `%s` failed: %s\n", file, line, expr, message);
    std::abort();
}

}  // namespace base
}  // namespace edgeinfer

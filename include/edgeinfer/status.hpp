// edgeinfer::Status and edgeinfer::Result<T>: the one way every edgeinfer call reports failure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgeinfer {

// Codes are stable: the C API returns them as integers (see edgeinfer.h).
enum class StatusCode : int {
    kOk = 0,
    kInvalidArgument = 1,  // caller passed something wrong: input name, shape, dtype, flag
    kNotFound = 2,         // a file, input or value that does not exist
    kInvalidModel = 3,     // model bytes that do not decode or do not form a valid graph
    kUnsupported = 4,      // valid input that edgeinfer cannot handle (op, opset, dtype)
    kIoError = 5,          // reading or writing a file or socket failed
    kOutOfRange = 6,       // index or value outside what is allowed (data dependent)
    kInternal = 7,         // a broken edgeinfer invariant: a bug
    kEndOfStream = 8,      // a frame source has no more frames
    kSourceLost = 9,       // a camera or stream vanished
    kCancelled = 10,
    kResourceExhausted = 11,  // a byte count overflows, exceeds the memory limit, or an allocation failed
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
  public:
    Status() = default;
    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return Status(); }

    bool is_ok() const { return code_ == StatusCode::kOk; }
    explicit operator bool() const { return is_ok(); }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }
    // "InvalidModel: model.onnx: ..." — the one line shown to users.
    std::string to_string() const;

    // Returns a copy whose message is "<context>: <message>".
    Status with_context(std::string_view context) const;

  private:
    StatusCode code_ = StatusCode::kOk;
    std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status invalid_model(std::string m) { return {StatusCode::kInvalidModel, std::move(m)}; }
inline Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status out_of_range(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
    Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
        if (status_.is_ok()) status_ = Status(StatusCode::kInternal, "Result constructed from an OK status");
    }

    bool is_ok() const { return value_.has_value(); }
    explicit operator bool() const { return is_ok(); }
    const Status& status() const { return status_; }

    T& value() & { return *value_; }
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() & { return *value_; }
    const T& operator*() const& { return *value_; }

  private:
    std::optional<T> value_;
    Status status_;
};

}  // namespace edgeinfer

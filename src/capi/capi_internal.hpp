// The C API's handle types and its status helpers, shared by the capi/*.cpp files.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer.h"
#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

struct edgeinfer_session {
    std::unique_ptr<edgeinfer::Session> session;
    // The dim symbols of each input/output as C strings (pointing into the session's descriptions).
    std::vector<std::vector<const char*>> input_symbols;
    std::vector<std::vector<const char*>> output_symbols;
};

struct edgeinfer_tensor {
    edgeinfer::Tensor tensor;
};

struct edgeinfer_options {
    edgeinfer::SessionOptions session;
    std::string sidecar_path;
    std::string labels_path;
    std::optional<int> top_k;
    std::optional<double> score_threshold;
    std::optional<double> iou_threshold;
    std::string detector_format;
    std::optional<int64_t> max_detections;
};

namespace edgeinfer::capi {

// Records the message for edgeinfer_last_error() and returns the status code.
edgeinfer_status fail(const Status& s);
edgeinfer_status fail(edgeinfer_status code, const std::string& message);
// Clears the message and returns EDGEINFER_OK.
edgeinfer_status ok();

// Wraps a created session in its handle (with the symbol tables).
edgeinfer_session* make_session_handle(std::unique_ptr<Session> session);

// Runs `body` (returning edgeinfer_status), turning an escaping exception into EDGEINFER_INTERNAL.
template <typename F>
edgeinfer_status guarded(F&& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        return fail(EDGEINFER_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return fail(EDGEINFER_INTERNAL, "internal error: unknown exception");
    }
}

}  // namespace edgeinfer::capi

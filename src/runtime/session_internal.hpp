// runtime::create_session: a Session over an in-memory ir::Model, for the library's own tools (compare,
// optimize verification, calibration) that build or edit models and run them without writing them out.
#pragma once

#include <memory>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::runtime {

// Validates `model` as the loader validates a file, re-derives its value annotations (ONNX shape
// inference) and fills the dtype and shape of graph outputs that have none from them, then builds the
// session as Session::create would, without a serialize-and-parse round trip. Engine files are not
// read or written (options.engine_path must be empty).
Result<std::unique_ptr<Session>> create_session(ir::Model model, const SessionOptions& options = {});

}  // namespace edgeinfer::runtime

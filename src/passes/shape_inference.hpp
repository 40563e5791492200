// Shape inference pass: annotates every intermediate value with its type and shape.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Re-derives the top-level value_info with ONNX's shape inference (data propagation on, so
// shapes computed by Shape→Gather→Concat chains resolve when dims are static). Symbolic dims
// such as "batch" are kept; graph inputs and outputs are not touched. Returns whether the
// annotations changed.
bool infer_shapes(ir::Model& model);

}  // namespace edgeinfer::passes

// Whole-model transforms done by ONNX's own C++ library: shape inference into ir value_info, and
// opset conversion with ONNX's version converter.
#pragma once

#include <cstdint>

#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::model {

// Replaces the top-level graph's value_info with what ONNX's shape inference (with data
// propagation) derives from the graph as it is now. Graph inputs and outputs keep their names
// and symbolic dims; only outputs declared without a shape receive the inferred one. Returns the
// number of annotated intermediate values; a model that shape inference rejects keeps its old
// value_info.
Result<size_t> infer_shapes(ir::Model& model);

// Converts the model to default-domain opset `target` with ONNX's version converter. Fails
// (model untouched) when the converter has no adapter for an op of the model.
Status convert_opset(ir::Model& model, int64_t target);

}  // namespace edgeinfer::model

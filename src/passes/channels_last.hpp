// Runtime-only layout pass: runs convolution regions in channels-last (NHWC) layout.
//
// Without it every Conv reorders its NCHW input into oneDNN's blocked layout and its output back.
// This pass (modelled on ONNX Runtime's NHWC transformer) rewrites float32 2-D Conv/FusedConv and
// pooling nodes into channels-last edgeinfer-domain forms (FusedConv / MaxPool / AveragePool /
// GlobalAveragePool / GlobalMaxPool with channels_last=1), lets layout-agnostic elementwise nodes
// (activations, Add/Mul/Sub/Div, Concat on channels) pass the layout through, and puts explicit
// Transpose nodes only where an NCHW value enters such a region or an NHWC value leaves it (graph
// outputs keep their names and NCHW layout). A detection head's Reshape [N,A,K,H,W] + Transpose
// (0,3,4,1,2) after a region's exit becomes one Reshape of the NHWC value (no Transposes).
// Runtime pipeline only: never part of `optimize`.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Returns whether the graph changed. Needs annotated shapes for the values it moves (rank 4).
bool convert_to_channels_last(ir::Model& model);

}  // namespace edgeinfer::passes

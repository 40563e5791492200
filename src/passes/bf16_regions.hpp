// bf16 regions: activations stored as bfloat16 between the primitives that compute in bf16.
//
// Runtime only (precision bf16), after channels-last. The members of a region are the nodes that
// read and write bf16 through oneDNN: channels-last edgeinfer:FusedConv, the channels-last
// edgeinfer pooling ops, and channels-last Add/Sub/Mul/Div/Max/Min (which become edgeinfer-domain
// binary ops). A value is stored as bf16 when its producer and every reader are members, none of
// them pinned to fp32, and it is neither a graph output nor read by a subgraph; every other value
// stays fp32. Members convert at the region's edges themselves (a conv reorders an fp32 input into
// bf16, a pooling or binary op with an fp32 output converts its bf16 result), so the pass inserts
// no Cast nodes. Members writing bf16 get the attribute output_type = 16 (ONNX's BFLOAT16), and the
// value's annotation says bfloat16. See docs/precision.md.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// ONNX TensorProto::BFLOAT16, the value of the output_type attribute.
inline constexpr int64_t kOnnxBfloat16 = 16;

// Rewrites as described above; `keep_fp32` names nodes that compute in fp32 (their inputs and
// outputs stay fp32). Returns whether any value became bf16.
bool form_bf16_regions(ir::Model& model, const std::vector<std::string>& keep_fp32);

}  // namespace edgeinfer::passes

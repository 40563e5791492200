// kernels::newer_schema_reason: what a node at opset 18-21 asks of an operator whose schema changed after
// its kernel was written. A kernel registered for the older version still runs the node when the node
// uses only the semantics both versions share (a Resize at opset 18 without antialias, a Split without
// num_outputs); otherwise the node is unsupported with the reason, at load time. Operators whose later
// versions only add element types (int4, float8, string) are not listed: their kernels check types.
#pragma once

#include <string>

#include "kernels/registry.hpp"

namespace edgeinfer::kernels {

// The opset at which `op_type` (default ONNX domain) changed in a way older kernels do not follow,
// at or below `opset`; 0 when none.
int64_t schema_change_version(const std::string& op_type, int64_t opset);

// "" when a kernel written for versions before schema_change_version(...) computes this node correctly;
// otherwise what the node uses that it does not ("attribute antialias=1 (opset 18)").
std::string newer_schema_reason(const CreateContext& ctx);

}  // namespace edgeinfer::kernels

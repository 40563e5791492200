// Conv + Add of a per-channel constant folded into the Conv's bias (onnxoptimizer's
// fuse_add_bias_into_conv).
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Rewrites Conv(X, W[, B]) -> Add(·, C) as Conv(X, W, B + C) when the Conv output has no other reader,
// W and C (and B) are float32 constants, and C broadcasts per output channel: C's dims, aligned to the
// right of the output's [N, M, spatial...], are all 1 except the one at the channel axis (M or 1), e.g.
// [M, 1, 1], [1, M, 1, 1], [1] or a scalar. Either Add operand may be the Conv. The Conv keeps its name
// and takes the Add's output. Returns whether any Add went.
bool fold_conv_add_bias(ir::Model& model);

}  // namespace edgeinfer::passes

// Consecutive Concats on the same axis merged into one (onnxoptimizer's fuse_consecutive_concats).
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Concat(a, Concat(b, c), d) on one axis becomes Concat(a, b, c, d) when the inner Concat's output has no
// other reader (no graph output, no subgraph use). Axes compare after making negative ones positive with
// the rank of the inputs when it is annotated; otherwise only equal attribute values merge. The outer
// Concat keeps its name; repeated until no pair is left. Returns whether any Concat went.
bool merge_concats(ir::Model& model);

}  // namespace edgeinfer::passes

// No-op elimination: Identity, inference-time Dropout, Cast to the same type, identity
// Transpose, Reshape to the same shape and rank-2 Flatten are removed and their readers read the input.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Removes nodes that return their input unchanged:
//   Identity; Dropout whose mask output is unused and that is not in training mode (opset >= 12:
//   training_mode absent or a constant false); Cast whose input already has the target type;
//   Transpose with the identity permutation; Reshape whose input shape already equals the target
//   (static, or with named dims kept by 0 / -1: [batch, 512] -> [-1, 512]); Flatten of a rank-2 value at
//   axis 1. Needs value types (infer-shapes) for Cast, Reshape and Flatten; without them those stay.
// Graph output names are kept (the producer is renamed instead). Returns whether any node went.
bool eliminate_noops(ir::Model& model);

}  // namespace edgeinfer::passes

// No-op elimination: Identity, inference-time Dropout, Cast to the same type, identity
// Transpose and Reshape to the same shape are removed and their readers read the input.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Removes nodes that return their input unchanged:
//   Identity; Dropout whose mask output is unused and that is not in training mode (opset >= 12:
//   training_mode absent or a constant false); Cast whose input already has the target type;
//   Transpose with the identity permutation; Reshape whose input shape (static) already equals the
//   target. Needs value types (infer-shapes) for Cast and Reshape; without them those stay.
// Graph output names are kept (the producer is renamed instead). Returns whether any node went.
bool eliminate_noops(ir::Model& model);

}  // namespace edgeinfer::passes

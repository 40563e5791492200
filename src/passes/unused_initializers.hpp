// Unused-initializer elimination: drops weights no node reads.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Removes initializers that no node (nor nested subgraph) reads and that are not graph outputs.
// Initializers that are also graph inputs are kept: they are part of the model's interface.
// Returns whether any initializer was removed.
bool eliminate_unused_initializers(ir::Model& model);

}  // namespace edgeinfer::passes

// Dead-node elimination: removes nodes none of whose outputs reaches a graph output.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Removes every node whose outputs are neither graph outputs nor read (directly or through
// other live nodes, or by a nested subgraph) by anything that reaches a graph output. ONNX ops
// have no side effects, so this never changes what the model computes. Returns whether any
// node was removed.
bool eliminate_dead_nodes(ir::Model& model);

}  // namespace edgeinfer::passes

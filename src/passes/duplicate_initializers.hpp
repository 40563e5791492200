// Duplicate initializer merging: identical weights stored once.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Initializers with the same dtype, dims and bytes are merged into the first of them (in file
// order); readers of the others read it instead. Graph inputs, graph outputs and values read by
// nested subgraphs are left alone. Returns whether anything was merged.
bool merge_duplicate_initializers(ir::Model& model);

}  // namespace edgeinfer::passes

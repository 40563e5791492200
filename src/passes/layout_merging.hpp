// Consecutive Transpose / Reshape / Squeeze / Unsqueeze nodes merged into one.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// For a pair first → second where only `second` reads the first's output:
//   Transpose → Transpose          : one Transpose with the composed perm (removed if identity);
//   Reshape|Flatten|Squeeze|Unsqueeze → Reshape with a constant target free of 0 entries (or with
//                                    allowzero=1): the Reshape reads the first's input directly;
//   Squeeze → Squeeze, Unsqueeze → Unsqueeze (explicit axes, known input rank): one node with
//                                    the combined axes.
// The surviving node is the second one and keeps its name. Returns whether anything merged.
bool merge_layout_ops(ir::Model& model);

}  // namespace edgeinfer::passes

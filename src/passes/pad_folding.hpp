// Pad folded into the Conv or AveragePool that reads it.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Y = Conv(Pad(X)) → Y = Conv(X) with the Pad's spatial pads added to the Conv's pads, when the
// Pad is constant-mode with value 0, pads are constant and non-negative, nothing is padded on the
// batch and channel axes, the Conv has auto_pad NOTSET and only the Conv reads the padded value.
// AveragePool also takes it when count_include_pad=1 and ceil_mode=0 (zeros then count alike).
// MaxPool never does (its implicit padding is -inf, not 0). The Conv/Pool keeps its name.
// Returns whether any Pad was folded.
bool fold_pad(ir::Model& model);

}  // namespace edgeinfer::passes

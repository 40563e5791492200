// BatchNormalization folded into the Conv, ConvTranspose or Gemm that feeds it.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Y = BatchNormalization(P(X, W, B)) with P a Conv, ConvTranspose or Gemm whose output only the
// BatchNormalization reads, and W, B, scale, bias, mean and var float32 constants: W and B are
// scaled per output channel (s = scale / sqrt(var + epsilon), B' = B*s + bias - mean*s) and P
// writes Y directly. P keeps its name; weights read only by P keep theirs. Not folded: training
// mode, BatchNormalization-1..8 with spatial=0, BatchNormalization reading its statistics from
// non-constant values. Returns whether any BatchNormalization was folded.
bool fold_batchnorm(ir::Model& model);

}  // namespace edgeinfer::passes

// MatMul followed by Add of a constant bias becomes one Gemm.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Y = Add(MatMul(A, B), C) (either operand order) → Y = Gemm(A, B, C) when A and B are float32
// of rank 2 (annotated shapes), the MatMul result is read only by the Add, and C is a float32
// constant that broadcasts to the [M, N] result without growing it (shape [], [N], [1, N],
// [M, 1] or [M, N]). The Gemm takes the MatMul's name. Needs opset >= 7 (Gemm's broadcasting C).
// Returns whether any pair was fused.
bool fuse_matmul_add(ir::Model& model);

}  // namespace edgeinfer::passes

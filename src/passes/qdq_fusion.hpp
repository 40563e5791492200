// QDQ fusion: DequantizeLinear → Conv/Gemm/MatMul (→ activation) (→ QuantizeLinear) into one
// edgeinfer:QConv / edgeinfer:QMatMul that runs as a oneDNN int8 primitive. Runtime only.
#pragma once

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Rewrites every P = Conv, Gemm or MatMul (ONNX domain) whose
//   input 0 is DequantizeLinear(x_q, x_scale, x_zp) with a per-tensor constant scale/zero point, and
//   input 1 is DequantizeLinear(W_q) of a constant int8/uint8 W_q, per tensor or per output channel
//   (Conv: axis 0; Gemm: axis 0 with transB=1, axis 1 with transB=0; MatMul: axis 1 of a 2-D W),
//   bias (Conv B, Gemm C) absent, a float32 constant or DequantizeLinear of a constant int32 tensor,
//   Gemm: transA=0, alpha=1, beta=1, C of [N] or [1, N] or scalar;
// into edgeinfer:QConv / edgeinfer:QMatMul(x_q, x_scale, x_zp, W_q, w_scale, w_zp, y_scale, y_zp, B)
// with float32 B (Gemm: W transposed to [K, N]). An activation (Relu, LeakyRelu, Clip with
// constant bounds) read only from P's output is fused as attribute `activation` (+ alpha/min/max);
// a QuantizeLinear with per-tensor constant scale/zero point reading only the (activated) result is
// fused too: the node then writes the quantized value, otherwise float32 (y_scale, y_zp omitted).
// The fused node takes P's name and position; DequantizeLinear nodes left without readers are
// removed. QuantizeLinear nodes left with a float32 input and per-tensor constant scale/zero point
// become edgeinfer:Quantize (one oneDNN reorder); other QuantizeLinear/DequantizeLinear nodes stay
// for the reference kernels. A value written by one QConv with int8 weights and read only as X
// by others is kept channels-last in memory (attributes y_layout / x_layout = "NHWC"; its dims
// stay NCHW), the layout oneDNN's int8 convolutions use, so no reorder runs between them.
// Returns whether any node was fused.
bool fuse_qdq(ir::Model& model);

}  // namespace edgeinfer::passes

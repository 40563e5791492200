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
// into edgeinfer:QConv / edgeinfer:QMatMul(x_q, x_scale, x_zp, W_q, w_scale, w_zp, y_scale, y_zp, B[, Z])
// with float32 B (Gemm: W transposed to [K, N]). For Conv, a residual Add of P's output and a
// non-constant float32 value Z of the same static rank-4 shape, read only from P's output, is fused
// as input Z (Y = conv + B + Z, a oneDNN sum post-op). An activation (Relu, LeakyRelu, Clip with
// constant bounds) read only from that result, or the pair Sigmoid(y) and Mul(y, Sigmoid(y)) (SiLU;
// with HardSigmoid(1/6, 1/2): HardSwish) reading it, is fused as attribute `activation` (+ alpha/min/max);
// a QuantizeLinear with per-tensor constant scale/zero point reading only the (activated) result is
// fused too when there is no Z: the node then writes the quantized value, otherwise float32 (y_scale,
// y_zp omitted). The fused node takes P's name and the position of the last node it absorbs;
// DequantizeLinear nodes left without readers are removed. QuantizeLinear nodes left with a float32
// input and per-tensor constant scale/zero point become edgeinfer:Quantize (one oneDNN reorder);
// other QuantizeLinear/DequantizeLinear nodes stay for the reference kernels.
// Int8 regions then run channels-last in memory (dims stay NCHW), the layout oneDNN's int8
// convolutions use: a rank-4 value whose producer and readers are all QConvs with int8 weights (as
// X, Y or Z), edgeinfer:Quantize nodes, float32 pooling nodes or float32 binary ops (Add, Mul, ...
// with [N, C, 1, 1] or scalar broadcasting: squeeze-excitation scales) gets x_layout / y_layout /
// z_layout / layout = "NHWC" on them (a MaxPool's input and output, a binary op's operands and output
// change together; a Quantize's reorder can also change the layout, a QConv's reorder of Z into its
// output too: z_layout is always written for a QConv with Z); such pooling and binary nodes move to
// the edgeinfer domain. No reorder runs inside a region.
// Returns whether any node was fused.
bool fuse_qdq(ir::Model& model);

}  // namespace edgeinfer::passes

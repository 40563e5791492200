// ONNX's shape inference (libonnx) as the model layer runs it: one entry point for the loader and for
// infer_shapes, with libonnx's schemas hardened first against inputs its inference functions trust.
#pragma once

#include <onnx/onnx_pb.h>

namespace edgeinfer::model {

// Runs onnx::shape_inference::InferShapes on `proto` (value_info written into it). Returns false when
// inference threw (the proto keeps what was written before the error). Never throws.
//
// libonnx 1.12's convolution and pooling inference (Conv, ConvInteger, QLinearConv, ConvTranspose,
// MaxPool, AveragePool, LpPool) indexes the input's dims by the kernel's rank without checking that
// they agree: a Conv on a rank-2 tensor with a rank-4 weight reads past the dims and crashes (found by
// tests/fuzz/model_loader_fuzz.cpp). Before the first run their inference functions are wrapped with
// rank checks (X and W of one rank >= 3; kernel_shape, strides, dilations, output_padding of rank-2
// values, pads of 2x that) that fail inference for that node like any other shape error.
bool run_onnx_shape_inference(onnx::ModelProto& proto, bool data_propagation);

}  // namespace edgeinfer::model

// Runtime-only fusions into edgeinfer:FusedConv (Conv + residual Add, Conv + activation) and
// edgeinfer:FusedGemm (Gemm + activation).
//
// They emit edgeinfer-domain nodes, so they belong to the Session's runtime pipeline
// (runtime_pipeline_for in pipelines.hpp) and never to `edgeinfer optimize`, whose output must stay
// portable ONNX. FusedConv computes Y = act(conv(X, W) + B + Z); see kernels/cpu/conv.cpp.
#pragma once

#include <optional>
#include <string>

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Y = Add(Conv(X, W, B), Z) (either operand order) → Y = FusedConv(X, W, B, Z) when the Conv's
// output is read only by the Add, Z is not a constant and both Add operands have the same fully
// annotated float32 shape (known or named dims: no broadcasting). The fused node takes the Conv's
// name and sits where the Add was. A Conv (or FusedConv without Z and activation) qualifies.
// Returns whether any pair was fused.
bool fuse_conv_add(ir::Model& model);

// Y = act(Conv(X, W, B[, Z])) → Y = FusedConv(X, W, B[, Z], activation=act) for act one of Relu,
// LeakyRelu, Clip (constant bounds), Sigmoid, HardSigmoid, HardSwish, Tanh, Elu, Softplus, SiLU
// written as Mul(y, Sigmoid(y)) and HardSwish written as Mul(y, HardSigmoid(y, alpha=1/6, beta=1/2))
// (PyTorch's export before opset 14). The Conv's output must be read only by the activation (SiLU,
// HardSwish: by the gate and the Mul, the gate's output only by the Mul). Returns whether any fired.
bool fuse_conv_activation(ir::Model& model);

// Y = act(Gemm(A, B, C)) → Y = FusedGemm(A, B, C, activation=act): same activations and rules as
// fuse_conv_activation. Returns whether any fired.
bool fuse_gemm_activation(ir::Model& model);

// Adds the "edgeinfer" opset import (version 1) when the model has none.
void ensure_edgeinfer_opset(ir::Model& model);

// The activation y * gate(y) computes when `gate` is the gate node of Mul(y, gate(y)): "SiLU" for
// Sigmoid, "HardSwish" for HardSigmoid with alpha 1/6 and beta 1/2 (ONNX's HardSwish); else none.
std::optional<std::string> gate_activation(const ir::Node& gate);

}  // namespace edgeinfer::passes

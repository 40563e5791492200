// The runtime's side of graph optimization: a NodeEvaluator backed by the CPU kernels (for
// constant folding) and the pass pipeline a Session runs before compiling its graph.
#pragma once

#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"
#include "passes/constant_folding.hpp"

namespace edgeinfer::runtime {

// Evaluates one node on constant inputs by compiling a one-node graph and folding it.
passes::NodeEvaluator cpu_node_evaluator();

// Runs the pass pipeline of `level` on a model before it is compiled (kNone: nothing). No
// verification here: each pass is tested for numeric equivalence in tests/unit/passes.
// Precision kInt8 adds the QDQ fusion (passes/qdq_fusion.hpp) to the runtime-only rewrites, kBf16
// the bf16 regions (passes/bf16_regions.hpp, only where oneDNN has native bf16: AVX512-BF16 or AMX),
// which leave the `keep_fp32` nodes' values fp32. Where Winograd can run (`tactics` not kDirectOnly, AVX-512),
// chains of Winograd convs stay in oneDNN's blocked layout (passes/blocked_layout.hpp).
Status optimize_for_session(ir::Model& model, GraphOptimizationLevel level, Precision precision = Precision::kFp32,
                            const std::vector<std::string>& keep_fp32 = {}, TacticMode tactics = TacticMode::kFast);

// True when the model holds quantized computation (QuantizeLinear, DequantizeLinear, QLinearConv,
// QLinearMatMul, ConvInteger, MatMulInteger): what SessionOptions::precision kInt8 needs.
bool has_quantized_nodes(const ir::Model& model);

}  // namespace edgeinfer::runtime

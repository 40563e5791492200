// Constant folding: nodes whose inputs are all known become initializers.
#pragma once

#include <functional>
#include <vector>

#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Computes a node's outputs from its input values (an empty Tensor marks an omitted optional
// input). `opsets` are the model's imports, for opset-dependent behaviour. One entry per node
// output (empty Tensors for omitted outputs). The runtime supplies one backed by its CPU kernels
// (runtime/graph_optimizer.hpp), so passes/ does not depend on runtime/.
using NodeEvaluator = std::function<Result<std::vector<Tensor>>(
    const ir::Node& node, const std::vector<ir::OpsetId>& opsets, const std::vector<Tensor>& inputs)>;

struct FoldingOptions {
    // A folded node may produce at most this many bytes more than it reads (Expand, Tile and
    // ConstantOfShape would otherwise bloat the file; the runtime folds them per shape anyway).
    int64_t max_growth_bytes = 1 << 20;
};

// Folds, in one sweep over the topologically ordered nodes:
//   Constant → initializer (no evaluator needed);
//   Shape / Size of a value whose dims are all known (annotations from infer-shapes) → initializer;
//   any other ONNX-domain node whose inputs are all constant → its evaluated outputs, so chains
//   such as Shape→Gather→Unsqueeze→Concat→Reshape fold completely when dims are static.
// Never folded: random ops, nodes with subgraphs, DequantizeLinear (keeps int8 weights small),
// nodes producing graph outputs. A node the evaluator fails on stays. Folded values keep their
// names. Returns whether any node was folded.
bool fold_constants(ir::Model& model, const NodeEvaluator& evaluate, const FoldingOptions& options = {});

}  // namespace edgeinfer::passes

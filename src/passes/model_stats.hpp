// Model statistics for `inspect`: op histogram, parameter counts, MACs per op type.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ir/graph.hpp"

namespace edgeinfer::passes {

struct OpStats {
    int64_t count = 0;
    int64_t macs = 0;             // multiply-accumulates, for nodes whose shapes are known
    int64_t effective_macs = 0;   // the same without Conv kernel taps that read only padding
    int64_t nodes_with_macs = 0;  // how many of `count` had known shapes
};

struct ModelStats {
    std::map<std::string, OpStats> ops;  // key: op type ("domain:op" outside the ONNX domain)
    int64_t node_count = 0;
    int64_t parameter_count = 0;          // elements of floating-point initializers, BatchNorm statistics excluded
    int64_t buffer_count = 0;             // BatchNormalization running mean/var elements
    int64_t other_initializer_count = 0;  // elements of integer/bool/string initializers (shapes, indices)
    int64_t initializer_bytes = 0;
    int64_t total_macs = 0;
    // total_macs without the products of Conv kernel taps with padding (zeros): what the hardware has
    // to compute. Differs most for dilated (atrous) convolutions on small maps, where many taps of the
    // dilated kernel fall outside the input; use it for achieved FLOP/s.
    int64_t total_effective_macs = 0;
    int64_t nodes_missing_shapes = 0;   // Conv/Gemm/MatMul nodes whose MACs could not be estimated
    bool symbolic_dims_as_one = false;  // MACs computed with symbolic dims (batch) taken as 1
};

// Counts over the top-level graph. MACs need value shapes: load with infer_shapes=true.
ModelStats compute_model_stats(const ir::Graph& graph);

}  // namespace edgeinfer::passes

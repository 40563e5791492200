// The pass catalog and the ordered pipelines for each optimization level.
#pragma once

#include <string>
#include <vector>

#include "passes/constant_folding.hpp"
#include "passes/pass_manager.hpp"

namespace edgeinfer::passes {

// Mirrors edgeinfer::GraphOptimizationLevel without depending on the public runtime API.
enum class Level { kNone = 0, kBasic = 1, kExtended = 2, kAll = 3 };

struct PipelineOptions {
    // Evaluates constant nodes for fold-constants; without one only Constant/Shape/Size fold.
    NodeEvaluator evaluator;
    // Run infer-shapes first and last (the CLI does; a Session already has annotated shapes
    // from loading and the passes keep value names, so it skips the cost).
    bool annotate_shapes = true;
};

// Every pass, by name, in the default order.
std::vector<PassDef> pass_catalog(const PipelineOptions& options);
// The passes of a level, in order.
std::vector<std::string> pipeline_for(Level level, bool annotate_shapes);
// A manager over the whole catalog whose pipeline is the level's.
PassManager make_pass_manager(Level level, const PipelineOptions& options);

// Runtime-only passes: rewrites into edgeinfer-domain ops (FusedConv, channels-last forms) that
// only edgeinfer's own Session runs. Kept out of pass_catalog so `edgeinfer optimize`, which writes
// portable ONNX, can never apply them; the Session runs them after its level pipeline.
struct RuntimePassOptions {
    // SessionOptions::precision kInt8: fuse-qdq runs first, so QDQ patterns become edgeinfer:QConv /
    // QMatMul before the float fusions could claim their Conv nodes.
    bool int8 = false;
    // SessionOptions::precision kBf16: bf16-regions runs last (after channels-last).
    bool bf16 = false;
    // Winograd can run (AVX-512, SessionOptions::tactics not direct-only): blocked-convs keeps chains of
    // predicted Winograd convs in oneDNN's blocked layout.
    bool winograd = false;
    // SessionOptions::keep_fp32_nodes: bf16-regions leaves their inputs and outputs fp32.
    std::vector<std::string> keep_fp32;
};
std::vector<PassDef> runtime_pass_catalog(const RuntimePassOptions& options = {});
std::vector<std::string> runtime_pipeline_for(Level level, const RuntimePassOptions& options = {});
PassManager make_runtime_pass_manager(Level level, const RuntimePassOptions& options = {});

}  // namespace edgeinfer::passes

// Pass catalog and per-level ordering. Each ordering constraint is commented where it matters.
#include "passes/pipelines.hpp"

#include "passes/batchnorm_folding.hpp"
#include "passes/bf16_regions.hpp"
#include "passes/blocked_layout.hpp"
#include "passes/channels_last.hpp"
#include "passes/concat_merging.hpp"
#include "passes/conv_bias_folding.hpp"
#include "passes/conv_fusion.hpp"
#include "passes/dead_node_elimination.hpp"
#include "passes/denormal_flushing.hpp"
#include "passes/duplicate_initializers.hpp"
#include "passes/layout_merging.hpp"
#include "passes/matmul_add_fusion.hpp"
#include "passes/noop_elimination.hpp"
#include "passes/pad_folding.hpp"
#include "passes/qdq_fusion.hpp"
#include "passes/shape_inference.hpp"
#include "passes/unused_initializers.hpp"

namespace edgeinfer::passes {
namespace {

PassDef simple(std::string name, std::string summary, bool (*fn)(ir::Model&)) {
    return PassDef{std::move(name), std::move(summary), [fn](ir::Model& m) { return PassOutcome{fn(m), ""}; }};
}

}  // namespace

std::vector<PassDef> pass_catalog(const PipelineOptions& options) {
    NodeEvaluator evaluate = options.evaluator;
    std::vector<PassDef> c;
    c.push_back(simple("infer-shapes", "annotate every value's type and shape (ONNX shape inference)", infer_shapes));
    c.push_back(simple("eliminate-noops",
                       "remove Identity, Dropout, same-type Cast, identity Transpose/Reshape, rank-2 Flatten",
                       eliminate_noops));
    c.push_back({"fold-constants", "compute nodes whose inputs are all constant, incl. static Shape chains",
                 [evaluate](ir::Model& m) {
                     return PassOutcome{fold_constants(m, evaluate), ""};
                 }});
    c.push_back(simple("merge-layout-ops", "merge consecutive Transpose, Reshape, Squeeze and Unsqueeze nodes",
                       merge_layout_ops));
    c.push_back(simple("fold-pad", "fold zero Pad into the following Conv / AveragePool", fold_pad));
    c.push_back(simple("fuse-matmul-add", "MatMul + constant Add -> Gemm", fuse_matmul_add));
    c.push_back(simple("fold-batchnorm", "fold BatchNormalization into Conv / ConvTranspose / Gemm", fold_batchnorm));
    c.push_back(simple("fold-conv-add-bias", "fold an Add of a per-channel constant after Conv into its bias",
                       fold_conv_add_bias));
    c.push_back(simple("merge-concats", "merge consecutive Concats on the same axis", merge_concats));
    c.push_back(simple("eliminate-dead-nodes", "remove nodes that do not reach a graph output", eliminate_dead_nodes));
    c.push_back(simple("eliminate-unused-initializers", "remove weights no node reads", eliminate_unused_initializers));
    c.push_back(simple("merge-duplicate-initializers", "store identical weights once", merge_duplicate_initializers));
    c.push_back({"flush-denormals", "set subnormal float32 weights to zero", [](ir::Model& m) {
                     int64_t n = 0;
                     bool changed = flush_denormals(m, &n);
                     return PassOutcome{changed, changed ? std::to_string(n) + " values flushed" : ""};
                 }});
    return c;
}

std::vector<std::string> pipeline_for(Level level, bool annotate_shapes) {
    std::vector<std::string> p;
    if (level == Level::kNone) return p;
    // Shapes first: no-op Cast/Reshape detection, Shape folding and the Gemm fusion read them.
    if (annotate_shapes) p.push_back("infer-shapes");
    // No-ops before folding and fusions: an Identity between Conv and BatchNormalization (some
    // exporters emit them) would otherwise hide the pair.
    p.push_back("eliminate-noops");
    // Folding before fusions: weights computed by constant subgraphs (Transpose of a weight,
    // Constant nodes) become initializers the fusions can rewrite.
    p.push_back("fold-constants");
    if (level >= Level::kExtended) {
        // Layout merging after folding (Reshape targets are constant by then) and before the
        // fusions, which look at direct producer/reader pairs.
        p.push_back("merge-layout-ops");
        // Concat merging with the other layout merges: fewer, larger copies; nothing below matches Concats.
        p.push_back("merge-concats");
        p.push_back("fold-pad");
        // MatMul+Add → Gemm before BatchNormalization folding, so a BatchNormalization after a
        // MatMul+Add (a Linear layer) folds into the Gemm.
        p.push_back("fuse-matmul-add");
        p.push_back("fold-batchnorm");
        // After BatchNormalization folding: Conv -> BatchNormalization -> Add(constant) becomes a Conv whose
        // bias takes the Add (and the runtime's Conv+Add fusion is left for residual Adds).
        p.push_back("fold-conv-add-bias");
    }
    // Cleanup after every rewrite: dead nodes first, since they hold the initializers they read.
    p.push_back("eliminate-dead-nodes");
    p.push_back("eliminate-unused-initializers");
    if (level >= Level::kAll) {
        // Duplicates after unused weights are gone (fewer to hash); denormals last, on the final
        // weights (BatchNormalization folding can create subnormals by scaling).
        p.push_back("merge-duplicate-initializers");
        p.push_back("flush-denormals");
    }
    // Annotate again: fusions dropped annotations of the values they removed, none are stale.
    if (annotate_shapes) p.push_back("infer-shapes");
    return p;
}

PassManager make_pass_manager(Level level, const PipelineOptions& options) {
    PassManager pm(pass_catalog(options));
    Status st = pm.set_pipeline(pipeline_for(level, options.annotate_shapes));
    (void)st;  // names come from the catalog above
    return pm;
}

std::vector<PassDef> runtime_pass_catalog(const RuntimePassOptions& options) {
    std::vector<PassDef> c;
    c.push_back(simple("fuse-qdq",
                       "DequantizeLinear -> Conv/Gemm/MatMul (-> act) (-> QuantizeLinear) -> edgeinfer:QConv/QMatMul "
                       "(runtime only, precision int8)",
                       fuse_qdq));
    c.push_back(simple("fuse-conv-add", "Conv + residual Add -> edgeinfer:FusedConv with Z (runtime only)",
                       fuse_conv_add));
    c.push_back(simple("fuse-conv-activation",
                       "Conv + Relu/Clip/LeakyRelu/Sigmoid/HardSigmoid/HardSwish/Tanh/SiLU... -> edgeinfer:FusedConv "
                       "(runtime only)",
                       fuse_conv_activation));
    c.push_back(simple("fuse-gemm-activation", "Gemm + activation -> edgeinfer:FusedGemm (runtime only)",
                       fuse_gemm_activation));
    c.push_back(simple("channels-last",
                       "run Conv/pooling regions in NHWC with Transposes at region edges (runtime only)",
                       convert_to_channels_last));
    c.push_back(simple("blocked-convs",
                       "store values passed only between Winograd convolutions in oneDNN's blocked layout "
                       "nChw16c (runtime only, float32, AVX-512)",
                       store_conv_chains_blocked));
    std::vector<std::string> keep = options.keep_fp32;
    c.push_back({"bf16-regions",
                 "store activations between bf16 convolutions, pooling and binary ops as bf16 (runtime only, "
                 "precision bf16)",
                 [keep](ir::Model& m) { return PassOutcome{form_bf16_regions(m, keep), ""}; }});
    return c;
}

std::vector<std::string> runtime_pipeline_for(Level level, const RuntimePassOptions& options) {
    std::vector<std::string> p;
    // QDQ fusion first, at any level but kNone: the float fusions below would otherwise take the
    // Conv of a DequantizeLinear -> Conv -> QuantizeLinear pattern.
    if (options.int8 && level > Level::kNone) p.push_back("fuse-qdq");
    if (level < Level::kExtended) return p;
    // Add before activation: FusedConv computes act(conv + Z), so Conv -> Add -> Relu becomes one
    // node only when the Add is taken first.
    p.push_back("fuse-conv-add");
    p.push_back("fuse-conv-activation");
    p.push_back("fuse-gemm-activation");
    // Layout last: it moves whole fused nodes, and the fusions match ONNX-layout patterns.
    if (level >= Level::kAll) p.push_back("channels-last");
    // Blocked chains after the layout (their members are channels-last convs), for float32 only: bf16
    // regions store their own values.
    if (level >= Level::kAll && options.winograd && !options.bf16) p.push_back("blocked-convs");
    // bf16 regions after the layout: their members are the channels-last nodes.
    if (level >= Level::kAll && options.bf16) p.push_back("bf16-regions");
    return p;
}

PassManager make_runtime_pass_manager(Level level, const RuntimePassOptions& options) {
    PassManager pm(runtime_pass_catalog(options));
    Status st = pm.set_pipeline(runtime_pipeline_for(level, options));
    (void)st;  // names come from the catalog above
    return pm;
}

}  // namespace edgeinfer::passes

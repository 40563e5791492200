// cpu_node_evaluator and optimize_for_session.
#include "runtime/graph_optimizer.hpp"

#include <omp.h>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "ir/memory.hpp"
#include "kernels/registry.hpp"
#include "passes/pipelines.hpp"
#include "runtime/plan.hpp"

namespace edgeinfer::runtime {
namespace {

Result<std::vector<Tensor>> evaluate_node(const ir::Node& node, const std::vector<ir::OpsetId>& opsets,
                                          const std::vector<Tensor>& inputs) {
    ir::Model m;
    m.ir_version = 8;
    m.opset_imports = opsets;
    ir::Node n = node;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
        if (n.inputs[k].empty() || k >= inputs.size() || inputs[k].empty()) {
            n.inputs[k].clear();
            continue;
        }
        n.inputs[k] = "__fold_input_" + std::to_string(k);
        m.graph.add_initializer(n.inputs[k], inputs[k]);
    }
    for (const std::string& o : n.outputs)
        if (!o.empty()) m.graph.outputs.push_back(ir::ValueInfo{o, DataType::kUndefined, {}, {}});
    m.graph.nodes.push_back(std::move(n));
    EDGEINFER_ASSIGN_OR_RETURN(CompiledGraph cg, compile_graph(m, "<constant folding>"));
    const int threads = omp_get_max_threads();
    EDGEINFER_ASSIGN_OR_RETURN(auto plan, Plan::build(cg, {}, threads, ir::effective_memory_limit(0)));
    EDGEINFER_RETURN_IF_ERROR(plan->run(cg, {}, threads, ProfileSink{}));
    std::vector<Tensor> out;
    size_t k = 0;
    for (const std::string& o : node.outputs) {
        if (o.empty()) {
            out.emplace_back();
            continue;
        }
        out.push_back(plan->output(cg, k++).clone());  // the plan's memory dies with it
    }
    return out;
}

passes::Level to_level(GraphOptimizationLevel level) {
    switch (level) {
        case GraphOptimizationLevel::kNone:
            return passes::Level::kNone;
        case GraphOptimizationLevel::kBasic:
            return passes::Level::kBasic;
        case GraphOptimizationLevel::kExtended:
            return passes::Level::kExtended;
        case GraphOptimizationLevel::kAll:
            return passes::Level::kAll;
    }
    return passes::Level::kNone;
}

}  // namespace

passes::NodeEvaluator cpu_node_evaluator() { return evaluate_node; }

bool has_quantized_nodes(const ir::Model& model) {
    for (const ir::Node& n : model.graph.nodes) {
        if (!ir::is_onnx_domain(n.domain)) continue;
        for (const char* op :
             {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger"})
            if (n.op_type == op) return true;
    }
    return false;
}

Status optimize_for_session(ir::Model& model, GraphOptimizationLevel level, Precision precision,
                            const std::vector<std::string>& keep_fp32, TacticMode tactics) {
    if (level == GraphOptimizationLevel::kNone) return Status::ok();
    passes::PipelineOptions opts;
    opts.evaluator = cpu_node_evaluator();
    opts.annotate_shapes = false;
    passes::PassManager pm = passes::make_pass_manager(to_level(level), opts);
    passes::PassReport report = pm.run(model);
    base::log_debug("graph optimization: " + std::to_string(report.nodes_before) + " -> " +
                    std::to_string(report.nodes_after) + " nodes in " + std::to_string(report.total_ms) + " ms");
    // Then the runtime-only rewrites (edgeinfer-domain ops) that `edgeinfer optimize` never applies.
    passes::RuntimePassOptions ro;
    ro.int8 = precision == Precision::kInt8;
    ro.bf16 = precision == Precision::kBf16 && kernels::native_bf16();
    ro.keep_fp32 = keep_fp32;
    ro.winograd = tactics != TacticMode::kDirectOnly && kernels::winograd_available();
    passes::PassReport runtime_report = passes::make_runtime_pass_manager(to_level(level), ro).run(model);
    base::log_debug("runtime fusions: " + std::to_string(runtime_report.nodes_before) + " -> " +
                    std::to_string(runtime_report.nodes_after) + " nodes");
    return Status::ok();
}

}  // namespace edgeinfer::runtime

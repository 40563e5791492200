// tools::inspect: what a model is (inputs, outputs, opsets), what it costs (parameters, MACs per op
// type) and whether edgeinfer runs it (ops without a registered kernel).
#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "kernels/registry.hpp"
#include "model/onnx_model.hpp"
#include "passes/model_stats.hpp"
#include "tools/value_matching.hpp"

namespace edgeinfer::tools {
namespace {

ValueInfo value_info(const ir::ValueInfo& v) {
    ValueInfo out{v.name, v.dtype, v.shape.has_rank, {}, v.shape.to_string()};
    for (const ir::Dim& d : v.shape.dims) out.dims.push_back({d.is_known() ? d.value : -1, d.symbol});
    return out;
}

}  // namespace

Result<ModelInfo> inspect(const std::string& model_path, bool check) {
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model m, load_with_shapes(model_path));
    if (check) EDGEINFER_RETURN_IF_ERROR(model::check_model_file(model_path));
    const passes::ModelStats s = passes::compute_model_stats(m.graph);
    const kernels::KernelRegistry& reg = kernels::default_registry();
    ModelInfo info;
    info.path = m.source_path;
    info.producer_name = m.producer_name;
    info.producer_version = m.producer_version;
    info.graph_name = m.graph.name;
    info.ir_version = m.ir_version;
    for (const auto& o : m.opset_imports) info.opsets.emplace_back(o.domain.empty() ? "ai.onnx" : o.domain, o.version);
    for (const ir::ValueInfo* v : m.graph.runtime_inputs()) info.inputs.push_back(value_info(*v));
    for (const ir::ValueInfo& v : m.graph.outputs) info.outputs.push_back(value_info(v));
    info.node_count = s.node_count;
    info.parameter_count = s.parameter_count;
    info.batchnorm_statistics = s.buffer_count;
    info.other_initializer_elements = s.other_initializer_count;
    info.initializer_bytes = s.initializer_bytes;
    for (const auto& [op, st] : s.ops) {
        auto colon = op.find(':');
        std::string domain = colon == std::string::npos ? "" : op.substr(0, colon);
        std::string type = colon == std::string::npos ? op : op.substr(colon + 1);
        bool runnable = reg.has_op(domain, type);
        if (!runnable) info.unsupported_ops.push_back(op);
        info.ops.push_back({op, st.count, st.macs, runnable});
    }
    info.macs = s.total_macs;
    info.effective_macs = s.total_effective_macs;
    info.nodes_without_shapes = s.nodes_missing_shapes;
    info.symbolic_dims_as_one = s.symbolic_dims_as_one;
    info.registered_kernels = reg.size();
    return info;
}

}  // namespace edgeinfer::tools

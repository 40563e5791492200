// tools::inspect: what a model is (inputs, outputs, opsets), what it costs (parameters, MACs per op
// type) and whether edgeinfer runs it (ops without a registered kernel).
#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "kernels/registry.hpp"
#include "model/onnx_model.hpp"
#include "model/shape_table.hpp"
#include "passes/fp16_lowering.hpp"
#include "passes/model_stats.hpp"
#include "tools/value_matching.hpp"

namespace edgeinfer::tools {
namespace {

// Subnormal values per float32/float16 initializer (0 < |x| < smallest normal), most first.
std::vector<std::pair<std::string, int64_t>> denormal_weights(const ir::Graph& g) {
    std::vector<std::pair<std::string, int64_t>> out;
    for (const auto& [name, t] : g.initializers) {
        int64_t n = 0;
        if (t.dtype() == DataType::kFloat32) {
            const float* v = t.data_as<float>();
            for (int64_t i = 0; i < t.numel(); ++i) n += std::fpclassify(v[i]) == FP_SUBNORMAL;
        } else if (t.dtype() == DataType::kFloat16) {
            const auto* v = static_cast<const uint16_t*>(t.data());
            for (int64_t i = 0; i < t.numel(); ++i) n += (v[i] & 0x7c00) == 0 && (v[i] & 0x03ff) != 0;
        }
        if (n > 0) out.emplace_back(name, n);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    return out;
}

ValueInfo value_info(const ir::ValueInfo& v) {
    ValueInfo out{v.name, v.dtype, v.shape.has_rank, {}, v.shape.to_string()};
    for (const ir::Dim& d : v.shape.dims) out.dims.push_back({d.is_known() ? d.value : -1, d.symbol});
    return out;
}

// Op types (as compute_model_stats names them) with a node the registry refuses at its input dtypes,
// after the float16 lowering every Session applies: what `run` would reject at session creation.
std::set<std::string> refused_ops(ir::Model m, const kernels::KernelRegistry& reg) {
    passes::lower_fp16_to_fp32(m);
    std::unordered_map<std::string, DataType> types;
    for (const auto* list : {&m.graph.value_info, &m.graph.outputs, &m.graph.inputs})
        for (const ir::ValueInfo& v : *list)
            if (v.dtype != DataType::kUndefined) types[v.name] = v.dtype;
    for (const auto& [name, t] : m.graph.initializers) types[name] = t.dtype();
    std::set<std::string> refused;
    for (size_t i = 0; i < m.graph.nodes.size(); ++i) {
        const ir::Node& n = m.graph.nodes[i];
        kernels::CreateContext ctx{n, n.describe(i), m.opset_version(n.domain), {}, {}};
        for (const std::string& in : n.inputs) {
            auto t = types.find(in);
            ctx.input_types.push_back(in.empty() || t == types.end() ? DataType::kUndefined : t->second);
            ctx.constant_inputs.push_back(in.empty() ? nullptr : m.graph.find_initializer(in));
        }
        if (!ir::implicit_inputs(n).empty()) continue;  // If/Loop bodies: checked when compiled
        if (!reg.find(ctx).is_ok())
            refused.insert(ir::is_onnx_domain(n.domain) ? n.op_type : n.domain + ":" + n.op_type);
    }
    return refused;
}

}  // namespace

Result<ModelInfo> inspect(const std::string& model_path, bool check) {
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model m, load_with_shapes(model_path));
    std::vector<model::CheckResult> checks;
    if (check) {
        EDGEINFER_ASSIGN_OR_RETURN(checks, model::check_model_with_table(model_path));
    }
    const passes::ModelStats s = passes::compute_model_stats(m.graph);
    const kernels::KernelRegistry& reg = kernels::default_registry();
    const std::set<std::string> refused = refused_ops(m, reg);
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
    info.denormal_weights = denormal_weights(m.graph);
    for (const auto& [op, st] : s.ops) {
        auto colon = op.find(':');
        std::string domain = colon == std::string::npos ? "" : op.substr(0, colon);
        std::string type = colon == std::string::npos ? op : op.substr(colon + 1);
        bool runnable = reg.has_op(domain, type) && !refused.count(op);
        if (!runnable) info.unsupported_ops.push_back(op);
        info.ops.push_back({op, st.count, st.macs, runnable});
    }
    info.macs = s.total_macs;
    info.effective_macs = s.total_effective_macs;
    info.nodes_without_shapes = s.nodes_missing_shapes;
    info.symbolic_dims_as_one = s.symbolic_dims_as_one;
    info.registered_kernels = reg.size();
    info.cpu = cpu_info();
    for (model::CheckResult& c : checks) info.checks.push_back({c.check, c.result, std::move(c.nodes)});
    return info;
}

}  // namespace edgeinfer::tools

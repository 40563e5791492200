// Op histogram, parameter counts and MAC estimates over an ir::Graph.
#include "passes/model_stats.hpp"

#include <unordered_set>

namespace edgeinfer::passes {
namespace {

// Known dims of a value; symbolic dims (usually the batch) count as 1 and set *assumed.
std::optional<std::vector<int64_t>> dims_of(const ir::Graph& g, const std::string& name, bool* assumed) {
    if (name.empty()) return std::nullopt;
    if (const Tensor* t = g.find_initializer(name)) return t->dims();
    const ir::ValueInfo* vi = g.find_value_info(name);
    if (!vi || !vi->shape.has_rank) return std::nullopt;
    std::vector<int64_t> out;
    for (const ir::Dim& d : vi->shape.dims) {
        if (d.is_known()) {
            out.push_back(d.value);
        } else if (!d.symbol.empty()) {
            out.push_back(1);
            *assumed = true;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

int64_t product(const std::vector<int64_t>& v, size_t from, size_t to) {
    int64_t p = 1;
    for (size_t i = from; i < to && i < v.size(); ++i) p *= v[i];
    return p;
}

// MACs of one node, or -1 when shapes are not known.
int64_t node_macs(const ir::Graph& g, const ir::Node& n, bool* assumed) {
    if (!ir::is_onnx_domain(n.domain)) return 0;
    if (n.op_type == "Conv" && n.inputs.size() >= 2 && !n.outputs.empty()) {
        auto w = dims_of(g, n.inputs[1], assumed);
        auto y = dims_of(g, n.outputs[0], assumed);
        if (!w || !y || w->size() < 3 || y->size() != w->size()) return -1;
        // each output element: Cin/group * prod(kernel) MACs
        return shape_numel(*y) * product(*w, 1, w->size());
    }
    if (n.op_type == "ConvTranspose" && n.inputs.size() >= 2) {
        auto w = dims_of(g, n.inputs[1], assumed);  // Cin x Cout/group x k...
        auto x = dims_of(g, n.inputs[0], assumed);
        if (!w || !x || w->size() < 3 || x->size() != w->size()) return -1;
        // each input element scatters into Cout/group * prod(kernel) outputs
        return shape_numel(*x) * product(*w, 1, w->size());
    }
    if (n.op_type == "Gemm" && n.inputs.size() >= 2 && !n.outputs.empty()) {
        auto a = dims_of(g, n.inputs[0], assumed);
        auto y = dims_of(g, n.outputs[0], assumed);
        if (!a || !y || a->size() != 2 || y->size() != 2) return -1;
        int64_t k = n.attr_int("transA", 0) ? (*a)[0] : (*a)[1];
        return (*y)[0] * (*y)[1] * k;
    }
    if (n.op_type == "MatMul" && n.inputs.size() >= 2 && !n.outputs.empty()) {
        auto a = dims_of(g, n.inputs[0], assumed);
        auto y = dims_of(g, n.outputs[0], assumed);
        if (!a || !y || a->empty()) return -1;
        return shape_numel(*y) * a->back();
    }
    return 0;
}

bool counts_macs(const ir::Node& n) {
    return ir::is_onnx_domain(n.domain) &&
           (n.op_type == "Conv" || n.op_type == "ConvTranspose" || n.op_type == "Gemm" || n.op_type == "MatMul");
}

}  // namespace

ModelStats compute_model_stats(const ir::Graph& graph) {
    ModelStats s;
    std::unordered_set<std::string> bn_stats;
    for (const ir::Node& n : graph.nodes) {
        if (ir::is_onnx_domain(n.domain) && n.op_type == "BatchNormalization" && n.inputs.size() >= 5) {
            bn_stats.insert(n.inputs[3]);
            bn_stats.insert(n.inputs[4]);
        }
    }
    for (const ir::Node& n : graph.nodes) {
        std::string key = ir::is_onnx_domain(n.domain) ? n.op_type : n.domain + ":" + n.op_type;
        OpStats& op = s.ops[key];
        op.count++;
        s.node_count++;
        if (!counts_macs(n)) continue;
        bool assumed = false;
        int64_t m = node_macs(graph, n, &assumed);
        if (assumed) s.symbolic_dims_as_one = true;
        if (m < 0) {
            s.nodes_missing_shapes++;
            continue;
        }
        op.macs += m;
        op.nodes_with_macs++;
        s.total_macs += m;
    }
    for (const auto& name : graph.initializer_order) {
        const Tensor& t = graph.initializers.at(name);
        s.initializer_bytes += static_cast<int64_t>(t.nbytes());
        if (!dtype_is_float(t.dtype()))
            s.other_initializer_count += t.numel();
        else if (bn_stats.count(name))
            s.buffer_count += t.numel();
        else
            s.parameter_count += t.numel();
    }
    return s;
}

}  // namespace edgeinfer::passes

// fold_constants.
#include "passes/constant_folding.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

const std::set<std::string> kNeverFold = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                                          "Multinomial",  "Bernoulli",     "DequantizeLinear", "If",
                                          "Loop",         "Scan",          "SequenceConstruct"};

// Value of a Constant node, or an empty Tensor when its attribute kind is not handled.
Tensor constant_node_value(const ir::Node& n) {
    if (n.attributes.size() != 1) return {};
    const ir::Attribute& a = n.attributes[0];
    if (a.name == "value" && !a.t.empty()) return a.t;
    if (a.name == "value_float") return Tensor::from_vector<float>(DataType::kFloat32, {}, {a.f});
    if (a.name == "value_floats")
        return Tensor::from_vector<float>(DataType::kFloat32, {static_cast<int64_t>(a.floats.size())}, a.floats);
    if (a.name == "value_int") return Tensor::from_vector<int64_t>(DataType::kInt64, {}, {a.i});
    if (a.name == "value_ints")
        return Tensor::from_vector<int64_t>(DataType::kInt64, {static_cast<int64_t>(a.ints.size())}, a.ints);
    if (a.name == "value_string") return Tensor::strings({}, {a.s});
    if (a.name == "value_strings") return Tensor::strings({static_cast<int64_t>(a.strings.size())}, a.strings);
    return {};  // sparse_value: left to the runtime
}

// Shape (with opset-15 start/end) or Size of a statically shaped input; empty when unknown.
Tensor shape_node_value(const ir::Graph& g, const ir::Node& n) {
    if (n.inputs.empty() || n.inputs[0].empty()) return {};
    auto dims = static_shape(g, n.inputs[0]);
    if (!dims) return {};
    if (n.op_type == "Size") return Tensor::from_vector<int64_t>(DataType::kInt64, {}, {shape_numel(*dims)});
    auto r = static_cast<int64_t>(dims->size());
    auto clamp = [r](int64_t v) { return std::clamp(v < 0 ? v + r : v, int64_t{0}, r); };
    int64_t start = clamp(n.attr_int("start", 0));
    int64_t end = n.find_attribute("end") ? clamp(n.attr_int("end", r)) : r;
    std::vector<int64_t> v;
    for (int64_t i = start; i < end; ++i) v.push_back((*dims)[i]);
    return Tensor::from_vector<int64_t>(DataType::kInt64, {static_cast<int64_t>(v.size())}, v);
}

bool has_subgraph(const ir::Node& n) {
    for (const ir::Attribute& a : n.attributes)
        if (a.g || !a.graphs.empty()) return true;
    return false;
}

// Folded outputs of one node; empty when the node cannot or should not be folded.
std::vector<Tensor> try_fold(const ir::Model& model, const ir::Node& n, const NodeEvaluator& evaluate,
                             const FoldingOptions& options) {
    const ir::Graph& g = model.graph;
    if (!ir::is_onnx_domain(n.domain) || kNeverFold.count(n.op_type) || has_subgraph(n)) return {};
    if (n.op_type == "Constant") {
        Tensor t = constant_node_value(n);
        if (t.empty()) return {};
        return {t};
    }
    if (n.op_type == "Shape" || n.op_type == "Size") {
        Tensor t = shape_node_value(g, n);
        if (!t.empty()) return {t};
    }
    if (!evaluate) return {};
    std::vector<Tensor> inputs;
    int64_t in_bytes = 0;
    for (const std::string& in : n.inputs) {
        if (in.empty()) {
            inputs.emplace_back();
            continue;
        }
        const Tensor* t = constant_value(g, in);
        if (!t) return {};
        in_bytes += static_cast<int64_t>(t->nbytes());
        inputs.push_back(*t);
    }
    auto outs = evaluate(n, model.opset_imports, inputs);
    if (!outs.is_ok() || outs->size() != n.outputs.size()) return {};
    int64_t out_bytes = 0;
    for (size_t k = 0; k < outs->size(); ++k) {
        if (n.outputs[k].empty()) continue;
        if ((*outs)[k].empty()) return {};
        out_bytes += static_cast<int64_t>((*outs)[k].nbytes());
    }
    if (out_bytes > in_bytes + options.max_growth_bytes) return {};
    return std::move(outs).value();
}

}  // namespace

bool fold_constants(ir::Model& model, const NodeEvaluator& evaluate, const FoldingOptions& options) {
    ir::Graph& g = model.graph;
    UseMap uses(g);
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        bool produces_output = false;
        for (const std::string& o : n.outputs) produces_output = produces_output || uses.is_graph_output(o);
        if (produces_output || n.outputs.empty()) continue;
        std::vector<Tensor> values = try_fold(model, n, evaluate, options);
        if (values.empty()) continue;
        for (size_t k = 0; k < n.outputs.size(); ++k)
            if (!n.outputs[k].empty()) g.add_initializer(n.outputs[k], values[k]);
        removed[i] = true;
        changed = true;
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

// Graph helpers shared by the rewrite passes.
#include "passes/graph_util.hpp"

#include <algorithm>

namespace edgeinfer::passes {
namespace {

const std::vector<size_t> kNoReaders;

void add_subgraph_uses(const ir::Node& node, std::unordered_set<std::string>& out) {
    for (const std::string& name : ir::implicit_inputs(node)) out.insert(name);
}

}  // namespace

UseMap::UseMap(const ir::Graph& graph) {
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        for (const std::string& in : graph.nodes[i].inputs)
            if (!in.empty()) readers_[in].push_back(i);
        add_subgraph_uses(graph.nodes[i], subgraph_uses_);
    }
    for (const auto& o : graph.outputs) graph_outputs_.insert(o.name);
}

size_t UseMap::reader_count(const std::string& value) const { return readers(value).size(); }

const std::vector<size_t>& UseMap::readers(const std::string& value) const {
    auto it = readers_.find(value);
    return it == readers_.end() ? kNoReaders : it->second;
}

bool UseMap::is_used(const std::string& value) const {
    return is_graph_output(value) || used_by_subgraph(value) || reader_count(value) > 0;
}

std::optional<size_t> UseMap::sole_reader(const std::string& value) const {
    if (is_graph_output(value) || used_by_subgraph(value)) return std::nullopt;
    const auto& r = readers(value);
    if (r.size() != 1) return std::nullopt;
    return r[0];
}

const Tensor* constant_value(const ir::Graph& graph, const std::string& value) {
    if (value.empty()) return nullptr;
    const Tensor* t = graph.find_initializer(value);
    if (!t || graph.is_graph_input(value)) return nullptr;
    return t;
}

void replace_uses(ir::Graph& graph, const std::string& from, const std::string& to) {
    for (ir::Node& n : graph.nodes)
        for (std::string& in : n.inputs)
            if (in == from) in = to;
}

void erase_nodes(ir::Graph& graph, const std::vector<bool>& remove) {
    size_t k = 0;
    std::vector<ir::Node> kept;
    kept.reserve(graph.nodes.size());
    for (ir::Node& n : graph.nodes)
        if (!remove[k++]) kept.push_back(std::move(n));
    graph.nodes = std::move(kept);
}

void prune_value_info(ir::Graph& graph) {
    std::unordered_set<std::string> produced;
    for (const ir::Node& n : graph.nodes)
        for (const std::string& o : n.outputs) produced.insert(o);
    std::erase_if(graph.value_info, [&](const ir::ValueInfo& v) { return !produced.count(v.name); });
}

std::string unique_value_name(const ir::Graph& graph, const std::string& base) {
    std::unordered_set<std::string> used;
    for (const ir::Node& n : graph.nodes) {
        used.insert(n.inputs.begin(), n.inputs.end());
        used.insert(n.outputs.begin(), n.outputs.end());
    }
    for (const auto& v : graph.inputs) used.insert(v.name);
    for (const auto& v : graph.outputs) used.insert(v.name);
    for (const auto& v : graph.value_info) used.insert(v.name);
    for (const auto& n : graph.initializer_order) used.insert(n);
    if (!used.count(base)) return base;
    for (int k = 1;; ++k) {
        std::string candidate = base + "_" + std::to_string(k);
        if (!used.count(candidate)) return candidate;
    }
}

const ir::Shape* annotated_shape(const ir::Graph& graph, const std::string& value) {
    const ir::ValueInfo* v = graph.find_value_info(value);
    if (!v || !v->shape.has_rank) return nullptr;
    return &v->shape;
}

std::optional<ir::Shape> complete_shape(const ir::Graph& graph, const std::string& value) {
    if (const Tensor* t = constant_value(graph, value)) return ir::Shape::of(t->dims());
    const ir::Shape* s = annotated_shape(graph, value);
    if (!s) return std::nullopt;
    for (const ir::Dim& d : s->dims)
        if (!d.is_known() && d.symbol.empty()) return std::nullopt;
    return *s;
}

std::optional<std::vector<int64_t>> static_shape(const ir::Graph& graph, const std::string& value) {
    if (const Tensor* t = graph.find_initializer(value)) return t->dims();
    const ir::Shape* s = annotated_shape(graph, value);
    if (!s) return std::nullopt;
    return s->static_dims();
}

DataType value_dtype(const ir::Graph& graph, const std::string& value) {
    if (const Tensor* t = graph.find_initializer(value)) return t->dtype();
    const ir::ValueInfo* v = graph.find_value_info(value);
    return v ? v->dtype : DataType::kUndefined;
}

std::optional<std::vector<int64_t>> constant_ints(const ir::Graph& graph, const std::string& value) {
    const Tensor* t = constant_value(graph, value);
    if (!t) return std::nullopt;
    std::vector<int64_t> out;
    if (t->dtype() == DataType::kInt64)
        out.assign(t->data_as<int64_t>(), t->data_as<int64_t>() + t->numel());
    else if (t->dtype() == DataType::kInt32)
        out.assign(t->data_as<int32_t>(), t->data_as<int32_t>() + t->numel());
    else
        return std::nullopt;
    return out;
}

ir::Attribute make_int_attr(const std::string& name, int64_t v) {
    ir::Attribute a;
    a.name = name;
    a.kind = ir::Attribute::Kind::kInt;
    a.i = v;
    return a;
}

ir::Attribute make_ints_attr(const std::string& name, std::vector<int64_t> v) {
    ir::Attribute a;
    a.name = name;
    a.kind = ir::Attribute::Kind::kInts;
    a.ints = std::move(v);
    return a;
}

ir::Attribute make_float_attr(const std::string& name, float v) {
    ir::Attribute a;
    a.name = name;
    a.kind = ir::Attribute::Kind::kFloat;
    a.f = v;
    return a;
}

void set_attribute(ir::Node& node, ir::Attribute attr) {
    for (ir::Attribute& a : node.attributes) {
        if (a.name == attr.name) {
            a = std::move(attr);
            return;
        }
    }
    node.attributes.push_back(std::move(attr));
}

void remove_attribute(ir::Node& node, const std::string& name) {
    std::erase_if(node.attributes, [&](const ir::Attribute& a) { return a.name == name; });
}

bool is_op(const ir::Node& node, const char* op_type) {
    return node.op_type == op_type && ir::is_onnx_domain(node.domain);
}

bool is_binary_arithmetic(const ir::Node& node) {
    static const std::unordered_set<std::string> ops{"Add", "Sub", "Mul", "Div", "Max", "Min"};
    return ir::is_onnx_domain(node.domain) && ops.count(node.op_type) && node.inputs.size() == 2 &&
           node.outputs.size() == 1;
}

bool is_commutative_binary(const std::string& op_type) {
    return op_type == "Add" || op_type == "Mul" || op_type == "Max" || op_type == "Min";
}

int64_t initializer_bytes(const ir::Graph& graph) {
    int64_t total = 0;
    for (const auto& [name, t] : graph.initializers) total += static_cast<int64_t>(t.nbytes());
    return total;
}

}  // namespace edgeinfer::passes

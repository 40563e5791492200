// ir::Graph helpers and structural comparison.
#include "ir/graph.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

namespace edgeinfer::ir {

Shape Shape::of(const std::vector<int64_t>& d) {
    Shape s;
    s.has_rank = true;
    for (int64_t v : d) s.dims.push_back(Dim::known(v));
    return s;
}

std::optional<std::vector<int64_t>> Shape::static_dims() const {
    if (!has_rank) return std::nullopt;
    std::vector<int64_t> out;
    out.reserve(dims.size());
    for (const Dim& d : dims) {
        if (!d.is_known()) return std::nullopt;
        out.push_back(d.value);
    }
    return out;
}

std::string Shape::to_string() const {
    if (!has_rank) return "(unknown rank)";
    if (dims.empty()) return "scalar";
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += " x ";
        if (dims[i].is_known())
            s += std::to_string(dims[i].value);
        else if (!dims[i].symbol.empty())
            s += dims[i].symbol;
        else
            s += "?";
    }
    return s;
}

std::string_view attribute_kind_name(Attribute::Kind kind) {
    switch (kind) {
        case Attribute::Kind::kUndefined: return "undefined";
        case Attribute::Kind::kFloat: return "float";
        case Attribute::Kind::kInt: return "int";
        case Attribute::Kind::kString: return "string";
        case Attribute::Kind::kTensor: return "tensor";
        case Attribute::Kind::kGraph: return "graph";
        case Attribute::Kind::kFloats: return "floats";
        case Attribute::Kind::kInts: return "ints";
        case Attribute::Kind::kStrings: return "strings";
        case Attribute::Kind::kTensors: return "tensors";
        case Attribute::Kind::kGraphs: return "graphs";
        case Attribute::Kind::kType:
            return "type";
    }
    return "undefined";
}

const Attribute* Node::find_attribute(std::string_view attr_name) const {
    for (const Attribute& a : attributes)
        if (a.name == attr_name) return &a;
    return nullptr;
}

int64_t Node::attr_int(std::string_view attr_name, int64_t fallback) const {
    const Attribute* a = find_attribute(attr_name);
    return a && a->kind == Attribute::Kind::kInt ? a->i : fallback;
}

float Node::attr_float(std::string_view attr_name, float fallback) const {
    const Attribute* a = find_attribute(attr_name);
    return a && a->kind == Attribute::Kind::kFloat ? a->f : fallback;
}

std::string Node::attr_string(std::string_view attr_name, std::string fallback) const {
    const Attribute* a = find_attribute(attr_name);
    return a && a->kind == Attribute::Kind::kString ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(std::string_view attr_name, std::vector<int64_t> fallback) const {
    const Attribute* a = find_attribute(attr_name);
    return a && a->kind == Attribute::Kind::kInts ? a->ints : fallback;
}

std::vector<float> Node::attr_floats(std::string_view attr_name, std::vector<float> fallback) const {
    const Attribute* a = find_attribute(attr_name);
    return a && a->kind == Attribute::Kind::kFloats ? a->floats : fallback;
}

std::string Node::describe(size_t index) const {
    if (!name.empty()) return op_type + " '" + name + "'";
    return op_type + " (node #" + std::to_string(index) + ")";
}

const Tensor* Graph::find_initializer(std::string_view value_name) const {
    auto it = initializers.find(std::string(value_name));
    return it == initializers.end() ? nullptr : &it->second;
}

void Graph::add_initializer(std::string value_name, Tensor tensor) {
    if (initializers.find(value_name) == initializers.end()) initializer_order.push_back(value_name);
    initializers[std::move(value_name)] = std::move(tensor);
}

bool Graph::remove_initializer(std::string_view value_name) {
    auto it = initializers.find(std::string(value_name));
    if (it == initializers.end()) return false;
    initializers.erase(it);
    std::erase(initializer_order, std::string(value_name));
    return true;
}

const ValueInfo* Graph::find_value_info(std::string_view value_name) const {
    for (const auto* list : {&inputs, &outputs, &value_info})
        for (const ValueInfo& v : *list)
            if (v.name == value_name) return &v;
    return nullptr;
}

bool Graph::is_graph_input(std::string_view value_name) const {
    for (const ValueInfo& v : inputs)
        if (v.name == value_name) return true;
    return false;
}

std::vector<const ValueInfo*> Graph::runtime_inputs() const {
    std::vector<const ValueInfo*> out;
    for (const ValueInfo& v : inputs)
        if (!find_initializer(v.name)) out.push_back(&v);
    return out;
}

std::unordered_map<std::string, size_t> Graph::producers() const {
    std::unordered_map<std::string, size_t> out;
    for (size_t i = 0; i < nodes.size(); ++i)
        for (const std::string& o : nodes[i].outputs)
            if (!o.empty()) out[o] = i;
    return out;
}

namespace {

void add_subgraph_uses(const Node& node, std::unordered_set<std::string>& out) {
    for (const Attribute& a : node.attributes) {
        if (a.g) collect_outer_references(*a.g, out);
        for (const auto& g : a.graphs)
            if (g) collect_outer_references(*g, out);
    }
}

}  // namespace

void collect_outer_references(const Graph& subgraph, std::unordered_set<std::string>& out) {
    std::unordered_set<std::string> defined;
    for (const auto& v : subgraph.inputs) defined.insert(v.name);
    for (const auto& n : subgraph.initializer_order) defined.insert(n);
    std::unordered_set<std::string> inner;
    for (const Node& n : subgraph.nodes) {
        for (const std::string& in : n.inputs)
            if (!in.empty() && !defined.count(in)) out.insert(in);
        inner.clear();
        add_subgraph_uses(n, inner);
        for (const std::string& name : inner)
            if (!defined.count(name)) out.insert(name);
        for (const std::string& o : n.outputs) defined.insert(o);
    }
    for (const auto& o : subgraph.outputs)
        if (!defined.count(o.name)) out.insert(o.name);
}

std::vector<std::string> implicit_inputs(const Node& node) {
    std::unordered_set<std::string> names;
    add_subgraph_uses(node, names);
    std::vector<std::string> sorted(names.begin(), names.end());
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

bool is_onnx_domain(std::string_view domain) { return domain.empty() || domain == "ai.onnx"; }

int64_t Model::opset_version(std::string_view dom) const {
    for (const OpsetId& o : opset_imports) {
        if (o.domain == dom || (is_onnx_domain(o.domain) && is_onnx_domain(dom))) return o.version;
    }
    return 0;
}

namespace {

bool fail(std::string* why, const std::string& message) {
    if (why) *why = message;
    return false;
}

bool tensors_equal(const Tensor& a, const Tensor& b) {
    if (a.dtype() != b.dtype() || a.dims() != b.dims()) return false;
    if (a.dtype() == DataType::kString) return a.string_data() == b.string_data();
    if (a.nbytes() == 0) return true;
    return std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

bool attributes_equal(const Attribute& a, const Attribute& b, std::string* why) {
    if (a.name != b.name || a.kind != b.kind) return fail(why, "attribute " + a.name + " name/kind");
    if (a.f != b.f || a.i != b.i || a.s != b.s || a.floats != b.floats || a.ints != b.ints || a.strings != b.strings)
        return fail(why, "attribute " + a.name + " value");
    if (!(a.type == b.type)) return fail(why, "attribute " + a.name + " type");
    if (!a.t.empty() || !b.t.empty())
        if (!tensors_equal(a.t, b.t)) return fail(why, "attribute " + a.name + " tensor");
    if (a.tensors.size() != b.tensors.size()) return fail(why, "attribute " + a.name + " tensors");
    for (size_t i = 0; i < a.tensors.size(); ++i)
        if (!tensors_equal(a.tensors[i], b.tensors[i])) return fail(why, "attribute " + a.name + " tensors");
    if (static_cast<bool>(a.g) != static_cast<bool>(b.g)) return fail(why, "attribute " + a.name + " graph");
    if (a.g && !graphs_equal(*a.g, *b.g, why)) return false;
    if (a.graphs.size() != b.graphs.size()) return fail(why, "attribute " + a.name + " graphs");
    for (size_t i = 0; i < a.graphs.size(); ++i)
        if (!graphs_equal(*a.graphs[i], *b.graphs[i], why)) return false;
    return true;
}

}  // namespace

bool graphs_equal(const Graph& a, const Graph& b, std::string* why) {
    if (a.name != b.name) return fail(why, "graph name '" + a.name + "' vs '" + b.name + "'");
    if (a.inputs != b.inputs) return fail(why, "graph inputs of '" + a.name + "' differ");
    if (a.outputs != b.outputs) return fail(why, "graph outputs of '" + a.name + "' differ");
    if (a.value_info != b.value_info) return fail(why, "value_info of '" + a.name + "' differs");
    if (a.nodes.size() != b.nodes.size()) return fail(why, "node count differs");
    for (size_t i = 0; i < a.nodes.size(); ++i) {
        const Node& x = a.nodes[i];
        const Node& y = b.nodes[i];
        if (x.name != y.name || x.op_type != y.op_type || x.domain != y.domain || x.inputs != y.inputs ||
            x.outputs != y.outputs || x.attributes.size() != y.attributes.size())
            return fail(why, "node " + x.describe(i) + " differs");
        for (size_t k = 0; k < x.attributes.size(); ++k)
            if (!attributes_equal(x.attributes[k], y.attributes[k], why)) return false;
    }
    if (a.initializer_order != b.initializer_order) return fail(why, "initializer names differ");
    for (const std::string& n : a.initializer_order)
        if (!tensors_equal(a.initializers.at(n), b.initializers.at(n)))
            return fail(why, "initializer '" + n + "' differs");
    return true;
}

bool models_equal(const Model& a, const Model& b, std::string* why) {
    if (a.ir_version != b.ir_version) return fail(why, "ir_version differs");
    if (a.producer_name != b.producer_name || a.producer_version != b.producer_version)
        return fail(why, "producer differs");
    if (a.opset_imports != b.opset_imports) return fail(why, "opset imports differ");
    if (a.metadata_props != b.metadata_props) return fail(why, "metadata differs");
    return graphs_equal(a.graph, b.graph, why);
}

}  // namespace edgeinfer::ir

// ir::Model, ir::Graph, ir::Node, ir::Attribute, ir::ValueInfo, ir::Shape: edgeinfer's in-memory model.
//
// Values are referred to by name, as in ONNX: a node lists the names of the values it reads
// and writes ("" marks an omitted optional input). A value is a graph input, an initializer,
// or the output of exactly one node. Nodes are kept in topological order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"
#include "ir/value.hpp"

namespace edgeinfer::ir {

using edgeinfer::DataType;
using edgeinfer::Tensor;
using edgeinfer::ValueKind;

// One dimension: a known size, a named symbol ("batch"), or unknown.
struct Dim {
    int64_t value = -1;  // >= 0 when known
    std::string symbol;  // set when symbolic

    static Dim known(int64_t v) { return Dim{v, {}}; }
    static Dim symbolic(std::string s) { return Dim{-1, std::move(s)}; }
    static Dim unknown() { return Dim{}; }
    bool is_known() const { return value >= 0; }
    bool operator==(const Dim&) const = default;
};

// A shape whose rank may be unknown and whose dims may be symbolic.
struct Shape {
    bool has_rank = false;
    std::vector<Dim> dims;

    static Shape unknown_rank() { return Shape{}; }
    static Shape of(const std::vector<int64_t>& d);
    int64_t rank() const { return has_rank ? static_cast<int64_t>(dims.size()) : -1; }
    // All dims known: their values; otherwise nullopt.
    std::optional<std::vector<int64_t>> static_dims() const;
    // "batch x 3 x 224 x 224", "?" for unknown dims, "(unknown rank)".
    std::string to_string() const;
    bool operator==(const Shape&) const = default;
};

// Type and shape of a named value. Almost every value is a tensor; for a sequence or an optional
// (`kind`, ONNX's sequence_type / optional_type), dtype and shape describe its tensors (the elements,
// whose shapes may differ: shape is often of unknown rank).
struct ValueInfo {
    std::string name;
    DataType dtype = DataType::kUndefined;
    Shape shape;
    std::string doc_string;
    ValueKind kind = ValueKind::kTensor;
    bool operator==(const ValueInfo&) const = default;
};

class Graph;

struct Attribute {
    enum class Kind {
        kUndefined,
        kFloat,
        kInt,
        kString,
        kTensor,
        kGraph,
        kFloats,
        kInts,
        kStrings,
        kTensors,
        kGraphs,
        kType  // a TypeProto (Optional's `type`): held in `type` (name unused)
    };

    std::string name;
    Kind kind = Kind::kUndefined;
    float f = 0.0f;
    int64_t i = 0;
    std::string s;
    Tensor t;
    std::shared_ptr<Graph> g;
    std::vector<float> floats;
    std::vector<int64_t> ints;
    std::vector<std::string> strings;
    std::vector<Tensor> tensors;
    std::vector<std::shared_ptr<Graph>> graphs;
    ValueInfo type;
    std::string ref_attr_name;  // for attributes inside function bodies
    std::string doc_string;
};

std::string_view attribute_kind_name(Attribute::Kind kind);

struct Node {
    std::string name;
    std::string op_type;
    std::string domain;  // "" and "ai.onnx" both mean the default ONNX domain
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    std::vector<Attribute> attributes;
    std::string doc_string;

    const Attribute* find_attribute(std::string_view attr_name) const;
    // Typed getters returning `fallback` when the attribute is absent.
    int64_t attr_int(std::string_view attr_name, int64_t fallback) const;
    float attr_float(std::string_view attr_name, float fallback) const;
    std::string attr_string(std::string_view attr_name, std::string fallback) const;
    std::vector<int64_t> attr_ints(std::string_view attr_name, std::vector<int64_t> fallback = {}) const;
    std::vector<float> attr_floats(std::string_view attr_name, std::vector<float> fallback = {}) const;
    // "Conv 'conv1'" or "Conv (node #3)" when unnamed: used in every message about a node.
    std::string describe(size_t index) const;
};

class Graph {
public:
    std::string name;
    std::string doc_string;
    std::vector<Node> nodes;
    std::vector<ValueInfo> inputs;
    std::vector<ValueInfo> outputs;
    std::vector<ValueInfo> value_info;         // known types of intermediate values
    std::vector<std::string> initializer_order;  // preserves the file's order
    std::unordered_map<std::string, Tensor> initializers;
    std::vector<std::string> sparse_initializer_names;  // kept for diagnostics only

    const Tensor* find_initializer(std::string_view value_name) const;
    void add_initializer(std::string value_name, Tensor tensor);
    bool remove_initializer(std::string_view value_name);
    // Type info for an input, output or intermediate value; nullptr if unknown.
    const ValueInfo* find_value_info(std::string_view value_name) const;
    bool is_graph_input(std::string_view value_name) const;
    // Graph inputs that are not also initializers (what a caller must feed).
    std::vector<const ValueInfo*> runtime_inputs() const;
    // Index of the node producing each value.
    std::unordered_map<std::string, size_t> producers() const;
};

struct OpsetId {
    std::string domain;
    int64_t version = 0;
    bool operator==(const OpsetId&) const = default;
};

struct Model {
    int64_t ir_version = 0;
    std::string producer_name;
    std::string producer_version;
    std::string domain;
    int64_t model_version = 0;
    std::string doc_string;
    std::vector<OpsetId> opset_imports;
    std::vector<std::pair<std::string, std::string>> metadata_props;
    Graph graph;
    std::string source_path;  // file it was loaded from, for messages and external data

    // Opset version imported for `domain` ("" and "ai.onnx" are the same); 0 if not imported.
    int64_t opset_version(std::string_view domain) const;
};

// Names a subgraph reads from enclosing scopes (defined by none of its inputs, initializers or
// nodes), nested subgraphs included; added to `out`.
void collect_outer_references(const Graph& subgraph, std::unordered_set<std::string>& out);
// The outer-scope names a node's subgraph attributes (If branches, Loop/Scan bodies) read, sorted:
// the node's implicit inputs, which the runtime feeds to it like ordinary inputs.
std::vector<std::string> implicit_inputs(const Node& node);

// True for the default ONNX domain spellings "" and "ai.onnx".
bool is_onnx_domain(std::string_view domain);

// Structural equality used by round-trip tests: names, ops, attributes, shapes,
// initializer values, opsets and metadata. On mismatch, `why` says what differs.
bool graphs_equal(const Graph& a, const Graph& b, std::string* why = nullptr);
bool models_equal(const Model& a, const Model& b, std::string* why = nullptr);

}  // namespace edgeinfer::ir

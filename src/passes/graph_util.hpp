// Helpers shared by the rewrite passes: who reads a value, constant lookup, node removal, new
// names, attribute builders. Every helper works on the top-level graph; values that nested
// subgraphs (If/Loop/Scan bodies) read from the outer scope count as used and are never renamed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/graph.hpp"

namespace edgeinfer::passes {

// Readers of every value of a graph, computed once; passes rebuild it after they rewrite.
class UseMap {
  public:
    explicit UseMap(const ir::Graph& graph);

    // Number of node inputs (top level) reading `value`.
    size_t reader_count(const std::string& value) const;
    // Indices of the nodes reading `value` (a node reading it twice is listed twice).
    const std::vector<size_t>& readers(const std::string& value) const;
    bool is_graph_output(const std::string& value) const { return graph_outputs_.count(value) > 0; }
    // Read by a nested subgraph through the outer scope.
    bool used_by_subgraph(const std::string& value) const { return subgraph_uses_.count(value) > 0; }
    // Graph output, read by a subgraph, or read by any node.
    bool is_used(const std::string& value) const;
    // The only reader of `value` when it has exactly one and is neither a graph output nor read
    // by a subgraph: the condition for fusing its producer into that reader.
    std::optional<size_t> sole_reader(const std::string& value) const;

  private:
    std::unordered_map<std::string, std::vector<size_t>> readers_;
    std::unordered_set<std::string> graph_outputs_;
    std::unordered_set<std::string> subgraph_uses_;
};

// Names a nested subgraph reads from its enclosing scopes (recursively): lives in ir/.
using ir::collect_outer_references;

// A value whose content is known now: an initializer that is not also a graph input (inputs
// with initializers are defaults a caller may override).
const Tensor* constant_value(const ir::Graph& graph, const std::string& value);

// Replaces every node input reading `from` with `to` (top level; graph outputs untouched).
void replace_uses(ir::Graph& graph, const std::string& from, const std::string& to);

// Removes the nodes flagged in `remove` (indexed like graph.nodes), keeping the order of the rest.
void erase_nodes(ir::Graph& graph, const std::vector<bool>& remove);

// Drops value_info entries for values no node produces any more.
void prune_value_info(ir::Graph& graph);

// A value name not used anywhere in the graph, derived from `base`.
std::string unique_value_name(const ir::Graph& graph, const std::string& base);

// Known dims of a value: from its initializer, else its value_info / input / output entry.
std::optional<std::vector<int64_t>> static_shape(const ir::Graph& graph, const std::string& value);
// Shape of a constant, or as annotated with every dim known or named ("batch"); nullopt when the
// rank or any dim is unknown. Two values with equal complete shapes have the same dims at run time.
std::optional<ir::Shape> complete_shape(const ir::Graph& graph, const std::string& value);
// Shape as annotated (possibly symbolic); nullptr when unknown.
const ir::Shape* annotated_shape(const ir::Graph& graph, const std::string& value);
// dtype of a value when known (initializer or annotations), kUndefined otherwise.
DataType value_dtype(const ir::Graph& graph, const std::string& value);

// Integer contents of a constant int32/int64 tensor; nullopt when not constant or not integral.
std::optional<std::vector<int64_t>> constant_ints(const ir::Graph& graph, const std::string& value);

// Attribute builders and setters (replacing an attribute of the same name).
ir::Attribute make_int_attr(const std::string& name, int64_t v);
ir::Attribute make_ints_attr(const std::string& name, std::vector<int64_t> v);
ir::Attribute make_float_attr(const std::string& name, float v);
void set_attribute(ir::Node& node, ir::Attribute attr);
void remove_attribute(ir::Node& node, const std::string& name);

// True when the node is in the ONNX domain with this op type.
bool is_op(const ir::Node& node, const char* op_type);

// An ONNX-domain Add, Sub, Mul, Div, Max or Min with two inputs and one output: the broadcasting
// arithmetic oneDNN's binary primitive also has (the layout and bf16 passes move them).
bool is_binary_arithmetic(const ir::Node& node);
// Add, Mul, Max, Min: either operand may come first.
bool is_commutative_binary(const std::string& op_type);

// Sum of initializer bytes, and node count: the two numbers every pass report shows.
int64_t initializer_bytes(const ir::Graph& graph);

}  // namespace edgeinfer::passes

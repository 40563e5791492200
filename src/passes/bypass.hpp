// Removing a node that passes its input through unchanged (Identity and friends), keeping the
// value names the graph exposes.
#pragma once

#include <string>

#include "ir/graph.hpp"
#include "passes/graph_util.hpp"

namespace edgeinfer::passes {

// Makes readers of `output` (produced by node `index`) read `input` instead and flags the node
// for removal in `removed`. When `output` is a graph output, the producer of `input` is renamed to
// write `output` directly so the graph keeps its output names. Returns false (graph untouched)
// when neither is possible: e.g. the output is a graph output and the input is a graph input.
bool bypass_node(ir::Graph& graph, size_t index, const std::string& input, const std::string& output,
                 const UseMap& uses, std::vector<bool>& removed);

}  // namespace edgeinfer::passes

// Helpers of `edgeinfer compare` shared by its two modes (two models / reference values, and
// --precision): matching values between two graphs and exposing intermediate values as outputs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace edgeinfer::cli {

// A value of A and its counterpart on the other side, in A's topological order.
struct Pair {
    std::string a, b;
    size_t a_node = 0;
};

// Value name -> index of the node producing it.
std::map<std::string, size_t> producer_map(const ir::Graph& g);

// A's node outputs matched with B's: by value name, then by producing node name and output index,
// then graph outputs by position.
std::vector<Pair> match_values(const ir::Model& ma, const ir::Model& mb);

// A copy of `m` whose graph outputs are `names` (node outputs only); with `keep_outputs` the
// original outputs stay first. Nodes not needed for them are dropped.
ir::Model with_outputs(const ir::Model& m, const std::vector<std::string>& names, bool keep_outputs);

// Every node output of `g`, in node order.
std::vector<std::string> all_node_outputs(const ir::Graph& g);

}  // namespace edgeinfer::cli

// Internal helpers of compare and the precision report: sessions over in-memory models, values of two
// graphs matched, and intermediate values exposed as graph outputs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::tools {

// A Session over an in-memory model, compiled exactly as given (optimization level kNone).
Result<std::unique_ptr<Session>> session_for(const ir::Model& model, int threads = 0);

// The model at `path` with ONNX shape inference.
Result<ir::Model> load_with_shapes(const std::string& path);

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

// Every name in `names` is a node of `model` (subgraph nodes included); `label` names the model.
Status check_node_names(const ir::Model& model, const std::vector<std::string>& names, const std::string& label);

}  // namespace edgeinfer::tools

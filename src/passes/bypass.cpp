// bypass_node: rewire readers around a pass-through node.
#include "passes/bypass.hpp"

namespace edgeinfer::passes {

bool bypass_node(ir::Graph& graph, size_t index, const std::string& input, const std::string& output,
                 const UseMap& uses, std::vector<bool>& removed) {
    if (input.empty() || output.empty() || input == output) return false;
    if (uses.used_by_subgraph(output)) return false;
    if (!uses.is_graph_output(output)) {
        replace_uses(graph, output, input);
        removed[index] = true;
        return true;
    }
    // `output` must survive under its name: let the producer of `input` write it instead.
    if (uses.is_graph_output(input) || uses.used_by_subgraph(input) || graph.is_graph_input(input) ||
        graph.find_initializer(input))
        return false;
    ir::Node* producer = nullptr;
    for (size_t i = 0; i < index; ++i) {
        if (removed[i]) continue;
        for (std::string& o : graph.nodes[i].outputs)
            if (o == input) producer = &graph.nodes[i];
    }
    if (!producer) return false;
    for (std::string& o : producer->outputs)
        if (o == input) o = output;
    replace_uses(graph, input, output);
    removed[index] = true;
    // The bypassed node read `input`, now renamed: it is removed, so that read does not matter.
    return true;
}

}  // namespace edgeinfer::passes

// eliminate_unused_initializers.
#include "passes/unused_initializers.hpp"

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {

bool eliminate_unused_initializers(ir::Model& model) {
    ir::Graph& g = model.graph;
    UseMap uses(g);
    std::vector<std::string> unused;
    for (const std::string& name : g.initializer_order)
        if (!uses.is_used(name) && !g.is_graph_input(name)) unused.push_back(name);
    for (const std::string& name : unused) g.remove_initializer(name);
    return !unused.empty();
}

}  // namespace edgeinfer::passes

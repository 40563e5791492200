// eliminate_dead_nodes: one backward sweep over the topologically sorted nodes.
#include "passes/dead_node_elimination.hpp"

#include <unordered_set>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {

bool eliminate_dead_nodes(ir::Model& model) {
    ir::Graph& g = model.graph;
    std::unordered_set<std::string> live;
    for (const auto& o : g.outputs) live.insert(o.name);
    std::vector<bool> remove(g.nodes.size(), false);
    bool changed = false;
    for (size_t k = g.nodes.size(); k-- > 0;) {
        const ir::Node& n = g.nodes[k];
        bool needed = false;
        for (const std::string& o : n.outputs) needed = needed || (!o.empty() && live.count(o));
        if (!needed) {
            remove[k] = true;
            changed = true;
            continue;
        }
        for (const std::string& in : n.inputs)
            if (!in.empty()) live.insert(in);
        for (const ir::Attribute& a : n.attributes) {
            if (a.g) collect_outer_references(*a.g, live);
            for (const auto& sg : a.graphs)
                if (sg) collect_outer_references(*sg, live);
        }
    }
    if (!changed) return false;
    erase_nodes(g, remove);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

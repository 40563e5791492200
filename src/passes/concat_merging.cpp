// merge_concats.
#include "passes/concat_merging.hpp"

#include <optional>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

// The Concat's axis, made non-negative when an input's rank is annotated.
std::optional<int64_t> concat_axis(const ir::Graph& g, const ir::Node& n) {
    const ir::Attribute* a = n.find_attribute("axis");
    if (!a) return std::nullopt;
    int64_t axis = a->i;
    if (axis >= 0) return axis;
    for (const std::string& in : n.inputs) {
        const ir::Shape* s = in.empty() ? nullptr : annotated_shape(g, in);
        if (s && s->has_rank) return axis + s->rank();
    }
    return axis;  // negative: matches only the same negative value
}

// One merge; false when no pair is left.
bool merge_one(ir::Graph& g) {
    UseMap uses(g);
    auto producers = g.producers();
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& outer = g.nodes[i];
        if (!is_op(outer, "Concat") || outer.outputs.size() != 1) continue;
        const std::optional<int64_t> axis = concat_axis(g, outer);
        if (!axis) continue;
        for (size_t k = 0; k < outer.inputs.size(); ++k) {
            auto pit = producers.find(outer.inputs[k]);
            if (pit == producers.end()) continue;
            const ir::Node& inner = g.nodes[pit->second];
            if (!is_op(inner, "Concat") || inner.outputs.size() != 1 || concat_axis(g, inner) != axis) continue;
            if (uses.sole_reader(inner.outputs[0]) != i) continue;
            std::vector<std::string> merged(outer.inputs.begin(), outer.inputs.begin() + static_cast<long>(k));
            merged.insert(merged.end(), inner.inputs.begin(), inner.inputs.end());
            merged.insert(merged.end(), outer.inputs.begin() + static_cast<long>(k) + 1, outer.inputs.end());
            g.nodes[i].inputs = std::move(merged);
            std::vector<bool> remove(g.nodes.size(), false);
            remove[pit->second] = true;
            erase_nodes(g, remove);
            return true;
        }
    }
    return false;
}

}  // namespace

bool merge_concats(ir::Model& model) {
    bool changed = false;
    while (merge_one(model.graph)) changed = true;
    if (changed) prune_value_info(model.graph);
    return changed;
}

}  // namespace edgeinfer::passes

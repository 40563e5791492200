// merge_layout_ops.
#include "passes/layout_merging.hpp"

#include <algorithm>
#include <set>

#include "passes/bypass.hpp"
#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

bool is_reshape_like(const ir::Node& n) {
    return is_op(n, "Reshape") || is_op(n, "Flatten") || is_op(n, "Squeeze") || is_op(n, "Unsqueeze");
}

// Transpose ∘ Transpose: second[i] reads first's axis p2[i], which is input axis p1[p2[i]].
bool merge_transposes(ir::Node& first, ir::Node& second) {
    const ir::Attribute* a1 = first.find_attribute("perm");
    const ir::Attribute* a2 = second.find_attribute("perm");
    if (!a1 || !a2 || a1->ints.size() != a2->ints.size()) return false;
    std::vector<int64_t> p1 = a1->ints, p2 = a2->ints, c(p1.size());
    const auto r = static_cast<int64_t>(p1.size());
    for (size_t i = 0; i < p2.size(); ++i) {
        if (p2[i] < 0 || p2[i] >= r) return false;
        c[i] = p1[p2[i]];
    }
    second.inputs[0] = first.inputs[0];
    set_attribute(second, make_ints_attr("perm", c));
    return true;
}

bool reshape_takes_any_input(const ir::Graph& g, const ir::Node& reshape) {
    if (reshape.inputs.size() != 2) return false;
    auto target = constant_ints(g, reshape.inputs[1]);
    if (!target) return false;
    if (reshape.attr_int("allowzero", 0) != 0) return true;
    return std::find(target->begin(), target->end(), 0) == target->end();
}

// Axes of a Squeeze/Unsqueeze: attribute (opset < 13) or constant input; nullopt if unknown.
std::optional<std::vector<int64_t>> axes_of(const ir::Graph& g, const ir::Node& n) {
    if (const ir::Attribute* a = n.find_attribute("axes")) return a->ints;
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) return constant_ints(g, n.inputs[1]);
    return std::nullopt;
}

std::optional<std::vector<int64_t>> normalized(std::vector<int64_t> axes, int64_t rank) {
    for (int64_t& a : axes) {
        if (a < -rank || a >= rank) return std::nullopt;
        if (a < 0) a += rank;
    }
    std::sort(axes.begin(), axes.end());
    if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) return std::nullopt;
    return axes;
}

// Combined axes for Squeeze∘Squeeze or Unsqueeze∘Unsqueeze given the rank of the first's input.
std::optional<std::vector<int64_t>> combine_axes(bool squeeze, const std::vector<int64_t>& a1,
                                                 const std::vector<int64_t>& a2, int64_t rank) {
    const auto n1 = static_cast<int64_t>(a1.size()), n2 = static_cast<int64_t>(a2.size());
    // Squeeze: axes of the first in input coords; the second's axes index the remaining axes.
    // Unsqueeze: axes of the second in final coords; the first's axes index the other final axes.
    auto outer = normalized(squeeze ? a1 : a2, squeeze ? rank : rank + n1 + n2);
    auto inner = normalized(squeeze ? a2 : a1, squeeze ? rank - n1 : rank + n1);
    if (!outer || !inner) return std::nullopt;
    int64_t total = squeeze ? rank : rank + n1 + n2;
    std::vector<int64_t> rest;  // coords of the outer space not named by `outer`
    for (int64_t i = 0; i < total; ++i)
        if (!std::binary_search(outer->begin(), outer->end(), i)) rest.push_back(i);
    std::vector<int64_t> out = *outer;
    for (int64_t a : *inner) {
        if (a >= static_cast<int64_t>(rest.size())) return std::nullopt;
        out.push_back(rest[a]);
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool merge_squeezes(ir::Graph& g, ir::Node& first, ir::Node& second) {
    bool squeeze = is_op(first, "Squeeze");
    const ir::Shape* s = annotated_shape(g, first.inputs[0]);
    auto a1 = axes_of(g, first), a2 = axes_of(g, second);
    if (!s || !a1 || !a2 || a1->empty() || a2->empty()) return false;
    auto axes = combine_axes(squeeze, *a1, *a2, s->rank());
    if (!axes) return false;
    if (second.find_attribute("axes")) {
        set_attribute(second, make_ints_attr("axes", *axes));
    } else {
        std::string name = unique_value_name(g, second.name.empty() ? "axes" : second.name + ".axes");
        g.add_initializer(name,
                          Tensor::from_vector<int64_t>(DataType::kInt64, {static_cast<int64_t>(axes->size())}, *axes));
        second.inputs[1] = name;
    }
    second.inputs[0] = first.inputs[0];
    return true;
}

}  // namespace

bool merge_layout_ops(ir::Model& model) {
    ir::Graph& g = model.graph;
    bool changed = false;
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        ir::Node& second = g.nodes[i];
        if (second.inputs.empty() || second.inputs[0].empty() || second.outputs.empty()) continue;
        auto pit = producers.find(second.inputs[0]);
        if (pit == producers.end() || removed[pit->second]) continue;
        ir::Node& first = g.nodes[pit->second];
        if (first.inputs.empty() || uses.sole_reader(second.inputs[0]) != i) continue;
        bool merged = false;
        if (is_op(first, "Transpose") && is_op(second, "Transpose"))
            merged = merge_transposes(first, second);
        else if (is_reshape_like(first) && is_op(second, "Reshape"))
            merged = reshape_takes_any_input(g, second) && (second.inputs[0] = first.inputs[0], true);
        else if ((is_op(first, "Squeeze") && is_op(second, "Squeeze")) ||
                 (is_op(first, "Unsqueeze") && is_op(second, "Unsqueeze")))
            merged = merge_squeezes(g, first, second);
        if (!merged) continue;
        removed[pit->second] = true;  // only `second` read it
        changed = true;
        uses = UseMap(g);
        if (is_op(second, "Transpose")) {
            const auto& perm = second.find_attribute("perm")->ints;
            bool identity = true;
            for (size_t k = 0; k < perm.size(); ++k) identity = identity && perm[k] == static_cast<int64_t>(k);
            if (identity && bypass_node(g, i, second.inputs[0], second.outputs[0], uses, removed)) uses = UseMap(g);
        }
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

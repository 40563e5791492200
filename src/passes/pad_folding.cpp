// fold_pad.
#include "passes/pad_folding.hpp"

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

// The Pad's pads ([begin..., end...] over all axes) when it pads with zeros; nullopt otherwise.
std::optional<std::vector<int64_t>> zero_pads(const ir::Model& model, const ir::Node& pad) {
    const ir::Graph& g = model.graph;
    if (pad.attr_string("mode", "constant") != "constant") return std::nullopt;
    if (model.opset_version("") < 11) {
        if (pad.find_attribute("paddings")) return std::nullopt;  // Pad-1
        if (pad.attr_float("value", 0.0f) != 0.0f) return std::nullopt;
        const ir::Attribute* a = pad.find_attribute("pads");
        if (!a) return std::nullopt;
        return a->ints;
    }
    if (pad.inputs.size() < 2) return std::nullopt;
    auto pads = constant_ints(g, pad.inputs[1]);
    if (!pads) return std::nullopt;
    if (pad.inputs.size() > 2 && !pad.inputs[2].empty()) {
        const Tensor* v = constant_value(g, pad.inputs[2]);
        if (!v || v->numel() != 1) return std::nullopt;
        if (v->dtype() != DataType::kFloat32 || v->data_as<float>()[0] != 0.0f) return std::nullopt;
    }
    if (pad.inputs.size() > 3) return std::nullopt;  // axes (opset 18)
    return pads;
}

bool accepts_pads(const ir::Node& n) {
    if (n.attr_string("auto_pad", "NOTSET") != "NOTSET") return false;
    if (is_op(n, "Conv")) return true;
    if (is_op(n, "AveragePool")) return n.attr_int("count_include_pad", 0) == 1 && n.attr_int("ceil_mode", 0) == 0;
    return false;
}

}  // namespace

bool fold_pad(ir::Model& model) {
    ir::Graph& g = model.graph;
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        ir::Node& op = g.nodes[i];
        if (!accepts_pads(op) || op.inputs.empty()) continue;
        auto pit = producers.find(op.inputs[0]);
        if (pit == producers.end() || removed[pit->second]) continue;
        const ir::Node& pad = g.nodes[pit->second];
        if (!is_op(pad, "Pad") || uses.sole_reader(op.inputs[0]) != i) continue;
        auto pads = zero_pads(model, pad);
        if (!pads || pads->size() < 6 || pads->size() % 2 != 0) continue;
        const size_t rank = pads->size() / 2, spatial = rank - 2;
        bool ok = (*pads)[0] == 0 && (*pads)[1] == 0 && (*pads)[rank] == 0 && (*pads)[rank + 1] == 0;
        for (int64_t p : *pads) ok = ok && p >= 0;
        std::vector<int64_t> cur = op.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
        if (!ok || cur.size() != 2 * spatial) continue;
        for (size_t d = 0; d < spatial; ++d) {
            cur[d] += (*pads)[2 + d];
            cur[spatial + d] += (*pads)[rank + 2 + d];
        }
        set_attribute(op, make_ints_attr("pads", cur));
        op.inputs[0] = pad.inputs[0];
        removed[pit->second] = true;
        changed = true;
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

// store_conv_chains_blocked.
#include "passes/blocked_layout.hpp"

#include <string>
#include <vector>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

bool all_ones(const std::vector<int64_t>& v) {
    for (int64_t x : v)
        if (x != 1) return false;
    return true;
}

// [N, H, W, C] -> [N, C/16, H, W, 16]
ir::Shape blocked_shape(const ir::Shape& s) {
    ir::Shape b = s;
    b.dims = {s.dims[0], ir::Dim::known(s.dims[3].value / kConvBlock), s.dims[1], s.dims[2],
              ir::Dim::known(kConvBlock)};
    return b;
}

}  // namespace

bool winograd_candidate(const ir::Graph& g, const ir::Node& n) {
    if (n.domain != "edgeinfer" || n.op_type != "FusedConv" || n.attr_int("channels_last", 0) != 1) return false;
    if (n.attr_int("output_type", 1) != 1 || n.inputs.size() < 2 || n.outputs.size() != 1) return false;
    if (n.attr_int("group", 1) != 1 || !all_ones(n.attr_ints("strides")) || !all_ones(n.attr_ints("dilations")))
        return false;
    const ir::Shape* x = annotated_shape(g, n.inputs[0]);
    const ir::Shape* y = annotated_shape(g, n.outputs[0]);
    auto w = static_shape(g, n.inputs[1]);
    if (!x || !y || !w || x->rank() != 4 || y->rank() != 4 || w->size() != 4) return false;
    if (value_dtype(g, n.inputs[0]) != DataType::kFloat32 || value_dtype(g, n.outputs[0]) != DataType::kFloat32)
        return false;
    if ((*w)[2] != 3 || (*w)[3] != 3) return false;
    const ir::Dim &c = x->dims[3], &m = y->dims[3], &h = y->dims[1], &wd = y->dims[2];
    if (!c.is_known() || !m.is_known() || !h.is_known() || !wd.is_known()) return false;
    return c.value >= 64 && m.value >= 64 && h.value * wd.value >= 14 * 14;
}

bool store_conv_chains_blocked(ir::Model& model) {
    ir::Graph& g = model.graph;
    UseMap uses(g);
    std::vector<std::string> blocked;
    for (const ir::Node& n : g.nodes) {
        if (!winograd_candidate(g, n)) continue;
        const std::string& y = n.outputs[0];
        if (annotated_shape(g, y)->dims[3].value % kConvBlock != 0) continue;
        if (uses.is_graph_output(y) || uses.used_by_subgraph(y) || uses.readers(y).empty()) continue;
        bool ok = true;
        for (size_t r : uses.readers(y)) {
            const ir::Node& reader = g.nodes[r];
            ok = ok && winograd_candidate(g, reader);
            for (size_t k = 0; ok && k < reader.inputs.size(); ++k)
                if (reader.inputs[k] == y && k != 0 && k != 3) ok = false;  // W or B: read as stored
        }
        if (ok) blocked.push_back(y);
    }
    if (blocked.empty()) return false;
    for (const std::string& y : blocked) {
        for (ir::Node& n : g.nodes) {
            if (!n.outputs.empty() && n.outputs[0] == y) set_attribute(n, make_int_attr("y_block", kConvBlock));
            if (!n.inputs.empty() && n.inputs[0] == y) set_attribute(n, make_int_attr("x_block", kConvBlock));
            if (n.inputs.size() > 3 && n.inputs[3] == y) set_attribute(n, make_int_attr("z_block", kConvBlock));
        }
        for (ir::ValueInfo& v : g.value_info)
            if (v.name == y) v.shape = blocked_shape(v.shape);
    }
    return true;
}

}  // namespace edgeinfer::passes

// form_bf16_regions.
#include "passes/bf16_regions.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "passes/conv_fusion.hpp"
#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

bool is_edgeinfer(const ir::Node& n, const char* op) { return n.domain == "edgeinfer" && n.op_type == op; }

bool channels_last_conv(const ir::Node& n) {
    return is_edgeinfer(n, "FusedConv") && n.attr_int("channels_last", 0) != 0;
}

bool channels_last_pool(const ir::Node& n) {
    if (n.domain != "edgeinfer" || n.attr_int("channels_last", 0) == 0) return false;
    for (const char* op : {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"})
        if (n.op_type == op) return n.outputs.size() == 1 || n.outputs[1].empty();  // no Indices
    return false;
}

// A binary op of a channels-last region that oneDNN's binary primitive can run: two float32
// operands of rank <= 4 with fully annotated shapes (known or named dims), one of which (the first,
// or either for a commutative op) has the rank-4 output's shape; the other broadcasts.
bool region_binary(const ir::Graph& g, const ir::Node& n) {
    if (!is_binary_arithmetic(n)) return false;
    auto y = complete_shape(g, n.outputs[0]);
    if (!y || y->rank() != 4) return false;
    for (const std::string& in : n.inputs) {
        auto s = complete_shape(g, in);
        DataType t = value_dtype(g, in);
        if (!s || s->rank() > 4 || (t != DataType::kFloat32 && t != DataType::kUndefined)) return false;
    }
    if (complete_shape(g, n.inputs[0]) == y) return true;
    return is_commutative_binary(n.op_type) && complete_shape(g, n.inputs[1]) == y;
}

void annotate_bf16(ir::Graph& g, const std::string& value) {
    for (ir::ValueInfo& v : g.value_info)
        if (v.name == value) {
            v.dtype = DataType::kBFloat16;
            return;
        }
    g.value_info.push_back(ir::ValueInfo{value, DataType::kBFloat16, {}, {}});
}

}  // namespace

bool form_bf16_regions(ir::Model& model, const std::vector<std::string>& keep_fp32) {
    ir::Graph& g = model.graph;
    const std::unordered_set<std::string> pinned(keep_fp32.begin(), keep_fp32.end());
    auto producers = g.producers();
    std::vector<bool> member(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (pinned.count(n.name)) continue;
        if (channels_last_conv(n) || channels_last_pool(n)) {
            member[i] = true;
        } else if (region_binary(g, n)) {
            // Inside a region only: some operand comes from a member (the nodes are in order).
            for (const std::string& in : n.inputs) {
                auto p = producers.find(in);
                if (p != producers.end() && member[p->second]) member[i] = true;
            }
        }
    }
    UseMap uses(g);
    std::unordered_set<std::string> bf16_values;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        if (!member[i]) continue;
        const std::string& y = g.nodes[i].outputs[0];
        if (uses.is_graph_output(y) || uses.used_by_subgraph(y) || uses.readers(y).empty()) continue;
        bool all_members = true;
        for (size_t r : uses.readers(y)) all_members = all_members && member[r];
        if (all_members) bf16_values.insert(y);
    }
    if (bf16_values.empty()) return false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        if (!member[i]) continue;
        ir::Node& n = g.nodes[i];
        bool reads_bf16 = std::any_of(n.inputs.begin(), n.inputs.end(),
                                      [&](const std::string& in) { return bf16_values.count(in) > 0; });
        bool writes_bf16 = bf16_values.count(n.outputs[0]) > 0;
        if (!reads_bf16 && !writes_bf16) continue;  // fp32 on both sides: unchanged
        if (ir::is_onnx_domain(n.domain)) n.domain = "edgeinfer";  // binary ops
        if (writes_bf16) {
            set_attribute(n, make_int_attr("output_type", kOnnxBfloat16));
            annotate_bf16(g, n.outputs[0]);
        }
    }
    ensure_edgeinfer_opset(model);
    return true;
}

}  // namespace edgeinfer::passes

// fuse_conv_add, fuse_conv_activation and fuse_gemm_activation.
#include "passes/conv_fusion.hpp"

#include <limits>
#include <optional>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

bool is_fused_conv(const ir::Node& n) { return n.domain == "edgeinfer" && n.op_type == "FusedConv"; }

// A Gemm (rank-2 by definition) not yet fused.
bool fusable_gemm(const ir::Node& n) { return is_op(n, "Gemm") && n.outputs.size() == 1; }

bool has_input(const ir::Node& n, size_t i) { return n.inputs.size() > i && !n.inputs[i].empty(); }

// A Conv that can become (or already is) a FusedConv still free for the fusion asked.
bool fusable_conv(const ir::Node& n, bool want_add) {
    if (n.outputs.size() != 1) return false;
    if (is_op(n, "Conv")) return true;
    if (!is_fused_conv(n) || n.find_attribute("activation") != nullptr) return false;
    return !want_add || !has_input(n, 3);
}

// Shapes that are provably equal at run time: same rank, every dim known or named alike.
bool same_static_shape(const ir::Graph& g, const std::string& a, const std::string& b) {
    const ir::Shape* sa = annotated_shape(g, a);
    const ir::Shape* sb = annotated_shape(g, b);
    if (!sa || !sb || !sa->has_rank || !(*sa == *sb)) return false;
    for (const ir::Dim& d : sa->dims)
        if (!d.is_known() && d.symbol.empty()) return false;
    return true;
}

// Turns `conv` into a FusedConv in place (keeps its name, inputs and attributes).
void make_fused(ir::Node& conv) {
    conv.domain = "edgeinfer";
    conv.op_type = "FusedConv";
}

ir::Attribute string_attr(const std::string& name, std::string v) {
    ir::Attribute a;
    a.name = name;
    a.kind = ir::Attribute::Kind::kString;
    a.s = std::move(v);
    return a;
}

ir::Attribute floats_attr(const std::string& name, std::vector<float> v) {
    ir::Attribute a;
    a.name = name;
    a.kind = ir::Attribute::Kind::kFloats;
    a.floats = std::move(v);
    return a;
}

std::optional<float> constant_scalar(const ir::Graph& g, const ir::Node& n, size_t i) {
    if (!has_input(n, i)) return std::nullopt;
    const Tensor* t = constant_value(g, n.inputs[i]);
    if (!t || t->dtype() != DataType::kFloat32 || t->numel() != 1) return std::nullopt;
    return t->data_as<float>()[0];
}

struct ActivationMatch {
    std::string name;
    std::vector<float> params;
};

// The activation `n` computes, when FusedConv can express it.
std::optional<ActivationMatch> match_activation(const ir::Model& m, const ir::Node& n) {
    if (n.domain != "" && n.domain != "ai.onnx") return std::nullopt;
    if (n.outputs.size() != 1) return std::nullopt;
    const std::string& op = n.op_type;
    if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Softplus") return ActivationMatch{op, {}};
    if (op == "HardSwish") return ActivationMatch{op, {}};
    if (op == "LeakyRelu") return ActivationMatch{op, {n.attr_float("alpha", 0.01f)}};
    if (op == "Elu") return ActivationMatch{op, {n.attr_float("alpha", 1.0f)}};
    if (op == "HardSigmoid") return ActivationMatch{op, {n.attr_float("alpha", 0.2f), n.attr_float("beta", 0.5f)}};
    if (op == "Clip") {
        float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
        if (m.opset_version("") < 11) {
            lo = n.attr_float("min", lo);
            hi = n.attr_float("max", hi);
        } else {
            for (size_t i = 1; i < n.inputs.size(); ++i) {
                if (n.inputs[i].empty()) continue;
                auto v = constant_scalar(m.graph, n, i);
                if (!v) return std::nullopt;  // bounds computed at run time
                (i == 1 ? lo : hi) = *v;
            }
        }
        return ActivationMatch{"Clip", {lo, hi}};
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> gate_activation(const ir::Node& gate) {
    if (gate.outputs.size() != 1) return std::nullopt;
    if (is_op(gate, "Sigmoid")) return "SiLU";
    if (!is_op(gate, "HardSigmoid")) return std::nullopt;
    if (gate.attr_float("alpha", 0.2f) != 1.0f / 6.0f || gate.attr_float("beta", 0.5f) != 0.5f) return std::nullopt;
    return "HardSwish";
}

void ensure_edgeinfer_opset(ir::Model& model) {
    for (const ir::OpsetId& o : model.opset_imports)
        if (o.domain == "edgeinfer") return;
    model.opset_imports.push_back(ir::OpsetId{"edgeinfer", 1});
}

bool fuse_conv_add(ir::Model& model) {
    ir::Graph& g = model.graph;
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        ir::Node& add = g.nodes[i];
        if (!is_op(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
        if (value_dtype(g, add.outputs[0]) != DataType::kFloat32) continue;
        for (int side = 0; side < 2; ++side) {
            const std::string& y = add.inputs[side];
            const std::string& z = add.inputs[1 - side];
            auto pit = producers.find(y);
            if (pit == producers.end() || removed[pit->second] || y == z) continue;
            ir::Node& conv = g.nodes[pit->second];
            if (!fusable_conv(conv, true) || uses.sole_reader(y) != i) continue;
            if (constant_value(g, z) != nullptr || !same_static_shape(g, y, z)) continue;
            // The fused node replaces the Add (Z may be computed after the Conv).
            ir::Node fused = conv;
            make_fused(fused);
            fused.inputs.resize(4);
            fused.inputs[3] = z;
            fused.outputs = add.outputs;
            add = std::move(fused);
            removed[pit->second] = true;
            changed = true;
            break;
        }
    }
    if (!changed) return false;
    ensure_edgeinfer_opset(model);
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

namespace {

// Producer + activation → FusedConv (gemm = false) or FusedGemm (gemm = true).
bool fuse_activation(ir::Model& model, bool gemm) {
    ir::Graph& g = model.graph;
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    // Rewrites node `at` (the last node of the pattern) into the conv fused with `act`.
    auto fuse = [&](size_t conv_index, size_t at, const ActivationMatch& act) {
        ir::Node fused = g.nodes[conv_index];
        fused.domain = "edgeinfer";
        fused.op_type = gemm ? "FusedGemm" : "FusedConv";
        set_attribute(fused, string_attr("activation", act.name));
        if (!act.params.empty()) set_attribute(fused, floats_attr("activation_params", act.params));
        fused.outputs = g.nodes[at].outputs;
        g.nodes[at] = std::move(fused);
        removed[conv_index] = true;
        changed = true;
    };
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (removed[i] || n.inputs.empty() || n.inputs[0].empty()) continue;
        // SiLU: Mul(y, Sigmoid(y)); HardSwish: Mul(y, HardSigmoid(y, 1/6, 1/2)) (how PyTorch exports
        // hardswish before opset 14); y from a conv.
        if (is_op(n, "Mul") && n.inputs.size() == 2 && n.outputs.size() == 1) {
            for (int side = 0; side < 2; ++side) {
                const std::string& y = n.inputs[side];
                auto sit = producers.find(n.inputs[1 - side]);
                auto cit = producers.find(y);
                if (sit == producers.end() || cit == producers.end() || removed[cit->second]) continue;
                const ir::Node& sig = g.nodes[sit->second];
                std::optional<std::string> act = gate_activation(sig);
                if (!act || sig.inputs.size() != 1 || sig.inputs[0] != y) continue;
                if (uses.sole_reader(sig.outputs[0]) != i || uses.is_graph_output(y) || uses.used_by_subgraph(y) ||
                    uses.reader_count(y) != 2)
                    continue;
                const ir::Node& p = g.nodes[cit->second];
                if (gemm ? !fusable_gemm(p) : !fusable_conv(p, false)) continue;
                removed[sit->second] = true;
                fuse(cit->second, i, ActivationMatch{*act, {}});
                break;
            }
            continue;
        }
        auto act = match_activation(model, n);
        if (!act) continue;
        auto cit = producers.find(n.inputs[0]);
        if (cit == producers.end() || removed[cit->second]) continue;
        const ir::Node& p = g.nodes[cit->second];
        if ((gemm ? !fusable_gemm(p) : !fusable_conv(p, false)) || uses.sole_reader(n.inputs[0]) != i) continue;
        fuse(cit->second, i, *act);
    }
    if (!changed) return false;
    ensure_edgeinfer_opset(model);
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace

bool fuse_conv_activation(ir::Model& model) { return fuse_activation(model, false); }

bool fuse_gemm_activation(ir::Model& model) { return fuse_activation(model, true); }

}  // namespace edgeinfer::passes

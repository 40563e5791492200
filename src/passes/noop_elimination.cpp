// eliminate_noops.
#include "passes/noop_elimination.hpp"

#include "passes/bypass.hpp"
#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

bool dropout_is_noop(const ir::Graph& g, const ir::Node& n, const UseMap& uses) {
    if (n.outputs.size() > 1 && !n.outputs[1].empty() && uses.is_used(n.outputs[1])) return false;
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
        const Tensor* t = constant_value(g, n.inputs[2]);
        if (!t || t->dtype() != DataType::kBool || t->numel() != 1 || t->data_as<uint8_t>()[0] != 0) return false;
    }
    return true;
}

// Target shape of a Reshape applied to `in` (0 copies, -1 infers), or nullopt when not static.
std::optional<std::vector<int64_t>> reshape_result(const std::vector<int64_t>& in, const std::vector<int64_t>& target,
                                                   bool allowzero) {
    std::vector<int64_t> out(target.size());
    int64_t known = 1;
    int infer_at = -1;
    for (size_t i = 0; i < target.size(); ++i) {
        int64_t d = target[i];
        if (d == 0 && !allowzero) {
            if (i >= in.size()) return std::nullopt;
            d = in[i];
        }
        if (d == -1) {
            if (infer_at >= 0) return std::nullopt;
            infer_at = static_cast<int>(i);
            continue;
        }
        if (d < 0) return std::nullopt;
        out[i] = d;
        known *= d;
    }
    if (infer_at >= 0) {
        if (known == 0) return std::nullopt;
        out[infer_at] = shape_numel(in) / known;
    }
    if (shape_numel(out) != shape_numel(in)) return std::nullopt;
    return out;
}

bool reshape_is_noop(const ir::Graph& g, const ir::Node& n) {
    if (n.inputs.size() < 2) return false;  // Reshape-1 (shape attribute) is left alone
    auto target = constant_ints(g, n.inputs[1]);
    auto in = static_shape(g, n.inputs[0]);
    if (!target || !in) return false;
    auto out = reshape_result(*in, *target, n.attr_int("allowzero", 0) != 0);
    return out && *out == *in;
}

// Reshape of a value whose shape is known up to named dims ("batch"): the same rank, each target entry
// keeps its dim (0 copies it, or the same known value), and at most one -1, which then gets the dim left.
bool symbolic_reshape_is_noop(const ir::Graph& g, const ir::Node& n) {
    if (n.inputs.size() < 2) return false;
    auto target = constant_ints(g, n.inputs[1]);
    auto in = complete_shape(g, n.inputs[0]);
    if (!target || !in || static_cast<int64_t>(target->size()) != in->rank()) return false;
    const bool allowzero = n.attr_int("allowzero", 0) != 0;
    int infer = 0;
    for (size_t i = 0; i < target->size(); ++i) {
        const int64_t t = (*target)[i];
        const ir::Dim& d = in->dims[i];
        if (t == 0 && !allowzero) continue;
        if (t > 0 && d.is_known() && d.value == t) continue;
        if (t == -1 && ++infer == 1) continue;
        return false;
    }
    return true;
}

// Flatten of a rank-2 value at axis 1 (or -1): [a, b] stays [a, b].
bool flatten_is_noop(const ir::Graph& g, const ir::Node& n) {
    const ir::Shape* s = annotated_shape(g, n.inputs[0]);
    if (!s || !s->has_rank || s->rank() != 2) return false;
    const int64_t axis = n.attr_int("axis", 1);
    return axis == 1 || axis == -1;
}

bool transpose_is_noop(const ir::Graph& g, const ir::Node& n) {
    const ir::Attribute* perm = n.find_attribute("perm");
    if (!perm) {  // default: reverse the axes, a no-op only for rank 0 and 1
        const ir::Shape* s = annotated_shape(g, n.inputs[0]);
        return s && s->rank() <= 1;
    }
    for (size_t i = 0; i < perm->ints.size(); ++i)
        if (perm->ints[i] != static_cast<int64_t>(i)) return false;
    return true;
}

bool cast_is_noop(const ir::Graph& g, const ir::Node& n) {
    DataType in = value_dtype(g, n.inputs[0]);
    return in != DataType::kUndefined && in != DataType::kString && static_cast<int64_t>(in) == n.attr_int("to", -1);
}

bool is_noop(const ir::Graph& g, const ir::Node& n, const UseMap& uses) {
    if (!ir::is_onnx_domain(n.domain) || n.inputs.empty() || n.outputs.empty() || n.inputs[0].empty()) return false;
    if (n.op_type == "Identity") return true;
    if (n.op_type == "Dropout") return dropout_is_noop(g, n, uses);
    if (n.op_type == "Cast") return cast_is_noop(g, n);
    if (n.op_type == "Transpose") return transpose_is_noop(g, n);
    if (n.op_type == "Reshape") return reshape_is_noop(g, n) || symbolic_reshape_is_noop(g, n);
    if (n.op_type == "Flatten") return flatten_is_noop(g, n);
    return false;
}

}  // namespace

bool eliminate_noops(ir::Model& model) {
    ir::Graph& g = model.graph;
    bool changed = false;
    UseMap uses(g);
    std::vector<bool> removed(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (!is_noop(g, n, uses)) continue;
        std::string in = n.inputs[0], out = n.outputs[0];
        changed = bypass_node(g, i, in, out, uses, removed) || changed;
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

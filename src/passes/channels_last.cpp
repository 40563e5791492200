// convert_to_channels_last.
#include "passes/channels_last.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "passes/conv_fusion.hpp"
#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

const std::vector<int64_t> kToNhwc{0, 2, 3, 1};
const std::vector<int64_t> kToNchw{0, 3, 1, 2};

enum class Role { kKeep, kSensitive, kUnary, kBinary, kConcat };

bool onnx_domain(const ir::Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

bool rank4_float(const ir::Graph& g, const std::string& v) {
    if (v.empty() || value_dtype(g, v) != DataType::kFloat32) return false;
    const ir::Shape* s = annotated_shape(g, v);
    return s && s->has_rank && s->rank() == 4;
}

bool single_output(const ir::Node& n) {
    for (size_t k = 1; k < n.outputs.size(); ++k)
        if (!n.outputs[k].empty()) return false;
    return !n.outputs.empty() && !n.outputs[0].empty();
}

// Nodes whose channels-last form is a different kernel (they profit from the layout).
bool layout_sensitive(const ir::Graph& g, const ir::Node& n) {
    if (!single_output(n) || n.inputs.empty() || !rank4_float(g, n.inputs[0]) || !rank4_float(g, n.outputs[0]))
        return false;
    bool fused = n.domain == "edgeinfer" && n.op_type == "FusedConv";
    if (fused) return n.attr_int("channels_last", 0) == 0;
    if (!onnx_domain(n)) return false;
    if (n.op_type == "Conv") return n.inputs.size() < 2 || value_dtype(g, n.inputs[1]) != DataType::kUndefined;
    if (n.op_type == "MaxPool" || n.op_type == "AveragePool") {
        // Windows lying entirely in padding need the reference code, which is NCHW only.
        std::vector<int64_t> k = n.attr_ints("kernel_shape"), pads = n.attr_ints("pads");
        for (size_t i = 0; i < pads.size(); ++i)
            if (k.empty() || pads[i] >= k[i % k.size()]) return false;
    }
    if (n.op_type == "MaxPool") return n.attr_int("storage_order", 0) == 0;
    if (n.op_type == "AveragePool")  // oneDNN cannot count padding inside a ceil_mode tail
        return !(n.attr_int("ceil_mode", 0) != 0 && n.attr_int("count_include_pad", 0) != 0);
    return n.op_type == "GlobalAveragePool" || n.op_type == "GlobalMaxPool";
}

bool unary_agnostic(const ir::Graph& g, const ir::Node& n) {
    static const std::unordered_set<std::string> ops{
        "Relu",     "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish", "Elu",      "Selu",
        "Softplus", "Abs",     "Neg",  "Exp",       "Sqrt",        "Erf",       "Identity", "Clip"};
    if (!onnx_domain(n) || !ops.count(n.op_type) || n.outputs.size() != 1 || n.inputs.empty()) return false;
    for (size_t i = 1; i < n.inputs.size(); ++i)  // Clip bounds: constant scalars or omitted
        if (!n.inputs[i].empty() && !constant_value(g, n.inputs[i])) return false;
    return rank4_float(g, n.outputs[0]);
}

bool binary_agnostic(const ir::Graph& g, const ir::Node& n) {
    if (!is_binary_arithmetic(n) || !rank4_float(g, n.outputs[0])) return false;
    for (const std::string& in : n.inputs) {
        if (const Tensor* t = constant_value(g, in)) {
            if (t->dtype() != DataType::kFloat32 || t->rank() > 4) return false;
        } else if (!rank4_float(g, in)) {
            return false;
        }
    }
    return true;
}

bool concat_on_channels(const ir::Graph& g, const ir::Node& n) {
    if (!onnx_domain(n) || n.op_type != "Concat" || n.outputs.size() != 1 || !rank4_float(g, n.outputs[0]))
        return false;
    int64_t axis = n.attr_int("axis", 1);
    if (axis != 1 && axis != -3) return false;
    for (const std::string& in : n.inputs)
        if (constant_value(g, in) || !rank4_float(g, in)) return false;
    return true;
}

// Indices of the inputs that carry activations (the ones whose layout changes).
std::vector<size_t> data_inputs(const ir::Node& n, Role role) {
    if (role == Role::kSensitive) {
        if (n.op_type == "FusedConv" && n.inputs.size() > 3 && !n.inputs[3].empty()) return {0, 3};
        return {0};
    }
    if (role == Role::kUnary) return {0};
    std::vector<size_t> all(n.inputs.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
}

ir::Node transpose_node(const std::string& name, const std::string& in, const std::string& out,
                        const std::vector<int64_t>& perm) {
    ir::Node t;
    t.name = name;
    t.op_type = "Transpose";
    t.inputs = {in};
    t.outputs = {out};
    t.attributes.push_back(make_ints_attr("perm", perm));
    return t;
}

ir::Shape permuted(const ir::Shape& s, const std::vector<int64_t>& perm) {
    ir::Shape out = s;
    for (size_t i = 0; i < perm.size(); ++i) out.dims[i] = s.dims[perm[i]];
    return out;
}

// A constant operand of a channels-last binary node: broadcast to rank 4, then permuted to NHWC.
Tensor constant_to_nhwc(const Tensor& t) {
    std::vector<int64_t> d = t.dims();
    d.insert(d.begin(), 4 - d.size(), 1);
    std::vector<int64_t> nd{d[0], d[2], d[3], d[1]};
    Tensor out = Tensor::allocate(DataType::kFloat32, nd);
    const float* src = t.data_as<float>();
    float* dst = out.data_as<float>();
    for (int64_t n = 0; n < d[0]; ++n)
        for (int64_t h = 0; h < d[2]; ++h)
            for (int64_t w = 0; w < d[3]; ++w)
                for (int64_t c = 0; c < d[1]; ++c) *dst++ = src[((n * d[1] + c) * d[2] + h) * d[3] + w];
    return out;
}

// A Transpose node with exactly this permutation.
bool is_transpose(const ir::Node& n, const std::vector<int64_t>& perm) {
    return is_op(n, "Transpose") && n.inputs.size() == 1 && n.outputs.size() == 1 && n.attr_ints("perm") == perm;
}

// Detection heads (SSD, RetinaNet) read a conv output x [N,C,H,W] as Reshape(x, [N,A,K,H,W]) then
// Transpose(perm 0,3,4,1,2) to [N,H,W,A,K]: in channels-last memory that is only a Reshape of the
// NHWC value. Rewrites such Transpose -> Reshape -> Transpose chains that start at a channels-last
// region's exit (`nhwc` = the region's value); removes the exit Transpose and the first Reshape
// when nothing else reads them. Returns whether anything changed.
bool fold_head_reshapes(ir::Graph& g) {
    static const std::vector<int64_t> kHeadPerm{0, 3, 4, 1, 2};
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        ir::Node& t2 = g.nodes[i];
        if (!is_transpose(t2, kHeadPerm)) continue;
        auto rit = producers.find(t2.inputs[0]);
        if (rit == producers.end() || !uses.sole_reader(t2.inputs[0])) continue;
        const ir::Node& r = g.nodes[rit->second];
        if (!is_op(r, "Reshape") || r.inputs.size() != 2 || r.outputs.size() != 1 || r.attr_int("allowzero", 0) != 0)
            continue;
        auto t1it = producers.find(r.inputs[0]);
        if (t1it == producers.end() || !is_transpose(g.nodes[t1it->second], kToNchw)) continue;
        const ir::Node& t1 = g.nodes[t1it->second];
        auto x = static_shape(g, t1.inputs[0]);      // [N, H, W, C]
        auto split = static_shape(g, r.outputs[0]);  // [N, A, K, H, W]
        if (!x || !split || x->size() != 4 || split->size() != 5 || !constant_value(g, r.inputs[1])) continue;
        const auto& d = *split;
        if (d[0] != (*x)[0] || d[1] * d[2] != (*x)[3] || d[3] != (*x)[1] || d[4] != (*x)[2]) continue;
        std::string shape_name = unique_value_name(g, t2.name + "_nhwc_shape");
        g.add_initializer(shape_name,
                          Tensor::from_vector<int64_t>(DataType::kInt64, {5}, {d[0], d[3], d[4], d[1], d[2]}));
        ir::Node reshape;
        reshape.name = t2.name;
        reshape.op_type = "Reshape";
        reshape.inputs = {t1.inputs[0], shape_name};
        reshape.outputs = t2.outputs;
        size_t r_index = rit->second, t1_index = t1it->second;
        const std::string nchw_value = t1.outputs[0];
        t2 = std::move(reshape);
        removed[r_index] = true;  // its only reader was t2
        // The exit Transpose stays while anything else reads the NCHW value.
        if (uses.reader_count(nchw_value) == 1 && !uses.is_graph_output(nchw_value) &&
            !uses.used_by_subgraph(nchw_value))
            removed[t1_index] = true;
        changed = true;
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace

bool convert_to_channels_last(ir::Model& model) {
    ir::Graph& g = model.graph;
    const size_t count = g.nodes.size();
    std::vector<Role> role(count, Role::kKeep);
    std::unordered_set<std::string> nhwc_values;  // produced in channels-last form
    bool any_sensitive = false;
    for (size_t i = 0; i < count; ++i) {
        const ir::Node& n = g.nodes[i];
        bool has_nhwc_input = false;
        for (const std::string& in : n.inputs) has_nhwc_input = has_nhwc_input || nhwc_values.count(in) > 0;
        if (layout_sensitive(g, n)) {
            role[i] = Role::kSensitive;
            any_sensitive = true;
        } else if (has_nhwc_input && unary_agnostic(g, n) && nhwc_values.count(n.inputs[0])) {
            role[i] = Role::kUnary;
        } else if (has_nhwc_input && binary_agnostic(g, n)) {
            role[i] = Role::kBinary;
        } else if (has_nhwc_input && concat_on_channels(g, n)) {
            role[i] = Role::kConcat;
        }
        if (role[i] != Role::kKeep) nhwc_values.insert(n.outputs[0]);
    }
    if (!any_sensitive) return false;

    UseMap uses(g);
    std::unordered_set<std::string> used;  // every name in the graph, for fresh ones
    for (const ir::Node& n : g.nodes) {
        used.insert(n.inputs.begin(), n.inputs.end());
        used.insert(n.outputs.begin(), n.outputs.end());
    }
    for (const auto* list : {&g.inputs, &g.outputs, &g.value_info})
        for (const ir::ValueInfo& v : *list) used.insert(v.name);
    used.insert(g.initializer_order.begin(), g.initializer_order.end());
    auto fresh = [&used](const std::string& base) {
        std::string name = base;
        for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
        used.insert(name);
        return name;
    };
    std::unordered_map<std::string, std::string> nhwc_name;  // NCHW value -> its channels-last twin
    std::vector<ir::Node> out;
    out.reserve(count + 16);
    auto annotate = [&](const std::string& from, const std::string& to, const std::vector<int64_t>& perm) {
        const ir::Shape* s = annotated_shape(g, from);
        if (s) g.value_info.push_back(ir::ValueInfo{to, DataType::kFloat32, permuted(*s, perm), {}});
    };
    // The channels-last twin of `v`, creating a Transpose (or a permuted constant) on first use.
    auto twin = [&](const std::string& v) -> std::string {
        auto it = nhwc_name.find(v);
        if (it != nhwc_name.end()) return it->second;
        std::string name = fresh(v + "_nhwc");
        if (const Tensor* t = constant_value(g, v)) {
            g.add_initializer(name, constant_to_nhwc(*t));
        } else {
            out.push_back(transpose_node(name, v, name, kToNhwc));
            annotate(v, name, kToNhwc);
        }
        nhwc_name[v] = name;
        return name;
    };
    for (size_t i = 0; i < count; ++i) {
        ir::Node n = std::move(g.nodes[i]);
        if (role[i] == Role::kKeep) {
            out.push_back(std::move(n));
            continue;
        }
        for (size_t k : data_inputs(n, role[i]))
            if (k < n.inputs.size() && !n.inputs[k].empty()) n.inputs[k] = twin(n.inputs[k]);
        if (role[i] == Role::kSensitive) {
            n.domain = "edgeinfer";
            if (n.op_type == "Conv") n.op_type = "FusedConv";
            set_attribute(n, make_int_attr("channels_last", 1));
        } else if (role[i] == Role::kConcat) {
            set_attribute(n, make_int_attr("axis", 3));
        }
        // The output gets a channels-last name; NCHW readers and graph outputs read it back through
        // a Transpose that keeps the original name.
        const std::string y = n.outputs[0];
        std::string y_nhwc = fresh(y + "_nhwc");
        n.outputs[0] = y_nhwc;
        annotate(y, y_nhwc, kToNhwc);
        nhwc_name[y] = y_nhwc;
        out.push_back(std::move(n));
        bool nchw_needed = uses.is_graph_output(y) || uses.used_by_subgraph(y);
        for (size_t r : uses.readers(y)) {
            nchw_needed = nchw_needed || role[r] == Role::kKeep;
            // A region node reading y other than as data (a conv's run-time weights) reads it NCHW.
            std::vector<size_t> data = data_inputs(g.nodes[r], role[r]);
            const std::vector<std::string>& ins = g.nodes[r].inputs;
            for (size_t k = 0; k < ins.size(); ++k)
                if (ins[k] == y && std::find(data.begin(), data.end(), k) == data.end()) nchw_needed = true;
        }
        if (nchw_needed) out.push_back(transpose_node(fresh(y_nhwc + "_to_nchw"), y_nhwc, y, kToNchw));
    }
    g.nodes = std::move(out);
    fold_head_reshapes(g);
    ensure_edgeinfer_opset(model);
    return true;
}

}  // namespace edgeinfer::passes

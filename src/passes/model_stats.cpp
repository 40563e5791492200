// Op histogram, parameter counts and MAC estimates over an ir::Graph.
#include "passes/model_stats.hpp"

#include <algorithm>
#include <unordered_set>

namespace edgeinfer::passes {
namespace {

// Known dims of a value; symbolic dims (usually the batch) count as 1 and set *assumed.
std::optional<std::vector<int64_t>> dims_of(const ir::Graph& g, const std::string& name, bool* assumed) {
    if (name.empty()) return std::nullopt;
    if (const Tensor* t = g.find_initializer(name)) return t->dims();
    const ir::ValueInfo* vi = g.find_value_info(name);
    if (!vi || !vi->shape.has_rank) return std::nullopt;
    std::vector<int64_t> out;
    for (const ir::Dim& d : vi->shape.dims) {
        if (d.is_known()) {
            out.push_back(d.value);
        } else if (!d.symbol.empty()) {
            out.push_back(1);
            *assumed = true;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

int64_t product(const std::vector<int64_t>& v, size_t from, size_t to) {
    int64_t p = 1;
    for (size_t i = from; i < to && i < v.size(); ++i) p *= v[i];
    return p;
}

int64_t attr_at(const std::vector<int64_t>& v, size_t i, int64_t fallback) { return i < v.size() ? v[i] : fallback; }

// (output position, kernel tap) pairs of one spatial axis whose input index lies inside the input,
// or -1 when the attributes do not describe this axis.
int64_t taps_inside(const ir::Node& n, size_t axis, size_t rank, int64_t in, int64_t k, int64_t out) {
    const int64_t s = attr_at(n.attr_ints("strides"), axis, 1), d = attr_at(n.attr_ints("dilations"), axis, 1);
    const std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
    int64_t pl = 0;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
        pl = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (auto_pad != "VALID") {
        std::vector<int64_t> pads = n.attr_ints("pads");
        if (!pads.empty() && pads.size() != 2 * rank) return -1;
        pl = attr_at(pads, axis, 0);
    }
    if (s < 1 || d < 1) return -1;
    int64_t count = 0;
    for (int64_t t = 0; t < k; ++t) {  // outputs o with 0 <= o*s - pl + t*d < in
        int64_t first = t * d - pl;    // input index read by output 0
        int64_t lo = first >= 0 ? 0 : (-first + s - 1) / s;
        int64_t hi = in - 1 - first < 0 ? -1 : std::min<int64_t>(out - 1, (in - 1 - first) / s);
        if (hi >= lo) count += hi - lo + 1;
    }
    return count;
}

// Conv MACs without the taps that read padding; -1 when shapes are not known.
int64_t conv_effective_macs(const ir::Graph& g, const ir::Node& n, bool* assumed) {
    auto x = dims_of(g, n.inputs[0], assumed);
    auto w = dims_of(g, n.inputs[1], assumed);
    auto y = dims_of(g, n.outputs[0], assumed);
    if (!x || !w || !y || w->size() < 3 || y->size() != w->size() || x->size() != w->size()) return -1;
    const size_t rank = w->size() - 2;
    int64_t macs = (*y)[0] * (*y)[1] * (*w)[1];  // N * Cout * Cin/group
    for (size_t i = 0; i < rank; ++i) {
        int64_t c = taps_inside(n, i, rank, (*x)[i + 2], (*w)[i + 2], (*y)[i + 2]);
        if (c < 0) return -1;
        macs *= c;
    }
    return macs;
}

// MACs of one node, or -1 when shapes are not known. `effective` receives the MACs without taps
// on padding (equal to the result except for Conv).
int64_t node_macs(const ir::Graph& g, const ir::Node& n, bool* assumed, int64_t* effective) {
    *effective = 0;
    if (!ir::is_onnx_domain(n.domain)) return 0;
    if (n.op_type == "Conv" && n.inputs.size() >= 2 && !n.outputs.empty()) {
        auto w = dims_of(g, n.inputs[1], assumed);
        auto y = dims_of(g, n.outputs[0], assumed);
        if (!w || !y || w->size() < 3 || y->size() != w->size()) return -1;
        // each output element: Cin/group * prod(kernel) MACs
        int64_t all = shape_numel(*y) * product(*w, 1, w->size());
        int64_t eff = conv_effective_macs(g, n, assumed);
        *effective = eff < 0 ? all : eff;
        return all;
    }
    *effective = -1;  // the same as the result (set below)
    if (n.op_type == "ConvTranspose" && n.inputs.size() >= 2) {
        auto w = dims_of(g, n.inputs[1], assumed);  // Cin x Cout/group x k...
        auto x = dims_of(g, n.inputs[0], assumed);
        if (!w || !x || w->size() < 3 || x->size() != w->size()) return -1;
        // each input element scatters into Cout/group * prod(kernel) outputs
        return shape_numel(*x) * product(*w, 1, w->size());
    }
    if (n.op_type == "Gemm" && n.inputs.size() >= 2 && !n.outputs.empty()) {
        auto a = dims_of(g, n.inputs[0], assumed);
        auto y = dims_of(g, n.outputs[0], assumed);
        if (!a || !y || a->size() != 2 || y->size() != 2) return -1;
        int64_t k = n.attr_int("transA", 0) ? (*a)[0] : (*a)[1];
        return (*y)[0] * (*y)[1] * k;
    }
    if (n.op_type == "MatMul" && n.inputs.size() >= 2 && !n.outputs.empty()) {
        auto a = dims_of(g, n.inputs[0], assumed);
        auto y = dims_of(g, n.outputs[0], assumed);
        if (!a || !y || a->empty()) return -1;
        return shape_numel(*y) * a->back();
    }
    return 0;
}

bool counts_macs(const ir::Node& n) {
    return ir::is_onnx_domain(n.domain) &&
           (n.op_type == "Conv" || n.op_type == "ConvTranspose" || n.op_type == "Gemm" || n.op_type == "MatMul");
}

}  // namespace

ModelStats compute_model_stats(const ir::Graph& graph) {
    ModelStats s;
    std::unordered_set<std::string> bn_stats;
    for (const ir::Node& n : graph.nodes) {
        if (ir::is_onnx_domain(n.domain) && n.op_type == "BatchNormalization" && n.inputs.size() >= 5) {
            bn_stats.insert(n.inputs[3]);
            bn_stats.insert(n.inputs[4]);
        }
    }
    for (const ir::Node& n : graph.nodes) {
        std::string key = ir::is_onnx_domain(n.domain) ? n.op_type : n.domain + ":" + n.op_type;
        OpStats& op = s.ops[key];
        op.count++;
        s.node_count++;
        if (!counts_macs(n)) continue;
        bool assumed = false;
        int64_t eff = 0;
        int64_t m = node_macs(graph, n, &assumed, &eff);
        if (assumed) s.symbolic_dims_as_one = true;
        if (m < 0) {
            s.nodes_missing_shapes++;
            continue;
        }
        if (eff < 0) eff = m;
        op.macs += m;
        op.effective_macs += eff;
        op.nodes_with_macs++;
        s.total_macs += m;
        s.total_effective_macs += eff;
    }
    for (const auto& name : graph.initializer_order) {
        const Tensor& t = graph.initializers.at(name);
        s.initializer_bytes += static_cast<int64_t>(t.nbytes());
        if (!dtype_is_float(t.dtype()))
            s.other_initializer_count += t.numel();
        else if (bn_stats.count(name))
            s.buffer_count += t.numel();
        else
            s.parameter_count += t.numel();
    }
    return s;
}

}  // namespace edgeinfer::passes

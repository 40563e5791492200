// fold_batchnorm.
#include "passes/batchnorm_folding.hpp"

#include <cmath>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

const Tensor* float_constant(const ir::Graph& g, const std::string& name) {
    const Tensor* t = constant_value(g, name);
    return t && t->dtype() == DataType::kFloat32 ? t : nullptr;
}

// Per-channel scale s and shift (bias - mean*s) of a foldable BatchNormalization.
bool batchnorm_affine(const ir::Graph& g, const ir::Node& bn, std::vector<double>& s, std::vector<double>& shift) {
    if (bn.inputs.size() != 5 || bn.attr_int("training_mode", 0) != 0 || bn.attr_int("spatial", 1) != 1) return false;
    const Tensor* p[4];
    for (int k = 0; k < 4; ++k) {
        p[k] = float_constant(g, bn.inputs[k + 1]);
        if (!p[k] || p[k]->rank() != 1 || p[k]->numel() != p[0]->numel()) return false;
    }
    double eps = bn.attr_float("epsilon", 1e-5f);
    int64_t c = p[0]->numel();
    s.resize(c);
    shift.resize(c);
    for (int64_t i = 0; i < c; ++i) {
        double var = p[3]->data_as<float>()[i];
        if (var + eps <= 0) return false;
        s[i] = p[0]->data_as<float>()[i] / std::sqrt(var + eps);
        shift[i] = p[1]->data_as<float>()[i] - p[2]->data_as<float>()[i] * s[i];
    }
    return true;
}

// Stores a rewritten weight: under its own name when only `reader_count` == 1, else a new name.
std::string store(ir::Graph& g, const UseMap& uses, const std::string& old_name, const std::string& fallback,
                  Tensor value) {
    bool exclusive = !old_name.empty() && uses.reader_count(old_name) == 1 && !uses.is_graph_output(old_name) &&
                     !uses.used_by_subgraph(old_name) && !g.is_graph_input(old_name);
    std::string name = exclusive ? old_name : unique_value_name(g, old_name.empty() ? fallback : old_name + "_bn");
    g.add_initializer(name, std::move(value));
    return name;
}

// W scaled by s[channel(i)] for every element i of W.
template <typename ChannelOf>
Tensor scale_weight(const Tensor& w, const std::vector<double>& s, ChannelOf channel) {
    Tensor out = Tensor::allocate(DataType::kFloat32, w.dims());
    const float* src = w.data_as<float>();
    float* dst = out.data_as<float>();
    for (int64_t i = 0; i < w.numel(); ++i) dst[i] = static_cast<float>(src[i] * s[channel(i)]);
    return out;
}

int64_t inner_size(const Tensor& w, int64_t from_axis) {
    int64_t n = 1;
    for (int64_t d = from_axis; d < w.rank(); ++d) n *= w.dims()[d];
    return n;
}

// Output channel of each weight element: Conv [M, C/g, k...] and Gemm transB=1 [N, K] by row;
// Gemm transB=0 [K, N] by column; ConvTranspose [C, M/g, k...] by group and second axis.
Tensor scaled_weight(const Tensor& w, const std::vector<double>& s, const std::string& op, bool trans_b,
                     int64_t group) {
    const int64_t row = inner_size(w, 1);
    if (op == "Gemm" && !trans_b) {
        const int64_t n = w.dims()[1];
        return scale_weight(w, s, [n](int64_t i) { return i % n; });
    }
    if (op != "ConvTranspose") return scale_weight(w, s, [row](int64_t i) { return i / row; });
    const int64_t per_out = w.dims()[1], per_in = w.dims()[0] / group, spatial = inner_size(w, 2);
    return scale_weight(w, s, [=](int64_t i) {
        int64_t c = i / row, j = (i / spatial) % per_out;
        return (c / per_in) * per_out + j;
    });
}

bool fold_into(ir::Graph& g, const UseMap& uses, ir::Node& p, const ir::Node& bn) {
    std::vector<double> s, shift;
    if (!batchnorm_affine(g, bn, s, shift)) return false;
    const auto m = static_cast<int64_t>(s.size());
    if (p.inputs.size() < 2) return false;
    const Tensor* w = float_constant(g, p.inputs[1]);
    if (!w || w->rank() < 2) return false;
    const bool gemm = p.op_type == "Gemm", convt = p.op_type == "ConvTranspose";
    const int64_t group = p.attr_int("group", 1);
    Tensor new_w;
    if (gemm) {
        if (w->rank() != 2) return false;
        bool trans_b = p.attr_int("transB", 0) != 0;
        if (w->dims()[trans_b ? 0 : 1] != m) return false;
        new_w = scaled_weight(*w, s, "Gemm", trans_b, 1);
    } else if (convt) {
        if (group <= 0 || w->dims()[0] % group != 0 || w->dims()[1] * group != m) return false;
        new_w = scaled_weight(*w, s, "ConvTranspose", false, group);
    } else {
        if (w->dims()[0] != m) return false;
        new_w = scaled_weight(*w, s, "Conv", false, 1);
    }
    // Bias: B' = B*s + shift (Gemm: beta*C*s + shift, then beta = 1).
    const bool has_bias = p.inputs.size() > 2 && !p.inputs[2].empty();
    const Tensor* b = has_bias ? float_constant(g, p.inputs[2]) : nullptr;
    if (has_bias && !b) return false;
    double beta = gemm ? p.attr_float("beta", 1.0f) : 1.0;
    Tensor new_b;
    if (!b) {
        new_b = Tensor::allocate(DataType::kFloat32, {m});
        for (int64_t c = 0; c < m; ++c) new_b.data_as<float>()[c] = static_cast<float>(shift[c]);
    } else {
        // Conv biases are [M]; Gemm's C broadcasts to [rows, M]: its last dim is 1 or M.
        std::vector<int64_t> dims = b->dims();
        if (dims.empty()) dims = {1};
        if (dims.size() > 2 || (dims.back() != 1 && dims.back() != m)) return false;
        if (!gemm && dims != std::vector<int64_t>{m}) return false;
        dims.back() = m;
        int64_t rows = dims.size() == 2 ? dims[0] : 1;
        int64_t src_cols = b->rank() == 0 ? 1 : b->dims().back();
        new_b = Tensor::allocate(DataType::kFloat32, dims);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < m; ++c) {
                double v = b->data_as<float>()[r * src_cols + (src_cols == 1 ? 0 : c)];
                new_b.data_as<float>()[r * m + c] = static_cast<float>(beta * v * s[c] + shift[c]);
            }
    }
    p.inputs[1] = store(g, uses, p.inputs[1], p.name + ".weight", std::move(new_w));
    std::string bias_name = store(g, uses, has_bias ? p.inputs[2] : "", p.name + ".bias", std::move(new_b));
    if (p.inputs.size() < 3) p.inputs.resize(3);
    p.inputs[2] = bias_name;
    if (gemm) set_attribute(p, make_float_attr("beta", 1.0f));
    p.outputs[0] = bn.outputs[0];
    return true;
}

}  // namespace

bool fold_batchnorm(ir::Model& model) {
    ir::Graph& g = model.graph;
    bool changed = false;
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& bn = g.nodes[i];
        if (!is_op(bn, "BatchNormalization") || bn.inputs.empty()) continue;
        bool extra_outputs = false;
        for (size_t k = 1; k < bn.outputs.size(); ++k) extra_outputs = extra_outputs || uses.is_used(bn.outputs[k]);
        if (extra_outputs) continue;
        auto pit = producers.find(bn.inputs[0]);
        if (pit == producers.end() || removed[pit->second]) continue;
        ir::Node& p = g.nodes[pit->second];
        if (!(is_op(p, "Conv") || is_op(p, "ConvTranspose") || is_op(p, "Gemm")) || p.outputs.size() != 1) continue;
        if (uses.sole_reader(p.outputs[0]) != i) continue;
        if (is_op(p, "Gemm") && annotated_shape(g, p.outputs[0]) && annotated_shape(g, p.outputs[0])->rank() != 2)
            continue;
        if (!fold_into(g, uses, p, bn)) continue;
        removed[i] = true;
        changed = true;
        uses = UseMap(g);  // weights got new readers
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

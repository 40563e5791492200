// fuse_qdq.
#include "passes/qdq_fusion.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_set>

#include "passes/conv_fusion.hpp"
#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

bool has_input(const ir::Node& n, size_t i) { return n.inputs.size() > i && !n.inputs[i].empty(); }

bool is_q8(DataType t) { return t == DataType::kUInt8 || t == DataType::kInt8; }

// The node producing `value`, when it is a `op` node of the ONNX domain.
const ir::Node* producer_op(const ir::Graph& g, const std::unordered_map<std::string, size_t>& producers,
                            const std::string& value, const char* op) {
    auto it = producers.find(value);
    if (it == producers.end()) return nullptr;
    const ir::Node& n = g.nodes[it->second];
    return is_op(n, op) ? &n : nullptr;
}

// Quantization parameters of a QuantizeLinear / DequantizeLinear node, when they are constants.
struct QParams {
    std::string scale, zero_point;  // value names ("" when the zero point is omitted)
    int64_t channels = 1;           // number of scales
    int64_t axis = 1;
};

std::optional<QParams> constant_qparams(const ir::Graph& g, const ir::Node& n) {
    if (n.inputs.size() < 2 || n.outputs.size() != 1) return std::nullopt;
    // Blocked quantization and output_dtype (opset 21) stay with the QuantizeLinear/DequantizeLinear kernels.
    if (n.attr_int("block_size", 0) != 0 || n.attr_int("output_dtype", 0) != 0) return std::nullopt;
    const Tensor* s = constant_value(g, n.inputs[1]);
    if (!s || s->dtype() != DataType::kFloat32 || s->numel() < 1 || s->rank() > 1) return std::nullopt;
    for (int64_t i = 0; i < s->numel(); ++i)
        if (!(s->data_as<float>()[i] > 0.0f)) return std::nullopt;
    QParams p;
    p.scale = n.inputs[1];
    p.channels = s->numel();
    p.axis = n.attr_int("axis", 1);
    if (has_input(n, 2)) {
        const Tensor* z = constant_value(g, n.inputs[2]);
        if (!z || !is_q8(z->dtype()) || z->numel() != s->numel()) return std::nullopt;
        p.zero_point = n.inputs[2];
    }
    return p;
}

// The quantized dtype a DequantizeLinear reads (uint8/int8), kUndefined when unknown or other.
DataType dq_input_type(const ir::Graph& g, const ir::Node& dq) {
    DataType t = value_dtype(g, dq.inputs[0]);
    if (t == DataType::kUndefined && has_input(dq, 2)) t = value_dtype(g, dq.inputs[2]);
    return is_q8(t) ? t : DataType::kUndefined;
}

// Bias as a float32 constant: a float32 initializer or DequantizeLinear(int32 constant).
std::optional<Tensor> float_bias(const ir::Graph& g, const std::unordered_map<std::string, size_t>& producers,
                                 const std::string& value) {
    if (const Tensor* b = constant_value(g, value)) {
        if (b->dtype() != DataType::kFloat32) return std::nullopt;
        return *b;
    }
    const ir::Node* dq = producer_op(g, producers, value, "DequantizeLinear");
    if (!dq) return std::nullopt;
    auto p = constant_qparams(g, *dq);
    const Tensor* q = constant_value(g, dq->inputs[0]);
    if (!p || !q || q->dtype() != DataType::kInt32 || q->rank() != 1 || !p->zero_point.empty()) return std::nullopt;
    if (p->channels != 1 && p->channels != q->numel()) return std::nullopt;
    const float* s = constant_value(g, p->scale)->data_as<float>();
    Tensor out = Tensor::allocate(DataType::kFloat32, q->dims());
    for (int64_t i = 0; i < q->numel(); ++i)
        out.data_as<float>()[i] = static_cast<float>(q->data_as<int32_t>()[i]) * s[p->channels == 1 ? 0 : i];
    return out;
}

// Activation nodes the int8 kernels apply as an eltwise post-op.
bool fusable_activation(const ir::Model& m, const ir::Node& n, std::vector<ir::Attribute>& attrs) {
    if (n.outputs.size() != 1) return false;
    ir::Attribute a;
    a.name = "activation";
    a.kind = ir::Attribute::Kind::kString;
    if (is_op(n, "Relu")) {
        a.s = "Relu";
    } else if (is_op(n, "LeakyRelu")) {
        a.s = "LeakyRelu";
        attrs.push_back(make_float_attr("alpha", n.attr_float("alpha", 0.01f)));
    } else if (is_op(n, "Clip")) {
        a.s = "Clip";
        float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
        if (m.opset_version("") < 11) {
            lo = n.attr_float("min", lo);
            hi = n.attr_float("max", hi);
        } else {
            for (size_t i = 1; i < 3; ++i) {
                if (!has_input(n, i)) continue;
                const Tensor* t = constant_value(m.graph, n.inputs[i]);
                if (!t || t->dtype() != DataType::kFloat32 || t->numel() != 1) return false;
                (i == 1 ? lo : hi) = t->data_as<float>()[0];
            }
        }
        attrs.push_back(make_float_attr("min", lo));
        attrs.push_back(make_float_attr("max", hi));
    } else {
        return false;
    }
    attrs.insert(attrs.begin(), a);
    return true;
}

// Rank-4 shapes known to be equal (every dim a known size or a named symbol).
bool same_rank4_shape(const ir::Graph& g, const std::string& a, const std::string& b) {
    const ir::Shape* sa = annotated_shape(g, a);
    const ir::Shape* sb = annotated_shape(g, b);
    if (!sa || !sb || sa->rank() != 4 || !(*sa == *sb)) return false;
    for (const ir::Dim& d : sa->dims)
        if (!d.is_known() && d.symbol.empty()) return false;
    return true;
}

// W [N, K] → [K, N] for Gemm with transB=1 (int8 or uint8).
Tensor transpose_2d(const Tensor& w) {
    const int64_t n = w.dims()[0], k = w.dims()[1];
    Tensor out = Tensor::allocate(w.dtype(), {k, n});
    const auto* src = static_cast<const uint8_t*>(w.data());
    auto* dst = static_cast<uint8_t*>(out.data());
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < k; ++j) dst[j * n + i] = src[i * k + j];
    return out;
}

// One fusion: everything needed to build the new node, gathered before the graph changes.
struct Match {
    size_t p = 0;
    std::vector<size_t> absorbed;  // activation and QuantizeLinear nodes to remove
    std::vector<std::string> inputs;
    std::vector<ir::Attribute> attrs;
    std::string output;
    bool conv = true;
    std::optional<Tensor> new_weight, new_bias;  // new initializers (transposed W, float bias)
};

class Fuser {
  public:
    explicit Fuser(ir::Model& m) : m_(m), g_(m.graph), uses_(g_), producers_(g_.producers()) {}

    // `allow_add`: whether a residual Add may be absorbed (false when another match took it).
    std::optional<Match> match(size_t index, bool allow_add = true) const {
        const ir::Node& p = g_.nodes[index];
        const bool conv = is_op(p, "Conv"), gemm = is_op(p, "Gemm"), matmul = is_op(p, "MatMul");
        if (!(conv || gemm || matmul) || p.outputs.size() != 1 || p.inputs.size() < 2) return std::nullopt;
        const ir::Node* dx = producer_op(g_, producers_, p.inputs[0], "DequantizeLinear");
        const ir::Node* dw = producer_op(g_, producers_, p.inputs[1], "DequantizeLinear");
        if (!dx || !dw) return std::nullopt;
        auto xq = constant_qparams(g_, *dx);
        auto wq = constant_qparams(g_, *dw);
        if (!xq || !wq || xq->channels != 1 || dq_input_type(g_, *dx) == DataType::kUndefined) return std::nullopt;
        const Tensor* w = constant_value(g_, dw->inputs[0]);
        if (!w || !is_q8(w->dtype()) || w->rank() < 2) return std::nullopt;
        Match mt;
        mt.p = index;
        mt.conv = conv;
        // Output channel axis of W (per-channel scales must be along it).
        int64_t channel_axis = 0;
        if (gemm) {
            if (p.attr_int("transA", 0) != 0 || p.attr_float("alpha", 1.0f) != 1.0f || w->rank() != 2)
                return std::nullopt;
            if (has_input(p, 2) && p.attr_float("beta", 1.0f) != 1.0f) return std::nullopt;
            const ir::Shape* a = annotated_shape(g_, p.inputs[0]);
            if (!a || a->rank() != 2) return std::nullopt;
            channel_axis = p.attr_int("transB", 0) != 0 ? 0 : 1;
        } else if (matmul) {
            if (w->rank() != 2) return std::nullopt;
            channel_axis = 1;
        }
        if (wq->channels != 1) {
            int64_t axis = wq->axis < 0 ? wq->axis + w->rank() : wq->axis;
            if (axis != channel_axis || wq->channels != w->dims()[channel_axis]) return std::nullopt;
        }
        const int64_t out_channels = w->dims()[channel_axis];
        // Bias.
        std::string bias;
        if (!matmul && has_input(p, 2)) {
            auto b = float_bias(g_, producers_, p.inputs[2]);
            if (!b) return std::nullopt;
            if (b->numel() == 1 && out_channels != 1) {
                Tensor full = Tensor::allocate(DataType::kFloat32, {out_channels});
                for (int64_t c = 0; c < out_channels; ++c) full.data_as<float>()[c] = b->data_as<float>()[0];
                b = full;
            }
            if (b->numel() != out_channels || (b->rank() == 2 && b->dims()[0] != 1) || b->rank() > 2)
                return std::nullopt;
            mt.new_bias = b->reshaped({out_channels});
        }
        std::string weight = dw->inputs[0];
        if (gemm && channel_axis == 0) mt.new_weight = transpose_2d(*w);
        // Optional residual Add (Conv only: Y = conv + Z with Z of Y's shape, added by a sum post-op),
        // then optional activation, then optional QuantizeLinear, each the sole reader of the previous
        // output. Z is float32, or the quantized input of a per-tensor DequantizeLinear producing it
        // (inputs z_scale, z_zero_point): then the output may be quantized too, in Z's type (oneDNN's
        // sum post-op adds Z's integers in their own scale and zero point).
        std::string out = p.outputs[0], z, z_scale, z_zp;
        DataType z_type = DataType::kUndefined;  // a quantized Z's
        if (auto r = uses_.sole_reader(out); r && conv && allow_add) {
            const ir::Node& add = g_.nodes[*r];
            if (is_op(add, "Add") && add.inputs.size() == 2 && add.outputs.size() == 1 &&
                add.inputs[0] != add.inputs[1]) {
                const std::string& other = add.inputs[0] == out ? add.inputs[1] : add.inputs[0];
                if (!constant_value(g_, other) && value_dtype(g_, other) == DataType::kFloat32 &&
                    same_rank4_shape(g_, out, other) && same_rank4_shape(g_, out, add.outputs[0])) {
                    z = other;
                    mt.absorbed.push_back(*r);
                    out = add.outputs[0];
                    const ir::Node* dz = producer_op(g_, producers_, other, "DequantizeLinear");
                    auto zq = dz ? constant_qparams(g_, *dz) : std::nullopt;
                    if (zq && zq->channels == 1 && dq_input_type(g_, *dz) != DataType::kUndefined) {
                        z_type = dq_input_type(g_, *dz);
                        z = dz->inputs[0];
                        z_scale = zq->scale;
                        z_zp = zq->zero_point;
                    }
                }
            }
        }
        if (auto r = uses_.sole_reader(out)) {
            std::vector<ir::Attribute> act;
            if (fusable_activation(m_, g_.nodes[*r], act)) {
                mt.attrs = act;
                mt.absorbed.push_back(*r);
                out = g_.nodes[*r].outputs[0];
            }
        } else if (auto gated = gated_activation(out)) {  // SiLU / HardSwish: Mul(y, gate(y))
            ir::Attribute a;
            a.name = "activation";
            a.kind = ir::Attribute::Kind::kString;
            a.s = gated->name;
            mt.attrs = {a};
            mt.absorbed.push_back(gated->gate);
            mt.absorbed.push_back(gated->mul);
            out = g_.nodes[gated->mul].outputs[0];
        }
        std::string y_scale, y_zp;
        if (auto r = uses_.sole_reader(out); r && (z.empty() || !z_scale.empty()) &&
                                             is_op(g_.nodes[*r], "QuantizeLinear")) {
            auto yq = constant_qparams(g_, g_.nodes[*r]);
            // A quantized Z shares the output's type (the sum post-op reads dst's bytes as Z's type).
            DataType y_type = !yq                     ? DataType::kUndefined
                              : yq->zero_point.empty() ? DataType::kUInt8
                                                       : value_dtype(g_, yq->zero_point);
            if (yq && yq->channels == 1 && (z.empty() || z_type == y_type)) {
                y_scale = yq->scale;
                y_zp = yq->zero_point;
                mt.absorbed.push_back(*r);
                out = g_.nodes[*r].outputs[0];
            }
        }
        mt.output = out;
        mt.inputs = {dx->inputs[0], xq->scale, xq->zero_point, weight, wq->scale, wq->zero_point,
                     y_scale,       y_zp,      bias,           z,      z_scale,   z_zp};
        if (conv) {
            for (const char* name : {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
                if (const ir::Attribute* a = p.find_attribute(name)) mt.attrs.push_back(*a);
        }
        return mt;
    }

    // Applies a match: the fused node takes the place of the last absorbed node (Z may be computed
    // after P); P and the other absorbed nodes are flagged for removal.
    void apply(Match& mt, std::vector<bool>& removed) {
        ir::Node& p = g_.nodes[mt.p];
        ir::Node fused;
        fused.name = p.name;
        fused.domain = "edgeinfer";
        fused.op_type = mt.conv ? "QConv" : "QMatMul";
        fused.doc_string = p.doc_string;
        if (mt.new_weight) {
            mt.inputs[3] = unique_value_name(g_, mt.inputs[3] + "_kn");
            g_.add_initializer(mt.inputs[3], std::move(*mt.new_weight));
        }
        if (mt.new_bias) {
            mt.inputs[8] = unique_value_name(g_, p.name.empty() ? std::string("qdq_bias") : p.name + "_bias_f32");
            g_.add_initializer(mt.inputs[8], std::move(*mt.new_bias));
        }
        while (!mt.inputs.empty() && mt.inputs.back().empty()) mt.inputs.pop_back();
        fused.inputs = mt.inputs;
        fused.outputs = {mt.output};
        fused.attributes = mt.attrs;
        size_t at = mt.p;
        for (size_t r : mt.absorbed) {
            removed[r] = true;
            at = std::max(at, r);
        }
        removed[mt.p] = at != mt.p;
        removed[at] = false;
        g_.nodes[at] = std::move(fused);
    }

  private:
    struct Gated {
        size_t gate = 0, mul = 0;
        std::string name;  // the activation: SiLU or HardSwish
    };

    // y read exactly by gate(y) (Sigmoid, or HardSigmoid as ONNX's HardSwish uses it) and by
    // Mul(y, gate(y)), the gate's sole reader: y * gate(y) as one activation.
    std::optional<Gated> gated_activation(const std::string& y) const {
        const std::vector<size_t>& readers = uses_.readers(y);
        if (readers.size() != 2 || uses_.is_graph_output(y) || uses_.used_by_subgraph(y)) return std::nullopt;
        for (int k = 0; k < 2; ++k) {
            const ir::Node& gate = g_.nodes[readers[k]];
            const ir::Node& mul = g_.nodes[readers[1 - k]];
            std::optional<std::string> name = gate_activation(gate);
            if (!name || gate.inputs.size() != 1 || gate.inputs[0] != y) continue;
            if (uses_.sole_reader(gate.outputs[0]) != readers[1 - k] || !is_op(mul, "Mul") || mul.inputs.size() != 2 ||
                mul.outputs.size() != 1)
                continue;
            if (!((mul.inputs[0] == y && mul.inputs[1] == gate.outputs[0]) ||
                  (mul.inputs[1] == y && mul.inputs[0] == gate.outputs[0])))
                continue;
            return Gated{readers[k], readers[1 - k], *name};
        }
        return std::nullopt;
    }

    ir::Model& m_;
    ir::Graph& g_;
    UseMap uses_;
    std::unordered_map<std::string, size_t> producers_;
};

// Removes DequantizeLinear nodes nothing reads any more (their inputs were taken by fused nodes).
void remove_unread_dequantize(ir::Graph& g) {
    UseMap uses(g);
    std::vector<bool> removed(g.nodes.size(), false);
    bool any = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (is_op(n, "DequantizeLinear") && n.outputs.size() == 1 && !uses.is_used(n.outputs[0])) {
            removed[i] = true;
            any = true;
        }
    }
    if (any) erase_nodes(g, removed);
}

// A QConv that surely takes oneDNN's int8 path: int8 weights with no (or an all-zero) zero point.
bool int8_weights(const ir::Graph& g, const ir::Node& n) {
    if (n.domain != "edgeinfer" || n.op_type != "QConv" || n.inputs.size() < 4) return false;
    const Tensor* w = constant_value(g, n.inputs[3]);
    if (!w || w->dtype() != DataType::kInt8) return false;
    if (!has_input(n, 5)) return true;
    const Tensor* z = constant_value(g, n.inputs[5]);
    if (!z || z->dtype() != DataType::kInt8) return false;
    for (int64_t i = 0; i < z->numel(); ++i)
        if (z->data_as<int8_t>()[i] != 0) return false;
    return true;
}

// Float32 pooling whose channels-last form oneDNN runs (no Indices output, no window lying entirely
// in padding, no padding counted inside a ceil_mode tail), the conditions passes/channels_last uses.
bool nhwc_pool(const ir::Graph& g, const ir::Node& n) {
    if (!(n.domain.empty() || n.domain == "ai.onnx") || n.outputs.size() != 1 || n.inputs.size() != 1) return false;
    if (value_dtype(g, n.inputs[0]) != DataType::kFloat32) return false;
    if (n.op_type == "GlobalAveragePool" || n.op_type == "GlobalMaxPool") return true;
    if (n.op_type != "MaxPool" && n.op_type != "AveragePool") return false;
    std::vector<int64_t> k = n.attr_ints("kernel_shape"), pads = n.attr_ints("pads");
    for (size_t i = 0; i < pads.size(); ++i)
        if (k.empty() || pads[i] >= k[i % k.size()]) return false;
    if (n.op_type == "MaxPool") return n.attr_int("storage_order", 0) == 0;
    return !(n.attr_int("ceil_mode", 0) != 0 && n.attr_int("count_include_pad", 0) != 0);
}

// A float32 binary op (Add, Sub, Mul, Div, Max, Min) that edgeinfer's oneDNN binary kernel runs on
// NHWC memory (kernels/cpu/region_binary.cpp, layout = "NHWC"): a rank-4 output, and operands that
// either have the output's shape and are not constant (their layout changes with the output's:
// returned in `full`, the first of them usable as the primitive's first source) or are [N, C, 1, 1]
// or a single value, the same in either layout. Squeeze-excitation scales and residual Adds.
bool nhwc_binary(const ir::Graph& g, const ir::Node& n, std::vector<std::string>& full) {
    if (!is_binary_arithmetic(n)) return false;
    auto y = complete_shape(g, n.outputs[0]);
    if (!y || y->rank() != 4 || value_dtype(g, n.outputs[0]) != DataType::kFloat32) return false;
    full.clear();
    for (size_t k = 0; k < 2; ++k) {
        const std::string& in = n.inputs[k];
        auto s = complete_shape(g, in);
        if (!s || value_dtype(g, in) != DataType::kFloat32 || s->rank() > 4) return false;
        if (*s == *y && !constant_value(g, in)) {
            full.push_back(in);
            continue;
        }
        bool invariant = true;  // [N, C, 1, 1] or all ones
        for (int64_t d = 0; d < s->rank(); ++d) {
            bool one = s->dims[d].is_known() && s->dims[d].value == 1;
            bool channel_or_batch = s->rank() == 4 && d < 2;
            invariant = invariant && (one || channel_or_batch);
        }
        if (s->rank() == 4 && !(s->dims[0] == y->dims[0] || (s->dims[0].is_known() && s->dims[0].value == 1)))
            invariant = false;
        if (!invariant) return false;
        if (k == 0 && !is_commutative_binary(n.op_type)) return false;  // Sub/Div: broadcast operand second
    }
    return !full.empty();
}

// Values that may live channels-last: a group of them must share one layout (a MaxPool/AveragePool's
// input and output, a binary op's operands and output).
struct LayoutGroup {
    size_t node = 0;
    std::string attr;  // attribute naming the group's layout
    std::vector<std::string> values;
};

std::vector<LayoutGroup> layout_groups(const ir::Graph& g) {
    std::vector<LayoutGroup> groups;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (int8_weights(g, n) && n.outputs.size() == 1) {
            groups.push_back({i, "x_layout", {n.inputs[0]}});
            groups.push_back({i, "y_layout", {n.outputs[0]}});
            if (has_input(n, 9)) groups.push_back({i, "z_layout", {n.inputs[9]}});  // reordered into dst
        } else if (n.domain == "edgeinfer" && n.op_type == "Quantize" && n.outputs.size() == 1) {
            groups.push_back({i, "x_layout", {n.inputs[0]}});  // one reorder quantizes and changes layout
            groups.push_back({i, "y_layout", {n.outputs[0]}});
        } else if (std::vector<std::string> full; nhwc_binary(g, n, full)) {
            LayoutGroup x{i, "layout", full};  // the full-shape operands and the output together
            x.values.push_back(n.outputs[0]);
            groups.push_back(std::move(x));
        } else if (nhwc_pool(g, n)) {
            LayoutGroup x{i, "x_layout", {n.inputs[0]}};
            if (n.op_type == "MaxPool" || n.op_type == "AveragePool") x.values.push_back(n.outputs[0]);
            groups.push_back(std::move(x));  // a global pool's [N, C, 1, 1] output is the same in either layout
        }
    }
    return groups;
}

// Int8 regions run channels-last (the layout oneDNN's int8 convolutions use), so no reorder runs
// inside them: a rank-4 value whose producer and every reader can take NHWC memory (QConv with int8
// weights through x_layout / y_layout, edgeinfer:Quantize (its one reorder may also change the
// layout), float pooling, float binary ops (layout = "NHWC")) is kept NHWC; its dims stay NCHW. Values
// in one group change together. Pooling and binary nodes taking NHWC become edgeinfer-domain nodes
// (passes/channels_last leaves those alone).
void keep_int8_regions_channels_last(ir::Graph& g) {
    UseMap uses(g);
    std::vector<LayoutGroup> groups = layout_groups(g);
    std::unordered_map<std::string, size_t> slots;  // flexible occurrences of each value
    for (const LayoutGroup& gr : groups)
        for (const std::string& v : gr.values) ++slots[v];
    const auto producers = g.producers();
    std::unordered_set<std::string> nhwc;
    for (const auto& [v, count] : slots) {
        const ir::Shape* s = annotated_shape(g, v);
        if (v.empty() || !s || s->rank() != 4 || !producers.count(v) || uses.is_graph_output(v) ||
            uses.used_by_subgraph(v) || g.is_graph_input(v))
            continue;
        if (count == uses.reader_count(v) + 1) nhwc.insert(v);  // the producer and every reader
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (const LayoutGroup& gr : groups) {
            bool all = true;
            for (const std::string& v : gr.values) all = all && nhwc.count(v);
            if (all) continue;
            for (const std::string& v : gr.values) changed = nhwc.erase(v) > 0 || changed;
        }
    }
    ir::Attribute attr;
    attr.kind = ir::Attribute::Kind::kString;
    attr.s = "NHWC";
    for (const LayoutGroup& gr : groups) {
        ir::Node& n = g.nodes[gr.node];
        attr.name = gr.attr;
        if (!nhwc.count(gr.values[0])) {
            if (gr.attr == "z_layout") {  // explicit: Z's layout defaults to Y's
                attr.s = "NCHW";
                set_attribute(n, attr);
                attr.s = "NHWC";
            }
            continue;
        }
        set_attribute(n, attr);
        if (ir::is_onnx_domain(n.domain)) n.domain = "edgeinfer";  // pooling, binary ops
    }
}

}  // namespace

bool fuse_qdq(ir::Model& model) {
    ir::Graph& g = model.graph;
    bool changed = false;
    std::vector<bool> removed(g.nodes.size(), false);
    // Matches are found on the graph as it was (absorbed nodes come after P, never before).
    std::vector<Match> matches;
    Fuser finder(model);
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (auto m = finder.match(i)) matches.push_back(std::move(*m));
    Fuser applier(model);
    std::vector<bool> taken(g.nodes.size(), false);  // nodes some earlier match already consumed
    auto clashes = [&taken](const Match& m) {
        bool clash = taken[m.p];
        for (size_t r : m.absorbed) clash = clash || taken[r];
        return clash;
    };
    for (Match& m : matches) {
        // Both operands of a residual Add may come from convolutions: the first takes the Add, the
        // other fuses without it (the matcher then sees the fused node where the Add was).
        if (clashes(m) && !taken[m.p]) {
            auto without_add = finder.match(m.p, false);
            if (!without_add) continue;
            m = std::move(*without_add);
        }
        if (clashes(m)) continue;
        taken[m.p] = true;
        for (size_t r : m.absorbed) taken[r] = true;
        applier.apply(m, removed);
        changed = true;
    }
    // The QuantizeLinear nodes left (activations read by float ops: residual Adds, pooling) run as
    // one oneDNN reorder each instead of the reference loop.
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        ir::Node& n = g.nodes[i];
        if (removed[i] || !is_op(n, "QuantizeLinear") || value_dtype(g, n.inputs[0]) != DataType::kFloat32) continue;
        auto p = constant_qparams(g, n);
        if (!p || p->channels != 1 || (!p->zero_point.empty() && value_dtype(g, p->zero_point) == DataType::kUndefined))
            continue;
        n.domain = "edgeinfer";
        n.op_type = "Quantize";
        n.attributes.clear();
        changed = true;
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    remove_unread_dequantize(g);
    keep_int8_regions_channels_last(g);
    prune_value_info(g);
    bool has_opset = false;
    for (const ir::OpsetId& o : model.opset_imports) has_opset = has_opset || o.domain == "edgeinfer";
    if (!has_opset) model.opset_imports.push_back(ir::OpsetId{"edgeinfer", 1});
    return true;
}

}  // namespace edgeinfer::passes

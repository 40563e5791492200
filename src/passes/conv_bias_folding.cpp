// fold_conv_add_bias.
#include "passes/conv_bias_folding.hpp"

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

const Tensor* float_constant(const ir::Graph& g, const std::string& name) {
    const Tensor* t = constant_value(g, name);
    return t && t->dtype() == DataType::kFloat32 ? t : nullptr;
}

// The per-channel values of `c` for an output of rank `out_rank` with `m` channels, or empty when `c`
// does not broadcast per channel.
std::vector<float> per_channel(const Tensor& c, int64_t out_rank, int64_t m) {
    const std::vector<int64_t>& dims = c.dims();
    const int64_t r = static_cast<int64_t>(dims.size());
    if (r > out_rank) return {};
    int64_t channel_dim = 1;
    for (int64_t k = 0; k < r; ++k) {
        const int64_t axis = out_rank - r + k;  // right-aligned
        if (axis == 1)
            channel_dim = dims[k];
        else if (dims[k] != 1)
            return {};
    }
    if (channel_dim != 1 && channel_dim != m) return {};
    std::vector<float> out(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i) out[i] = c.data_as<float>()[channel_dim == 1 ? 0 : i];
    return out;
}

}  // namespace

bool fold_conv_add_bias(ir::Model& model) {
    ir::Graph& g = model.graph;
    bool changed = false;
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& add = g.nodes[i];
        if (!is_op(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
        for (int side = 0; side < 2; ++side) {
            auto pit = producers.find(add.inputs[side]);
            if (pit == producers.end() || removed[pit->second]) continue;
            ir::Node& conv = g.nodes[pit->second];
            if (!is_op(conv, "Conv") || conv.outputs.size() != 1 || conv.inputs.size() < 2) continue;
            if (uses.sole_reader(conv.outputs[0]) != i) continue;
            const Tensor* w = float_constant(g, conv.inputs[1]);
            const Tensor* c = float_constant(g, add.inputs[1 - side]);
            if (!w || !c || w->rank() < 3) continue;
            const int64_t m = w->dims()[0];
            std::vector<float> values = per_channel(*c, w->rank(), m);
            if (values.empty()) continue;
            const bool has_bias = conv.inputs.size() > 2 && !conv.inputs[2].empty();
            const Tensor* b = has_bias ? float_constant(g, conv.inputs[2]) : nullptr;
            if (has_bias && (!b || b->dims() != std::vector<int64_t>{m})) continue;
            Tensor bias = Tensor::allocate(DataType::kFloat32, {m});
            for (int64_t k = 0; k < m; ++k) bias.data_as<float>()[k] = (b ? b->data_as<float>()[k] : 0.0f) + values[k];
            const std::string name = unique_value_name(g, conv.name.empty() ? "conv.bias" : conv.name + ".bias");
            g.add_initializer(name, std::move(bias));
            if (conv.inputs.size() < 3) conv.inputs.resize(3);
            conv.inputs[2] = name;
            conv.outputs[0] = add.outputs[0];
            removed[i] = true;
            changed = true;
            uses = UseMap(g);
            break;
        }
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

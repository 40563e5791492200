// fuse_matmul_add.
#include "passes/matmul_add_fusion.hpp"

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

bool rank2_float(const ir::Graph& g, const std::string& v) {
    if (value_dtype(g, v) != DataType::kFloat32) return false;
    if (const Tensor* t = g.find_initializer(v)) return t->rank() == 2;
    const ir::Shape* s = annotated_shape(g, v);
    return s && s->rank() == 2;
}

// C broadcasts to [M, N] without changing that shape.
bool bias_fits(const ir::Graph& g, const Tensor& c, const std::string& a, const std::string& b) {
    if (c.dtype() != DataType::kFloat32 || c.rank() > 2) return false;
    const ir::Shape* sa = annotated_shape(g, a);
    auto sb = static_shape(g, b);
    if (!sb || sb->size() != 2) return false;
    int64_t n = (*sb)[1];
    const std::vector<int64_t>& d = c.dims();
    if (c.rank() == 0) return true;
    if (d.back() != 1 && d.back() != n) return false;
    if (c.rank() == 1) return true;
    if (d[0] == 1) return true;
    return sa && sa->dims[0].is_known() && sa->dims[0].value == d[0];
}

}  // namespace

bool fuse_matmul_add(ir::Model& model) {
    if (model.opset_version("") < 7) return false;
    ir::Graph& g = model.graph;
    UseMap uses(g);
    auto producers = g.producers();
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& add = g.nodes[i];
        if (!is_op(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
        for (int side = 0; side < 2; ++side) {
            const std::string& t = add.inputs[side];
            const Tensor* c = constant_value(g, add.inputs[1 - side]);
            auto pit = producers.find(t);
            if (!c || pit == producers.end() || removed[pit->second]) continue;
            ir::Node& mm = g.nodes[pit->second];
            if (!is_op(mm, "MatMul") || mm.inputs.size() != 2 || uses.sole_reader(t) != i) continue;
            if (!rank2_float(g, mm.inputs[0]) || !rank2_float(g, mm.inputs[1])) continue;
            if (!bias_fits(g, *c, mm.inputs[0], mm.inputs[1])) continue;
            mm.op_type = "Gemm";
            mm.inputs.push_back(add.inputs[1 - side]);
            mm.outputs[0] = add.outputs[0];
            removed[i] = true;
            changed = true;
            break;
        }
    }
    if (!changed) return false;
    erase_nodes(g, removed);
    prune_value_info(g);
    return true;
}

}  // namespace edgeinfer::passes

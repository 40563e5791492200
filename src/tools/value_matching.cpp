// Values of two graphs matched, intermediate values exposed, node names checked (value_matching.hpp).
#include "tools/value_matching.hpp"

#include <set>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "model/onnx_model.hpp"
#include "passes/dead_node_elimination.hpp"
#include "runtime/session_internal.hpp"

namespace edgeinfer::tools {

Result<std::unique_ptr<Session>> session_for(const ir::Model& model, int threads) {
    SessionOptions opts;
    opts.num_threads = threads;
    opts.optimization_level = GraphOptimizationLevel::kNone;
    return runtime::create_session(model, opts);
}

Result<ir::Model> load_with_shapes(const std::string& path) {
    model::LoadOptions lo;
    lo.infer_shapes = true;
    return model::load_model(path, lo);
}

std::map<std::string, size_t> producer_map(const ir::Graph& g) {
    std::map<std::string, size_t> m;
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (const std::string& o : g.nodes[i].outputs)
            if (!o.empty()) m[o] = i;
    return m;
}

std::vector<Pair> match_values(const ir::Model& ma, const ir::Model& mb) {
    const ir::Graph &a = ma.graph, &b = mb.graph;
    std::map<std::string, size_t> b_prod = producer_map(b);
    std::map<std::string, size_t> b_node_by_name;
    for (size_t i = 0; i < b.nodes.size(); ++i)
        if (!b.nodes[i].name.empty()) b_node_by_name.emplace(b.nodes[i].name, i);
    struct AValue {
        std::string name;
        size_t node, k;
    };
    std::vector<AValue> av;
    for (size_t i = 0; i < a.nodes.size(); ++i)
        for (size_t k = 0; k < a.nodes[i].outputs.size(); ++k)
            if (!a.nodes[i].outputs[k].empty()) av.push_back({a.nodes[i].outputs[k], i, k});
    std::vector<std::string> match(av.size());
    std::set<std::string> claimed;
    for (size_t j = 0; j < av.size(); ++j)  // 1: same value name
        if (b_prod.count(av[j].name) || b.find_initializer(av[j].name)) {
            match[j] = av[j].name;
            claimed.insert(av[j].name);
        }
    for (size_t j = 0; j < av.size(); ++j) {  // 2: same producing node name and output index
        if (!match[j].empty()) continue;
        auto it = b_node_by_name.find(a.nodes[av[j].node].name);
        if (it == b_node_by_name.end() || av[j].k >= b.nodes[it->second].outputs.size()) continue;
        const std::string& cand = b.nodes[it->second].outputs[av[j].k];
        if (!cand.empty() && !claimed.count(cand)) {
            match[j] = cand;
            claimed.insert(cand);
        }
    }
    for (size_t k = 0; k < a.outputs.size() && k < b.outputs.size(); ++k) {  // 3: graph outputs by position
        for (size_t j = 0; j < av.size(); ++j)
            if (av[j].name == a.outputs[k].name && match[j].empty() && !claimed.count(b.outputs[k].name)) {
                match[j] = b.outputs[k].name;
                claimed.insert(match[j]);
            }
    }
    std::vector<Pair> pairs;
    for (size_t j = 0; j < av.size(); ++j)
        if (!match[j].empty()) pairs.push_back({av[j].name, match[j], av[j].node});
    return pairs;
}

// A copy of `m` whose graph outputs are `names` (node outputs only); with `keep_outputs` the
// original outputs stay first. Nodes not needed for them are dropped.
ir::Model with_outputs(const ir::Model& m, const std::vector<std::string>& names, bool keep_outputs) {
    ir::Model c = m;
    std::set<std::string> have;
    if (!keep_outputs) c.graph.outputs.clear();
    for (const auto& o : c.graph.outputs) have.insert(o.name);
    auto prod = producer_map(m.graph);
    for (const std::string& n : names) {
        if (have.count(n) || !prod.count(n)) continue;
        const ir::ValueInfo* vi = m.graph.find_value_info(n);
        c.graph.outputs.push_back(vi ? *vi : ir::ValueInfo{n, DataType::kUndefined, {}, {}});
        have.insert(n);
    }
    passes::eliminate_dead_nodes(c);
    return c;
}

std::vector<std::string> all_node_outputs(const ir::Graph& g) {
    std::vector<std::string> out;
    for (const ir::Node& n : g.nodes)
        for (const std::string& o : n.outputs)
            if (!o.empty()) out.push_back(o);
    return out;
}

namespace {

void collect_node_names(const ir::Graph& g, std::vector<std::string>& order, std::set<std::string>& seen) {
    for (const ir::Node& n : g.nodes) {
        if (!n.name.empty() && seen.insert(n.name).second) order.push_back(n.name);
        for (const ir::Attribute& a : n.attributes) {
            if (a.g) collect_node_names(*a.g, order, seen);
            for (const auto& sub : a.graphs)
                if (sub) collect_node_names(*sub, order, seen);
        }
    }
}

}  // namespace

Status check_node_names(const ir::Model& model, const std::vector<std::string>& names, const std::string& label) {
    std::vector<std::string> order;
    std::set<std::string> known;
    collect_node_names(model.graph, order, known);
    std::string unknown;
    size_t count = 0;
    for (const std::string& n : names) {
        if (known.count(n)) continue;
        unknown += (count++ ? ", '" : "'") + n + "'";
    }
    if (count == 0) return Status::ok();
    std::string some;
    for (size_t i = 0; i < order.size() && i < 5; ++i) some += (i ? ", " : "") + order[i];
    if (order.size() > 5) some += ", ...";
    return invalid_argument("--keep-fp32: " + label + " has no node named " + unknown + " (" +
                            std::to_string(order.size()) + " named nodes: " + (some.empty() ? "none" : some) +
                            "; `edgeinfer compare " + label + " --precision bf16` lists the layers by error)");
}

Status check_node_names(const std::string& model_path, const std::vector<std::string>& names) {
    if (names.empty()) return Status::ok();
    model::LoadOptions lo;
    lo.load_external_data = false;
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model m, model::load_model(model_path, lo));
    return check_node_names(m, names, model_path);
}

}  // namespace edgeinfer::tools

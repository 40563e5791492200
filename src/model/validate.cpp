// Structural validation done at every load: definitions before uses, unique names, opsets.
#include <unordered_set>

#include "base/status.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer::model {
namespace {

using NameSet = std::unordered_set<std::string>;

std::string ints_text(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

// Window attributes of convolutions and pools: libonnx's shape inference divides by strides and
// dilations, so these are checked before anything else reads them.
Status validate_window_attributes(const ir::Node& n, const std::string& where) {
    static const std::unordered_set<std::string> kOps = {"Conv",    "ConvTranspose", "ConvInteger", "QLinearConv",
                                                        "MaxPool", "AveragePool",   "LpPool"};
    if (!ir::is_onnx_domain(n.domain) || !kOps.count(n.op_type)) return Status::ok();
    for (const char* name : {"strides", "dilations", "kernel_shape"}) {
        const std::vector<int64_t> v = n.attr_ints(name);
        for (int64_t x : v)
            if (x < 1)
                return invalid_model(where + ": attribute " + name + " must be positive, got " + ints_text(v));
    }
    const std::vector<int64_t> pads = n.attr_ints("pads");
    for (int64_t x : pads)
        if (x < 0) return invalid_model(where + ": attribute pads must not be negative, got " + ints_text(pads));
    return Status::ok();
}

Status validate_graph(const ir::Graph& g, const NameSet& outer, const std::string& where) {
    NameSet defined = outer;
    for (const auto& v : g.inputs) defined.insert(v.name);
    for (const auto& name : g.initializer_order) defined.insert(name);
    NameSet later;  // names produced anywhere, to tell "unordered" from "dangling"
    for (const ir::Node& n : g.nodes)
        for (const auto& o : n.outputs) later.insert(o);
    NameSet produced;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (n.op_type.empty()) return invalid_model(where + ": node #" + std::to_string(i) + " has no op_type");
        EDGEINFER_RETURN_IF_ERROR(validate_window_attributes(n, where + ": node " + n.describe(i)));
        for (const auto& in : n.inputs) {
            if (in.empty() || defined.count(in)) continue;
            if (later.count(in))
                return invalid_model(where + ": node " + n.describe(i) + " reads '" + in +
                                     "' before the node that produces it (nodes are not topologically sorted)");
            return invalid_model(where + ": node " + n.describe(i) + " reads '" + in +
                                 "', which is not a graph input, an initializer or any node's output");
        }
        for (const ir::Attribute& a : n.attributes) {
            if (a.g) EDGEINFER_RETURN_IF_ERROR(validate_graph(*a.g, defined, where + ": " + n.describe(i) + "." + a.name));
            for (const auto& sg : a.graphs)
                EDGEINFER_RETURN_IF_ERROR(validate_graph(*sg, defined, where + ": " + n.describe(i) + "." + a.name));
        }
        for (const auto& out : n.outputs) {
            if (out.empty()) continue;
            if (produced.count(out) || (defined.count(out) && !outer.count(out)))
                return invalid_model(where + ": value '" + out + "' is defined more than once (again by node " +
                                     n.describe(i) + ")");
            produced.insert(out);
            defined.insert(out);
        }
    }
    for (const auto& o : g.outputs)
        if (!defined.count(o.name))
            return invalid_model(where + ": graph output '" + o.name + "' is not produced by any node");
    return Status::ok();
}

}  // namespace

Status validate_model(const ir::Model& m) {
    const std::string& name = m.source_path.empty() ? std::string("<model>") : m.source_path;
    for (const ir::OpsetId& o : m.opset_imports) {
        if (!ir::is_onnx_domain(o.domain)) continue;
        if (o.version > kMaxSupportedOpset)
            return unsupported(name + ": model imports opset " + std::to_string(o.version) +
                               " of the default ONNX domain; edgeinfer supports opsets " +
                               std::to_string(kMinSupportedOpset) + " to " + std::to_string(kMaxSupportedOpset) +
                               " (re-export with opset_version=" + std::to_string(kMaxSupportedOpset) + " or lower)");
        if (o.version < kMinSupportedOpset)
            return invalid_model(name + ": invalid opset version " + std::to_string(o.version));
    }
    return validate_graph(m.graph, {}, name);
}

}  // namespace edgeinfer::model

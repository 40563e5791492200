// --precision and --keep-fp32: the flags and the check that every kept name is a node of the model.
#include "cli/keep_fp32.hpp"

#include <set>

#include "base/status.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer::cli {
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

void add_precision_option(CLI::App* cmd, std::string& name) {
    cmd->add_option("-p,--precision", name,
                    "fp32, bf16 (convolutions and matrix products in bf16) or int8 (a quantized model's "
                    "QDQ/QLinear nodes on int8 kernels; `edgeinfer quantize` makes one); docs/precision.md")
        ->check(precision_validator());
}

CLI::Validator precision_validator() {
    return CLI::Validator(
        [](const std::string& text) {
            auto p = parse_precision(text);
            return p.is_ok() ? std::string() : p.status().message();
        },
        precision_choices());
}

Precision precision_from_name(const std::string& name) {
    return parse_precision(name).is_ok() ? parse_precision(name).value() : Precision::kFp32;
}

void add_keep_fp32_option(CLI::App* cmd, std::vector<std::string>& names) {
    cmd->add_option("--keep-fp32", names,
                    "Node names that compute in fp32 whatever --precision says (comma-separated; "
                    "`edgeinfer compare MODEL --precision bf16` names the layers that lose the most)")
        ->delimiter(',')
        ->allow_extra_args(false);
}

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

Status check_keep_fp32(const std::string& model_path, const std::vector<std::string>& names) {
    if (names.empty()) return Status::ok();
    model::LoadOptions lo;
    lo.load_external_data = false;
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model m, model::load_model(model_path, lo));
    return check_node_names(m, names, model_path);
}

}  // namespace edgeinfer::cli

// `edgeinfer inspect MODEL [--json]`: tools::inspect printed: what a model is, what it costs,
// whether edgeinfer runs it.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct InspectArgs {
    std::string model;
    bool json = false, check = false;
};

nlohmann::json values_json(const std::vector<tools::ValueInfo>& values) {
    nlohmann::json out = nlohmann::json::array();
    for (const tools::ValueInfo& v : values) {
        nlohmann::json dims = nlohmann::json::array();
        for (const tools::DimInfo& d : v.dims)
            dims.push_back(d.value >= 0 ? nlohmann::json(d.value)
                                        : (d.symbol.empty() ? nlohmann::json() : nlohmann::json(d.symbol)));
        out.push_back(
            {{"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.has_rank ? dims : nlohmann::json()}});
    }
    return out;
}

nlohmann::json report_json(const tools::ModelInfo& m) {
    nlohmann::json j = {{"model", m.path},
                        {"producer", {{"name", m.producer_name}, {"version", m.producer_version}}},
                        {"ir_version", m.ir_version},
                        {"graph_name", m.graph_name},
                        {"opset_imports", nlohmann::json::array()},
                        {"inputs", values_json(m.inputs)},
                        {"outputs", values_json(m.outputs)},
                        {"node_count", m.node_count},
                        {"ops", nlohmann::json::object()}};
    for (const auto& [domain, version] : m.opsets)
        j["opset_imports"].push_back({{"domain", domain}, {"version", version}});
    j["parameters"] = {{"count", m.parameter_count},
                       {"batchnorm_statistics", m.batchnorm_statistics},
                       {"other_initializer_elements", m.other_initializer_elements},
                       {"initializer_bytes", m.initializer_bytes}};
    for (const tools::OpInfo& op : m.ops)
        j["ops"][op.op] = {{"count", op.count}, {"macs", op.macs}, {"flops", 2 * op.macs}, {"supported", op.supported}};
    j["compute"] = {{"macs", m.macs},
                    {"flops", 2 * m.macs},
                    {"effective_macs", m.effective_macs},
                    {"nodes_without_shapes", m.nodes_without_shapes},
                    {"symbolic_dims_as_one", m.symbolic_dims_as_one}};
    j["support"] = {{"registered_kernels", m.registered_kernels},
                    {"unsupported_ops", m.unsupported_ops},
                    {"runnable", m.unsupported_ops.empty()}};
    return j;
}

std::string human(double v) {
    const char* units[] = {"", "K", "M", "G", "T"};
    int u = 0;
    for (; v >= 1000.0 && u < 4; ++u) v /= 1000.0;
    std::ostringstream o;
    o << std::fixed << std::setprecision(u == 0 ? 0 : 2) << v << units[u];
    return o.str();
}

void print_values(const char* title, const std::vector<tools::ValueInfo>& values) {
    std::cout << title;
    for (const tools::ValueInfo& v : values)
        std::cout << "  " << v.name << "  " << dtype_name(v.dtype) << "  [" << v.shape_text << "]\n";
}

void print_text(const tools::ModelInfo& m) {
    std::cout << "model:      " << m.path << "\n";
    std::cout << "producer:   " << m.producer_name << (m.producer_version.empty() ? "" : " " + m.producer_version)
              << "\n";
    std::cout << "ir version: " << m.ir_version << "\n";
    std::cout << "opsets:    ";
    for (const auto& [domain, version] : m.opsets) std::cout << " " << domain << "=" << version;
    print_values("\n\ninputs:\n", m.inputs);
    print_values("outputs:\n", m.outputs);
    std::cout << "\nparameters: " << m.parameter_count << " (" << human(static_cast<double>(m.parameter_count)) << ")";
    if (m.batchnorm_statistics > 0) std::cout << ", plus " << m.batchnorm_statistics << " BatchNorm statistics";
    std::cout << ", initializers " << human(static_cast<double>(m.initializer_bytes)) << "B\n";
    std::cout << "compute:    " << human(static_cast<double>(m.macs)) << " MACs, "
              << human(static_cast<double>(2 * m.macs)) << " FLOPs";
    if (m.nodes_without_shapes > 0)
        std::cout << " (" << m.nodes_without_shapes << " nodes with unknown shapes not counted)";
    if (m.symbolic_dims_as_one) std::cout << " (symbolic dims such as batch counted as 1)";
    std::cout << "\n\nnodes: " << m.node_count << "\n";
    std::cout << "  " << std::left << std::setw(28) << "op" << std::right << std::setw(7) << "count" << std::setw(12)
              << "MACs"
              << "  runs\n";
    for (const tools::OpInfo& op : m.ops)
        std::cout << "  " << std::left << std::setw(28) << op.op << std::right << std::setw(7) << op.count
                  << std::setw(12) << (op.macs ? human(static_cast<double>(op.macs)) : "-") << "  "
                  << (op.supported ? "yes" : "no") << "\n";
    std::cout << "\n";
    if (m.registered_kernels == 0) {
        std::cout << "support: this build of edgeinfer has no kernels registered yet, so it cannot run any op\n";
    } else if (m.unsupported_ops.empty()) {
        std::cout << "support: edgeinfer can run every op in this model\n";
    } else {
        std::cout << "support: edgeinfer cannot run these ops:";
        for (const std::string& op : m.unsupported_ops) std::cout << " " << op;
        std::cout << "\n";
    }
}

int run_inspect(const InspectArgs& args) {
    auto info = tools::inspect(args.model, args.check);
    if (!info.is_ok()) {
        std::cerr << "edgeinfer inspect: " << info.status().to_string() << "\n";
        return 1;
    }
    if (args.json)
        std::cout << report_json(*info).dump(2) << "\n";
    else
        print_text(*info);
    return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<InspectArgs>();
    CLI::App* cmd = app.add_subcommand("inspect", "Describe a model: inputs, outputs, ops, parameters, MACs, support");
    cmd->add_option("model", args->model, "ONNX model file")->required();
    cmd->add_flag("--json", args->json, "Print one JSON document");
    cmd->add_flag("--check", args->check, "Also run the ONNX checker on the file");
    cmd->callback([args, exit_code] { *exit_code = run_inspect(*args); });
}

}  // namespace edgeinfer::cli

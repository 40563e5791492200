// `edgeinfer inspect MODEL [--json]`: what a model is, what it costs, whether edgeinfer runs it.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "kernels/registry.hpp"
#include "model/onnx_model.hpp"
#include "passes/model_stats.hpp"

namespace edgeinfer::cli {
namespace {

struct InspectArgs {
    std::string model;
    bool json = false;
    bool check = false;
};

nlohmann::json shape_json(const ir::Shape& s) {
    if (!s.has_rank) return nullptr;
    nlohmann::json dims = nlohmann::json::array();
    for (const ir::Dim& d : s.dims) {
        if (d.is_known())
            dims.push_back(d.value);
        else if (!d.symbol.empty())
            dims.push_back(d.symbol);
        else
            dims.push_back(nullptr);
    }
    return dims;
}

nlohmann::json values_json(const std::vector<const ir::ValueInfo*>& values) {
    nlohmann::json out = nlohmann::json::array();
    for (const ir::ValueInfo* v : values)
        out.push_back({{"name", v->name}, {"dtype", dtype_name(v->dtype)}, {"shape", shape_json(v->shape)}});
    return out;
}

nlohmann::json build_report(const ir::Model& m, const passes::ModelStats& s) {
    const kernels::KernelRegistry& reg = kernels::default_registry();
    nlohmann::json j;
    j["model"] = m.source_path;
    j["producer"] = {{"name", m.producer_name}, {"version", m.producer_version}};
    j["ir_version"] = m.ir_version;
    j["graph_name"] = m.graph.name;
    nlohmann::json opsets = nlohmann::json::array();
    for (const auto& o : m.opset_imports) opsets.push_back({{"domain", o.domain.empty() ? "ai.onnx" : o.domain}, {"version", o.version}});
    j["opset_imports"] = opsets;
    j["inputs"] = values_json(m.graph.runtime_inputs());
    std::vector<const ir::ValueInfo*> outs;
    for (const auto& o : m.graph.outputs) outs.push_back(&o);
    j["outputs"] = values_json(outs);
    j["node_count"] = s.node_count;
    j["parameters"] = {{"count", s.parameter_count},
                       {"batchnorm_statistics", s.buffer_count},
                       {"other_initializer_elements", s.other_initializer_count},
                       {"initializer_bytes", s.initializer_bytes}};
    nlohmann::json ops = nlohmann::json::object();
    std::vector<std::string> unsupported_ops;
    for (const auto& [op, st] : s.ops) {
        auto colon = op.find(':');
        std::string domain = colon == std::string::npos ? "" : op.substr(0, colon);
        std::string type = colon == std::string::npos ? op : op.substr(colon + 1);
        bool runnable = reg.has_op(domain, type);
        if (!runnable) unsupported_ops.push_back(op);
        ops[op] = {{"count", st.count}, {"macs", st.macs}, {"flops", 2 * st.macs}, {"supported", runnable}};
    }
    j["ops"] = ops;
    j["compute"] = {{"macs", s.total_macs}, {"flops", 2 * s.total_macs}, {"effective_macs", s.total_effective_macs},
                    {"nodes_without_shapes", s.nodes_missing_shapes},
                    {"symbolic_dims_as_one", s.symbolic_dims_as_one}};
    j["support"] = {{"registered_kernels", reg.size()},
                    {"unsupported_ops", unsupported_ops},
                    {"runnable", unsupported_ops.empty()}};
    return j;
}

std::string human(double v) {
    const char* units[] = {"", "K", "M", "G", "T"};
    int u = 0;
    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        ++u;
    }
    std::ostringstream o;
    o << std::fixed << std::setprecision(u == 0 ? 0 : 2) << v << units[u];
    return o.str();
}

void print_text(const nlohmann::json& j, const ir::Model& m) {
    std::cout << "model:      " << j["model"].get<std::string>() << "\n";
    std::cout << "producer:   " << m.producer_name << (m.producer_version.empty() ? "" : " " + m.producer_version) << "\n";
    std::cout << "ir version: " << m.ir_version << "\n";
    std::cout << "opsets:    ";
    for (const auto& o : m.opset_imports) std::cout << " " << (o.domain.empty() ? "ai.onnx" : o.domain) << "=" << o.version;
    std::cout << "\n\ninputs:\n";
    for (const ir::ValueInfo* v : m.graph.runtime_inputs())
        std::cout << "  " << v->name << "  " << dtype_name(v->dtype) << "  [" << v->shape.to_string() << "]\n";
    std::cout << "outputs:\n";
    for (const auto& v : m.graph.outputs)
        std::cout << "  " << v.name << "  " << dtype_name(v.dtype) << "  [" << v.shape.to_string() << "]\n";
    const auto& p = j["parameters"];
    std::cout << "\nparameters: " << p["count"].get<int64_t>() << " (" << human(p["count"].get<double>()) << ")";
    if (p["batchnorm_statistics"].get<int64_t>() > 0)
        std::cout << ", plus " << p["batchnorm_statistics"].get<int64_t>() << " BatchNorm statistics";
    std::cout << ", initializers " << human(p["initializer_bytes"].get<double>()) << "B\n";
    const auto& c = j["compute"];
    std::cout << "compute:    " << human(c["macs"].get<double>()) << " MACs, " << human(c["flops"].get<double>()) << " FLOPs";
    if (c["nodes_without_shapes"].get<int64_t>() > 0)
        std::cout << " (" << c["nodes_without_shapes"].get<int64_t>() << " nodes with unknown shapes not counted)";
    if (c["symbolic_dims_as_one"].get<bool>()) std::cout << " (symbolic dims such as batch counted as 1)";
    std::cout << "\n\nnodes: " << j["node_count"].get<int64_t>() << "\n";
    std::cout << "  " << std::left << std::setw(28) << "op" << std::right << std::setw(7) << "count" << std::setw(12)
              << "MACs" << "  runs\n";
    for (const auto& [op, st] : j["ops"].items()) {
        std::cout << "  " << std::left << std::setw(28) << op << std::right << std::setw(7) << st["count"].get<int64_t>()
                  << std::setw(12) << (st["macs"].get<int64_t>() ? human(st["macs"].get<double>()) : "-") << "  "
                  << (st["supported"].get<bool>() ? "yes" : "no") << "\n";
    }
    const auto& sup = j["support"];
    std::cout << "\n";
    if (sup["registered_kernels"].get<size_t>() == 0) {
        std::cout << "support: this build of edgeinfer has no kernels registered yet, so it cannot run any op\n";
    } else if (sup["runnable"].get<bool>()) {
        std::cout << "support: edgeinfer can run every op in this model\n";
    } else {
        std::cout << "support: edgeinfer cannot run these ops:";
        for (const auto& op : sup["unsupported_ops"]) std::cout << " " << op.get<std::string>();
        std::cout << "\n";
    }
}

int run_inspect(const InspectArgs& args) {
    model::LoadOptions opts;
    opts.infer_shapes = true;
    auto loaded = model::load_model(args.model, opts);
    if (!loaded.is_ok()) {
        std::cerr << "edgeinfer inspect: " << loaded.status().to_string() << "\n";
        return 1;
    }
    if (args.check) {
        Status st = model::check_model_file(args.model);
        if (!st.is_ok()) {
            std::cerr << "edgeinfer inspect: " << st.to_string() << "\n";
            return 1;
        }
    }
    const ir::Model& m = loaded.value();
    passes::ModelStats stats = passes::compute_model_stats(m.graph);
    nlohmann::json report = build_report(m, stats);
    if (args.json)
        std::cout << report.dump(2) << "\n";
    else
        print_text(report, m);
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

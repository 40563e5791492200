// `edgeinfer inspect MODEL [--json]`: tools::inspect printed: what a model is, what it costs,
// whether edgeinfer runs it.
#include <iostream>

#include "cli/commands.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct InspectArgs {
    std::string model;
    bool json = false, check = false;
};

int run_inspect(const InspectArgs& args) {
    auto info = tools::inspect(args.model, args.check);
    if (!info.is_ok()) {
        std::cerr << "edgeinfer inspect: " << info.status().to_string() << "\n";
        return 1;
    }
    std::cout << (args.json ? tools::to_json(*info) + "\n" : tools::format_text(*info));
    return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<InspectArgs>();
    CLI::App* cmd = app.add_subcommand("inspect", "Describe a model: inputs, outputs, ops, parameters, MACs, support");
    cmd->add_option("model", args->model, "ONNX model file")->required();
    cmd->add_flag("--json", args->json, "Print one JSON document");
    cmd->add_flag("--check", args->check,
                  "Also check the file: ONNX checker and shape inference for what libonnx 1.12 knows, edgeinfer's "
                  "shape table for opsets 18-21 nodes (prints which covered which nodes)");
    cmd->callback([args, exit_code] { *exit_code = run_inspect(*args); });
}

}  // namespace edgeinfer::cli

// `edgeinfer quantize MODEL OUT.onnx --calib DIR|FILES [--method minmax|percentile|entropy]
// [--per-channel] [--samples N] [--exclude NODE,...]`: tools::quantize, its report printed.
#include <iostream>

#include "cli/commands.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct QuantizeArgs {
    std::string model, output;
    tools::QuantizeOptions options;
};

int run_quantize(const QuantizeArgs& a) {
    auto r = tools::quantize(a.model, a.output, a.options);
    if (!r.is_ok()) {
        std::cerr << "error: " << r.status().to_string() << "\n";
        return 1;
    }
    if (!r->preprocess.empty()) std::cerr << "preprocessing images: " << r->preprocess << "\n";
    for (const std::string& w : r->warnings) std::cerr << "warning: " << w << "\n";
    std::cout << "quantized " << r->quantized_nodes << " nodes (" << r->weights << " int8 weights"
              << (a.options.per_channel ? " per channel" : " per tensor") << ", " << r->activations
              << " uint8 activations) from " << r->samples << " samples, method " << a.options.method
              << (r->skipped ? ", " + std::to_string(r->skipped) + " undecodable files skipped" : std::string()) << "\n"
              << "wrote " << a.output << " and its sidecar " << r->sidecar << "; ONNX checker: " << r->onnx_checker
              << "\n";
    return r->onnx_checker == "ok" ? 0 : 1;
}

}  // namespace

void add_quantize_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<QuantizeArgs>();
    tools::QuantizeOptions& o = args->options;
    CLI::App* cmd = app.add_subcommand("quantize", "Post-training int8 quantization to a QDQ ONNX model");
    cmd->add_option("model", args->model, "float32 ONNX model")->required();
    cmd->add_option("output", args->output, "QDQ ONNX file to write")->required();
    cmd->add_option("--calib", o.calibration, "Calibration inputs: a directory of .npy files or images, or files")
        ->required();
    cmd->add_option("--method", o.method, "Activation range: minmax (default), percentile or entropy");
    cmd->add_option("--percentile", o.percentile, "Percentile for --method percentile (default 99.99)");
    cmd->add_flag("--per-channel", o.per_channel, "int8 weight scales per output channel");
    cmd->add_option("--samples", o.samples, "Use at most N calibration samples (0: all)");
    cmd->add_option("--exclude", o.exclude, "Node names to keep in float32")->delimiter(',');
    cmd->add_option("-t,--threads", o.threads, "Threads (0: all cores)");
    cmd->callback([args, exit_code] { *exit_code = run_quantize(*args); });
}

}  // namespace edgeinfer::cli

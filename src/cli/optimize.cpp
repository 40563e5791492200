// `edgeinfer optimize IN.onnx OUT.onnx`: tools::optimize (passes verified one by one, a pass that
// changes the outputs reverted), its per-pass table printed.
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct OptimizeArgs {
    std::string input, output, level = "all", verify = "each";
    std::vector<std::string> static_shapes, verify_shapes;
    tools::OptimizeOptions options;
    bool list = false, json = false;
};

int fail(const Status& st) {
    std::cerr << "edgeinfer optimize: " << st.to_string() << "\n";
    return 1;
}

int run_optimize(OptimizeArgs& args) {
    if (args.list) {
        for (const tools::PassInfo& p : tools::list_passes())
            std::cout << std::left << std::setw(32) << p.name << p.summary << "\n";
        return 0;
    }
    tools::OptimizeOptions& o = args.options;
    o.level = parse_optimization_level(args.level).value();
    o.verify = tools::parse_verify_mode(args.verify).value();  // checked by the option's validator
    if (args.input.empty() || args.output.empty())
        return fail(invalid_argument("usage: edgeinfer optimize IN.onnx OUT.onnx"));
    auto shapes = tools::parse_shape_options(args.static_shapes, "--static-shape");
    if (!shapes.is_ok()) return fail(shapes.status());
    o.static_shapes = *shapes;
    auto verify_shapes = tools::parse_shape_options(args.verify_shapes, "--verify-shape");
    if (!verify_shapes.is_ok()) return fail(verify_shapes.status());
    o.verify_shapes = *verify_shapes;
    auto r = tools::optimize(args.input, args.output, o);
    if (!r.is_ok()) return fail(r.status());
    if (args.json)
        std::cout << tools::to_json(*r) << "\n";
    else
        std::cout << tools::format_text(*r, o) << "wrote " << args.output << "\n";
    if (r->io_names_changed) return fail(internal_error("input/output names changed during optimization"));
    return r->ok() ? 0 : 1;
}

}  // namespace

void add_optimize_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<OptimizeArgs>();
    tools::OptimizeOptions& o = args->options;
    CLI::App* cmd = app.add_subcommand("optimize", "Simplify and fuse a model's graph, verified pass by pass");
    cmd->add_option("input", args->input, "ONNX model to optimize");
    cmd->add_option("output", args->output, "Where to write the optimized ONNX model");
    cmd->add_option("--level", args->level, "Pass pipeline: basic, extended or all")
        ->check(name_validator(parse_optimization_level, optimization_level_choices()))
        ->capture_default_str();
    cmd->add_option("--passes", o.passes, "Run exactly these passes, in this order (comma-separated)")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_option("--skip", o.skip, "Leave these passes out (comma-separated)")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_option("--static-shape", args->static_shapes,
                    "NAME=1x3x224x224: fix an input's dims, then fold (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--verify-shape", args->verify_shapes,
                    "NAME=1x3x224x224: verification input shape for dynamic dims (default: sidecar, else 224)")
        ->allow_extra_args(false);
    cmd->add_flag("--dynamic-batch", o.dynamic_batch, "Make dim 0 of inputs and outputs a symbolic 'batch'");
    cmd->add_option("--opset", o.opset, "Convert to this default-domain opset first (checked like a pass)");
    cmd->add_option("--verify", args->verify, "Run before/after after each pass, only at the end, or never")
        ->check(name_validator(tools::parse_verify_mode, tools::verify_mode_choices()))
        ->capture_default_str();
    cmd->add_option("--rtol", o.rtol, "Tolerance relative to max |output|")->capture_default_str();
    cmd->add_option("--atol", o.atol, "Absolute tolerance")->capture_default_str();
    cmd->add_option("--seed", o.seed, "Seed of the verification inputs")->capture_default_str();
    cmd->add_option("-t,--threads", o.threads, "Threads (0: all cores)");
    cmd->add_flag("--list-passes", args->list, "List the passes and exit");
    cmd->add_flag("--json", args->json, "Print the report as one JSON document");
    cmd->callback([args, exit_code] { *exit_code = run_optimize(*args); });
}

}  // namespace edgeinfer::cli

// `edgeinfer optimize IN.onnx OUT.onnx`: tools::optimize (passes verified one by one, a pass that
// changes the outputs reverted), its per-pass table printed.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct OptimizeArgs {
    std::string input, output, level = "all", verify = "each";
    std::vector<std::string> static_shapes;
    tools::OptimizeOptions options;
    bool list = false, json = false;
};

std::string bytes_text(int64_t b) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(2);
    if (b >= 1 << 20)
        o << b / 1048576.0 << " MiB";
    else if (b >= 1 << 10)
        o << b / 1024.0 << " KiB";
    else
        o << b << " B";
    return o.str();
}

std::string diff_text(const std::optional<double>& d) {
    if (!d) return "-";
    std::ostringstream o;
    o << std::setprecision(3) << *d;
    return o.str();
}

void print_row(const std::string& name, int64_t n0, int64_t n1, int64_t b0, int64_t b1, double ms,
               const std::string& diff, const std::string& note) {
    std::ostringstream t;
    t << std::fixed << std::setprecision(1) << ms;
    std::cout << std::left << std::setw(30) << name << std::right << std::setw(14)
              << (std::to_string(n0) + " -> " + std::to_string(n1)) << std::setw(26)
              << (bytes_text(b0) + " -> " + bytes_text(b1)) << std::setw(11) << t.str() << std::setw(11) << diff << "  "
              << note << "\n";
}

void print_text(const tools::OptimizeReport& r, const OptimizeArgs& args) {
    std::cout << std::left << std::setw(30) << "pass" << std::right << std::setw(14) << "nodes" << std::setw(26)
              << "parameter bytes" << std::setw(11) << "time ms" << std::setw(11) << "max diff"
              << "  note\n";
    for (const tools::PassRow& p : r.passes)
        print_row(p.name, p.nodes_before, p.nodes_after, p.bytes_before, p.bytes_after, p.ms,
                  p.verified ? diff_text(p.max_abs_diff) : "-", p.changed ? p.note : "no change");
    print_row("total", r.nodes_before, r.nodes_after, r.bytes_before, r.bytes_after, r.total_ms,
              r.final_check ? diff_text(r.final_check->max_abs_diff) : "-", "");
    for (const std::string& name : r.reverted) std::cout << "reverted: " << name << " changed the outputs\n";
    if (r.final_check)
        std::cout << "final max abs diff vs the original: " << r.final_check->max_abs_diff << " ("
                  << (r.final_check->ok ? "within" : "BEYOND") << " atol " << args.options.atol << " + rtol "
                  << args.options.rtol << " x max|output|; " << r.final_check->detail << ")\n";
    std::cout << "ONNX checker: " << r.onnx_checker << "\nwrote " << args.output << "\n";
}

nlohmann::json report_json(const tools::OptimizeReport& r) {
    nlohmann::json j = {{"nodes_before", r.nodes_before}, {"nodes_after", r.nodes_after},
                        {"bytes_before", r.bytes_before}, {"bytes_after", r.bytes_after},
                        {"reverted", r.reverted},         {"onnx_checker", r.onnx_checker}};
    j["passes"] = nlohmann::json::array();
    for (const tools::PassRow& p : r.passes)
        j["passes"].push_back({{"name", p.name},
                               {"changed", p.changed},
                               {"reverted", p.reverted},
                               {"ms", p.ms},
                               {"nodes_before", p.nodes_before},
                               {"nodes_after", p.nodes_after},
                               {"bytes_before", p.bytes_before},
                               {"bytes_after", p.bytes_after},
                               {"max_abs_diff", p.max_abs_diff ? nlohmann::json(*p.max_abs_diff) : nlohmann::json()},
                               {"note", p.note}});
    if (r.final_check)
        j["final"] = {{"ok", r.final_check->ok},
                      {"max_abs_diff", r.final_check->max_abs_diff},
                      {"detail", r.final_check->detail}};
    return j;
}

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
    o.verify = args.verify == "none" ? tools::VerifyMode::kNone
                                     : (args.verify == "end" ? tools::VerifyMode::kEnd : tools::VerifyMode::kEachPass);
    if (args.input.empty() || args.output.empty())
        return fail(invalid_argument("usage: edgeinfer optimize IN.onnx OUT.onnx"));
    auto shapes = tools::parse_shape_options(args.static_shapes, "--static-shape");
    if (!shapes.is_ok()) return fail(shapes.status());
    o.static_shapes = *shapes;
    auto r = tools::optimize(args.input, args.output, o);
    if (!r.is_ok()) return fail(r.status());
    if (args.json)
        std::cout << report_json(*r).dump(2) << "\n";
    else
        print_text(*r, args);
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
        ->check(CLI::IsMember({"none", "basic", "extended", "all"}))
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
    cmd->add_flag("--dynamic-batch", o.dynamic_batch, "Make dim 0 of inputs and outputs a symbolic 'batch'");
    cmd->add_option("--opset", o.opset, "Convert to this default-domain opset first (checked like a pass)");
    cmd->add_option("--verify", args->verify, "Run before/after after each pass, only at the end, or never")
        ->check(CLI::IsMember({"each", "end", "none"}))
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

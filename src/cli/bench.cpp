// `edgeinfer bench MODEL`: tools::benchmark (latency, throughput, memory, per-node profile) printed.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct BenchArgs {
    std::string model, precision = "fp32", optimization = "all", tactics = "fast";
    std::vector<std::string> shapes, inputs, old_inputs;          // NAME:DIMS, NAME=FILE.npy (-i, old --inputs)
    std::vector<std::string> min_shapes, opt_shapes, max_shapes;  // NAME:DIMS,... (one shape profile)
    int iterations = 10;
    double duration = 3.0;
    tools::BenchOptions options;
    std::string max_memory;  // --max-memory
    bool json = false, latencies = false;
};

int run_bench(BenchArgs& args) {
    auto fail = [](const Status& st) {
        std::cerr << "edgeinfer bench: " << st.to_string() << "\n";
        return 1;
    };
    tools::BenchOptions& o = args.options;
    o.precision = precision_from_name(args.precision);
    o.tactics = tactic_mode_from_name(args.tactics);
    o.optimization = parse_optimization_level(args.optimization).value();
    auto shapes = tools::parse_shape_options(args.shapes, "--shape");
    if (!shapes.is_ok()) return fail(shapes.status());
    o.shapes = *shapes;
    o.max_memory_bytes = max_memory_bytes(args.max_memory);
    auto profiles = tools::parse_shape_profiles(args.min_shapes, args.opt_shapes, args.max_shapes);
    if (!profiles.is_ok()) return fail(profiles.status());
    o.shape_profiles = std::move(profiles).value();
    args.inputs.insert(args.inputs.end(), args.old_inputs.begin(), args.old_inputs.end());
    for (const std::string& spec : args.inputs) {
        auto one = tools::parse_file_options({spec}, "--input");
        if (!one.is_ok()) return fail(one.status());
        o.input_files.emplace_back(one->begin()->first, one->begin()->second);
    }
    auto r = tools::benchmark(args.model, o);
    if (!r.is_ok()) return fail(r.status());
    for (const std::string& note : r->notes) std::cerr << "edgeinfer bench: " << note << "\n";
    if (args.json)
        std::cout << tools::to_json(*r, args.model, o, args.latencies) << "\n";
    else
        std::cout << tools::format_text(*r, args.model, o);
    return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<BenchArgs>();
    tools::BenchOptions& o = args->options;
    CLI::App* cmd =
        app.add_subcommand("bench", "Measure latency, throughput and memory of a model (optionally per node)");
    cmd->add_option("model", args->model, "ONNX model file")->required();
    add_max_memory_option(cmd, args->max_memory);
    cmd->add_option("-t,--threads", o.threads, "Threads per session (0: the machine's cores / --concurrency)");
    cmd->add_option("-b,--batch", o.batch, "Batch size: the first dim of every input without --shape")
        ->check(CLI::PositiveNumber);
    // One value per occurrence, so `--shape a:1x3x8x8 MODEL` leaves MODEL to the positional.
    cmd->add_option("--shape,--shapes", args->shapes,
                    "NAME:1x3x224x224 input shape (repeatable; an input given by -i takes its file's shape)")
        ->allow_extra_args(false);
    cmd->add_option("-i,--input", args->inputs,
                    "NAME=FILE.npy: real data for that input (repeatable; files of one input are rotated)")
        ->allow_extra_args(false);
    // The old spelling, kept working but out of --help (compare's --inputs names directories of samples).
    cmd->add_option("--inputs", args->old_inputs, "Old spelling of -i/--input")->allow_extra_args(false)->group("");
    cmd->add_option("-w,--warmup", o.warmup, "Untimed runs after the first one (default 5)");
    auto* it = cmd->add_option("-n,--iterations", args->iterations, "Timed runs per session");
    auto* du = cmd->add_option("-d,--duration", args->duration, "Seconds of timed runs (with -n: both must be met)");
    cmd->add_option("--input-sets", o.input_sets, "Seeded random input sets rotated between runs (default 4)");
    cmd->add_option("--seed", o.seed, "Seed of the first input set (set k uses seed+k)");
    add_precision_option(cmd, args->precision);
    add_tactics_option(cmd, args->tactics);
    add_keep_fp32_option(cmd, o.keep_fp32);
    cmd->add_option("-O,--optimization", args->optimization, "Graph optimization level: none, basic, extended, all")
        ->check(name_validator(parse_optimization_level, optimization_level_choices()));
    // No short flag: -c is --force-cpu in the vision commands.
    cmd->add_option("--concurrency", o.concurrency, "Sessions running at once, each in its own thread");
    cmd->add_flag("--profile", o.profile, "Per-node and per-op-type time table");
    cmd->add_flag("--json", args->json, "Print one JSON document");
    cmd->add_flag("--latencies", args->latencies, "With --json: every timed run's latency (latencies_ms)");
    cmd->add_option("--load-engine", o.load_engine,
                    "Create sessions from this engine file when it matches MODEL and the options, else rebuild");
    cmd->add_option("--min-shapes", args->min_shapes, "Shape profile: NAME:DIMS,... smallest shapes allowed")
        ->allow_extra_args(false);
    cmd->add_option("--opt-shapes", args->opt_shapes,
                    "Shape profile: NAME:DIMS,... shapes planned at creation (and benchmarked without --shapes)")
        ->allow_extra_args(false);
    cmd->add_option("--max-shapes", args->max_shapes, "Shape profile: NAME:DIMS,... largest shapes allowed")
        ->allow_extra_args(false);
    cmd->add_option("--save-engine", o.save_engine, "After the first runs, save the prepared session here");
    cmd->footer("Default: at least 10 timed runs and at least 3 s. Inputs are generated before timing starts.");
    cmd->callback([args, exit_code, it, du] {
        if (it->count() > 0) args->options.iterations = args->iterations;
        if (du->count() > 0) args->options.duration = args->duration;
        *exit_code = run_bench(*args);
    });
}

}  // namespace edgeinfer::cli

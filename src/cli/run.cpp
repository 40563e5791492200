// `edgeinfer run MODEL [--input name=file.npy ...] [--output-dir D]`: run a model once on given
// or seeded random inputs (tools::make_inputs), print output shapes and statistics, optionally save
// .npy outputs.
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>

#include "base/status.hpp"
#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct RunArgs {
    std::string model;
    std::vector<std::string> inputs;  // name=file.npy
    std::vector<std::string> shapes;  // name:1x3x224x224
    std::string output_dir;
    std::string save_engine, load_engine;  // engine files (docs/engine.md)
    std::string time_limit;                // --time-limit
    std::string max_memory;                // --max-memory
    int threads = 0;
    uint32_t seed = 0;
    std::string precision = "fp32";                               // fp32 | bf16 | int8
    std::string tactics = "fast";                                 // fast | timed | direct-only
    std::vector<std::string> keep_fp32;                           // node names
    std::vector<std::string> min_shapes, opt_shapes, max_shapes;  // NAME:DIMS,... (one shape profile)
    std::vector<ShapeProfile> profiles;                           // parsed from them
};

Result<std::vector<NamedTensor>> gather_inputs(const std::vector<ValueDescription>& inputs, const RunArgs& args) {
    EDGEINFER_ASSIGN_OR_RETURN(auto given, tools::parse_shape_options(args.shapes, "--shape"));
    EDGEINFER_ASSIGN_OR_RETURN(auto files, tools::parse_file_options(args.inputs, "--input"));
    EDGEINFER_ASSIGN_OR_RETURN(auto with_files,
                               tools::with_file_shapes(tools::with_opt_shapes(given, args.profiles), files, inputs));
    EDGEINFER_ASSIGN_OR_RETURN(auto shapes, tools::resolve_input_shapes(inputs, with_files, 0, "--shape"));
    return tools::make_inputs(inputs, files, shapes, args.seed);
}

void print_tensor_stats(const std::string& name, const Tensor& t) {
    std::cout << "  " << name << "  " << dtype_name(t.dtype()) << "  [" << shape_to_string(t.dims()) << "]";
    if (auto s = tools::summarize_output(t)) {
        std::cout << std::setprecision(6) << "  min " << s->min << "  max " << s->max << "  mean " << s->mean;
        if (s->nonfinite) std::cout << "  non-finite " << s->nonfinite;
    }
    std::cout << "\n";
}

// A tensor; a sequence as one line per element (NAME[i]); an empty optional as one line.
void print_stats(const NamedTensor& nt) {
    if (nt.kind == ValueKind::kTensor || (nt.kind == ValueKind::kOptionalTensor && nt.has_value)) {
        print_tensor_stats(nt.name, nt.tensor);
    } else if (!nt.has_value) {
        std::cout << "  " << nt.name << "  empty " << value_kind_name(nt.kind) << "\n";
    } else {
        std::cout << "  " << nt.name << "  sequence of " << nt.sequence.size() << " tensors\n";
        for (size_t i = 0; i < nt.sequence.size(); ++i)
            print_tensor_stats(nt.name + "[" + std::to_string(i) + "]", nt.sequence[i]);
    }
}

int run_run(RunArgs& args) {
    auto profiles = tools::parse_shape_profiles(args.min_shapes, args.opt_shapes, args.max_shapes);
    if (!profiles.is_ok()) {
        std::cerr << "edgeinfer run: " << profiles.status().to_string() << "\n";
        return 1;
    }
    args.profiles = std::move(profiles).value();
    SessionOptions opts;
    opts.shape_profiles = args.profiles;
    opts.max_memory_bytes = max_memory_bytes(args.max_memory);
    opts.run_time_limit_ms = time_limit_ms(args.time_limit);
    opts.num_threads = args.threads;
    opts.engine_path = args.load_engine;
    opts.precision = precision_from_name(args.precision);
    opts.tactics = tactic_mode_from_name(args.tactics);
    opts.keep_fp32_nodes = args.keep_fp32;
    if (Status k = tools::check_node_names(args.model, args.keep_fp32); !k.is_ok()) {
        std::cerr << "edgeinfer run: " << k.to_string() << "\n";
        return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto session = Session::create(args.model, opts);
    if (!session.is_ok()) {
        std::cerr << "edgeinfer run: " << session.status().to_string() << "\n";
        return 1;
    }
    auto t1 = std::chrono::steady_clock::now();
    const EngineReport& engine = session.value()->engine_report();
    if (engine.loaded) std::cerr << "edgeinfer run: loaded engine " << args.load_engine << "\n";
    if (!engine.message.empty()) std::cerr << "edgeinfer run: note: " << engine.message << "\n";
    auto inputs = gather_inputs(session.value()->inputs(), args);
    if (!inputs.is_ok()) {
        std::cerr << "edgeinfer run: " << inputs.status().to_string() << "\n";
        return 1;
    }
    auto outputs = session.value()->run(inputs.value());
    auto t2 = std::chrono::steady_clock::now();
    if (!outputs.is_ok()) {
        std::cerr << "edgeinfer run: " << outputs.status().to_string() << "\n";
        return 1;
    }
    if (!args.save_engine.empty()) {  // after the first run: the file lists its plan
        Status st = session.value()->save_engine(args.save_engine);
        if (!st.is_ok()) {
            std::cerr << "edgeinfer run: " << st.to_string() << "\n";
            return 1;
        }
        std::cerr << "edgeinfer run: wrote engine " << args.save_engine << "\n";
    }
    std::cout << "inputs:\n";
    for (const auto& nt : inputs.value()) print_stats(nt);
    std::cout << "outputs:\n";
    for (const auto& nt : outputs.value()) print_stats(nt);
    std::cout << std::fixed << std::setprecision(1) << "session created in "
              << std::chrono::duration<double, std::milli>(t1 - t0).count() << " ms, first run "
              << std::chrono::duration<double, std::milli>(t2 - t1).count() << " ms\n";
    if (!args.output_dir.empty()) {
        auto written = tools::save_outputs(args.output_dir, outputs.value());
        if (!written.is_ok()) {
            std::cerr << "edgeinfer run: " << written.status().to_string() << "\n";
            return 1;
        }
        for (const std::string& path : written.value()) std::cout << "wrote " << path << "\n";
    }
    return 0;
}

}  // namespace

void add_run_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* cmd = app.add_subcommand("run", "Run a model on .npy inputs or seeded random ones");
    cmd->add_option("model", args->model, "ONNX model file")->required();
    cmd->add_option("-i,--input", args->inputs, "NAME=FILE.npy (repeatable)");
    cmd->add_option("--shape,--shapes", args->shapes,
                    "NAME:1x3x224x224 for random inputs with dynamic dims (repeatable)");
    cmd->add_option("-o,--output-dir", args->output_dir, "Write each output as NAME.npy here");
    cmd->add_option("-t,--threads", args->threads, "Threads (0: all cores)");
    add_max_memory_option(cmd, args->max_memory);
    add_time_limit_option(cmd, args->time_limit);
    cmd->add_option("--seed", args->seed, "Seed for random inputs");
    cmd->add_option("--min-shapes", args->min_shapes, "Shape profile: NAME:DIMS,... smallest shapes allowed")
        ->allow_extra_args(false);
    cmd->add_option("--opt-shapes", args->opt_shapes,
                    "Shape profile: NAME:DIMS,... shapes planned at creation (and used for random inputs)")
        ->allow_extra_args(false);
    cmd->add_option("--max-shapes", args->max_shapes, "Shape profile: NAME:DIMS,... largest shapes allowed")
        ->allow_extra_args(false);
    cmd->add_option("--save-engine", args->save_engine, "After the first run, save the prepared session here");
    cmd->add_option("--load-engine", args->load_engine,
                    "Create the session from this engine file when it matches MODEL and the options, else rebuild");
    add_precision_option(cmd, args->precision);
    add_tactics_option(cmd, args->tactics);
    add_keep_fp32_option(cmd, args->keep_fp32);
    cmd->callback([args, exit_code] { *exit_code = run_run(*args); });
}

}  // namespace edgeinfer::cli

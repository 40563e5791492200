// `edgeinfer bench MODEL`: tools::benchmark (latency, throughput, memory, per-node profile) printed.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct BenchArgs {
    std::string model, precision = "fp32", optimization = "all";
    std::vector<std::string> shapes, inputs;                      // NAME:DIMS, NAME=FILE.npy
    std::vector<std::string> min_shapes, opt_shapes, max_shapes;  // NAME:DIMS,... (one shape profile)
    int iterations = 10;
    double duration = 3.0;
    tools::BenchOptions options;
    bool json = false, latencies = false;
};

std::string dims_text(const std::vector<int64_t>& dims) {
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += 'x';
        s += std::to_string(dims[i]);
    }
    return s.empty() ? "scalar" : s;
}

nlohmann::json profile_json(const tools::BenchReport& r) {
    nlohmann::json nodes = nlohmann::json::array(), op_types = nlohmann::json::array();
    for (const tools::ProfileRow& p : r.profile)
        nodes.push_back({{"name", p.name},
                         {"op_type", p.op_type},
                         {"kernel", p.kernel},
                         {"input_shapes", p.input_shapes},
                         {"time_ms", p.ms},
                         {"share", p.share}});
    for (const tools::OpTypeRow& o : r.op_types)
        op_types.push_back({{"op_type", o.op_type}, {"nodes", o.nodes}, {"time_ms", o.ms}, {"share", o.share}});
    return {{"total_ms", r.profile_total_ms}, {"nodes", nodes}, {"op_types", op_types}};
}

nlohmann::json report_json(const BenchArgs& args, const tools::BenchReport& r) {
    const tools::BenchOptions& o = args.options;
    nlohmann::json j = {{"model", args.model},
                        {"precision", args.precision},
                        {"optimization", args.optimization},
                        {"threads", r.threads},
                        {"concurrency", o.concurrency},
                        {"batch", r.batch},
                        {"inputs", nlohmann::json::array()},
                        {"input_sets", r.input_sets},
                        {"warmup", o.warmup},
                        {"session_create_ms", r.session_create_ms},
                        {"first_run_ms", r.first_run_ms},
                        {"engine_loaded", r.engine_loaded},
                        {"iterations", static_cast<int64_t>(r.latencies_ms.size())},
                        {"wall_s", r.wall_s},
                        {"peak_rss_mb", r.peak_rss_mb}};
    for (const tools::BenchInput& in : r.inputs)
        j["inputs"].push_back({{"name", in.name},
                               {"dtype", dtype_name(in.dtype)},
                               {"shape", in.shape},
                               {"source", in.from_file ? "file" : "random"}});
    j["latency_ms"] = {{"min", r.min_ms}, {"mean", r.mean_ms}, {"median", r.median_ms}, {"p90", r.p90_ms},
                       {"p95", r.p95_ms}, {"p99", r.p99_ms},   {"max", r.max_ms}};
    j["throughput"] = {{"inferences_per_s", r.inferences_per_s}, {"images_per_s", r.images_per_s}};
    if (args.latencies) j["latencies_ms"] = r.latencies_ms;
    if (o.profile) j["profile"] = profile_json(r);
    return j;
}

void print_profile(const nlohmann::json& p, size_t max_rows) {
    std::cout << "\nprofile (time per run, timed runs only; " << std::setprecision(3) << p["total_ms"].get<double>()
              << " ms in nodes):\n";
    std::cout << std::left << std::setw(10) << "  ms" << std::setw(8) << "share" << std::setw(22) << "op type"
              << std::setw(40) << "node" << std::setw(30) << "input shapes"
              << "implementation\n";
    size_t shown = 0;
    for (const auto& n : p["nodes"]) {
        if (shown++ == max_rows) {
            std::cout << "  ... " << p["nodes"].size() - max_rows << " more nodes (all of them with --json)\n";
            break;
        }
        std::string shapes;
        for (const auto& s : n["input_shapes"]) {
            if (!shapes.empty()) shapes += ',';
            shapes += dims_text(s);
        }
        std::ostringstream ms, share;
        ms << std::fixed << std::setprecision(3) << n["time_ms"].get<double>();
        share << std::fixed << std::setprecision(1) << 100 * n["share"].get<double>() << "%";
        std::cout << "  " << std::setw(8) << ms.str() << std::setw(8) << share.str() << std::setw(22)
                  << n["op_type"].get<std::string>() << std::setw(40) << n["name"].get<std::string>() + " "
                  << std::setw(30) << (shapes.empty() ? "-" : shapes) + " " << n["kernel"].get<std::string>() << "\n";
    }
    std::cout << "\nper op type:\n";
    for (const auto& o : p["op_types"]) {
        std::ostringstream ms, share;
        ms << std::fixed << std::setprecision(3) << o["time_ms"].get<double>();
        share << std::fixed << std::setprecision(1) << 100 * o["share"].get<double>() << "%";
        std::cout << "  " << std::setw(8) << ms.str() << std::setw(8) << share.str() << std::setw(22)
                  << o["op_type"].get<std::string>() << o["nodes"].get<int>() << " nodes\n";
    }
    std::cout << std::right;
}

void print_text(const nlohmann::json& j) {
    std::cout << std::fixed << std::setprecision(2);
    std::cout << "model:       " << j["model"].get<std::string>() << "\n";
    std::cout << "inputs:     ";
    for (const auto& in : j["inputs"])
        std::cout << " " << in["name"].get<std::string>() << " " << in["dtype"].get<std::string>() << " "
                  << dims_text(in["shape"]) << " (" << in["source"].get<std::string>() << ")";
    std::cout << "\nsettings:    " << j["precision"].get<std::string>() << ", optimization "
              << j["optimization"].get<std::string>() << ", " << j["threads"].get<int>() << " thread(s) x "
              << j["concurrency"].get<int>() << " session(s), " << j["input_sets"].get<int>() << " input set(s), "
              << j["warmup"].get<int>() << " warmup run(s)\n";
    std::cout << "session:     created in " << j["session_create_ms"].get<double>() << " ms"
              << (j["engine_loaded"].get<bool>() ? " (from the engine file)" : "") << ", first run "
              << j["first_run_ms"].get<double>() << " ms\n";
    const auto& l = j["latency_ms"];
    std::cout << "latency ms:  min " << l["min"].get<double>() << "  mean " << l["mean"].get<double>() << "  median "
              << l["median"].get<double>() << "  p90 " << l["p90"].get<double>() << "  p95 " << l["p95"].get<double>()
              << "  p99 " << l["p99"].get<double>() << "  max " << l["max"].get<double>() << "  ("
              << j["iterations"].get<int64_t>() << " runs in " << j["wall_s"].get<double>() << " s)\n";
    const auto& t = j["throughput"];
    std::cout << "throughput:  " << t["inferences_per_s"].get<double>() << " inferences/s, "
              << t["images_per_s"].get<double>() << " images/s (batch " << j["batch"].get<int64_t>() << ")\n";
    std::cout << "peak RSS:    " << j["peak_rss_mb"].get<double>() << " MB\n";
    if (j.contains("profile")) print_profile(j["profile"], 40);
}

int run_bench(BenchArgs& args) {
    auto fail = [](const Status& st) {
        std::cerr << "edgeinfer bench: " << st.to_string() << "\n";
        return 1;
    };
    tools::BenchOptions& o = args.options;
    o.precision = precision_from_name(args.precision);
    o.optimization = parse_optimization_level(args.optimization).value();
    auto shapes = tools::parse_shape_options(args.shapes, "--shapes");
    if (!shapes.is_ok()) return fail(shapes.status());
    o.shapes = *shapes;
    if (!args.min_shapes.empty() || !args.opt_shapes.empty() || !args.max_shapes.empty()) {
        auto profile = tools::parse_shape_profile(args.min_shapes, args.opt_shapes, args.max_shapes);
        if (!profile.is_ok()) return fail(profile.status());
        o.shape_profiles = {std::move(profile).value()};
    }
    for (const std::string& spec : args.inputs) {
        auto one = tools::parse_file_options({spec}, "--inputs");
        if (!one.is_ok()) return fail(one.status());
        o.input_files.emplace_back(one->begin()->first, one->begin()->second);
    }
    auto r = tools::benchmark(args.model, o);
    if (!r.is_ok()) return fail(r.status());
    for (const std::string& note : r->notes) std::cerr << "edgeinfer bench: " << note << "\n";
    nlohmann::json j = report_json(args, *r);
    if (args.json)
        std::cout << j.dump(1) << "\n";
    else
        print_text(j);
    return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<BenchArgs>();
    tools::BenchOptions& o = args->options;
    CLI::App* cmd =
        app.add_subcommand("bench", "Measure latency, throughput and memory of a model (optionally per node)");
    cmd->add_option("model", args->model, "ONNX model file")->required();
    cmd->add_option("-t,--threads", o.threads, "Threads per session (0: the machine's cores / --concurrency)");
    cmd->add_option("-b,--batch", o.batch, "Batch size: the first dim of every input without --shapes")
        ->check(CLI::PositiveNumber);
    // One value per occurrence, so `--shapes a:1x3x8x8 MODEL` leaves MODEL to the positional.
    cmd->add_option("--shapes", args->shapes, "NAME:1x3x224x224 input shape (repeatable)")->allow_extra_args(false);
    cmd->add_option("-i,--inputs", args->inputs,
                    "NAME=FILE.npy: real data for that input (repeatable; files of one input are rotated)")
        ->allow_extra_args(false);
    cmd->add_option("-w,--warmup", o.warmup, "Untimed runs after the first one (default 5)");
    auto* it = cmd->add_option("-n,--iterations", args->iterations, "Timed runs per session");
    auto* du = cmd->add_option("-d,--duration", args->duration, "Seconds of timed runs (with -n: both must be met)");
    cmd->add_option("--input-sets", o.input_sets, "Seeded random input sets rotated between runs (default 4)");
    cmd->add_option("--seed", o.seed, "Seed of the first input set (set k uses seed+k)");
    add_precision_option(cmd, args->precision);
    add_keep_fp32_option(cmd, o.keep_fp32);
    cmd->add_option("-O,--optimization", args->optimization, "Graph optimization level: none, basic, extended, all")
        ->check(CLI::IsMember({"none", "basic", "extended", "all"}));
    cmd->add_option("-c,--concurrency", o.concurrency, "Sessions running at once, each in its own thread");
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

// `edgeinfer bench MODEL`: latency, throughput, memory and per-node profile of a model on seeded inputs.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/stats.hpp"
#include "base/status.hpp"
#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "cli/model_exec.hpp"
#include "edgeinfer/session.hpp"

namespace edgeinfer::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
    std::string model;
    int threads = 0;
    int batch = 0;
    std::vector<std::string> shapes;  // name:1x3x224x224
    std::vector<std::string> inputs;  // name=file.npy
    int warmup = 5;
    int iterations = 10;
    double duration = 3.0;
    bool iterations_given = false, duration_given = false;
    int input_sets = 4;
    uint32_t seed = 0;
    std::string precision = "fp32";
    std::vector<std::string> keep_fp32;  // node names
    std::string optimization = "all";
    int concurrency = 1;
    bool profile = false;
    bool json = false;
    bool latencies = false;
    std::string load_engine, save_engine;  // engine files (docs/engine.md)
};

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string dims_text(const std::vector<int64_t>& dims) {
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += 'x';
        s += std::to_string(dims[i]);
    }
    return s.empty() ? "scalar" : s;
}

std::string input_names(const std::vector<ValueDescription>& inputs) {
    std::string names;
    for (const auto& d : inputs) {
        if (!names.empty()) names += ", ";
        names += "'" + d.name + "'";
    }
    return names;
}

// Dims of every input: --shapes first, then the model's with a dynamic (or --batch'd) first dim.
Result<std::map<std::string, std::vector<int64_t>>> resolve_shapes(const std::vector<ValueDescription>& inputs,
                                                                   const BenchArgs& args) {
    EDGEINFER_ASSIGN_OR_RETURN(auto given, parse_shape_options(args.shapes, "--shapes"));
    std::string names = input_names(inputs);
    for (const auto& [name, dims] : given) {
        auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto& d) { return d.name == name; });
        if (it == inputs.end())
            return invalid_argument("--shapes names '" + name +
                                    "', which is not an input of the model (inputs: " + names + ")");
        if (dims.size() != it->dims.size())
            return invalid_argument("--shapes " + name + ":" + dims_text(dims) + " has " + std::to_string(dims.size()) +
                                    " dims but input '" + name + "' has " + std::to_string(it->dims.size()));
        for (size_t i = 0; i < dims.size(); ++i)
            if (it->dims[i] >= 0 && it->dims[i] != dims[i])
                return invalid_argument("--shapes " + name + ":" + dims_text(dims) + ": dim " + std::to_string(i) +
                                        " of input '" + name + "' is fixed at " + std::to_string(it->dims[i]));
    }
    std::map<std::string, std::vector<int64_t>> out;
    for (const ValueDescription& d : inputs) {
        if (auto g = given.find(d.name); g != given.end()) {
            out[d.name] = g->second;
            continue;
        }
        std::vector<int64_t> dims = d.dims;
        if (args.batch > 0 && !dims.empty()) {
            if (dims[0] >= 0 && dims[0] != args.batch)
                return invalid_argument("--batch " + std::to_string(args.batch) + ": input '" + d.name +
                                        "' has a fixed first dim of " + std::to_string(dims[0]) +
                                        " (--batch needs a model exported with a dynamic batch)");
            dims[0] = args.batch;
        }
        for (size_t i = 0; i < dims.size(); ++i) {
            if (dims[i] >= 0) continue;
            if (i != 0)
                return invalid_argument("input '" + d.name + "' has dynamic dim " + std::to_string(i) +
                                        (d.symbols[i].empty() ? "" : " ('" + d.symbols[i] + "')") +
                                        "; give its shape with --shapes " + d.name + ":DIMS");
            dims[i] = 1;  // dynamic batch without --batch: 1
        }
        out[d.name] = dims;
    }
    return out;
}

// One session and the latencies it measured (one per thread with --concurrency).
struct Worker {
    std::unique_ptr<Session> session;
    std::vector<std::vector<NamedTensor>> outputs;  // preallocated, one per input set
    std::vector<double> latencies_ms;
    Status status;
};

void run_timed(Worker& w, const std::vector<std::vector<NamedTensor>>& sets, const BenchArgs& args,
               Clock::time_point deadline, std::atomic<bool>* failed) {
    w.latencies_ms.reserve(args.iterations_given ? args.iterations : 1024);
    auto done = [&](size_t i) {
        size_t n = static_cast<size_t>(args.iterations);
        if (args.iterations_given && args.duration_given) return i >= n && Clock::now() >= deadline;
        if (args.iterations_given) return i >= n;
        if (args.duration_given) return i >= 1 && Clock::now() >= deadline;
        return i >= 10 && Clock::now() >= deadline;  // default: at least 10 runs and 3 s
    };
    for (size_t i = 0; !done(i) && !failed->load(); ++i) {
        size_t s = i % sets.size();
        auto t0 = Clock::now();
        Status st = w.session->run(sets[s], w.outputs[s]);
        w.latencies_ms.push_back(ms_since(t0));
        if (!st.is_ok()) {
            w.status = st;
            failed->store(true);
            return;
        }
    }
}

struct ProfileRow {
    std::string name, op_type, kernel;
    std::vector<std::vector<int64_t>> shapes;
    double ms = 0;
};

// Per-node time per run over the timed runs only: the profile accumulated since creation, minus warmup.
std::vector<ProfileRow> profile_rows(const std::vector<NodeProfile>& before, const std::vector<NodeProfile>& after,
                                     size_t runs) {
    std::vector<ProfileRow> rows;
    for (size_t i = 0; i < after.size() && runs > 0; ++i) {
        double us = after[i].total_us - (i < before.size() ? before[i].total_us : 0.0);
        int64_t n = after[i].runs - (i < before.size() ? before[i].runs : 0);
        if (n <= 0) continue;  // folded or never ran
        rows.push_back({after[i].node_name, after[i].op_type, after[i].kernel, after[i].input_shapes,
                        us / 1000.0 / static_cast<double>(runs)});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
    return rows;
}

nlohmann::json profile_json(const std::vector<ProfileRow>& rows) {
    double total = 0;
    for (const auto& r : rows) total += r.ms;
    nlohmann::json nodes = nlohmann::json::array();
    std::map<std::string, std::pair<int, double>> by_op;
    for (const auto& r : rows) {
        nlohmann::json shapes = nlohmann::json::array();
        for (const auto& s : r.shapes) shapes.push_back(s);
        nodes.push_back({{"name", r.name},
                         {"op_type", r.op_type},
                         {"kernel", r.kernel},
                         {"input_shapes", shapes},
                         {"time_ms", r.ms},
                         {"share", total > 0 ? r.ms / total : 0.0}});
        by_op[r.op_type].first += 1;
        by_op[r.op_type].second += r.ms;
    }
    std::vector<std::pair<std::string, std::pair<int, double>>> ops(by_op.begin(), by_op.end());
    std::stable_sort(ops.begin(), ops.end(),
                     [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
    nlohmann::json op_types = nlohmann::json::array();
    for (const auto& [op, v] : ops)
        op_types.push_back({{"op_type", op},
                            {"nodes", v.first},
                            {"time_ms", v.second},
                            {"share", total > 0 ? v.second / total : 0.0}});
    return {{"total_ms", total}, {"nodes", nodes}, {"op_types", op_types}};
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

struct Setup {
    std::vector<Worker> workers;
    std::vector<std::vector<NamedTensor>> sets;
    double create_ms = 0, first_run_ms = 0;
    int threads = 0;
    bool engine_loaded = false;
};

Status setup(const BenchArgs& args, Setup* s) {
    SessionOptions opts;
    int cores = std::max(1u, std::thread::hardware_concurrency());
    s->threads = args.threads > 0 ? args.threads : std::max(1, cores / args.concurrency);
    if (args.threads > 0 && args.threads * args.concurrency > cores)
        std::cerr << "edgeinfer bench: note: " << args.concurrency << " sessions x " << args.threads
                  << " threads oversubscribe the " << cores << " cores\n";
    opts.num_threads = s->threads;
    opts.enable_profiling = args.profile;
    opts.precision = precision_from_name(args.precision);
    EDGEINFER_RETURN_IF_ERROR(check_keep_fp32(args.model, args.keep_fp32));
    opts.keep_fp32_nodes = args.keep_fp32;
    static const std::map<std::string, GraphOptimizationLevel> kLevels = {
        {"none", GraphOptimizationLevel::kNone},
        {"basic", GraphOptimizationLevel::kBasic},
        {"extended", GraphOptimizationLevel::kExtended},
        {"all", GraphOptimizationLevel::kAll}};
    opts.optimization_level = kLevels.at(args.optimization);
    opts.engine_path = args.load_engine;
    s->workers.resize(args.concurrency);
    for (int k = 0; k < args.concurrency; ++k) {
        auto t0 = Clock::now();
        EDGEINFER_ASSIGN_OR_RETURN(s->workers[k].session, Session::create(args.model, opts));
        if (k == 0) s->create_ms = ms_since(t0);
        const EngineReport& engine = s->workers[k].session->engine_report();
        if (k == 0 && engine.loaded) std::cerr << "edgeinfer bench: loaded engine " << args.load_engine << "\n";
        if (k == 0 && !engine.message.empty()) std::cerr << "edgeinfer bench: note: " << engine.message << "\n";
        s->engine_loaded = engine.loaded;
    }
    const Session& first = *s->workers[0].session;
    // --inputs NAME=FILE may name one input several times: its files are rotated like random sets.
    std::map<std::string, std::vector<std::string>> files;
    for (const std::string& spec : args.inputs) {
        EDGEINFER_ASSIGN_OR_RETURN(auto one, parse_file_options({spec}, "--inputs"));
        const std::string& name = one.begin()->first;
        if (std::none_of(first.inputs().begin(), first.inputs().end(), [&](const auto& d) { return d.name == name; }))
            return invalid_argument("--inputs names '" + name + "', which is not an input of the model (inputs: " +
                                    input_names(first.inputs()) + ")");
        files[name].push_back(one.begin()->second);
    }
    size_t sets = files.size() < first.inputs().size() ? static_cast<size_t>(args.input_sets) : 1;
    for (const auto& [name, list] : files) sets = std::max(sets, list.size());
    EDGEINFER_ASSIGN_OR_RETURN(auto shapes, resolve_shapes(first.inputs(), args));
    for (size_t k = 0; k < sets; ++k) {
        std::map<std::string, std::string> chosen;
        for (const auto& [name, list] : files) chosen[name] = list[k % list.size()];
        EDGEINFER_ASSIGN_OR_RETURN(auto set, make_inputs(first.inputs(), chosen, shapes, args.seed + k));
        s->sets.push_back(std::move(set));
    }
    // First run per input set with allocated outputs; later runs write into those (no allocation per run).
    for (size_t w = 0; w < s->workers.size(); ++w) {
        for (size_t k = 0; k < s->sets.size(); ++k) {
            auto t0 = Clock::now();
            EDGEINFER_ASSIGN_OR_RETURN(auto outs, s->workers[w].session->run(s->sets[k]));
            if (w == 0 && k == 0) s->first_run_ms = ms_since(t0);
            s->workers[w].outputs.push_back(std::move(outs));
        }
        if (w == 0 && !args.save_engine.empty()) {
            EDGEINFER_RETURN_IF_ERROR(s->workers[0].session->save_engine(args.save_engine));
            std::cerr << "edgeinfer bench: wrote engine " << args.save_engine << "\n";
        }
        for (int i = 0; i < args.warmup; ++i) {
            size_t k = i % s->sets.size();
            EDGEINFER_RETURN_IF_ERROR(s->workers[w].session->run(s->sets[k], s->workers[w].outputs[k]));
        }
    }
    return Status::ok();
}

// Everything measured, as the --json document (the text report prints from it too).
nlohmann::json report(const BenchArgs& args, const Setup& s, double wall_s, const std::vector<NodeProfile>& before) {
    std::vector<double> all;
    for (const Worker& w : s.workers) all.insert(all.end(), w.latencies_ms.begin(), w.latencies_ms.end());
    std::sort(all.begin(), all.end());
    double sum = 0;
    for (double v : all) sum += v;
    double mean = sum / static_cast<double>(all.size());
    int64_t batch = s.sets[0].empty() || s.sets[0][0].tensor.dims().empty() ? 1 : s.sets[0][0].tensor.dims()[0];
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);

    nlohmann::json j;
    j["model"] = args.model;
    j["precision"] = args.precision;
    j["optimization"] = args.optimization;
    j["threads"] = s.threads;
    j["concurrency"] = args.concurrency;
    j["batch"] = batch;
    j["inputs"] = nlohmann::json::array();
    for (const NamedTensor& nt : s.sets[0]) {
        bool from_file = std::any_of(args.inputs.begin(), args.inputs.end(),
                                     [&](const std::string& spec) { return spec.rfind(nt.name + "=", 0) == 0; });
        j["inputs"].push_back({{"name", nt.name},
                               {"dtype", dtype_name(nt.tensor.dtype())},
                               {"shape", nt.tensor.dims()},
                               {"source", from_file ? "file" : "random"}});
    }
    j["input_sets"] = s.sets.size();
    j["warmup"] = args.warmup;
    j["session_create_ms"] = s.create_ms;
    j["first_run_ms"] = s.first_run_ms;
    j["engine_loaded"] = s.engine_loaded;
    j["iterations"] = static_cast<int64_t>(all.size());
    j["wall_s"] = wall_s;
    j["latency_ms"] = {{"min", all.front()},
                       {"mean", mean},
                       {"median", base::percentile(all, 50)},
                       {"p90", base::percentile(all, 90)},
                       {"p95", base::percentile(all, 95)},
                       {"p99", base::percentile(all, 99)},
                       {"max", all.back()}};
    double ips = static_cast<double>(all.size()) / wall_s;
    j["throughput"] = {{"inferences_per_s", ips}, {"images_per_s", ips * static_cast<double>(batch)}};
    j["peak_rss_mb"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
    if (args.latencies) {
        j["latencies_ms"] = nlohmann::json::array();  // in run order, session after session
        for (const Worker& w : s.workers)
            for (double v : w.latencies_ms) j["latencies_ms"].push_back(v);
    }
    if (args.profile)
        j["profile"] =
            profile_json(profile_rows(before, s.workers[0].session->profile(), s.workers[0].latencies_ms.size()));
    return j;
}

int run_bench(const BenchArgs& args) {
    auto fail = [](const std::string& msg) {
        std::cerr << "edgeinfer bench: " << msg << "\n";
        return 1;
    };
    if (args.concurrency < 1) return fail("--concurrency must be at least 1");
    if (args.input_sets < 1) return fail("--input-sets must be at least 1");
    if (args.iterations_given && args.iterations < 1) return fail("--iterations must be at least 1");
    if (args.duration_given && !(args.duration > 0)) return fail("--duration must be more than 0 seconds");
    if (args.warmup < 0) return fail("--warmup must not be negative");
    Setup s;
    Status st = setup(args, &s);
    if (!st.is_ok()) return fail(st.to_string());

    std::vector<NodeProfile> before = args.profile ? s.workers[0].session->profile() : std::vector<NodeProfile>{};
    std::atomic<bool> failed{false};
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.duration));
    if (s.workers.size() == 1) {
        run_timed(s.workers[0], s.sets, args, deadline, &failed);
    } else {
        std::vector<std::thread> pool;
        for (Worker& w : s.workers)
            pool.emplace_back([&, wp = &w] { run_timed(*wp, s.sets, args, deadline, &failed); });
        for (auto& t : pool) t.join();
    }
    double wall_s = ms_since(start) / 1000.0;
    for (const Worker& w : s.workers)
        if (!w.status.is_ok()) return fail(w.status.to_string());

    nlohmann::json j = report(args, s, wall_s, before);
    if (args.json)
        std::cout << j.dump(1) << "\n";
    else
        print_text(j);
    return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<BenchArgs>();
    CLI::App* cmd =
        app.add_subcommand("bench", "Measure latency, throughput and memory of a model (optionally per node)");
    cmd->add_option("model", args->model, "ONNX model file")->required();
    cmd->add_option("-t,--threads", args->threads, "Threads per session (0: the machine's cores / --concurrency)");
    cmd->add_option("-b,--batch", args->batch, "Batch size: the first dim of every input without --shapes")
        ->check(CLI::PositiveNumber);
    // One value per occurrence, so `--shapes a:1x3x8x8 MODEL` leaves MODEL to the positional.
    cmd->add_option("--shapes", args->shapes, "NAME:1x3x224x224 input shape (repeatable)")->allow_extra_args(false);
    cmd->add_option("-i,--inputs", args->inputs,
                    "NAME=FILE.npy: real data for that input (repeatable; files of one input are rotated)")
        ->allow_extra_args(false);
    cmd->add_option("-w,--warmup", args->warmup, "Untimed runs after the first one (default 5)");
    auto* it = cmd->add_option("-n,--iterations", args->iterations, "Timed runs per session");
    auto* du = cmd->add_option("-d,--duration", args->duration, "Seconds of timed runs (with -n: both must be met)");
    cmd->add_option("--input-sets", args->input_sets, "Seeded random input sets rotated between runs (default 4)");
    cmd->add_option("--seed", args->seed, "Seed of the first input set (set k uses seed+k)");
    add_precision_option(cmd, args->precision);
    add_keep_fp32_option(cmd, args->keep_fp32);
    cmd->add_option("-O,--optimization", args->optimization, "Graph optimization level: none, basic, extended, all")
        ->check(CLI::IsMember({"none", "basic", "extended", "all"}));
    cmd->add_option("-c,--concurrency", args->concurrency, "Sessions running at once, each in its own thread");
    cmd->add_flag("--profile", args->profile, "Per-node and per-op-type time table");
    cmd->add_flag("--json", args->json, "Print one JSON document");
    cmd->add_flag("--latencies", args->latencies, "With --json: every timed run's latency (latencies_ms)");
    cmd->add_option("--load-engine", args->load_engine,
                    "Create sessions from this engine file when it matches MODEL and the options, else rebuild");
    cmd->add_option("--save-engine", args->save_engine, "After the first runs, save the prepared session here");
    cmd->footer("Default: at least 10 timed runs and at least 3 s. Inputs are generated before timing starts.");
    cmd->callback([args, exit_code, it, du] {
        args->iterations_given = it->count() > 0;
        args->duration_given = du->count() > 0;
        *exit_code = run_bench(*args);
    });
}

}  // namespace edgeinfer::cli

// tools::benchmark: latency, throughput, memory and per-node profile of a model on seeded inputs
// (or .npy files), with one or more sessions running at once.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "base/stats.hpp"
#include "base/status.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::tools {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// One session and the latencies it measured (one per thread with concurrency > 1).
struct Worker {
    std::unique_ptr<Session> session;
    std::vector<std::vector<NamedTensor>> outputs;  // preallocated, one per input set
    std::vector<double> latencies_ms;
    Status status;
};

void run_timed(Worker& w, const std::vector<std::vector<NamedTensor>>& sets, const BenchOptions& o,
               Clock::time_point deadline, std::atomic<bool>* failed) {
    w.latencies_ms.reserve(o.iterations ? static_cast<size_t>(*o.iterations) : 1024);
    auto done = [&](size_t i) {
        const size_t n = static_cast<size_t>(o.iterations.value_or(10));
        if (o.iterations && o.duration) return i >= n && Clock::now() >= deadline;
        if (o.iterations) return i >= n;
        if (o.duration) return i >= 1 && Clock::now() >= deadline;
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

struct Setup {
    std::vector<Worker> workers;
    std::vector<std::vector<NamedTensor>> sets;
};

Status create_sessions(const std::string& model, const BenchOptions& o, Setup& s, BenchReport& r) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    r.threads = o.threads > 0 ? o.threads : std::max(1, cores / o.concurrency);
    if (o.threads > 0 && o.threads * o.concurrency > cores)
        r.notes.push_back("note: " + std::to_string(o.concurrency) + " sessions x " + std::to_string(o.threads) +
                          " threads oversubscribe the " + std::to_string(cores) + " cores");
    EDGEINFER_RETURN_IF_ERROR(check_node_names(model, o.keep_fp32));
    // Threads wait at barriers as libgomp's settings say: name them, they change multi-thread latencies a lot.
    for (const char* var : {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"})
        if (const char* v = std::getenv(var)) {
            if (!r.omp_wait.empty()) r.omp_wait.push_back(' ');
            r.omp_wait.append(var).append("=").append(v);
        }
    SessionOptions opts;
    opts.num_threads = r.threads;
    opts.enable_profiling = o.profile;
    opts.precision = o.precision;
    opts.tactics = o.tactics;
    opts.keep_fp32_nodes = o.keep_fp32;
    opts.optimization_level = o.optimization;
    opts.engine_path = o.load_engine;
    opts.shape_profiles = o.shape_profiles;
    opts.max_memory_bytes = o.max_memory_bytes;
    s.workers.resize(static_cast<size_t>(o.concurrency));
    for (size_t k = 0; k < s.workers.size(); ++k) {
        auto t0 = Clock::now();
        EDGEINFER_ASSIGN_OR_RETURN(s.workers[k].session, Session::create(model, opts));
        if (k == 0) r.session_create_ms = ms_since(t0);
        const EngineReport& engine = s.workers[k].session->engine_report();
        if (k == 0 && engine.loaded) r.notes.push_back("loaded engine " + o.load_engine);
        if (k == 0 && !engine.message.empty()) r.notes.push_back("note: " + engine.message);
        r.engine_loaded = engine.loaded;
    }
    return Status::ok();
}

// Input sets: files of an input named several times are rotated like random sets (seed + k).
Status make_input_sets(const BenchOptions& o, Setup& s) {
    const std::vector<ValueDescription>& inputs = s.workers[0].session->inputs();
    std::map<std::string, std::vector<std::string>> files;
    std::string names;
    for (const auto& d : inputs) {
        if (!names.empty()) names += ", ";
        names += "'" + d.name + "'";
    }
    for (const auto& [name, file] : o.input_files) {
        const std::string& wanted = name;  // clang 14 cannot capture a structured binding
        if (std::none_of(inputs.begin(), inputs.end(), [&](const auto& d) { return d.name == wanted; }))
            return invalid_argument("--input names '" + name +
                                    "', which is not an input of the model (inputs: " + names + ")");
        files[name].push_back(file);
    }
    size_t sets = files.size() < inputs.size() ? static_cast<size_t>(o.input_sets) : 1;
    for (const auto& [name, list] : files) sets = std::max(sets, list.size());
    // An input given by files takes its shape from its first file unless --shape names it: a dynamic
    // input needs no --shape when the data says what it is.
    std::map<std::string, std::string> first_files;
    for (const auto& [name, list] : files) first_files[name] = list.front();
    EDGEINFER_ASSIGN_OR_RETURN(ShapeMap given,
                               with_file_shapes(with_opt_shapes(o.shapes, o.shape_profiles), first_files, inputs));
    EDGEINFER_ASSIGN_OR_RETURN(auto shapes, resolve_input_shapes(inputs, given, o.batch, "--shape"));
    for (size_t k = 0; k < sets; ++k) {
        std::map<std::string, std::string> chosen;
        for (const auto& [name, list] : files) chosen[name] = list[k % list.size()];
        EDGEINFER_ASSIGN_OR_RETURN(auto set, make_inputs(inputs, chosen, shapes, o.seed + static_cast<uint32_t>(k)));
        s.sets.push_back(std::move(set));
    }
    return Status::ok();
}

// First run per input set with allocated outputs (later runs write into those), the engine file, warmup.
Status first_runs(const BenchOptions& o, Setup& s, BenchReport& r) {
    for (size_t w = 0; w < s.workers.size(); ++w) {
        for (size_t k = 0; k < s.sets.size(); ++k) {
            auto t0 = Clock::now();
            EDGEINFER_ASSIGN_OR_RETURN(auto outs, s.workers[w].session->run(s.sets[k]));
            if (w == 0 && k == 0) r.first_run_ms = ms_since(t0);
            s.workers[w].outputs.push_back(std::move(outs));
        }
        if (w == 0 && !o.save_engine.empty()) {
            EDGEINFER_RETURN_IF_ERROR(s.workers[0].session->save_engine(o.save_engine));
            r.notes.push_back("wrote engine " + o.save_engine);
        }
        for (int i = 0; i < o.warmup; ++i) {
            size_t k = static_cast<size_t>(i) % s.sets.size();
            EDGEINFER_RETURN_IF_ERROR(s.workers[w].session->run(s.sets[k], s.workers[w].outputs[k]));
        }
    }
    return Status::ok();
}

// Per-node time per run over the timed runs only: the profile accumulated since creation, minus warmup.
void add_profile(const std::vector<NodeProfile>& before, const std::vector<NodeProfile>& after, size_t runs,
                 BenchReport& r) {
    for (size_t i = 0; i < after.size() && runs > 0; ++i) {
        double us = after[i].total_us - (i < before.size() ? before[i].total_us : 0.0);
        int64_t n = after[i].runs - (i < before.size() ? before[i].runs : 0);
        if (n <= 0) continue;  // folded or never ran
        r.profile.push_back({after[i].node_name, after[i].op_type, after[i].kernel, after[i].tactic,
                             after[i].input_shapes, us / 1000.0 / static_cast<double>(runs), 0});
    }
    std::stable_sort(r.profile.begin(), r.profile.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
    for (const ProfileRow& p : r.profile) r.profile_total_ms += p.ms;
    const double total = r.profile_total_ms;
    std::map<std::string, OpTypeRow> by_op;
    for (ProfileRow& p : r.profile) {
        p.share = total > 0 ? p.ms / total : 0.0;
        OpTypeRow& o = by_op[p.op_type];
        o.op_type = p.op_type;
        o.nodes += 1;
        o.ms += p.ms;
    }
    for (auto& [op, row] : by_op) {
        row.share = total > 0 ? row.ms / total : 0.0;
        r.op_types.push_back(row);
    }
    std::stable_sort(r.op_types.begin(), r.op_types.end(), [](const auto& a, const auto& b) { return a.ms > b.ms; });
}

void summarize(const BenchOptions& o, const Setup& s, BenchReport& r) {
    for (const Worker& w : s.workers)
        r.latencies_ms.insert(r.latencies_ms.end(), w.latencies_ms.begin(), w.latencies_ms.end());
    const base::LatencyStats l = base::latency_stats(r.latencies_ms);
    r.min_ms = l.min;
    r.mean_ms = l.mean;
    r.median_ms = l.p50;
    r.p90_ms = l.p90;
    r.p95_ms = l.p95;
    r.p99_ms = l.p99;
    r.max_ms = l.max;
    r.batch = s.sets[0].empty() || s.sets[0][0].tensor.dims().empty() ? 1 : s.sets[0][0].tensor.dims()[0];
    r.input_sets = s.sets.size();
    for (const NamedTensor& nt : s.sets[0]) {
        bool from_file =
            std::any_of(o.input_files.begin(), o.input_files.end(), [&](const auto& f) { return f.first == nt.name; });
        r.inputs.push_back({nt.name, nt.tensor.dtype(), nt.tensor.dims(), from_file});
    }
    r.inferences_per_s = static_cast<double>(r.latencies_ms.size()) / r.wall_s;
    r.images_per_s = r.inferences_per_s * static_cast<double>(r.batch);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// User + system CPU time of this process (all threads) so far.
double process_cpu_ms() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto ms = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
    };
    return ms(ru.ru_utime) + ms(ru.ru_stime);
}

Status check_options(const BenchOptions& o) {
    if (o.concurrency < 1) return invalid_argument("--concurrency must be at least 1");
    if (o.input_sets < 1) return invalid_argument("--input-sets must be at least 1");
    if (o.iterations && *o.iterations < 1) return invalid_argument("--iterations must be at least 1");
    if (o.duration && !(*o.duration > 0)) return invalid_argument("--duration must be more than 0 seconds");
    if (o.warmup < 0) return invalid_argument("--warmup must not be negative");
    return Status::ok();
}

}  // namespace

Result<BenchReport> benchmark(const std::string& model, const BenchOptions& o) {
    EDGEINFER_RETURN_IF_ERROR(check_options(o));
    BenchReport r;
    r.cpu = cpu_info();
    Setup s;
    EDGEINFER_RETURN_IF_ERROR(create_sessions(model, o, s, r));
    EDGEINFER_RETURN_IF_ERROR(make_input_sets(o, s));
    EDGEINFER_RETURN_IF_ERROR(first_runs(o, s, r));
    std::vector<NodeProfile> before = o.profile ? s.workers[0].session->profile() : std::vector<NodeProfile>{};
    std::atomic<bool> failed{false};
    const double cpu_before = process_cpu_ms();
    const auto start = Clock::now();
    const auto deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration.value_or(3.0)));
    if (s.workers.size() == 1) {
        run_timed(s.workers[0], s.sets, o, deadline, &failed);
    } else {
        std::vector<std::thread> pool;
        for (Worker& w : s.workers) pool.emplace_back([&, wp = &w] { run_timed(*wp, s.sets, o, deadline, &failed); });
        for (auto& t : pool) t.join();
    }
    r.wall_s = ms_since(start) / 1000.0;
    const double cpu_ms = process_cpu_ms() - cpu_before;
    for (const Worker& w : s.workers)
        if (!w.status.is_ok()) return w.status;
    summarize(o, s, r);
    if (!r.latencies_ms.empty()) r.cpu_ms_per_run = cpu_ms / static_cast<double>(r.latencies_ms.size());
    if (o.profile) add_profile(before, s.workers[0].session->profile(), s.workers[0].latencies_ms.size(), r);
    return r;
}

}  // namespace edgeinfer::tools

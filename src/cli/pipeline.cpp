// `edgeinfer pipeline CONFIG.json`: runs a stream pipeline (docs/pipeline.md) until its sources end,
// --limit frames per source, or SIGINT/SIGTERM; prints a summary (per element fps, latency, peak queue
// depth, batch sizes; per source frames and drops; per event sink deliveries). Exit codes: see kPipelineExit* below.
#include "edgeinfer/pipeline.hpp"

#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "cli/signals.hpp"

namespace edgeinfer::cli {
namespace {

// Exit codes of `edgeinfer pipeline` (README "Stream pipelines").
constexpr int kPipelineExitOk = 0;            // every source ended (or --limit reached), every event delivered
constexpr int kPipelineExitError = 1;         // bad config (message starts with the JSON path), model, sink or output
constexpr int kPipelineExitNoFrames = 2;      // no source yielded a single frame
constexpr int kPipelineExitSourceFailed = 3;  // a source failed mid-run (the others went on); see the summary
constexpr int kPipelineExitUndelivered = 4;   // events still queued on disk at exit (delivered on the next run)
constexpr int kPipelineExitDataLost = 5;      // clips lost or events refused (disk full, write errors); see the summary
constexpr int kPipelineExitInterrupted = 130;  // SIGINT/SIGTERM: clean stop, summary printed

struct PipelineArgs {
    std::string config;
    int metrics_port = -1;
    int64_t limit = 0;
    double drain_seconds = 10.0;
    int threads = 0;
    std::string precision = "fp32";
    std::string tactics = "fast";  // --tactics
    std::string max_memory;        // --max-memory
};

int run_pipeline(const PipelineArgs& a) {
    const std::string me = "edgeinfer pipeline: ";
    PipelineOptions options;
    options.session.num_threads = a.threads;
    options.session.max_memory_bytes = max_memory_bytes(a.max_memory);
    options.session.precision = parse_precision(a.precision).value();  // CLI11 checked the choice
    options.session.tactics = tactic_mode_from_name(a.tactics);
    options.max_frames = a.limit;
    options.metrics_port = a.metrics_port;
    options.drain_seconds = a.drain_seconds;  // run() drains before its summary, so the summary's counts are final
    auto created = Pipeline::from_file(a.config, std::move(options));
    if (!created.is_ok()) {
        std::cerr << me << created.status().message() << "\n";
        return kPipelineExitError;
    }
    Pipeline& p = *created.value();
    if (p.metrics_port() > 0) std::cerr << me << "metrics at http://127.0.0.1:" << p.metrics_port() << "/metrics\n";

    int sig = 0;
    Result<PipelineSummary> result = internal_error("pipeline did not run");
    {
        StopSignals signals([&p] { p.stop(); });
        result = p.run();
        signals.finish();
        sig = signals.received();
    }

    if (!result.is_ok()) {
        std::cerr << me << result.status().message() << "\n";
        return kPipelineExitError;
    }
    const PipelineSummary& s = result.value();
    const bool drained = s.events_pending == 0;
    std::cout << "pipeline: " << s.frames << " frames, " << s.events << " events, " << s.dropped
              << " live frames dropped" << (sig ? std::string(", stopped by ") + signal_name(sig) : std::string())
              << "\n";
    for (const std::string& line : s.lines) std::cout << "  " << line << "\n";
    for (const PipelineSourceError& e : s.source_errors) std::cout << "  source error: " << e.message << "\n";
    if (!drained)
        std::cerr << me << s.events_pending << " event(s) still queued on disk after " << a.drain_seconds
                  << " s; they are delivered on the next run\n";
    if (sig) return kPipelineExitInterrupted;
    if (s.source_errors.size() >= p.source_ids().size() && s.frames == 0) return kPipelineExitNoFrames;
    if (!s.source_errors.empty()) return kPipelineExitSourceFailed;
    if (s.clips_lost > 0 || s.events_refused > 0) return kPipelineExitDataLost;
    if (!drained) return kPipelineExitUndelivered;
    return kPipelineExitOk;
}

}  // namespace

void add_pipeline_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<PipelineArgs>();
    CLI::App* cmd = app.add_subcommand(
        "pipeline",
        "Run a stream pipeline: sources -> detector -> tracker -> classifiers -> overlay, rules and actions "
        "(docs/pipeline.md)");
    cmd->add_option("config", args->config, "Pipeline configuration (JSON)")->required();
    cmd->add_option("--metrics-port", args->metrics_port,
                    "Serve Prometheus metrics on this port (0: off; default: the config's metrics_port)");
    cmd->add_option("-l,--limit", args->limit, "Stop each source after N frames (0: until it ends)");
    cmd->add_option("--drain-timeout", args->drain_seconds,
                    "Seconds to wait at exit for queued events to be delivered (default 10)");
    cmd->add_option("-t,--threads", args->threads, "Threads per model (0: all cores)");
    add_max_memory_option(cmd, args->max_memory);
    cmd->add_option("-p,--precision", args->precision,
                    "fp32, bf16 or int8 for every model (default fp32); an element's \"precision\" key overrides it")
        ->check(precision_validator());
    add_tactics_option(cmd, args->tactics);  // an element's "tactics" key overrides it
    cmd->footer(
        "Exit codes: 0 sources ended (or --limit) and every event delivered; 1 bad config (the message names "
        "the JSON path), model or sink; 2 no source gave a frame; 3 a source failed mid-run; 4 events left "
        "queued on disk; 5 clips lost or events refused (disk full, write errors; see the summary); 130 stopped by "
        "SIGINT/SIGTERM (summary printed).");
    cmd->callback([args, exit_code] { *exit_code = run_pipeline(*args); });
}

}  // namespace edgeinfer::cli

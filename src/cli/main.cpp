// The edgeinfer program: parses the subcommand and hands over to cli/<command>.cpp.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "base/logging.hpp"
#include "cli/commands.hpp"

namespace {

// libgomp (oneDNN's OpenMP) makes a thread that reaches a barrier spin about 300,000 times before it sleeps,
// and reads OMP_WAIT_POLICY / GOMP_SPINCOUNT only once, when it loads, before main (a .preinit_array setenv
// does not reach it either). With other processes on the cores a spinning thread holds a core its partner
// needs: resnet18 at 2 threads took 588 ms instead of 47 ms at load 9 on 2 cores (bench/RESULTS.md, issue 20).
// So when the user set neither, the program sets GOMP_SPINCOUNT=1000 (about 50 us of spinning) and runs itself
// again; if that fails it goes on with libgomp's defaults.
void use_short_omp_spin(char** argv) {
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
    if (::setenv("GOMP_SPINCOUNT", "1000", 1) != 0) return;
    ::execv("/proc/self/exe", argv);
}

}  // namespace

int main(int argc, char** argv) {
    use_short_omp_spin(argv);
    CLI::App app{"edgeinfer: deploy ONNX neural networks on edge machines and servers"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "edgeinfer 0.1.0");
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Log details to stderr");
    int exit_code = 0;
    edgeinfer::cli::add_inspect_command(app, &exit_code);
    edgeinfer::cli::add_conformance_command(app, &exit_code);
    edgeinfer::cli::add_run_command(app, &exit_code);
    edgeinfer::cli::add_optimize_command(app, &exit_code);
    edgeinfer::cli::add_compare_command(app, &exit_code);
    edgeinfer::cli::add_camera_server_command(app, &exit_code);
    edgeinfer::cli::add_frames_command(app, &exit_code);
    edgeinfer::cli::add_export_command(app, &exit_code);
    edgeinfer::cli::add_classify_command(app, &exit_code);
    edgeinfer::cli::add_video_command(app, &exit_code);
    edgeinfer::cli::add_detect_command(app, &exit_code);
    edgeinfer::cli::add_segment_command(app, &exit_code);
    edgeinfer::cli::add_recognize_command(app, &exit_code);
    edgeinfer::cli::add_ocr_command(app, &exit_code);
    edgeinfer::cli::add_bench_command(app, &exit_code);
    edgeinfer::cli::add_quantize_command(app, &exit_code);
    edgeinfer::cli::add_pipeline_command(app, &exit_code);
    edgeinfer::cli::add_serve_command(app, &exit_code);
    app.parse_complete_callback([&] {
        if (verbose) edgeinfer::base::set_log_level(edgeinfer::base::LogLevel::kDebug);
    });
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return exit_code;
}

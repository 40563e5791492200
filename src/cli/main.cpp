// The edgeinfer program: parses the subcommand and hands over to cli/<command>.cpp.
#include <CLI/CLI.hpp>

#include <iostream>

#include "base/logging.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
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

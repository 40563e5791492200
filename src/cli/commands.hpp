// Subcommand registration: one function per file in cli/, each adding its CLI11 subcommand.
#pragma once

#include <CLI/CLI.hpp>

namespace edgeinfer::cli {

// Each returns the process exit code through `*exit_code` when its subcommand runs.
void add_inspect_command(CLI::App& app, int* exit_code);
void add_conformance_command(CLI::App& app, int* exit_code);
void add_run_command(CLI::App& app, int* exit_code);
void add_optimize_command(CLI::App& app, int* exit_code);
void add_compare_command(CLI::App& app, int* exit_code);
void add_camera_server_command(CLI::App& app, int* exit_code);
void add_frames_command(CLI::App& app, int* exit_code);
void add_export_command(CLI::App& app, int* exit_code);
void add_classify_command(CLI::App& app, int* exit_code);
void add_video_command(CLI::App& app, int* exit_code);
void add_detect_command(CLI::App& app, int* exit_code);
void add_segment_command(CLI::App& app, int* exit_code);
void add_recognize_command(CLI::App& app, int* exit_code);
void add_ocr_command(CLI::App& app, int* exit_code);
void add_bench_command(CLI::App& app, int* exit_code);
void add_quantize_command(CLI::App& app, int* exit_code);
void add_pipeline_command(CLI::App& app, int* exit_code);
void add_serve_command(CLI::App& app, int* exit_code);

}  // namespace edgeinfer::cli

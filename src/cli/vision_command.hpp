// The flags every vision command shares (classify, detect, segment, recognize, video), their exit codes,
// and the call that turns the flags into pipeline::TaskRunOptions and runs the command's head as a pipeline
// (pipeline::run_task): SIGINT/SIGTERM stop the run, a progress line shows on a terminal, --json prints JSON lines.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "pipeline/task_element.hpp"

namespace edgeinfer::cli {

// Process exit codes of every vision command (README "Vision commands").
inline constexpr int kExitOk = 0;             // the source ended or --limit was reached
inline constexpr int kExitError = 1;          // bad model, sidecar, labels, flags, or inference failed
inline constexpr int kExitNoFrames = 2;       // the DATASPEC cannot be opened or yields no frame at all
inline constexpr int kExitSourceLost = 3;     // a camera or camera server vanished mid-run (after retries)
inline constexpr int kExitSaveFailed = 4;     // --save could not write
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM: summary printed, then stop
int exit_code(pipeline::TaskOutcome outcome);

// Raw flag values; parse() turns the preprocessing strings into task.preprocess.
struct VisionArgs {
    pipeline::TaskRunOptions task;
    std::string precision = "fp32";
    std::string tactics = "fast";                                 // --tactics
    std::string max_memory;                                       // --max-memory
    std::vector<std::string> min_shapes, opt_shapes, max_shapes;  // one shape profile, NAME:DIMS,...
    std::string size, resize, interp, mean, std;
    double scale = 0.0;  // 0: unset
    bool bgr = false, rgb = false, nhwc = false, nchw = false;
    bool no_progress = false;
    std::string curve_keys;  // --curve-keys: added to a camera server's URL
};

// Which optional common flags a command offers.
struct VisionFlags {
    bool top = false;        // --top K
    bool threshold = false;  // --threshold T
    bool clip = false;       // --frames T, --stride S (video)
};

// Adds MODEL DATASPEC and the common flags (-l -r -c --json --save --labels --sidecar -t --precision --tactics
// --keep-fp32 --engine --engine-cache --min/opt/max-shapes --recursive --loop --no-progress, preprocessing
// flags, and those `flags` asks for) to `cmd`.
void add_vision_options(CLI::App* cmd, VisionArgs& args, VisionFlags flags = {});

// Parses the preprocessing flags and runs the loop; prints a one-line error and returns 1 for bad
// flag values. Call it from the subcommand's callback: *exit_code = run_vision_command(args, head).
int run_vision_command(VisionArgs& args, vision::TaskHead& head);

}  // namespace edgeinfer::cli

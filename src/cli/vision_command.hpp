// The flags every vision command shares (classify, detect, segment, recognize, video) and the call
// that turns them into vision::TaskOptions and runs vision::run_task with a command's head.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "vision/task.hpp"

namespace edgeinfer::cli {

// Raw flag values; parse() turns the preprocessing strings into task.preprocess.
struct VisionArgs {
    vision::TaskOptions task;
    std::string precision = "fp32";
    std::string size, resize, interp, mean, std;
    double scale = 0.0;  // 0: unset
    bool bgr = false, rgb = false, nhwc = false, nchw = false;
    bool no_progress = false;
};

// Which optional common flags a command offers.
struct VisionFlags {
    bool top = false;        // --top K
    bool threshold = false;  // --threshold T
    bool clip = false;       // --frames T, --stride S (video)
};

// Adds MODEL DATASPEC and the common flags (-l -r -c --json --save --labels --sidecar -t --precision
// --keep-fp32 --recursive --loop --no-progress, preprocessing flags, and those `flags` asks for) to `cmd`.
void add_vision_options(CLI::App* cmd, VisionArgs& args, VisionFlags flags = {});

// Parses the preprocessing flags and runs the loop; prints a one-line error and returns 1 for bad
// flag values. Call it from the subcommand's callback: *exit_code = run_vision_command(args, head).
int run_vision_command(VisionArgs& args, vision::TaskHead& head);

}  // namespace edgeinfer::cli

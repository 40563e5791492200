// `edgeinfer video MODEL DATASPEC`: video classification over a sliding clip of T frames (NCTHW models).
#include "cli/commands.hpp"
#include "cli/vision_command.hpp"
#include "vision/classification.hpp"

namespace edgeinfer::cli {

void add_video_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<VisionArgs>();
    args->task.command = "video";
    args->task.clips_only = true;
    CLI::App* cmd =
        app.add_subcommand("video", "Classify clips of T consecutive frames (NxCxTxHxW models), a result per clip");
    add_vision_options(cmd, *args, VisionFlags{.top = true, .threshold = true, .clip = true});
    cmd->callback([args, exit_code] {
        vision::ClassificationHead head;
        *exit_code = run_vision_command(*args, head);
    });
}

}  // namespace edgeinfer::cli

// `edgeinfer classify MODEL DATASPEC`: top-k classes for every frame of any source.
#include "cli/commands.hpp"
#include "cli/vision_command.hpp"
#include "vision/classification.hpp"

namespace edgeinfer::cli {

void add_classify_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<VisionArgs>();
    args->task.command = "classify";
    CLI::App* cmd = app.add_subcommand("classify", "Classify every frame of a DATASPEC (top-k classes per frame)");
    add_vision_options(cmd, *args, VisionFlags{.top = true, .threshold = true});
    cmd->callback([args, exit_code] {
        vision::ClassificationHead head;
        *exit_code = run_vision_command(*args, head);
    });
}

}  // namespace edgeinfer::cli

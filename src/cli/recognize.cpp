// `edgeinfer recognize MODEL DATASPEC`: the text in every frame (text-line crops) by CTC greedy decoding.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/vision_command.hpp"
#include "vision/ctc.hpp"

namespace edgeinfer::cli {
namespace {

struct RecognizeArgs {
    std::string charset;
    int64_t blank = 0;
    std::string layout = "auto";
};

}  // namespace

void add_recognize_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<VisionArgs>();
    auto rec = std::make_shared<RecognizeArgs>();
    args->task.command = "recognize";
    CLI::App* cmd = app.add_subcommand(
        "recognize", "Read the text in every frame of a DATASPEC (CTC text recognizers such as CRNN)");
    add_vision_options(cmd, *args, VisionFlags{});
    cmd->add_option("--charset", rec->charset,
                    "Characters of the classes: a FILE (one per line) or the characters themselves, without the "
                    "blank (default: --labels or the sidecar's labels)");
    cmd->add_option("--blank", rec->blank, "Index of the CTC blank class (default 0)");
    cmd->add_option("--ctc-layout", rec->layout, "Output layout: auto (default), tnc ([T,N,C]) or ntc ([N,T,C])");
    cmd->callback([args, rec, exit_code] {
        auto layout = vision::parse_ctc_layout(rec->layout);
        if (!layout.is_ok()) {
            std::cerr << "edgeinfer recognize: " << layout.status().to_string() << "\n";
            *exit_code = kExitError;
            return;
        }
        vision::CtcOptions options;
        options.blank = rec->blank;
        options.layout = layout.value();
        vision::TextRecognitionHead head(rec->charset, options);
        *exit_code = run_vision_command(*args, head);
    });
}

}  // namespace edgeinfer::cli

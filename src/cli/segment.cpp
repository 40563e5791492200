// `edgeinfer segment MODEL DATASPEC`: the class of every pixel of every frame, with per-class shares.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "cli/vision_command.hpp"
#include "vision/segmentation.hpp"

namespace edgeinfer::cli {
namespace {

struct SegmentArgs {
    std::string output;
    std::string mask_resize = "logits";
    double alpha = 0.5;
};

}  // namespace

void add_segment_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<VisionArgs>();
    auto seg = std::make_shared<SegmentArgs>();
    args->task.command = "segment";
    CLI::App* cmd = app.add_subcommand(
        "segment", "Semantic segmentation of every frame of a DATASPEC: class per pixel, share per class");
    add_vision_options(cmd, *args, VisionFlags{});
    cmd->add_option("--output", seg->output, "Output to read (default: 'out', else the first)");
    cmd->add_option("--mask-resize", seg->mask_resize,
                    "logits (bilinear logits to the frame, then argmax; default) or mask (argmax, then nearest)")
        ->check(name_validator(vision::parse_mask_resize, vision::mask_resize_choices()));
    cmd->add_option("--alpha", seg->alpha, "Mask opacity in --save images (default 0.5)")->check(CLI::Range(0.0, 1.0));
    cmd->callback([args, seg, exit_code] {
        // Checked by the option's validator.
        vision::SegmentationHead head(seg->output, vision::parse_mask_resize(seg->mask_resize).value(), seg->alpha);
        *exit_code = run_vision_command(*args, head);
    });
}

}  // namespace edgeinfer::cli

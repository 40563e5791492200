// `edgeinfer detect MODEL DATASPEC`: objects (boxes, classes, scores) in every frame of any source.
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/vision_command.hpp"
#include "vision/detection.hpp"

namespace edgeinfer::cli {
namespace {

struct DetectArgs {
    double iou = 0.45;
    int max_detections = 100;
    std::string format = "auto";
};

}  // namespace

void add_detect_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<VisionArgs>();
    auto detect = std::make_shared<DetectArgs>();
    args->task.command = "detect";
    CLI::App* cmd = app.add_subcommand(
        "detect",
        "Detect objects in every frame of a DATASPEC (torchvision SSD/RetinaNet/Faster R-CNN, YOLOv5, "
        "YOLOv8 or DETR outputs)");
    add_vision_options(cmd, *args, VisionFlags{.top = false, .threshold = true});
    cmd->add_option("--iou", detect->iou, "NMS IoU threshold for YOLO outputs (default 0.45)");
    cmd->add_option("--max-detections", detect->max_detections, "At most this many objects per frame (default 100)");
    cmd->add_option("--format", detect->format, "Output format: auto (default), torchvision, yolov5, yolov8 or detr");
    cmd->callback([args, detect, exit_code] {
        auto format = vision::parse_detection_format(detect->format);
        if (!format.is_ok()) {
            std::cerr << "edgeinfer detect: " << format.status().to_string() << "\n";
            *exit_code = kExitError;
            return;
        }
        if (detect->max_detections < 1) {
            std::cerr << "edgeinfer detect: InvalidArgument: --max-detections " << detect->max_detections
                      << ": must be >= 1\n";
            *exit_code = kExitError;
            return;
        }
        vision::DetectionOptions options;
        options.format = format.value();
        options.iou_threshold = static_cast<float>(detect->iou);
        options.max_detections = detect->max_detections;
        vision::DetectionHead head(options);
        *exit_code = run_vision_command(*args, head);
    });
}

}  // namespace edgeinfer::cli

// vision::Sidecar: the JSON file next to a model (MODEL.json, written by edgeinfer-export or by
// hand; keys in docs/export.md) that says how to feed it frames and what its outputs mean; and the
// labels file reader shared by every task head.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"

namespace edgeinfer::vision {

struct Sidecar {
    std::string path;    // the file it was read from
    nlohmann::json doc;  // the whole document, for keys a head reads itself

    std::string task;                  // "classification", "detection", "segmentation", "video", "text", or ""
    std::string input;                 // input name ("" : the model's first input)
    std::vector<int64_t> input_shape;  // example shape, e.g. {1, 3, 224, 224}
    std::string layout;                // "NCHW", "NHWC", "NCTHW" or ""
    std::string color_order;           // "RGB", "BGR", "GRAY" or ""
    std::optional<double> scale;       // pixel multiplier before mean/std (1/255 for 0..1 inputs)
    std::vector<double> mean, std;     // empty when absent
    std::string resize;                // optional: "stretch", "letterbox", "crop"
    std::string interpolation;         // optional: "nearest", "linear", "cubic", "area"
    std::optional<double> crop_fraction;
    std::optional<int64_t> num_classes;
    std::vector<std::string> labels;  // empty when null/absent
    int64_t frames = 0;               // video: clip length T (0: absent)
    std::string weights;              // "random" (edgeinfer export without --weights), a weights file, or ""
};

// A warning for a sidecar whose "weights" say the model has random weights (its outputs mean nothing);
// "" otherwise or for nullptr.
std::string random_weights_warning(const Sidecar* sidecar);

// Reads and validates a sidecar; errors name the file and the JSON key at fault.
Result<Sidecar> load_sidecar(const std::string& path);

// `explicit_path` when given (it must exist), else MODEL.json next to MODEL.onnx when present,
// else nullopt.
Result<std::optional<Sidecar>> find_sidecar(const std::string& model_path, const std::string& explicit_path);

// One label per line (trailing whitespace and a final empty line dropped); errors name the file.
Result<std::vector<std::string>> load_labels(const std::string& path);

}  // namespace edgeinfer::vision

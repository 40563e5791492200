// The JSON form of the typed vision results: what `edgeinfer classify|detect|segment|recognize|video --json`
// prints under "results", and what edgeinfer::to_json (include/edgeinfer/vision.hpp) returns as text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "vision/task.hpp"

namespace edgeinfer::vision {

// Classification: [{"class", "score"[, "label"]}...]; detections: [{"class"[, "label"], "score", "box"}...];
// segmentation: {"size", "num_classes", "classes": [{"class"[, "label"], "share", "pixels"}...]} (no mask);
// recognized text: {"text", "confidence", "chars": [{"char", "class", "confidence", "step"}...]}.
nlohmann::json results_json(const TaskResult& result);

// One line of JSON (invalid UTF-8 in labels or text replaced by U+FFFD); nlohmann::json or ordered_json
// (which keeps its keys in insertion order).
template <typename Json>
std::string json_text(const Json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace edgeinfer::vision

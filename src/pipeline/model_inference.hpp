// pipeline model inference: the functions behind `infer` (detector, object classifier) and
// `clip_classifier` built from the config's model files with edgeinfer::Session, the model's sidecar
// preprocessing (vision/preprocess) and the vision heads (DetectionDecoder, softmax/top-1), and the
// ElementFactory that plugs them into a Pipeline.
#pragma once

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "pipeline/config.hpp"
#include "pipeline/infer_elements.hpp"
#include "pipeline/runtime.hpp"

namespace edgeinfer::pipeline {

// Whole-frame detector from infer.model: any format vision::DetectionDecoder reads (infer.task names it:
// yolo, yolov5, yolov8, detr, ssd, torchvision; empty = decided from the outputs), confidence and NMS
// thresholds from the element, labels from the element or else the sidecar. Boxes in frame pixels.
// Errors (model, sidecar, input, output shapes) start with the element's JSON path.
Result<DetectFn> make_model_detector(const ElementConfig& element, const SessionOptions& options = {});

// The same detector on batches: a dynamic batch runs up to batch_size frames at once, a fixed batch B runs
// B at a time (the last batch padded). max_batch is the element's batch_size, or 1 (with a warning logged
// once) when batch_size > 1 but the model takes one frame at a time (fixed batch 1, or post-processed
// torchvision outputs). The input tensor is kept per batch size and reused.
struct BatchDetector {
    BatchDetectFn detect;
    size_t max_batch = 1;
};
Result<BatchDetector> make_model_batch_detector(const ElementConfig& element, const SessionOptions& options = {});

// Classifier on object crops from infer.model (N x C x H x W input, one [N, classes] output): crops go
// through the sidecar's preprocessing; a dynamic batch runs all crops of a call at once, a fixed batch B
// runs them B at a time (the last batch padded). Softmax is applied when the scores are logits.
Result<ClassifyFn> make_model_classifier(const ElementConfig& element, const SessionOptions& options = {});

// Clip classifier from clip.model (N x C x T x H x W input; T fixed by the model must equal `window`).
Result<ClipClassifyFn> make_model_clip_classifier(const ElementConfig& element, const SessionOptions& options = {});

// The factory for PipelineOptions::factory: infer and clip_classifier elements from their models (an
// element's `precision` overrides `defaults.precision`; detectors batch across sources as batch_size says);
// nullptr (the built-in elements) for the others.
ElementFactory make_model_factory(SessionOptions defaults = {});

}  // namespace edgeinfer::pipeline

// pipeline infer elements: the pipeline side of `infer` (detector, object classifier) and
// `clip_classifier` — scheduling (interval, new tracks, every N frames, sliding windows), square
// object crops, operate_on_classes, batching of crops, key names — around the functions an
// inference head provides, so heads (vision/) plug in through an ElementFactory.
#pragma once

#include <functional>
#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"
#include "pipeline/config.hpp"
#include "pipeline/runtime.hpp"

namespace edgeinfer::pipeline {

struct Classification {
    std::string label;
    double probability = 0.0;
};

// A detector: objects (box in frame pixels, class_id, label or "", confidence) of one frame.
using DetectFn = std::function<Result<std::vector<ObjectMeta>>(const cv::Mat& frame)>;
// A detector on several frames at once (of any sources): one object list per frame, in order.
using BatchDetectFn = std::function<Result<std::vector<std::vector<ObjectMeta>>>(const std::vector<cv::Mat>& frames)>;
// A classifier on a batch of object crops (BGR8, any size): one result per crop, in order.
using ClassifyFn = std::function<Result<std::vector<Classification>>(const std::vector<cv::Mat>& crops)>;
// A video classifier on a clip of T frames, oldest first.
using ClipClassifyFn = std::function<Result<Classification>(const std::vector<cv::Mat>& clip)>;

// Runs `detect` every `interval` frames of each source; frames in between carry the last detections
// (a tracker after it keeps following them). Objects under confidence_threshold are dropped; an
// empty label is filled from `labels` by class id.
std::unique_ptr<Element> make_detector_element(const ElementConfig& config, DetectFn detect);

// The same on batches: the runtime hands the element up to `max_batch` frames that are ready (across
// sources, each source's frames in order), waiting at most the element's batch_timeout_ms for a batch to
// fill, and `detect` runs the due ones (every `interval`-th of their source) in one call; each frame gets
// its own results. max_batch 1: one frame per call.
std::unique_ptr<Element> make_batch_detector_element(const ElementConfig& config, BatchDetectFn detect,
                                                     size_t max_batch);

// Classifies the objects whose label is in operate_on_classes (all when empty) on square crops,
// batch_size crops per call. A tracked object is classified when its track is new and then every
// every_n_frames frames (0: never again), its last result kept on the frames in between; an
// untracked object on every frame. Sets <key_prefix>predicted_class and <key_prefix>probability.
std::unique_ptr<Element> make_classifier_element(const ElementConfig& config, ClassifyFn classify);

// Keeps the last `window` frames of each source and classifies them every `stride` frames once the
// window is full; every frame carries the latest result as <key_prefix>class / <key_prefix>probability.
std::unique_ptr<Element> make_clip_classifier_element(const ElementConfig& config, ClipClassifyFn classify);

// The crop of an object for a classifier: the box expanded to a square around its centre, shifted
// to stay inside the frame, and clipped to the frame where the frame is too small.
cv::Rect square_crop(const Box& box, int frame_width, int frame_height);

}  // namespace edgeinfer::pipeline

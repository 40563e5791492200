// vision::TaskHead: one task's post-processing (classify, detect, segment, recognize, video) on a
// model's outputs, giving typed results, their text line and their drawing. The frame loop that
// drives a head is pipeline/'s (pipeline/task_element.hpp).
#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <variant>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"
#include "io/frame.hpp"
#include "vision/preprocess.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::vision {

// One frame's (or clip's) typed result: classes (classify, video), objects (detect), a class per
// pixel (segment), text (recognize).
using TaskResult = std::variant<edgeinfer::Classification, std::vector<edgeinfer::Detection>, edgeinfer::Segmentation,
                                edgeinfer::RecognizedText>;

// What a head reads from the command's options.
struct HeadOptions {
    std::string model_path;   // for messages
    int top = 5;              // --top K (classification)
    double threshold = -1.0;  // --threshold (score cut); < 0: the head's default
};

// What a head sees when the run starts (model, sidecar, labels, resolved preprocessing).
struct TaskContext {
    const HeadOptions& options;
    const std::vector<ValueDescription>& inputs;
    const std::vector<ValueDescription>& outputs;
    const Sidecar* sidecar;              // nullptr when the model has none
    std::vector<std::string> labels;     // --labels FILE, else the sidecar's, else empty
    std::string labels_origin;           // "labels.txt", "sidecar m.json", or ""
    const PreprocessConfig& preprocess;  // as resolved
};

// One task's post-processing. The runner calls, in order: default_preprocess (once, before the
// sidecar and flags are applied), prepare (once, with the session), then for each frame or clip:
// process → line / annotate. Outputs handed to process() belong to one frame (batch item): the
// runner slices every output whose first dim equals the run's batch into dim0 = 1 views.
class TaskHead {
  public:
    virtual ~TaskHead() = default;

    // The task's preprocessing defaults (e.g. letterbox for YOLO); the sidecar and flags override them.
    virtual void default_preprocess(PreprocessConfig& /*config*/) const {}
    // Checks the model's outputs (names, ranks) and reads labels/options; errors name the output at fault.
    virtual Status prepare(const TaskContext& context) = 0;
    // One frame's (or clip's) results. `info` maps model-input coordinates back to `frame` (letterbox/crop).
    virtual Result<TaskResult> process(const std::vector<NamedTensor>& outputs, const io::Frame& frame,
                                       const PreprocessInfo& info) = 0;
    // The text after "SOURCE: " in a frame's line, e.g. "circle 0.97, star 0.02".
    virtual std::string line(const TaskResult& result) const = 0;
    // Draws results on a BGR copy of the frame for --save. Default: line(result) in a top banner.
    virtual void annotate(cv::Mat& image, const TaskResult& result) const;
    // Extra summary lines at the end (e.g. counts per class); default none.
    virtual std::vector<std::string> summary() const { return {}; }
};

// Draws `text` on a dark banner at the top of `image` (used by the default annotate).
void draw_banner(cv::Mat& image, const std::string& text);

// Item `b` of a run of `batch` items, as a head reads it: every output whose first dim is `batch` sliced to
// dim 0 = 1 (views into `outputs`, which must outlive them), the other outputs as they are.
std::vector<NamedTensor> item_outputs(const std::vector<NamedTensor>& outputs, int64_t b, int64_t batch);

}  // namespace edgeinfer::vision

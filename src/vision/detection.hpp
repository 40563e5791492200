// vision detection heads: Detection boxes decoded from torchvision (boxes/scores/labels), YOLOv5/YOLOv8
// raw heads, DETR outputs and raw SSD/RetinaNet heads (with the sidecar's anchors), mapped back to frame pixels;
// class-aware NMS with a reusable workspace; and DetectionHead, the `edgeinfer detect` task head.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"
#include "vision/anchors.hpp"
#include "vision/preprocess.hpp"
#include "vision/task.hpp"

namespace edgeinfer::vision {

// One detected object; the box is in frame (original image) pixels, x1 <= x2, y1 <= y2.
struct Detection {
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    float score = 0;
    int64_t label = 0;       // class index as the model numbers it
    std::string label_name;  // from the labels list, "" when unknown
};

enum class DetectionFormat {
    kAuto,           // decided from output names and shapes (detect_format)
    kTorchvision,    // boxes [N,4] x1y1x2y2 input pixels + scores [N] + labels [N] (post-processed; batch dim optional)
    kYoloV5,         // [1,N,5+C]: cx,cy,w,h (input pixels), objectness, C class scores
    kYoloV8,         // [1,4+C,N]: cx,cy,w,h (input pixels), C class scores (anchor-free, no objectness)
    kDetr,           // logits [1,Q,C+1] (last = no-object) + boxes [1,Q,4] cx,cy,w,h normalized to the input
    kSsdHead,        // raw SSD head: bbox_regression [1,N,4] + cls_logits [1,N,C] (softmax, class 0 background)
    kRetinaNetHead,  // raw RetinaNet head: bbox_regression [1,N,4] + cls_logits [1,N,C] (sigmoid)
};

// "auto", "torchvision", "yolov5", "yolov8", "detr", "ssd-head", "retinanet-head" (also "ssd", "retinanet",
// "frcnn" for torchvision's post-processed outputs).
Result<DetectionFormat> parse_detection_format(std::string_view text);
std::string_view detection_format_name(DetectionFormat format);

struct DetectionOptions {
    DetectionFormat format = DetectionFormat::kAuto;
    float score_threshold = 0.25f;  // keep detections scoring at least this
    float iou_threshold = 0.45f;    // NMS (YOLO formats): suppress same-class boxes overlapping more than this
    int max_detections = 100;       // per frame, best first
    // Raw SSD/RetinaNet heads: the anchors and post-processing settings (the sidecar's "anchors"); null: none.
    std::shared_ptr<const AnchorHead> anchors{};
};

// The format these outputs have: the one format their names fit (boxes/scores/labels, pred_logits/pred_boxes,
// bbox_regression/cls_logits), else the one their shapes fit. With `anchors` (a sidecar's), outputs that fit
// a raw head are that head. kInvalidArgument when no format fits (every output with its shape and the shapes
// each format expects) or several do (the candidates and --format).
Result<DetectionFormat> detect_format(const std::vector<NamedTensor>& outputs, const AnchorHead* anchors = nullptr);

// Intersection over union of two boxes (x1, y1, x2, y2); 0 when either is empty.
float box_iou(const float* a, const float* b);

// Greedy non-maximum suppression. Reuse one instance across frames: its buffers grow to the largest
// input seen and are not freed, so steady-state frames do not allocate.
class Nms {
  public:
    // boxes: n x 4 floats (x1, y1, x2, y2); scores, labels: n values. Candidates are visited once in
    // order of decreasing score (ties: lower index first, so results are deterministic); a candidate
    // is kept unless a kept box of the same label (any label when !class_aware) overlaps it with
    // IoU > iou_threshold. Returns the kept indices, best first, at most max_keep (<= 0: no limit).
    // Cost: one sort of the n indices, then one pass over the later candidates per kept box.
    const std::vector<int32_t>& run(const float* boxes, const float* scores, const int64_t* labels, int64_t n,
                                    float iou_threshold, int64_t max_keep, bool class_aware = true);

  private:
    std::vector<int32_t> order_;
    std::vector<uint64_t> suppressed_;  // one bit per sorted position
    std::vector<int32_t> keep_;
};

// Decoding: `info` maps model-input pixels back to the frame; `labels` names class indices (may be empty).
// Errors name the output at fault and the shapes the format expects.
class DetectionDecoder {
  public:
    explicit DetectionDecoder(DetectionOptions options = {}) : options_(options) {}
    const DetectionOptions& options() const { return options_; }

    Result<std::vector<Detection>> decode(const std::vector<NamedTensor>& outputs, const PreprocessInfo& info,
                                          const std::vector<std::string>& labels = {});
    // The format the last decode used (kAuto before the first).
    DetectionFormat format() const { return resolved_; }
    // Number of classes the model's outputs imply (YOLO, DETR); 0 when they do not say (torchvision).
    int64_t num_classes() const { return num_classes_; }

  private:
    Status decode_torchvision(const std::vector<NamedTensor>& outputs);
    Status decode_yolo(const std::vector<NamedTensor>& outputs, bool v8);
    Status decode_detr(const std::vector<NamedTensor>& outputs);
    Status decode_anchor_head(const std::vector<NamedTensor>& outputs, DetectionFormat format);
    void finish(const PreprocessInfo& info, const std::vector<std::string>& labels, bool nms,
                std::vector<Detection>& out);

    DetectionOptions options_;
    DetectionFormat resolved_ = DetectionFormat::kAuto;
    int64_t num_classes_ = 0;
    // Candidates in model-input pixels, reused across frames.
    std::vector<float> boxes_;
    std::vector<float> scores_;
    std::vector<int64_t> labels_;
    std::vector<float> best_score_;  // YOLOv8: best class score and label per column
    std::vector<int64_t> best_label_;
    Nms nms_;
};

// Model-input pixel coordinates → frame pixels as PreprocessInfo says (x_frame = (x_in - offset_x) / scale_x),
// clamped to the frame.
void map_box_to_frame(const PreprocessInfo& info, float box[4]);

// A warning when a labels list does not fit the model's classes ("" when it does or either is unknown):
// `num_classes` class indices, `origin` names where the labels came from.
std::string label_count_warning(size_t label_count, int64_t num_classes, const std::string& origin);

// The public form of a detection (box, class, label, score; no track).
edgeinfer::Detection to_public_detection(const Detection& detection);

// The format and score threshold a model's outputs imply: `options.format` when set, else detected on
// placeholder outputs when every output dim is fixed (kAuto stays when some are dynamic); without
// `threshold_given` the threshold becomes 0.25 for YOLO outputs and 0.5 otherwise. Errors name `model`
// and say which outputs do not fit.
Result<DetectionOptions> resolve_detection_options(const std::vector<ValueDescription>& outputs,
                                                   DetectionOptions options, bool threshold_given,
                                                   const std::string& model);
bool is_yolo_format(DetectionFormat format);

// `edgeinfer detect`: decodes each frame's outputs (format from --format or detected on the model's
// outputs at start), boxes in frame pixels, annotated with boxes and tags; the summary counts labels.
// The default threshold is 0.25 for YOLO outputs and 0.5 otherwise; YOLO formats default to letterbox.
class DetectionHead final : public TaskHead {
  public:
    explicit DetectionHead(DetectionOptions options = {}) : options_(options), decoder_(options) {}

    void default_preprocess(PreprocessConfig& config) const override;
    Status prepare(const TaskContext& context) override;
    Result<TaskResult> process(const std::vector<NamedTensor>& outputs, const io::Frame& frame,
                               const PreprocessInfo& info) override;
    std::string line(const TaskResult& result) const override;
    void annotate(cv::Mat& image, const TaskResult& result) const override;
    std::vector<std::string> summary() const override;

  private:
    DetectionOptions options_;
    DetectionDecoder decoder_;
    std::vector<std::string> labels_;
    std::string labels_origin_;
    bool checked_labels_ = false;
    bool warned_label_ = false;
    bool threshold_given_ = false;
    int64_t frames_ = 0, total_ = 0;
    std::vector<std::pair<std::string, int64_t>> counts_;  // label → detections, in order of first sight
};

}  // namespace edgeinfer::vision

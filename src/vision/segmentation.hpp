// vision semantic segmentation head: per-pixel class (argmax over [1,C,H,W] logits, or a ready class map)
// mapped back to the frame, and the share of the frame each class covers.
#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "vision/preprocess.hpp"
#include "vision/task.hpp"

namespace edgeinfer::vision {

enum class MaskResize {
    kLogits,  // bilinear-resize the logits to the frame, then argmax (as PyTorch's F.interpolate + argmax)
    kMask,    // argmax at the model's resolution, then nearest-neighbour to the frame (cheaper)
};

// "logits", "mask" (the CLI's --mask-resize).
std::string_view to_string(MaskResize resize);
// The names to_string gives; kInvalidArgument naming the choices otherwise.
Result<MaskResize> parse_mask_resize(std::string_view name);
// "logits|mask", for help texts and messages.
std::string mask_resize_choices();

struct SegmentationResult {
    cv::Mat mask;               // CV_32S, frame size: class per pixel, -1 where the model saw nothing (outside a crop)
    int64_t num_classes = 0;    // C
    std::vector<double> share;  // per class: fraction of the frame's classified pixels
    int64_t classified_pixels = 0;  // pixels with a class (all of them unless the preprocessing cropped)
};

// Reads one frame's segmentation output: float logits [1,C,H,W] or [C,H,W] (C >= 2: argmax; C == 1: a
// binary logit, class 1 where > 0), or an integer class map [1,H,W] / [H,W] / [1,1,H,W]. The model's
// H x W grid covers the model input (any stride); `info` maps the input back to the frame. Errors name
// the output and the shapes expected.
Result<SegmentationResult> segment(const NamedTensor& output, const PreprocessInfo& info,
                                   MaskResize resize = MaskResize::kLogits);

// The public result: the mask as class indices, and the classes present with their labels, largest
// share first (pixels: the share of the classified pixels, rounded).
edgeinfer::Segmentation to_segmentation(const SegmentationResult& result, const std::vector<std::string>& labels);

// Per-pixel argmax over C planes of `logits` ([C,H,W] contiguous), ties to the lower class: CV_32S H x W.
cv::Mat argmax_planes(const float* logits, int64_t classes, int height, int width);

// `edgeinfer segment`: the class of every frame pixel; results: edgeinfer::Segmentation (classes present,
// largest share first); --save blends the colorized mask over the frame (background, class 0, left clear). The output
// read is `output`, else "out", else the first.
class SegmentationHead final : public TaskHead {
  public:
    explicit SegmentationHead(std::string output = "", MaskResize resize = MaskResize::kLogits, double alpha = 0.5)
        : output_name_(std::move(output)), resize_(resize), alpha_(alpha) {}

    Status prepare(const TaskContext& context) override;
    Result<TaskResult> process(const std::vector<NamedTensor>& outputs, const io::Frame& frame,
                               const PreprocessInfo& info) override;
    std::string line(const TaskResult& result) const override;
    void annotate(cv::Mat& image, const TaskResult& result) const override;
    std::vector<std::string> summary() const override;

    // The mask of the last frame processed (CV_32S, frame size).
    const cv::Mat& last_mask() const { return last_mask_; }

  private:
    std::string output_name_;
    MaskResize resize_;
    double alpha_;
    size_t output_index_ = 0;
    std::vector<std::string> labels_;
    std::string labels_origin_;
    bool checked_labels_ = false;
    cv::Mat last_mask_;
    int64_t frames_ = 0;
    std::vector<double> share_sum_;  // per class, over frames
};

}  // namespace edgeinfer::vision

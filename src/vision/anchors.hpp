// vision::AnchorHead: the anchor generator, box coder and post-processing settings of torchvision's SSD and
// RetinaNet detectors, read from a sidecar's "anchors" key (written by `edgeinfer export`; docs/export.md),
// so that a raw head (box regression + class logits per anchor) decodes as torchvision's own
// postprocess_detections does: decode against the anchors, clip, per-level (RetinaNet) or per-class (SSD)
// top-k, then class-aware NMS.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"

namespace edgeinfer::vision {

struct AnchorHead {
    enum class Kind { kSsd, kRetinaNet };
    Kind kind = Kind::kRetinaNet;
    int64_t image_width = 0, image_height = 0;   // the model input the anchors were made for
    std::vector<int64_t> level_counts;           // anchors per feature level, in order
    std::vector<float> anchors;                  // x1, y1, x2, y2 per anchor, in model-input pixels
    std::array<float, 4> weights{1, 1, 1, 1};    // box coder weights (wx, wy, ww, wh)
    float bbox_xform_clip = 4.135166556742356f;  // log(1000 / 16): the largest dw, dh
    float score_thresh = 0.05f;                  // candidates score above this (torchvision's score_thresh)
    float nms_thresh = 0.5f;
    int64_t topk_candidates = 1000;  // per level (RetinaNet) or per class (SSD)
    int64_t detections_per_img = 300;

    int64_t count() const { return static_cast<int64_t>(anchors.size() / 4); }
};

// Reads the sidecar's "anchors" object; errors name `where` (the sidecar) and the key at fault.
//   {"type": "retinanet"|"ssd", "image_size": [H, W], "levels": [...], "box_coder_weights": [4],
//    "score_thresh", "nms_thresh", "topk_candidates", "detections_per_img"}
// RetinaNet levels: {"feature_map": [h, w], "stride": [sy, sx], "sizes": [...], "aspect_ratios": [...]}
// (torchvision AnchorGenerator). SSD levels: {"feature_map": [h, w], "aspect_ratios": [...]} with the
// top-level "scales" (levels + 1 values), optional per-level "step" and "clip" (DefaultBoxGenerator).
Result<AnchorHead> parse_anchor_head(const nlohmann::json& anchors, const std::string& where);

// One frame's candidates from a raw head: `regression` n x 4 codes, `logits` n x classes. Keeps scores
// above both the head's score_thresh and `threshold` (sigmoid for RetinaNet, softmax without the
// background class 0 for SSD), the top-k per level or class, boxes decoded and clipped to the input.
// Appends to boxes (x1, y1, x2, y2 input pixels), scores and labels.
void decode_anchor_head(const AnchorHead& head, const float* regression, const float* logits, int64_t classes,
                        float threshold, std::vector<float>& boxes, std::vector<float>& scores,
                        std::vector<int64_t>& labels);

}  // namespace edgeinfer::vision

// Anchors of torchvision's AnchorGenerator (RetinaNet) and DefaultBoxGenerator (SSD) from a sidecar, and the
// decoding of raw heads against them (BoxCoder.decode_single, clip, top-k, as postprocess_detections does).
#include "vision/anchors.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/status.hpp"

namespace edgeinfer::vision {
namespace {

using nlohmann::json;

Status key_error(const std::string& where, const std::string& key, const std::string& what) {
    return invalid_argument(where + ": key 'anchors." + key + "' " + what);
}

// `prefix` + `key` names the key in messages (e.g. "levels[2]." + "stride").
Result<double> number(const json& o, const std::string& where, const std::string& key, double fallback,
                      const std::string& prefix = "") {
    if (!o.contains(key) || o[key].is_null()) return fallback;
    if (!o[key].is_number()) return key_error(where, prefix + key, "must be a number, got " + o[key].dump());
    return o[key].get<double>();
}

constexpr size_t kAnyCount = ~size_t{0};  // numbers(): any length, empty too (0: any non-empty length)

Result<std::vector<double>> numbers(const json& o, const std::string& where, const std::string& key, size_t count,
                                    const std::string& prefix = "") {
    std::vector<double> v;
    if (!o.contains(key) || o[key].is_null()) return key_error(where, prefix + key, "is missing");
    const json& a = o[key];
    if (!a.is_array()) return key_error(where, prefix + key, "must be a list of numbers, got " + a.dump());
    for (const json& x : a) {
        if (!x.is_number()) return key_error(where, prefix + key, "must hold numbers, got " + a.dump());
        v.push_back(x.get<double>());
    }
    if (count != kAnyCount && count > 0 && v.size() != count)
        return key_error(where, prefix + key, "must hold " + std::to_string(count) + " numbers, got " + a.dump());
    if (count == 0 && v.empty()) return key_error(where, prefix + key, "must not be empty");
    return v;
}

// torchvision AnchorGenerator for one level: base anchors (ratio-major, then size) rounded half to even,
// shifted to every location of the feature map (row-major), all in float32 like torchvision.
void retinanet_level(const std::vector<double>& sizes, const std::vector<double>& ratios, int64_t gh, int64_t gw,
                     int64_t sy, int64_t sx, std::vector<float>& out) {
    std::vector<float> base;
    for (double r : ratios) {
        const float h_ratio = std::sqrt(static_cast<float>(r));
        const float w_ratio = 1.0f / h_ratio;
        for (double s : sizes) {
            const float ws = w_ratio * static_cast<float>(s), hs = h_ratio * static_cast<float>(s);
            base.insert(base.end(), {std::nearbyint(-ws / 2), std::nearbyint(-hs / 2), std::nearbyint(ws / 2),
                                     std::nearbyint(hs / 2)});
        }
    }
    for (int64_t y = 0; y < gh; ++y)
        for (int64_t x = 0; x < gw; ++x)
            for (size_t a = 0; a < base.size(); a += 4) {
                const float fx = static_cast<float>(x * sx), fy = static_cast<float>(y * sy);
                out.insert(out.end(), {fx + base[a], fy + base[a + 1], fx + base[a + 2], fy + base[a + 3]});
            }
}

// torchvision DefaultBoxGenerator for level k: width-height pairs (scale, sqrt(scale * next scale), then
// (s*sqrt(ar), s/sqrt(ar)) and its transpose per ratio), centered on every cell, in pixels of the input.
void ssd_level(double s_k, double s_next, const std::vector<double>& ratios, int64_t gh, int64_t gw, double step,
               bool clip, int64_t width, int64_t height, std::vector<float>& out) {
    std::vector<std::pair<float, float>> wh;
    const double s_prime = std::sqrt(s_k * s_next);
    wh.emplace_back(static_cast<float>(s_k), static_cast<float>(s_k));
    wh.emplace_back(static_cast<float>(s_prime), static_cast<float>(s_prime));
    for (double ar : ratios) {
        const double sq = std::sqrt(ar);
        const auto w = static_cast<float>(s_k * sq), h = static_cast<float>(s_k / sq);
        wh.emplace_back(w, h);
        wh.emplace_back(h, w);
    }
    if (clip)
        for (auto& p : wh) p = {std::clamp(p.first, 0.0f, 1.0f), std::clamp(p.second, 0.0f, 1.0f)};
    const float x_f = step > 0 ? static_cast<float>(static_cast<double>(width) / step) : static_cast<float>(gw);
    const float y_f = step > 0 ? static_cast<float>(static_cast<double>(height) / step) : static_cast<float>(gh);
    const auto fw = static_cast<float>(width), fh = static_cast<float>(height);
    for (int64_t y = 0; y < gh; ++y)
        for (int64_t x = 0; x < gw; ++x) {
            const float cx = (static_cast<float>(x) + 0.5f) / x_f, cy = (static_cast<float>(y) + 0.5f) / y_f;
            for (const auto& [w, h] : wh)
                out.insert(out.end(),
                           {(cx - 0.5f * w) * fw, (cy - 0.5f * h) * fh, (cx + 0.5f * w) * fw, (cy + 0.5f * h) * fh});
        }
}

// BoxCoder.decode_single for one anchor, then clip_boxes_to_image.
void decode_box(const AnchorHead& head, const float* code, const float* anchor, float* box) {
    const float w = anchor[2] - anchor[0], h = anchor[3] - anchor[1];
    const float cx = anchor[0] + 0.5f * w, cy = anchor[1] + 0.5f * h;
    const float dx = code[0] / head.weights[0], dy = code[1] / head.weights[1];
    const float dw = std::min(code[2] / head.weights[2], head.bbox_xform_clip);
    const float dh = std::min(code[3] / head.weights[3], head.bbox_xform_clip);
    const float pcx = dx * w + cx, pcy = dy * h + cy;
    const float pw = std::exp(dw) * w, ph = std::exp(dh) * h;
    const auto iw = static_cast<float>(head.image_width), ih = static_cast<float>(head.image_height);
    box[0] = std::clamp(pcx - 0.5f * pw, 0.0f, iw);
    box[1] = std::clamp(pcy - 0.5f * ph, 0.0f, ih);
    box[2] = std::clamp(pcx + 0.5f * pw, 0.0f, iw);
    box[3] = std::clamp(pcy + 0.5f * ph, 0.0f, ih);
}

// The best `k` of (score, index) pairs, best first (ties: lower index first).
void keep_top(std::vector<std::pair<float, int64_t>>& c, int64_t k) {
    auto better = [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    };
    if (k > 0 && static_cast<int64_t>(c.size()) > k) {
        std::partial_sort(c.begin(), c.begin() + k, c.end(), better);
        c.resize(static_cast<size_t>(k));
    } else {
        std::sort(c.begin(), c.end(), better);
    }
}

}  // namespace

Result<AnchorHead> parse_anchor_head(const json& a, const std::string& where) {
    if (!a.is_object()) return invalid_argument(where + ": key 'anchors' must be an object, got " + a.dump());
    AnchorHead h;
    const std::string type = a.contains("type") && a["type"].is_string() ? a["type"].get<std::string>() : "";
    if (type == "retinanet")
        h.kind = AnchorHead::Kind::kRetinaNet;
    else if (type == "ssd")
        h.kind = AnchorHead::Kind::kSsd;
    else
        return key_error(
            where, "type",
            "must be \"retinanet\" or \"ssd\", got " + (a.contains("type") ? a["type"].dump() : "nothing"));
    const bool ssd = h.kind == AnchorHead::Kind::kSsd;
    EDGEINFER_ASSIGN_OR_RETURN(auto size, numbers(a, where, "image_size", 2));
    if (size[0] < 1 || size[1] < 1) return key_error(where, "image_size", "must be two positive numbers");
    h.image_height = static_cast<int64_t>(size[0]);
    h.image_width = static_cast<int64_t>(size[1]);
    EDGEINFER_ASSIGN_OR_RETURN(auto w, numbers(a, where, "box_coder_weights", 4));
    for (int i = 0; i < 4; ++i) {
        if (!(w[i] > 0)) return key_error(where, "box_coder_weights", "must be positive");
        h.weights[i] = static_cast<float>(w[i]);
    }
    EDGEINFER_ASSIGN_OR_RETURN(double clip_codes, number(a, where, "bbox_xform_clip", h.bbox_xform_clip));
    EDGEINFER_ASSIGN_OR_RETURN(double st, number(a, where, "score_thresh", h.score_thresh));
    EDGEINFER_ASSIGN_OR_RETURN(double nt, number(a, where, "nms_thresh", h.nms_thresh));
    EDGEINFER_ASSIGN_OR_RETURN(double topk, number(a, where, "topk_candidates", 1000));
    EDGEINFER_ASSIGN_OR_RETURN(double per_img, number(a, where, "detections_per_img", 300));
    if (!(nt >= 0 && nt <= 1)) return key_error(where, "nms_thresh", "must be within [0, 1]");
    if (topk < 1 || per_img < 1) return key_error(where, "topk_candidates", "and detections_per_img must be >= 1");
    h.bbox_xform_clip = static_cast<float>(clip_codes);
    h.score_thresh = static_cast<float>(st);
    h.nms_thresh = static_cast<float>(nt);
    h.topk_candidates = static_cast<int64_t>(topk);
    h.detections_per_img = static_cast<int64_t>(per_img);
    if (!a.contains("levels") || !a["levels"].is_array() || a["levels"].empty())
        return key_error(where, "levels", "must be a non-empty list of levels");
    const json& levels = a["levels"];
    std::vector<double> scales;
    if (ssd) {
        EDGEINFER_ASSIGN_OR_RETURN(scales, numbers(a, where, "scales", levels.size() + 1));
    }
    const bool clip = !a.contains("clip") || !a["clip"].is_boolean() || a["clip"].get<bool>();
    for (size_t k = 0; k < levels.size(); ++k) {
        const std::string lk = "levels[" + std::to_string(k) + "]";
        const json& l = levels[k];
        if (!l.is_object()) return key_error(where, lk, "must be an object");
        EDGEINFER_ASSIGN_OR_RETURN(auto fm, numbers(l, where, "feature_map", 2, lk + "."));
        EDGEINFER_ASSIGN_OR_RETURN(auto ratios, numbers(l, where, "aspect_ratios", ssd ? kAnyCount : 0, lk + "."));
        if (fm[0] < 1 || fm[1] < 1 || fm[0] * fm[1] > 1e7)
            return key_error(where, lk + ".feature_map", "must be two positive sizes");
        for (double r : ratios)
            if (!(r > 0)) return key_error(where, lk + ".aspect_ratios", "must be positive");
        const auto gh = static_cast<int64_t>(fm[0]), gw = static_cast<int64_t>(fm[1]);
        const size_t before = h.anchors.size();
        if (ssd) {
            EDGEINFER_ASSIGN_OR_RETURN(double step, number(l, where, "step", 0, lk + "."));
            ssd_level(scales[k], scales[k + 1], ratios, gh, gw, step, clip, h.image_width, h.image_height, h.anchors);
        } else {
            EDGEINFER_ASSIGN_OR_RETURN(auto stride, numbers(l, where, "stride", 2, lk + "."));
            EDGEINFER_ASSIGN_OR_RETURN(auto sizes, numbers(l, where, "sizes", 0, lk + "."));
            retinanet_level(sizes, ratios, gh, gw, static_cast<int64_t>(stride[0]), static_cast<int64_t>(stride[1]),
                            h.anchors);
        }
        h.level_counts.push_back(static_cast<int64_t>((h.anchors.size() - before) / 4));
    }
    return h;
}

void decode_anchor_head(const AnchorHead& head, const float* regression, const float* logits, int64_t classes,
                        float threshold, std::vector<float>& boxes, std::vector<float>& scores,
                        std::vector<int64_t>& labels) {
    std::vector<std::pair<float, int64_t>> cand;  // (score, anchor * classes + class)
    auto emit = [&](float score, int64_t anchor, int64_t label) {
        float box[4];
        decode_box(head, regression + 4 * anchor, head.anchors.data() + 4 * anchor, box);
        boxes.insert(boxes.end(), box, box + 4);
        scores.push_back(score);
        labels.push_back(label);
    };
    if (head.kind == AnchorHead::Kind::kRetinaNet) {
        int64_t first = 0;
        for (int64_t count : head.level_counts) {
            cand.clear();
            for (int64_t i = first * classes; i < (first + count) * classes; ++i) {
                const float s = 1.0f / (1.0f + std::exp(-logits[i]));
                if (s > head.score_thresh && s >= threshold) cand.emplace_back(s, i);
            }
            keep_top(cand, head.topk_candidates);
            for (const auto& [s, i] : cand) emit(s, i / classes, i % classes);
            first += count;
        }
        return;
    }
    // SSD: softmax over all classes, then per class (background 0 skipped) the top-k above the threshold.
    const int64_t n = head.count();
    std::vector<std::vector<std::pair<float, int64_t>>> per_class(static_cast<size_t>(classes));
    for (int64_t a = 0; a < n; ++a) {
        const float* row = logits + a * classes;
        const float mx = *std::max_element(row, row + classes);
        float sum = 0;
        for (int64_t c = 0; c < classes; ++c) sum += std::exp(row[c] - mx);
        for (int64_t c = 1; c < classes; ++c) {
            const float s = std::exp(row[c] - mx) / sum;
            if (s > head.score_thresh && s >= threshold) per_class[c].emplace_back(s, a);
        }
    }
    for (int64_t c = 1; c < classes; ++c) {
        keep_top(per_class[c], head.topk_candidates);
        for (const auto& [s, a] : per_class[c]) emit(s, a, c);
    }
}

}  // namespace edgeinfer::vision

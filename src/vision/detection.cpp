// Detection decoders (torchvision, YOLOv5, YOLOv8, DETR, raw SSD/RetinaNet heads), class-aware NMS, and the mapping of
// boxes to frames.
#include "vision/detection.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "vision/overlay.hpp"

namespace edgeinfer::vision {
namespace {

constexpr const char* kExpectedShapes =
    "torchvision: boxes [N,4] + scores [N] + labels [N] (batch dim optional); yolov5: one output [1,N,5+C]; "
    "yolov8: one output [1,4+C,N]; detr: logits [1,Q,C+1] + boxes [1,Q,4]; ssd-head, retinanet-head: "
    "bbox_regression [1,N,4] + cls_logits [1,N,C] with the sidecar's anchors";

// What each format expects, for the message listing several candidates.
std::string format_expects(DetectionFormat f) {
    switch (f) {
        case DetectionFormat::kTorchvision:
            return "torchvision (boxes [N,4] + scores [N] + labels [N], post-processed)";
        case DetectionFormat::kYoloV5:
            return "yolov5 ([1,N,5+C] rows)";
        case DetectionFormat::kYoloV8:
            return "yolov8 ([1,4+C,N] columns)";
        case DetectionFormat::kDetr:
            return "detr (logits [1,Q,C+1] + normalized boxes [1,Q,4])";
        case DetectionFormat::kSsdHead:
            return "ssd-head (raw SSD head: box regression [1,N,4] + class logits [1,N,C] per anchor)";
        case DetectionFormat::kRetinaNetHead:
            return "retinanet-head (raw RetinaNet head: box regression [1,N,4] + class logits [1,N,C] per anchor)";
        case DetectionFormat::kAuto:
            break;
    }
    return "auto";
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string describe_output(const NamedTensor& t) {
    return "'" + t.name + "' " + std::string(dtype_name(t.tensor.dtype())) + " [" + shape_to_string(t.tensor.dims()) +
           "]";
}

std::string describe_outputs(const std::vector<NamedTensor>& outputs) {
    std::string s;
    for (const auto& t : outputs) s += (s.empty() ? "" : ", ") + describe_output(t);
    return s.empty() ? "none" : s;
}

bool is_numeric(DataType t) {
    switch (t) {
        case DataType::kFloat32:
        case DataType::kFloat64:
        case DataType::kInt64:
        case DataType::kInt32:
        case DataType::kUInt8:
        case DataType::kInt8:
            return true;
        default:
            return false;
    }
}

bool is_integer(DataType t) { return is_numeric(t) && !dtype_is_float(t); }

// The values of a numeric tensor as floats: float32 data in place, other dtypes converted into `scratch`.
Result<const float*> float_data(const NamedTensor& t, std::vector<float>& scratch) {
    const Tensor& x = t.tensor;
    if (x.dtype() == DataType::kFloat32) return x.data_as<float>();
    if (!is_numeric(x.dtype()))
        return invalid_argument("output '" + t.name + "' has dtype " + std::string(dtype_name(x.dtype())) +
                                ", expected a number type (float32, int64, ...)");
    const int64_t n = x.numel();
    scratch.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        switch (x.dtype()) {
            case DataType::kFloat64:
                scratch[i] = static_cast<float>(x.data_as<double>()[i]);
                break;
            case DataType::kInt64:
                scratch[i] = static_cast<float>(x.data_as<int64_t>()[i]);
                break;
            case DataType::kInt32:
                scratch[i] = static_cast<float>(x.data_as<int32_t>()[i]);
                break;
            case DataType::kUInt8:
                scratch[i] = static_cast<float>(x.data_as<uint8_t>()[i]);
                break;
            default:
                scratch[i] = static_cast<float>(x.data_as<int8_t>()[i]);
                break;
        }
    }
    return scratch.data();
}

int64_t int_value(const Tensor& x, int64_t i) {
    switch (x.dtype()) {
        case DataType::kInt64:
            return x.data_as<int64_t>()[i];
        case DataType::kInt32:
            return x.data_as<int32_t>()[i];
        case DataType::kUInt8:
            return x.data_as<uint8_t>()[i];
        case DataType::kInt8:
            return x.data_as<int8_t>()[i];
        case DataType::kFloat64:
            return std::llround(x.data_as<double>()[i]);
        default:
            return std::llround(x.data_as<float>()[i]);
    }
}

// dims without leading 1s beyond `rank` (so [1,N,4] and [N,4] both read as [N,4]).
std::vector<int64_t> squeeze_leading(const std::vector<int64_t>& dims, size_t rank) {
    std::vector<int64_t> d = dims;
    while (d.size() > rank && d.front() == 1) d.erase(d.begin());
    return d;
}

struct TorchvisionRoles {
    int boxes = -1, scores = -1, labels = -1;
};

// Which output is which, by name first (`by_name` set), then by shape and dtype; -1 roles when they do not fit.
TorchvisionRoles torchvision_roles(const std::vector<NamedTensor>& outputs, bool* by_name = nullptr) {
    if (by_name) *by_name = false;
    TorchvisionRoles r;
    for (size_t i = 0; i < outputs.size(); ++i) {
        const std::string n = lower(outputs[i].name);
        if (r.boxes < 0 && (n == "boxes" || n == "bboxes" || n == "detection_boxes")) r.boxes = static_cast<int>(i);
        if (r.scores < 0 && (n == "scores" || n == "detection_scores")) r.scores = static_cast<int>(i);
        if (r.labels < 0 && (n == "labels" || n == "classes" || n == "detection_classes"))
            r.labels = static_cast<int>(i);
    }
    if (r.boxes >= 0 && r.scores >= 0 && r.labels >= 0) {
        if (by_name) *by_name = true;
        return r;
    }
    if (outputs.size() != 3) return {};
    r = {};
    std::vector<int> vectors;
    for (size_t i = 0; i < outputs.size(); ++i) {
        const auto d = squeeze_leading(outputs[i].tensor.dims(), 1);
        const auto d2 = squeeze_leading(outputs[i].tensor.dims(), 2);
        if (r.boxes < 0 && d2.size() == 2 && d2[1] == 4 && dtype_is_float(outputs[i].tensor.dtype()))
            r.boxes = static_cast<int>(i);
        else if (d.size() == 1)
            vectors.push_back(static_cast<int>(i));
    }
    if (r.boxes < 0 || vectors.size() != 2) return {};
    const bool int0 = is_integer(outputs[vectors[0]].tensor.dtype());
    const bool int1 = is_integer(outputs[vectors[1]].tensor.dtype());
    r.scores = (int0 && !int1) ? vectors[1] : vectors[0];
    r.labels = (int0 && !int1) ? vectors[0] : vectors[1];
    return r;
}

struct DetrRoles {
    int logits = -1, boxes = -1;
};

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Raw anchor heads name their outputs bbox_regression / cls_logits (torchvision), regression / classification.
bool is_regression_name(const std::string& n) { return contains(n, "regression") || contains(n, "delta"); }
bool is_class_name(const std::string& n) {
    return contains(n, "cls") || contains(n, "class") || (contains(n, "logits") && !contains(n, "pred"));
}

// Two outputs [1,N,4] + [1,N,C>=2] in either order (DETR and raw anchor heads alike); {-1,-1} otherwise.
std::pair<int, int> box_and_class_by_shape(const std::vector<NamedTensor>& outputs) {
    if (outputs.size() != 2) return {-1, -1};
    const auto a = outputs[0].tensor.dims(), b = outputs[1].tensor.dims();
    if (a.size() != 3 || b.size() != 3 || a[1] != b[1]) return {-1, -1};
    if (b[2] == 4 && a[2] >= 2) return {1, 0};
    if (a[2] == 4 && b[2] >= 2) return {0, 1};
    return {-1, -1};
}

// DETR: outputs named *logits* (not a raw head's cls_logits) and *box* (not *regression*), else by shape.
DetrRoles detr_roles(const std::vector<NamedTensor>& outputs, bool* by_name = nullptr) {
    if (by_name) *by_name = false;
    DetrRoles r;
    for (size_t i = 0; i < outputs.size(); ++i) {
        const std::string n = lower(outputs[i].name);
        if (r.logits < 0 && contains(n, "logits") && !contains(n, "cls"))
            r.logits = static_cast<int>(i);
        else if (r.boxes < 0 && contains(n, "box") && !is_regression_name(n))
            r.boxes = static_cast<int>(i);
    }
    if (r.logits >= 0 && r.boxes >= 0) {
        if (by_name) *by_name = true;
        return r;
    }
    const auto [box, cls] = box_and_class_by_shape(outputs);
    return box < 0 ? DetrRoles{} : DetrRoles{cls, box};
}

struct HeadRoles {
    int regression = -1, logits = -1;
};

// Raw anchor heads: a box-regression output and a class-logits output by name, else by shape.
HeadRoles head_roles(const std::vector<NamedTensor>& outputs, bool* by_name = nullptr) {
    if (by_name) *by_name = false;
    HeadRoles r;
    for (size_t i = 0; i < outputs.size(); ++i) {
        const std::string n = lower(outputs[i].name);
        if (r.regression < 0 && is_regression_name(n))
            r.regression = static_cast<int>(i);
        else if (r.logits < 0 && is_class_name(n))
            r.logits = static_cast<int>(i);
    }
    if (r.regression >= 0 && r.logits >= 0) {
        if (by_name) *by_name = true;
        return r;
    }
    const auto [box, cls] = box_and_class_by_shape(outputs);
    return box < 0 ? HeadRoles{} : HeadRoles{box, cls};
}

// YOLO exports have one output (or extra per-level grids of rank 5 beside it): [1,N,5+C] or [1,4+C,N].
DetectionFormat yolo_by_shape(const std::vector<NamedTensor>& outputs) {
    if (outputs.empty()) return DetectionFormat::kAuto;
    for (size_t i = 1; i < outputs.size(); ++i)
        if (outputs[i].tensor.dims().size() < 4) return DetectionFormat::kAuto;
    const auto d = squeeze_leading(outputs[0].tensor.dims(), 2);
    if (d.size() != 2 || !dtype_is_float(outputs[0].tensor.dtype())) return DetectionFormat::kAuto;
    if (d[0] > d[1] && d[1] >= 6) return DetectionFormat::kYoloV5;
    if (d[1] > d[0] && d[0] >= 5) return DetectionFormat::kYoloV8;
    return DetectionFormat::kAuto;
}

DetectionFormat head_format(const AnchorHead& anchors) {
    return anchors.kind == AnchorHead::Kind::kSsd ? DetectionFormat::kSsdHead : DetectionFormat::kRetinaNetHead;
}

}  // namespace

Result<DetectionFormat> parse_detection_format(std::string_view text) {
    const std::string t = lower(text);
    if (t == "auto") return DetectionFormat::kAuto;
    if (t == "torchvision" || t == "ssd" || t == "retinanet" || t == "frcnn" || t == "fasterrcnn")
        return DetectionFormat::kTorchvision;
    if (t == "yolov5" || t == "yolo") return DetectionFormat::kYoloV5;
    if (t == "yolov8") return DetectionFormat::kYoloV8;
    if (t == "detr") return DetectionFormat::kDetr;
    if (t == "ssd-head" || t == "ssd_head") return DetectionFormat::kSsdHead;
    if (t == "retinanet-head" || t == "retinanet_head") return DetectionFormat::kRetinaNetHead;
    return invalid_argument(
        "--format '" + std::string(text) +
        "' is not a detection format (choose auto, torchvision, yolov5, yolov8, detr, ssd-head or retinanet-head)");
}

std::string_view detection_format_name(DetectionFormat format) {
    switch (format) {
        case DetectionFormat::kAuto:
            return "auto";
        case DetectionFormat::kTorchvision:
            return "torchvision";
        case DetectionFormat::kYoloV5:
            return "yolov5";
        case DetectionFormat::kYoloV8:
            return "yolov8";
        case DetectionFormat::kDetr:
            return "detr";
        case DetectionFormat::kSsdHead:
            return "ssd-head";
        case DetectionFormat::kRetinaNetHead:
            return "retinanet-head";
    }
    return "auto";
}

Result<DetectionFormat> detect_format(const std::vector<NamedTensor>& outputs, const AnchorHead* anchors) {
    // A sidecar's anchors say the model is a raw head, when its outputs fit one.
    if (anchors && head_roles(outputs).regression >= 0) return head_format(*anchors);
    std::vector<DetectionFormat> by_name, by_shape;
    auto add = [&](DetectionFormat f, bool named) { (named ? by_name : by_shape).push_back(f); };
    bool named = false;
    if (torchvision_roles(outputs, &named).boxes >= 0) add(DetectionFormat::kTorchvision, named);
    if (detr_roles(outputs, &named).logits >= 0) add(DetectionFormat::kDetr, named);
    if (head_roles(outputs, &named).regression >= 0) {
        add(DetectionFormat::kSsdHead, named);
        add(DetectionFormat::kRetinaNetHead, named);
    }
    if (const DetectionFormat y = yolo_by_shape(outputs); y != DetectionFormat::kAuto) add(y, false);
    const std::vector<DetectionFormat>& fits = by_name.empty() ? by_shape : by_name;
    if (fits.size() == 1) return fits[0];
    if (fits.empty())
        return invalid_argument("detection outputs " + describe_outputs(outputs) + " match no known format; expected " +
                                kExpectedShapes + " (--format names one explicitly)");
    std::string list;
    bool heads = false;
    for (DetectionFormat f : fits) {
        list += (list.empty() ? "" : ", ") + format_expects(f);
        heads = heads || f == DetectionFormat::kSsdHead || f == DetectionFormat::kRetinaNetHead;
    }
    return invalid_argument(
        "detection outputs " + describe_outputs(outputs) + " fit several formats by their " +
        (by_name.empty() ? "shapes" : "names") + ": " + list + "; name one with --format" +
        (heads ? " (a raw ssd-head or retinanet-head decodes with the anchors that `edgeinfer export` writes into "
                 "the sidecar's 'anchors' for torchvision detectors)"
               : ""));
}

float box_iou(const float* a, const float* b) {
    const float area_a = std::max(0.0f, a[2] - a[0]) * std::max(0.0f, a[3] - a[1]);
    const float area_b = std::max(0.0f, b[2] - b[0]) * std::max(0.0f, b[3] - b[1]);
    if (area_a <= 0.0f || area_b <= 0.0f) return 0.0f;
    const float w = std::min(a[2], b[2]) - std::max(a[0], b[0]);
    const float h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
    if (w <= 0.0f || h <= 0.0f) return 0.0f;
    const float inter = w * h;
    return inter / (area_a + area_b - inter);
}

const std::vector<int32_t>& Nms::run(const float* boxes, const float* scores, const int64_t* labels, int64_t n,
                                     float iou_threshold, int64_t max_keep, bool class_aware) {
    keep_.clear();
    order_.resize(static_cast<size_t>(n));
    std::iota(order_.begin(), order_.end(), 0);
    // Best first, ties by index (std::sort needs no scratch buffer, unlike stable_sort); NaN sorts last.
    auto key = [scores](int32_t i) { return std::isnan(scores[i]) ? -HUGE_VALF : scores[i]; };
    std::sort(order_.begin(), order_.end(), [&key](int32_t a, int32_t b) {
        const float ka = key(a), kb = key(b);
        return ka != kb ? ka > kb : a < b;
    });
    suppressed_.assign(static_cast<size_t>((n + 63) / 64), 0);
    const int64_t limit = max_keep > 0 ? max_keep : n;
    for (int64_t i = 0; i < n && static_cast<int64_t>(keep_.size()) < limit; ++i) {
        if (suppressed_[i >> 6] & (uint64_t{1} << (i & 63))) continue;
        const int32_t bi = order_[i];
        keep_.push_back(bi);
        const float* box = boxes + 4 * static_cast<int64_t>(bi);
        for (int64_t j = i + 1; j < n; ++j) {
            if (suppressed_[j >> 6] & (uint64_t{1} << (j & 63))) continue;
            const int32_t bj = order_[j];
            if (class_aware && labels[bj] != labels[bi]) continue;
            if (box_iou(box, boxes + 4 * static_cast<int64_t>(bj)) > iou_threshold)
                suppressed_[j >> 6] |= uint64_t{1} << (j & 63);
        }
    }
    return keep_;
}

void map_box_to_frame(const PreprocessInfo& info, float box[4]) {
    const auto b = info.box_to_frame({box[0], box[1], box[2], box[3]});
    box[0] = static_cast<float>(std::min(b[0], b[2]));
    box[1] = static_cast<float>(std::min(b[1], b[3]));
    box[2] = static_cast<float>(std::max(b[0], b[2]));
    box[3] = static_cast<float>(std::max(b[1], b[3]));
}

std::string label_count_warning(size_t label_count, int64_t num_classes, const std::string& origin) {
    if (label_count == 0 || num_classes <= 0 || static_cast<int64_t>(label_count) == num_classes) return "";
    return "labels from " + origin + ": " + std::to_string(label_count) + " labels but the model has " +
           std::to_string(num_classes) + " classes; " +
           (static_cast<int64_t>(label_count) < num_classes ? "classes without a label are shown by number"
                                                            : "the extra labels are never used");
}

Result<std::vector<Detection>> DetectionDecoder::decode(const std::vector<NamedTensor>& outputs,
                                                        const PreprocessInfo& info,
                                                        const std::vector<std::string>& labels) {
    DetectionFormat format = options_.format;
    if (format == DetectionFormat::kAuto) {
        EDGEINFER_ASSIGN_OR_RETURN(format, detect_format(outputs, options_.anchors.get()));
    }
    boxes_.clear();
    scores_.clear();
    labels_.clear();
    Status st;
    switch (format) {
        case DetectionFormat::kTorchvision:
            st = decode_torchvision(outputs);
            break;
        case DetectionFormat::kYoloV5:
            st = decode_yolo(outputs, false);
            break;
        case DetectionFormat::kYoloV8:
            st = decode_yolo(outputs, true);
            break;
        case DetectionFormat::kDetr:
            st = decode_detr(outputs);
            break;
        case DetectionFormat::kSsdHead:
        case DetectionFormat::kRetinaNetHead:
            st = decode_anchor_head(outputs, format);
            break;
        case DetectionFormat::kAuto:
            break;
    }
    if (!st.is_ok()) return st;
    resolved_ = format;
    // Candidate boxes of DETR are in normalized input coordinates; scale them to input pixels.
    if (format == DetectionFormat::kDetr) {
        for (size_t i = 0; i < boxes_.size(); i += 4) {
            boxes_[i] *= static_cast<float>(info.input_width);
            boxes_[i + 1] *= static_cast<float>(info.input_height);
            boxes_[i + 2] *= static_cast<float>(info.input_width);
            boxes_[i + 3] *= static_cast<float>(info.input_height);
        }
    }
    std::vector<Detection> out;
    finish(info, labels, format != DetectionFormat::kTorchvision && format != DetectionFormat::kDetr, out);
    return out;
}

Status DetectionDecoder::decode_torchvision(const std::vector<NamedTensor>& outputs) {
    const TorchvisionRoles r = torchvision_roles(outputs);
    if (r.boxes < 0)
        return invalid_argument(
            "--format torchvision expects boxes [N,4] + scores [N] + labels [N] (batch dim "
            "optional); the model's outputs are " +
            describe_outputs(outputs));
    const NamedTensor& b = outputs[r.boxes];
    const NamedTensor& s = outputs[r.scores];
    const NamedTensor& l = outputs[r.labels];
    const auto bd = squeeze_leading(b.tensor.dims(), 2);
    const auto sd = squeeze_leading(s.tensor.dims(), 1);
    const auto ld = squeeze_leading(l.tensor.dims(), 1);
    if (bd.size() != 2 || bd[1] != 4)
        return invalid_argument("output " + describe_output(b) + " should be boxes [N,4] (x1,y1,x2,y2)");
    const int64_t n = bd[0];
    if (sd.size() != 1 || sd[0] != n)
        return invalid_argument("output " + describe_output(s) + " should be scores [" + std::to_string(n) +
                                "], one per box of " + describe_output(b));
    if (ld.size() != 1 || ld[0] != n || !is_numeric(l.tensor.dtype()))
        return invalid_argument("output " + describe_output(l) + " should be labels [" + std::to_string(n) +
                                "], one per box of " + describe_output(b));
    std::vector<float> scratch_b, scratch_s;
    EDGEINFER_ASSIGN_OR_RETURN(const float* box, float_data(b, scratch_b));
    EDGEINFER_ASSIGN_OR_RETURN(const float* score, float_data(s, scratch_s));
    for (int64_t i = 0; i < n; ++i) {
        if (!(score[i] >= options_.score_threshold)) continue;
        boxes_.insert(boxes_.end(), box + 4 * i, box + 4 * i + 4);
        scores_.push_back(score[i]);
        labels_.push_back(int_value(l.tensor, i));
    }
    num_classes_ = 0;
    return Status::ok();
}

Status DetectionDecoder::decode_yolo(const std::vector<NamedTensor>& outputs, bool v8) {
    const char* expected = v8 ? "[1,4+C,N] (cx,cy,w,h, C class scores per column)"
                              : "[1,N,5+C] (cx,cy,w,h, objectness, C class scores per row)";
    if (outputs.empty())
        return invalid_argument(std::string("the model has no outputs; --format yolo expects ") + expected);
    const NamedTensor& t = outputs[0];
    const auto d = squeeze_leading(t.tensor.dims(), 2);
    const int64_t min_fields = v8 ? 5 : 6;
    if (d.size() != 2 || !dtype_is_float(t.tensor.dtype()) || (v8 ? d[0] : d[1]) < min_fields)
        return invalid_argument("output " + describe_output(t) + " does not fit --format " +
                                (v8 ? "yolov8" : "yolov5") + ", which expects " + expected);
    std::vector<float> scratch;
    EDGEINFER_ASSIGN_OR_RETURN(const float* x, float_data(t, scratch));
    const int64_t n = v8 ? d[1] : d[0];
    const int64_t fields = v8 ? d[0] : d[1];
    const int64_t classes = fields - (v8 ? 4 : 5);
    num_classes_ = classes;
    const float thr = options_.score_threshold;
    auto add = [&](float cx, float cy, float w, float h, float score, int64_t label) {
        boxes_.insert(boxes_.end(), {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2});
        scores_.push_back(score);
        labels_.push_back(label);
    };
    if (!v8) {
        for (int64_t i = 0; i < n; ++i) {
            const float* row = x + i * fields;
            if (!(row[4] >= thr)) continue;
            const float* cls = row + 5;
            const int64_t best = std::max_element(cls, cls + classes) - cls;
            const float score = row[4] * cls[best];
            if (score >= thr) add(row[0], row[1], row[2], row[3], score, best);
        }
    } else {
        // Column-major fields: walk each class row contiguously, keeping the best class per column.
        std::vector<float>& best_score = best_score_;
        std::vector<int64_t>& best_label = best_label_;
        best_score.assign(x + 4 * n, x + 5 * n);
        best_label.assign(static_cast<size_t>(n), 0);
        for (int64_t c = 1; c < classes; ++c) {
            const float* row = x + (4 + c) * n;
            for (int64_t i = 0; i < n; ++i) {
                if (row[i] > best_score[i]) {
                    best_score[i] = row[i];
                    best_label[i] = c;
                }
            }
        }
        for (int64_t i = 0; i < n; ++i)
            if (best_score[i] >= thr) add(x[i], x[n + i], x[2 * n + i], x[3 * n + i], best_score[i], best_label[i]);
    }
    return Status::ok();
}

Status DetectionDecoder::decode_detr(const std::vector<NamedTensor>& outputs) {
    const DetrRoles r = detr_roles(outputs);
    if (r.logits < 0)
        return invalid_argument(
            "--format detr expects logits [1,Q,C+1] + boxes [1,Q,4] (normalized cx,cy,w,h); the "
            "model's outputs are " +
            describe_outputs(outputs));
    const NamedTensor& lg = outputs[r.logits];
    const NamedTensor& bx = outputs[r.boxes];
    const auto ld = squeeze_leading(lg.tensor.dims(), 2);
    const auto bd = squeeze_leading(bx.tensor.dims(), 2);
    if (ld.size() != 2 || ld[1] < 2 || !dtype_is_float(lg.tensor.dtype()))
        return invalid_argument("output " + describe_output(lg) +
                                " should be logits [1,Q,C+1] (last class: no object)");
    if (bd.size() != 2 || bd[0] != ld[0] || bd[1] != 4 || !dtype_is_float(bx.tensor.dtype()))
        return invalid_argument("output " + describe_output(bx) + " should be boxes [1," + std::to_string(ld[0]) +
                                ",4], one normalized cx,cy,w,h per query of " + describe_output(lg));
    std::vector<float> scratch_l, scratch_b;
    EDGEINFER_ASSIGN_OR_RETURN(const float* logits, float_data(lg, scratch_l));
    EDGEINFER_ASSIGN_OR_RETURN(const float* box, float_data(bx, scratch_b));
    const int64_t q = ld[0], k = ld[1];
    num_classes_ = k - 1;
    for (int64_t i = 0; i < q; ++i) {
        const float* row = logits + i * k;
        const float mx = *std::max_element(row, row + k);
        double sum = 0.0;
        for (int64_t c = 0; c < k; ++c) sum += std::exp(static_cast<double>(row[c] - mx));
        const int64_t best = std::max_element(row, row + k - 1) - row;  // the no-object class never wins
        const float score = static_cast<float>(std::exp(static_cast<double>(row[best] - mx)) / sum);
        if (!(score >= options_.score_threshold)) continue;
        const float* b = box + 4 * i;
        boxes_.insert(boxes_.end(), {b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2});
        scores_.push_back(score);
        labels_.push_back(best);
    }
    return Status::ok();
}

Status DetectionDecoder::decode_anchor_head(const std::vector<NamedTensor>& outputs, DetectionFormat format) {
    const std::string name(detection_format_name(format));
    if (!options_.anchors)
        return invalid_argument("--format " + name +
                                " decodes with anchors, and the model has none: its sidecar needs the 'anchors' "
                                "key that `edgeinfer export` writes for torchvision SSD and RetinaNet detectors");
    const AnchorHead& head = *options_.anchors;
    if ((format == DetectionFormat::kSsdHead) != (head.kind == AnchorHead::Kind::kSsd))
        return invalid_argument("--format " + name + " does not match the sidecar's anchors (type " +
                                (head.kind == AnchorHead::Kind::kSsd ? "ssd" : "retinanet") + ")");
    const HeadRoles r = head_roles(outputs);
    if (r.regression < 0)
        return invalid_argument("--format " + name +
                                " expects bbox_regression [1,N,4] + cls_logits [1,N,C]; the model's outputs are " +
                                describe_outputs(outputs));
    const NamedTensor& reg = outputs[r.regression];
    const NamedTensor& cls = outputs[r.logits];
    const auto rd = squeeze_leading(reg.tensor.dims(), 2);
    const auto cd = squeeze_leading(cls.tensor.dims(), 2);
    if (rd.size() != 2 || rd[1] != 4 || rd[0] != head.count() || !dtype_is_float(reg.tensor.dtype()))
        return invalid_argument("output " + describe_output(reg) + " should be box regression [1," +
                                std::to_string(head.count()) + ",4], one per anchor of the sidecar's " +
                                std::to_string(head.count()));
    if (cd.size() != 2 || cd[0] != head.count() || cd[1] < 1 || !dtype_is_float(cls.tensor.dtype()))
        return invalid_argument("output " + describe_output(cls) + " should be class logits [1," +
                                std::to_string(head.count()) + ",C], one row per anchor");
    std::vector<float> scratch_r, scratch_c;
    EDGEINFER_ASSIGN_OR_RETURN(const float* codes, float_data(reg, scratch_r));
    EDGEINFER_ASSIGN_OR_RETURN(const float* logits, float_data(cls, scratch_c));
    num_classes_ = cd[1];
    vision::decode_anchor_head(head, codes, logits, cd[1], options_.score_threshold, boxes_, scores_, labels_);
    return Status::ok();
}

void DetectionDecoder::finish(const PreprocessInfo& info, const std::vector<std::string>& labels, bool nms,
                              std::vector<Detection>& out) {
    const int64_t n = static_cast<int64_t>(scores_.size());
    int64_t max_keep = options_.max_detections;
    float iou = options_.iou_threshold;
    if (resolved_ == DetectionFormat::kSsdHead || resolved_ == DetectionFormat::kRetinaNetHead) {
        // As the model's own post-processing: its NMS threshold and detections per image.
        iou = options_.anchors->nms_thresh;
        if (max_keep <= 0 || max_keep > options_.anchors->detections_per_img)
            max_keep = options_.anchors->detections_per_img;
    }
    std::vector<int32_t> order;
    if (nms) {
        order = nms_.run(boxes_.data(), scores_.data(), labels_.data(), n, iou, max_keep);
    } else {
        order.resize(static_cast<size_t>(n));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [this](int32_t a, int32_t b) { return scores_[a] > scores_[b]; });
        if (max_keep > 0 && static_cast<int64_t>(order.size()) > max_keep) order.resize(static_cast<size_t>(max_keep));
    }
    out.reserve(order.size());
    for (int32_t i : order) {
        float box[4] = {boxes_[4 * i], boxes_[4 * i + 1], boxes_[4 * i + 2], boxes_[4 * i + 3]};
        map_box_to_frame(info, box);
        Detection d{box[0], box[1], box[2], box[3], scores_[i], labels_[i], ""};
        if (d.label >= 0 && d.label < static_cast<int64_t>(labels.size())) d.label_name = labels[d.label];
        out.push_back(std::move(d));
    }
}

namespace {

// "#7" for a class without a label (appended piecewise: GCC 12's -Wrestrict misfires on "#" + std::string).
std::string class_tag(int64_t index) {
    std::string s = "#";
    s += std::to_string(index);
    return s;
}

bool is_yolo(DetectionFormat f) { return f == DetectionFormat::kYoloV5 || f == DetectionFormat::kYoloV8; }

// Zero-filled stand-ins for the model's outputs when every dim is fixed (to check their shapes before the
// first frame); empty when some dim is only known at run time.
std::vector<NamedTensor> placeholder_outputs(const std::vector<ValueDescription>& outputs) {
    std::vector<NamedTensor> out;
    int64_t total = 0;
    for (const auto& v : outputs) {
        for (int64_t d : v.dims)
            if (d < 0) return {};
        total += shape_numel(v.dims);
        if (total > (int64_t{1} << 26)) return {};
        const DataType t = v.dtype == DataType::kUndefined ? DataType::kFloat32 : v.dtype;
        if (!is_numeric(t)) return {};
        out.push_back({v.name, Tensor::allocate(t, v.dims)});
    }
    return out;
}

}  // namespace

void DetectionHead::default_preprocess(PreprocessConfig& config) const {
    if (options_.format == DetectionFormat::kDetr) return;  // DETR exports expect ImageNet normalization
    // torchvision detectors normalize inside the graph and YOLO exports take 0..1 RGB.
    config.mean.assign(3, 0.0);
    config.std.assign(3, 1.0);
    config.scale = 1.0 / 255.0;
    if (is_yolo(options_.format)) {
        config.resize = ResizeMode::kLetterbox;
        config.pad_value = 114;
    }
}

Result<DetectionOptions> resolve_detection_options(const std::vector<ValueDescription>& outputs,
                                                   DetectionOptions options, bool threshold_given,
                                                   const std::string& model) {
    if (outputs.empty()) return invalid_model(model + ": the model has no outputs");
    if (options.iou_threshold < 0 || options.iou_threshold > 1)
        return invalid_argument("--iou " + std::to_string(options.iou_threshold) + ": must be within [0, 1]");
    const std::vector<NamedTensor> probe = placeholder_outputs(outputs);
    if (!probe.empty()) {
        DetectionOptions o = options;
        o.score_threshold = 2.0f;  // scores never reach it: only the shapes are checked
        DetectionDecoder check(o);
        auto r = check.decode(probe, PreprocessInfo{}, {});
        if (!r.is_ok()) return r.status().with_context(model);
        options.format = check.format();
    }
    if (!threshold_given) options.score_threshold = is_yolo(options.format) ? 0.25f : 0.5f;
    return options;
}

bool is_yolo_format(DetectionFormat format) { return is_yolo(format); }

edgeinfer::Detection to_public_detection(const Detection& d) {
    edgeinfer::Detection out;
    out.box = {d.x1, d.y1, d.x2, d.y2};
    out.class_id = d.label;
    out.label = d.label_name;
    out.score = d.score;
    return out;
}

Status DetectionHead::prepare(const TaskContext& context) {
    if (const std::string w = random_weights_warning(context.sidecar); !w.empty()) base::log_warning(w);
    labels_ = context.labels;
    labels_origin_ = context.labels_origin;
    threshold_given_ = context.options.threshold >= 0;
    if (threshold_given_) options_.score_threshold = static_cast<float>(context.options.threshold);
    if (context.sidecar && context.sidecar->doc.contains("anchors") && !context.sidecar->doc["anchors"].is_null()) {
        auto anchors = parse_anchor_head(context.sidecar->doc["anchors"], "sidecar '" + context.sidecar->path + "'");
        if (!anchors.is_ok()) return anchors.status();
        options_.anchors = std::make_shared<const AnchorHead>(std::move(anchors.value()));
    }
    EDGEINFER_ASSIGN_OR_RETURN(
        options_, resolve_detection_options(context.outputs, options_, threshold_given_, context.options.model_path));
    decoder_ = DetectionDecoder(options_);
    return Status::ok();
}

Result<TaskResult> DetectionHead::process(const std::vector<NamedTensor>& outputs, const io::Frame& /*frame*/,
                                          const PreprocessInfo& info) {
    if (options_.format == DetectionFormat::kAuto) {  // shapes known only now (dynamic dims)
        EDGEINFER_ASSIGN_OR_RETURN(options_.format, detect_format(outputs, options_.anchors.get()));
        if (!threshold_given_ && is_yolo(options_.format)) options_.score_threshold = 0.25f;
        decoder_ = DetectionDecoder(options_);
    }
    EDGEINFER_ASSIGN_OR_RETURN(std::vector<Detection> dets, decoder_.decode(outputs, info, labels_));
    if (!checked_labels_) {
        checked_labels_ = true;
        const std::string w = label_count_warning(labels_.size(), decoder_.num_classes(), labels_origin_);
        if (!w.empty()) base::log_warning(w);
    }
    for (const Detection& d : dets) {
        if (!labels_.empty() && d.label_name.empty() && decoder_.num_classes() == 0 && !warned_label_) {
            warned_label_ = true;
            base::log_warning("class " + std::to_string(d.label) + " has no entry in the " +
                              std::to_string(labels_.size()) + " labels from " + labels_origin_ +
                              "; such classes are shown by number");
        }
        std::string name = d.label_name.empty() ? class_tag(d.label) : d.label_name;
        auto it = std::find_if(counts_.begin(), counts_.end(), [&](const auto& c) { return c.first == name; });
        if (it == counts_.end())
            counts_.emplace_back(std::move(name), 1);
        else
            ++it->second;
    }
    ++frames_;
    total_ += static_cast<int64_t>(dets.size());
    std::vector<edgeinfer::Detection> result;
    result.reserve(dets.size());
    for (const Detection& d : dets) result.push_back(to_public_detection(d));
    return TaskResult(std::move(result));
}

std::string DetectionHead::line(const TaskResult& result) const {
    const auto& dets = std::get<std::vector<edgeinfer::Detection>>(result);
    if (dets.empty()) return "no objects";
    char buf[96];
    std::string s = std::to_string(dets.size()) + (dets.size() == 1 ? " object:" : " objects:");
    size_t shown = 0;
    for (const edgeinfer::Detection& d : dets) {
        if (++shown > 5) {
            s += ", ...";
            break;
        }
        std::snprintf(buf, sizeof buf, " %.2f [%.0f,%.0f,%.0f,%.0f]", static_cast<double>(d.score),
                      static_cast<double>(d.box.x1), static_cast<double>(d.box.y1), static_cast<double>(d.box.x2),
                      static_cast<double>(d.box.y2));
        s += (shown > 1 ? ", " : " ") + (d.label.empty() ? class_tag(d.class_id) : d.label) + buf;
    }
    return s;
}

void DetectionHead::annotate(cv::Mat& image, const TaskResult& result) const {
    std::vector<Detection> dets;
    for (const edgeinfer::Detection& d : std::get<std::vector<edgeinfer::Detection>>(result))
        dets.push_back({d.box.x1, d.box.y1, d.box.x2, d.box.y2, d.score, d.class_id, d.label});
    draw_detections(image, dets);
}

std::vector<std::string> DetectionHead::summary() const {
    std::string s = "detections: " + std::to_string(total_) + " in " + std::to_string(frames_) + " frames (" +
                    std::string(detection_format_name(options_.format)) + " outputs, threshold " +
                    std::to_string(options_.score_threshold).substr(0, 4) + ")";
    if (!counts_.empty()) {
        auto sorted = counts_;
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        s += ":";
        for (size_t i = 0; i < sorted.size(); ++i)
            s += (i ? ", " : " ") + sorted[i].first + " " + std::to_string(sorted[i].second);
    }
    return {s};
}

}  // namespace edgeinfer::vision

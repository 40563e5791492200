// Segmentation head: argmax over class planes, bilinear logits (or nearest mask) back to the frame, class shares.
#include "vision/segmentation.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "vision/overlay.hpp"

namespace edgeinfer::vision {
namespace {

std::string describe(const NamedTensor& t) {
    return "'" + t.name + "' " + std::string(dtype_name(t.tensor.dtype())) + " [" + shape_to_string(t.tensor.dims()) +
           "]";
}

// One axis of the frame → model-output mapping, as PyTorch's bilinear interpolation (align_corners=False)
// computes it: src = (dst + 0.5) * ratio + shift - 0.5, clamped at 0; i0 = floor(src), i1 = i0 + 1 unless at
// the last index, weight of i1 = src - i0. `valid` is false where the frame pixel's centre lies outside the
// model input (a crop cut it away).
struct AxisMap {
    std::vector<int32_t> i0, i1;
    std::vector<float> w1;
    std::vector<uint8_t> valid;
};

AxisMap axis_map(int frame_size, int out_size, int in_size, double scale, double offset) {
    AxisMap m;
    m.i0.resize(frame_size);
    m.i1.resize(frame_size);
    m.w1.resize(frame_size);
    m.valid.resize(frame_size);
    const double s = scale > 0 ? scale : 1.0;
    const double per_in = in_size > 0 ? static_cast<double>(out_size) / in_size : 1.0;  // output cells per input px
    const bool identity = std::abs(s * per_in - 1.0) < 1e-12 && std::abs(offset) < 1e-12 && frame_size == out_size;
    // Pure stretch: use PyTorch's own float ratio so the weights agree bit for bit.
    const float ratio = static_cast<float>(out_size) / static_cast<float>(frame_size);
    const bool stretch = std::abs(offset) < 1e-12 && std::abs(s * frame_size - in_size) < 1e-6;
    for (int x = 0; x < frame_size; ++x) {
        const double in_centre = (x + 0.5) * s + offset;  // input pixels
        m.valid[x] = in_centre >= 0.0 && in_centre <= in_size;
        if (identity) {
            m.i0[x] = m.i1[x] = x;
            m.w1[x] = 0.0f;
            continue;
        }
        double src =
            stretch ? static_cast<double>(ratio * (static_cast<float>(x) + 0.5f) - 0.5f) : in_centre * per_in - 0.5;
        src = std::clamp(src, 0.0, static_cast<double>(out_size - 1));
        const int32_t i0 = static_cast<int32_t>(src);
        m.i0[x] = i0;
        m.i1[x] = i0 < out_size - 1 ? i0 + 1 : i0;
        m.w1[x] = static_cast<float>(src - i0);
    }
    return m;
}

}  // namespace

cv::Mat argmax_planes(const float* logits, int64_t classes, int height, int width) {
    cv::Mat mask(height, width, CV_32S, cv::Scalar(0));
    const int64_t plane = static_cast<int64_t>(height) * width;
    std::vector<float> best(logits, logits + plane);
    int32_t* m = mask.ptr<int32_t>();
    for (int64_t c = 1; c < classes; ++c) {
        const float* p = logits + c * plane;
        for (int64_t i = 0; i < plane; ++i) {
            if (p[i] > best[i]) {
                best[i] = p[i];
                m[i] = static_cast<int32_t>(c);
            }
        }
    }
    return mask;
}

namespace {

constexpr std::array<std::pair<MaskResize, std::string_view>, 2> kMaskResizeNames = {{
    {MaskResize::kLogits, "logits"},
    {MaskResize::kMask, "mask"},
}};

}  // namespace

std::string_view to_string(MaskResize resize) {
    for (const auto& [value, name] : kMaskResizeNames)
        if (value == resize) return name;
    return "?";
}

std::string mask_resize_choices() {
    std::string out;
    for (const auto& [value, name] : kMaskResizeNames) {
        if (!out.empty()) out += "|";
        out += name;
    }
    return out;
}

Result<MaskResize> parse_mask_resize(std::string_view name) {
    for (const auto& [value, n] : kMaskResizeNames)
        if (n == name) return value;
    return invalid_argument("unknown mask resize '" + std::string(name) + "' (choose " + mask_resize_choices() + ")");
}

Result<SegmentationResult> segment(const NamedTensor& output, const PreprocessInfo& info, MaskResize resize) {
    const Tensor& t = output.tensor;
    std::vector<int64_t> d = t.dims();
    const bool is_float = t.dtype() == DataType::kFloat32;
    const bool is_int = t.dtype() == DataType::kInt64 || t.dtype() == DataType::kInt32;
    const char* expected = "float32 logits [1,C,H,W] or [C,H,W], or an int64/int32 class map [1,H,W] or [H,W]";
    if (!is_float && !is_int)
        return invalid_argument("segmentation output " + describe(output) + " has an unsupported dtype; expected " +
                                expected);
    while (d.size() > (is_float ? 3u : 2u) && d.front() == 1) d.erase(d.begin());
    if (is_float ? d.size() != 3 : d.size() != 2)
        return invalid_argument("segmentation output " + describe(output) + " has the wrong shape; expected " +
                                expected);
    const int64_t classes = is_float ? d[0] : 0;
    const int oh = static_cast<int>(d[d.size() - 2]), ow = static_cast<int>(d[d.size() - 1]);
    if (oh <= 0 || ow <= 0 || (is_float && classes <= 0))
        return invalid_argument("segmentation output " + describe(output) + " is empty; expected " + expected);
    const int fw = info.frame_width > 0 ? info.frame_width : ow;
    const int fh = info.frame_height > 0 ? info.frame_height : oh;
    const int iw = info.input_width > 0 ? info.input_width : ow;
    const int ih = info.input_height > 0 ? info.input_height : oh;
    const AxisMap mx = axis_map(fw, ow, iw, info.frame_width > 0 ? info.scale_x : 1.0, info.offset_x);
    const AxisMap my = axis_map(fh, oh, ih, info.frame_height > 0 ? info.scale_y : 1.0, info.offset_y);

    SegmentationResult r;
    r.mask.create(fh, fw, CV_32S);
    const int64_t plane = static_cast<int64_t>(oh) * ow;
    cv::Mat small;  // class map at the model's resolution (kMask, binary logits and integer maps)
    int64_t num_classes = classes;
    if (is_int) {
        small.create(oh, ow, CV_32S);
        int32_t* s = small.ptr<int32_t>();
        for (int64_t i = 0; i < plane; ++i) {
            const int64_t v = t.dtype() == DataType::kInt64 ? t.data_as<int64_t>()[i] : t.data_as<int32_t>()[i];
            s[i] = static_cast<int32_t>(v);
            num_classes = std::max<int64_t>(num_classes, v + 1);
        }
    } else if (classes == 1) {
        num_classes = 2;
    } else if (resize == MaskResize::kMask) {
        small = argmax_planes(t.data_as<float>(), classes, oh, ow);
    }
    std::vector<int32_t> nearest_x;  // model column nearest to each frame column, -1 outside the input
    if (!small.empty()) {
        nearest_x.resize(static_cast<size_t>(fw));
        for (int xx = 0; xx < fw; ++xx)
            nearest_x[xx] =
                mx.valid[xx] ? std::clamp(static_cast<int>(std::lround(mx.i0[xx] + mx.w1[xx])), 0, ow - 1) : -1;
    }
    const float* x = is_float ? t.data_as<float>() : nullptr;
    std::vector<float> best(static_cast<size_t>(fw));
    for (int y = 0; y < fh; ++y) {
        int32_t* row = r.mask.ptr<int32_t>(y);
        if (!my.valid[y]) {
            std::fill(row, row + fw, -1);
            continue;
        }
        if (!small.empty()) {  // nearest neighbour on a class map
            const int sy = std::clamp(static_cast<int>(std::lround(my.i0[y] + my.w1[y])), 0, oh - 1);
            const int32_t* srow = small.ptr<int32_t>(sy);
            for (int xx = 0; xx < fw; ++xx) row[xx] = nearest_x[xx] >= 0 ? srow[nearest_x[xx]] : -1;
            continue;
        }
        const float wy1 = my.w1[y], wy0 = 1.0f - wy1;
        for (int64_t c = 0; c < classes; ++c) {
            const float* r0 = x + c * plane + static_cast<int64_t>(my.i0[y]) * ow;
            const float* r1 = x + c * plane + static_cast<int64_t>(my.i1[y]) * ow;
            for (int xx = 0; xx < fw; ++xx) {
                const float wx1 = mx.w1[xx], wx0 = 1.0f - wx1;
                const int a = mx.i0[xx], b = mx.i1[xx];
                const float v = wy0 * (wx0 * r0[a] + wx1 * r0[b]) + wy1 * (wx0 * r1[a] + wx1 * r1[b]);
                if (classes == 1) {
                    row[xx] = v > 0.0f ? 1 : 0;
                } else if (c == 0 || v > best[xx]) {
                    best[xx] = v;
                    row[xx] = static_cast<int32_t>(c);
                }
            }
        }
        for (int xx = 0; xx < fw; ++xx)
            if (!mx.valid[xx]) row[xx] = -1;
    }
    r.num_classes = num_classes;
    r.share.assign(static_cast<size_t>(std::max<int64_t>(num_classes, 0)), 0.0);
    for (int y = 0; y < fh; ++y) {
        const int32_t* row = r.mask.ptr<int32_t>(y);
        for (int xx = 0; xx < fw; ++xx) {
            if (row[xx] < 0) continue;
            ++r.classified_pixels;
            if (row[xx] < num_classes) r.share[row[xx]] += 1.0;
        }
    }
    if (r.classified_pixels > 0)
        for (double& s : r.share) s /= static_cast<double>(r.classified_pixels);
    return r;
}

edgeinfer::Segmentation to_segmentation(const SegmentationResult& r, const std::vector<std::string>& labels) {
    edgeinfer::Segmentation out;
    out.width = r.mask.cols;
    out.height = r.mask.rows;
    out.num_classes = r.num_classes;
    out.mask.resize(static_cast<size_t>(out.width) * static_cast<size_t>(out.height));
    for (int y = 0; y < out.height; ++y) {
        const int32_t* row = r.mask.ptr<int32_t>(y);
        std::copy(row, row + out.width, out.mask.begin() + static_cast<std::ptrdiff_t>(y) * out.width);
    }
    std::vector<size_t> order(r.share.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r.share[a] > r.share[b]; });
    for (size_t c : order) {
        if (r.share[c] <= 0.0) break;
        edgeinfer::ClassShare share;
        share.index = static_cast<int64_t>(c);
        if (c < labels.size()) share.label = labels[c];
        share.share = r.share[c];
        share.pixels = static_cast<int64_t>(std::llround(r.share[c] * static_cast<double>(r.classified_pixels)));
        out.classes.push_back(std::move(share));
    }
    return out;
}

namespace {

// "#7" for a class without a label (appended piecewise: GCC 12's -Wrestrict misfires on "#" + std::string).
std::string class_tag(int64_t index) {
    std::string s = "#";
    s += std::to_string(index);
    return s;
}

std::string class_name(const edgeinfer::ClassShare& c) { return c.label.empty() ? class_tag(c.index) : c.label; }

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " %.1f%%", 100.0 * share);
    return buf;
}

}  // namespace

Status SegmentationHead::prepare(const TaskContext& context) {
    const auto& outputs = context.outputs;
    if (outputs.empty()) return invalid_model(context.options.model_path + ": the model has no outputs");
    output_index_ = 0;
    const std::string wanted = output_name_.empty() ? "out" : output_name_;
    auto it = std::find_if(outputs.begin(), outputs.end(), [&](const ValueDescription& v) { return v.name == wanted; });
    if (it != outputs.end()) {
        output_index_ = static_cast<size_t>(it - outputs.begin());
    } else if (!output_name_.empty()) {
        return not_found(context.options.model_path + ": no output named '" + output_name_ + "'");
    }
    const ValueDescription& out = outputs[output_index_];
    const size_t rank = out.dims.size();
    if (rank != 0 && (rank < 2 || rank > 4))
        return invalid_argument(context.options.model_path + ": output '" + out.name + "' [" +
                                shape_to_string(out.dims) +
                                "] is not a segmentation output; expected logits [1,C,H,W] or a class map [1,H,W]");
    labels_ = context.labels;
    labels_origin_ = context.labels_origin;
    return Status::ok();
}

Result<TaskResult> SegmentationHead::process(const std::vector<NamedTensor>& outputs, const io::Frame& /*frame*/,
                                             const PreprocessInfo& info) {
    if (output_index_ >= outputs.size()) return internal_error("segmentation: output missing from the run");
    EDGEINFER_ASSIGN_OR_RETURN(SegmentationResult r, segment(outputs[output_index_], info, resize_));
    if (!checked_labels_) {
        checked_labels_ = true;
        if (!labels_.empty() && static_cast<int64_t>(labels_.size()) != r.num_classes)
            base::log_warning("labels from " + labels_origin_ + ": " + std::to_string(labels_.size()) +
                              " labels but output '" + outputs[output_index_].name + "' has " +
                              std::to_string(r.num_classes) + " classes; classes without a label are shown as #N");
    }
    edgeinfer::Segmentation result = to_segmentation(r, labels_);
    if (share_sum_.size() < r.share.size()) share_sum_.resize(r.share.size(), 0.0);
    for (size_t c = 0; c < r.share.size(); ++c) share_sum_[c] += r.share[c];
    ++frames_;
    last_mask_ = std::move(r.mask);
    return TaskResult(std::move(result));
}

std::string SegmentationHead::line(const TaskResult& result) const {
    const auto& classes = std::get<edgeinfer::Segmentation>(result).classes;
    if (classes.empty()) return "no classified pixels";
    std::string s;
    for (size_t i = 0; i < classes.size() && i < 4; ++i)
        s += (i ? ", " : "") + class_name(classes[i]) + percent(classes[i].share);
    if (classes.size() > 4) s += ", ...";
    return s;
}

void SegmentationHead::annotate(cv::Mat& image, const TaskResult& result) const {
    if (last_mask_.size() == image.size()) blend_mask(image, last_mask_, alpha_, 0);
    std::vector<std::string> lines;
    const auto& classes = std::get<edgeinfer::Segmentation>(result).classes;
    for (size_t i = 0; i < classes.size() && i < 4; ++i)
        lines.push_back(class_name(classes[i]) + percent(classes[i].share));
    draw_text_lines(image, lines);
}

std::vector<std::string> SegmentationHead::summary() const {
    if (frames_ == 0) return {};
    std::vector<size_t> order(share_sum_.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return share_sum_[a] > share_sum_[b]; });
    std::string s = "mean share over " + std::to_string(frames_) + " frames:";
    for (size_t i = 0; i < order.size() && i < 6 && share_sum_[order[i]] > 0; ++i) {
        const size_t c = order[i];
        const std::string name = c < labels_.size() ? labels_[c] : class_tag(static_cast<int64_t>(c));
        s += (i ? ", " : " ") + name + percent(share_sum_[c] / static_cast<double>(frames_));
    }
    return {s};
}

}  // namespace edgeinfer::vision

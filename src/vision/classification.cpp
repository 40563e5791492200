// Classification head: scores → (softmax when logits) → top-k with labels; per-class top-1 counts.
#include "vision/classification.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "base/logging.hpp"
#include "base/status.hpp"

namespace edgeinfer::vision {
namespace {

bool as_doubles(const Tensor& t, std::vector<double>& out) {
    const int64_t n = t.numel();
    out.resize(static_cast<size_t>(n));
    switch (t.dtype()) {
        case DataType::kFloat32:
            for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = t.data_as<float>()[i];
            return true;
        case DataType::kFloat64:
            for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = t.data_as<double>()[i];
            return true;
        default:
            return false;
    }
}

// "#7": a class without a label.
std::string class_tag(int64_t index) {
    std::string s = "#";
    s += std::to_string(index);
    return s;
}

// The label, or "#7" for a class without one.
std::string class_name(const edgeinfer::ClassScore& c) { return c.label.empty() ? class_tag(c.index) : c.label; }

std::string format_score(double s) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(3) << s;
    return o.str();
}

}  // namespace

bool is_probability_distribution(const std::vector<double>& v) {
    if (v.empty()) return false;
    double sum = 0.0;
    for (double x : v) {
        if (!(x >= 0.0 && x <= 1.0)) return false;
        sum += x;
    }
    return std::abs(sum - 1.0) < 1e-3;
}

std::vector<double> softmax(const std::vector<double>& logits) {
    std::vector<double> p(logits.size());
    if (logits.empty()) return p;
    const double m = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp(logits[i] - m);
    for (double& x : p) x /= sum;
    return p;
}

std::vector<ClassScore> top_k(const std::vector<double>& scores, int k, double threshold) {
    std::vector<ClassScore> all;
    all.reserve(scores.size());
    for (size_t i = 0; i < scores.size(); ++i)
        if (scores[i] >= threshold) all.push_back({static_cast<int64_t>(i), scores[i]});
    const size_t n = std::min(all.size(), static_cast<size_t>(std::max(k, 0)));
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                      [](const ClassScore& a, const ClassScore& b) {
                          return a.score != b.score ? a.score > b.score : a.index < b.index;
                      });
    all.resize(n);
    return all;
}

Result<edgeinfer::Classification> classify_scores(const NamedTensor& out, int k, double threshold,
                                                  const std::vector<std::string>& labels, int& softmax_state) {
    std::vector<double> scores;
    if (!as_doubles(out.tensor, scores))
        return unsupported("output '" + out.name + "' is " + std::string(dtype_name(out.tensor.dtype())));
    if (scores.empty())
        return out_of_range("output '" + out.name + "' is empty (" + shape_to_string(out.tensor.dims()) + ")");
    if (softmax_state < 0) softmax_state = is_probability_distribution(scores) ? 0 : 1;
    if (softmax_state == 1) scores = softmax(scores);
    edgeinfer::Classification result;
    for (const ClassScore& c : top_k(scores, k, threshold)) {
        edgeinfer::ClassScore item;
        item.index = c.index;
        item.score = c.score;
        if (c.index < static_cast<int64_t>(labels.size())) item.label = labels[static_cast<size_t>(c.index)];
        result.top.push_back(std::move(item));
    }
    return result;
}

Status ClassificationHead::prepare(const TaskContext& context) {
    if (const std::string w = random_weights_warning(context.sidecar); !w.empty()) base::log_warning(w);
    const auto& outputs = context.outputs;
    if (outputs.empty()) return invalid_model(context.options.model_path + ": the model has no outputs");
    output_index_ = 0;
    if (!output_name_.empty()) {
        auto it = std::find_if(outputs.begin(), outputs.end(),
                               [&](const ValueDescription& v) { return v.name == output_name_; });
        if (it == outputs.end())
            return not_found(context.options.model_path + ": no output named '" + output_name_ + "'");
        output_index_ = static_cast<size_t>(it - outputs.begin());
    }
    const ValueDescription& out = outputs[output_index_];
    if (out.dtype != DataType::kFloat32 && out.dtype != DataType::kFloat64)
        return unsupported(context.options.model_path + ": output '" + out.name + "' is " +
                           std::string(dtype_name(out.dtype)) + "; a classifier's scores must be float");
    // Classes: every dim after the batch (trailing 1s of N x K x 1 x 1 included) when all are fixed.
    num_classes_ = 1;
    for (size_t i = 1; i < out.dims.size(); ++i) num_classes_ = out.dims[i] > 0 ? num_classes_ * out.dims[i] : 0;
    if (out.dims.size() < 2) num_classes_ = 0;
    if (context.options.top < 1)
        return invalid_argument("--top " + std::to_string(context.options.top) + ": must be >= 1");
    top_ = context.options.top;
    threshold_ = context.options.threshold < 0.0 ? 0.0 : context.options.threshold;
    labels_ = context.labels;
    if (num_classes_ > 0 && !labels_.empty() && static_cast<int64_t>(labels_.size()) != num_classes_)
        base::log_warning("labels from " + context.labels_origin + ": " + std::to_string(labels_.size()) +
                          " labels but output '" + out.name + "' has " + std::to_string(num_classes_) +
                          " classes; classes without a label are shown as #N");
    return Status::ok();
}

Result<TaskResult> ClassificationHead::process(const std::vector<NamedTensor>& outputs, const io::Frame& /*frame*/,
                                               const PreprocessInfo& /*info*/) {
    if (output_index_ >= outputs.size()) return internal_error("classification: output missing from the run");
    const NamedTensor& out = outputs[output_index_];
    if (num_classes_ == 0 && out.tensor.numel() > 0) {
        num_classes_ = out.tensor.numel();
        if (!labels_.empty() && static_cast<int64_t>(labels_.size()) != num_classes_)
            base::log_warning(std::to_string(labels_.size()) + " labels but output '" + out.name + "' has " +
                              std::to_string(num_classes_) + " classes; classes without a label are shown as #N");
    }
    EDGEINFER_ASSIGN_OR_RETURN(edgeinfer::Classification result,
                               classify_scores(out, top_, threshold_, labels_, softmax_));
    if (!result.top.empty())
        ++counts_[class_name(result.top.front())];
    else
        ++counts_["(below threshold)"];
    return TaskResult(std::move(result));
}

std::string ClassificationHead::line(const TaskResult& result) const {
    const auto& top = std::get<edgeinfer::Classification>(result).top;
    if (top.empty()) return "(no class above the threshold)";
    std::string s;
    for (const edgeinfer::ClassScore& c : top) {
        if (!s.empty()) s += ", ";
        s += class_name(c) + " " + format_score(c.score);
    }
    return s;
}

void ClassificationHead::annotate(cv::Mat& image, const TaskResult& result) const {
    edgeinfer::Classification best = std::get<edgeinfer::Classification>(result);
    if (best.top.size() > 3) best.top.resize(3);
    draw_banner(image, line(TaskResult(std::move(best))));
}

std::vector<std::string> ClassificationHead::summary() const {
    if (counts_.empty()) return {};
    std::vector<std::pair<std::string, int64_t>> sorted(counts_.begin(), counts_.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string s = "top-1 counts:";
    for (size_t i = 0; i < sorted.size(); ++i)
        s += (i ? ", " : " ") + sorted[i].first + " " + std::to_string(sorted[i].second);
    std::vector<std::string> lines{s};
    if (softmax_ >= 0)
        lines.push_back(softmax_ == 1 ? "scores: softmax of the model's logits" : "scores: the model's probabilities");
    return lines;
}

}  // namespace edgeinfer::vision

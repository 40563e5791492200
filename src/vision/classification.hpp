// vision::ClassificationHead: top-k classes from a classifier's scores (softmax applied when the
// output is logits, not already a probability distribution), with labels; also the head of
// `edgeinfer video` (one result per clip).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vision/task.hpp"

namespace edgeinfer::vision {

struct ClassScore {
    int64_t index = 0;
    double score = 0.0;
};

// True when `v` already looks like a probability distribution (all in [0, 1], sum 1 within 1e-3).
bool is_probability_distribution(const std::vector<double>& v);
// Softmax, numerically stable.
std::vector<double> softmax(const std::vector<double>& logits);
// The k best (index, score) pairs, best first; ties by lower index. Scores below `threshold` dropped.
std::vector<ClassScore> top_k(const std::vector<double>& scores, int k, double threshold = 0.0);

// One item's scores (`output`, float32 or float64, any shape) → the k best classes with their labels.
// `softmax` -1 decides from these scores whether they are logits (and is set to 0 or 1 for the next
// items), 0 takes them as they are, 1 applies softmax.
Result<edgeinfer::Classification> classify_scores(const NamedTensor& output, int k, double threshold,
                                                  const std::vector<std::string>& labels, int& softmax);

class ClassificationHead final : public TaskHead {
  public:
    // `output`: the output to read ("" : the first output of the model).
    explicit ClassificationHead(std::string output = "") : output_name_(std::move(output)) {}

    Status prepare(const TaskContext& context) override;
    Result<TaskResult> process(const std::vector<NamedTensor>& outputs, const io::Frame& frame,
                               const PreprocessInfo& info) override;
    std::string line(const TaskResult& result) const override;
    void annotate(cv::Mat& image, const TaskResult& result) const override;
    std::vector<std::string> summary() const override;

    // Whether softmax is applied (decided on the first frame, reported in the summary).
    bool applies_softmax() const { return softmax_ == 1; }

  private:
    std::string output_name_;
    size_t output_index_ = 0;
    int64_t num_classes_ = 0;  // 0 until known
    int top_ = 5;
    double threshold_ = 0.0;
    std::vector<std::string> labels_;
    int softmax_ = -1;                       // -1 undecided, 0 scores are probabilities, 1 logits
    std::map<std::string, int64_t> counts_;  // top-1 label → frames
};

}  // namespace edgeinfer::vision

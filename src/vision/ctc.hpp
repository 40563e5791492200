// vision CTC head: greedy decoding of text-recognition outputs ([T,N,C] or [N,T,C] scores per time step)
// with a character list, and the per-character confidence.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"
#include "vision/task.hpp"

namespace edgeinfer::vision {

enum class CtcLayout {
    kAuto,  // from the shape: the dim equal to the batch (1 when unknown) is N
    kTnc,   // [T, N, C] (PyTorch's nn.CTCLoss order)
    kNtc,   // [N, T, C] (batch first)
};

// "auto", "tnc", "ntc" (case-insensitive).
Result<CtcLayout> parse_ctc_layout(std::string_view text);

struct CtcOptions {
    int64_t blank = 0;  // index of the blank class
    CtcLayout layout = CtcLayout::kAuto;
    int64_t batch = 0;  // the run's batch size when known (helps kAuto); 0: unknown
    // The scores are probabilities already (the model ends in a softmax, as PaddleOCR's recognizers do):
    // a character's confidence is its score, not the softmax of the scores.
    bool probabilities = false;
};

struct CtcChar {
    int64_t index = 0;       // class index
    std::string text;        // its entry in the character list
    float confidence = 0;    // highest probability of this class over the time steps it spans
    int64_t first_step = 0;  // first time step of the run that produced it
};

struct CtcResult {
    std::string text;  // the decoded string
    std::vector<CtcChar> chars;
    float confidence = 1.0f;  // mean of the characters' confidences (1 for an empty string)
};

// Splits a string into UTF-8 characters: "abc" → {"a", "b", "c"}; kInvalidArgument on broken UTF-8.
Result<std::vector<std::string>> split_utf8(std::string_view text);

// A character list from a file: one entry per line (only "\n" / "\r\n" removed, so " " is a valid entry);
// a file of one line holding several characters is that line split into characters.
Result<std::vector<std::string>> load_charset(const std::string& path);

// Fits a character list to C classes: C entries index the classes directly (the blank's entry is
// ignored); C - 1 entries name the non-blank classes in order. Otherwise kInvalidArgument naming both counts.
Result<std::vector<std::string>> align_charset(const std::vector<std::string>& charset, int64_t num_classes,
                                               int64_t blank);

// Greedy (best path) decoding: per time step the most likely class (softmax over C, so logits,
// probabilities and log-probabilities all work), repeats collapsed, then blanks dropped. `table` has
// one entry per class (align_charset); when empty, characters print as "[index]". One result per batch
// item. Errors name the output and the expected shapes.
Result<std::vector<CtcResult>> ctc_greedy_decode(const NamedTensor& output, const std::vector<std::string>& table,
                                                 const CtcOptions& options = {});

// The public result of one decoded sequence.
edgeinfer::RecognizedText to_recognized_text(const CtcResult& result);

// `edgeinfer recognize`: the text of every frame (a cropped text line) by CTC greedy decoding. The
// character list comes from --charset (a file when one exists at that path, else the characters of the
// string), else from --labels / the sidecar's labels. Results: edgeinfer::RecognizedText; --save writes the
// text over the frame.
class TextRecognitionHead final : public TaskHead {
  public:
    explicit TextRecognitionHead(std::string charset = "", CtcOptions options = {})
        : charset_arg_(std::move(charset)), options_(options) {}

    Status prepare(const TaskContext& context) override;
    Result<TaskResult> process(const std::vector<NamedTensor>& outputs, const io::Frame& frame,
                               const PreprocessInfo& info) override;
    std::string line(const TaskResult& result) const override;
    void annotate(cv::Mat& image, const TaskResult& result) const override;
    std::vector<std::string> summary() const override;

  private:
    std::string charset_arg_;
    CtcOptions options_;
    std::vector<std::string> charset_;  // as given; aligned to the classes on the first frame
    std::string charset_origin_;
    std::vector<std::string> table_;
    int64_t frames_ = 0, empty_ = 0;
    double confidence_sum_ = 0.0;
};

}  // namespace edgeinfer::vision

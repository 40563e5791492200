// CTC greedy decoding, layout detection and character lists.
#include "vision/ctc.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/status.hpp"
#include "vision/overlay.hpp"

namespace edgeinfer::vision {
namespace {

std::string describe(const NamedTensor& t) {
    return "'" + t.name + "' " + std::string(dtype_name(t.tensor.dtype())) + " [" + shape_to_string(t.tensor.dims()) +
           "]";
}

}  // namespace

Result<CtcLayout> parse_ctc_layout(std::string_view text) {
    std::string t(text);
    for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t == "auto") return CtcLayout::kAuto;
    if (t == "tnc") return CtcLayout::kTnc;
    if (t == "ntc") return CtcLayout::kNtc;
    return invalid_argument("--ctc-layout '" + std::string(text) + "' is not a layout (choose auto, tnc or ntc)");
}

Result<std::vector<std::string>> split_utf8(std::string_view text) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = len > 0 && i + len <= text.size();
        for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
        if (!ok) return invalid_argument("character list is not valid UTF-8 at byte " + std::to_string(i));
        out.emplace_back(text.substr(i, len));
        i += len;
    }
    return out;
}

Result<std::vector<std::string>> load_charset(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return not_found("character list '" + path + "' cannot be opened");
    std::ostringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    if (lines.empty()) return invalid_argument("character list '" + path + "' is empty");
    if (lines.size() == 1) {
        auto chars = split_utf8(lines[0]);
        if (!chars.is_ok()) return chars.status().with_context("character list '" + path + "'");
        return chars;
    }
    for (size_t i = 0; i < lines.size(); ++i) {
        if (!split_utf8(lines[i]).is_ok())
            return invalid_argument("character list '" + path + "' line " + std::to_string(i + 1) + " is not UTF-8");
    }
    return lines;
}

Result<std::vector<std::string>> align_charset(const std::vector<std::string>& charset, int64_t num_classes,
                                               int64_t blank) {
    const auto n = static_cast<int64_t>(charset.size());
    if (blank < 0 || blank >= num_classes)
        return invalid_argument("blank index " + std::to_string(blank) + " is outside the model's " +
                                std::to_string(num_classes) + " classes");
    if (n == num_classes) {
        std::vector<std::string> table = charset;
        table[blank].clear();
        return table;
    }
    if (n == num_classes - 1) {
        std::vector<std::string> table = charset;
        table.insert(table.begin() + blank, std::string());
        return table;
    }
    return invalid_argument("the character list has " + std::to_string(n) + " entries but the model has " +
                            std::to_string(num_classes) + " classes (expected " + std::to_string(num_classes - 1) +
                            " characters, or " + std::to_string(num_classes) + " with the blank at index " +
                            std::to_string(blank) + ")");
}

Result<std::vector<CtcResult>> ctc_greedy_decode(const NamedTensor& output, const std::vector<std::string>& table,
                                                 const CtcOptions& options) {
    const Tensor& t = output.tensor;
    const char* expected = "float32 [T,N,C] or [N,T,C] (or [T,C] for one item)";
    if (t.dtype() != DataType::kFloat32)
        return invalid_argument("text output " + describe(output) + " has an unsupported dtype; expected " + expected);
    std::vector<int64_t> d = t.dims();
    if (d.size() == 2) d.insert(d.begin() + (options.layout == CtcLayout::kTnc ? 1 : 0), 1);
    if (d.size() != 3 || d[2] < 2)
        return invalid_argument("text output " + describe(output) + " has the wrong shape; expected " + expected);
    CtcLayout layout = options.layout;
    if (layout == CtcLayout::kAuto) {
        const int64_t n = options.batch > 0 ? options.batch : 1;
        if (d[0] == n && d[1] != n)
            layout = CtcLayout::kNtc;
        else if (d[1] == n && d[0] != n)
            layout = CtcLayout::kTnc;
        else if (d[0] == 1 && d[1] == 1)
            layout = CtcLayout::kNtc;
        else
            return invalid_argument("text output " + describe(output) + ": cannot tell [T,N,C] from [N,T,C] (batch " +
                                    std::to_string(n) + "); pass --ctc-layout tnc or ntc");
    }
    const int64_t classes = d[2];
    const int64_t batch = layout == CtcLayout::kNtc ? d[0] : d[1];
    const int64_t steps = layout == CtcLayout::kNtc ? d[1] : d[0];
    if (!table.empty() && static_cast<int64_t>(table.size()) != classes)
        return invalid_argument("text output " + describe(output) + " has " + std::to_string(classes) +
                                " classes but the character table has " + std::to_string(table.size()));
    if (options.blank < 0 || options.blank >= classes)
        return invalid_argument("blank index " + std::to_string(options.blank) + " is outside the " +
                                std::to_string(classes) + " classes of output '" + output.name + "'");
    const float* x = t.data_as<float>();
    std::vector<CtcResult> results(static_cast<size_t>(batch));
    for (int64_t b = 0; b < batch; ++b) {
        CtcResult& r = results[b];
        int64_t prev = -1;
        for (int64_t s = 0; s < steps; ++s) {
            const int64_t offset = layout == CtcLayout::kNtc ? (b * steps + s) * classes : (s * batch + b) * classes;
            const float* row = x + offset;
            const int64_t best = std::max_element(row, row + classes) - row;
            float p = row[best];
            if (!options.probabilities) {
                double sum = 0.0;
                for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c] - row[best]));
                p = static_cast<float>(1.0 / sum);
            }
            if (best != options.blank) {
                if (best == prev) {
                    r.chars.back().confidence = std::max(r.chars.back().confidence, p);
                } else {
                    std::string text;
                    if (table.empty()) {  // appended piecewise: GCC 12's -Wrestrict misfires on "[" + std::string
                        text += '[';
                        text += std::to_string(best);
                        text += ']';
                    } else {
                        text = table[best];
                    }
                    r.text += text;
                    r.chars.push_back({best, std::move(text), p, s});
                }
            }
            prev = best;
        }
        if (!r.chars.empty()) {
            double sum = 0.0;
            for (const auto& c : r.chars) sum += c.confidence;
            r.confidence = static_cast<float>(sum / static_cast<double>(r.chars.size()));
        }
    }
    return results;
}

edgeinfer::RecognizedText to_recognized_text(const CtcResult& r) {
    edgeinfer::RecognizedText out;
    out.text = r.text;
    out.confidence = r.confidence;
    for (const CtcChar& c : r.chars) {
        edgeinfer::CharScore ch;
        ch.text = c.text;
        ch.confidence = c.confidence;
        ch.index = c.index;
        ch.step = c.first_step;
        out.chars.push_back(std::move(ch));
    }
    return out;
}

Status TextRecognitionHead::prepare(const TaskContext& context) {
    if (context.outputs.empty()) return invalid_model(context.options.model_path + ": the model has no outputs");
    const ValueDescription& out = context.outputs[0];
    if (!out.dims.empty() && out.dims.size() != 2 && out.dims.size() != 3)
        return invalid_argument(context.options.model_path + ": output '" + out.name + "' [" +
                                shape_to_string(out.dims) +
                                "] is not a text-recognition output; expected [T,N,C] or [N,T,C]");
    if (!charset_arg_.empty()) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(charset_arg_, ec)) {
            EDGEINFER_ASSIGN_OR_RETURN(charset_, load_charset(charset_arg_));
            charset_origin_ = "--charset file '" + charset_arg_ + "'";
        } else {
            auto chars = split_utf8(charset_arg_);
            if (!chars.is_ok()) return chars.status().with_context("--charset");
            charset_ = std::move(chars).value();
            charset_origin_ = "--charset";
        }
    } else if (!context.labels.empty()) {
        charset_ = context.labels;
        charset_origin_ = context.labels_origin;
    } else {
        return invalid_argument(
            "recognize needs a character list: give --charset CHARS|FILE (or --labels FILE, or "
            "'labels' in the sidecar)");
    }
    const int64_t classes = out.dims.empty() ? -1 : out.dims.back();
    if (classes > 0) {
        auto table = align_charset(charset_, classes, options_.blank);
        if (!table.is_ok()) return table.status().with_context(charset_origin_ + ", output '" + out.name + "'");
        table_ = std::move(table).value();
    }
    return Status::ok();
}

Result<TaskResult> TextRecognitionHead::process(const std::vector<NamedTensor>& outputs, const io::Frame& /*frame*/,
                                                const PreprocessInfo& /*info*/) {
    if (outputs.empty()) return internal_error("recognize: output missing from the run");
    const NamedTensor& out = outputs[0];
    if (table_.empty()) {  // the class count was dynamic: align now
        const int64_t classes = out.tensor.dims().empty() ? 0 : out.tensor.dims().back();
        auto table = align_charset(charset_, classes, options_.blank);
        if (!table.is_ok()) return table.status().with_context(charset_origin_ + ", output '" + out.name + "'");
        table_ = std::move(table).value();
    }
    CtcOptions o = options_;
    o.batch = 1;  // the runner hands over one frame at a time
    EDGEINFER_ASSIGN_OR_RETURN(std::vector<CtcResult> decoded, ctc_greedy_decode(out, table_, o));
    if (decoded.empty()) return out_of_range("output '" + out.name + "' holds no sequence");
    const CtcResult& r = decoded[0];
    ++frames_;
    if (r.text.empty()) ++empty_;
    confidence_sum_ += r.confidence;
    return TaskResult(to_recognized_text(r));
}

std::string TextRecognitionHead::line(const TaskResult& result) const {
    const auto& text = std::get<edgeinfer::RecognizedText>(result);
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.3f)", text.confidence);
    return "\"" + text.text + "\"" + buf;
}

void TextRecognitionHead::annotate(cv::Mat& image, const TaskResult& result) const {
    draw_text_lines(image, {line(result)});
}

std::vector<std::string> TextRecognitionHead::summary() const {
    if (frames_ == 0) return {};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", confidence_sum_ / static_cast<double>(frames_));
    return {"texts: " + std::to_string(frames_ - empty_) + " of " + std::to_string(frames_) +
            " frames non-empty, mean confidence " + buf + " (characters from " + charset_origin_ + ")"};
}

}  // namespace edgeinfer::vision

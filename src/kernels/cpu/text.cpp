// Text operators over string and token tensors: StringNormalizer (case folding, stop words) and
// TfIdfVectorizer (n-gram counts with skips, TF / IDF / TF-IDF weighting), and opset 20's StringConcat,
// RegexFullMatch and StringSplit. All compute while the plan
// prepares them (their outputs depend on values; strings have no planned buffers), like Shape does
// with constants: prepare defers until the input's value is known and sets the output value.
#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "kernels/cpu/common.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

std::string ascii_case(std::string s, bool upper) {
    for (char& c : s)
        c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                    : std::tolower(static_cast<unsigned char>(c)));
    return s;
}

class StringNormalizerKernel : public Kernel {
  public:
    StringNormalizerKernel(std::string action, bool case_sensitive, std::vector<std::string> stopwords)
        : action_(std::move(action)), case_sensitive_(case_sensitive) {
        for (std::string& w : stopwords) stopwords_.push_back(case_sensitive_ ? w : ascii_case(w, false));
    }

    Status prepare(PrepareContext& ctx) const override {
        const Tensor* x = ctx.value(0);
        if (!x) return ctx.defer();
        if (x->dtype() != DataType::kString) return ctx.invalid("input must be a string tensor");
        const auto& dims = x->dims();
        if (!(dims.size() == 1 || (dims.size() == 2 && dims[0] == 1)))
            return ctx.invalid("input must be [C] or [1, C], got " + shape_to_string(dims));
        std::vector<std::string> kept;
        for (const std::string& s : x->string_data()) {
            const std::string key = case_sensitive_ ? s : ascii_case(s, false);
            if (std::find(stopwords_.begin(), stopwords_.end(), key) != stopwords_.end()) continue;
            kept.push_back(action_ == "LOWER" ? ascii_case(s, false) : action_ == "UPPER" ? ascii_case(s, true) : s);
        }
        if (kept.empty()) kept.emplace_back();  // the operator's rule: one empty string, never an empty tensor
        const int64_t n = static_cast<int64_t>(kept.size());
        std::vector<int64_t> out_dims = dims.size() == 1 ? std::vector<int64_t>{n} : std::vector<int64_t>{1, n};
        ctx.set_output_value(0, Tensor::strings(std::move(out_dims), std::move(kept)));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "StringNormalizer computes while prepared; run() is never called");
    }

  private:
    std::string action_;
    bool case_sensitive_;
    std::vector<std::string> stopwords_;
};

// The n-gram pool: each n-gram of the pool (in pool order) and its output column.
template <typename T>
struct NgramPool {
    std::map<std::vector<T>, int64_t> columns;
};

class TfIdfKernel : public Kernel {
  public:
    struct Config {
        int64_t min_gram = 1, max_gram = 1, max_skip = 0;
        std::string mode;
        int64_t output_size = 0;
        std::vector<float> weights;
        NgramPool<int64_t> ints;
        NgramPool<std::string> strings;
        bool string_pool = false;
    };
    explicit TfIdfKernel(Config c) : c_(std::move(c)) {}

    Status prepare(PrepareContext& ctx) const override {
        const Tensor* x = ctx.value(0);
        if (!x) return ctx.defer();
        const auto& dims = x->dims();
        if (dims.size() != 1 && dims.size() != 2) return ctx.invalid("input must be [C] or [N, C]");
        const bool is_string = x->dtype() == DataType::kString;
        if (is_string != c_.string_pool)
            return ctx.invalid(std::string("input is ") + std::string(dtype_name(x->dtype())) + " but the pool holds " +
                               (c_.string_pool ? "strings" : "integers"));
        const int64_t rows = dims.size() == 2 ? dims[0] : 1;
        const int64_t cols = dims.back();
        std::vector<int64_t> out_dims =
            dims.size() == 2 ? std::vector<int64_t>{rows, c_.output_size} : std::vector<int64_t>{c_.output_size};
        Tensor out = Tensor::allocate(DataType::kFloat32, out_dims);
        float* y = out.data_as<float>();
        if (is_string) {
            count(x->string_data(), rows, cols, c_.strings, y);
        } else {
            std::vector<int64_t> tokens;
            if (!read_int_values(*x, tokens)) return ctx.invalid("input must be int32, int64 or string");
            count(tokens, rows, cols, c_.ints, y);
        }
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t k = 0; k < c_.output_size; ++k) {
                float& v = y[r * c_.output_size + k];
                const float w = k < static_cast<int64_t>(c_.weights.size()) ? c_.weights[k] : 1.0f;
                if (c_.mode == "IDF")
                    v = v > 0 ? w : 0.0f;
                else if (c_.mode == "TFIDF")
                    v *= w;
            }
        ctx.set_output_value(0, std::move(out));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "TfIdfVectorizer computes while prepared; run() is never called");
    }

  private:
    // Counts, per row, every pool n-gram whose items are `step` apart (step 1 .. max_skip + 1); unigrams
    // are counted once, not once per step.
    template <typename T>
    void count(const std::vector<T>& tokens, int64_t rows, int64_t cols, const NgramPool<T>& pool, float* y) const {
        std::vector<T> gram;
        for (int64_t r = 0; r < rows; ++r) {
            const T* row = tokens.data() + r * cols;
            for (int64_t step = 1; step <= c_.max_skip + 1; ++step) {
                const int64_t min_n = std::max<int64_t>(c_.min_gram, step > 1 ? 2 : 1);
                for (int64_t start = 0; start < cols; ++start) {
                    gram.clear();
                    for (int64_t n = 1; n <= c_.max_gram; ++n) {
                        const int64_t at = start + (n - 1) * step;
                        if (at >= cols) break;
                        gram.push_back(row[at]);
                        if (n < min_n) continue;
                        auto it = pool.columns.find(gram);
                        if (it != pool.columns.end()) y[r * c_.output_size + it->second] += 1.0f;
                    }
                }
            }
        }
    }

    Config c_;
};

template <typename T>
Status fill_pool(const CreateContext& ctx, const std::vector<T>& items, const std::vector<int64_t>& counts,
                 const std::vector<int64_t>& indexes, NgramPool<T>& pool) {
    size_t next = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        const int64_t n = static_cast<int64_t>(i) + 1;
        const int64_t begin = counts[i];
        const int64_t end = i + 1 < counts.size() ? counts[i + 1] : static_cast<int64_t>(items.size());
        if (begin < 0 || end < begin || end > static_cast<int64_t>(items.size()) || (end - begin) % n != 0)
            return ctx.invalid("ngram_counts[" + std::to_string(i) + "] does not delimit whole " + std::to_string(n) +
                               "-grams in the pool of " + std::to_string(items.size()));
        for (int64_t at = begin; at < end; at += n) {
            if (next >= indexes.size()) return ctx.invalid("ngram_indexes has fewer entries than the pool has n-grams");
            pool.columns[std::vector<T>(items.begin() + at, items.begin() + at + n)] = indexes[next++];
        }
    }
    return Status::ok();
}

// ---- Opset 20 string operators: StringConcat, RegexFullMatch, StringSplit ----

// StringConcat: elementwise X + Y with numpy broadcasting.
class StringConcatKernel : public Kernel {
  public:
    Status prepare(PrepareContext& ctx) const override {
        for (size_t i = 0; i < 2; ++i)
            if (ctx.input(i).dtype != DataType::kString)
                return ctx.invalid("input " + std::to_string(i) + " is " + std::string(dtype_name(ctx.input(i).dtype)) +
                                   ", not string");
        std::vector<int64_t> dims;
        if (!broadcast_shapes(ctx.input(0).dims, ctx.input(1).dims, dims))
            return ctx.invalid("shapes " + shape_to_string(ctx.input(0).dims) + " and " +
                               shape_to_string(ctx.input(1).dims) + " do not broadcast");
        const Tensor* x = ctx.value(0);
        const Tensor* y = ctx.value(1);
        if (!x || !y) return ctx.defer();
        const std::vector<int64_t> xs = broadcast_strides(x->dims(), dims), ys = broadcast_strides(y->dims(), dims);
        const std::vector<int64_t> os = strides_of(dims);
        const int64_t n = shape_numel(dims);
        std::vector<std::string> out(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            int64_t xi = 0, yi = 0, rest = i;
            for (size_t d = 0; d < dims.size(); ++d) {
                const int64_t c = rest / os[d];
                rest %= os[d];
                xi += c * xs[d];
                yi += c * ys[d];
            }
            out[i] = x->string_data()[xi] + y->string_data()[yi];
        }
        ctx.set_output_value(0, Tensor::strings(dims, std::move(out)));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "StringConcat computes while prepared; run() is never called");
    }
};

// RegexFullMatch: whether each string matches `pattern` as a whole. ONNX names RE2's syntax; edgeinfer
// uses std::regex's ECMAScript grammar, which shares RE2's common subset (classes, quantifiers, groups,
// alternation, anchors) but works on bytes, not UTF-8 code points, and lacks RE2's inline flags
// ((?i)), \A \z, (?P<name>...) and \p{..} classes: such patterns fail to compile, or (escapes such as \A
// that std::regex would take as a plain letter) are found by foreign_escape, and the node is refused
// naming the pattern. std::regex matches by recursive backtracking, so strings are limited to
// kMaxRegexInput bytes (an error naming the element, not a stack overflow).
constexpr size_t kMaxRegexInput = 4096;

// An escape std::regex would read differently from RE2: a backslash before a letter ECMAScript gives no
// meaning (libstdc++ takes `\A`, `\z`, `\a`, `\Q` as the letter itself; RE2 anchors, bells, quotes); "" when
// none.
std::string foreign_escape(const std::string& pattern) {
    static const std::string kEcmaLetters = "dDsSwWbBfnrtvcxu";
    for (size_t i = 0; i + 1 < pattern.size(); ++i) {
        if (pattern[i] != '\\') continue;
        const char c = pattern[i + 1];
        if (std::isalpha(static_cast<unsigned char>(c)) && kEcmaLetters.find(c) == std::string::npos)
            return std::string("\\") + c;
        ++i;  // skip the escaped character (\\ included)
    }
    return "";
}

class RegexFullMatchKernel : public Kernel {
  public:
    explicit RegexFullMatchKernel(std::regex re) : re_(std::move(re)) {}

    Status prepare(PrepareContext& ctx) const override {
        if (ctx.input(0).dtype != DataType::kString)
            return ctx.invalid("input is " + std::string(dtype_name(ctx.input(0).dtype)) + ", not string");
        const Tensor* x = ctx.value(0);
        if (!x) return ctx.defer();
        Tensor y = Tensor::allocate(DataType::kBool, x->dims());
        const auto& text = x->string_data();
        for (size_t i = 0; i < text.size(); ++i) {
            if (text[i].size() > kMaxRegexInput)
                return ctx.invalid("element " + std::to_string(i) + " has " + std::to_string(text[i].size()) +
                                   " bytes; std::regex matching is limited to " + std::to_string(kMaxRegexInput));
            try {
                y.data_as<bool>()[i] = std::regex_match(text[i], re_);
            } catch (const std::regex_error& e) {
                return ctx.invalid("matching element " + std::to_string(i) + " failed: " + e.what());
            }
        }
        ctx.set_output_value(0, std::move(y));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "RegexFullMatch computes while prepared; run() is never called");
    }

  private:
    std::regex re_;
};

// Python's str.split: with no delimiter, runs of whitespace separate and leading/trailing whitespace
// is dropped ("" gives no parts; the unsplit rest after maxsplit keeps its trailing whitespace); with one, every
// occurrence separates (an empty string gives no parts, as ONNX Runtime does, where Python gives one). At most
// `maxsplit` splits when maxsplit >= 0; the rest stays in the last part.
std::vector<std::string> split_string(const std::string& s, const std::string& delim, int64_t maxsplit) {
    std::vector<std::string> parts;
    int64_t splits = 0;
    if (delim.empty()) {
        auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
        size_t i = 0;
        while (i < s.size()) {
            while (i < s.size() && is_space(s[i])) ++i;
            if (i == s.size()) break;
            if (maxsplit >= 0 && splits == maxsplit) {  // the rest, trailing whitespace included (as Python)
                parts.push_back(s.substr(i));
                break;
            }
            size_t j = i;
            while (j < s.size() && !is_space(s[j])) ++j;
            parts.push_back(s.substr(i, j - i));
            ++splits;
            i = j;
        }
        return parts;
    }
    if (s.empty()) return parts;
    size_t start = 0;
    while (true) {
        const size_t at = (maxsplit >= 0 && splits == maxsplit) ? std::string::npos : s.find(delim, start);
        if (at == std::string::npos) {
            parts.push_back(s.substr(start));
            return parts;
        }
        parts.push_back(s.substr(start, at - start));
        ++splits;
        start = at + delim.size();
    }
}

// StringSplit: Y[..., k] the k-th part of X[...] (padded with "" to the largest part count), Z the counts.
class StringSplitKernel : public Kernel {
  public:
    StringSplitKernel(std::string delimiter, int64_t maxsplit)
        : delimiter_(std::move(delimiter)), maxsplit_(maxsplit) {}

    Status prepare(PrepareContext& ctx) const override {
        if (ctx.input(0).dtype != DataType::kString)
            return ctx.invalid("input is " + std::string(dtype_name(ctx.input(0).dtype)) + ", not string");
        const Tensor* x = ctx.value(0);
        if (!x) return ctx.defer();
        std::vector<std::vector<std::string>> parts;
        size_t width = 0;
        for (const std::string& s : x->string_data()) {
            parts.push_back(split_string(s, delimiter_, maxsplit_));
            width = std::max(width, parts.back().size());
        }
        std::vector<int64_t> y_dims = x->dims();
        y_dims.push_back(static_cast<int64_t>(width));
        std::vector<std::string> y(parts.size() * width);
        Tensor z = Tensor::allocate(DataType::kInt64, x->dims());
        for (size_t i = 0; i < parts.size(); ++i) {
            z.data_as<int64_t>()[i] = static_cast<int64_t>(parts[i].size());
            for (size_t k = 0; k < parts[i].size(); ++k) y[i * width + k] = std::move(parts[i][k]);
        }
        ctx.set_output_value(0, Tensor::strings(std::move(y_dims), std::move(y)));
        ctx.set_output_value(1, std::move(z));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "StringSplit computes while prepared; run() is never called");
    }

  private:
    std::string delimiter_;
    int64_t maxsplit_;
};

}  // namespace

void register_text_kernels(KernelRegistry& registry) {
    KernelDef concat;
    concat.op_type = "StringConcat";
    concat.since_version = 20;
    concat.factory = [](const CreateContext&) -> Result<std::unique_ptr<Kernel>> {
        return std::unique_ptr<Kernel>(new StringConcatKernel());
    };
    registry.add(concat);

    KernelDef regex;
    regex.op_type = "RegexFullMatch";
    regex.since_version = 20;
    regex.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const ir::Attribute* pattern = ctx.node.find_attribute("pattern");
        if (!pattern || pattern->kind != ir::Attribute::Kind::kString)
            return ctx.invalid("missing string attribute 'pattern'");
        if (const std::string e = foreign_escape(pattern->s); !e.empty())
            return ctx.invalid("pattern '" + pattern->s + "' uses " + e +
                               ", which std::regex (ECMAScript) would read " +
                               "as a plain letter, not as RE2 does; RE2-only syntax is not supported");
        // RE2's case-insensitive flag at the start of the pattern maps to std::regex::icase.
        std::string body = pattern->s;
        auto flags = std::regex::ECMAScript;
        if (body.rfind("(?i)", 0) == 0) {
            body = body.substr(4);
            flags |= std::regex::icase;
        }
        try {
            return std::unique_ptr<Kernel>(new RegexFullMatchKernel(std::regex(body, flags)));
        } catch (const std::regex_error& e) {
            return ctx.invalid("pattern '" + pattern->s + "' is not a regular expression std::regex (ECMAScript) " +
                               "can compile (" + e.what() +
                               "); RE2-only syntax such as (?i) after the start, \\A, \\z, (?P<name>) " +
                               "or \\p{...} is not supported");
        }
    };
    registry.add(regex);

    KernelDef split;
    split.op_type = "StringSplit";
    split.since_version = 20;
    split.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const int64_t maxsplit = ctx.node.attr_int("maxsplit", -1);  // negative: no limit, as in Python
        return std::unique_ptr<Kernel>(new StringSplitKernel(ctx.node.attr_string("delimiter", ""), maxsplit));
    };
    registry.add(split);

    KernelDef norm;
    norm.op_type = "StringNormalizer";
    norm.since_version = 10;
    norm.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const std::string action = ctx.node.attr_string("case_change_action", "NONE");
        if (action != "NONE" && action != "LOWER" && action != "UPPER")
            return ctx.invalid("case_change_action must be NONE, LOWER or UPPER, got '" + action + "'");
        const ir::Attribute* stop = ctx.node.find_attribute("stopwords");
        return std::unique_ptr<Kernel>(new StringNormalizerKernel(
            action, ctx.node.attr_int("is_case_sensitive", 0) != 0, stop ? stop->strings : std::vector<std::string>{}));
    };
    registry.add(norm);

    KernelDef tfidf;
    tfidf.op_type = "TfIdfVectorizer";
    tfidf.since_version = 9;
    tfidf.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        TfIdfKernel::Config c;
        c.min_gram = ctx.node.attr_int("min_gram_length", 0);
        c.max_gram = ctx.node.attr_int("max_gram_length", 0);
        c.max_skip = ctx.node.attr_int("max_skip_count", 0);
        c.mode = ctx.node.attr_string("mode", "");
        if (c.min_gram < 1 || c.max_gram < c.min_gram)
            return ctx.invalid("need 1 <= min_gram_length <= max_gram_length, got " + std::to_string(c.min_gram) +
                               " and " + std::to_string(c.max_gram));
        if (c.max_skip < 0) return ctx.invalid("max_skip_count must be 0 or more");
        if (c.mode != "TF" && c.mode != "IDF" && c.mode != "TFIDF")
            return ctx.invalid("mode must be TF, IDF or TFIDF, got '" + c.mode + "'");
        const std::vector<int64_t> counts = ctx.node.attr_ints("ngram_counts");
        const std::vector<int64_t> indexes = ctx.node.attr_ints("ngram_indexes");
        for (int64_t i : indexes) {
            if (i < 0 || i > (int64_t{1} << 31)) return ctx.invalid("ngram_indexes holds " + std::to_string(i));
            c.output_size = std::max(c.output_size, i + 1);
        }
        c.weights = ctx.node.attr_floats("weights");
        const ir::Attribute* strings = ctx.node.find_attribute("pool_strings");
        if (strings && !strings->strings.empty()) {
            c.string_pool = true;
            EDGEINFER_RETURN_IF_ERROR(fill_pool(ctx, strings->strings, counts, indexes, c.strings));
        } else {
            EDGEINFER_RETURN_IF_ERROR(fill_pool(ctx, ctx.node.attr_ints("pool_int64s"), counts, indexes, c.ints));
        }
        return std::unique_ptr<Kernel>(new TfIdfKernel(std::move(c)));
    };
    registry.add(tfidf);
}

}  // namespace edgeinfer::kernels::cpu

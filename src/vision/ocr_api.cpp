// edgeinfer::TextReader (include/edgeinfer/ocr.hpp): the model folder's files found and checked, then per
// image: the DB detector, boxes (vision/ocr.hpp), crops, the direction classifier, the recognizer and
// CTC greedy decoding (vision/ctc.hpp) over the dictionary. Preprocessing is PaddleOCR's: BGR channels,
// detection (x / 255 - ImageNet mean) / ImageNet std, lines (x / 255 - 0.5) / 0.5.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "edgeinfer/ocr.hpp"
#include "io/frame.hpp"
#include "vision/ctc.hpp"
#include "vision/ocr.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

constexpr float kDetMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kDetStd[3] = {0.229f, 0.224f, 0.225f};
constexpr float kLineMean[3] = {0.5f, 0.5f, 0.5f};
constexpr float kLineStd[3] = {0.5f, 0.5f, 0.5f};
constexpr int kClassifierHeight = 48, kClassifierWidth = 192;  // PaddleOCR's cls_image_shape 3,48,192
constexpr int kRecognizerMinWidth = 320;  // PaddleOCR's rec_image_shape 3,48,320: narrower lines are padded
constexpr int kRecognizerWidthStep = 32;  // widths rounded up to this, so few distinct shapes are planned

struct FileKind {
    const char* what;     // "text-detection model"
    const char* option;   // "files.detector"
    const char* pattern;  // "*det*.onnx"
    const char* part;     // "det" ("" : any name)
    const char* suffix;   // ".onnx"
};

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The file `given` (relative to `dir`) or, when "", the one file of `dir` matching `kind`. `required`
// false: "" when there is none.
Result<std::string> find_file(const fs::path& dir, const std::string& given, const FileKind& kind, bool required) {
    std::error_code ec;
    const std::string folder = "OCR model folder '" + dir.string() + "'";
    if (!given.empty()) {
        const fs::path p = fs::path(given).is_absolute() ? fs::path(given) : dir / given;
        if (!fs::is_regular_file(p, ec))
            return not_found(folder + ": " + kind.what + " '" + p.string() + "' (" + kind.option + "): no such file");
        return p.string();
    }
    std::vector<std::string> found;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
        if (!e.is_regular_file(ec)) continue;
        const std::string name = lower(e.path().filename().string());
        const std::string suffix = kind.suffix;
        if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        if (name.find(kind.part) == std::string::npos) continue;
        found.push_back(e.path().string());
    }
    if (ec) return io_error(folder + ": cannot be listed: " + ec.message());
    std::sort(found.begin(), found.end());
    if (found.size() > 1) {
        std::string names;
        for (const std::string& f : found) names += (names.empty() ? "" : ", ") + fs::path(f).filename().string();
        return invalid_argument(folder + ": " + kind.what + ": several files match " + kind.pattern + " (" + names +
                                "); name one with " + kind.option);
    }
    if (found.empty()) {
        if (!required) return std::string();
        return not_found(folder + ": no " + kind.what + " (" + kind.pattern + "); scripts/fetch-models puts " +
                         "PaddleOCR's PP-OCRv4 in models/ocr/ppocr-v4");
    }
    return found.front();
}

// One model of the reader: its session and its single image input.
struct Model {
    std::string path;
    std::unique_ptr<Session> session;
    ValueDescription input;
    ValueDescription output;

    static Result<Model> open(const std::string& path, const SessionOptions& options, const char* role) {
        Model m;
        m.path = path;
        auto session = Session::create(path, options);
        if (!session.is_ok()) return session.status().with_context(std::string(role) + " '" + path + "'");
        m.session = std::move(session).value();
        const EngineReport& engine = m.session->engine_report();
        if (!engine.message.empty()) base::log_warning(engine.message);  // a stale or corrupt cache entry: rebuilt
        if (m.session->inputs().size() != 1 || m.session->outputs().empty())
            return invalid_model(std::string(role) + " '" + path + "': expected one image input and an output, got " +
                                 std::to_string(m.session->inputs().size()) + " inputs and " +
                                 std::to_string(m.session->outputs().size()) + " outputs");
        m.input = m.session->inputs().front();
        m.output = m.session->outputs().front();
        const auto& d = m.input.dims;
        if (d.size() != 4 || (d[1] != 3 && d[1] >= 0) || m.input.dtype != DataType::kFloat32)
            return invalid_model(std::string(role) + " '" + path + "': input '" + m.input.name + "' [" +
                                 shape_to_string(d) + "] is not a float32 N x 3 x H x W image");
        return m;
    }

    Result<std::vector<NamedTensor>> run(const Tensor& input) {
        auto out = session->run({{this->input.name, input}});
        if (!out.is_ok()) return out.status().with_context(path);
        if (out.value().empty()) return internal_error(path + ": the run returned no output");
        return std::move(out).value();
    }
};

// Whether the [.., C] rows hold probabilities already (a softmax ends the model): the first row lies in
// [0, 1] and sums to 1.
bool rows_are_probabilities(const Tensor& t) {
    if (t.rank() < 1 || t.numel() == 0) return false;
    const int64_t classes = t.dims().back();
    const float* row = t.data_as<float>();
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
        if (!(row[c] >= 0.0f && row[c] <= 1.0f)) return false;
        sum += row[c];
    }
    return std::abs(sum - 1.0) < 1e-3;
}

}  // namespace

class TextReader::Impl {
  public:
    TextReaderOptions options;
    OcrModelFiles files;
    Model detector, recognizer;
    std::optional<Model> classifier;
    std::vector<std::string> dictionary;  // as read (plus the space class when the recognizer has one)
    std::vector<std::string> table;       // one entry per recognizer class, blank at 0
    int line_height = 48;

    Result<OcrResult> read(const ImageView& image);

  private:
    Result<cv::Mat> detect_map(const cv::Mat& bgr, std::vector<float>& storage);
    Status classify(std::vector<cv::Mat>& crops, std::vector<TextLine>& lines);
    Status recognize(const std::vector<cv::Mat>& crops, std::vector<TextLine>& lines);
};

Result<cv::Mat> TextReader::Impl::detect_map(const cv::Mat& bgr, std::vector<float>& storage) {
    const cv::Size size = vision::db_input_size(bgr.cols, bgr.rows, options.max_side);
    Tensor input = Tensor::allocate(DataType::kFloat32, {1, 3, size.height, size.width});
    vision::normalize_image(bgr, size, kDetMean, kDetStd, input.data_as<float>());
    EDGEINFER_ASSIGN_OR_RETURN(std::vector<NamedTensor> out, detector.run(input));
    const Tensor& map = out.front().tensor;
    const int64_t pixels = static_cast<int64_t>(size.width) * size.height;
    if (map.dtype() != DataType::kFloat32 || map.numel() != pixels || map.dims().size() < 2 ||
        map.dims().back() != size.width)
        return invalid_model(detector.path + ": output '" + out.front().name + "' [" + shape_to_string(map.dims()) +
                             "] is not a probability map of the input's " + std::to_string(size.height) + "x" +
                             std::to_string(size.width) + " pixels");
    storage.assign(map.data_as<float>(), map.data_as<float>() + pixels);
    return cv::Mat(size.height, size.width, CV_32F, storage.data());
}

Status TextReader::Impl::classify(std::vector<cv::Mat>& crops, std::vector<TextLine>& lines) {
    const size_t step = static_cast<size_t>(std::max(options.recognizer_batch, 1));
    const size_t item = static_cast<size_t>(3 * kClassifierHeight * kClassifierWidth);
    for (size_t first = 0; first < crops.size(); first += step) {
        const size_t n = std::min(step, crops.size() - first);
        Tensor input =
            Tensor::allocate(DataType::kFloat32, {static_cast<int64_t>(n), 3, kClassifierHeight, kClassifierWidth});
        for (size_t k = 0; k < n; ++k)
            vision::normalize_line(crops[first + k], kClassifierHeight, kClassifierWidth, kLineMean, kLineStd,
                                   input.data_as<float>() + k * item);
        EDGEINFER_ASSIGN_OR_RETURN(std::vector<NamedTensor> out, classifier->run(input));
        const Tensor& scores = out.front().tensor;
        if (scores.dtype() != DataType::kFloat32 || scores.numel() != static_cast<int64_t>(2 * n))
            return invalid_model(classifier->path + ": output '" + out.front().name + "' [" +
                                 shape_to_string(scores.dims()) + "] is not N x 2 (0 and 180 degrees) for " +
                                 std::to_string(n) + " crops");
        const float* s = scores.data_as<float>();
        for (size_t k = 0; k < n; ++k) {
            TextLine& line = lines[first + k];
            const float up = s[2 * k], down = s[2 * k + 1];
            if (down > up && down >= options.classifier_threshold) {
                cv::rotate(crops[first + k], crops[first + k], cv::ROTATE_180);
                line.angle = 180;
                line.angle_score = down;
            } else {
                line.angle_score = up;
            }
        }
    }
    return Status::ok();
}

Status TextReader::Impl::recognize(const std::vector<cv::Mat>& crops, std::vector<TextLine>& lines) {
    // Similar widths together (PaddleOCR's order), each batch padded to its widest line.
    std::vector<size_t> order(crops.size());
    std::iota(order.begin(), order.end(), size_t{0});
    auto aspect = [&crops](size_t i) { return static_cast<double>(crops[i].cols) / std::max(crops[i].rows, 1); };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return aspect(a) < aspect(b); });
    const size_t step = static_cast<size_t>(std::max(options.recognizer_batch, 1));
    for (size_t first = 0; first < order.size(); first += step) {
        const size_t n = std::min(step, order.size() - first);
        double widest = 0.0;
        for (size_t k = 0; k < n; ++k) widest = std::max(widest, aspect(order[first + k]));
        int width = std::max(kRecognizerMinWidth, static_cast<int>(std::ceil(line_height * widest)));
        width = (width + kRecognizerWidthStep - 1) / kRecognizerWidthStep * kRecognizerWidthStep;
        Tensor input = Tensor::allocate(DataType::kFloat32, {static_cast<int64_t>(n), 3, line_height, width});
        const size_t item = static_cast<size_t>(3 * line_height) * static_cast<size_t>(width);
        for (size_t k = 0; k < n; ++k)
            vision::normalize_line(crops[order[first + k]], line_height, width, kLineMean, kLineStd,
                                   input.data_as<float>() + k * item);
        EDGEINFER_ASSIGN_OR_RETURN(std::vector<NamedTensor> out, recognizer.run(input));
        const NamedTensor& scores = out.front();
        if (table.empty() && !scores.tensor.dims().empty()) {  // a dynamic class count: known only now
            auto t = vision::align_charset(dictionary, scores.tensor.dims().back(), 0);
            if (!t.is_ok()) return t.status().with_context(files.dictionary + ", " + recognizer.path);
            table = std::move(t).value();
        }
        vision::CtcOptions ctc;
        ctc.layout = vision::CtcLayout::kNtc;
        ctc.batch = static_cast<int64_t>(n);
        ctc.probabilities = rows_are_probabilities(scores.tensor);
        auto decoded = vision::ctc_greedy_decode(scores, table, ctc);
        if (!decoded.is_ok()) return decoded.status().with_context(recognizer.path);
        if (decoded.value().size() != n)
            return invalid_model(recognizer.path + ": output '" + scores.name + "' holds " +
                                 std::to_string(decoded.value().size()) + " sequences for " + std::to_string(n) +
                                 " crops");
        for (size_t k = 0; k < n; ++k) {
            const RecognizedText text = vision::to_recognized_text(decoded.value()[k]);
            TextLine& line = lines[order[first + k]];
            line.text = text.text;
            line.score = text.chars.empty() ? 0.0 : text.confidence;
            line.chars = text.chars;
        }
    }
    return Status::ok();
}

Result<OcrResult> TextReader::Impl::read(const ImageView& image) {
    EDGEINFER_ASSIGN_OR_RETURN(cv::Mat bgr, io::bgr_mat_from_view(image, "image"));
    if (bgr.channels() == 1) cv::cvtColor(bgr, bgr, cv::COLOR_GRAY2BGR);
    if (bgr.channels() == 4) cv::cvtColor(bgr, bgr, cv::COLOR_BGRA2BGR);
    OcrResult result;
    result.width = bgr.cols;
    result.height = bgr.rows;
    std::vector<float> storage;
    EDGEINFER_ASSIGN_OR_RETURN(cv::Mat map, detect_map(bgr, storage));
    vision::DbOptions db;
    db.binary_threshold = options.binary_threshold;
    db.box_threshold = options.box_threshold;
    db.unclip_ratio = options.unclip_ratio;
    db.min_size = options.min_size;
    db.max_candidates = options.max_candidates;
    db.dilate = options.dilate;
    const std::vector<vision::TextQuad> quads = vision::db_boxes(map, bgr.size(), db);
    if (quads.empty()) return result;
    std::vector<cv::Mat> crops;
    std::vector<TextLine> lines(quads.size());
    for (size_t i = 0; i < quads.size(); ++i) {
        crops.push_back(vision::crop_quad(bgr, quads[i].points));
        TextLine& line = lines[i];
        line.box_score = quads[i].score;
        for (size_t c = 0; c < 4; ++c) line.quad[c] = {quads[i].points[c].x, quads[i].points[c].y};
        line.box = {line.quad[0].x, line.quad[0].y, line.quad[0].x, line.quad[0].y};
        for (const Corner& c : line.quad) {
            line.box.x1 = std::min(line.box.x1, c.x);
            line.box.y1 = std::min(line.box.y1, c.y);
            line.box.x2 = std::max(line.box.x2, c.x);
            line.box.y2 = std::max(line.box.y2, c.y);
        }
    }
    if (classifier) EDGEINFER_RETURN_IF_ERROR(classify(crops, lines));
    EDGEINFER_RETURN_IF_ERROR(recognize(crops, lines));
    for (TextLine& line : lines)
        if (!line.text.empty() && line.score >= options.text_threshold) result.lines.push_back(std::move(line));
    return result;
}

Result<std::unique_ptr<TextReader>> TextReader::create(const std::string& model_dir, const TextReaderOptions& options) {
    std::error_code ec;
    if (model_dir.empty()) return invalid_argument("TextReader: no model folder given");
    if (!fs::is_directory(model_dir, ec)) return not_found("OCR model folder '" + model_dir + "': no such folder");
    if (options.max_side < 32)
        return invalid_argument("max_side " + std::to_string(options.max_side) + ": must be >= 32");
    auto in_unit = [](float v) { return v >= 0.0f && v <= 1.0f; };
    if (!in_unit(options.binary_threshold) || !in_unit(options.box_threshold) ||
        !in_unit(options.classifier_threshold) || !in_unit(options.text_threshold))
        return invalid_argument(
            "binary_threshold, box_threshold, classifier_threshold and text_threshold must be "
            "within [0, 1]");
    if (!(options.unclip_ratio >= 0.0f && options.unclip_ratio <= 10.0f))
        return invalid_argument("unclip_ratio " + std::to_string(options.unclip_ratio) + ": must be within [0, 10]");
    if (options.min_size < 0 || options.max_candidates < 1 || options.recognizer_batch < 1)
        return invalid_argument("min_size must be >= 0, max_candidates and recognizer_batch >= 1");

    auto impl = std::make_unique<Impl>();
    impl->options = options;
    const fs::path dir(model_dir);
    const OcrModelFiles& given = options.files;
    OcrModelFiles& f = impl->files;
    EDGEINFER_ASSIGN_OR_RETURN(
        f.detector, find_file(dir, given.detector,
                              {"text-detection model", "files.detector (--det)", "*det*.onnx", "det", ".onnx"}, true));
    EDGEINFER_ASSIGN_OR_RETURN(
        f.recognizer,
        find_file(dir, given.recognizer,
                  {"text-recognition model", "files.recognizer (--rec)", "*rec*.onnx", "rec", ".onnx"}, true));
    EDGEINFER_ASSIGN_OR_RETURN(
        f.dictionary, find_file(dir, given.dictionary,
                                {"character dictionary", "files.dictionary (--dict)", "*.txt", "", ".txt"}, true));
    if (options.use_classifier || !given.classifier.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(
            f.classifier, find_file(dir, given.classifier,
                                    {"direction classifier", "files.classifier (--cls)", "*cls*.onnx", "cls", ".onnx"},
                                    !given.classifier.empty()));
    }
    if (!options.use_classifier) f.classifier.clear();

    EDGEINFER_ASSIGN_OR_RETURN(impl->detector, Model::open(f.detector, options.session, "text-detection model"));
    EDGEINFER_ASSIGN_OR_RETURN(impl->recognizer, Model::open(f.recognizer, options.session, "text-recognition model"));
    if (!f.classifier.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(Model cls, Model::open(f.classifier, options.session, "direction classifier"));
        impl->classifier = std::move(cls);
    }
    const std::vector<int64_t>& rec_in = impl->recognizer.input.dims;
    if (rec_in[2] > 0) impl->line_height = static_cast<int>(rec_in[2]);
    const std::vector<int64_t>& rec_out = impl->recognizer.output.dims;
    if (rec_out.size() != 3)
        return invalid_model("text-recognition model '" + f.recognizer + "': output '" + impl->recognizer.output.name +
                             "' [" + shape_to_string(rec_out) + "] is not N x T x classes");

    EDGEINFER_ASSIGN_OR_RETURN(impl->dictionary, vision::load_charset(f.dictionary));
    const int64_t classes = rec_out[2];
    // PaddleOCR's recognizers: blank, the dictionary, then a space class (use_space_char).
    if (classes > 0 && static_cast<int64_t>(impl->dictionary.size()) == classes - 2) impl->dictionary.push_back(" ");
    if (classes > 0) {
        auto table = vision::align_charset(impl->dictionary, classes, 0);
        if (!table.is_ok())
            return table.status().with_context("dictionary '" + f.dictionary + "' for text-recognition model '" +
                                               f.recognizer + "' (a space class may follow the dictionary)");
        impl->table = std::move(table).value();
    }
    return std::unique_ptr<TextReader>(new TextReader(std::move(impl)));
}

TextReader::TextReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TextReader::~TextReader() = default;

Result<OcrResult> TextReader::read(const ImageView& image) {
    try {
        return impl_->read(image);
    } catch (const cv::Exception& e) {  // OpenCV's own checks; the steps above keep to valid sizes
        return internal_error("TextReader: OpenCV: " + std::string(e.what()));
    }
}
const OcrModelFiles& TextReader::files() const { return impl_->files; }
size_t TextReader::dictionary_size() const { return impl_->dictionary.size(); }

Result<Image> draw_text_lines(const ImageView& image, const OcrResult& result) {
    EDGEINFER_ASSIGN_OR_RETURN(cv::Mat view, io::bgr_mat_from_view(image, "image"));
    cv::Mat canvas;
    if (view.channels() == 1)
        cv::cvtColor(view, canvas, cv::COLOR_GRAY2BGR);
    else if (view.channels() == 4)
        cv::cvtColor(view, canvas, cv::COLOR_BGRA2BGR);
    else
        canvas = view.clone();
    vision::draw_ocr(canvas, result);
    return io::image_from_mat(canvas);
}

}  // namespace edgeinfer

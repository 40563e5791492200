// edgeinfer vision tasks: Classifier, Detector, Segmenter, TextRecognizer and ClipClassifier, each created
// from a model path (its sidecar MODEL.json is read when present) and called on one image or a batch,
// returning typed results. Preprocessing follows the sidecar; PreprocessOptions overrides it key by key.
// Images are any size and pixel format (frame.hpp); results are in the image's pixels. A task object
// serves one call at a time: give each thread its own. Errors name the model, option, output or image.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"

namespace edgeinfer {

enum class ResizeMode { kStretch, kLetterbox, kCrop };
enum class Interpolation { kNearest, kLinear, kCubic, kArea };
enum class ColorOrder { kRgb, kBgr, kGray };
enum class Layout { kNchw, kNhwc };
// One name table each: "stretch|letterbox|crop", "nearest|linear|cubic|area", "rgb|bgr|gray", "nchw|nhwc".
std::string_view to_string(ResizeMode m);
std::string_view to_string(Interpolation i);
std::string_view to_string(ColorOrder c);
std::string_view to_string(Layout l);
Result<ResizeMode> parse_resize_mode(std::string_view name);
Result<Interpolation> parse_interpolation(std::string_view name);
Result<ColorOrder> parse_color_order(std::string_view name);
Result<Layout> parse_layout(std::string_view name);

// The sidecar's preprocessing keys; a set field overrides the sidecar (and the task's defaults).
struct PreprocessOptions {
    std::optional<int> width{}, height{};  // model input size
    std::optional<ResizeMode> resize{};
    std::optional<Interpolation> interpolation{};
    std::optional<std::vector<double>> mean{};  // one value per channel, or one for all
    std::optional<std::vector<double>> std{};
    std::optional<double> scale{};  // pixel range: 1 means value = pixel / 255, 255 means pixel
    std::optional<ColorOrder> color{};
    std::optional<Layout> layout{};
};

// What every task takes besides its own options. Every option member has a default initializer, so
// designated initializers compile -Wextra clean (the derived option structs: set members by name).
struct VisionOptions {
    SessionOptions session{};
    std::string sidecar_path{};  // "" : MODEL.json next to the model, when present
    std::string labels_path{};   // "" : the sidecar's labels; else one label per line
    PreprocessOptions preprocess{};
};

// ---- classification ----
struct ClassScore {
    int64_t index = 0;
    std::string label;  // "" when the model has no labels
    double score = 0.0;
};
struct Classification {
    std::vector<ClassScore> top;  // best first (top_k of them, scores >= threshold)
};
struct ClassifierOptions : VisionOptions {
    int top_k = 5;
    double threshold = 0.0;
    std::string output{};  // the output to read ("" : the first)
};

class Classifier {
  public:
    static Result<std::unique_ptr<Classifier>> create(const std::string& model_path,
                                                      const ClassifierOptions& options = {});
    ~Classifier();
    Result<Classification> classify(const ImageView& image);
    Result<std::vector<Classification>> classify(const std::vector<ImageView>& images);
    const std::vector<std::string>& labels() const;
    // "stretch 32x32 area, RGB, NCHW, scale 1/255, mean [...], std [...] (sidecar models/shapes.json)"
    std::string preprocess_description() const;
    // Whether softmax is applied to the model's scores (false when they already are probabilities).
    bool applies_softmax() const;

    class Impl;

  private:
    explicit Classifier(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// ---- detection ----
struct Box {
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // frame pixels
};
struct Detection {
    Box box;
    int64_t class_id = 0;
    std::string label;  // "" when the model has no labels
    float score = 0;
    int64_t track_id = -1;  // set by a pipeline's tracker; -1 otherwise
};
struct DetectorOptions : VisionOptions {
    std::string format{};                // yolo|yolov5|yolov8|detr|ssd|torchvision; "" : decided from the outputs
    float confidence_threshold = 0.25f;  // keep objects scoring at least this (in [0, 1])
    float iou_threshold = 0.45f;         // NMS (YOLO outputs): drop same-class boxes overlapping more (in [0, 1])
    int64_t max_detections = 300;
};

class Detector {
  public:
    static Result<std::unique_ptr<Detector>> create(const std::string& model_path, const DetectorOptions& options = {});
    ~Detector();
    Result<std::vector<Detection>> detect(const ImageView& image);  // best first
    Result<std::vector<std::vector<Detection>>> detect(const std::vector<ImageView>& images);
    const std::vector<std::string>& labels() const;
    std::string preprocess_description() const;

    class Impl;

  private:
    explicit Detector(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// ---- semantic segmentation ----
struct ClassShare {
    int64_t index = 0;
    std::string label;
    double share = 0.0;  // fraction of the classified pixels
    int64_t pixels = 0;  // how many pixels that is
};
struct Segmentation {
    int width = 0, height = 0;  // the image's size
    std::vector<int32_t> mask;  // class per pixel, row-major; -1 where the model saw nothing (outside a crop)
    int64_t num_classes = 0;
    std::vector<ClassShare> classes;  // classes present, largest share first
};
struct SegmenterOptions : VisionOptions {
    std::string output{};  // "" : "out", else the first output
};

class Segmenter {
  public:
    static Result<std::unique_ptr<Segmenter>> create(const std::string& model_path,
                                                     const SegmenterOptions& options = {});
    ~Segmenter();
    Result<Segmentation> segment(const ImageView& image);
    const std::vector<std::string>& labels() const;
    std::string preprocess_description() const;

    class Impl;

  private:
    explicit Segmenter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// ---- text recognition (CTC) ----
struct CharScore {
    std::string text;      // the character (UTF-8)
    float confidence = 0;  // its highest probability over the time steps it spans
    int64_t index = 0;     // its class index
    int64_t step = 0;      // the first time step it spans
};
struct RecognizedText {
    std::string text;
    double confidence = 0.0;  // mean of the character confidences (1 for an empty text)
    std::vector<CharScore> chars;
};
struct TextRecognizerOptions : VisionOptions {
    std::string charset_path{};  // "" : the sidecar's charset
    int64_t blank = 0;
};

class TextRecognizer {
  public:
    static Result<std::unique_ptr<TextRecognizer>> create(const std::string& model_path,
                                                          const TextRecognizerOptions& options = {});
    ~TextRecognizer();
    Result<RecognizedText> recognize(const ImageView& image);
    Result<std::vector<RecognizedText>> recognize(const std::vector<ImageView>& images);

    class Impl;

  private:
    explicit TextRecognizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// ---- results as JSON ----
// One line of JSON per result, as `edgeinfer classify|detect|segment|recognize --json` prints it under
// "results": [{"class", "label" (when labelled), "score"}...]; [{"box": [x1, y1, x2, y2], "class", "label",
// "score"}...]; {"classes": [{"class", "label", "pixels", "share"}...], "num_classes", "size": [w, h]} (the
// mask left out); {"chars": [{"char", "class", "confidence", "step"}...], "confidence", "text"}.
std::string to_json(const Classification& result);
std::string to_json(const std::vector<Detection>& result);
std::string to_json(const Segmentation& result);
std::string to_json(const RecognizedText& result);

// ---- video clip classification (N x C x T x H x W models) ----
struct ClipClassifierOptions : ClassifierOptions {
    int64_t clip_frames = 0;  // T (0: from the sidecar or the model's input)
};

class ClipClassifier {
  public:
    static Result<std::unique_ptr<ClipClassifier>> create(const std::string& model_path,
                                                          const ClipClassifierOptions& options = {});
    ~ClipClassifier();
    int64_t clip_frames() const;
    // `clip`: clip_frames() images, oldest first.
    Result<Classification> classify(const std::vector<ImageView>& clip);
    const std::vector<std::string>& labels() const;

    class Impl;

  private:
    explicit ClipClassifier(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace edgeinfer

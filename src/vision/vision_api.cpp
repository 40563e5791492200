// The public vision tasks (include/edgeinfer/vision.hpp): Classifier, Detector, Segmenter, TextRecognizer and
// ClipClassifier over one VisionModel (session, sidecar, resolved preprocessing, labels), decoding with the
// same heads' functions as the CLI (top-k/softmax, DetectionDecoder + NMS, segmentation argmax, CTC).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/status.hpp"
#include "edgeinfer/vision.hpp"
#include "io/frame.hpp"
#include "vision/classification.hpp"
#include "vision/ctc.hpp"
#include "vision/detection.hpp"
#include "vision/preprocess.hpp"
#include "vision/segmentation.hpp"
#include "vision/sidecar.hpp"
#include "vision/task.hpp"

namespace edgeinfer {
namespace {

// PreprocessOptions → the flag overrides resolve_preprocess takes; errors name the option at fault.
Result<vision::PreprocessOverrides> to_overrides(const PreprocessOptions& p) {
    vision::PreprocessOverrides o;
    if (p.width.has_value() != p.height.has_value())
        return invalid_argument("preprocess.width and preprocess.height: give both or neither");
    if (p.width) {
        if (*p.width < 1 || *p.height < 1 || *p.width > 16384 || *p.height > 16384)
            return invalid_argument("preprocess size " + std::to_string(*p.width) + "x" + std::to_string(*p.height) +
                                    ": width and height must be 1..16384");
        o.size = std::make_pair(*p.width, *p.height);
    }
    o.resize = p.resize;
    o.interpolation = p.interpolation;
    auto channel_values = [](const std::vector<double>& v, const char* name) -> Status {
        if (v.empty() || v.size() > 4)
            return invalid_argument(std::string("preprocess.") + name + ": expected 1 to 4 values, got " +
                                    std::to_string(v.size()));
        return Status::ok();
    };
    if (p.mean) {
        EDGEINFER_RETURN_IF_ERROR(channel_values(*p.mean, "mean"));
        o.mean = p.mean;
    }
    if (p.std) {
        EDGEINFER_RETURN_IF_ERROR(channel_values(*p.std, "std"));
        for (double v : *p.std)
            if (v == 0.0) return invalid_argument("preprocess.std holds a 0 (division by zero)");
        o.std = p.std;
    }
    if (p.scale) {
        if (!(*p.scale > 0.0))
            return invalid_argument("preprocess.scale " + std::to_string(*p.scale) +
                                    ": must be positive (1: inputs 0..1, 255: inputs 0..255)");
        o.scale = *p.scale / 255.0;
    }
    o.color = p.color;
    o.layout = p.layout;
    return o;
}

// One preprocessed and executed batch: the outputs and, per item, how its input maps back to its image.
struct BatchRun {
    std::vector<NamedTensor> outputs;
    std::vector<vision::PreprocessInfo> infos;
    int64_t batch = 1;  // items in the run (padding included)
};

std::string image_name(size_t index, size_t count) {
    return count == 1 ? std::string("image") : "image " + std::to_string(index) + " of " + std::to_string(count);
}

// What every task shares: the session over the model, its sidecar, the image input, the resolved
// preprocessing and the labels.
class VisionModel {
  public:
    enum class Kind { kImage, kClip };

    static Result<std::unique_ptr<VisionModel>> open(const std::string& model_path, const VisionOptions& options,
                                                     vision::PreprocessConfig base, Kind kind, int64_t clip_frames,
                                                     const std::string& task) {
        auto m = std::make_unique<VisionModel>();
        m->model_path_ = model_path;
        std::error_code ec;
        if (model_path.empty()) return invalid_argument(task + ": no model path given");
        if (!std::filesystem::exists(model_path, ec)) return not_found("model '" + model_path + "': no such file");
        EDGEINFER_ASSIGN_OR_RETURN(m->sidecar_, vision::find_sidecar(model_path, options.sidecar_path));
        EDGEINFER_ASSIGN_OR_RETURN(m->session_, Session::create(model_path, options.session));
        const auto& inputs = m->session_->inputs();
        if (inputs.empty()) return invalid_model(model_path + ": the model has no inputs");
        if (inputs.size() > 1) {
            std::string names;
            for (const auto& v : inputs) names += (names.empty() ? "" : ", ") + v.name;
            return unsupported(model_path + ": the model has " + std::to_string(inputs.size()) + " inputs (" + names +
                               "); vision tasks feed exactly one image input");
        }
        m->input_ = inputs.front();
        const sidecar_ptr sidecar = m->sidecar_ ? &*m->sidecar_ : nullptr;
        if (sidecar && !sidecar->input.empty() && sidecar->input != m->input_.name)
            return invalid_argument("sidecar '" + sidecar->path + "': key 'input' names '" + sidecar->input +
                                    "', which is not an input of " + model_path);
        const bool is_clip = m->input_.dims.size() == 5;
        if (kind == Kind::kClip && !is_clip)
            return invalid_argument(model_path + ": input '" + m->input_.name + "' (" +
                                    shape_to_string(m->input_.dims) +
                                    ") is not a clip (N x C x T x H x W); use Classifier for image models");
        if (kind == Kind::kImage && is_clip)
            return invalid_argument(model_path + ": input '" + m->input_.name + "' (" +
                                    shape_to_string(m->input_.dims) +
                                    ") is a clip (N x C x T x H x W); use ClipClassifier for video models");
        EDGEINFER_ASSIGN_OR_RETURN(vision::PreprocessOverrides overrides, to_overrides(options.preprocess));
        auto resolved = vision::resolve_preprocess(std::move(base), sidecar, overrides, m->input_);
        if (!resolved.is_ok()) return resolved.status().with_context(model_path);
        m->config_ = resolved.value().config;
        m->origin_ = resolved.value().origin;
        const int64_t n = m->input_.dims[0];
        m->batch_ = n > 1 ? n : 1;
        m->dynamic_batch_ = n <= 0;
        if (is_clip) {
            const int64_t t = m->input_.dims[2];
            const int64_t from_sidecar = sidecar ? sidecar->frames : 0;
            m->clip_ = t > 0 ? t : (clip_frames > 0 ? clip_frames : from_sidecar);
            if (m->clip_ <= 0)
                return invalid_argument(model_path + ": input '" + m->input_.name + "' (" +
                                        shape_to_string(m->input_.dims) +
                                        ") has a dynamic clip length T: set clip_frames");
            if (clip_frames > 0 && clip_frames != m->clip_)
                return invalid_argument("clip_frames " + std::to_string(clip_frames) + ": model input '" +
                                        m->input_.name + "' is fixed at T=" + std::to_string(m->clip_));
            m->batch_ = 1;
            m->dynamic_batch_ = false;
        }
        if (!options.labels_path.empty()) {
            EDGEINFER_ASSIGN_OR_RETURN(m->labels_, vision::load_labels(options.labels_path));
            m->labels_origin_ = "labels file '" + options.labels_path + "'";
        } else if (sidecar && !sidecar->labels.empty()) {
            m->labels_ = sidecar->labels;
            m->labels_origin_ = "sidecar '" + sidecar->path + "'";
        }
        return m;
    }

    // Preprocesses images[first, first + count) into one input (padded to the model's fixed batch with
    // copies of the last image) and runs it. `count` is at most max_batch(dynamic_ok).
    Result<BatchRun> run(const std::vector<ImageView>& images, size_t first, size_t count) {
        BatchRun r;
        r.batch = dynamic_batch_ ? static_cast<int64_t>(count) : batch_;
        const int64_t C = config_.channels, H = config_.height, W = config_.width;
        // Built in one expression: GCC 12 warns falsely (-Warray-bounds) on assigning a longer list to `dims`.
        const std::vector<int64_t> dims = clip_ > 0 ? std::vector<int64_t>{1, C, clip_, H, W}
                                          : config_.layout == vision::Layout::kNchw
                                              ? std::vector<int64_t>{r.batch, C, H, W}
                                              : std::vector<int64_t>{r.batch, H, W, C};
        if (tensor_.dims() != dims || tensor_.dtype() != config_.dtype) tensor_ = Tensor::allocate(config_.dtype, dims);
        const size_t esize = dtype_size(config_.dtype);
        const size_t item_bytes = static_cast<size_t>(C * H * W) * esize;
        auto* base = static_cast<uint8_t*>(tensor_.data());
        for (size_t k = 0; k < count; ++k) {
            const std::string what = image_name(first + k, images.size());
            EDGEINFER_ASSIGN_OR_RETURN(cv::Mat bgr, io::bgr_mat_from_view(images[first + k], what));
            // Clips: frame t's channel c goes to (c * T + t) * H * W.
            uint8_t* dst = clip_ > 0 ? base + k * static_cast<size_t>(H * W) * esize : base + k * item_bytes;
            auto info = vision::preprocess_into(bgr, config_, dst, clip_ > 0 ? clip_ * H * W : 0);
            if (!info.is_ok()) return info.status().with_context(what);
            r.infos.push_back(info.value());
        }
        if (clip_ == 0)
            for (size_t b = count; b < static_cast<size_t>(r.batch); ++b)
                std::memcpy(base + b * item_bytes, base + (count - 1) * item_bytes, item_bytes);
        auto outputs = session_->run({{input_.name, tensor_}});
        if (!outputs.is_ok()) return outputs.status().with_context(model_path_);
        r.outputs = std::move(outputs).value();
        return r;
    }

    // How many images one run takes: the model's fixed batch, or `dynamic_limit` when the batch is dynamic.
    size_t max_batch(size_t dynamic_limit) const {
        return dynamic_batch_ ? std::max<size_t>(dynamic_limit, 1) : static_cast<size_t>(batch_);
    }

    std::string description() const { return config_.describe() + " (" + origin_ + ")"; }
    const std::vector<std::string>& labels() const { return labels_; }
    const std::string& labels_origin() const { return labels_origin_; }
    const std::string& model_path() const { return model_path_; }
    const std::vector<ValueDescription>& outputs() const { return session_->outputs(); }
    int64_t clip() const { return clip_; }

  private:
    using sidecar_ptr = const vision::Sidecar*;

    std::string model_path_;
    std::optional<vision::Sidecar> sidecar_;
    std::unique_ptr<Session> session_;
    ValueDescription input_;
    vision::PreprocessConfig config_;
    std::string origin_;
    std::vector<std::string> labels_;
    std::string labels_origin_;
    int64_t batch_ = 1;
    bool dynamic_batch_ = false;
    int64_t clip_ = 0;
    Tensor tensor_;
};

// Runs `images` in batches of the model's size and calls `each(item outputs, info, index)` per image.
template <typename Each>
Status run_all(VisionModel& model, const std::vector<ImageView>& images, size_t dynamic_limit, Each&& each) {
    if (images.empty()) return invalid_argument(model.model_path() + ": no images given");
    const size_t step = model.max_batch(dynamic_limit);
    for (size_t first = 0; first < images.size(); first += step) {
        const size_t count = std::min(step, images.size() - first);
        EDGEINFER_ASSIGN_OR_RETURN(BatchRun r, model.run(images, first, count));
        for (size_t k = 0; k < count; ++k)
            EDGEINFER_RETURN_IF_ERROR(
                each(r, vision::item_outputs(r.outputs, static_cast<int64_t>(k), r.batch), k, first + k));
    }
    return Status::ok();
}

// The index of output `name` ("" : `fallback` when the model has it, else the first); errors name the model.
Result<size_t> find_output(const std::vector<ValueDescription>& outputs, const std::string& name,
                           const std::string& fallback, const std::string& model) {
    if (outputs.empty()) return invalid_model(model + ": the model has no outputs");
    const std::string wanted = name.empty() ? fallback : name;
    for (size_t i = 0; i < outputs.size(); ++i)
        if (!wanted.empty() && outputs[i].name == wanted) return i;
    if (!name.empty()) return not_found(model + ": no output named '" + name + "'");
    return size_t{0};
}

constexpr size_t kClassifyBatch = 16;  // images per run when the model's batch is dynamic

}  // namespace

// ---- Classifier ----

class Classifier::Impl {
  public:
    std::unique_ptr<VisionModel> model;
    ClassifierOptions options;
    size_t output = 0;
    int softmax = -1;

    Status classify_into(const std::vector<ImageView>& images, std::vector<Classification>& out) {
        return run_all(*model, images, kClassifyBatch,
                       [&](const BatchRun&, const std::vector<NamedTensor>& outputs, size_t, size_t) -> Status {
                           if (output >= outputs.size()) return internal_error("classify: output missing from the run");
                           auto c = vision::classify_scores(outputs[output], options.top_k, options.threshold,
                                                            model->labels(), softmax);
                           if (!c.is_ok()) return c.status().with_context(model->model_path());
                           out.push_back(std::move(c).value());
                           return Status::ok();
                       });
    }
};

Result<std::unique_ptr<Classifier>> Classifier::create(const std::string& model_path,
                                                       const ClassifierOptions& options) {
    if (options.top_k < 1) return invalid_argument("top_k " + std::to_string(options.top_k) + ": must be >= 1");
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    EDGEINFER_ASSIGN_OR_RETURN(impl->model,
                               VisionModel::open(model_path, options, {}, VisionModel::Kind::kImage, 0, "Classifier"));
    const auto& outputs = impl->model->outputs();
    EDGEINFER_ASSIGN_OR_RETURN(impl->output, find_output(outputs, options.output, "", model_path));
    const ValueDescription& out = outputs[impl->output];
    if (out.dtype != DataType::kFloat32 && out.dtype != DataType::kFloat64)
        return unsupported(model_path + ": output '" + out.name + "' is " + std::string(dtype_name(out.dtype)) +
                           "; a classifier's scores must be float");
    return std::unique_ptr<Classifier>(new Classifier(std::move(impl)));
}

Classifier::Classifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Classifier::~Classifier() = default;

Result<Classification> Classifier::classify(const ImageView& image) {
    std::vector<Classification> out;
    EDGEINFER_RETURN_IF_ERROR(impl_->classify_into({image}, out));
    return std::move(out.front());
}

Result<std::vector<Classification>> Classifier::classify(const std::vector<ImageView>& images) {
    std::vector<Classification> out;
    EDGEINFER_RETURN_IF_ERROR(impl_->classify_into(images, out));
    return out;
}

const std::vector<std::string>& Classifier::labels() const { return impl_->model->labels(); }
std::string Classifier::preprocess_description() const { return impl_->model->description(); }
bool Classifier::applies_softmax() const { return impl_->softmax == 1; }

// ---- Detector ----

class Detector::Impl {
  public:
    std::unique_ptr<VisionModel> model;
    vision::DetectionOptions options;
    std::unique_ptr<vision::DetectionDecoder> decoder;

    Status detect_into(const std::vector<ImageView>& images, std::vector<std::vector<Detection>>& out) {
        return run_all(*model, images, 1,
                       [&](const BatchRun& r, const std::vector<NamedTensor>& outputs, size_t k, size_t) -> Status {
                           if (options.format == vision::DetectionFormat::kAuto) {  // dynamic dims: known only now
                               EDGEINFER_ASSIGN_OR_RETURN(options.format, vision::detect_format(outputs));
                               decoder = std::make_unique<vision::DetectionDecoder>(options);
                           }
                           auto dets = decoder->decode(outputs, r.infos[k], model->labels());
                           if (!dets.is_ok()) return dets.status().with_context(model->model_path());
                           std::vector<Detection> item;
                           for (const vision::Detection& d : dets.value())
                               item.push_back(vision::to_public_detection(d));
                           out.push_back(std::move(item));
                           return Status::ok();
                       });
    }
};

Result<std::unique_ptr<Detector>> Detector::create(const std::string& model_path, const DetectorOptions& options) {
    auto impl = std::make_unique<Impl>();
    EDGEINFER_ASSIGN_OR_RETURN(vision::DetectionFormat format,
                               vision::parse_detection_format(options.format.empty() ? "auto" : options.format));
    if (!(options.confidence_threshold >= 0.0f && options.confidence_threshold <= 1.0f))
        return invalid_argument("confidence_threshold " + std::to_string(options.confidence_threshold) +
                                ": must be within [0, 1]");
    if (!(options.iou_threshold >= 0.0f && options.iou_threshold <= 1.0f))
        return invalid_argument("iou_threshold " + std::to_string(options.iou_threshold) + ": must be within [0, 1]");
    if (options.max_detections < 1)
        return invalid_argument("max_detections " + std::to_string(options.max_detections) + ": must be >= 1");
    impl->options.format = format;
    impl->options.score_threshold = options.confidence_threshold;
    impl->options.iou_threshold = options.iou_threshold;
    impl->options.max_detections = static_cast<int>(std::min<int64_t>(options.max_detections, 1 << 30));
    // Detectors normalize inside the graph or take 0..1 RGB; YOLO exports are letterboxed (the CLI's defaults).
    vision::PreprocessConfig base;
    vision::DetectionHead(impl->options).default_preprocess(base);
    EDGEINFER_ASSIGN_OR_RETURN(
        impl->model, VisionModel::open(model_path, options, std::move(base), VisionModel::Kind::kImage, 0, "Detector"));
    // The outputs' shapes are checked now, with a dynamic first dim (the batch) taken as 1.
    std::vector<ValueDescription> outputs = impl->model->outputs();
    for (ValueDescription& v : outputs)
        if (!v.dims.empty() && v.dims[0] < 0) v.dims[0] = 1;
    auto resolved = vision::resolve_detection_options(outputs, impl->options, true, model_path);
    if (!resolved.is_ok()) return resolved.status();
    impl->options = resolved.value();
    impl->decoder = std::make_unique<vision::DetectionDecoder>(impl->options);
    return std::unique_ptr<Detector>(new Detector(std::move(impl)));
}

Detector::Detector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Detector::~Detector() = default;

Result<std::vector<Detection>> Detector::detect(const ImageView& image) {
    std::vector<std::vector<Detection>> out;
    EDGEINFER_RETURN_IF_ERROR(impl_->detect_into({image}, out));
    return std::move(out.front());
}

Result<std::vector<std::vector<Detection>>> Detector::detect(const std::vector<ImageView>& images) {
    std::vector<std::vector<Detection>> out;
    EDGEINFER_RETURN_IF_ERROR(impl_->detect_into(images, out));
    return out;
}

const std::vector<std::string>& Detector::labels() const { return impl_->model->labels(); }
std::string Detector::preprocess_description() const { return impl_->model->description(); }

// ---- Segmenter ----

class Segmenter::Impl {
  public:
    std::unique_ptr<VisionModel> model;
    size_t output = 0;
};

Result<std::unique_ptr<Segmenter>> Segmenter::create(const std::string& model_path, const SegmenterOptions& options) {
    auto impl = std::make_unique<Impl>();
    EDGEINFER_ASSIGN_OR_RETURN(impl->model,
                               VisionModel::open(model_path, options, {}, VisionModel::Kind::kImage, 0, "Segmenter"));
    const auto& outputs = impl->model->outputs();
    EDGEINFER_ASSIGN_OR_RETURN(impl->output, find_output(outputs, options.output, "out", model_path));
    const ValueDescription& out = outputs[impl->output];
    const size_t rank = out.dims.size();
    if (rank != 0 && (rank < 2 || rank > 4))
        return invalid_argument(model_path + ": output '" + out.name + "' [" + shape_to_string(out.dims) +
                                "] is not a segmentation output; expected logits [1,C,H,W] or a class map [1,H,W]");
    return std::unique_ptr<Segmenter>(new Segmenter(std::move(impl)));
}

Segmenter::Segmenter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Segmenter::~Segmenter() = default;

Result<Segmentation> Segmenter::segment(const ImageView& image) {
    Segmentation result;
    EDGEINFER_RETURN_IF_ERROR(
        run_all(*impl_->model, {image}, 1,
                [&](const BatchRun& r, const std::vector<NamedTensor>& outputs, size_t k, size_t) -> Status {
                    if (impl_->output >= outputs.size()) return internal_error("segment: output missing from the run");
                    auto s = vision::segment(outputs[impl_->output], r.infos[k]);
                    if (!s.is_ok()) return s.status().with_context(impl_->model->model_path());
                    result = vision::to_segmentation(s.value(), impl_->model->labels());
                    return Status::ok();
                }));
    return result;
}

const std::vector<std::string>& Segmenter::labels() const { return impl_->model->labels(); }
std::string Segmenter::preprocess_description() const { return impl_->model->description(); }

// ---- TextRecognizer ----

class TextRecognizer::Impl {
  public:
    std::unique_ptr<VisionModel> model;
    vision::CtcOptions ctc;
    std::vector<std::string> charset;
    std::string charset_origin;
    std::vector<std::string> table;  // one entry per class, aligned on the first run when C is dynamic

    Status recognize_into(const std::vector<ImageView>& images, std::vector<RecognizedText>& out) {
        const std::string& path = model->model_path();
        // One image per run: CTC outputs put the batch in the middle ([T,N,C]), so items are decoded per run.
        return run_all(*model, images, 1,
                       [&](const BatchRun& r, const std::vector<NamedTensor>&, size_t k, size_t) -> Status {
                           if (r.outputs.empty()) return internal_error("recognize: output missing from the run");
                           const NamedTensor& output = r.outputs.front();
                           if (table.empty()) {
                               const int64_t classes = output.tensor.dims().empty() ? 0 : output.tensor.dims().back();
                               auto t = vision::align_charset(charset, classes, ctc.blank);
                               if (!t.is_ok())
                                   return t.status().with_context(charset_origin + ", output '" + output.name + "'");
                               table = std::move(t).value();
                           }
                           vision::CtcOptions o = ctc;
                           o.batch = r.batch;
                           auto decoded = vision::ctc_greedy_decode(output, table, o);
                           if (!decoded.is_ok()) return decoded.status().with_context(path);
                           if (k >= decoded.value().size())
                               return out_of_range(path + ": output '" + output.name + "' holds " +
                                                   std::to_string(decoded.value().size()) + " sequences for " +
                                                   std::to_string(r.batch) + " images");
                           out.push_back(vision::to_recognized_text(decoded.value()[k]));
                           return Status::ok();
                       });
    }
};

Result<std::unique_ptr<TextRecognizer>> TextRecognizer::create(const std::string& model_path,
                                                               const TextRecognizerOptions& options) {
    auto impl = std::make_unique<Impl>();
    impl->ctc.blank = options.blank;
    EDGEINFER_ASSIGN_OR_RETURN(
        impl->model, VisionModel::open(model_path, options, {}, VisionModel::Kind::kImage, 0, "TextRecognizer"));
    const auto& outputs = impl->model->outputs();
    if (outputs.empty()) return invalid_model(model_path + ": the model has no outputs");
    const ValueDescription& out = outputs.front();
    if (!out.dims.empty() && out.dims.size() != 2 && out.dims.size() != 3)
        return invalid_argument(model_path + ": output '" + out.name + "' [" + shape_to_string(out.dims) +
                                "] is not a text-recognition output; expected [T,N,C] or [N,T,C]");
    if (!options.charset_path.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(impl->charset, vision::load_charset(options.charset_path));
        impl->charset_origin = "charset file '" + options.charset_path + "'";
    } else if (!impl->model->labels().empty()) {
        impl->charset = impl->model->labels();
        impl->charset_origin = impl->model->labels_origin();
    } else {
        return invalid_argument(model_path +
                                ": a text recognizer needs a character list: set charset_path or labels_path, or "
                                "give the sidecar 'labels'");
    }
    const int64_t classes = out.dims.empty() ? -1 : out.dims.back();
    if (classes > 0) {
        auto table = vision::align_charset(impl->charset, classes, options.blank);
        if (!table.is_ok()) return table.status().with_context(impl->charset_origin + ", output '" + out.name + "'");
        impl->table = std::move(table).value();
    }
    return std::unique_ptr<TextRecognizer>(new TextRecognizer(std::move(impl)));
}

TextRecognizer::TextRecognizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TextRecognizer::~TextRecognizer() = default;

Result<RecognizedText> TextRecognizer::recognize(const ImageView& image) {
    std::vector<RecognizedText> out;
    EDGEINFER_RETURN_IF_ERROR(impl_->recognize_into({image}, out));
    return std::move(out.front());
}

Result<std::vector<RecognizedText>> TextRecognizer::recognize(const std::vector<ImageView>& images) {
    std::vector<RecognizedText> out;
    EDGEINFER_RETURN_IF_ERROR(impl_->recognize_into(images, out));
    return out;
}

// ---- ClipClassifier ----

class ClipClassifier::Impl {
  public:
    std::unique_ptr<VisionModel> model;
    ClipClassifierOptions options;
    size_t output = 0;
    int softmax = -1;
};

Result<std::unique_ptr<ClipClassifier>> ClipClassifier::create(const std::string& model_path,
                                                               const ClipClassifierOptions& options) {
    if (options.top_k < 1) return invalid_argument("top_k " + std::to_string(options.top_k) + ": must be >= 1");
    if (options.clip_frames < 0)
        return invalid_argument("clip_frames " + std::to_string(options.clip_frames) + ": must be >= 0");
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    EDGEINFER_ASSIGN_OR_RETURN(impl->model, VisionModel::open(model_path, options, {}, VisionModel::Kind::kClip,
                                                              options.clip_frames, "ClipClassifier"));
    const auto& outputs = impl->model->outputs();
    EDGEINFER_ASSIGN_OR_RETURN(impl->output, find_output(outputs, options.output, "", model_path));
    const ValueDescription& out = outputs[impl->output];
    if (out.dtype != DataType::kFloat32 && out.dtype != DataType::kFloat64)
        return unsupported(model_path + ": output '" + out.name + "' is " + std::string(dtype_name(out.dtype)) +
                           "; a classifier's scores must be float");
    return std::unique_ptr<ClipClassifier>(new ClipClassifier(std::move(impl)));
}

ClipClassifier::ClipClassifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClipClassifier::~ClipClassifier() = default;

int64_t ClipClassifier::clip_frames() const { return impl_->model->clip(); }

Result<Classification> ClipClassifier::classify(const std::vector<ImageView>& clip) {
    const int64_t t = impl_->model->clip();
    if (static_cast<int64_t>(clip.size()) != t)
        return invalid_argument(impl_->model->model_path() + ": a clip of " + std::to_string(clip.size()) +
                                " images; the model takes " + std::to_string(t) + " (clip_frames())");
    for (size_t i = 0; i < clip.size(); ++i)
        EDGEINFER_RETURN_IF_ERROR(io::check_view(clip[i], image_name(i, clip.size())));
    EDGEINFER_ASSIGN_OR_RETURN(BatchRun r, impl_->model->run(clip, 0, clip.size()));
    if (impl_->output >= r.outputs.size()) return internal_error("classify clip: output missing from the run");
    auto c = vision::classify_scores(r.outputs[impl_->output], impl_->options.top_k, impl_->options.threshold,
                                     impl_->model->labels(), impl_->softmax);
    if (!c.is_ok()) return c.status().with_context(impl_->model->model_path());
    return std::move(c).value();
}

const std::vector<std::string>& ClipClassifier::labels() const { return impl_->model->labels(); }

}  // namespace edgeinfer

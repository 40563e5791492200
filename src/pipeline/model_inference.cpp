// Model inference for pipeline elements: Session + sidecar preprocessing + detection/classification heads.
#include "pipeline/model_inference.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "vision/classification.hpp"
#include "vision/detection.hpp"
#include "vision/preprocess.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::pipeline {
namespace {

std::string dims_text(const std::vector<int64_t>& dims) {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ',';
        s += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
    }
    s += ']';
    return s;
}

// A loaded model: session, sidecar, the image input and its resolved preprocessing.
struct LoadedModel {
    std::string where;  // "<json path>: <model file>" for messages
    std::unique_ptr<Session> session;
    std::optional<vision::Sidecar> sidecar;
    ValueDescription input;
    vision::PreprocessConfig pre;
    std::vector<std::string> labels;  // the element's, else the sidecar's
};

Result<std::unique_ptr<LoadedModel>> load_model(const std::string& path, const std::filesystem::path& model,
                                                const SessionOptions& options) {
    auto m = std::make_unique<LoadedModel>();
    m->where = path + ": model '" + model.string() + "'";
    auto session = Session::create(model.string(), options);
    if (!session.is_ok()) return session.status().with_context(path);
    m->session = std::move(session).value();
    const EngineReport& engine = m->session->engine_report();
    if (!engine.message.empty()) base::log_warning(path + ": " + engine.message);  // rebuilt, one line
    if (!options.engine_path.empty() && !engine.loaded)  // "engine": written when missing or stale
        if (Status st = m->session->save_engine(options.engine_path); !st.is_ok()) return st.with_context(path);
    auto sidecar = vision::find_sidecar(model.string(), "");
    if (!sidecar.is_ok()) return sidecar.status().with_context(path);
    m->sidecar = std::move(sidecar).value();
    const auto& inputs = m->session->inputs();
    const std::string wanted = m->sidecar ? m->sidecar->input : "";
    auto it = std::find_if(inputs.begin(), inputs.end(), [&](const ValueDescription& v) { return v.name == wanted; });
    if (wanted.empty() || it == inputs.end()) {
        if (!wanted.empty())
            return invalid_argument(m->where + ": the sidecar names input '" + wanted + "', which the model lacks");
        if (inputs.size() != 1)
            return unsupported(m->where + ": the model has " + std::to_string(inputs.size()) +
                               " inputs; pipeline elements feed exactly one image input");
        it = inputs.begin();
    }
    m->input = *it;
    if (m->session->outputs().empty()) return invalid_model(m->where + ": the model has no outputs");
    return m;
}

// The element's preprocessing keys (size, mean, std, ...) override the sidecar, as the CLI's flags do.
Status resolve(LoadedModel& m, vision::PreprocessConfig base, const vision::PreprocessOverrides& keys) {
    auto r = vision::resolve_preprocess(std::move(base), m.sidecar ? &*m.sidecar : nullptr, keys, m.input);
    if (!r.is_ok()) return r.status().with_context(m.where);
    m.pre = r.value().config;
    return Status::ok();
}

std::vector<int64_t> image_dims(const vision::PreprocessConfig& p, int64_t batch) {
    if (p.layout == vision::Layout::kNchw) return {batch, p.channels, p.height, p.width};
    return {batch, p.height, p.width, p.channels};
}

// Scores of output 0 as [rows, classes] doubles.
Result<std::vector<std::vector<double>>> score_rows(const LoadedModel& m, const std::vector<NamedTensor>& outputs,
                                                    int64_t rows) {
    const Tensor& t = outputs.front().tensor;
    if (t.dtype() != DataType::kFloat32 || t.rank() < 1 || t.dims()[0] != rows || t.numel() < rows || rows <= 0)
        return invalid_model(m.where + ": output '" + outputs.front().name + "' is " + dims_text(t.dims()) +
                             ", expected float scores [" + std::to_string(rows) + ", classes]");
    const int64_t classes = t.numel() / rows;
    std::vector<std::vector<double>> out(static_cast<size_t>(rows));
    const float* p = t.data_as<float>();
    for (int64_t r = 0; r < rows; ++r) out[size_t(r)].assign(p + r * classes, p + (r + 1) * classes);
    return out;
}

Classification top1(const std::vector<double>& raw, const std::vector<std::string>& labels) {
    const std::vector<double> probs = vision::is_probability_distribution(raw) ? raw : vision::softmax(raw);
    const auto best = vision::top_k(probs, 1);
    Classification c;
    if (best.empty()) return c;
    const size_t i = static_cast<size_t>(best.front().index);
    c.label = i < labels.size() ? labels[i] : std::to_string(i);
    c.probability = best.front().score;
    return c;
}

std::vector<std::string> pick_labels(const std::vector<std::string>& given, const LoadedModel& m) {
    if (!given.empty()) return given;
    return m.sidecar ? m.sidecar->labels : std::vector<std::string>{};
}

// The detection format the model's outputs have (dynamic dims and a fixed batch probed as 1); errors when no
// format fits.
Result<vision::DetectionFormat> probe_format(const LoadedModel& m, vision::DetectionOptions o) {
    std::vector<NamedTensor> probe;
    const int64_t batch = m.input.dims.empty() ? 1 : m.input.dims[0];
    for (const auto& v : m.session->outputs()) {
        std::vector<int64_t> dims = v.dims;
        if (!dims.empty() && batch > 1 && dims[0] == batch) dims[0] = 1;  // a fixed batch: one frame's share
        for (int64_t& d : dims) d = d < 0 ? 1 : d;  // a dynamic dim (batch, box count) probed as 1
        if (shape_numel(dims) > (int64_t{1} << 24)) return o.format;
        if (v.dtype != DataType::kFloat32 && v.dtype != DataType::kInt64) return o.format;
        probe.push_back({v.name, Tensor::allocate(v.dtype, dims)});
    }
    o.score_threshold = 2.0f;  // nothing passes: only the shapes are checked
    vision::DetectionDecoder check(o);
    auto r = check.decode(probe, vision::PreprocessInfo{}, {});
    if (!r.is_ok()) return r.status().with_context(m.where);
    return check.format();
}

}  // namespace

Result<BatchDetector> make_model_batch_detector(const ElementConfig& element, const SessionOptions& options) {
    const InferConfig& c = element.infer;
    EDGEINFER_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> m, load_model(element.path, c.model, options));
    vision::DetectionOptions o;
    if (!c.task.empty()) {
        auto f = vision::parse_detection_format(c.task);
        if (!f.is_ok()) return f.status().with_context(element.path + "/task");
        o.format = f.value();
    }
    o.score_threshold = static_cast<float>(c.confidence_threshold);
    o.iou_threshold = static_cast<float>(c.nms_iou_threshold);
    EDGEINFER_ASSIGN_OR_RETURN(o.format, probe_format(*m, o));
    vision::PreprocessConfig base;
    vision::DetectionHead(o).default_preprocess(base);
    EDGEINFER_RETURN_IF_ERROR(resolve(*m, base, c.preprocess));
    m->labels = pick_labels(c.labels, *m);
    const int64_t fixed = m->input.dims.empty() ? 1 : m->input.dims[0];  // -1: dynamic batch
    BatchDetector out;
    out.max_batch = size_t(std::max(1, c.batch_size));
    // Post-processed (torchvision) outputs list one frame's detections, not a batch's.
    const bool batched_outputs = o.format != vision::DetectionFormat::kTorchvision;
    if (out.max_batch > 1 && (fixed == 1 || !batched_outputs)) {
        base::log_warning(m->where + ": batch_size " + std::to_string(out.max_batch) + " asked, but " +
                          (fixed == 1 ? std::string("the model's input '" + m->input.name + "' has a fixed batch of 1")
                                      : std::string("its post-processed outputs hold one frame")) +
                          ": running one frame at a time");
        out.max_batch = 1;
    }
    auto decoder = std::make_shared<vision::DetectionDecoder>(o);
    auto buffers = std::make_shared<std::map<int64_t, Tensor>>();  // input tensor by batch size, reused
    auto infos = std::make_shared<std::vector<vision::PreprocessInfo>>();
    out.detect = [m, decoder, buffers, infos,
                  fixed](const std::vector<cv::Mat>& frames) -> Result<std::vector<std::vector<ObjectMeta>>> {
        std::vector<std::vector<ObjectMeta>> all;
        const size_t item_bytes = size_t(shape_numel(image_dims(m->pre, 1))) * dtype_size(m->pre.dtype);
        for (size_t start = 0; start < frames.size();) {
            const size_t n = fixed > 0 ? std::min(frames.size() - start, size_t(fixed)) : frames.size() - start;
            const int64_t batch = fixed > 0 ? fixed : int64_t(n);
            auto it = buffers->find(batch);
            if (it == buffers->end())
                it = buffers->emplace(batch, Tensor::allocate(m->pre.dtype, image_dims(m->pre, batch))).first;
            auto* base = static_cast<uint8_t*>(it->second.data());
            infos->resize(n);
            for (size_t k = 0; k < n; ++k) {
                auto info = vision::preprocess_into(frames[start + k], m->pre, base + k * item_bytes);
                if (!info.is_ok()) return info.status().with_context(m->where);
                (*infos)[k] = info.value();
            }
            for (size_t k = n; k < size_t(batch); ++k)  // pad a fixed batch with the last frame
                std::memcpy(base + k * item_bytes, base + (n - 1) * item_bytes, item_bytes);
            auto outputs = m->session->run({{m->input.name, it->second}});
            if (!outputs.is_ok()) return outputs.status().with_context(m->where);
            for (size_t k = 0; k < n; ++k) {
                std::vector<NamedTensor> views;
                for (NamedTensor& t : outputs.value()) {
                    if (batch == 1) {
                        views.push_back(t);
                        continue;
                    }
                    std::vector<int64_t> dims = t.tensor.dims();
                    if (dims.empty() || dims[0] != batch)
                        return invalid_model(m->where + ": output '" + t.name + "' is " + dims_text(dims) +
                                             ", expected the batch (" + std::to_string(batch) + ") as its first dim");
                    dims[0] = 1;
                    const size_t bytes = size_t(shape_numel(dims)) * dtype_size(t.tensor.dtype());
                    views.push_back({t.name, Tensor::wrap(t.tensor.dtype(), dims,
                                                          static_cast<uint8_t*>(t.tensor.data()) + k * bytes)});
                }
                auto dets = decoder->decode(views, (*infos)[k], m->labels);
                if (!dets.is_ok()) return dets.status().with_context(m->where);
                std::vector<ObjectMeta> objects;
                for (const vision::Detection& d : dets.value()) {
                    ObjectMeta obj;
                    obj.box = {d.x1, d.y1, d.x2, d.y2};
                    obj.class_id = static_cast<int>(d.label);
                    obj.label = d.label_name;
                    obj.confidence = d.score;
                    objects.push_back(std::move(obj));
                }
                all.push_back(std::move(objects));
            }
            start += n;
        }
        return all;
    };
    return out;
}

Result<DetectFn> make_model_detector(const ElementConfig& element, const SessionOptions& options) {
    EDGEINFER_ASSIGN_OR_RETURN(BatchDetector batch, make_model_batch_detector(element, options));
    return DetectFn([detect = std::move(batch.detect)](const cv::Mat& frame) -> Result<std::vector<ObjectMeta>> {
        EDGEINFER_ASSIGN_OR_RETURN(auto all, detect({frame}));
        return std::move(all.front());
    });
}

Result<ClassifyFn> make_model_classifier(const ElementConfig& element, const SessionOptions& options) {
    const InferConfig& c = element.infer;
    EDGEINFER_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> m, load_model(element.path, c.model, options));
    if (m->input.dims.size() != 4)
        return invalid_argument(m->where + ": input '" + m->input.name + "' is " + dims_text(m->input.dims) +
                                ", expected an image batch N x C x H x W (or N x H x W x C)");
    EDGEINFER_RETURN_IF_ERROR(resolve(*m, vision::PreprocessConfig{}, c.preprocess));
    m->labels = pick_labels(c.labels, *m);
    const int64_t fixed = m->input.dims[0];                        // -1: dynamic batch
    auto buffers = std::make_shared<std::map<int64_t, Tensor>>();  // input tensor by batch size, reused
    return ClassifyFn([m, fixed, buffers](const std::vector<cv::Mat>& crops) -> Result<std::vector<Classification>> {
        std::vector<Classification> results;
        const size_t esize = dtype_size(m->pre.dtype);
        const int64_t item = int64_t(m->pre.channels) * m->pre.height * m->pre.width;
        size_t start = 0;
        while (start < crops.size()) {
            const size_t n = fixed > 0 ? std::min(crops.size() - start, size_t(fixed)) : crops.size() - start;
            const int64_t batch = fixed > 0 ? fixed : int64_t(n);
            auto it = buffers->find(batch);
            if (it == buffers->end())
                it = buffers->emplace(batch, Tensor::allocate(m->pre.dtype, image_dims(m->pre, batch))).first;
            Tensor& input = it->second;
            auto* base = static_cast<uint8_t*>(input.data());
            const size_t item_bytes = size_t(item) * esize;
            for (size_t k = 0; k < n; ++k) {
                auto info = vision::preprocess_into(crops[start + k], m->pre, base + k * item_bytes);
                if (!info.is_ok()) return info.status().with_context(m->where);
            }
            for (size_t k = n; k < size_t(batch); ++k)  // pad a fixed batch with the last crop
                std::memcpy(base + k * item_bytes, base + (n - 1) * item_bytes, item_bytes);
            auto outputs = m->session->run({{m->input.name, input}});
            if (!outputs.is_ok()) return outputs.status().with_context(m->where);
            EDGEINFER_ASSIGN_OR_RETURN(auto rows, score_rows(*m, outputs.value(), batch));
            for (size_t k = 0; k < n; ++k) results.push_back(top1(rows[k], m->labels));
            start += n;
        }
        return results;
    });
}

Result<ClipClassifyFn> make_model_clip_classifier(const ElementConfig& element, const SessionOptions& options) {
    const ClipClassifierConfig& c = element.clip;
    EDGEINFER_ASSIGN_OR_RETURN(std::shared_ptr<LoadedModel> m, load_model(element.path, c.model, options));
    const auto& dims = m->input.dims;
    if (dims.size() != 5)
        return invalid_argument(m->where + ": input '" + m->input.name + "' is " + dims_text(dims) +
                                ", expected a clip N x C x T x H x W");
    if (dims[2] > 0 && dims[2] != c.window)
        return invalid_argument(element.path + "/window: " + std::to_string(c.window) + " frames, but model '" +
                                c.model.string() + "' takes clips of T=" + std::to_string(dims[2]));
    EDGEINFER_RETURN_IF_ERROR(resolve(*m, vision::PreprocessConfig{}, c.preprocess));
    if (m->pre.layout != vision::Layout::kNchw)
        return invalid_argument(m->where + ": clips are N x C x T x H x W; the sidecar asks for NHWC");
    m->labels = pick_labels(c.labels, *m);
    const int64_t T = c.window;
    auto input =
        std::make_shared<Tensor>(Tensor::allocate(m->pre.dtype, {1, m->pre.channels, T, m->pre.height, m->pre.width}));
    return ClipClassifyFn([m, input, T](const std::vector<cv::Mat>& clip) -> Result<Classification> {
        if (int64_t(clip.size()) != T)
            return invalid_argument(m->where + ": a clip of " + std::to_string(clip.size()) + " frames, expected " +
                                    std::to_string(T));
        const int64_t hw = int64_t(m->pre.height) * m->pre.width;
        auto* base = static_cast<uint8_t*>(input->data());
        for (int64_t t = 0; t < T; ++t) {
            auto info = vision::preprocess_into(clip[size_t(t)], m->pre,
                                                base + size_t(t * hw) * dtype_size(m->pre.dtype), T * hw);
            if (!info.is_ok()) return info.status().with_context(m->where);
        }
        auto outputs = m->session->run({{m->input.name, *input}});
        if (!outputs.is_ok()) return outputs.status().with_context(m->where);
        EDGEINFER_ASSIGN_OR_RETURN(auto rows, score_rows(*m, outputs.value(), 1));
        return top1(rows.front(), m->labels);
    });
}

ElementFactory make_model_factory(SessionOptions defaults) {
    return [defaults](const ElementConfig& e, const PipelineConfig&) -> Result<std::unique_ptr<Element>> {
        SessionOptions options = defaults;
        const std::string& precision = e.type == ElementType::kClipClassifier ? e.clip.precision : e.infer.precision;
        if (!precision.empty()) {
            auto p = parse_precision(precision);
            if (!p.is_ok()) return p.status().with_context(e.path + "/precision");
            options.precision = p.value();
        }
        const std::string& tactics = e.type == ElementType::kClipClassifier ? e.clip.tactics : e.infer.tactics;
        if (!tactics.empty()) {
            auto t = parse_tactic_mode(tactics);
            if (!t.is_ok()) return t.status().with_context(e.path + "/tactics");
            options.tactics = t.value();
        }
        options.engine_path = e.engine.string();
        options.engine_cache_dir = e.engine_cache.string();
        if (e.type == ElementType::kClipClassifier) {
            EDGEINFER_ASSIGN_OR_RETURN(ClipClassifyFn fn, make_model_clip_classifier(e, options));
            return make_clip_classifier_element(e, std::move(fn));
        }
        if (e.type != ElementType::kInfer) return std::unique_ptr<Element>();
        if (e.infer.role == "classifier") {
            EDGEINFER_ASSIGN_OR_RETURN(ClassifyFn fn, make_model_classifier(e, options));
            return make_classifier_element(e, std::move(fn));
        }
        EDGEINFER_ASSIGN_OR_RETURN(BatchDetector detector, make_model_batch_detector(e, options));
        return make_batch_detector_element(e, std::move(detector.detect), detector.max_batch);
    };
}

}  // namespace edgeinfer::pipeline

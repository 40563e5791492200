// Infer elements: detector interval, object classifier scheduling and crops, clip classifier window.
#include "pipeline/infer_elements.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>

namespace edgeinfer::pipeline {
namespace {

class DetectorElement final : public Element {
  public:
    DetectorElement(const ElementConfig& c, BatchDetectFn detect, size_t max_batch)
        : config_(c.infer), detect_(std::move(detect)), max_batch_(std::max<size_t>(1, max_batch)) {}

    size_t max_batch() const override { return max_batch_; }
    std::chrono::microseconds batch_timeout() const override {
        return std::chrono::microseconds(int64_t(config_.batch_timeout_ms * 1000.0));
    }

    Status process(PipelineFrame& f) override { return process_batch({&f}).front(); }

    // The due frames (every `interval`-th of their source) run in one call; the others carry their
    // source's last detections, taken in frame order so a batch holding several frames of one source
    // gives each what a frame-by-frame run would.
    std::vector<Status> process_batch(const std::vector<PipelineFrame*>& frames) override {
        std::vector<Status> statuses(frames.size());
        images_.clear();
        due_.clear();
        const uint64_t interval = uint64_t(std::max(1, config_.interval));
        for (size_t k = 0; k < frames.size(); ++k) {
            if (frames[k]->meta.frame_number % interval != 0) continue;
            images_.push_back(frames[k]->frame.image);
            due_.push_back(k);
        }
        Result<std::vector<std::vector<ObjectMeta>>> found = std::vector<std::vector<ObjectMeta>>{};
        if (!images_.empty()) found = detect_(images_);
        if (found.is_ok() && found.value().size() != images_.size())
            found = internal_error("the detector returned " + std::to_string(found.value().size()) + " results for " +
                                   std::to_string(images_.size()) + " frames");
        size_t next = 0;
        for (size_t k = 0; k < frames.size(); ++k) {
            PipelineFrame& f = *frames[k];
            auto& last = last_[f.meta.source_id];
            if (next < due_.size() && due_[next] == k) {
                std::vector<ObjectMeta>* objects = found.is_ok() ? &found.value()[next] : nullptr;
                ++next;
                if (!objects) {
                    last.clear();
                    statuses[k] = found.status();
                    continue;
                }
                last = keep(std::move(*objects));
            }
            f.meta.objects = last;
        }
        return statuses;
    }

  private:
    // Drops objects under confidence_threshold and names classes from `labels`.
    std::vector<ObjectMeta> keep(std::vector<ObjectMeta> found) const {
        std::vector<ObjectMeta> kept;
        for (auto& o : found) {
            if (o.confidence < config_.confidence_threshold) continue;
            if (o.label.empty() && o.class_id >= 0 && size_t(o.class_id) < config_.labels.size())
                o.label = config_.labels[size_t(o.class_id)];
            kept.push_back(std::move(o));
        }
        return kept;
    }

    InferConfig config_;
    BatchDetectFn detect_;
    size_t max_batch_;
    std::vector<cv::Mat> images_;  // reused across calls
    std::vector<size_t> due_;
    std::map<std::string, std::vector<ObjectMeta>> last_;  // per source
};

class ClassifierElement final : public Element {
  public:
    ClassifierElement(const ElementConfig& c, ClassifyFn classify) : config_(c.infer), classify_(std::move(classify)) {}

    Status process(PipelineFrame& f) override {
        auto& cache = cache_[f.meta.source_id];
        for (const auto& e : f.meta.ended_objects) cache.erase(e.track_id);
        std::vector<size_t> todo;
        for (size_t i = 0; i < f.meta.objects.size(); ++i) {
            const ObjectMeta& o = f.meta.objects[i];
            const auto& only = config_.operate_on_classes;
            if (!only.empty() && std::find(only.begin(), only.end(), o.label) == only.end()) continue;
            if (o.track_id >= 0) {
                auto it = cache.find(o.track_id);
                const bool due =
                    it == cache.end() || (config_.every_n_frames > 0 &&
                                          f.meta.frame_number - it->second.frame >= uint64_t(config_.every_n_frames));
                if (!due) {
                    apply(f.meta.objects[i], it->second.result);
                    continue;
                }
            }
            todo.push_back(i);
        }
        const size_t batch = size_t(std::max(1, config_.batch_size));
        for (size_t start = 0; start < todo.size(); start += batch) {
            std::vector<cv::Mat>& crops = crops_;
            crops.clear();
            const size_t end = std::min(todo.size(), start + batch);
            for (size_t k = start; k < end; ++k) {
                const Box& b = f.meta.objects[todo[k]].box;
                const cv::Rect r = config_.square_crop
                                       ? square_crop(b, f.frame.width(), f.frame.height())
                                       : cv::Rect(cv::Point(int(b.x1), int(b.y1)),
                                                  cv::Point(int(std::ceil(b.x2)), int(std::ceil(b.y2)))) &
                                             cv::Rect(0, 0, f.frame.width(), f.frame.height());
                if (r.width <= 0 || r.height <= 0) return invalid_argument("object box outside the frame");
                crops.push_back(f.frame.image(r));
            }
            auto results = classify_(crops);
            if (!results.is_ok()) return results.status();
            if (results.value().size() != crops.size())
                return internal_error("classifier returned " + std::to_string(results.value().size()) +
                                      " results for " + std::to_string(crops.size()) + " crops");
            for (size_t k = start; k < end; ++k) {
                ObjectMeta& o = f.meta.objects[todo[k]];
                const Classification& c = results.value()[k - start];
                apply(o, c);
                if (o.track_id >= 0) cache[o.track_id] = {c, f.meta.frame_number};
            }
        }
        return Status::ok();
    }

  private:
    struct Cached {
        Classification result;
        uint64_t frame = 0;
    };
    void apply(ObjectMeta& o, const Classification& c) const {
        o.attributes[config_.key_prefix + "predicted_class"] = c.label;
        o.attributes[config_.key_prefix + "probability"] = c.probability;
    }
    InferConfig config_;
    ClassifyFn classify_;
    std::vector<cv::Mat> crops_;                              // reused across calls
    std::map<std::string, std::map<int64_t, Cached>> cache_;  // source -> track -> last result
};

class ClipClassifierElement final : public Element {
  public:
    ClipClassifierElement(const ElementConfig& c, ClipClassifyFn classify)
        : config_(c.clip), classify_(std::move(classify)) {}

    Status process(PipelineFrame& f) override {
        State& s = state_[f.meta.source_id];
        s.frames.push_back(f.frame.image);
        while (s.frames.size() > size_t(config_.window)) s.frames.pop_front();
        ++s.since_last;
        Status status;
        if (s.frames.size() == size_t(config_.window) && (!s.has_result || s.since_last >= config_.stride)) {
            auto r = classify_(std::vector<cv::Mat>(s.frames.begin(), s.frames.end()));
            if (r.is_ok()) {
                s.result = r.value();
                s.has_result = true;
                s.since_last = 0;
            } else {
                status = r.status();
            }
        }
        if (s.has_result) {
            f.meta.attributes[config_.key_prefix + "class"] = s.result.label;
            f.meta.attributes[config_.key_prefix + "probability"] = s.result.probability;
        }
        return status;
    }

  private:
    struct State {
        std::deque<cv::Mat> frames;
        int since_last = 0;
        bool has_result = false;
        Classification result;
    };
    ClipClassifierConfig config_;
    ClipClassifyFn classify_;
    std::map<std::string, State> state_;
};

}  // namespace

cv::Rect square_crop(const Box& box, int frame_width, int frame_height) {
    const float side = std::max(box.width(), box.height());
    const float cx = (box.x1 + box.x2) / 2, cy = (box.y1 + box.y2) / 2;
    auto place = [](float centre, float size, int limit) {
        float lo = centre - size / 2;
        lo = std::min(lo, float(limit) - size);  // shift back inside
        lo = std::max(lo, 0.0f);
        const float hi = std::min(lo + size, float(limit));
        return std::pair<int, int>(int(std::lround(lo)), int(std::lround(hi)));
    };
    const auto [x1, x2] = place(cx, side, frame_width);
    const auto [y1, y2] = place(cy, side, frame_height);
    return cv::Rect(x1, y1, std::max(0, x2 - x1), std::max(0, y2 - y1));
}

std::unique_ptr<Element> make_detector_element(const ElementConfig& config, DetectFn detect) {
    BatchDetectFn each = [detect = std::move(detect)](
                             const std::vector<cv::Mat>& frames) -> Result<std::vector<std::vector<ObjectMeta>>> {
        std::vector<std::vector<ObjectMeta>> all;
        for (const cv::Mat& frame : frames) {
            auto found = detect(frame);
            if (!found.is_ok()) return found.status();
            all.push_back(std::move(found).value());
        }
        return all;
    };
    return std::make_unique<DetectorElement>(config, std::move(each), 1);
}

std::unique_ptr<Element> make_batch_detector_element(const ElementConfig& config, BatchDetectFn detect,
                                                     size_t max_batch) {
    return std::make_unique<DetectorElement>(config, std::move(detect), max_batch);
}

std::unique_ptr<Element> make_classifier_element(const ElementConfig& config, ClassifyFn classify) {
    return std::make_unique<ClassifierElement>(config, std::move(classify));
}

std::unique_ptr<Element> make_clip_classifier_element(const ElementConfig& config, ClipClassifyFn classify) {
    return std::make_unique<ClipClassifierElement>(config, std::move(classify));
}

}  // namespace edgeinfer::pipeline

// Built-in pipeline elements: the tracker (one Tracker per source) and the overlay (boxes, labels,
// track ids, scores, fps drawn on a copy of the frame).
#include <map>
#include <opencv2/imgproc.hpp>

#include "pipeline/runtime.hpp"
#include "pipeline/tracker.hpp"

namespace edgeinfer::pipeline {
namespace {

class TrackerElement final : public Element {
  public:
    explicit TrackerElement(TrackerConfig config) : config_(config) {}
    Status process(PipelineFrame& f) override {
        auto& tracker = trackers_[f.meta.source_id];
        if (!tracker) tracker = std::make_unique<Tracker>(config_);
        f.meta.objects = tracker->update(std::move(f.meta.objects), f.meta.timestamp_us);
        f.meta.ended_objects = tracker->ended();
        return Status::ok();
    }
    Status end_of_source(PipelineFrame& marker) override {
        auto it = trackers_.find(marker.meta.source_id);
        if (it == trackers_.end()) return Status::ok();
        it->second->finish();
        marker.meta.ended_objects = it->second->ended();
        trackers_.erase(it);
        return Status::ok();
    }

  private:
    TrackerConfig config_;
    std::map<std::string, std::unique_ptr<Tracker>> trackers_;
};

cv::Scalar color_of(int class_id) {
    static const cv::Scalar palette[] = {{56, 56, 255},  {151, 157, 255}, {31, 112, 255}, {29, 178, 255},
                                         {49, 210, 207}, {10, 249, 72},   {23, 204, 146}, {134, 219, 61},
                                         {52, 147, 26},  {187, 212, 0},   {168, 153, 44}, {255, 194, 0}};
    return palette[(class_id < 0 ? 0 : class_id) % 12];
}

class OverlayElement final : public Element {
  public:
    explicit OverlayElement(OverlayConfig config) : config_(config) {}
    Status process(PipelineFrame& f) override {
        f.annotated = f.frame.image.clone();
        cv::Mat& img = f.annotated;
        for (const auto& o : f.meta.objects) {
            const cv::Scalar color = color_of(o.class_id);
            const cv::Point p1(int(o.box.x1), int(o.box.y1)), p2(int(o.box.x2), int(o.box.y2));
            if (config_.boxes) cv::rectangle(img, p1, p2, color, 2);
            std::string text;
            if (config_.track_ids && o.track_id >= 0) {
                text.push_back('#');  // piecewise: GCC 12 warns falsely on "literal" + std::to_string()
                text.append(std::to_string(o.track_id));
                text.push_back(' ');
            }
            if (config_.labels) text += o.label.empty() ? std::to_string(o.class_id) : o.label;
            if (config_.scores) {
                char buf[16];
                std::snprintf(buf, sizeof(buf), " %.2f", o.confidence);
                text += buf;
            }
            if (text.empty()) continue;
            int base = 0;
            const cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &base);
            const cv::Point org(p1.x, std::max(ts.height + 2, p1.y - 3));
            cv::rectangle(img, cv::Point(org.x, org.y - ts.height - 2), cv::Point(org.x + ts.width, org.y + base),
                          color, cv::FILLED);
            cv::putText(img, text, org, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
        }
        if (config_.fps) {
            // Frames per second of this source over the last second of frame time.
            auto& times = times_[f.meta.source_id];
            times.push_back(f.meta.timestamp_us);
            while (times.size() > 1 && times.front() < f.meta.timestamp_us - 1'000'000) times.erase(times.begin());
            const double span = double(times.back() - times.front()) / 1e6;
            char buf[64];
            std::snprintf(buf, sizeof(buf), "%s  %.1f fps", f.meta.source_id.c_str(),
                          span > 0 ? double(times.size() - 1) / span : 0.0);
            cv::putText(img, buf, cv::Point(6, 18), cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
            cv::putText(img, buf, cv::Point(6, 18), cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(255, 255, 255), 1,
                        cv::LINE_AA);
        }
        return Status::ok();
    }

  private:
    OverlayConfig config_;
    std::map<std::string, std::vector<int64_t>> times_;
};

}  // namespace

Result<std::unique_ptr<Element>> make_builtin_element(const ElementConfig& e, const PipelineConfig&) {
    switch (e.type) {
        case ElementType::kTracker:
            return std::unique_ptr<Element>(new TrackerElement(e.tracker));
        case ElementType::kOverlay:
            return std::unique_ptr<Element>(new OverlayElement(e.overlay));
        case ElementType::kCustom:
            return make_custom_element(e);
        default:
            return unsupported(e.path + ": element \"" + e.name + "\" (" + std::string(element_type_name(e.type)) +
                               (e.type == ElementType::kInfer ? ", role " + e.infer.role : std::string()) +
                               ") has no implementation in this build of the pipeline runtime");
    }
}

}  // namespace edgeinfer::pipeline

// Built-in pipeline elements: the tracker (one Tracker per source) and the overlay (boxes, labels,
// secondary classes, track ids, scores, zones, counting lines and fps drawn on a copy of the frame).
#include <algorithm>
#include <cstdio>
#include <map>
#include <opencv2/imgproc.hpp>
#include <string_view>
#include <variant>

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
    OverlayElement(OverlayConfig config, const PipelineConfig& pipeline)
        : config_(config), zones_(pipeline.zones), lines_(pipeline.lines) {
        for (const auto& e : pipeline.elements)
            if (e.type == ElementType::kClipClassifier) clip_prefixes_.push_back(e.clip.key_prefix);
    }
    Status process(PipelineFrame& f) override {
        f.annotated = f.frame.image.clone();
        cv::Mat& img = f.annotated;
        draw_zones_and_lines(img, f.meta.source_id);
        // The header at the top left: fps, then one line per frame-level result (clip classifiers). Object
        // labels keep out of it.
        std::vector<std::string> header;
        if (config_.fps) header.push_back(fps_text(f.meta));
        if (config_.labels) {
            for (const std::string& prefix : clip_prefixes_) {
                auto cls = f.meta.attributes.find(prefix + "class");
                if (cls == f.meta.attributes.end()) continue;
                std::string text = value_text(cls->second);
                auto prob = f.meta.attributes.find(prefix + "probability");
                if (config_.scores && prob != f.meta.attributes.end()) {
                    text.push_back(' ');
                    text += value_text(prob->second);
                }
                header.push_back(text);
            }
        }
        cv::Rect header_area;
        for (size_t i = 0; i < header.size(); ++i) {
            const cv::Point org(6, 18 + kHeaderLine * int(i));
            cv::putText(img, header[i], org, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
            cv::putText(img, header[i], org, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
            int base = 0;
            const cv::Size ts = cv::getTextSize(header[i], cv::FONT_HERSHEY_SIMPLEX, 0.5, 3, &base);
            header_area |= cv::Rect(0, 0, org.x + ts.width + 2, org.y + base + 2);
        }
        for (const auto& o : f.meta.objects) draw_object(img, o, header_area);
        return Status::ok();
    }

  private:
    static constexpr int kHeaderLine = 20;  // pixels from one header line to the next

    static std::string value_text(const Value& v) {
        if (const auto* s = std::get_if<std::string>(&v)) return *s;
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.2f", std::get<double>(v));
        return buf;
    }

    // Frames per second of this source over the last second of frame time.
    std::string fps_text(const FrameMeta& meta) {
        auto& times = times_[meta.source_id];
        times.push_back(meta.timestamp_us);
        while (times.size() > 1 && times.front() < meta.timestamp_us - 1'000'000) times.erase(times.begin());
        const double span = double(times.back() - times.front()) / 1e6;
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%s  %.1f fps", meta.source_id.c_str(),
                      span > 0 ? double(times.size() - 1) / span : 0.0);
        return buf;
    }

    // "#3 car: red 0.87 0.90": track id, the detector's label, each secondary classifier's class (with its
    // probability when scores are on), then the detector's confidence.
    std::string label_text(const ObjectMeta& o) const {
        std::string text;
        if (config_.track_ids && o.track_id >= 0) {
            text.push_back('#');  // piecewise: GCC 12 warns falsely on "literal" + std::to_string()
            text.append(std::to_string(o.track_id));
            text.push_back(' ');
        }
        if (config_.labels) {
            text += o.label.empty() ? std::to_string(o.class_id) : o.label;
            // Secondary classifiers' answers (<prefix>predicted_class, <prefix>probability).
            for (const auto& [key, value] : o.attributes) {
                const std::string_view k = key;
                const std::string_view suffix = "predicted_class";
                const auto* cls = std::get_if<std::string>(&value);
                if (!cls || k.size() < suffix.size() || k.substr(k.size() - suffix.size()) != suffix) continue;
                text += ": ";
                text += *cls;
                const std::string prefix(k.substr(0, k.size() - suffix.size()));
                auto prob = o.attributes.find(prefix + "probability");
                if (config_.scores && prob != o.attributes.end()) {
                    text.push_back(' ');  // piecewise: GCC 12 warns falsely on "literal" + std::string
                    text += value_text(prob->second);
                }
            }
        }
        if (config_.scores) {
            char buf[16];
            std::snprintf(buf, sizeof(buf), " %.2f", o.confidence);
            text += buf;
        }
        return text;
    }

    // The box, and its label on a filled tag above it; the tag is kept inside the frame and out of the header.
    void draw_object(cv::Mat& img, const ObjectMeta& o, const cv::Rect& header_area) const {
        const cv::Scalar color = color_of(o.class_id);
        const cv::Point p1(int(o.box.x1), int(o.box.y1)), p2(int(o.box.x2), int(o.box.y2));
        if (config_.boxes) cv::rectangle(img, p1, p2, color, 2);
        const std::string text = label_text(o);
        if (text.empty()) return;
        int base = 0;
        const cv::Size ts = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &base);
        const int tag_height = ts.height + 2 + base;
        cv::Rect tag(p1.x, p1.y - 3 - ts.height - 2, ts.width, tag_height);  // above the box
        if (tag.y < 0) tag.y = std::max(0, p1.y);                            // no room above: inside the box
        if ((tag & header_area).area() > 0) tag.y = header_area.y + header_area.height;
        tag.x = std::max(0, std::min(tag.x, img.cols - tag.width));
        tag.y = std::max(0, std::min(tag.y, img.rows - tag.height));
        cv::rectangle(img, tag, color, cv::FILLED);
        cv::putText(img, text, cv::Point(tag.x, tag.y + ts.height + 2), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                    cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
    }

    static bool applies(const std::vector<std::string>& sources, const std::string& source) {
        return sources.empty() || std::find(sources.begin(), sources.end(), source) != sources.end();
    }
    static cv::Point pixel(const Point& p) { return cv::Point(int(p.x), int(p.y)); }
    static void caption(cv::Mat& img, const std::string& text, cv::Point org, const cv::Scalar& color) {
        cv::putText(img, text, org, cv::FONT_HERSHEY_SIMPLEX, 0.45, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
        cv::putText(img, text, org, cv::FONT_HERSHEY_SIMPLEX, 0.45, color, 1, cv::LINE_AA);
    }
    // Zones as outlined polygons and counting lines as lines, each with its name, where they apply.
    void draw_zones_and_lines(cv::Mat& img, const std::string& source) const {
        const cv::Scalar zone_color(0, 200, 255), line_color(255, 0, 255);
        for (const auto& z : zones_) {
            if (!applies(z.sources, source) || z.polygon.empty()) continue;
            std::vector<cv::Point> pts;
            for (const auto& p : z.polygon) pts.push_back(pixel(p));
            cv::polylines(img, pts, true, zone_color, 1, cv::LINE_AA);
            caption(img, z.name, pts.front() + cv::Point(3, 14), zone_color);
        }
        for (const auto& l : lines_) {
            if (!applies(l.sources, source)) continue;
            cv::line(img, pixel(l.a), pixel(l.b), line_color, 2, cv::LINE_AA);
            caption(img, l.name, pixel(l.a) + cv::Point(3, -5), line_color);
        }
    }

    OverlayConfig config_;
    std::vector<ZoneConfig> zones_;
    std::vector<LineConfig> lines_;
    std::vector<std::string> clip_prefixes_;  // frame-level results: <prefix>class, <prefix>probability
    std::map<std::string, std::vector<int64_t>> times_;
};

}  // namespace

Result<std::unique_ptr<Element>> make_builtin_element(const ElementConfig& e, const PipelineConfig& pipeline) {
    switch (e.type) {
        case ElementType::kTracker:
            return std::unique_ptr<Element>(new TrackerElement(e.tracker));
        case ElementType::kOverlay:
            return std::unique_ptr<Element>(new OverlayElement(e.overlay, pipeline));
        case ElementType::kCustom:
            return make_custom_element(e);
        default:
            return unsupported(e.path + ": element \"" + e.name + "\" (" + std::string(element_type_name(e.type)) +
                               (e.type == ElementType::kInfer ? ", role " + e.infer.role : std::string()) +
                               ") has no implementation in this build of the pipeline runtime");
    }
}

}  // namespace edgeinfer::pipeline

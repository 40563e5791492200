// The public pipeline API (include/edgeinfer/pipeline.hpp) over pipeline::Pipeline: configs from files,
// JSON text or a PipelineSpec (turned into the same document, so one parser checks all three and errors
// carry JSON paths), model elements from make_model_factory, typed events and metadata for the callbacks.
#include <algorithm>
#include <atomic>
#include <exception>
#include <nlohmann/json.hpp>

#include "base/logging.hpp"
#include "edgeinfer/pipeline.hpp"
#include "pipeline/config.hpp"
#include "pipeline/model_inference.hpp"
#include "pipeline/runtime.hpp"

namespace edgeinfer {
namespace {

using nlohmann::json;

// ---- internal metadata -> public structs ----

std::vector<Field> to_fields(const std::map<std::string, pipeline::Value>& attributes) {
    std::vector<Field> out;
    out.reserve(attributes.size());
    for (const auto& [key, value] : attributes) out.push_back({key, value});
    return out;
}

PipelineObject to_object(const pipeline::ObjectMeta& o) {
    PipelineObject p;
    p.box = {o.box.x1, o.box.y1, o.box.x2, o.box.y2};
    p.class_id = o.class_id;
    p.label = o.label;
    p.score = o.confidence;
    p.track_id = o.track_id;
    p.fields = to_fields(o.attributes);
    return p;
}

FrameMetadata to_frame(const pipeline::FrameMeta& m) {
    FrameMetadata f;
    f.source_id = m.source_id;
    f.frame_number = m.frame_number;
    f.timestamp_us = m.timestamp_us;
    f.width = m.width;
    f.height = m.height;
    for (const auto& o : m.objects) f.objects.push_back(to_object(o));
    for (const auto& o : m.ended_objects) f.ended_objects.push_back(to_object(o));
    f.fields = to_fields(m.attributes);
    return f;
}

PipelineEvent to_event(const pipeline::Firing& firing, const pipeline::FrameMeta& m, const std::string& clip,
                       const std::string& clip_error) {
    PipelineEvent e;
    e.event_id = pipeline::event_id(firing, m);
    e.rule_name = firing.rule->rule_name;
    e.action = firing.rule->action.type == pipeline::ActionType::kRecord ? RuleAction::kRecord : RuleAction::kPublish;
    e.source_id = m.source_id;
    e.frame_number = m.frame_number;
    e.timestamp_us = m.timestamp_us;
    if (firing.object) e.object = to_object(*firing.object);
    e.object_count = m.objects.size();
    e.width = m.width;
    e.height = m.height;
    e.frame_fields = to_fields(m.attributes);
    e.clip = clip;
    e.clip_error = clip_error;
    return e;
}

// A caller's callback must not unwind through the pipeline's threads.
template <typename F, typename... Args>
void call_guarded(const char* what, const F& f, const Args&... args) {
    try {
        f(args...);
    } catch (const std::exception& e) {
        base::log_warning(std::string("pipeline ") + what + " callback threw: " + e.what());
    } catch (...) {
        base::log_warning(std::string("pipeline ") + what + " callback threw");
    }
}

// ---- PipelineSpec -> the config document ----

json precision_json(json j, const std::optional<Precision>& p) {
    if (p) j["precision"] = std::string(to_string(*p));
    return j;
}

void put_name(json& j, const std::string& name) {
    if (!name.empty()) j["name"] = name;
}

void put_list(json& j, const char* key, const std::vector<std::string>& items) {
    if (!items.empty()) j[key] = items;
}

json element_json(const DetectorSpec& d) {
    json j = {{"type", "infer"},
              {"role", "detector"},
              {"model", d.model},
              {"confidence_threshold", d.confidence_threshold},
              {"nms_iou_threshold", d.nms_iou_threshold},
              {"interval", d.interval},
              {"batch_size", d.batch_size},
              {"batch_timeout_ms", d.batch_timeout_ms}};
    put_name(j, d.name);
    if (!d.format.empty()) j["task"] = d.format;
    put_list(j, "labels", d.labels);
    return precision_json(j, d.precision);
}

json element_json(const ClassifierSpec& c) {
    json j = {{"type", "infer"},
              {"role", "classifier"},
              {"model", c.model},
              {"batch_size", c.batch_size},
              {"every_n_frames", c.every_n_frames},
              {"square_crop", c.square_crop}};
    put_name(j, c.name);
    put_list(j, "labels", c.labels);
    put_list(j, "operate_on_classes", c.operate_on_classes);
    if (!c.key_prefix.empty()) j["key_prefix"] = c.key_prefix;
    return precision_json(j, c.precision);
}

json element_json(const TrackerSpec& t) {
    json j = {{"type", "tracker"},
              {"mode", t.mode == TrackerMode::kSort ? "sort" : "iou"},
              {"matching", t.matching == TrackMatching::kHungarian ? "hungarian" : "greedy"},
              {"iou_threshold", t.iou_threshold},
              {"min_hits", t.min_hits},
              {"max_age", t.max_age},
              {"match_classes", t.match_classes}};
    put_name(j, t.name);
    return j;
}

json element_json(const ClipClassifierSpec& c) {
    json j = {{"type", "clip_classifier"},
              {"model", c.model},
              {"window", c.window},
              {"stride", c.stride},
              {"key_prefix", c.key_prefix}};
    put_name(j, c.name);
    put_list(j, "labels", c.labels);
    return precision_json(j, c.precision);
}

json element_json(const OverlaySpec& o) {
    json j = {{"type", "overlay"},        {"boxes", o.boxes},   {"labels", o.labels},
              {"track_ids", o.track_ids}, {"scores", o.scores}, {"fps", o.fps}};
    put_name(j, o.name);
    return j;
}

json point_json(const PointF& p) { return json::array({p.x, p.y}); }

json value_json(const FieldValue& v) {
    if (const double* d = std::get_if<double>(&v)) return *d;
    return std::get<std::string>(v);
}

json conditions_json(const std::vector<RuleCondition>& conditions) {
    json out = json::array();
    for (const auto& c : conditions)
        out.push_back({{"key", c.key},
                       {"operator", std::string(pipeline::compare_op_name(static_cast<pipeline::CompareOp>(c.op)))},
                       {"value", value_json(c.value)}});
    return out;
}

json rule_json(const RuleSpec& r) {
    json j = {{"rule_name", r.name}, {"cooldown_seconds", r.cooldown_seconds}};
    if (!r.all.empty()) j["and"] = conditions_json(r.all);
    if (!r.any.empty()) j["or"] = conditions_json(r.any);
    json action = {{"type", r.action == RuleAction::kRecord ? "record" : "publish"}};
    put_list(action, "sinks", r.sinks);
    if (r.action == RuleAction::kRecord) {
        action["pre_seconds"] = r.pre_seconds;
        action["duration_in_seconds"] = r.duration_seconds;
        action["max_duration_in_seconds"] = r.max_duration_seconds;
        action["directory"] = r.directory;
        action["fps"] = r.fps;
        action["min_free_mb"] = r.min_free_mb;
    }
    j["action"] = action;
    put_list(j, "sources", r.sources);
    return j;
}

json sink_json(const SinkSpec& s) {
    static constexpr pipeline::SinkType kTypes[] = {pipeline::SinkType::kMetadata, pipeline::SinkType::kVideo,
                                                    pipeline::SinkType::kFile, pipeline::SinkType::kWebhook,
                                                    pipeline::SinkType::kMqtt};
    json j = {{"type", std::string(pipeline::sink_type_name(kTypes[static_cast<size_t>(s.kind)]))}};
    if (!s.id.empty()) j["id"] = s.id;
    switch (s.kind) {
        case SinkKind::kVideo:
            j["fps"] = s.fps;
            [[fallthrough]];
        case SinkKind::kMetadata:
        case SinkKind::kFile:
            j["path"] = s.path;
            break;
        case SinkKind::kWebhook:
            j["url"] = s.url;
            break;
        case SinkKind::kMqtt:
            j["host"] = s.host;
            j["port"] = s.port;
            j["topic"] = s.topic;
            break;
    }
    return j;
}

json spec_json(const PipelineSpec& spec) {
    json doc = {{"spool_directory", spec.spool_directory}};
    json& sources = doc["sources"] = json::array();
    for (const auto& s : spec.sources) {
        json j = {{"uri", s.dataspec}, {"loop", s.loop}, {"rate", s.rate}, {"queue_size", s.queue_size}};
        if (!s.id.empty()) j["id"] = s.id;
        if (s.live) j["live"] = *s.live;
        sources.push_back(j);
    }
    json& elements = doc["elements"] = json::array();
    for (const auto& e : spec.elements)
        elements.push_back(std::visit([](const auto& x) { return element_json(x); }, e));
    if (!spec.zones.empty()) {
        json& zones = doc["zones"] = json::array();
        for (const auto& z : spec.zones) {
            json j = {{"name", z.name}, {"polygon", json::array()}};
            for (const auto& p : z.polygon) j["polygon"].push_back(point_json(p));
            put_list(j, "sources", z.sources);
            zones.push_back(j);
        }
    }
    if (!spec.lines.empty()) {
        json& lines = doc["lines"] = json::array();
        for (const auto& l : spec.lines) {
            json j = {{"name", l.name},
                      {"points", json::array({point_json(l.a), point_json(l.b)})},
                      {"hysteresis", l.hysteresis},
                      {"count_each_track_once", l.count_each_track_once}};
            put_list(j, "sources", l.sources);
            lines.push_back(j);
        }
    }
    if (!spec.sinks.empty()) {
        json& sinks = doc["sinks"] = json::array();
        for (const auto& s : spec.sinks) sinks.push_back(sink_json(s));
    }
    if (!spec.rules.empty()) {
        json& rules = doc["action_rules"] = json::array();
        for (const auto& r : spec.rules) rules.push_back(rule_json(r));
    }
    return doc;
}

pipeline::ConfigOptions config_options(const PipelineOptions& options) {
    pipeline::ConfigOptions c;
    c.events_to_callback = bool(options.on_event);
    return c;
}

}  // namespace

const FieldValue* find_field(const std::vector<Field>& fields, std::string_view key) {
    auto it = std::find_if(fields.begin(), fields.end(), [key](const Field& f) { return f.key == key; });
    return it == fields.end() ? nullptr : &it->value;
}

std::string to_json(const PipelineSpec& spec) { return spec_json(spec).dump(1); }

class Pipeline::Impl {
  public:
    std::unique_ptr<pipeline::Pipeline> runtime;
    std::vector<std::string> source_ids;
    std::atomic<bool> ran{false};
    std::atomic<bool> stop_requested{false};

    static Result<std::unique_ptr<Pipeline>> make(Result<pipeline::PipelineConfig> config, PipelineOptions options);
};

Result<std::unique_ptr<Pipeline>> Pipeline::Impl::make(Result<pipeline::PipelineConfig> config,
                                                       PipelineOptions options) {
    if (!config.is_ok()) return config.status();
    auto impl = std::make_unique<Impl>();
    for (const auto& s : config->sources) impl->source_ids.push_back(s.id);
    pipeline::PipelineOptions o;
    o.factory = pipeline::make_model_factory(options.session);
    o.max_frames = options.max_frames;
    o.metrics_port = options.metrics_port;
    o.drain_seconds = options.drain_seconds;
    if (options.on_event)
        o.on_event = [cb = std::move(options.on_event)](const pipeline::Firing& firing, const pipeline::FrameMeta& m,
                                                        const std::string& clip, const std::string& clip_error) {
            call_guarded("on_event", cb, to_event(firing, m, clip, clip_error));
        };
    if (options.on_frame)
        o.on_frame = [cb = std::move(options.on_frame)](const pipeline::FrameMeta& m) {
            call_guarded("on_frame", cb, to_frame(m));
        };
    auto created = pipeline::Pipeline::create(std::move(config).value(), std::move(o));
    if (!created.is_ok()) return created.status();
    impl->runtime = std::move(created).value();
    return std::unique_ptr<Pipeline>(new Pipeline(std::move(impl)));
}

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::~Pipeline() = default;

Result<std::unique_ptr<Pipeline>> Pipeline::from_file(const std::string& path, PipelineOptions options) {
    const pipeline::ConfigOptions c = config_options(options);
    return Impl::make(pipeline::load_pipeline_config(path, c), std::move(options));
}

Result<std::unique_ptr<Pipeline>> Pipeline::from_json(std::string_view document, PipelineOptions options,
                                                      const std::string& base_directory) {
    auto doc = pipeline::parse_config_text(document, "");
    if (!doc.is_ok()) return doc.status();
    const pipeline::ConfigOptions c = config_options(options);
    const std::filesystem::path base = base_directory.empty() ? "." : base_directory;
    return Impl::make(pipeline::parse_pipeline_config(doc.value(), base, c), std::move(options));
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(const PipelineSpec& spec, PipelineOptions options) {
    const pipeline::ConfigOptions c = config_options(options);
    const std::filesystem::path base = spec.base_directory.empty() ? "." : spec.base_directory;
    return Impl::make(pipeline::parse_pipeline_config(spec_json(spec), base, c), std::move(options));
}

Result<PipelineSummary> Pipeline::run() {
    if (impl_->ran.exchange(true)) return invalid_argument("pipeline: run() was called already; create a new one");
    auto result = impl_->runtime->run();
    if (!result.is_ok()) return result.status();
    const pipeline::PipelineSummary& s = result.value();
    PipelineSummary out;
    out.frames = s.frames;
    out.dropped = s.dropped;
    out.events = s.events;
    out.clips_lost = s.clips_lost;
    out.events_refused = s.events_refused;
    out.incomplete_clips_removed = s.incomplete_clips_removed;
    out.events_pending = s.events_pending;
    for (size_t i = 0; i < s.failed_sources.size(); ++i) {
        const pipeline::SourceError& e = s.failed_sources[i];
        out.source_errors.push_back(
            {e.source_id, e.uri, e.status, i < s.source_errors.size() ? s.source_errors[i] : ""});
    }
    out.lines = s.lines;
    out.stopped = impl_->stop_requested;
    return out;
}

void Pipeline::stop() {
    impl_->stop_requested = true;
    impl_->runtime->stop();
}

bool Pipeline::drain_events(std::chrono::milliseconds timeout) { return impl_->runtime->drain_events(timeout); }

std::vector<std::string> Pipeline::source_ids() const { return impl_->source_ids; }

int Pipeline::metrics_port() const { return impl_->runtime->metrics_port(); }

std::string Pipeline::metrics_text() const { return impl_->runtime->metrics().prometheus(); }

}  // namespace edgeinfer

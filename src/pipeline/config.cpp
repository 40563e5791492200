// Pipeline JSON → PipelineConfig: every object's keys, types and ranges checked, errors name the JSON path.
// Here the document and its sources, zones, lines and sinks; elements and rules have files of their own
// (config_elements.cpp, config_rules.cpp) over the reader in config_reader.hpp.
#include "pipeline/config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include "pipeline/config_reader.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::pipeline {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

bool is_live_uri(const std::string& uri) {
    return uri.rfind("v4l2:", 0) == 0 || uri.rfind("/dev/video", 0) == 0 || uri.rfind("tcp://", 0) == 0 ||
           uri.rfind("ipc://", 0) == 0;
}

// Files and folders are relative to the config file; cameras, URLs and patterns are left as they are.
std::string resolve_uri(const std::string& uri, const fs::path& base_dir) {
    if (uri.find("://") != std::string::npos || uri.rfind("v4l2:", 0) == 0 || uri.rfind("pattern:", 0) == 0 ||
        fs::path(uri).is_absolute())
        return uri;
    return (base_dir / uri).string();
}

void parse_sources(const Obj& top, PipelineConfig& c, const fs::path& base_dir) {
    const json& arr = top.array("sources", true);
    if (arr.empty()) fail(top.at("sources"), "at least one source is needed");
    std::set<std::string> ids;
    for (size_t i = 0; i < arr.size(); ++i) {
        Obj o(arr[i], top.at("sources") + "/" + std::to_string(i), {"id", "uri", "live", "loop", "rate", "queue_size"});
        SourceConfig s;
        s.uri = resolve_uri(o.str("uri", "", true), base_dir);
        s.id = o.str("id", "source" + std::to_string(i));
        check_unique(ids, s.id, o.has("id") ? o.at("id") : o.path(), "source id");
        s.live = o.boolean("live", is_live_uri(s.uri));
        s.loop = o.boolean("loop", false);
        s.rate = o.num("rate", 0.0, 0.0, 1e4);
        s.queue_size = o.integer("queue_size", 8, 1, 4096);
        c.sources.push_back(s);
    }
}

Point parse_point(const json& j, const std::string& path) {
    if (!j.is_array() || j.size() != 2 || !j[0].is_number() || !j[1].is_number())
        fail(path, "expected a point [x, y] of two numbers, got " + describe(j));
    for (size_t i = 0; i < 2; ++i) {
        const double d = j[i].get<double>();
        if (!(std::fabs(d) <= 1e7))
            fail(path + "/" + std::to_string(i), "value " + j[i].dump() + " out of range [-1e+07, 1e+07]");
    }
    return {j[0].get<float>(), j[1].get<float>()};
}

void parse_zones_and_lines(const Obj& top, PipelineConfig& c) {
    std::set<std::string> names;
    const json& zones = top.array("zones", false);
    for (size_t i = 0; i < zones.size(); ++i) {
        Obj o(zones[i], top.at("zones") + "/" + std::to_string(i), {"name", "polygon", "sources"});
        ZoneConfig z;
        z.name = o.str("name", "", true);
        if (z.name.find(',') != std::string::npos) fail(o.at("name"), "a zone name must not contain ','");
        check_unique(names, z.name, o.at("name"), "zone/line name");
        const json& poly = o.array("polygon", true);
        if (poly.size() < 3)
            fail(o.at("polygon"), "a polygon needs at least 3 points, got " + std::to_string(poly.size()));
        for (size_t k = 0; k < poly.size(); ++k)
            z.polygon.push_back(parse_point(poly[k], o.at("polygon") + "/" + std::to_string(k)));
        z.sources = o.strings("sources");
        check_sources(z.sources, c, o.at("sources"));
        c.zones.push_back(std::move(z));
    }
    const json& lines = top.array("lines", false);
    if (!lines.empty() && !c.has_element(ElementType::kTracker))
        fail(top.at("lines"), "line crossing follows tracks and needs a tracker element");
    for (size_t i = 0; i < lines.size(); ++i) {
        Obj o(lines[i], top.at("lines") + "/" + std::to_string(i),
              {"name", "points", "sources", "hysteresis", "count_each_track_once"});
        LineConfig l;
        l.name = o.str("name", "", true);
        check_unique(names, l.name, o.at("name"), "zone/line name");
        const json& pts = o.array("points", true);
        if (pts.size() != 2) fail(o.at("points"), "a line has exactly 2 points, got " + std::to_string(pts.size()));
        l.a = parse_point(pts[0], o.at("points") + "/0");
        l.b = parse_point(pts[1], o.at("points") + "/1");
        if (l.a.x == l.b.x && l.a.y == l.b.y) fail(o.at("points"), "the two points of a line must differ");
        l.sources = o.strings("sources");
        check_sources(l.sources, c, o.at("sources"));
        l.hysteresis = float(o.num("hysteresis", 2.0, 0.0, 1e6));
        l.count_each_track_once = o.boolean("count_each_track_once", true);
        c.lines.push_back(std::move(l));
    }
}

void parse_sinks(const Obj& top, PipelineConfig& c, const fs::path& base_dir) {
    const json& arr = top.array("sinks", false);
    std::set<std::string> ids;  // with the sinks elements added (aimeta's metadata sink)
    for (const SinkConfig& s : c.sinks) ids.insert(s.id);
    for (size_t i = 0; i < arr.size(); ++i) {
        const std::string path = top.at("sinks") + "/" + std::to_string(i);
        const json& j = arr[i];
        if (!j.is_object()) fail(path, "expected an object, got " + describe(j));
        if (!j.contains("type")) fail(path, "missing required key \"type\"");
        if (!j["type"].is_string()) fail(path + "/type", "expected a string, got " + describe(j["type"]));
        const std::string type = j["type"].get<std::string>();
        SinkConfig s;
        std::vector<std::string> keys = {"id", "type"};
        const std::vector<std::string> delivery = {"timeout_seconds", "retry_initial_seconds", "retry_max_seconds"};
        if (type == "metadata")
            s.type = SinkType::kMetadata, keys.push_back("path");
        else if (type == "video")
            s.type = SinkType::kVideo, keys.insert(keys.end(), {"path", "fps"});
        else if (type == "display")
            s.type = SinkType::kDisplay;
        else if (type == "file")
            s.type = SinkType::kFile, keys.push_back("path");
        else if (type == "webhook")
            s.type = SinkType::kWebhook, keys.insert(keys.end(), {"url", "headers"});
        else if (type == "mqtt")
            s.type = SinkType::kMqtt, keys.insert(keys.end(), {"host", "port", "topic", "qos", "client_id"});
        else
            fail(path + "/type",
                 "unknown sink " + q(type) + ", expected one of metadata, video, display, file, webhook, mqtt");
        if (is_event_sink(s.type)) keys.insert(keys.end(), delivery.begin(), delivery.end());
        Obj o(j, path, keys);
        s.id = o.str("id", type);
        check_unique(ids, s.id, o.has("id") ? o.at("id") : path, "sink id");
        if (s.type == SinkType::kMetadata || s.type == SinkType::kVideo || s.type == SinkType::kFile)
            s.path = resolve(o.str("path", "", true), base_dir);
        if (s.type == SinkType::kVideo) s.fps = o.num("fps", 0.0, 0.0, 1000.0);
        if (s.type == SinkType::kWebhook) {
            s.url = o.str("url", "", true);
            if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
                fail(o.at("url"), "expected an http:// or https:// URL, got " + q(s.url));
            if (o.has("headers")) {
                const json& h = o.get("headers");
                if (!h.is_object()) fail(o.at("headers"), "expected an object of strings, got " + describe(h));
                for (const auto& [k, v] : h.items()) {
                    if (!v.is_string()) fail(o.at("headers") + "/" + k, "expected a string, got " + describe(v));
                    s.headers[k] = v.get<std::string>();
                }
            }
        }
        if (s.type == SinkType::kMqtt) {
            s.host = o.str("host", "127.0.0.1");
            s.port = o.integer("port", 1883, 1, 65535);
            s.topic = o.str("topic", "edgeinfer/events");
            if (s.topic.empty() || s.topic.find_first_of("#+") != std::string::npos)
                fail(o.at("topic"), "a topic to publish to must be non-empty and have no wildcards (# +)");
            s.qos = o.integer("qos", 1, 0, 2);
            s.client_id = o.str("client_id", "edgeinfer-" + s.id);
        }
        if (is_event_sink(s.type)) {
            s.timeout_seconds = o.num("timeout_seconds", 5.0, 0.01, 3600.0);
            s.retry_initial_seconds = o.num("retry_initial_seconds", 0.2, 0.001, 3600.0);
            s.retry_max_seconds = o.num("retry_max_seconds", 10.0, s.retry_initial_seconds, 86400.0);
        }
        c.sinks.push_back(std::move(s));
    }
}

// Follows nlohmann's parser events to know the JSON path of the value being read, for the checks the
// parsed document can no longer show: nesting depth, duplicate keys, numbers beyond double's range.
class PathTracker {
  public:
    bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
        using E = json::parse_event_t;
        switch (event) {
            case E::object_start:
            case E::array_start: {
                if (levels_.size() >= size_t(kMaxConfigDepth))
                    fail(value_path(), "nested deeper than " + std::to_string(kMaxConfigDepth) + " levels (the limit)");
                levels_.push_back({event == E::object_start, value_path(), {}, {}, 0});
                break;
            }
            case E::key: {
                Level& l = levels_.back();
                l.key = parsed.get<std::string>();
                if (!l.keys.insert(l.key).second) fail(value_path(), "duplicate key " + q(l.key));
                break;
            }
            case E::object_end:
            case E::array_end:
                levels_.pop_back();
                next();
                break;
            case E::value:
                next();
                break;
        }
        return true;
    }
    // The path of the value being read now ("/" for the document).
    std::string value_path() const {
        if (levels_.empty()) return "";
        const Level& l = levels_.back();
        return l.path + "/" + (l.object ? l.key : std::to_string(l.index));
    }

  private:
    struct Level {
        bool object = false;
        std::string path;
        std::set<std::string> keys;
        std::string key;   // objects: the member being read
        size_t index = 0;  // arrays: the element being read
    };
    void next() {
        if (!levels_.empty() && !levels_.back().object) ++levels_.back().index;
    }
    std::vector<Level> levels_;
};

}  // namespace

Result<nlohmann::json> parse_config_text(std::string_view text, const std::string& what) {
    PathTracker tracker;
    const std::string prefix = what.empty() ? "" : what + ": ";
    try {
        return json::parse(text.begin(), text.end(), std::ref(tracker));
    } catch (const ConfigError& e) {
        return Status(e.code, prefix + e.path + ": " + e.message);
    } catch (const json::out_of_range& e) {  // 406: a number beyond double's range (1e400)
        std::string detail = e.what();
        const size_t at = detail.find("number overflow");
        if (at != std::string::npos) detail = detail.substr(at);
        const std::string path = tracker.value_path();
        return invalid_argument(prefix + (path.empty() ? "/" : path) +
                                ": number out of range (beyond +-1.8e308): " + detail);
    } catch (const json::parse_error& e) {
        return invalid_argument((what.empty() ? "pipeline config" : what) + ": not valid JSON: " + e.what());
    } catch (const json::exception& e) {
        return invalid_argument((what.empty() ? "pipeline config" : what) + ": " + e.what());
    }
}

std::string_view sink_type_name(SinkType t) {
    switch (t) {
        case SinkType::kMetadata:
            return "metadata";
        case SinkType::kVideo:
            return "video";
        case SinkType::kDisplay:
            return "display";
        case SinkType::kFile:
            return "file";
        case SinkType::kWebhook:
            return "webhook";
        case SinkType::kMqtt:
            return "mqtt";
    }
    return "?";
}

const SinkConfig* PipelineConfig::find_sink(const std::string& id) const {
    for (const auto& s : sinks)
        if (s.id == id) return &s;
    return nullptr;
}

bool PipelineConfig::has_element(ElementType t) const {
    return std::any_of(elements.begin(), elements.end(), [t](const ElementConfig& e) { return e.type == t; });
}

namespace {

// The class names an element's results take: its `labels`, else its model's sidecar's (empty when unknown).
std::vector<std::string> known_labels(const std::vector<std::string>& labels, const fs::path& model) {
    if (!labels.empty()) return labels;
    auto sidecar = vision::find_sidecar(model.string(), "");
    if (!sidecar.is_ok() || !sidecar.value()) return {};
    return sidecar.value()->labels;
}

}  // namespace

std::map<std::string, KeyInfo> available_keys(const PipelineConfig& c) {
    std::map<std::string, KeyInfo> keys;
    auto put = [&](const std::string& k, KeyScope s, KeyType t, const std::string& who,
                   std::vector<std::string> values = {}) {
        auto it = keys.find(k);
        // Two producers of one key: the values either gives (none known when one of them does not say).
        if (it != keys.end() && !it->second.values.empty() && !values.empty())
            values.insert(values.end(), it->second.values.begin(), it->second.values.end());
        else if (it != keys.end())
            values.clear();
        KeyInfo info;
        info.scope = s;
        info.type = t;
        info.producer = who;
        info.values = std::move(values);
        keys[k] = std::move(info);
    };
    auto probability = [&](const std::string& k, KeyScope s, const std::string& who) {
        put(k, s, KeyType::kNumber, who);
        keys[k].min = 0.0;
        keys[k].max = 1.0;
    };
    put("object_count", KeyScope::kFrame, KeyType::kNumber, "frame");
    put("frame_number", KeyScope::kFrame, KeyType::kNumber, "frame");
    put("timestamp", KeyScope::kFrame, KeyType::kNumber, "frame");
    for (const auto& e : c.elements) {
        if (e.type == ElementType::kInfer && e.infer.role == "detector") {
            put("label", KeyScope::kObject, KeyType::kString, e.name, known_labels(e.infer.labels, e.infer.model));
            probability("confidence", KeyScope::kObject, e.name);
            put("class_id", KeyScope::kObject, KeyType::kNumber, e.name);
        } else if (e.type == ElementType::kInfer) {
            put(e.infer.key_prefix + "predicted_class", KeyScope::kObject, KeyType::kString, e.name,
                known_labels(e.infer.labels, e.infer.model));
            probability(e.infer.key_prefix + "probability", KeyScope::kObject, e.name);
        } else if (e.type == ElementType::kTracker) {
            put("track_id", KeyScope::kObject, KeyType::kNumber, e.name);
            put("tracking_duration_in_seconds", KeyScope::kObject, KeyType::kNumber, e.name);
            put("tracking_ended_time", KeyScope::kObject, KeyType::kString, e.name);
            put("first_seen", KeyScope::kObject, KeyType::kString, e.name);
            put("last_seen", KeyScope::kObject, KeyType::kString, e.name);
        } else if (e.type == ElementType::kClipClassifier) {
            put(e.clip.key_prefix + "class", KeyScope::kFrame, KeyType::kString, e.name,
                known_labels(e.clip.labels, e.clip.model));
            probability(e.clip.key_prefix + "probability", KeyScope::kFrame, e.name);
        } else if (e.type == ElementType::kCustom) {
            for (const auto& [k, st] : e.custom.produces)
                put(k, st.first == "frame" ? KeyScope::kFrame : KeyScope::kObject,
                    st.second == "number" ? KeyType::kNumber : KeyType::kString, e.name);
        }
    }
    std::vector<std::string> source_ids;
    for (const auto& src : c.sources) source_ids.push_back(src.id);
    put("source_id", KeyScope::kFrame, KeyType::kString, "frame", source_ids);
    std::vector<std::string> zone_names;
    for (const auto& z : c.zones) zone_names.push_back(z.name);
    if (!c.zones.empty()) put("zone", KeyScope::kObject, KeyType::kString, "zones", zone_names);
    for (const auto& z : c.zones) put("zone_count." + z.name, KeyScope::kFrame, KeyType::kNumber, "zones");
    if (!c.lines.empty()) {
        std::vector<std::string> line_names;
        for (const auto& l : c.lines) line_names.push_back(l.name);
        put("line_crossed", KeyScope::kObject, KeyType::kString, "lines", line_names);
        put("crossing_direction", KeyScope::kObject, KeyType::kString, "lines", {"in", "out"});
    }
    for (const auto& l : c.lines) {
        put("line." + l.name + ".in", KeyScope::kFrame, KeyType::kNumber, "lines");
        put("line." + l.name + ".out", KeyScope::kFrame, KeyType::kNumber, "lines");
    }
    return keys;
}

Result<PipelineConfig> parse_pipeline_config(const nlohmann::json& document, const std::filesystem::path& base_dir,
                                             const ConfigOptions& options) {
    PipelineConfig c;
    try {
        Obj top(document, "",
                {"sources", "elements", "zones", "lines", "action_rules", "sinks", "spool_directory", "metrics_port"});
        parse_sources(top, c, base_dir);
        const json& elements = top.array("elements", false);
        for (size_t i = 0; i < elements.size(); ++i)
            parse_element(elements[i], top.at("elements") + "/" + std::to_string(i), i, c, base_dir);
        parse_zones_and_lines(top, c);
        parse_sinks(top, c, base_dir);
        parse_rules(top, c, base_dir, options);
        c.spool_directory = resolve(top.str("spool_directory", "spool"), base_dir);
        c.metrics_port = top.integer("metrics_port", 0, 0, 65535);
    } catch (const ConfigError& e) {
        return Status(e.code, e.path + ": " + e.message);
    } catch (const json::exception& e) {
        return invalid_argument(std::string("pipeline config: ") + e.what());
    }
    return c;
}

Result<PipelineConfig> load_pipeline_config(const std::filesystem::path& file, const ConfigOptions& options) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return not_found(file.string() + ": cannot open pipeline config");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto doc = parse_config_text(text, file.string());
    if (!doc.is_ok()) return doc.status();
    auto parsed =
        parse_pipeline_config(doc.value(), file.parent_path().empty() ? fs::path(".") : file.parent_path(), options);
    if (!parsed.is_ok()) return parsed.status().with_context(file.string());
    return parsed;
}

}  // namespace edgeinfer::pipeline

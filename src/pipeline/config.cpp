// Pipeline JSON → PipelineConfig: every object's keys, types and ranges checked, errors name the JSON path.
#include "pipeline/config.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>

#include "edgeinfer/precision.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::pipeline {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct ConfigError {
    std::string path;
    std::string message;
    StatusCode code = StatusCode::kInvalidArgument;
};

[[noreturn]] void fail(const std::string& path, const std::string& message,
                       StatusCode code = StatusCode::kInvalidArgument) {
    throw ConfigError{path.empty() ? "/" : path, message, code};
}

std::string q(const std::string& s) { return "\"" + s + "\""; }

std::string join_list(const std::vector<std::string>& items, const char* sep = ", ") {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    return out;
}

// A short rendering of a JSON value for messages.
std::string describe(const json& j) {
    std::string dumped = j.dump();
    if (dumped.size() > 40) dumped = dumped.substr(0, 37) + "...";
    return std::string(j.type_name()) + " " + dumped;
}

// One JSON object being read: unknown keys are rejected up front, getters check types and ranges.
class Obj {
  public:
    Obj(const json& j, std::string path, std::vector<std::string> allowed) : j_(j), path_(std::move(path)) {
        if (!j.is_object()) fail(path_, "expected an object, got " + describe(j));
        for (const auto& [key, value] : j.items()) {
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
                fail(at(key), "unknown key " + q(key) + ", expected one of " + join_list(allowed));
        }
    }
    const std::string& path() const { return path_; }
    std::string at(const std::string& key) const { return path_ + "/" + key; }
    bool has(const std::string& key) const { return j_.contains(key); }
    const json& get(const std::string& key) const { return j_.at(key); }
    const json& required(const std::string& key) const {
        if (!has(key)) fail(path_, "missing required key " + q(key));
        return j_.at(key);
    }

    std::string str(const std::string& key, const std::string& def, bool req = false) const {
        if (!has(key)) {
            if (req) fail(path_, "missing required key " + q(key));
            return def;
        }
        const json& v = j_.at(key);
        if (!v.is_string()) fail(at(key), "expected a string, got " + describe(v));
        if (req && v.get<std::string>().empty()) fail(at(key), "must not be empty");
        return v.get<std::string>();
    }
    double num(const std::string& key, double def, double lo, double hi) const {
        if (!has(key)) return def;
        const json& v = j_.at(key);
        if (!v.is_number()) fail(at(key), "expected a number, got " + describe(v));
        const double d = v.get<double>();
        if (d < lo || d > hi) fail(at(key), "value " + v.dump() + " out of range [" + fmt(lo) + ", " + fmt(hi) + "]");
        return d;
    }
    int integer(const std::string& key, int def, int lo, int hi) const {
        if (!has(key)) return def;
        const json& v = j_.at(key);
        if (!v.is_number_integer()) fail(at(key), "expected an integer, got " + describe(v));
        const int64_t i = v.get<int64_t>();
        if (i < lo || i > hi) fail(at(key), "value " + v.dump() + " out of range [" + fmt(lo) + ", " + fmt(hi) + "]");
        return int(i);
    }
    bool boolean(const std::string& key, bool def) const {
        if (!has(key)) return def;
        const json& v = j_.at(key);
        if (!v.is_boolean()) fail(at(key), "expected true or false, got " + describe(v));
        return v.get<bool>();
    }
    std::vector<std::string> strings(const std::string& key) const {
        std::vector<std::string> out;
        if (!has(key)) return out;
        const json& v = j_.at(key);
        if (!v.is_array()) fail(at(key), "expected an array of strings, got " + describe(v));
        for (size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_string()) fail(at(key) + "/" + std::to_string(i), "expected a string, got " + describe(v[i]));
            out.push_back(v[i].get<std::string>());
        }
        return out;
    }
    const json& array(const std::string& key, bool req) const {
        static const json empty = json::array();
        if (!has(key)) {
            if (req) fail(path_, "missing required key " + q(key));
            return empty;
        }
        const json& v = j_.at(key);
        if (!v.is_array()) fail(at(key), "expected an array, got " + describe(v));
        return v;
    }

  private:
    static std::string fmt(double d) {
        std::ostringstream s;
        s.precision(15);
        s << d;
        return s.str();
    }
    const json& j_;
    std::string path_;
};

fs::path existing_file(const Obj& o, const std::string& key, const fs::path& base_dir, const char* what) {
    const std::string text = o.str(key, "", true);
    fs::path p = fs::path(text).is_absolute() ? fs::path(text) : base_dir / text;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
        fail(o.at(key), std::string(what) + " not found: " + p.string(), StatusCode::kNotFound);
    return p;
}

fs::path resolve(const fs::path& p, const fs::path& base_dir) { return p.is_absolute() ? p : base_dir / p; }

void check_unique(std::set<std::string>& seen, const std::string& id, const std::string& path, const char* what) {
    if (!seen.insert(id).second) fail(path, std::string("duplicate ") + what + " " + q(id));
}

void check_sources(const std::vector<std::string>& names, const PipelineConfig& c, const std::string& path) {
    for (size_t i = 0; i < names.size(); ++i) {
        const bool known =
            std::any_of(c.sources.begin(), c.sources.end(), [&](const SourceConfig& s) { return s.id == names[i]; });
        if (!known) fail(path + "/" + std::to_string(i), "no source has id " + q(names[i]));
    }
}

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

// "precision": one of fp32, bf16, int8; "" when absent (the runner's default).
std::string parse_precision(const Obj& o) {
    const std::string p = o.str("precision", "");
    if (o.has("precision") && !edgeinfer::parse_precision(p).is_ok())
        fail(o.at("precision"), "unknown precision " + q(p) + ", expected one of fp32, bf16, int8");
    return p;
}

// "tactics": one of fast, timed, direct-only (docs/tactics.md); "" when absent (the runner's default).
std::string parse_tactics(const Obj& o) {
    const std::string t = o.str("tactics", "");
    if (o.has("tactics") && !edgeinfer::parse_tactic_mode(t).is_ok())
        fail(o.at("tactics"), "unknown tactics " + q(t) + ", expected one of " + edgeinfer::tactic_mode_choices());
    return t;
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

const std::vector<std::string>& preprocess_keys() {
    static const std::vector<std::string> keys = {"size", "resize", "interpolation", "mean",
                                                  "std",  "scale",  "color_order",   "layout"};
    return keys;
}

// A number list as the CLI flag's text ("0.5,0.5,0.5"): from a JSON array of numbers, or a string.
std::string channel_text(const Obj& o, const std::string& key) {
    const json& v = o.get(key);
    if (v.is_string()) return v.get<std::string>();
    if (!v.is_array() && !v.is_number())
        fail(o.at(key), "expected an array of 1 to 4 numbers (one per channel), got " + describe(v));
    const json arr = v.is_array() ? v : json::array({v});
    std::string text;
    for (size_t i = 0; i < arr.size(); ++i) {
        if (!arr[i].is_number())
            fail(o.at(key) + "/" + std::to_string(i), "expected a number, got " + describe(arr[i]));
        text += (i ? "," : "") + arr[i].dump();
    }
    return text;
}

// The sidecar's preprocessing keys on an element, checked by the same parsers as the vision commands' flags
// (vision/preprocess.hpp); each error names the key.
vision::PreprocessOverrides parse_preprocess_keys(const Obj& o) {
    vision::PreprocessOverrides p;
    auto check = [&](const std::string& key, const auto& result) {
        if (!result.is_ok()) fail(o.at(key), result.status().message());
        return result.value();
    };
    if (o.has("size")) {
        const json& v = o.get("size");
        std::string text;
        if (v.is_string())
            text = v.get<std::string>();
        else if (v.is_number_integer())
            text = v.dump();
        else if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer())
            text = v[0].dump() + "x" + v[1].dump();
        else
            fail(o.at("size"), "expected \"WxH\", [W, H] or one number for a square, got " + describe(v));
        p.size = check("size", vision::parse_size_flag(text));
    }
    if (o.has("resize")) p.resize = check("resize", vision::parse_resize_mode(o.str("resize", "")));
    if (o.has("interpolation"))
        p.interpolation = check("interpolation", vision::parse_interpolation(o.str("interpolation", "")));
    if (o.has("mean")) p.mean = check("mean", vision::parse_channel_values(channel_text(o, "mean"), "mean"));
    if (o.has("std")) p.std = check("std", vision::parse_std_values(channel_text(o, "std"), "std"));
    if (o.has("scale")) {
        // The sidecar's meaning: pixels are multiplied by it before mean/std.
        const double scale = o.num("scale", 0.0, 0.0, 1e6);
        if (!(scale > 0.0) || scale > 1.0)
            fail(o.at("scale"), "value " + o.get("scale").dump() +
                                    ": scale multiplies pixel values before mean/std, as in the sidecar: "
                                    "0.00392156862745098 (1/255) for inputs 0..1, 1 for inputs 0..255");
        p.scale = scale;
    }
    if (o.has("color_order")) {
        const std::string order = o.str("color_order", "");
        p.color = check("color_order", edgeinfer::parse_color_order(order));
    }
    if (o.has("layout")) p.layout = check("layout", edgeinfer::parse_layout(o.str("layout", "")));
    return p;
}

void parse_infer(const Obj& o, ElementConfig& e, const PipelineConfig& c, const fs::path& base_dir) {
    InferConfig& in = e.infer;
    in.role = o.str("role", "detector");
    if (in.role != "detector" && in.role != "classifier")
        fail(o.at("role"), "unknown role " + q(in.role) + ", expected one of detector, classifier");
    in.model = existing_file(o, "model", base_dir, "model file");
    in.task = o.str("task", "");
    in.labels = o.strings("labels");
    in.interval = o.integer("interval", 1, 1, 1 << 20);
    in.confidence_threshold = o.num("confidence_threshold", 0.25, 0.0, 1.0);
    in.nms_iou_threshold = o.num("nms_iou_threshold", 0.45, 0.0, 1.0);
    in.operate_on_classes = o.strings("operate_on_classes");
    in.every_n_frames = o.integer("every_n_frames", 0, 0, 1 << 20);
    in.square_crop = o.boolean("square_crop", true);
    in.batch_size = o.integer("batch_size", 1, 1, 1024);
    in.batch_timeout_ms = o.num("batch_timeout_ms", in.batch_timeout_ms, 0.0, 1000.0);
    in.precision = parse_precision(o);
    in.tactics = parse_tactics(o);
    in.key_prefix = o.str("key_prefix", "");
    in.input_width = o.integer("input_width", 0, 0, 16384);
    in.input_height = o.integer("input_height", 0, 0, 16384);
    in.preprocess = parse_preprocess_keys(o);
    if (in.preprocess.size && (o.has("input_width") || o.has("input_height")))
        fail(o.at("size"), "give the input size once: \"size\" or input_width/input_height");
    if (in.input_width > 0 && in.input_height > 0) in.preprocess.size = std::make_pair(in.input_width, in.input_height);
    if (in.role == "detector") {
        for (const char* k : {"operate_on_classes", "every_n_frames", "square_crop", "key_prefix"})
            if (o.has(k)) fail(o.at(k), std::string("only for role classifier"));
        return;
    }
    for (const char* k : {"interval", "confidence_threshold", "nms_iou_threshold", "batch_timeout_ms"})
        if (o.has(k)) fail(o.at(k), std::string("only for role detector"));
    const ElementConfig* detector = nullptr;
    for (const auto& prev : c.elements)
        if (prev.type == ElementType::kInfer && prev.infer.role == "detector") detector = &prev;
    if (!detector) fail(o.at("role"), "a classifier works on object crops and needs a detector element before it");
    if (!detector->infer.labels.empty()) {
        for (size_t i = 0; i < in.operate_on_classes.size(); ++i) {
            const auto& labels = detector->infer.labels;
            if (std::find(labels.begin(), labels.end(), in.operate_on_classes[i]) == labels.end())
                fail(o.at("operate_on_classes") + "/" + std::to_string(i), "the detector has no class " +
                                                                               q(in.operate_on_classes[i]) +
                                                                               " (labels: " + join_list(labels) + ")");
        }
    }
}

void parse_element(const json& j, const std::string& path, size_t index, PipelineConfig& c, const fs::path& base_dir) {
    if (!j.is_object()) fail(path, "expected an object, got " + describe(j));
    if (!j.contains("type")) fail(path, "missing required key \"type\"");
    if (!j["type"].is_string()) fail(path + "/type", "expected a string, got " + describe(j["type"]));
    const std::string type = j["type"].get<std::string>();
    ElementConfig e;
    e.path = path;
    std::vector<std::string> keys = {"type", "name"};
    auto add = [&](std::initializer_list<const char*> more) { keys.insert(keys.end(), more.begin(), more.end()); };
    if (type == "infer") {
        e.type = ElementType::kInfer;
        add({"role", "model", "task", "labels", "interval", "confidence_threshold", "nms_iou_threshold",
             "operate_on_classes", "every_n_frames", "square_crop", "batch_size", "key_prefix", "input_width",
             "input_height", "batch_timeout_ms", "precision", "tactics", "engine", "engine_cache"});
        keys.insert(keys.end(), preprocess_keys().begin(), preprocess_keys().end());
    } else if (type == "tracker") {
        e.type = ElementType::kTracker;
        add({"mode", "matching", "iou_threshold", "min_hits", "max_age", "match_classes"});
    } else if (type == "clip_classifier") {
        e.type = ElementType::kClipClassifier;
        add({"model", "labels", "window", "stride", "key_prefix", "precision", "tactics", "engine", "engine_cache"});
        keys.insert(keys.end(), preprocess_keys().begin(), preprocess_keys().end());
    } else if (type == "custom") {
        e.type = ElementType::kCustom;
        add({"library", "config", "produces"});
    } else if (type == "overlay") {
        e.type = ElementType::kOverlay;
        add({"boxes", "labels", "track_ids", "scores", "fps"});
    } else if (type == "python" || type == "empycustom") {
        // Python elements are served by the Python package, which rewrites them (and EDGEMATRIX Stream's
        // "empycustom" spelling) before the config gets here.
        fail(path + "/type",
             "a " + type +
                 " element runs only inside Python: run this config with `python3 -m edgeinfer pipeline "
                 "CONFIG` (or edgeinfer.Pipeline.from_file), with the edgeinfer package on PYTHONPATH");
    } else if (type == "aimeta") {
        // EDGEMATRIX Stream's AI-metadata element: here the output stage always builds every frame's metadata
        // and evaluates the rules on it, so it adds no element; "path" writes that metadata as JSON lines
        // (a metadata sink whose id is the element's name).
        Obj o(j, path, {"type", "name", "path"});
        if (o.has("path")) {
            SinkConfig s;
            s.id = o.str("name", "aimeta");
            s.type = SinkType::kMetadata;
            s.path = resolve(o.str("path", "", true), base_dir);
            if (c.find_sink(s.id)) fail(o.has("name") ? o.at("name") : path, "duplicate sink id " + q(s.id));
            c.sinks.push_back(std::move(s));
        }
        return;
    } else {
        fail(path + "/type",
             "unknown element " + q(type) +
                 ", expected one of infer, tracker, clip_classifier, custom, overlay, python (and the EDGEMATRIX "
                 "Stream names aimeta, empycustom)");
    }
    Obj o(j, path, keys);
    e.name = o.str("name", type + std::to_string(index));
    for (const auto& prev : c.elements)
        if (prev.name == e.name) fail(o.has("name") ? o.at("name") : path, "duplicate element name " + q(e.name));
    const bool has_detector = c.has_element(ElementType::kInfer) &&
                              std::any_of(c.elements.begin(), c.elements.end(),
                                          [](const ElementConfig& p) { return p.infer.role == "detector"; });
    switch (e.type) {
        case ElementType::kInfer:
            parse_infer(o, e, c, base_dir);
            break;
        case ElementType::kTracker: {
            if (!has_detector)
                fail(path + "/type", "a tracker needs a detector element (infer, role detector) before it");
            if (c.has_element(ElementType::kTracker)) fail(path + "/type", "only one tracker element is allowed");
            TrackerConfig& t = e.tracker;
            const std::string mode = o.str("mode", "iou");
            if (mode == "iou")
                t.mode = TrackerMode::kIou;
            else if (mode == "sort")
                t.mode = TrackerMode::kSort;
            else
                fail(o.at("mode"), "unknown tracker mode " + q(mode) + ", expected one of iou, sort");
            const std::string matching = o.str("matching", "greedy");
            if (matching == "greedy")
                t.matching = Matching::kGreedy;
            else if (matching == "hungarian")
                t.matching = Matching::kHungarian;
            else
                fail(o.at("matching"), "unknown matching " + q(matching) + ", expected one of greedy, hungarian");
            t.iou_threshold = o.num("iou_threshold", 0.3, 0.0, 1.0);
            t.min_hits = o.integer("min_hits", 3, 1, 1000);
            t.max_age = o.integer("max_age", 30, 0, 100000);
            t.match_classes = o.boolean("match_classes", true);
            break;
        }
        case ElementType::kClipClassifier:
            e.clip.model = existing_file(o, "model", base_dir, "model file");
            e.clip.labels = o.strings("labels");
            e.clip.window = o.integer("window", 16, 1, 4096);
            e.clip.stride = o.integer("stride", 8, 1, 4096);
            e.clip.key_prefix = o.str("key_prefix", "clip_");
            e.clip.precision = parse_precision(o);
            e.clip.tactics = parse_tactics(o);
            e.clip.preprocess = parse_preprocess_keys(o);
            break;
        case ElementType::kCustom: {
            e.custom.library = existing_file(o, "library", base_dir, "shared library");
            if (o.has("config")) e.custom.config = o.get("config");
            if (o.has("produces")) {
                const json& p = o.get("produces");
                if (!p.is_object())
                    fail(o.at("produces"), "expected an object {key: {scope, type}}, got " + describe(p));
                for (const auto& [key, spec] : p.items()) {
                    Obj s(spec, o.at("produces") + "/" + key, {"scope", "type"});
                    const std::string scope = s.str("scope", "object");
                    const std::string vtype = s.str("type", "", true);
                    if (scope != "object" && scope != "frame")
                        fail(s.at("scope"), "unknown scope " + q(scope) + ", expected one of object, frame");
                    if (vtype != "number" && vtype != "string")
                        fail(s.at("type"), "unknown type " + q(vtype) + ", expected one of number, string");
                    e.custom.produces[key] = {scope, vtype};
                }
            }
            break;
        }
        case ElementType::kOverlay:
            e.overlay.boxes = o.boolean("boxes", true);
            e.overlay.labels = o.boolean("labels", true);
            e.overlay.track_ids = o.boolean("track_ids", true);
            e.overlay.scores = o.boolean("scores", true);
            e.overlay.fps = o.boolean("fps", true);
            break;
    }
    if (o.has("engine") && o.has("engine_cache"))
        fail(o.at("engine_cache"), "give \"engine\" or \"engine_cache\", not both");
    for (auto [key, out] : {std::pair{"engine", &e.engine}, std::pair{"engine_cache", &e.engine_cache}}) {
        const std::string text = o.str(key, "");
        if (o.has(key) && text.empty()) fail(o.at(key), "expected a path, got \"\"");
        if (!text.empty()) *out = resolve(text, base_dir);
    }
    c.elements.push_back(std::move(e));
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

// Where a key comes from when the configuration lacks its producer, for the error message.
std::string producer_hint(const std::string& key) {
    static const std::map<std::string, std::string> hints = {
        {"label", "an infer element with role detector"},
        {"confidence", "an infer element with role detector"},
        {"class_id", "an infer element with role detector"},
        {"predicted_class", "an infer element with role classifier"},
        {"probability", "an infer element with role classifier"},
        {"track_id", "a tracker element"},
        {"tracking_duration_in_seconds", "a tracker element"},
        {"tracking_ended_time", "a tracker element"},
        {"first_seen", "a tracker element"},
        {"last_seen", "a tracker element"},
        {"zone", "zones"},
        {"line_crossed", "lines"},
        {"crossing_direction", "lines"},
    };
    auto it = hints.find(key);
    return it == hints.end() ? "" : " (it comes from " + it->second + ")";
}

const std::vector<std::string>& operator_names() {
    static const std::vector<std::string> names = {">", ">=", "<", "<=", "==", "!="};
    return names;
}

// What the conditions of one rule are read against.
struct RuleContext {
    const std::map<std::string, KeyInfo>& keys;
    const std::string& rule_name;
    bool& per_object;  // set when a condition reads a per-object key
};

Condition parse_condition(const json& j, const std::string& path, RuleContext& rule, int depth);

// `depth`: how many condition lists enclose this one (a rule's own "and"/"or" is 1).
std::vector<Condition> parse_condition_list(const json& arr, const std::string& path, RuleContext& rule,
                                            int depth = 1) {
    if (depth > kMaxConditionDepth)
        fail(path, "conditions nested deeper than " + std::to_string(kMaxConditionDepth) + " levels (the limit)");
    if (!arr.is_array()) fail(path, "expected an array of conditions, got " + describe(arr));
    std::vector<Condition> out;
    for (size_t i = 0; i < arr.size(); ++i)
        out.push_back(parse_condition(arr[i], path + "/" + std::to_string(i), rule, depth));
    return out;
}

std::string number_text(double d) {
    std::ostringstream s;
    s.precision(6);
    s << d;
    return s.str();
}

// A comparison that no value of the key can satisfy (a probability above 1, a class its producer does not
// have) is a config error naming the rule, with a hint.
void check_reachable(const Condition& c, const KeyInfo& info, const std::string& path, const std::string& rule) {
    const std::string where = "rule " + q(rule) + ": " +
                              q(c.key + " " + std::string(compare_op_name(c.op)) + " " + value_to_string(c.value)) +
                              " can never hold";
    if (const double* v = std::get_if<double>(&c.value)) {
        bool never = false;
        switch (c.op) {
            case CompareOp::kGt:
                never = *v >= info.max;
                break;
            case CompareOp::kGe:
                never = *v > info.max;
                break;
            case CompareOp::kLt:
                never = *v <= info.min;
                break;
            case CompareOp::kLe:
                never = *v < info.min;
                break;
            case CompareOp::kEq:
                never = *v < info.min || *v > info.max;
                break;
            case CompareOp::kNe:
                break;
        }
        if (!never) return;
        std::string hint = ": " + c.key + " is " + number_text(info.min) + ".." + number_text(info.max);
        if (info.min == 0.0 && info.max == 1.0 && *v > 1.0 && *v <= 100.0) {
            char buf[32];
            std::snprintf(buf, sizeof(buf), "%.2f", *v / 100.0);
            hint += "; did you mean " + std::string(buf) + "?";
        }
        fail(path, where + hint);
    }
    const std::string& s = std::get<std::string>(c.value);
    // "" is what zone, line_crossed and crossing_direction hold when there is none.
    if (info.values.empty() || s.empty() || (c.op != CompareOp::kEq && c.op != CompareOp::kNe)) return;
    if (std::find(info.values.begin(), info.values.end(), s) != info.values.end()) return;
    fail(path, "rule " + q(rule) + ": " + q(s) + " is not a value of " + q(c.key) + " (from " + info.producer +
                   "), which is one of: " + join_list(info.values));
}

Condition parse_condition(const json& j, const std::string& path, RuleContext& rule, int depth) {
    const auto& keys = rule.keys;
    Condition c;
    c.path = path;
    if (j.is_object() && (j.contains("and") || j.contains("or"))) {
        const bool is_and = j.contains("and");
        Obj o(j, path, {is_and ? "and" : "or"});
        c.kind = is_and ? Condition::Kind::kAnd : Condition::Kind::kOr;
        c.children = parse_condition_list(o.get(is_and ? "and" : "or"), o.at(is_and ? "and" : "or"), rule, depth + 1);
        if (c.children.empty()) fail(o.at(is_and ? "and" : "or"), "needs at least one condition");
        return c;
    }
    Obj o(j, path, {"key", "operator", "value", "and", "or"});
    c.key = o.str("key", "", true);
    const std::string op = o.str("operator", "", true);
    const auto& ops = operator_names();
    auto it = std::find(ops.begin(), ops.end(), op);
    if (it == ops.end())
        fail(o.at("operator"), "unknown operator " + q(op) + ", expected one of " + join_list(ops, " "));
    c.op = static_cast<CompareOp>(it - ops.begin());
    const json& v = o.required("value");
    if (v.is_number())
        c.value = v.get<double>();
    else if (v.is_string())
        c.value = v.get<std::string>();
    else
        fail(o.at("value"), "expected a number or a string, got " + describe(v));
    auto k = keys.find(c.key);
    if (k == keys.end()) {
        std::vector<std::string> names;
        for (const auto& [name, info] : keys) names.push_back(name);
        // A prefixed key of the same result (clip_probability for probability): name it first.
        std::string similar;
        for (const auto& [name, info] : keys)
            if (name.size() > c.key.size() && name.compare(name.size() - c.key.size(), c.key.size(), c.key) == 0)
                similar += (similar.empty() ? "; did you mean " : " or ") + q(name) + " (from " + info.producer + ")";
        fail(o.at("key"), "no configured element produces key " + q(c.key) + producer_hint(c.key) + similar +
                              "; keys available: " + join_list(names));
    }
    const bool want_number = k->second.type == KeyType::kNumber;
    if (want_number != v.is_number())
        fail(o.at("value"),
             "key " + q(c.key) + " is a " + (want_number ? "number" : "string") + ", got " + describe(v));
    check_reachable(c, k->second, o.at("value"), rule.rule_name);
    if (k->second.scope == KeyScope::kObject) rule.per_object = true;
    return c;
}

ActionConfig parse_action(const json& j, const std::string& path, const PipelineConfig& c, const fs::path& base_dir,
                          const ConfigOptions& options) {
    ActionConfig a;
    json obj = j.is_string() ? json{{"type", j}} : j;
    // EDGEMATRIX Stream / DeepStream-style tools name the action "action_name"; it means "type".
    std::string type_key = "type";
    if (obj.is_object() && obj.contains("action_name")) {
        if (obj.contains("type")) fail(path + "/action_name", "give the action once: \"type\" or \"action_name\"");
        type_key = "action_name";
    }
    const std::vector<std::string> record_keys = {
        "pre_seconds", "duration_in_seconds", "max_duration_in_seconds", "directory", "fps", "min_free_mb"};
    if (obj.is_object() && obj.contains(type_key) && obj[type_key] == "upload") {
        // An upload action with more than sinks asks for the video itself to be sent (a cloud video stream).
        for (const auto& [key, value] : obj.items()) {
            if (key == type_key || key == "sinks") continue;
            fail(path + "/" + key,
                 "an upload action with " + q(key) +
                     " asks for a video upload to a cloud stream, which edgeinfer does not do; record the clip "
                     "on disk and send the event with the clip's path to a webhook or mqtt sink instead: "
                     "{\"" +
                     type_key +
                     "\": \"record\", \"duration_in_seconds\": ..., \"sinks\": [\"<webhook or "
                     "mqtt sink id>\"]} (docs/pipeline.md, Accepted spellings)");
        }
    }
    std::vector<std::string> allowed = {type_key, "sinks"};
    allowed.insert(allowed.end(), record_keys.begin(), record_keys.end());
    Obj o(obj, path, allowed);
    const std::string type = o.str(type_key, "", true);
    if (type == "record")
        a.type = ActionType::kRecord;
    else if (type == "publish" || type == "upload")
        a.type = ActionType::kPublish;
    else
        fail(j.is_string() ? path : o.at(type_key),
             "unknown action " + q(type) + ", expected one of record, publish, upload");
    a.sinks = o.strings("sinks");
    for (size_t i = 0; i < a.sinks.size(); ++i) {
        const SinkConfig* s = c.find_sink(a.sinks[i]);
        const std::string p = o.at("sinks") + "/" + std::to_string(i);
        if (!s) fail(p, "no sink has id " + q(a.sinks[i]));
        if (!is_event_sink(s->type))
            fail(p, "sink " + q(a.sinks[i]) + " is a " + std::string(sink_type_name(s->type)) +
                        " sink; events go to file, webhook or mqtt sinks");
    }
    if (a.type == ActionType::kPublish) {
        if (a.sinks.empty() && !options.events_to_callback)
            fail(j.is_string() ? path : o.path(),
                 (type == "upload" ? "an " : "a ") + type + " action needs \"sinks\": the event sinks to send to");
        for (const std::string& k : record_keys)
            if (o.has(k)) fail(o.at(k), "only for a record action");
        return a;
    }
    a.pre_seconds = o.num("pre_seconds", 5.0, 0.0, 3600.0);
    a.duration_in_seconds = o.num("duration_in_seconds", 10.0, 0.0, 86400.0);
    a.max_duration_in_seconds = o.num("max_duration_in_seconds", std::max(60.0, a.duration_in_seconds), 0.001, 86400.0);
    if (a.max_duration_in_seconds < a.duration_in_seconds)
        fail(o.at("max_duration_in_seconds"), "must be at least duration_in_seconds");
    a.directory = resolve(o.str("directory", "recordings"), base_dir);
    a.fps = o.num("fps", 0.0, 0.0, 1000.0);
    a.min_free_mb = o.num("min_free_mb", 64.0, 0.0, 1048576.0);
    return a;
}

void parse_rules(const Obj& top, PipelineConfig& c, const fs::path& base_dir, const ConfigOptions& options) {
    const auto keys = available_keys(c);
    const json& arr = top.array("action_rules", false);
    std::set<std::string> names;
    for (size_t i = 0; i < arr.size(); ++i) {
        Obj o(arr[i], top.at("action_rules") + "/" + std::to_string(i),
              {"rule_name", "and", "or", "action", "cooldown_seconds", "sources"});
        RuleConfig r;
        r.path = o.path();
        r.rule_name = o.str("rule_name", "", true);
        check_unique(names, r.rule_name, o.at("rule_name"), "rule_name");
        RuleContext context{keys, r.rule_name, r.per_object};
        if (o.has("and")) r.all = parse_condition_list(o.get("and"), o.at("and"), context);
        if (o.has("or")) r.any = parse_condition_list(o.get("or"), o.at("or"), context);
        if (r.all.empty() && r.any.empty()) fail(o.path(), "a rule needs at least one condition in \"and\" or \"or\"");
        r.action = parse_action(o.required("action"), o.at("action"), c, base_dir, options);
        r.cooldown_seconds = o.num("cooldown_seconds", 0.0, 0.0, 1e7);
        r.sources = o.strings("sources");
        check_sources(r.sources, c, o.at("sources"));
        c.action_rules.push_back(std::move(r));
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

std::string_view element_type_name(ElementType t) {
    switch (t) {
        case ElementType::kInfer:
            return "infer";
        case ElementType::kTracker:
            return "tracker";
        case ElementType::kClipClassifier:
            return "clip_classifier";
        case ElementType::kCustom:
            return "custom";
        case ElementType::kOverlay:
            return "overlay";
    }
    return "?";
}

std::string_view compare_op_name(CompareOp op) { return operator_names()[static_cast<size_t>(op)]; }

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

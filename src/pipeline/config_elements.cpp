// Pipeline config "elements": each element type's keys (infer, tracker, clip_classifier, custom, overlay and the
// EDGEMATRIX Stream spellings), the preprocessing keys they share with the model sidecar, and their name table.
#include <algorithm>
#include <string>
#include <vector>

#include "edgeinfer/precision.hpp"
#include "pipeline/config_reader.hpp"

namespace edgeinfer::pipeline {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

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

}  // namespace

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

}  // namespace edgeinfer::pipeline

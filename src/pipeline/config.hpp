// pipeline::PipelineConfig: the typed form of a pipeline JSON document (sources, elements, zones,
// lines, action_rules, sinks) and the parser that rejects bad documents with the JSON path at fault.
#pragma once

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgeinfer/status.hpp"
#include "pipeline/metadata.hpp"
#include "vision/preprocess.hpp"

namespace edgeinfer::pipeline {

struct SourceConfig {
    std::string id;
    std::string uri;     // any DATASPEC (io::open_source)
    bool live = false;   // live sources drop the oldest frame when downstream is slow; files never drop
    bool loop = false;   // video files: start again at the end
    double rate = 0.0;   // frames per second to read at (0 = as fast as downstream takes them)
    int queue_size = 8;  // frames buffered between the source and the first element
};

enum class ElementType { kInfer, kTracker, kClipClassifier, kCustom, kOverlay };
std::string_view element_type_name(ElementType t);

struct InferConfig {
    std::string role = "detector";                // "detector" (whole frames) or "classifier" (object crops)
    std::filesystem::path model;                  // resolved against the config file's folder
    std::string task;                             // head, e.g. "yolo", "ssd" (detector) or "softmax" (classifier)
    std::vector<std::string> labels;              // class names, index = class id
    int interval = 1;                             // detector: run every `interval` frames
    double confidence_threshold = 0.25;           // detector
    double nms_iou_threshold = 0.45;              // detector
    std::vector<std::string> operate_on_classes;  // classifier: labels to classify (empty = all)
    int every_n_frames = 0;                       // classifier: 0 = only when a track is new, N = also every N frames
    bool square_crop = true;                      // classifier: expand the crop to a square where the frame allows
    int batch_size = 1;                           // detector: frames per run (across sources); classifier: crops
    double batch_timeout_ms = 5.0;                // detector: the longest wait for a batch to fill
    std::string precision;                        // fp32, bf16, int8; "" = the runner's default
    std::string tactics;                          // fast, timed, direct-only; "" = the runner's default
    std::string key_prefix;                       // classifier: keys are <prefix>predicted_class, <prefix>probability
    int input_width = 0, input_height = 0;        // 0 = from the model
    // The sidecar's preprocessing keys given on the element (size, resize, interpolation, mean, std, scale,
    // color_order, layout): they override the model's sidecar, as the vision commands' flags do.
    vision::PreprocessOverrides preprocess;
};

enum class TrackerMode { kIou, kSort };
enum class Matching { kGreedy, kHungarian };
struct TrackerConfig {
    TrackerMode mode = TrackerMode::kIou;
    Matching matching = Matching::kGreedy;
    double iou_threshold = 0.3;  // a detection matches a track when their IoU is at least this
    int min_hits = 3;            // a track gets its id after this many matched frames
    int max_age = 30;            // a track ends after this many frames without a match
    bool match_classes = true;   // only match detections of the track's class
};

struct ClipClassifierConfig {
    std::filesystem::path model;
    std::vector<std::string> labels;
    int window = 16;                         // T frames
    int stride = 8;                          // S frames between classifications
    std::string key_prefix = "clip_";        // frame keys <prefix>class, <prefix>probability
    std::string precision;                   // fp32, bf16, int8; "" = the runner's default
    std::string tactics;                     // fast, timed, direct-only; "" = the runner's default
    vision::PreprocessOverrides preprocess;  // as InferConfig::preprocess
};

struct CustomConfig {
    std::filesystem::path library;                     // shared library with the C ABI (docs/pipeline.md)
    nlohmann::json config = nlohmann::json::object();  // passed to the library as it is
    // Keys the library adds: key -> (scope "object"/"frame", type "number"/"string").
    std::map<std::string, std::pair<std::string, std::string>> produces;
};

struct OverlayConfig {
    bool boxes = true, labels = true, track_ids = true, scores = true, fps = true;
};

struct ElementConfig {
    ElementType type = ElementType::kInfer;
    std::string name;
    std::string path;  // JSON path, for runtime messages
    InferConfig infer;
    TrackerConfig tracker;
    ClipClassifierConfig clip;
    CustomConfig custom;
    OverlayConfig overlay;
    // infer and clip_classifier: "engine" (an engine file, rebuilt when stale) or "engine_cache" (a folder,
    // SessionOptions::engine_cache_dir), resolved against the config file's folder; empty when absent.
    std::filesystem::path engine, engine_cache;
};

struct Point {
    float x = 0, y = 0;
};

struct ZoneConfig {
    std::string name;
    std::vector<Point> polygon;        // pixels, at least three points
    std::vector<std::string> sources;  // empty = every source
};

struct LineConfig {
    std::string name;
    Point a, b;  // "in" = the anchor moves from the left of a->b to its right (see docs)
    std::vector<std::string> sources;
    float hysteresis = 2.0f;            // pixels either side of the line that do not count as a side
    bool count_each_track_once = true;  // a track counts at most once per direction
};

enum class CompareOp { kGt, kGe, kLt, kLe, kEq, kNe };
std::string_view compare_op_name(CompareOp op);

// A node of a rule: a comparison {key, operator, value}, or a nested {"and": [...]} / {"or": [...]}.
struct Condition {
    enum class Kind { kCompare, kAnd, kOr };
    Kind kind = Kind::kCompare;
    std::string key;
    CompareOp op = CompareOp::kEq;
    Value value;
    std::vector<Condition> children;
    std::string path;  // JSON path of this node
};

enum class ActionType { kRecord, kPublish };  // "upload" is a synonym of "publish"
struct ActionConfig {
    ActionType type = ActionType::kPublish;
    std::vector<std::string> sinks;  // event sinks (ids) that receive the event; record: optional
    // record
    double pre_seconds = 5.0;
    double duration_in_seconds = 10.0;
    double max_duration_in_seconds = 60.0;
    std::filesystem::path directory = "recordings";
    double fps = 0.0;  // 0 = the source's measured rate
    // No clip is started (and an open one is closed) while the directory's file system has less free
    // space than this, in MiB; such clips are counted as lost (summary, exit code 5).
    double min_free_mb = 64.0;
};

struct RuleConfig {
    std::string rule_name;
    std::vector<Condition> all;  // "and"
    std::vector<Condition> any;  // "or" (empty = no constraint)
    ActionConfig action;
    double cooldown_seconds = 0.0;
    std::vector<std::string> sources;  // empty = every source
    bool per_object = false;           // some condition reads a per-object key
    std::string path;
};

enum class SinkType { kMetadata, kVideo, kDisplay, kFile, kWebhook, kMqtt };
std::string_view sink_type_name(SinkType t);
inline bool is_event_sink(SinkType t) {
    return t == SinkType::kFile || t == SinkType::kWebhook || t == SinkType::kMqtt;
}

struct SinkConfig {
    std::string id;
    SinkType type = SinkType::kMetadata;
    std::filesystem::path path;                  // metadata, video, file
    std::string url;                             // webhook
    std::map<std::string, std::string> headers;  // webhook
    std::string host = "127.0.0.1";              // mqtt
    int port = 1883;
    std::string topic = "edgeinfer/events";
    int qos = 1;
    std::string client_id;
    double timeout_seconds = 5.0;        // one delivery attempt
    double retry_initial_seconds = 0.2;  // backoff after a failed attempt, doubling up to retry_max_seconds
    double retry_max_seconds = 10.0;
    double fps = 0.0;  // video
};

struct PipelineConfig {
    std::vector<SourceConfig> sources;
    std::vector<ElementConfig> elements;
    std::vector<ZoneConfig> zones;
    std::vector<LineConfig> lines;
    std::vector<RuleConfig> action_rules;
    std::vector<SinkConfig> sinks;
    std::filesystem::path spool_directory = "spool";  // disk-backed event queues, one folder per event sink
    int metrics_port = 0;

    const SinkConfig* find_sink(const std::string& id) const;
    bool has_element(ElementType t) const;
};

enum class KeyScope { kObject, kFrame };
enum class KeyType { kNumber, kString };
struct KeyInfo {
    KeyScope scope = KeyScope::kFrame;
    KeyType type = KeyType::kNumber;
    std::string producer;  // "detector", "tracker", "zones", ...
    // What values the key can take, so that a rule that can never hold is an error at start:
    // numbers within [min, max] (probabilities 0..1); strings among `values` when not empty (class names
    // of the producer's labels, zone and line names, directions).
    double min = -HUGE_VAL, max = HUGE_VAL;
    std::vector<std::string> values;
};
// Every key a rule may read with this configuration's elements, zones and lines.
std::map<std::string, KeyInfo> available_keys(const PipelineConfig& config);

struct ConfigOptions {
    // The events also go to a callback (the C++ API's PipelineOptions::on_event), so a publish action
    // may list no sinks.
    bool events_to_callback = false;
};

// Parses and validates a document. `base_dir` resolves relative model, library, spool and recording
// paths. Errors are kInvalidArgument (kNotFound for a missing file) and start with the JSON path:
//   /action_rules/2/and/0/operator: unknown operator "=>", expected one of > >= < <= == !=
// Limits on a config document (docs/pipeline.md "Limits"): JSON nested deeper than kMaxConfigDepth,
// rule conditions ("and"/"or") nested deeper than kMaxConditionDepth, a key twice in one object and a
// number beyond double's range are errors naming the JSON path.
inline constexpr int kMaxConfigDepth = 64;
inline constexpr int kMaxConditionDepth = 16;
// JSON text → document, with those checks; `what` (the file name, or "") starts the messages.
Result<nlohmann::json> parse_config_text(std::string_view text, const std::string& what);

Result<PipelineConfig> parse_pipeline_config(const nlohmann::json& document, const std::filesystem::path& base_dir,
                                             const ConfigOptions& options = {});
// Reads `file` (JSON) and parses it; messages start with the file name.
Result<PipelineConfig> load_pipeline_config(const std::filesystem::path& file, const ConfigOptions& options = {});

}  // namespace edgeinfer::pipeline

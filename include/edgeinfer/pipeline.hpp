// edgeinfer::Pipeline: a stream pipeline (docs/pipeline.md) of sources, inference elements, a tracker,
// zones, lines, rules with actions and sinks, built from a JSON document (the format `edgeinfer pipeline`
// reads) or from code (PipelineSpec), run until its sources end or stop(); each event and each frame's
// metadata reach the caller as typed structs through callbacks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "edgeinfer/precision.hpp"
#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"

namespace edgeinfer {

// ---- what the output stage sees ----

// A key's value: rules compare numbers as numbers and strings as strings.
using FieldValue = std::variant<double, std::string>;
struct Field {
    std::string key{};
    FieldValue value{};
};
// The value of `key` in `fields`, or nullptr.
const FieldValue* find_field(const std::vector<Field>& fields, std::string_view key);

// An object in a frame: the detector's box (frame pixels), class, label and score, the tracker's id
// (-1 while untracked), and the keys other elements, zones and lines set, sorted by key
// (predicted_class, probability, tracking_*, first_seen, zone, line_crossed, custom keys).
struct PipelineObject : Detection {
    std::vector<Field> fields{};
};

// One frame's metadata after every element, zones, lines and rules (what the metadata sink writes).
struct FrameMetadata {
    std::string source_id{};
    uint64_t frame_number = 0;  // 0, 1, ... per source
    int64_t timestamp_us = 0;   // since the Unix epoch; files play in media time (first frame + n / fps)
    int width = 0, height = 0;
    std::vector<PipelineObject> objects{};
    std::vector<PipelineObject> ended_objects{};  // tracks that ended at this frame
    std::vector<Field> fields{};                  // frame keys: zone_count.*, line.*.in/out, clip classes, custom
};

enum class RuleAction { kPublish, kRecord };

// One firing of a rule, as its event sinks receive it (docs/pipeline.md "Events").
struct PipelineEvent {
    std::string event_id{};  // rule:source:timestamp_us[:track_id | #n]; the same id the sinks get
    std::string rule_name{};
    RuleAction action = RuleAction::kPublish;
    std::string source_id{};
    uint64_t frame_number = 0;
    int64_t timestamp_us = 0;
    std::optional<PipelineObject> object{};  // per-object rules: the object the rule fired for
    uint64_t object_count = 0;               // objects in the frame
    int width = 0, height = 0;
    std::vector<Field> frame_fields{};  // the frame's keys, as FrameMetadata::fields
    // record: the event comes when its clip is complete (duration_seconds after the last trigger),
    // with the finished clip's path; clip_error says why there is none or why it was cut short.
    std::string clip{};
    std::string clip_error{};
};

// ---- a pipeline from code: the same document as the JSON config, typed ----

struct SourceSpec {
    std::string id{};        // "" : source<N>
    std::string dataspec{};  // folder, image, video, /dev/videoN, v4l2:N, tcp://, ipc://, pattern:WxH, rtsp://, gst:...
    std::optional<bool> live{};  // drop the oldest queued frame when behind (unset: cameras and streams are live)
    bool loop = false;           // video files: start again at the end
    double rate = 0.0;           // frames per second to read at (0: as fast as the pipeline takes them)
    int queue_size = 8;
};

struct DetectorSpec {
    std::string name{};                 // "" : infer<N>
    std::string model{};                // relative paths: to PipelineSpec::base_directory
    std::string format{};               // yolo|yolov5|yolov8|detr|ssd|torchvision; "" : from the outputs
    std::vector<std::string> labels{};  // class names by id; empty: the sidecar's
    float confidence_threshold = 0.25f;
    float nms_iou_threshold = 0.45f;
    int interval = 1;    // run every N frames (objects carried in between)
    int batch_size = 1;  // frames run at once, across sources
    double batch_timeout_ms = 5.0;
    std::optional<Precision> precision{};  // unset: PipelineOptions::session.precision
};

// Classifies object crops from the detector before it: keys <key_prefix>predicted_class, probability.
struct ClassifierSpec {
    std::string name{};
    std::string model{};
    std::vector<std::string> labels{};
    std::vector<std::string> operate_on_classes{};  // detector labels; empty: all
    int every_n_frames = 0;                         // 0: only when a track is new
    bool square_crop = true;
    int batch_size = 1;
    std::string key_prefix{};
    std::optional<Precision> precision{};
};

enum class TrackerMode { kIou, kSort };
enum class TrackMatching { kGreedy, kHungarian };
struct TrackerSpec {
    std::string name{};  // "" : tracker<N>
    TrackerMode mode = TrackerMode::kIou;
    TrackMatching matching = TrackMatching::kGreedy;
    float iou_threshold = 0.3f;
    int min_hits = 3;  // a track gets its id after this many matched frames
    int max_age = 30;  // frames without a match that end a track
    bool match_classes = true;
};

// Classifies the last `window` frames of a source every `stride` frames: frame keys <key_prefix>class, probability.
struct ClipClassifierSpec {
    std::string name{};
    std::string model{};
    std::vector<std::string> labels{};
    int window = 16;
    int stride = 8;
    std::string key_prefix = "clip_";
    std::optional<Precision> precision{};
};

struct OverlaySpec {
    std::string name{};
    bool boxes = true, labels = true, track_ids = true, scores = true, fps = true;
};

using ElementSpec = std::variant<DetectorSpec, ClassifierSpec, TrackerSpec, ClipClassifierSpec, OverlaySpec>;

struct PointF {
    float x = 0, y = 0;
};
struct ZoneSpec {
    std::string name{};
    std::vector<PointF> polygon{};       // pixels, at least 3 points
    std::vector<std::string> sources{};  // empty: every source
};
// "in" is a crossing from the left of a->b to its right. Needs a tracker.
struct LineSpec {
    std::string name{};
    PointF a{}, b{};
    std::vector<std::string> sources{};
    float hysteresis = 2.0f;
    bool count_each_track_once = true;
};

// metadata and video take `path`; the event sinks are file (`path`, JSON lines), webhook (`url`), mqtt.
enum class SinkKind { kMetadata, kVideo, kFile, kWebhook, kMqtt };
struct SinkSpec {
    std::string id{};
    SinkKind kind = SinkKind::kFile;
    std::string path{};
    std::string url{};
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string topic = "edgeinfer/events";
    double fps = 0.0;  // video: 0 = the source's rate
};

enum class RuleOperator { kGt, kGe, kLt, kLe, kEq, kNe };  // > >= < <= == !=
struct RuleCondition {
    std::string key{};  // label, confidence, track_id, zone, line_crossed, zone_count.NAME, ... (docs/pipeline.md)
    RuleOperator op = RuleOperator::kEq;
    FieldValue value{};
};
struct RuleSpec {
    std::string name{};
    std::vector<RuleCondition> all{};  // every one holds
    std::vector<RuleCondition> any{};  // at least one holds (empty: no constraint)
    RuleAction action = RuleAction::kPublish;
    // Event sinks (ids) that get the event. A publish rule needs one unless PipelineOptions::on_event is set.
    std::vector<std::string> sinks{};
    double cooldown_seconds = 0.0;
    std::vector<std::string> sources{};  // empty: every source
    // record: a clip from pre_seconds before the event to duration_seconds after the last one
    double pre_seconds = 5.0;
    double duration_seconds = 10.0;
    double max_duration_seconds = 60.0;
    std::string directory = "recordings";
    double fps = 0.0;  // 0: the source's measured rate
    // No clip starts (an open one is closed) below this much free space in `directory`, in MiB; such
    // clips count in PipelineSummary::clips_lost.
    double min_free_mb = 64.0;
};

struct PipelineSpec {
    std::vector<SourceSpec> sources{};
    std::vector<ElementSpec> elements{};  // run in this order
    std::vector<ZoneSpec> zones{};
    std::vector<LineSpec> lines{};
    std::vector<SinkSpec> sinks{};
    std::vector<RuleSpec> rules{};
    std::string spool_directory = "spool";  // on-disk event queues
    std::string base_directory = ".";       // resolves relative model, file and folder paths
};

// The spec as a config document (what Pipeline::from_json reads; error paths such as /elements/1/model
// point into it: elements[1], rules -> /action_rules).
std::string to_json(const PipelineSpec& spec);

// ---- running ----

struct PipelineOptions {
    SessionOptions session{};  // threads and precision for every model (an element's precision overrides it)
    int64_t max_frames = 0;    // per source; 0: until the source ends
    int metrics_port = -1;     // Prometheus metrics; -1: the config's metrics_port, 0: off
    // Called on run()'s thread, frame by frame in the output stage's order (each source's frames in
    // order); a slow callback holds the pipeline back. Exceptions are caught and logged.
    std::function<void(const PipelineEvent&)> on_event{};
    std::function<void(const FrameMetadata&)> on_frame{};
    // At the end of run(), before the summary is made: how long to wait for the event sinks to deliver
    // what is queued (0: no wait). The summary's delivered and pending counts are those after the wait.
    double drain_seconds = 0.0;
};

struct PipelineSourceError {
    std::string source_id{};
    std::string dataspec{};
    Status status{};        // kNotFound, kSourceLost, kIoError, ...
    std::string message{};  // "source cam (clip.mp4): SourceLost: ..."
};

struct PipelineSummary {
    uint64_t frames = 0;   // frames that went through every element
    uint64_t dropped = 0;  // live frames dropped because the pipeline was behind
    uint64_t events = 0;
    // Data lost: clips that failed to start or were cut short (free space below min_free_mb, write
    // errors), and events a sink's spool could not store (disk full; the events queued before stay).
    uint64_t clips_lost = 0;
    uint64_t events_refused = 0;
    uint64_t incomplete_clips_removed = 0;  // temporary clips a killed earlier run left, removed at start
    // Events still queued on disk when the summary was made (after drain_seconds): delivered by the next run.
    uint64_t events_pending = 0;
    std::vector<PipelineSourceError> source_errors{};  // one per source that failed (the others went on)
    std::vector<std::string> lines{};  // per element fps, latency, queue peak, batches; per source; per sink
    bool stopped = false;              // stop() ended the run early
};

class Pipeline {
  public:
    // A config file; relative paths resolve against its folder. Errors start with the file name and the
    // JSON path at fault: "cfg.json: /action_rules/0/and/0/operator: unknown operator ...".
    static Result<std::unique_ptr<Pipeline>> from_file(const std::string& path, PipelineOptions options = {});
    // A config document; relative paths resolve against `base_directory`. Errors start with the JSON path.
    static Result<std::unique_ptr<Pipeline>> from_json(std::string_view document, PipelineOptions options = {},
                                                       const std::string& base_directory = ".");
    static Result<std::unique_ptr<Pipeline>> create(const PipelineSpec& spec, PipelineOptions options = {});
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // Runs until every source has ended (or failed, or max_frames) and every frame has passed, or stop().
    // Once per pipeline. An error only when the output stage could not write its sinks.
    Result<PipelineSummary> run();
    // Asks the sources to stop; frames already read still go through. Safe from any thread, before or
    // during run() (one atomic store, so also from a signal handler).
    void stop();
    // Waits until the event sinks have delivered what is queued; false on timeout (the rest stays
    // spooled on disk and is delivered by the next run).
    bool drain_events(std::chrono::milliseconds timeout);

    std::vector<std::string> source_ids() const;
    int metrics_port() const;          // the port metrics are served on, 0 when off
    std::string metrics_text() const;  // the same metrics in Prometheus text format

    class Impl;

  private:
    explicit Pipeline(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_{};
};

}  // namespace edgeinfer

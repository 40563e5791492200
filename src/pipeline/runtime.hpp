// pipeline::Pipeline: runs a PipelineConfig — one thread per source, one per element, one for the
// output stage (zones, lines, rules, actions, sinks) — joined by bounded queues. Live sources drop
// their oldest queued frame when the pipeline is behind (counted); file sources wait, never drop.
// Elements are built by a factory, so inference heads (detector, classifier, clip classifier,
// custom code) plug in without the runtime knowing them; tracker and overlay are built in.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"
#include "io/frame.hpp"
#include "io/frame_source.hpp"
#include "pipeline/config.hpp"
#include "pipeline/metadata.hpp"
#include "pipeline/metrics.hpp"
#include "pipeline/rules.hpp"

namespace edgeinfer::pipeline {

// One frame on its way through the pipeline.
struct PipelineFrame {
    io::Frame frame;    // pixels (BGR8), seq, timestamp, source
    FrameMeta meta;     // source_id, frame_number, timestamp, objects, keys
    cv::Mat annotated;  // the overlay's drawing (empty without an overlay element)
    // The marker a source sends after its last frame (no pixels; meta has the last frame's number
    // and time): elements see it through end_of_source(), rules only through ended objects.
    bool end_of_source = false;
};

// A processing step. process() runs on the element's own thread, one frame at a time, frames of a
// source in order. An error is counted and logged and the frame goes on unchanged.
class Element {
  public:
    virtual ~Element() = default;
    virtual Status process(PipelineFrame& frame) = 0;
    // A source has ended (`marker.end_of_source`): e.g. the tracker ends that source's tracks here,
    // so rules on tracking_ended_time see them. Default: nothing.
    virtual Status end_of_source(PipelineFrame& /*marker*/) { return Status::ok(); }
    // Every source has ended (called on the element's thread after its last frame).
    virtual void finish() {}

    // Batching. An element whose max_batch() is above 1 gets its frames through process_batch(): the
    // runtime takes the frames that are ready in its input queue (any sources, queue order, so each
    // source's frames stay in order), up to max_batch(), waiting at most batch_timeout() after the
    // first for more to arrive; an end-of-source marker ends a batch. Called with one frame too.
    virtual size_t max_batch() const { return 1; }
    virtual std::chrono::microseconds batch_timeout() const { return std::chrono::microseconds(0); }
    // One status per frame, in order (an error is counted for that frame, which goes on unchanged).
    // Default: process() on each frame.
    virtual std::vector<Status> process_batch(const std::vector<PipelineFrame*>& frames) {
        std::vector<Status> out;
        for (PipelineFrame* f : frames) out.push_back(process(*f));
        return out;
    }
};

// Builds the element for a config entry, or nullptr to leave it to the built-in elements.
using ElementFactory = std::function<Result<std::unique_ptr<Element>>(const ElementConfig&, const PipelineConfig&)>;
// The built-in elements: tracker (IoU or SORT, one tracker per source), overlay, and custom (a shared
// library behind include/edgeinfer_element.h). Others (infer, clip_classifier): kUnsupported.
Result<std::unique_ptr<Element>> make_builtin_element(const ElementConfig& element, const PipelineConfig& config);
// Loads a custom element's library; errors name the element's JSON path, the library and what is missing.
Result<std::unique_ptr<Element>> make_custom_element(const ElementConfig& element);

// Opens a source; the default is io::open_source(uri, {loop}).
using SourceOpener = std::function<Result<std::unique_ptr<io::FrameSource>>(const SourceConfig&)>;

struct PipelineOptions {
    ElementFactory factory;  // tried first for every element
    SourceOpener open_source;
    int64_t max_frames = 0;  // per source (0 = until it ends)
    int metrics_port = -1;   // -1: the config's metrics_port; 0: off (the config's 0 also means off)
    // Observers on the output stage's thread (run()'s): each event as its sinks get it (`clip` the record
    // action's clip, `clip_error` why there is none), then the frame's metadata after zones, lines and rules.
    std::function<void(const Firing&, const FrameMeta&, const std::string& clip, const std::string& clip_error)>
        on_event;
    std::function<void(const FrameMeta&)> on_frame;
    // At the end of run(), before the summary: how long to wait for the event sinks (0: no wait).
    double drain_seconds = 0.0;
};

struct SourceError {
    std::string source_id;
    std::string uri;
    Status status;
};

struct PipelineSummary {
    uint64_t frames = 0;   // frames that went through every element
    uint64_t dropped = 0;  // live frames dropped
    uint64_t events = 0;
    uint64_t clips_lost = 0;                  // recordings that failed to start or were cut short
    uint64_t events_refused = 0;              // events a sink's spool could not store (disk full)
    uint64_t incomplete_clips_removed = 0;    // temporary clips of a killed earlier run, removed at create
    uint64_t events_pending = 0;              // still queued on disk when the summary was made (after the drain)
    std::vector<std::string> source_errors;   // one line per source that failed
    std::vector<SourceError> failed_sources;  // the same, typed
    std::vector<std::string> lines;           // Metrics::summary()
};

class Pipeline {
  public:
    // Builds every element, opens sinks, spool queues and the metrics server. Errors name the
    // element (JSON path) or sink at fault.
    static Result<std::unique_ptr<Pipeline>> create(PipelineConfig config, PipelineOptions options = {});
    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // Runs until every source has ended (or failed) and every frame has passed, or stop().
    // A failing source is reported and the others go on; the result is an error only when the
    // output stage could not write its sinks at all.
    Result<PipelineSummary> run();
    // Asks sources to stop; frames already read still go through. Safe from any thread.
    void stop() { stopping_ = true; }

    const Metrics& metrics() const { return *metrics_; }
    int metrics_port() const;
    // Waits until queued events are delivered (for tests and a clean exit); false on timeout.
    bool drain_events(std::chrono::milliseconds timeout);

  private:
    struct Impl;
    explicit Pipeline(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::unique_ptr<Metrics> metrics_;
    std::atomic<bool> stopping_{false};
};

}  // namespace edgeinfer::pipeline

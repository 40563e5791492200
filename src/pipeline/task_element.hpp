// A vision command as a pipeline: one source (the DATASPEC, reconnected when a camera is lost) and
// one TaskElement (preprocess, Session::run, a vision::TaskHead), whose per-result records reach the
// caller through a printer callback. Rate limiting, batching and the frame loop are pipeline::Pipeline's;
// this adds what a command run needs on top: per-stage latency (pre/infer/post) and its summary
// (base::latency_stats), the progress line, --save of annotated frames or video, clips (--frames,
// --stride), --limit counted in results, and how the run ended (TaskOutcome, turned into an exit
// code by the CLI, which also owns signals and the terminal).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "edgeinfer/precision.hpp"
#include "edgeinfer/session.hpp"
#include "io/frame.hpp"
#include "vision/preprocess.hpp"
#include "vision/task.hpp"

namespace edgeinfer::pipeline {

// How a run ended.
enum class TaskOutcome {
    kOk,           // the source ended or the limit was reached
    kError,        // bad model, sidecar, labels, options, or inference failed
    kNoFrames,     // the DATASPEC cannot be opened or yields no frame at all
    kSourceLost,   // a camera or camera server vanished mid-run (after retries)
    kSaveFailed,   // `save` could not write
    kInterrupted,  // `stop` was set: summary printed, then stop
};

// What the printer gets for every result.
struct TaskRecord {
    const io::Frame& frame;  // the frame (video: the clip's last)
    const vision::TaskResult& result;
    std::string line;  // the head's text form, e.g. "circle 0.97, star 0.02"
    bool is_clip = false;
    uint64_t clip_first = 0, clip_last = 0;  // video: seq of the clip's first and last frames
    double pre_ms = 0, infer_ms = 0, post_ms = 0;
    std::string saved;  // where `save` wrote the annotated frame, or ""
};
using TaskPrinter = std::function<void(const TaskRecord& record, std::ostream& out)>;

// A record as the one JSON line `--json` prints: {"source", "seq", "timestamp_us"[, "clip": [first, last]],
// "results" (vision/results_json.hpp), "latency_ms": {"pre", "infer", "post"}[, "saved"]}.
std::string json_line(const TaskRecord& record);

struct TaskRunOptions {
    std::string command = "classify";  // for messages: "edgeinfer <command>: ..."
    vision::HeadOptions head;          // model path, --top, --threshold
    std::string dataspec;
    int64_t limit = 0;       // -l: stop after N results (frames, or clips for video); 0: until the source ends
    double rate = 0.0;       // -r: at most this many frames per second read from the source
    bool force_cpu = false;  // -c: accepted and reported (CPU is the only device)
    bool json = false;  // results as JSON lines (json_line) on `out` (unless `print` is set); the other lines on `err`
    std::string save;   // DIR (annotated images) or FILE.mp4/.avi/.mkv (annotated video)
    std::string labels_path;   // --labels FILE (else the sidecar's labels)
    std::string sidecar_path;  // --sidecar FILE (else MODEL.json next to MODEL.onnx)
    Precision precision = Precision::kFp32;
    TacticMode tactics = TacticMode::kFast;    // SessionOptions::tactics (--tactics)
    std::vector<std::string> keep_fp32_nodes;  // nodes computing in fp32 whatever `precision` says
    int threads = 0;                           // 0: all cores
    size_t max_memory_bytes = 0;               // SessionOptions::max_memory_bytes (0: physical memory)
    // Engine file (--engine FILE): loaded when it matches the model and options, else the session is
    // built and FILE (re)written. Engine cache folder (--engine-cache DIR): SessionOptions::engine_cache_dir.
    std::string engine_path, engine_cache_dir;
    std::vector<ShapeProfile> shape_profiles;  // SessionOptions::shape_profiles (--min/opt/max-shapes)
    bool recursive = false;                    // folders: include sub-folders
    bool loop = false;                         // video files: start again at the end
    vision::PreprocessOverrides preprocess;
    int64_t clip_frames = 0;  // video: T frames per clip (0: from the sidecar / the model's NCTHW input)
    int64_t stride = 0;       // video: a new clip every S frames (0: T, i.e. non-overlapping)
    bool clips_only = false;  // video: refuse models whose input is not N x C x T x H x W
    bool progress = false;    // a live progress line on `err` (the caller decides, e.g. when stderr is a terminal)
    const std::atomic<bool>* stop = nullptr;  // when set to true (e.g. by a signal handler), the run stops
    // Prints each result on `out`; unset: json_line(record) with `json`, else "SOURCE: LINE  (T ms)[ -> SAVED]".
    TaskPrinter print;
};

// Builds and runs the pipeline (source → TaskElement(head) → printer). Per-result output and the summary
// go to `out` (`err` in JSON mode); errors, warnings and the progress line go to `err`.
TaskOutcome run_task(const TaskRunOptions& options, vision::TaskHead& head, std::ostream& out, std::ostream& err);

}  // namespace edgeinfer::pipeline

// vision::TaskHead and vision::run_task: the frame loop shared by classify, detect, segment,
// recognize and video — open the DATASPEC, preprocess, Session::run, hand each frame's outputs
// to a task head (typed results), hand each result to a printer (a text line by default), save
// annotated frames, and print a summary with per-stage latency percentiles. How the run ended is
// a TaskOutcome; the CLI turns it into an exit code, owns the signal handlers and the terminal.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <opencv2/core/mat.hpp>
#include <string>
#include <variant>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/vision.hpp"
#include "io/frame.hpp"
#include "vision/preprocess.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::vision {

// How a run ended.
enum class TaskOutcome {
    kOk,           // the source ended or the limit was reached
    kError,        // bad model, sidecar, labels, options, or inference failed
    kNoFrames,     // the DATASPEC cannot be opened or yields no frame at all
    kSourceLost,   // a camera or camera server vanished mid-run (after retries)
    kSaveFailed,   // `save` could not write
    kInterrupted,  // `stop` was set: summary printed, then stop
};

// One frame's (or clip's) typed result: classes (classify, video), objects (detect), a class per
// pixel (segment), text (recognize).
using TaskResult = std::variant<edgeinfer::Classification, std::vector<edgeinfer::Detection>, edgeinfer::Segmentation,
                                edgeinfer::RecognizedText>;

// What the printer gets for every result.
struct TaskRecord {
    const io::Frame& frame;  // the frame (video: the clip's last)
    const TaskResult& result;
    std::string line;  // the head's text form, e.g. "circle 0.97, star 0.02"
    bool is_clip = false;
    uint64_t clip_first = 0, clip_last = 0;  // video: seq of the clip's first and last frames
    double pre_ms = 0, infer_ms = 0, post_ms = 0;
    std::string saved;  // where `save` wrote the annotated frame, or ""
};
using TaskPrinter = std::function<void(const TaskRecord& record, std::ostream& out)>;

struct TaskOptions {
    std::string command = "classify";  // for messages: "edgeinfer <command>: ..."
    std::string model_path;
    std::string dataspec;
    int64_t limit = 0;         // -l: stop after N results (frames, or clips for video); 0: until the source ends
    double rate = 0.0;         // -r: at most this many frames per second read from the source
    bool force_cpu = false;    // -c: accepted and reported (CPU is the only device)
    bool json = false;         // results are machine-readable: the other lines go to `err`, not `out`
    std::string save;          // DIR (annotated images) or FILE.mp4/.avi/.mkv (annotated video)
    int top = 5;               // --top K (classification)
    double threshold = -1.0;   // --threshold (score cut); < 0: the head's default
    std::string labels_path;   // --labels FILE (else the sidecar's labels)
    std::string sidecar_path;  // --sidecar FILE (else MODEL.json next to MODEL.onnx)
    Precision precision = Precision::kFp32;
    // --keep-fp32: nodes computing in fp32 whatever `precision` says
    std::vector<std::string> keep_fp32_nodes;
    int threads = 0;         // 0: all cores
    bool recursive = false;  // folders: include sub-folders
    bool loop = false;       // video files: start again at the end
    PreprocessOverrides preprocess;
    int64_t clip_frames = 0;  // video: T frames per clip (0: from the sidecar / the model's NCTHW input)
    int64_t stride = 0;       // video: a new clip every S frames (0: T, i.e. non-overlapping)
    bool clips_only = false;  // video: refuse models whose input is not N x C x T x H x W
    bool progress = false;    // a live progress line on `err` (the CLI decides, e.g. when stderr is a terminal)
    const std::atomic<bool>* stop = nullptr;  // when set to true (e.g. by a signal handler), the run stops
    TaskPrinter print;  // prints each result on `out`; unset: "SOURCE: LINE  (T ms)[ -> SAVED]" text lines
};

// What a head sees when the run starts (model, sidecar, labels, resolved preprocessing).
struct TaskContext {
    const TaskOptions& options;
    const std::vector<ValueDescription>& inputs;
    const std::vector<ValueDescription>& outputs;
    const Sidecar* sidecar;              // nullptr when the model has none
    std::vector<std::string> labels;     // --labels FILE, else the sidecar's, else empty
    std::string labels_origin;           // "labels.txt", "sidecar m.json", or ""
    const PreprocessConfig& preprocess;  // as resolved
};

// One task's post-processing. The runner calls, in order: default_preprocess (once, before the
// sidecar and flags are applied), prepare (once, with the session), then for each frame or clip:
// process → line / annotate. Outputs handed to process() belong to one frame (batch item): the
// runner slices every output whose first dim equals the run's batch into dim0 = 1 views.
class TaskHead {
  public:
    virtual ~TaskHead() = default;

    // The task's preprocessing defaults (e.g. letterbox for YOLO); the sidecar and flags override them.
    virtual void default_preprocess(PreprocessConfig& /*config*/) const {}
    // Checks the model's outputs (names, ranks) and reads labels/options; errors name the output at fault.
    virtual Status prepare(const TaskContext& context) = 0;
    // One frame's (or clip's) results. `info` maps model-input coordinates back to `frame` (letterbox/crop).
    virtual Result<TaskResult> process(const std::vector<NamedTensor>& outputs, const io::Frame& frame,
                                       const PreprocessInfo& info) = 0;
    // The text after "SOURCE: " in a frame's line, e.g. "circle 0.97, star 0.02".
    virtual std::string line(const TaskResult& result) const = 0;
    // Draws results on a BGR copy of the frame for --save. Default: line(result) in a top banner.
    virtual void annotate(cv::Mat& image, const TaskResult& result) const;
    // Extra summary lines at the end (e.g. counts per class); default none.
    virtual std::vector<std::string> summary() const { return {}; }
};

// Draws `text` on a dark banner at the top of `image` (used by the default annotate).
void draw_banner(cv::Mat& image, const std::string& text);

// Runs the whole loop. Per-result output (options.print) and the summary go to `out`; errors, warnings,
// the one-time model/preprocessing lines in JSON mode and the progress line go to `err`.
TaskOutcome run_task(const TaskOptions& options, TaskHead& head, std::ostream& out, std::ostream& err);

// Per-stage latency statistics of a run (milliseconds), as printed in the summary.
struct StageStats {
    double p50 = 0, p95 = 0, mean = 0;
};
StageStats stage_stats(std::vector<double> samples_ms);

}  // namespace edgeinfer::vision

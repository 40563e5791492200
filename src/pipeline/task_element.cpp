// run_task: a vision command as a pipeline of one source and one TaskElement (see task_element.hpp).
#include "pipeline/task_element.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iomanip>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include "base/logging.hpp"
#include "base/stats.hpp"
#include "base/status.hpp"
#include "io/frame_source.hpp"
#include "io/reconnect.hpp"
#include "pipeline/runtime.hpp"
#include "vision/results_json.hpp"

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using vision::TaskResult;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

std::string fixed(double v, int digits) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << v;
    return s.str();
}

bool is_video_path(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".mp4" || ext == ".avi" || ext == ".mkv" || ext == ".mov";
}

// State the source (its thread), the element (its thread) and run_task share.
struct RunState {
    explicit RunState(const TaskRunOptions& o) : o(o) {}
    const TaskRunOptions& o;
    std::atomic<bool> done{false};        // the limit was reached or the element failed: the source ends
    std::atomic<int64_t> frames_read{0};  // frames the source delivered
    Status source_end = Status::ok();     // why the source ended (kEndOfStream, kSourceLost, ...); ok: stopped
    std::mutex err_mu;                    // the progress line and warnings share `err`
    bool interrupted() const { return o.stop != nullptr && o.stop->load(); }
};

// The DATASPEC's source as the pipeline sees it: ends (kEndOfStream) when the run is stopped or done,
// retries a camera lost after it delivered frames (io/reconnect.hpp's policy), and keeps the real end for run_task
// (the pipeline itself only ever sees kEndOfStream, so it reports nothing).
class TaskSource : public io::FrameSource {
  public:
    TaskSource(std::unique_ptr<io::FrameSource> source, RunState& state, std::function<void()> clear_progress)
        : source_(std::move(source)), state_(state), clear_progress_(std::move(clear_progress)) {}

    Result<io::Frame> next() override {
        if (state_.done || state_.interrupted()) return end(Status::ok());
        Result<io::Frame> frame = next_retrying();
        if (!frame.is_ok()) return end(frame.status());
        ++state_.frames_read;
        return frame;
    }
    std::string describe() const override { return source_->describe(); }
    double nominal_fps() const override { return source_->nominal_fps(); }

  private:
    Status end(Status why) {
        state_.source_end = std::move(why);
        return Status(StatusCode::kEndOfStream, "end");
    }

    Result<io::Frame> next_retrying() {
        const auto first_failure = Clock::now();
        for (size_t attempt = 0;; ++attempt) {
            Result<io::Frame> frame = source_->next();
            if (frame.is_ok() || frame.status().code() != StatusCode::kSourceLost || state_.frames_read == 0 ||
                state_.interrupted())
                return frame;
            const size_t n = io::kLostSourceRetries;
            if (attempt == n)
                return Status(StatusCode::kSourceLost,
                              frame.status().message() + " (lost after " + std::to_string(state_.frames_read.load()) +
                                  " frames; gave up after " + std::to_string(n) + " retries over " +
                                  fixed(ms_since(first_failure) / 1000.0, 1) + " s)");
            {
                std::lock_guard<std::mutex> lock(state_.err_mu);
                clear_progress_();
                base::log_warning(frame.status().message() + "; retrying in " +
                                  fixed(io::kLostSourceRetryDelays[attempt], 1) + " s (" + std::to_string(attempt + 1) +
                                  "/" + std::to_string(n) + ")");
            }
            const auto until = Clock::now() + std::chrono::duration<double>(io::kLostSourceRetryDelays[attempt]);
            while (Clock::now() < until && !state_.interrupted())
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    std::unique_ptr<io::FrameSource> source_;
    RunState& state_;
    std::function<void()> clear_progress_;
};

// One preprocessed frame waiting for its batch or clip.
struct Pending {
    io::Frame frame;
    vision::PreprocessInfo info;
    double pre_ms = 0;
    std::vector<uint8_t> pixels;  // clip mode: this frame's C*H*W input values
};

// The inference element: preprocess → Session::run → head → printer, with per-stage timing, --save,
// progress and --limit. A failure ends the run (state.done) and is kept for run_task.
class TaskElement : public Element {
  public:
    TaskElement(RunState& state, vision::TaskHead& head, std::ostream& out, std::ostream& err)
        : state_(state), o_(state.o), head_(head), out_(out), err_(err) {}

    Status setup_model();
    Status setup_save();
    void start(double source_fps) {
        source_fps_ = source_fps;
        start_ = last_progress_ = Clock::now();
    }

    size_t max_batch() const override { return clip_ > 0 ? 1 : static_cast<size_t>(batch_); }
    std::chrono::microseconds batch_timeout() const override { return std::chrono::seconds(10); }
    Status process(PipelineFrame& frame) override {
        process_batch({&frame});
        return Status::ok();
    }
    std::vector<Status> process_batch(const std::vector<PipelineFrame*>& frames) override;

    std::ostream& info() { return o_.json ? err_ : out_; }
    void clear_progress();
    void print_summary(double seconds);
    const Status& error() const { return error_; }
    int64_t frames() const { return frames_; }
    int64_t results() const { return results_; }
    int64_t clip() const { return clip_; }

  private:
    bool finished() const { return state_.done || (o_.limit > 0 && results_ >= o_.limit); }
    void fail(Status s) {
        if (error_.is_ok()) error_ = std::move(s);
        state_.done = true;
    }
    Status handle_frame(const io::Frame& frame);
    Status flush_batch();
    Status run_clip();
    Status emit(const std::vector<NamedTensor>& outputs, const Pending& p, double infer_ms, const Pending* clip_first);
    Status save(const io::Frame& frame, const TaskResult& result, std::string* saved);
    void progress();

    RunState& state_;
    const TaskRunOptions& o_;
    vision::TaskHead& head_;
    std::ostream& out_;
    std::ostream& err_;
    Status error_ = Status::ok();
    std::unique_ptr<Session> session_;
    std::optional<vision::Sidecar> sidecar_;
    ValueDescription input_;
    vision::PreprocessConfig config_;
    Tensor tensor_;
    int64_t batch_ = 1;
    int64_t clip_ = 0;  // T > 0: clip mode
    int64_t stride_ = 1;
    int64_t item_values_ = 0;  // values per frame: C*H*W
    std::vector<Pending> pending_;
    std::deque<Pending> window_;
    int64_t since_clip_ = 0;
    int64_t results_ = 0;
    int64_t frames_ = 0;
    std::vector<double> pre_, infer_, post_, total_;
    bool progress_shown_ = false;
    Clock::time_point start_, last_progress_;
    bool save_video_ = false;
    cv::VideoWriter writer_;
    double source_fps_ = 0.0;
    cv::Size frame_size_of_writer_;
};

Status TaskElement::setup_model() {
    const std::string& model_path = o_.head.model_path;
    EDGEINFER_ASSIGN_OR_RETURN(sidecar_, vision::find_sidecar(model_path, o_.sidecar_path));
    SessionOptions so;
    so.num_threads = o_.threads;
    so.max_memory_bytes = o_.max_memory_bytes;
    so.precision = o_.precision;
    so.tactics = o_.tactics;
    so.keep_fp32_nodes = o_.keep_fp32_nodes;
    so.engine_path = o_.engine_path;
    so.engine_cache_dir = o_.engine_cache_dir;
    so.shape_profiles = o_.shape_profiles;
    EDGEINFER_ASSIGN_OR_RETURN(session_, Session::create(model_path, so));
    const EngineReport& engine = session_->engine_report();
    if (!engine.message.empty()) base::log_warning(engine.message);  // stale or corrupt: rebuilt, one line
    if (!o_.engine_path.empty() && !engine.loaded) EDGEINFER_RETURN_IF_ERROR(session_->save_engine(o_.engine_path));
    const auto& inputs = session_->inputs();
    if (inputs.empty()) return invalid_model(model_path + ": the model has no inputs");
    const std::string wanted = sidecar_ ? sidecar_->input : "";
    auto it = inputs.begin();
    if (!wanted.empty()) {
        it = std::find_if(inputs.begin(), inputs.end(), [&](const ValueDescription& v) { return v.name == wanted; });
        if (it == inputs.end())
            return invalid_argument("sidecar '" + sidecar_->path + "': key 'input' names '" + wanted +
                                    "', which is not an input of " + model_path);
    }
    if (inputs.size() > 1) {
        std::string names;
        for (const auto& v : inputs) names += (names.empty() ? "" : ", ") + v.name;
        return unsupported(model_path + ": the model has " + std::to_string(inputs.size()) + " inputs (" + names +
                           "); vision commands feed exactly one image input");
    }
    input_ = *it;
    vision::PreprocessConfig base;
    head_.default_preprocess(base);
    EDGEINFER_ASSIGN_OR_RETURN(
        vision::ResolvedPreprocess resolved,
        vision::resolve_preprocess(base, sidecar_ ? &*sidecar_ : nullptr, o_.preprocess, input_));
    config_ = resolved.config;
    std::vector<int64_t> dims = input_.dims;
    const int64_t H = config_.height, W = config_.width, C = config_.channels;
    item_values_ = C * H * W;
    if (dims.size() == 5) {  // N x C x T x H x W
        clip_ = dims[2] > 0 ? dims[2] : (o_.clip_frames > 0 ? o_.clip_frames : (sidecar_ ? sidecar_->frames : 0));
        if (clip_ <= 0)
            return invalid_argument("model input '" + input_.name + "' (" + shape_to_string(dims) +
                                    ") has a dynamic clip length T: give --frames T");
        if (o_.clip_frames > 0 && o_.clip_frames != clip_)
            return invalid_argument("--frames " + std::to_string(o_.clip_frames) + ": model input '" + input_.name +
                                    "' is fixed at T=" + std::to_string(clip_));
        stride_ = o_.stride > 0 ? o_.stride : clip_;
        dims = {1, C, clip_, H, W};
    } else {
        if (o_.clips_only)
            return invalid_argument("model input '" + input_.name + "' (" + shape_to_string(dims) +
                                    ") is not a clip (N x C x T x H x W); `edgeinfer classify` runs image models");
        if (o_.clip_frames > 0 || o_.stride > 0)
            return invalid_argument("--frames/--stride: model input '" + input_.name + "' (" + shape_to_string(dims) +
                                    ") is not a clip (N x C x T x H x W)");
        batch_ = dims[0] > 1 ? dims[0] : 1;
        dims = config_.layout == vision::Layout::kNchw ? std::vector<int64_t>{batch_, C, H, W}
                                                       : std::vector<int64_t>{batch_, H, W, C};
    }
    tensor_ = Tensor::allocate(config_.dtype, dims);

    vision::TaskContext context{
        o_.head, session_->inputs(), session_->outputs(), sidecar_ ? &*sidecar_ : nullptr, {}, "", config_};
    if (!o_.labels_path.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(context.labels, vision::load_labels(o_.labels_path));
        context.labels_origin = "labels file '" + o_.labels_path + "'";
    } else if (sidecar_ && !sidecar_->labels.empty()) {
        context.labels = sidecar_->labels;
        context.labels_origin = "sidecar '" + sidecar_->path + "'";
    }
    EDGEINFER_RETURN_IF_ERROR(head_.prepare(context));

    info() << "model: " << model_path << ", input '" << input_.name << "' " << shape_to_string(dims) << " "
           << dtype_name(config_.dtype) << (batch_ > 1 ? ", batch " + std::to_string(batch_) : std::string())
           << (clip_ > 0 ? ", clips of " + std::to_string(clip_) + " frames every " + std::to_string(stride_) : "")
           << ", device cpu" << (o_.force_cpu ? " (--force-cpu)" : "") << "\n";
    info() << "preprocess: " << config_.describe() << " (" << resolved.origin << ")\n";
    if (!context.labels.empty())
        info() << "labels: " << context.labels.size() << " from " << context.labels_origin << "\n";
    return Status::ok();
}

Status TaskElement::setup_save() {
    if (o_.save.empty()) return Status::ok();
    save_video_ = is_video_path(o_.save);
    std::error_code ec;
    fs::path dir = save_video_ ? fs::path(o_.save).parent_path() : fs::path(o_.save);
    if (!dir.empty()) fs::create_directories(dir, ec);
    if (ec) return io_error("--save " + o_.save + ": cannot create folder '" + dir.string() + "': " + ec.message());
    return Status::ok();
}

Status TaskElement::save(const io::Frame& frame, const TaskResult& result, std::string* saved) {
    cv::Mat image = frame.image.clone();
    head_.annotate(image, result);
    try {
        if (save_video_) {
            if (!writer_.isOpened()) {
                const double fps = source_fps_ > 0 ? source_fps_ : (o_.rate > 0 ? o_.rate : 10.0);
                std::string ext = fs::path(o_.save).extension().string();
                const int fourcc = ext == ".avi" ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G')
                                                 : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
                if (!writer_.open(o_.save, cv::CAP_FFMPEG, fourcc, fps, image.size()))
                    return io_error("--save " + o_.save + ": cannot open a video writer (codec or path)");
            }
            if (image.size() != frame_size_of_writer_) {
                if (frame_size_of_writer_.width == 0)
                    frame_size_of_writer_ = image.size();
                else
                    cv::resize(image, image, frame_size_of_writer_);
            }
            writer_.write(image);
            *saved = o_.save;
        } else {
            std::ostringstream name;
            name << "frame_" << std::setw(6) << std::setfill('0') << results_ << ".jpg";
            std::string path = (fs::path(o_.save) / name.str()).string();
            if (!cv::imwrite(path, image)) return io_error("--save: cannot write " + path);
            *saved = path;
        }
    } catch (const cv::Exception& e) {
        return io_error("--save " + o_.save + ": " + e.what());
    }
    return Status::ok();
}

// Frames of a batch (or one frame): the pipeline ends a batch at the source's end, so a partial last
// batch is run padded; after the limit or a failure, frames still queued are let through untouched.
std::vector<Status> TaskElement::process_batch(const std::vector<PipelineFrame*>& frames) {
    for (PipelineFrame* f : frames) {
        if (finished()) break;
        if (Status s = handle_frame(f->frame); !s.is_ok()) {
            fail(std::move(s));
            break;
        }
    }
    if (!finished())
        if (Status s = flush_batch(); !s.is_ok()) fail(std::move(s));
    pending_.clear();
    if (o_.limit > 0 && results_ >= o_.limit) state_.done = true;
    return std::vector<Status>(frames.size(), Status::ok());
}

Status TaskElement::handle_frame(const io::Frame& frame) {
    ++frames_;
    Pending p;
    const auto t0 = Clock::now();
    const size_t esize = dtype_size(config_.dtype);
    if (clip_ > 0) {
        p.pixels.resize(static_cast<size_t>(item_values_) * esize);
        EDGEINFER_ASSIGN_OR_RETURN(p.info, vision::preprocess_into(frame.image, config_, p.pixels.data()));
    } else {
        auto* slot =
            static_cast<uint8_t*>(tensor_.data()) + pending_.size() * static_cast<size_t>(item_values_) * esize;
        EDGEINFER_ASSIGN_OR_RETURN(p.info, vision::preprocess_into(frame.image, config_, slot));
    }
    p.pre_ms = ms_since(t0);
    p.frame = frame;
    if (clip_ > 0) {
        window_.push_back(std::move(p));
        if (static_cast<int64_t>(window_.size()) > clip_) window_.pop_front();
        ++since_clip_;
        const bool first = results_ == 0 && static_cast<int64_t>(window_.size()) == clip_ && since_clip_ >= clip_;
        if (static_cast<int64_t>(window_.size()) == clip_ && (first || since_clip_ >= stride_)) return run_clip();
        return Status::ok();
    }
    pending_.push_back(std::move(p));
    if (static_cast<int64_t>(pending_.size()) == batch_) return flush_batch();
    return Status::ok();
}

// Runs the pending frames as one batch (a partial last batch is padded with copies of its last frame).
Status TaskElement::flush_batch() {
    if (pending_.empty()) return Status::ok();
    const size_t item_bytes = static_cast<size_t>(item_values_) * dtype_size(config_.dtype);
    auto* base = static_cast<uint8_t*>(tensor_.data());
    for (size_t b = pending_.size(); b < static_cast<size_t>(batch_); ++b)
        std::memcpy(base + b * item_bytes, base + (pending_.size() - 1) * item_bytes, item_bytes);
    const auto t0 = Clock::now();
    EDGEINFER_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, session_->run({{input_.name, tensor_}}));
    const double infer_ms = ms_since(t0);
    std::vector<Pending> items = std::move(pending_);
    pending_.clear();
    for (size_t b = 0; b < items.size(); ++b) {
        if (o_.limit > 0 && results_ >= o_.limit) break;
        const std::vector<NamedTensor> views = vision::item_outputs(outputs, static_cast<int64_t>(b), batch_);
        EDGEINFER_RETURN_IF_ERROR(emit(views, items[b], infer_ms, nullptr));
    }
    return Status::ok();
}

// Assembles the window's T frames into N x C x T x H x W and runs it; the result belongs to the last frame.
Status TaskElement::run_clip() {
    since_clip_ = 0;
    const int64_t T = clip_, C = config_.channels, HW = static_cast<int64_t>(config_.height) * config_.width;
    const size_t esize = dtype_size(config_.dtype);
    auto* base = static_cast<uint8_t*>(tensor_.data());
    double pre_ms = 0;
    for (int64_t t = 0; t < T; ++t) {
        const Pending& f = window_[static_cast<size_t>(t)];
        if (t >= T - stride_) pre_ms += f.pre_ms;  // frames new to this clip
        for (int64_t c = 0; c < C; ++c)
            std::memcpy(base + static_cast<size_t>((c * T + t) * HW) * esize,
                        f.pixels.data() + static_cast<size_t>(c * HW) * esize, static_cast<size_t>(HW) * esize);
    }
    const auto t0 = Clock::now();
    EDGEINFER_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, session_->run({{input_.name, tensor_}}));
    const double infer_ms = ms_since(t0);
    Pending last;
    last.frame = window_.back().frame;
    last.info = window_.back().info;
    last.pre_ms = pre_ms;
    return emit(outputs, last, infer_ms, &window_.front());
}

// The printing sink: one record per result, through options.print (or the default text line).
Status TaskElement::emit(const std::vector<NamedTensor>& outputs, const Pending& p, double infer_ms,
                         const Pending* clip_first) {
    const auto t0 = Clock::now();
    EDGEINFER_ASSIGN_OR_RETURN(TaskResult result, head_.process(outputs, p.frame, p.info));
    const double post_ms = ms_since(t0);
    std::string saved;
    if (!o_.save.empty()) {
        Status s = save(p.frame, result, &saved);
        if (!s.is_ok()) return Status(StatusCode::kCancelled, s.to_string());  // mapped to kSaveFailed
    }
    pre_.push_back(p.pre_ms);
    infer_.push_back(infer_ms);
    post_.push_back(post_ms);
    total_.push_back(p.pre_ms + infer_ms + post_ms);
    std::lock_guard<std::mutex> lock(state_.err_mu);
    clear_progress();
    const TaskRecord record{p.frame,
                            result,
                            head_.line(result),
                            clip_first != nullptr,
                            clip_first ? clip_first->frame.seq : 0,
                            clip_first ? p.frame.seq : 0,
                            p.pre_ms,
                            infer_ms,
                            post_ms,
                            saved};
    if (o_.print) {
        o_.print(record, out_);
    } else if (o_.json) {
        out_ << json_line(record) << std::endl;
    } else {
        out_ << io::frame_label(p.frame)
             << (record.is_clip
                     ? " [clip " + std::to_string(record.clip_first) + "-" + std::to_string(record.clip_last) + "]"
                     : "")
             << ": " << record.line << "  (" << fixed(p.pre_ms + infer_ms + post_ms, 2) << " ms)"
             << (saved.empty() ? "" : " -> " + saved) << std::endl;
    }
    ++results_;
    progress();
    return Status::ok();
}

void TaskElement::progress() {
    if (!o_.progress) return;
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_progress_).count() < 0.25) return;
    last_progress_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const base::LatencyStats infer = base::latency_stats(infer_), total = base::latency_stats(total_);
    err_ << "\r\033[K" << results_ << (clip_ > 0 ? " clips | " : " frames | ")
         << fixed(seconds > 0 ? results_ / seconds : 0.0, 1) << " fps | infer p50 " << fixed(infer.p50, 1) << " p95 "
         << fixed(infer.p95, 1) << " ms | total p50 " << fixed(total.p50, 1) << " ms" << std::flush;
    progress_shown_ = true;
}

void TaskElement::clear_progress() {
    if (!progress_shown_) return;
    err_ << "\r\033[K" << std::flush;
    progress_shown_ = false;
}

void TaskElement::print_summary(double seconds) {
    clear_progress();
    std::ostream& s = info();
    s << results_ << (clip_ > 0 ? " clips (" + std::to_string(frames_) + " frames)" : " frames") << " in "
      << fixed(seconds, 2) << " s (" << fixed(seconds > 0 ? results_ / seconds : 0.0, 1) << " per second)";
    if (!total_.empty()) {
        auto part = [&](const char* name, const std::vector<double>& v) {
            const base::LatencyStats st = base::latency_stats(v);
            s << " " << name << " " << fixed(st.p50, 2) << "/" << fixed(st.p95, 2);
        };
        s << "; latency ms p50/p95:";
        part("pre", pre_);
        part("infer", infer_);
        part("post", post_);
        part("total", total_);
    }
    s << "\n";
    for (const std::string& line : head_.summary()) s << line << "\n";
    s << std::flush;
}

// What the pipeline owns: a forward to run_task's element, which outlives the pipeline.
class ElementRef : public Element {
  public:
    explicit ElementRef(Element& element) : element_(element) {}
    Status process(PipelineFrame& frame) override { return element_.process(frame); }
    std::vector<Status> process_batch(const std::vector<PipelineFrame*>& frames) override {
        return element_.process_batch(frames);
    }
    size_t max_batch() const override { return element_.max_batch(); }
    std::chrono::microseconds batch_timeout() const override { return element_.batch_timeout(); }

  private:
    Element& element_;
};

}  // namespace

std::string json_line(const TaskRecord& r) {
    nlohmann::ordered_json j{
        {"source", r.frame.source_id}, {"seq", r.frame.seq}, {"timestamp_us", r.frame.timestamp_us}};
    if (r.is_clip) j["clip"] = {r.clip_first, r.clip_last};
    j["results"] = vision::results_json(r.result);
    j["latency_ms"] = {{"pre", r.pre_ms}, {"infer", r.infer_ms}, {"post", r.post_ms}};
    if (!r.saved.empty()) j["saved"] = r.saved;
    return vision::json_text(j);
}

TaskOutcome run_task(const TaskRunOptions& o, vision::TaskHead& head, std::ostream& out, std::ostream& err) {
    RunState state(o);
    TaskElement element(state, head, out, err);
    auto fail = [&](TaskOutcome code, const Status& s) {
        element.clear_progress();
        err << "edgeinfer " << o.command << ": " << s.to_string() << std::endl;
        return code;
    };
    if (Status s = element.setup_model(); !s.is_ok()) return fail(TaskOutcome::kError, s);
    if (Status s = element.setup_save(); !s.is_ok()) return fail(TaskOutcome::kSaveFailed, s);
    io::SourceOptions so;
    so.recursive = o.recursive;
    so.loop = o.loop;
    auto opened = io::open_source(o.dataspec, so);
    if (!opened.is_ok()) return fail(TaskOutcome::kNoFrames, opened.status());
    element.info() << "source: " << opened.value()->describe()
                   << (o.rate > 0 ? ", at most " + fixed(o.rate, 1) + " fps" : "") << "\n"
                   << std::flush;
    element.start(opened.value()->nominal_fps());
    const auto start = Clock::now();

    PipelineConfig config;
    SourceConfig source;
    source.id = "source";
    source.uri = o.dataspec;
    source.loop = o.loop;
    source.rate = o.rate;
    source.queue_size = 2;  // read little ahead of the element: a limit or a stop wastes few frames
    config.sources.push_back(source);
    ElementConfig infer;
    infer.name = o.command;
    infer.path = "elements[0]";
    config.elements.push_back(infer);
    PipelineOptions options;
    options.metrics_port = 0;
    options.factory = [&element](const ElementConfig&, const PipelineConfig&) -> Result<std::unique_ptr<Element>> {
        return std::unique_ptr<Element>(std::make_unique<ElementRef>(element));
    };
    options.open_source = [&](const SourceConfig&) -> Result<std::unique_ptr<io::FrameSource>> {
        return std::unique_ptr<io::FrameSource>(
            std::make_unique<TaskSource>(std::move(opened.value()), state, [&element] { element.clear_progress(); }));
    };
    auto pipeline = Pipeline::create(std::move(config), std::move(options));
    if (!pipeline.is_ok()) return fail(TaskOutcome::kError, pipeline.status());
    auto ran = pipeline.value()->run();
    if (!ran.is_ok()) return fail(TaskOutcome::kError, ran.status());

    // How it ended: the element's failure first, else the source's end (ok: stopped or the limit).
    Status end = element.error().is_ok() ? state.source_end : element.error();
    const bool interrupted = state.interrupted();
    if (!end.is_ok() && end.code() == StatusCode::kEndOfStream && element.clip() > 0 && element.results() == 0 &&
        element.frames() > 0)
        base::log_warning("the source ended after " + std::to_string(element.frames()) +
                          " frames, fewer than one clip of " + std::to_string(element.clip()));
    element.print_summary(std::chrono::duration<double>(Clock::now() - start).count());
    if (interrupted) {
        element.clear_progress();
        err << "edgeinfer " << o.command << ": interrupted\n";
        return TaskOutcome::kInterrupted;
    }
    if (end.is_ok() || end.code() == StatusCode::kEndOfStream) {
        if (element.frames() == 0)
            return fail(TaskOutcome::kNoFrames, Status(StatusCode::kEndOfStream, o.dataspec + ": no frames"));
        return TaskOutcome::kOk;
    }
    if (end.code() == StatusCode::kCancelled) return fail(TaskOutcome::kSaveFailed, io_error(end.message()));
    if (element.frames() == 0) return fail(TaskOutcome::kNoFrames, end);
    if (end.code() == StatusCode::kSourceLost) return fail(TaskOutcome::kSourceLost, end);
    return fail(TaskOutcome::kError, end);
}

}  // namespace edgeinfer::pipeline

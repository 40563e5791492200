// The vision task runner: source → preprocess → Session::run → head, with timing, lines, JSON,
// --save, progress, summary and exit codes (see task.hpp).
#include "vision/task.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iomanip>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "base/logging.hpp"
#include "base/stats.hpp"
#include "base/status.hpp"
#include "io/frame_source.hpp"

namespace edgeinfer::vision {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

// One preprocessed frame waiting for its batch or clip.
struct Pending {
    io::Frame frame;
    PreprocessInfo info;
    double pre_ms = 0;
    std::vector<uint8_t> pixels;  // clip mode: this frame's C*H*W input values
};

class Runner {
  public:
    Runner(const TaskOptions& o, TaskHead& head, std::ostream& out, std::ostream& err)
        : o_(o), head_(head), out_(out), err_(err) {}

    TaskOutcome run();

  private:
    TaskOutcome fail(TaskOutcome code, const Status& s) {
        clear_progress();
        err_ << "edgeinfer " << o_.command << ": " << s.to_string() << std::endl;
        return code;
    }
    std::ostream& info() { return o_.json ? err_ : out_; }
    bool stopped() const { return o_.stop != nullptr && o_.stop->load(); }
    Status setup_model();
    Status setup_save();
    Result<io::Frame> next_frame(io::FrameSource& source);
    Status handle_frame(io::Frame frame);
    Status flush_batch();
    Status run_clip();
    Status emit(const std::vector<NamedTensor>& outputs, const Pending& p, double infer_ms, const Pending* clip_first);
    Status save(const io::Frame& frame, const TaskResult& result, std::string* saved);
    void progress(bool force);
    void clear_progress();
    void print_summary(double seconds);

    const TaskOptions& o_;
    TaskHead& head_;
    std::ostream& out_;
    std::ostream& err_;
    std::unique_ptr<Session> session_;
    std::optional<Sidecar> sidecar_;
    ValueDescription input_;
    PreprocessConfig config_;
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
    bool show_progress_ = false;
    bool progress_shown_ = false;
    Clock::time_point start_, last_progress_;
    bool save_video_ = false;
    cv::VideoWriter writer_;
    double source_fps_ = 0.0;
    cv::Size frame_size_of_writer_;
};

Status Runner::setup_model() {
    EDGEINFER_ASSIGN_OR_RETURN(sidecar_, find_sidecar(o_.model_path, o_.sidecar_path));
    SessionOptions so;
    so.num_threads = o_.threads;
    so.precision = o_.precision;
    so.keep_fp32_nodes = o_.keep_fp32_nodes;
    EDGEINFER_ASSIGN_OR_RETURN(session_, Session::create(o_.model_path, so));
    const auto& inputs = session_->inputs();
    if (inputs.empty()) return invalid_model(o_.model_path + ": the model has no inputs");
    const std::string wanted = sidecar_ ? sidecar_->input : "";
    auto it = inputs.begin();
    if (!wanted.empty()) {
        it = std::find_if(inputs.begin(), inputs.end(), [&](const ValueDescription& v) { return v.name == wanted; });
        if (it == inputs.end())
            return invalid_argument("sidecar '" + sidecar_->path + "': key 'input' names '" + wanted +
                                    "', which is not an input of " + o_.model_path);
    }
    if (inputs.size() > 1) {
        std::string names;
        for (const auto& v : inputs) names += (names.empty() ? "" : ", ") + v.name;
        return unsupported(o_.model_path + ": the model has " + std::to_string(inputs.size()) + " inputs (" + names +
                           "); vision commands feed exactly one image input");
    }
    input_ = *it;
    PreprocessConfig base;
    head_.default_preprocess(base);
    EDGEINFER_ASSIGN_OR_RETURN(ResolvedPreprocess resolved,
                               resolve_preprocess(base, sidecar_ ? &*sidecar_ : nullptr, o_.preprocess, input_));
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
        dims = config_.layout == Layout::kNchw ? std::vector<int64_t>{batch_, C, H, W}
                                               : std::vector<int64_t>{batch_, H, W, C};
    }
    tensor_ = Tensor::allocate(config_.dtype, dims);

    TaskContext context{o_, session_->inputs(), session_->outputs(), sidecar_ ? &*sidecar_ : nullptr, {}, "", config_};
    if (!o_.labels_path.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(context.labels, load_labels(o_.labels_path));
        context.labels_origin = "labels file '" + o_.labels_path + "'";
    } else if (sidecar_ && !sidecar_->labels.empty()) {
        context.labels = sidecar_->labels;
        context.labels_origin = "sidecar '" + sidecar_->path + "'";
    }
    EDGEINFER_RETURN_IF_ERROR(head_.prepare(context));

    info() << "model: " << o_.model_path << ", input '" << input_.name << "' " << shape_to_string(dims) << " "
           << dtype_name(config_.dtype) << (batch_ > 1 ? ", batch " + std::to_string(batch_) : std::string())
           << (clip_ > 0 ? ", clips of " + std::to_string(clip_) + " frames every " + std::to_string(stride_) : "")
           << ", device cpu" << (o_.force_cpu ? " (--force-cpu)" : "") << "\n";
    info() << "preprocess: " << config_.describe() << " (" << resolved.origin << ")\n";
    if (!context.labels.empty())
        info() << "labels: " << context.labels.size() << " from " << context.labels_origin << "\n";
    return Status::ok();
}

Status Runner::setup_save() {
    if (o_.save.empty()) return Status::ok();
    save_video_ = is_video_path(o_.save);
    std::error_code ec;
    fs::path dir = save_video_ ? fs::path(o_.save).parent_path() : fs::path(o_.save);
    if (!dir.empty()) fs::create_directories(dir, ec);
    if (ec) return io_error("--save " + o_.save + ": cannot create folder '" + dir.string() + "': " + ec.message());
    return Status::ok();
}

Status Runner::save(const io::Frame& frame, const TaskResult& result, std::string* saved) {
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

// The source's next frame; a source lost after it delivered frames is retried with backoff
// (kLostRetryDelays) before the run gives up with TaskOutcome::kSourceLost.
Result<io::Frame> Runner::next_frame(io::FrameSource& source) {
    static constexpr double kLostRetryDelays[] = {0.5, 1.0, 2.0};
    const auto first_failure = Clock::now();
    for (size_t attempt = 0;; ++attempt) {
        Result<io::Frame> frame = source.next();
        if (frame.is_ok() || frame.status().code() != StatusCode::kSourceLost || frames_ == 0 || stopped())
            return frame;
        const size_t n = std::size(kLostRetryDelays);
        if (attempt == n)
            return Status(StatusCode::kSourceLost, frame.status().message() + " (lost after " +
                                                       std::to_string(frames_) + " frames; gave up after " +
                                                       std::to_string(n) + " retries over " +
                                                       fixed(ms_since(first_failure) / 1000.0, 1) + " s)");
        clear_progress();
        base::log_warning(frame.status().message() + "; retrying in " + fixed(kLostRetryDelays[attempt], 1) + " s (" +
                          std::to_string(attempt + 1) + "/" + std::to_string(n) + ")");
        const auto until = Clock::now() + std::chrono::duration<double>(kLostRetryDelays[attempt]);
        while (Clock::now() < until && !stopped()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

Status Runner::handle_frame(io::Frame frame) {
    ++frames_;
    Pending p;
    const auto t0 = Clock::now();
    const size_t esize = dtype_size(config_.dtype);
    if (clip_ > 0) {
        p.pixels.resize(static_cast<size_t>(item_values_) * esize);
        EDGEINFER_ASSIGN_OR_RETURN(p.info, preprocess_into(frame.image, config_, p.pixels.data()));
    } else {
        auto* slot =
            static_cast<uint8_t*>(tensor_.data()) + pending_.size() * static_cast<size_t>(item_values_) * esize;
        EDGEINFER_ASSIGN_OR_RETURN(p.info, preprocess_into(frame.image, config_, slot));
    }
    p.pre_ms = ms_since(t0);
    p.frame = std::move(frame);
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
Status Runner::flush_batch() {
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
        std::vector<NamedTensor> views;
        for (NamedTensor& out : outputs) {
            if (batch_ == 1 || out.tensor.rank() == 0 || out.tensor.dims()[0] != batch_) {
                views.push_back(out);
                continue;
            }
            std::vector<int64_t> dims = out.tensor.dims();
            dims[0] = 1;
            const size_t bytes = static_cast<size_t>(shape_numel(dims)) * dtype_size(out.tensor.dtype());
            views.push_back({out.name, Tensor::wrap(out.tensor.dtype(), dims,
                                                    static_cast<uint8_t*>(out.tensor.data()) + b * bytes)});
        }
        EDGEINFER_RETURN_IF_ERROR(emit(views, items[b], infer_ms, nullptr));
    }
    return Status::ok();
}

// Assembles the window's T frames into N x C x T x H x W and runs it; the result belongs to the last frame.
Status Runner::run_clip() {
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

Status Runner::emit(const std::vector<NamedTensor>& outputs, const Pending& p, double infer_ms,
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
    } else {
        out_ << p.frame.source_id
             << (record.is_clip
                     ? " [clip " + std::to_string(record.clip_first) + "-" + std::to_string(record.clip_last) + "]"
                     : "")
             << ": " << record.line << "  (" << fixed(p.pre_ms + infer_ms + post_ms, 2) << " ms)"
             << (saved.empty() ? "" : " -> " + saved) << std::endl;
    }
    ++results_;
    progress(false);
    return Status::ok();
}

void Runner::progress(bool force) {
    if (!show_progress_) return;
    const auto now = Clock::now();
    if (!force && std::chrono::duration<double>(now - last_progress_).count() < 0.25) return;
    last_progress_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    StageStats infer = stage_stats(infer_), total = stage_stats(total_);
    err_ << "\r\033[K" << results_ << (clip_ > 0 ? " clips | " : " frames | ")
         << fixed(seconds > 0 ? results_ / seconds : 0.0, 1) << " fps | infer p50 " << fixed(infer.p50, 1) << " p95 "
         << fixed(infer.p95, 1) << " ms | total p50 " << fixed(total.p50, 1) << " ms" << std::flush;
    progress_shown_ = true;
}

void Runner::clear_progress() {
    if (!progress_shown_) return;
    err_ << "\r\033[K" << std::flush;
    progress_shown_ = false;
}

void Runner::print_summary(double seconds) {
    clear_progress();
    std::ostream& s = info();
    s << results_ << (clip_ > 0 ? " clips (" + std::to_string(frames_) + " frames)" : " frames") << " in "
      << fixed(seconds, 2) << " s (" << fixed(seconds > 0 ? results_ / seconds : 0.0, 1) << " per second)";
    if (!total_.empty()) {
        auto part = [&](const char* name, const std::vector<double>& v) {
            StageStats st = stage_stats(v);
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

TaskOutcome Runner::run() {
    Status s = setup_model();
    if (!s.is_ok()) return fail(TaskOutcome::kError, s);
    s = setup_save();
    if (!s.is_ok()) return fail(TaskOutcome::kSaveFailed, s);
    io::SourceOptions so;
    so.recursive = o_.recursive;
    so.loop = o_.loop;
    auto source = io::open_source(o_.dataspec, so);
    if (!source.is_ok()) return fail(TaskOutcome::kNoFrames, source.status());
    source_fps_ = source.value()->nominal_fps();
    info() << "source: " << source.value()->describe() << (o_.rate > 0 ? ", at most " + fixed(o_.rate, 1) + " fps" : "")
           << "\n"
           << std::flush;
    show_progress_ = o_.progress;
    io::RateLimiter limiter(o_.rate);
    start_ = last_progress_ = Clock::now();
    Status end = Status::ok();
    while ((o_.limit <= 0 || results_ < o_.limit) && !stopped()) {
        limiter.wait();
        Result<io::Frame> frame = next_frame(*source.value());
        if (!frame.is_ok()) {
            end = frame.status();
            break;
        }
        end = handle_frame(std::move(frame.value()));
        if (!end.is_ok()) break;
    }
    if (end.is_ok() || end.code() == StatusCode::kEndOfStream || end.code() == StatusCode::kSourceLost || stopped()) {
        Status flushed = flush_batch();  // frames read before the end still get their results
        if (!flushed.is_ok() && (end.is_ok() || end.code() == StatusCode::kEndOfStream)) end = flushed;
    }
    if (!end.is_ok() && end.code() == StatusCode::kEndOfStream && clip_ > 0 && results_ == 0 && frames_ > 0)
        base::log_warning("the source ended after " + std::to_string(frames_) + " frames, fewer than one clip of " +
                          std::to_string(clip_));
    print_summary(std::chrono::duration<double>(Clock::now() - start_).count());
    if (stopped()) {
        clear_progress();
        err_ << "edgeinfer " << o_.command << ": interrupted\n";
        return TaskOutcome::kInterrupted;
    }
    if (end.is_ok() || end.code() == StatusCode::kEndOfStream) {
        if (frames_ == 0)
            return fail(TaskOutcome::kNoFrames, Status(StatusCode::kEndOfStream, o_.dataspec + ": no frames"));
        return TaskOutcome::kOk;
    }
    if (end.code() == StatusCode::kCancelled) return fail(TaskOutcome::kSaveFailed, io_error(end.message()));
    if (frames_ == 0) return fail(TaskOutcome::kNoFrames, end);
    if (end.code() == StatusCode::kSourceLost) return fail(TaskOutcome::kSourceLost, end);
    return fail(TaskOutcome::kError, end);
}

}  // namespace

void draw_banner(cv::Mat& image, const std::string& text) {
    if (image.empty() || text.empty()) return;
    const double font_scale = std::clamp(image.cols / 640.0, 0.35, 1.2);
    const int thickness = font_scale > 0.8 ? 2 : 1;
    int baseline = 0;
    cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, thickness, &baseline);
    const int h = std::min(image.rows, size.height + baseline + 8);
    cv::Mat band = image(cv::Rect(0, 0, image.cols, h));
    band *= 0.35;
    cv::putText(image, text, cv::Point(4, h - baseline - 4), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}

void TaskHead::annotate(cv::Mat& image, const TaskResult& result) const { draw_banner(image, line(result)); }

StageStats stage_stats(std::vector<double> v) {
    const base::LatencyStats l = base::latency_stats(std::move(v));
    StageStats s;
    s.p50 = l.p50;
    s.p95 = l.p95;
    s.mean = l.mean;
    return s;
}

TaskOutcome run_task(const TaskOptions& options, TaskHead& head, std::ostream& out, std::ostream& err) {
    Runner runner(options, head, out, err);
    return runner.run();
}

}  // namespace edgeinfer::vision

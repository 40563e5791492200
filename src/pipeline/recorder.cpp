// Pre-event ring buffer and the MP4 clip recorder (cv::VideoWriter, mp4v).
#include "pipeline/recorder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "base/logging.hpp"
#include "pipeline/line_file.hpp"
#include "pipeline/metadata.hpp"

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;

std::string safe_name(const std::string& s) {
    std::string out = s;
    for (char& c : out)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    return out;
}

constexpr const char* kPartialPrefix = ".partial-";

}  // namespace

fs::path partial_clip_path(const fs::path& final_path) {
    return final_path.parent_path() /
           (kPartialPrefix + std::to_string(::getpid()) + "-" + final_path.filename().string());
}

std::vector<fs::path> remove_incomplete_clips(const fs::path& dir) {
    std::vector<fs::path> removed;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const std::string prefix = kPartialPrefix;
        if (name.rfind(prefix, 0) != 0 || entry.path().extension() != ".mp4") continue;
        const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        // A clip another live process (another pipeline on the same folder) is writing stays.
        if (pid > 0 && pid != long(::getpid()) && (::kill(pid_t(pid), 0) == 0 || errno == EPERM)) continue;
        std::error_code rm;
        if (fs::remove(entry.path(), rm)) removed.push_back(entry.path());
    }
    return removed;
}

void FrameRing::push(const cv::Mat& image, int64_t timestamp_us) {
    frames_.push_back({image, timestamp_us});
    while (frames_.size() > 1 && frames_.front().timestamp_us < timestamp_us - span_us_) frames_.pop_front();
}

double FrameRing::measured_fps() const {
    if (frames_.size() < 2) return 0.0;
    const double span = double(frames_.back().timestamp_us - frames_.front().timestamp_us) / 1e6;
    return span > 0 ? double(frames_.size() - 1) / span : 0.0;
}

ClipRecorder::ClipRecorder(RecorderOptions options, std::string source_id)
    : options_(std::move(options)), source_id_(std::move(source_id)), ring_(options_.pre_seconds) {}

ClipRecorder::~ClipRecorder() { finish(); }

Status ClipRecorder::check_space() const {
    std::error_code ec;
    const fs::space_info space = fs::space(options_.directory, ec);
    if (ec) return io_error(options_.directory.string() + ": cannot check free space: " + ec.message());
    if (space.available < options_.min_free_bytes)
        return io_error(options_.directory.string() + ": disk full: " + std::to_string(space.available >> 20) +
                        " MiB free, recording needs at least " + std::to_string(options_.min_free_bytes >> 20) +
                        " MiB");
    return Status::ok();
}

Status ClipRecorder::push(const cv::Mat& image, int64_t timestamp_us) {
    ring_.push(image, timestamp_us);
    if (!writer_) return Status::ok();
    if (timestamp_us >= end_us_ || timestamp_us >= limit_us_) {
        close(Status::ok());
        return Status::ok();
    }
    // Check the disk about once a second of video.
    if (current_.frames % std::max(1, int(current_.fps)) == 0) {
        Status space = check_space();
        if (!space.is_ok()) {
            close(space);
            return space;
        }
    }
    Status s = write(image, timestamp_us);
    if (!s.is_ok()) close(s);
    return s;
}

Status ClipRecorder::write(const cv::Mat& image, int64_t timestamp_us) {
    try {
        if (image.size() == size_) {
            writer_->write(image);
        } else {
            cv::Mat resized;
            cv::resize(image, resized, size_);
            writer_->write(resized);
        }
    } catch (const cv::Exception& e) {
        return io_error(current_.path.string() + ": cannot write frame: " + e.what());
    }
    current_.frames++;
    current_.end_us = timestamp_us;
    last_written_us_ = timestamp_us;
    return Status::ok();
}

Result<fs::path> ClipRecorder::trigger(int64_t timestamp_us, const std::string& rule_name) {
    const int64_t duration_us = int64_t(options_.duration_in_seconds * 1e6);
    if (writer_) {
        end_us_ = std::min(std::max(end_us_, timestamp_us + duration_us), limit_us_);
        return current_.path;
    }
    auto fail = [&](Status s) -> Result<fs::path> {
        ++errors_;
        base::log_warning("recording " + source_id_ + ": " + s.to_string());
        return s;
    };
    std::error_code ec;
    fs::create_directories(options_.directory, ec);
    if (ec || !fs::is_directory(options_.directory))
        return fail(io_error(options_.directory.string() + ": cannot create recordings folder: " +
                             (ec ? ec.message() : std::string("not a folder"))));
    if (Status s = check_space(); !s.is_ok()) return fail(s);
    // Pre-event frames: the ring's frames not already written to an earlier clip.
    std::vector<const TimedFrame*> pre;
    for (const auto& f : ring_.frames())
        if (f.timestamp_us > last_written_us_ && f.timestamp_us <= timestamp_us) pre.push_back(&f);
    if (pre.empty()) return fail(invalid_argument("recording " + source_id_ + ": no frame to record yet"));
    current_ = ClipInfo{};
    current_.rule_name = rule_name;
    current_.fps = options_.fps > 0 ? options_.fps : ring_.measured_fps() > 0 ? ring_.measured_fps() : 30.0;
    current_.start_us = pre.front()->timestamp_us;
    const std::string stamp = iso8601_utc(current_.start_us);
    current_.path =
        options_.directory / (safe_name(source_id_) + "_" + safe_name(rule_name) + "_" + safe_name(stamp) + ".mp4");
    size_ = pre.back()->image.size();
    partial_ = partial_clip_path(current_.path);
    writer_ = std::make_unique<cv::VideoWriter>();
    bool opened = false;
    try {
        opened = writer_->open(partial_.string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), current_.fps, size_);
    } catch (const cv::Exception&) {
        opened = false;
    }
    if (!opened) {
        writer_.reset();
        std::error_code rm;
        fs::remove(partial_, rm);
        return fail(io_error(partial_.string() + ": cannot open clip for writing"));
    }
    end_us_ = timestamp_us + duration_us;
    limit_us_ = current_.start_us + int64_t(options_.max_duration_in_seconds * 1e6);
    end_us_ = std::min(end_us_, limit_us_);
    for (const TimedFrame* f : pre) {
        if (f->timestamp_us >= limit_us_) break;
        if (Status s = write(f->image, f->timestamp_us); !s.is_ok()) {
            close(s);
            return s;
        }
    }
    return current_.path;
}

void ClipRecorder::close(Status status) {
    if (!writer_) return;
    try {
        writer_->release();
    } catch (const cv::Exception& e) {
        if (status.is_ok()) status = io_error(current_.path.string() + ": cannot finish clip: " + e.what());
    }
    writer_.reset();
    // Complete: on disk (fsync), then under its name. Empty (nothing could be written): removed.
    std::error_code ec;
    const bool empty = !fs::exists(partial_, ec) || fs::file_size(partial_, ec) == 0;
    if (empty) {
        if (status.is_ok()) status = io_error(current_.path.string() + ": clip is empty after writing (disk full?)");
        fs::remove(partial_, ec);
    } else {
        Status synced = Status::ok();
        if (const int fd = ::open(partial_.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
            if (::fsync(fd) != 0) synced = io_error(partial_.string() + ": fsync: " + std::strerror(errno));
            ::close(fd);
        }
        fs::rename(partial_, current_.path, ec);
        if (ec) {
            synced = io_error(current_.path.string() + ": cannot rename the finished clip: " + ec.message());
            fs::remove(partial_, ec);
        } else {
            current_.saved = true;
            (void)sync_directory(options_.directory);
        }
        if (status.is_ok() && !synced.is_ok()) status = synced;
    }
    if (!status.is_ok()) {
        ++errors_;
        base::log_warning("recording " + source_id_ + ": " + status.to_string());
    }
    current_.status = status;
    clips_.push_back(current_);
}

void ClipRecorder::finish() { close(Status::ok()); }

}  // namespace edgeinfer::pipeline

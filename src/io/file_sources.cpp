// Frame sources over files: a folder of images, one image, a video file or network stream
// (OpenCV/FFmpeg), a GStreamer pipeline (gst:..., OpenCV/GStreamer).
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "io/image_header.hpp"
#include "io/sources.hpp"

namespace edgeinfer::io {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const fs::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

// Resizes to the requested output size when one is set (SourceOptions::mode).
void apply_size(cv::Mat& image, const CaptureMode& mode) {
    if (mode.width > 0 && (image.cols != mode.width || image.rows != mode.height))
        cv::resize(image, image, cv::Size(mode.width, mode.height), 0, 0, cv::INTER_AREA);
}

class ImageListSource final : public FrameSource {
  public:
    ImageListSource(std::vector<fs::path> files, std::string description, bool single, int64_t max_pixels)
        : files_(std::move(files)), description_(std::move(description)), single_(single), max_pixels_(max_pixels) {}

    Result<io::Frame> next() override {
        while (index_ < files_.size()) {
            const fs::path& file = files_[index_++];
            bool truncated = false;
            Result<cv::Mat> image = read_image_file(file, max_pixels_, &truncated);
            if (!image.is_ok()) {
                if (single_) return image.status();
                base::log_warning("skipping " + image.status().message());
                ++skipped_;
                continue;
            }
            ++delivered_;
            if (truncated) ++truncated_;
            io::Frame frame;
            frame.image = std::move(image.value());
            frame.seq = index_ - 1;
            frame.timestamp_us = io::now_us();
            frame.source_id = file.string();
            return frame;
        }
        if (delivered_ == 0 && skipped_ > 0)
            return io_error(description_ + ": none of the " + std::to_string(skipped_) + " image files could be read");
        return Status(StatusCode::kEndOfStream, description_ + ": no more images");
    }

    std::string describe() const override { return description_; }
    uint64_t truncated_frames() const override { return truncated_; }

  private:
    std::vector<fs::path> files_;
    std::string description_;
    bool single_;
    int64_t max_pixels_;
    size_t index_ = 0;
    size_t delivered_ = 0;
    size_t skipped_ = 0;
    uint64_t truncated_ = 0;
};

class VideoSource final : public FrameSource {
  public:
    VideoSource(std::string path, SourceOptions options) : path_(std::move(path)), options_(options) {}

    Status open() {
        try {
            capture_.release();
            if (path_.rfind("gst:", 0) == 0) return open_gstreamer();
            // FFmpeg when this OpenCV has it (Debian's does); other backends only as a fallback,
            // since GStreamer's attempts on a non-video file print pages of warnings.
            const int backend = cv::videoio_registry::hasBackend(cv::CAP_FFMPEG) ? cv::CAP_FFMPEG : cv::CAP_ANY;
            if (!capture_.open(path_, backend))
                return io_error("video '" + path_ + "': cannot open it (missing, not a video, or no decoder)");
            fps_ = capture_.get(cv::CAP_PROP_FPS);
            frame_count_ = static_cast<int64_t>(capture_.get(cv::CAP_PROP_FRAME_COUNT));
            // The stream's declared size, before any frame is decoded.
            const double w = capture_.get(cv::CAP_PROP_FRAME_WIDTH), h = capture_.get(cv::CAP_PROP_FRAME_HEIGHT);
            if (w > 0 && h > 0 && w < 4e9 && h < 4e9) {
                Status limit = check_pixel_limit("video '" + path_ + "'", static_cast<int64_t>(w),
                                                 static_cast<int64_t>(h), options_.max_pixels);
                if (!limit.is_ok()) {
                    capture_.release();
                    return limit;
                }
            }
        } catch (const cv::Exception& e) {
            return io_error("video '" + path_ + "': " + e.what());
        }
        return Status::ok();
    }

    // gst:PIPELINE through OpenCV's GStreamer backend; the pipeline ends in an appsink.
    Status open_gstreamer() {
        const std::string pipeline = path_.substr(4);
        if (!cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER))
            return unsupported("'" + path_ + "': this OpenCV was built without GStreamer");
        if (pipeline.find("appsink") == std::string::npos)
            return invalid_argument("'" + path_ +
                                    "': a gst: pipeline must end in an appsink, e.g. gst:videotestsrc ! videoconvert ! "
                                    "appsink");
        if (!capture_.open(pipeline, cv::CAP_GSTREAMER))
            return io_error("'" + path_ +
                            "': GStreamer cannot start the pipeline (a misspelt or missing element? Debian's "
                            "gstreamer1.0-plugins-base/-good hold videotestsrc, videoconvert, appsink, udpsrc, "
                            "rtpjpegdepay; gst-launch-1.0 shows the pipeline's own error)");
        fps_ = capture_.get(cv::CAP_PROP_FPS);
        frame_count_ = 0;  // a pipeline declares no length
        return Status::ok();
    }

    Result<io::Frame> next() override {
        cv::Mat image;
        if (!read(image)) {
            if (!options_.loop || frames_this_pass_ == 0) return end_status();
            EDGEINFER_RETURN_IF_ERROR(open());  // loop: start again from the first frame
            frames_this_pass_ = 0;
            if (!read(image)) return end_status();
        }
        ++frames_this_pass_;
        apply_size(image, options_.mode);
        io::Frame frame;
        frame.image = std::move(image);
        frame.seq = seq_++;
        frame.timestamp_us = io::now_us();
        frame.source_id = path_ + "#" + std::to_string(frame.seq);
        return frame;
    }

    std::string describe() const override {
        std::string d = (path_.rfind("gst:", 0) == 0 ? "GStreamer " : "video ") + path_;
        if (frame_count_ > 0) d += " (" + std::to_string(frame_count_) + " frames";
        if (fps_ > 0) d += (frame_count_ > 0 ? ", " : " (") + std::to_string(static_cast<int>(fps_ + 0.5)) + " fps";
        if (frame_count_ > 0 || fps_ > 0) d += ")";
        if (options_.loop) d += ", looped";
        return d;
    }

    double nominal_fps() const override { return fps_ > 0 && fps_ < 1000 ? fps_ : 0.0; }

  private:
    bool read(cv::Mat& image) {
        try {
            if (!capture_.read(image) || image.empty()) return false;
            if (!check_pixel_limit("video '" + path_ + "'", image.cols, image.rows, options_.max_pixels).is_ok())
                return false;  // a stream whose frames outgrow its declared size (checked at open)
        } catch (const cv::Exception& e) {
            base::log_warning("video '" + path_ + "': " + e.what());
            return false;
        }
        if (image.type() != CV_8UC3) {
            cv::Mat converted;
            if (image.channels() == 1)
                cv::cvtColor(image, converted, cv::COLOR_GRAY2BGR);
            else if (image.channels() == 4)
                cv::cvtColor(image, converted, cv::COLOR_BGRA2BGR);
            else
                return false;
            image = converted;
        }
        return true;
    }

    Status end_status() const {
        if (seq_ == 0) return io_error("video '" + path_ + "': no frame could be decoded");
        if (frame_count_ > 0 && static_cast<int64_t>(frames_this_pass_) + 1 < frame_count_)
            base::log_warning("video '" + path_ + "' ended after " + std::to_string(frames_this_pass_) + " of " +
                              std::to_string(frame_count_) + " frames (truncated?)");
        return Status(StatusCode::kEndOfStream, "video '" + path_ + "': end after " + std::to_string(seq_) + " frames");
    }

    std::string path_;
    SourceOptions options_;
    cv::VideoCapture capture_;
    double fps_ = 0.0;
    int64_t frame_count_ = 0;
    uint64_t seq_ = 0;
    uint64_t frames_this_pass_ = 0;
};

}  // namespace

bool has_image_extension(const fs::path& file) {
    static const char* kExtensions[] = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp",
                                        ".ppm", ".pgm",  ".pbm", ".pnm", ".jp2", ".sr",   ".ras"};
    std::string ext = lower_extension(file);
    return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

bool has_video_extension(const fs::path& file) {
    static const char* kExtensions[] = {".mp4",  ".avi", ".mkv", ".mov", ".webm",  ".m4v",  ".mpg",
                                        ".mpeg", ".wmv", ".flv", ".ts",  ".mjpeg", ".mjpg", ".3gp"};
    std::string ext = lower_extension(file);
    return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

Result<cv::Mat> read_image_file(const fs::path& file, int64_t max_pixels, bool* truncated) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return io_error("image '" + file.string() + "': cannot be opened for reading");
    std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return io_error("image '" + file.string() + "': read error");
    if (bytes.empty()) return io_error("image '" + file.string() + "': empty file (0 bytes)");
    const std::string what = "image '" + file.string() + "'";
    EDGEINFER_RETURN_IF_ERROR(check_image_bytes(what, bytes.data(), bytes.size(), max_pixels));
    cv::Mat image;
    try {
        // IMREAD_COLOR: grayscale becomes BGR, alpha is dropped, 16-bit is scaled to 8-bit.
        image = cv::imdecode(bytes, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        return io_error("image '" + file.string() + "': " + e.what());
    }
    if (image.empty())
        return io_error("image '" + file.string() + "': not a decodable image (" + std::to_string(bytes.size()) +
                        " bytes)");
    EDGEINFER_RETURN_IF_ERROR(check_pixel_limit(what, image.cols, image.rows, max_pixels));
    const bool cut = jpeg_truncated(bytes.data(), bytes.size());
    if (cut)
        base::log_warning(what + ": truncated JPEG (no end-of-image marker after " + std::to_string(bytes.size()) +
                          " bytes); decoded with its missing rows filled in");
    if (truncated != nullptr) *truncated = cut;
    return image;
}

Result<std::unique_ptr<FrameSource>> open_folder_source(const fs::path& dir, const SourceOptions& options) {
    std::vector<fs::path> files;
    std::error_code ec;
    auto add = [&](const fs::directory_entry& entry) {
        std::error_code e;
        if (entry.is_regular_file(e) && has_image_extension(entry.path())) files.push_back(entry.path());
    };
    if (options.recursive) {
        for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end; it.increment(ec))
            add(*it);
    } else {
        for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
             it.increment(ec))
            add(*it);
    }
    if (ec) return io_error("folder '" + dir.string() + "': " + ec.message());
    if (files.empty())
        return not_found("folder '" + dir.string() + "' has no images (.jpg, .png, .bmp, .tif, .webp, ...)" +
                         (options.recursive ? "" : "; --recursive also searches sub-folders"));
    std::sort(files.begin(), files.end());
    std::string description = "folder " + dir.string() + " (" + std::to_string(files.size()) + " images" +
                              (options.recursive ? ", recursive)" : ")");
    return std::unique_ptr<FrameSource>(
        std::make_unique<ImageListSource>(std::move(files), description, false, options.max_pixels));
}

Result<std::unique_ptr<FrameSource>> open_image_source(const fs::path& file, int64_t max_pixels) {
    return std::unique_ptr<FrameSource>(
        std::make_unique<ImageListSource>(std::vector<fs::path>{file}, "image " + file.string(), true, max_pixels));
}

Result<std::unique_ptr<FrameSource>> open_video_source(const fs::path& file, const SourceOptions& options) {
    auto source = std::make_unique<VideoSource>(file.string(), options);
    EDGEINFER_RETURN_IF_ERROR(source->open());
    return std::unique_ptr<FrameSource>(std::move(source));
}

}  // namespace edgeinfer::io

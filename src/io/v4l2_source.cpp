// V4L2 cameras (/dev/videoN): frames through OpenCV's V4L2 backend, modes listed with the
// V4L2 ioctls (formats, frame sizes, frame intervals).
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>

#include "base/status.hpp"
#include "io/sources.hpp"

namespace edgeinfer::io {
namespace {

std::string device_path(int index) { return "/dev/video" + std::to_string(index); }

class V4l2Source final : public FrameSource {
  public:
    V4l2Source(int index, SourceOptions options) : index_(index), options_(options) {}

    Status open() {
        const std::string dev = device_path(index_);
        std::error_code ec;
        if (!std::filesystem::exists(dev, ec))
            return Status(StatusCode::kSourceLost, "camera v4l2:" + std::to_string(index_) + ": " + dev +
                                                       " does not exist (no camera, or not passed into the container)");
        try {
            if (!capture_.open(index_, cv::CAP_V4L2))
                return Status(StatusCode::kSourceLost, "camera v4l2:" + std::to_string(index_) + ": cannot open " +
                                                           dev + " (busy or no permission?)");
            if (options_.mode.fourcc.size() == 4) {
                const std::string& f = options_.mode.fourcc;
                capture_.set(cv::CAP_PROP_FOURCC, cv::VideoWriter::fourcc(f[0], f[1], f[2], f[3]));
            }
            if (options_.mode.width > 0) {
                capture_.set(cv::CAP_PROP_FRAME_WIDTH, options_.mode.width);
                capture_.set(cv::CAP_PROP_FRAME_HEIGHT, options_.mode.height);
            }
            if (options_.mode.fps > 0) capture_.set(cv::CAP_PROP_FPS, options_.mode.fps);
            width_ = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_WIDTH));
            height_ = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_HEIGHT));
            fps_ = capture_.get(cv::CAP_PROP_FPS);
        } catch (const cv::Exception& e) {
            return Status(StatusCode::kSourceLost, "camera v4l2:" + std::to_string(index_) + ": " + e.what());
        }
        return Status::ok();
    }

    Result<io::Frame> next() override {
        cv::Mat image;
        try {
            if (!capture_.read(image) || image.empty())
                return Status(StatusCode::kSourceLost,
                              "camera v4l2:" + std::to_string(index_) + " stopped delivering frames");
        } catch (const cv::Exception& e) {
            return Status(StatusCode::kSourceLost, "camera v4l2:" + std::to_string(index_) + ": " + e.what());
        }
        if (image.channels() == 1) cv::cvtColor(image, image, cv::COLOR_GRAY2BGR);
        if (image.channels() == 4) cv::cvtColor(image, image, cv::COLOR_BGRA2BGR);
        io::Frame frame;
        frame.image = std::move(image);
        frame.seq = seq_++;
        frame.timestamp_us = io::now_us();
        frame.source_id = "v4l2:" + std::to_string(index_);
        return frame;
    }

    std::string describe() const override {
        std::ostringstream s;
        s << "v4l2:" << index_ << " (" << device_path(index_) << ", " << width_ << "x" << height_;
        if (fps_ > 0) s << " @ " << fps_ << " fps";
        s << ")";
        return s.str();
    }

  private:
    int index_;
    SourceOptions options_;
    cv::VideoCapture capture_;
    int width_ = 0;
    int height_ = 0;
    double fps_ = 0.0;
    uint64_t seq_ = 0;
};

std::string fourcc_name(uint32_t f) {
    std::string s;
    for (int i = 0; i < 4; ++i) s += static_cast<char>((f >> (8 * i)) & 0xff);
    return s;
}

int xioctl(int fd, unsigned long request, void* arg) {
    int r;
    do r = ioctl(fd, request, arg);
    while (r == -1 && errno == EINTR);
    return r;
}

// The frame rates of one (format, size), as " @ 30,15" for humans; *highest: the highest discrete rate.
std::string rates(int fd, uint32_t format, uint32_t width, uint32_t height, double* highest) {
    std::ostringstream s;
    v4l2_frmivalenum ival{};
    ival.pixel_format = format;
    ival.width = width;
    ival.height = height;
    *highest = 0.0;
    for (ival.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &ival) == 0; ++ival.index) {
        if (ival.type == V4L2_FRMIVAL_TYPE_DISCRETE && ival.discrete.numerator > 0) {
            const double fps = static_cast<double>(ival.discrete.denominator) / ival.discrete.numerator;
            *highest = std::max(*highest, fps);
            s << (ival.index ? "," : " @ ") << fps;
        } else {
            s << " @ up to "
              << static_cast<double>(ival.stepwise.min.denominator) / std::max(1u, ival.stepwise.min.numerator);
            break;
        }
    }
    return s.str();
}

}  // namespace

Result<std::unique_ptr<FrameSource>> open_v4l2_source(int index, const SourceOptions& options) {
    auto source = std::make_unique<V4l2Source>(index, options);
    EDGEINFER_RETURN_IF_ERROR(source->open());
    return std::unique_ptr<FrameSource>(std::move(source));
}

Result<std::vector<ListedMode>> list_v4l2_modes(int index) {
    const std::string dev = device_path(index);
    int fd = ::open(dev.c_str(), O_RDWR | O_NONBLOCK);
    if (fd < 0)
        return Status(StatusCode::kSourceLost,
                      "camera v4l2:" + std::to_string(index) + ": cannot open " + dev + ": " + std::strerror(errno));
    std::vector<ListedMode> modes;
    v4l2_fmtdesc fmt{};
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    for (fmt.index = 0; xioctl(fd, VIDIOC_ENUM_FMT, &fmt) == 0; ++fmt.index) {
        v4l2_frmsizeenum size{};
        size.pixel_format = fmt.pixelformat;
        for (size.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0; ++size.index) {
            ListedMode mode;
            std::ostringstream line;
            line << fourcc_name(fmt.pixelformat) << " ";
            if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
                double highest = 0.0;
                line << size.discrete.width << "x" << size.discrete.height
                     << rates(fd, fmt.pixelformat, size.discrete.width, size.discrete.height, &highest);
                mode.mode.width = static_cast<int>(size.discrete.width);
                mode.mode.height = static_cast<int>(size.discrete.height);
                mode.mode.fps = highest;
                mode.mode.fourcc = fourcc_name(fmt.pixelformat);
                mode.text = line.str();
                modes.push_back(std::move(mode));
            } else {  // a range: listed, not selectable by number
                line << size.stepwise.min_width << "x" << size.stepwise.min_height << " to " << size.stepwise.max_width
                     << "x" << size.stepwise.max_height;
                mode.text = line.str();
                modes.push_back(std::move(mode));
                break;
            }
        }
    }
    ::close(fd);
    if (modes.empty())
        return unsupported("camera v4l2:" + std::to_string(index) + " (" + dev +
                           ") lists no capture modes (not a capture device?)");
    return modes;
}

}  // namespace edgeinfer::io

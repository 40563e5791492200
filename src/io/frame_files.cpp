// io::save_frame_png, io::format_timestamp_us and io::frame_label: frames as files, timestamps and
// frame names as text, as `edgeinfer frames --save` and the vision commands write and print them.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "io/frame.hpp"

namespace edgeinfer::io {

Result<std::string> save_frame_png(const std::string& dir, int64_t index, const edgeinfer::Frame& frame) {
    std::ostringstream name;
    name << "frame_" << std::setw(6) << std::setfill('0') << index << ".png";
    std::string path = (std::filesystem::path(dir) / name.str()).string();
    try {
        if (!cv::imwrite(path, mat_from_view(frame.image.view()))) return io_error("cannot write " + path);
    } catch (const cv::Exception& e) {
        return io_error("cannot write " + path + ": " + e.what());
    }
    return path;
}

std::string format_timestamp_us(int64_t us) {
    std::ostringstream s;
    s << us / 1000000 << "." << std::setw(6) << std::setfill('0') << us % 1000000;
    return s.str();
}

std::string frame_label(const Frame& frame) {
    static constexpr std::string_view kLive[] = {"tcp://",  "ipc://", "v4l2:",  "/dev/video", "pattern:", "gst:",
                                                 "rtsp://", "udp://", "rtp://", "http://",    "https://"};
    const std::string& id = frame.source_id;
    const auto hash = id.rfind('#');
    if (hash != std::string::npos && hash + 1 < id.size() &&
        id.find_first_not_of("0123456789", hash + 1) == std::string::npos)
        return id;  // "clip.mp4#12": already one frame
    const bool live = std::any_of(std::begin(kLive), std::end(kLive),
                                  [&](std::string_view prefix) { return id.rfind(prefix, 0) == 0; });
    return live ? id + "#" + std::to_string(frame.seq) : id;
}

}  // namespace edgeinfer::io

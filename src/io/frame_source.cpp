// DATASPEC parsing (io::open_source), capture modes and the rate limiter.
#include "io/frame_source.hpp"

#include <charconv>
#include <filesystem>
#include <thread>

#include "base/status.hpp"
#include "io/camera_client.hpp"
#include "io/sources.hpp"

namespace edgeinfer::io {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDataspecForms =
    "expected a folder, an image, a video file, /dev/videoN, v4l2:N, tcp://HOST:PORT, ipc://PATH, pattern:WxH, "
    "rtsp:// udp:// rtp:// http:// URLs or gst:PIPELINE";

bool parse_int(std::string_view text, int& out) {
    if (text.empty()) return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "640x480" -> (640, 480); both in 1..16384.
bool parse_size(std::string_view text, int& width, int& height) {
    auto x = text.find('x');
    if (x == std::string_view::npos) return false;
    if (!parse_int(text.substr(0, x), width) || !parse_int(text.substr(x + 1), height)) return false;
    return width > 0 && height > 0 && width <= 16384 && height <= 16384;
}

Result<int> parse_camera_index(std::string_view dataspec, std::string_view digits) {
    int index = -1;
    if (!parse_int(digits, index) || index < 0 || index > 255)
        return invalid_argument("DATASPEC '" + std::string(dataspec) +
                                "': expected a camera number as in v4l2:0 or /dev/video0");
    return index;
}

Result<std::unique_ptr<FrameSource>> open_pattern(std::string_view dataspec, const SourceOptions& options) {
    int width = 0, height = 0;
    if (!parse_size(dataspec.substr(8), width, height))
        return invalid_argument("DATASPEC '" + std::string(dataspec) +
                                "': expected pattern:WxH with sizes 1..16384, e.g. pattern:640x480");
    if (options.mode.width > 0) {
        width = options.mode.width;
        height = options.mode.height;
    }
    return open_pattern_source(width, height);
}

Result<std::unique_ptr<FrameSource>> open_path(std::string_view dataspec, const SourceOptions& options) {
    fs::path path{std::string(dataspec)};
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st))
        return not_found("DATASPEC '" + std::string(dataspec) + "': no such file or folder (" +
                         std::string(kDataspecForms) + ")");
    if (fs::is_directory(st)) return open_folder_source(path, options);
    if (has_image_extension(path)) return open_image_source(path, options.max_pixels);
    if (has_video_extension(path)) return open_video_source(path, options);
    // Unknown extension: an image if it decodes as one, else try it as a video.
    if (read_image_file(path, options.max_pixels).is_ok()) return open_image_source(path, options.max_pixels);
    auto video = open_video_source(path, options);
    if (video.is_ok()) return video;
    return unsupported("DATASPEC '" + std::string(dataspec) + "': neither an image nor a video OpenCV can read");
}

}  // namespace

Result<CaptureMode> parse_capture_mode(std::string_view text) {
    CaptureMode mode;
    std::string_view size = text;
    auto at = text.find('@');
    if (at != std::string_view::npos) {
        size = text.substr(0, at);
        std::string rate(text.substr(at + 1));
        char* end = nullptr;
        mode.fps = std::strtod(rate.c_str(), &end);
        if (rate.empty() || *end != '\0' || !(mode.fps > 0.0) || mode.fps > 1000.0)
            return invalid_argument("capture mode '" + std::string(text) + "': rate after '@' must be in (0, 1000]");
    }
    if (!size.empty() && !parse_size(size, mode.width, mode.height))
        return invalid_argument("capture mode '" + std::string(text) + "': expected WxH[@FPS], e.g. 1280x720@30");
    if (size.empty() && at == std::string_view::npos)
        return invalid_argument("capture mode is empty: expected WxH[@FPS], e.g. 1280x720@30");
    return mode;
}

Result<std::unique_ptr<FrameSource>> open_source(std::string_view dataspec, const SourceOptions& options) {
    if (dataspec.empty()) return invalid_argument("DATASPEC is empty (" + std::string(kDataspecForms) + ")");
    if (starts_with(dataspec, "tcp://") || starts_with(dataspec, "ipc://"))
        return open_camera_source(dataspec, options.max_pixels);
    if (starts_with(dataspec, "pattern:")) return open_pattern(dataspec, options);
    if (starts_with(dataspec, "v4l2:")) {
        EDGEINFER_ASSIGN_OR_RETURN(int index, parse_camera_index(dataspec, dataspec.substr(5)));
        return open_v4l2_source(index, options);
    }
    if (starts_with(dataspec, "/dev/video")) {
        EDGEINFER_ASSIGN_OR_RETURN(int index, parse_camera_index(dataspec, dataspec.substr(10)));
        return open_v4l2_source(index, options);
    }
    // Network streams through OpenCV's FFmpeg backend; gst:PIPELINE through its GStreamer backend.
    for (std::string_view scheme : {"rtsp://", "rtsps://", "http://", "https://", "udp://", "rtp://", "srt://", "gst:"})
        if (starts_with(dataspec, scheme)) return open_video_source(fs::path(std::string(dataspec)), options);
    return open_path(dataspec, options);
}

Result<std::vector<ListedMode>> list_capture_modes(std::string_view dataspec) {
    if (starts_with(dataspec, "v4l2:")) {
        EDGEINFER_ASSIGN_OR_RETURN(int index, parse_camera_index(dataspec, dataspec.substr(5)));
        return list_v4l2_modes(index);
    }
    if (starts_with(dataspec, "/dev/video")) {
        EDGEINFER_ASSIGN_OR_RETURN(int index, parse_camera_index(dataspec, dataspec.substr(10)));
        return list_v4l2_modes(index);
    }
    if (starts_with(dataspec, "tcp://") || starts_with(dataspec, "ipc://"))
        return unsupported(std::string(dataspec) + " is a camera server: its modes are chosen where it runs");
    if (starts_with(dataspec, "pattern:")) {
        int width = 0, height = 0;
        if (!parse_size(dataspec.substr(8), width, height))
            return invalid_argument("DATASPEC '" + std::string(dataspec) +
                                    "': expected pattern:WxH with sizes 1..16384, e.g. pattern:640x480");
        // Its own size first, then common camera sizes; any other WxH@FPS is accepted by -m as well.
        std::vector<ListedMode> modes;
        const std::pair<int, int> sizes[] = {{width, height}, {320, 240}, {640, 480}, {1280, 720}, {1920, 1080}};
        for (const auto& size : sizes) {
            CaptureMode m;
            m.width = size.first;
            m.height = size.second;
            m.fps = kPatternFps;
            std::string text = std::to_string(m.width) + "x" + std::to_string(m.height) + " @ 30";
            if (modes.empty())
                text += "  (pattern's own size)";
            else if (m.width == width && m.height == height)
                continue;
            modes.push_back({text, m});
        }
        return modes;
    }
    EDGEINFER_ASSIGN_OR_RETURN(auto source, open_source(dataspec));
    EDGEINFER_ASSIGN_OR_RETURN(io::Frame frame, source->next());
    CaptureMode m;
    m.width = frame.width();
    m.height = frame.height();
    m.fps = source->nominal_fps();
    std::string line = std::to_string(m.width) + "x" + std::to_string(m.height);
    if (m.fps > 0) line += " @ " + std::to_string(static_cast<int>(m.fps + 0.5));
    return std::vector<ListedMode>{{line + "  (" + source->describe() + "; -m WxH resizes)", m}};
}

Result<CaptureMode> select_capture_mode(std::string_view text, const std::vector<ListedMode>& modes,
                                        std::string_view dataspec) {
    int index = -1;
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits) return parse_capture_mode(text);
    const std::string where = "capture mode " + std::string(text) + " of " + std::string(dataspec);
    if (!parse_int(text, index) || index < 0 || static_cast<size_t>(index) >= modes.size())
        return invalid_argument(where + ": " +
                                (modes.empty() ? std::string("the source lists no modes")
                                               : "the source lists modes 0.." + std::to_string(modes.size() - 1)) +
                                " (see --list-modes); or give WxH[@FPS]");
    const ListedMode& listed = modes[static_cast<size_t>(index)];
    if (listed.mode.width <= 0)
        return invalid_argument(where + " ('" + listed.text + "') is a range: give a size in it as WxH[@FPS]");
    return listed.mode;
}

RateLimiter::RateLimiter(double rate_hz) : rate_hz_(rate_hz) {}

RateLimiter::Clock::time_point RateLimiter::next_slot() {
    Clock::time_point now = Clock::now();
    if (rate_hz_ <= 0.0) return now;
    auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate_hz_));
    if (count_ == 0) start_ = now;
    Clock::time_point slot = start_ + period * count_;
    if (now - slot > period) {  // fell behind (slow consumer): restart the schedule here
        start_ = now;
        count_ = 0;
        slot = now;
    }
    ++count_;
    return slot;
}

void RateLimiter::wait() {
    Clock::time_point slot = next_slot();
    if (slot > Clock::now()) std::this_thread::sleep_until(slot);
}

}  // namespace edgeinfer::io

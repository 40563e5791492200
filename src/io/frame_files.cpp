// io::save_frame_png and io::format_timestamp_us: frames as files and timestamps as text, as
// `edgeinfer frames --save` writes and prints them.
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

}  // namespace edgeinfer::io

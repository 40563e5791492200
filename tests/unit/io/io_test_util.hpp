// Helpers shared by the io/ tests: temporary folders, test videos, pixel comparisons.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <random>
#include <string>
#include <vector>

#include "io/sources.hpp"

namespace edgeinfer::testing {

// A fresh folder under the system temp dir, removed with its contents at destruction.
class TempDir {
  public:
    TempDir() {
        static std::atomic<int> counter{0};
        std::random_device rd;
        path_ =
            std::filesystem::temp_directory_path() / ("edgeinfer-io-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(counter++) + "-" + std::to_string(rd() % 100000));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

// The colour of frame k in the test videos: far apart so MJPEG's losses cannot confuse them.
inline cv::Vec3b video_colour(int k) {
    return cv::Vec3b(static_cast<uint8_t>((k * 40 + 20) % 256), static_cast<uint8_t>(255 - (k * 30) % 256),
                     static_cast<uint8_t>((k % 2) ? 200 : 40));
}

// Writes an MJPEG .avi of `frames` solid-colour frames; false when OpenCV cannot write one.
inline bool write_test_video(const std::string& path, int frames, int width = 64, int height = 48, double fps = 25) {
    cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(width, height));
    if (!writer.isOpened()) return false;
    for (int k = 0; k < frames; ++k)
        writer.write(
            cv::Mat(height, width, CV_8UC3, cv::Scalar(video_colour(k)[0], video_colour(k)[1], video_colour(k)[2])));
    return true;
}

// Mean absolute difference per channel value between `image` and the pattern frame `index`,
// where image(x, y) shows pattern(map_x(x), map_y(y)).
template <typename MapX, typename MapY>
double pattern_error(const cv::Mat& image, uint64_t index, MapX map_x, MapY map_y) {
    double sum = 0;
    for (int y = 0; y < image.rows; ++y)
        for (int x = 0; x < image.cols; ++x) {
            cv::Vec3b got = image.at<cv::Vec3b>(y, x);
            cv::Vec3b want = io::pattern_pixel(map_x(x), map_y(y), index);
            for (int c = 0; c < 3; ++c) sum += std::abs(int(got[c]) - int(want[c]));
        }
    return sum / (image.total() * 3.0);
}

inline double pattern_error(const cv::Mat& image, uint64_t index) {
    return pattern_error(
        image, index, [](int x) { return x; }, [](int y) { return y; });
}

// Mean absolute difference between an image and a solid colour.
inline double colour_error(const cv::Mat& image, cv::Vec3b colour) {
    cv::Mat diff;
    cv::absdiff(image, cv::Scalar(colour[0], colour[1], colour[2]), diff);
    cv::Scalar mean = cv::mean(diff);
    return (mean[0] + mean[1] + mean[2]) / 3.0;
}

}  // namespace edgeinfer::testing

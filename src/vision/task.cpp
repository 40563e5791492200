// vision::TaskHead's default drawing and the banner it uses (see task.hpp).
#include "vision/task.hpp"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace edgeinfer::vision {

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

}  // namespace edgeinfer::vision

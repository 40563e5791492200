// Overlays drawn with OpenCV: class palette, mask colorizing and blending, boxes with tags, text lines.
#include "vision/overlay.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace edgeinfer::vision {

cv::Vec3b class_color(int64_t index) {
    if (index < 0) return {0, 0, 0};
    int r = 0, g = 0, b = 0;
    int64_t c = index;
    for (int shift = 7; shift >= 0 && c > 0; --shift, c >>= 3) {
        r |= static_cast<int>((c >> 0) & 1) << shift;
        g |= static_cast<int>((c >> 1) & 1) << shift;
        b |= static_cast<int>((c >> 2) & 1) << shift;
    }
    return {static_cast<uchar>(b), static_cast<uchar>(g), static_cast<uchar>(r)};
}

cv::Mat colorize_mask(const cv::Mat& mask) {
    cv::Mat out(mask.rows, mask.cols, CV_8UC3);
    for (int y = 0; y < mask.rows; ++y) {
        const int32_t* m = mask.ptr<int32_t>(y);
        auto* o = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < mask.cols; ++x) o[x] = class_color(m[x]);
    }
    return out;
}

void blend_mask(cv::Mat& image, const cv::Mat& mask, double alpha, int64_t skip_class) {
    if (image.empty() || image.type() != CV_8UC3 || mask.type() != CV_32S || mask.size() != image.size()) return;
    const double a = std::clamp(alpha, 0.0, 1.0);
    for (int y = 0; y < image.rows; ++y) {
        const int32_t* m = mask.ptr<int32_t>(y);
        auto* p = image.ptr<cv::Vec3b>(y);
        for (int x = 0; x < image.cols; ++x) {
            if (m[x] < 0 || m[x] == skip_class) continue;
            const cv::Vec3b c = class_color(m[x]);
            for (int k = 0; k < 3; ++k) p[x][k] = static_cast<uchar>(std::lround(p[x][k] * (1.0 - a) + c[k] * a));
        }
    }
}

namespace {

// Class colors for boxes: VOC's palette is dark for low indices, so brighten it for thin lines on photos.
cv::Scalar box_color(int64_t label) {
    const cv::Vec3b c = class_color(label + 1);
    return {static_cast<double>(std::max<int>(c[0], 64)), static_cast<double>(std::max<int>(c[1], 64)),
            static_cast<double>(std::max<int>(c[2], 64))};
}

}  // namespace

void draw_detections(cv::Mat& image, const std::vector<Detection>& detections) {
    if (image.empty()) return;
    const int thickness = std::max(1, std::min(image.cols, image.rows) / 320 + 1);
    const double font = 0.4 + 0.1 * (thickness - 1);
    for (const Detection& d : detections) {
        const cv::Scalar color = box_color(d.label);
        const cv::Point p1(static_cast<int>(std::lround(d.x1)), static_cast<int>(std::lround(d.y1)));
        const cv::Point p2(static_cast<int>(std::lround(d.x2)), static_cast<int>(std::lround(d.y2)));
        cv::rectangle(image, p1, p2, color, thickness);
        char score[16];
        std::snprintf(score, sizeof score, " %.2f", d.score);
        std::string tag = d.label_name;
        if (tag.empty()) {  // appended piecewise: GCC 12's -Wrestrict misfires on "#" + std::string
            tag += '#';
            tag += std::to_string(d.label);
        }
        tag += score;
        int baseline = 0;
        const cv::Size ts = cv::getTextSize(tag, cv::FONT_HERSHEY_SIMPLEX, font, 1, &baseline);
        const int top = p1.y - ts.height - baseline - 2 >= 0 ? p1.y - ts.height - baseline - 2 : p1.y;
        cv::rectangle(image, cv::Point(p1.x, top), cv::Point(p1.x + ts.width + 2, top + ts.height + baseline + 2),
                      color, cv::FILLED);
        cv::putText(image, tag, cv::Point(p1.x + 1, top + ts.height + 1), cv::FONT_HERSHEY_SIMPLEX, font,
                    cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
}

void draw_text_lines(cv::Mat& image, const std::vector<std::string>& lines) {
    if (image.empty()) return;
    const double font = image.cols >= 480 ? 0.6 : 0.4;
    int y = 0;
    for (const std::string& line : lines) {
        int baseline = 0;
        const cv::Size ts = cv::getTextSize(line, cv::FONT_HERSHEY_SIMPLEX, font, 1, &baseline);
        const int h = ts.height + baseline + 6;
        if (y + h > image.rows) break;
        cv::Mat band = image(cv::Rect(0, y, std::min(image.cols, ts.width + 8), h));
        band *= 0.35;
        cv::putText(image, line, cv::Point(4, y + ts.height + 3), cv::FONT_HERSHEY_SIMPLEX, font,
                    cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
        y += h;
    }
}

}  // namespace edgeinfer::vision

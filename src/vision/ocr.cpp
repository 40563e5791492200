// vision OCR steps: DB post-processing, reading order, perspective crops, line normalization and the
// overlay (PaddleOCR's tools/infer and ppocr/postprocess/db_postprocess.py, in OpenCV).
#include "vision/ocr.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <opencv2/imgproc.hpp>
#include <string>

namespace edgeinfer::vision {
namespace {

// The rectangle's corners as PaddleOCR's get_mini_boxes orders them: the two leftmost (by x) give
// top-left and bottom-left by y, the two rightmost top-right and bottom-right.
std::array<cv::Point2f, 4> mini_box(const cv::RotatedRect& rect) {
    std::array<cv::Point2f, 4> p;
    rect.points(p.data());
    std::sort(p.begin(), p.end(), [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
    const cv::Point2f tl = p[1].y > p[0].y ? p[0] : p[1];
    const cv::Point2f bl = p[1].y > p[0].y ? p[1] : p[0];
    const cv::Point2f tr = p[3].y > p[2].y ? p[2] : p[3];
    const cv::Point2f br = p[3].y > p[2].y ? p[3] : p[2];
    return {tl, tr, br, bl};
}

// Mean of `prob` inside the polygon (PaddleOCR's box_score_fast: the integer polygon over the box's bounds).
float box_score(const cv::Mat& prob, const std::array<cv::Point2f, 4>& box) {
    float min_x = box[0].x, max_x = box[0].x, min_y = box[0].y, max_y = box[0].y;
    for (const cv::Point2f& p : box) {
        min_x = std::min(min_x, p.x);
        max_x = std::max(max_x, p.x);
        min_y = std::min(min_y, p.y);
        max_y = std::max(max_y, p.y);
    }
    const int x0 = std::clamp(static_cast<int>(std::floor(min_x)), 0, prob.cols - 1);
    const int x1 = std::clamp(static_cast<int>(std::ceil(max_x)), 0, prob.cols - 1);
    const int y0 = std::clamp(static_cast<int>(std::floor(min_y)), 0, prob.rows - 1);
    const int y1 = std::clamp(static_cast<int>(std::ceil(max_y)), 0, prob.rows - 1);
    cv::Mat mask = cv::Mat::zeros(y1 - y0 + 1, x1 - x0 + 1, CV_8U);
    std::vector<cv::Point> polygon;
    for (const cv::Point2f& p : box) polygon.emplace_back(static_cast<int>(p.x) - x0, static_cast<int>(p.y) - y0);
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{polygon}, cv::Scalar(1));
    return static_cast<float>(cv::mean(prob(cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1)), mask)[0]);
}

// (x / 255 - mean) / std of an already resized BGR8 image into columns [0, resized.cols) of dst [3, rows, width].
void write_chw(const cv::Mat& resized, int width, const float mean[3], const float std[3], float* dst) {
    const size_t plane = static_cast<size_t>(resized.rows) * static_cast<size_t>(width);
    std::fill(dst, dst + 3 * plane, 0.0f);
    for (int c = 0; c < 3; ++c) {
        const float a = 1.0f / (255.0f * std[c]), b = -mean[c] / std[c];
        float* out = dst + static_cast<size_t>(c) * plane;
        for (int y = 0; y < resized.rows; ++y) {
            const uint8_t* row = resized.ptr<uint8_t>(y);
            float* o = out + static_cast<size_t>(y) * static_cast<size_t>(width);
            for (int x = 0; x < resized.cols; ++x) o[x] = static_cast<float>(row[3 * x + c]) * a + b;
        }
    }
}

std::string ascii(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c & 0xC0) != 0x80) {  // the lead byte of a multi-byte character
            out += '?';
        }
    }
    return out;
}

}  // namespace

cv::Size db_input_size(int width, int height, int max_side) {
    const int longer = std::max(width, height);
    const double ratio = longer > max_side ? static_cast<double>(max_side) / longer : 1.0;
    auto side = [ratio](int v) {
        const int scaled = static_cast<int>(v * ratio);
        return std::max(static_cast<int>(std::lround(scaled / 32.0)) * 32, 32);
    };
    return {side(width), side(height)};
}

std::array<cv::Point2f, 4> order_corners(const std::array<cv::Point2f, 4>& points) {
    std::array<cv::Point2f, 4> p = points;
    std::sort(p.begin(), p.end(), [](const cv::Point2f& a, const cv::Point2f& b) { return a.x < b.x; });
    if (p[0].y > p[1].y) std::swap(p[0], p[1]);
    if (p[2].y > p[3].y) std::swap(p[2], p[3]);
    return {p[0], p[2], p[3], p[1]};
}

void sort_reading_order(std::vector<TextQuad>& quads) {
    std::stable_sort(quads.begin(), quads.end(), [](const TextQuad& a, const TextQuad& b) {
        if (a.points[0].y != b.points[0].y) return a.points[0].y < b.points[0].y;
        return a.points[0].x < b.points[0].x;
    });
    for (size_t i = 0; i + 1 < quads.size(); ++i) {
        for (size_t j = i + 1; j > 0; --j) {
            const cv::Point2f& next = quads[j].points[0];
            const cv::Point2f& prev = quads[j - 1].points[0];
            if (std::abs(next.y - prev.y) < 10.0f && next.x < prev.x)
                std::swap(quads[j], quads[j - 1]);
            else
                break;
        }
    }
}

std::vector<TextQuad> db_boxes(const cv::Mat& probability, cv::Size image_size, const DbOptions& options) {
    std::vector<TextQuad> quads;
    if (probability.empty() || image_size.width < 1 || image_size.height < 1) return quads;
    cv::Mat bitmap = probability > options.binary_threshold;
    if (options.dilate) cv::dilate(bitmap, bitmap, cv::Mat::ones(2, 2, CV_8U));
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(bitmap, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
    const float sx = static_cast<float>(image_size.width) / static_cast<float>(probability.cols);
    const float sy = static_cast<float>(image_size.height) / static_cast<float>(probability.rows);
    const size_t count = std::min(contours.size(), static_cast<size_t>(std::max(options.max_candidates, 0)));
    for (size_t i = 0; i < count; ++i) {
        const cv::RotatedRect rect = cv::minAreaRect(contours[i]);
        if (std::min(rect.size.width, rect.size.height) < static_cast<float>(options.min_size)) continue;
        const float score = box_score(probability, mini_box(rect));
        if (score < options.box_threshold) continue;
        // Unclip: the box's offset by area * ratio / perimeter, whose minimum-area rectangle is the box
        // grown by that distance on every side.
        const double w = rect.size.width, h = rect.size.height;
        const double distance = w * h * options.unclip_ratio / (2.0 * (w + h));
        cv::RotatedRect grown = rect;
        grown.size.width = static_cast<float>(w + 2.0 * distance);
        grown.size.height = static_cast<float>(h + 2.0 * distance);
        if (std::min(grown.size.width, grown.size.height) < static_cast<float>(options.min_size + 2)) continue;
        std::array<cv::Point2f, 4> box = mini_box(grown);
        for (cv::Point2f& p : box) {  // to image pixels, clipped to the last column and row
            p.x = std::clamp(std::round(p.x * sx), 0.0f, static_cast<float>(image_size.width - 1));
            p.y = std::clamp(std::round(p.y * sy), 0.0f, static_cast<float>(image_size.height - 1));
        }
        box = order_corners(box);
        if (static_cast<int>(cv::norm(box[0] - box[1])) <= 3 || static_cast<int>(cv::norm(box[0] - box[3])) <= 3)
            continue;
        quads.push_back({box, score});
    }
    sort_reading_order(quads);
    return quads;
}

cv::Mat crop_quad(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& p) {
    const int width = std::max(1, static_cast<int>(std::max(cv::norm(p[0] - p[1]), cv::norm(p[2] - p[3]))));
    const int height = std::max(1, static_cast<int>(std::max(cv::norm(p[0] - p[3]), cv::norm(p[1] - p[2]))));
    const cv::Point2f target[4] = {{0.0f, 0.0f},
                                   {static_cast<float>(width), 0.0f},
                                   {static_cast<float>(width), static_cast<float>(height)},
                                   {0.0f, static_cast<float>(height)}};
    const cv::Mat transform = cv::getPerspectiveTransform(p.data(), target);
    cv::Mat crop;
    cv::warpPerspective(bgr, crop, transform, cv::Size(width, height), cv::INTER_CUBIC, cv::BORDER_REPLICATE);
    if (crop.rows >= 1.5 * crop.cols) cv::rotate(crop, crop, cv::ROTATE_90_COUNTERCLOCKWISE);
    return crop;
}

void normalize_line(const cv::Mat& bgr, int height, int width, const float mean[3], const float std[3], float* dst) {
    const double aspect = static_cast<double>(bgr.cols) / std::max(bgr.rows, 1);
    const int resized_width = std::clamp(static_cast<int>(std::ceil(height * aspect)), 1, width);
    cv::Mat resized;
    cv::resize(bgr, resized, cv::Size(resized_width, height), 0, 0, cv::INTER_LINEAR);
    write_chw(resized, width, mean, std, dst);
}

void normalize_image(const cv::Mat& bgr, cv::Size size, const float mean[3], const float std[3], float* dst) {
    cv::Mat resized;
    cv::resize(bgr, resized, size, 0, 0, cv::INTER_LINEAR);
    write_chw(resized, size.width, mean, std, dst);
}

void draw_ocr(cv::Mat& image, const OcrResult& result) {
    if (image.empty()) return;
    const int thickness = std::max(1, std::min(image.cols, image.rows) / 400 + 1);
    const double font = image.cols >= 480 ? 0.5 : 0.4;
    const cv::Scalar color(40, 200, 40);
    for (size_t i = 0; i < result.lines.size(); ++i) {
        const TextLine& line = result.lines[i];
        std::vector<cv::Point> polygon;
        for (const Corner& c : line.quad)
            polygon.emplace_back(static_cast<int>(std::lround(c.x)), static_cast<int>(std::lround(c.y)));
        cv::polylines(image, polygon, true, color, thickness, cv::LINE_AA);
        char score[16];
        std::snprintf(score, sizeof score, " %.2f", line.score);
        const std::string tag = std::to_string(i + 1) + ": " + ascii(line.text) + score;
        int baseline = 0;
        const cv::Size ts = cv::getTextSize(tag, cv::FONT_HERSHEY_SIMPLEX, font, 1, &baseline);
        const int h = ts.height + baseline + 2;
        // Above the box when there is room, else inside its top; never past the image's edges.
        int top = polygon[0].y - h >= 0 ? polygon[0].y - h : polygon[0].y;
        top = std::clamp(top, 0, std::max(0, image.rows - h));
        const int left = std::clamp(polygon[0].x, 0, std::max(0, image.cols - ts.width - 2));
        const cv::Rect band = cv::Rect(left, top, ts.width + 2, h) & cv::Rect(0, 0, image.cols, image.rows);
        cv::rectangle(image, band, color, cv::FILLED);
        cv::putText(image, tag, cv::Point(left + 1, top + ts.height + 1), cv::FONT_HERSHEY_SIMPLEX, font,
                    cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
}

}  // namespace edgeinfer::vision

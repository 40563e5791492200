// vision OCR steps (PaddleOCR's, in OpenCV): the DB detector's input size and its post-processing
// (probability map -> binary map -> contours -> boxes: minimum-area rectangles scored on the map, grown by
// the unclip distance, mapped to image pixels), reading order, the perspective crop of a box, the
// recognizer's and classifier's input (height fixed, width per aspect, right-padded), and the overlay.
// TextReader (ocr_api.cpp) runs the models between these.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

#include "edgeinfer/ocr.hpp"

namespace edgeinfer::vision {

struct DbOptions {
    float binary_threshold = 0.3f;
    float box_threshold = 0.6f;
    float unclip_ratio = 1.5f;
    int min_size = 3;
    int max_candidates = 1000;
    bool dilate = false;
};

// One text box: corners top-left, top-right, bottom-right, bottom-left (image pixels) and the mean
// probability inside it.
struct TextQuad {
    std::array<cv::Point2f, 4> points;
    float score = 0.0f;
};

// The detector's input size for a width x height image: scaled down (aspect kept) until the longer side is
// at most `max_side`, then each side rounded to the nearest multiple of 32 (at least 32).
cv::Size db_input_size(int width, int height, int max_side);

// Boxes from a probability map (CV_32F, the detector's input size) of an image of `image_size`: pixels above
// binary_threshold, their contours' minimum-area rectangles (sides >= min_size, mean probability >=
// box_threshold), each side pushed out by area * unclip_ratio / perimeter (the round-joined offset of a
// rectangle has this bounding rectangle), scaled to the image and clipped. In reading order.
std::vector<TextQuad> db_boxes(const cv::Mat& probability, cv::Size image_size, const DbOptions& options);

// Four points as top-left, top-right, bottom-right, bottom-left (left pair and right pair by x, each by y).
std::array<cv::Point2f, 4> order_corners(const std::array<cv::Point2f, 4>& points);

// Top to bottom by the first corner's y, boxes whose tops are within 10 pixels left to right.
void sort_reading_order(std::vector<TextQuad>& quads);

// The quadrilateral warped to an upright width x height crop (the longer opposite sides); a crop at least
// 1.5 times taller than wide (vertical text) is turned 90 degrees counterclockwise.
cv::Mat crop_quad(const cv::Mat& bgr, const std::array<cv::Point2f, 4>& points);

// Writes `bgr` (resized to `height` rows, width height * aspect capped at `width`) as (x / 255 - mean) / std
// per channel, channels in the image's (BGR) order, into dst [3, height, width]; columns past the
// resized width are 0. `mean`/`std` per channel.
void normalize_line(const cv::Mat& bgr, int height, int width, const float mean[3], const float std[3], float* dst);

// `bgr` resized to `size` and normalized as normalize_line does, into dst [3, size.height, size.width].
void normalize_image(const cv::Mat& bgr, cv::Size size, const float mean[3], const float std[3], float* dst);

// Draws each line's quadrilateral and "N: text score" (ASCII; other characters as '?') on `image` (BGR8),
// labels inside the image.
void draw_ocr(cv::Mat& image, const OcrResult& result);

}  // namespace edgeinfer::vision

// vision overlays for --save: detection boxes with labels and scores, colorized segmentation masks
// blended over the frame, and lines of text, drawn with OpenCV on BGR8 images; the fixed class palette.
#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "vision/detection.hpp"

namespace edgeinfer::vision {

// The color of class `index` (BGR): PASCAL VOC's palette (bits of the index spread over R, G, B), so
// class 0 is black and every class keeps its color from frame to frame and run to run.
cv::Vec3b class_color(int64_t index);

// A BGR8 image of `mask` (CV_32S class indices) in class colors; pixels < 0 black.
cv::Mat colorize_mask(const cv::Mat& mask);

// Blends the class colors of `mask` (CV_32S, the image's size) over `image` (BGR8) with weight `alpha`;
// pixels of class `skip_class` (background, -1 for none) and pixels < 0 are left as they are.
void blend_mask(cv::Mat& image, const cv::Mat& mask, double alpha = 0.5, int64_t skip_class = 0);

// One rectangle per detection in its class color, with "name 0.87" (or "#label 0.87") on a filled tag.
void draw_detections(cv::Mat& image, const std::vector<Detection>& detections);

// Lines of text from the top-left corner, each on a dark band so it reads over any picture.
void draw_text_lines(cv::Mat& image, const std::vector<std::string>& lines);

}  // namespace edgeinfer::vision

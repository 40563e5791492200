// Overlays: the fixed palette, mask colorizing and blending, boxes and text drawn where they belong.
#include "vision/overlay.hpp"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

namespace edgeinfer::vision {
namespace {

TEST(Palette, VocColorsInBgr) {
    EXPECT_EQ(class_color(0), cv::Vec3b(0, 0, 0));
    EXPECT_EQ(class_color(1), cv::Vec3b(0, 0, 128));       // RGB (128, 0, 0)
    EXPECT_EQ(class_color(2), cv::Vec3b(0, 128, 0));       // RGB (0, 128, 0)
    EXPECT_EQ(class_color(15), cv::Vec3b(128, 128, 192));  // person in VOC: RGB (192, 128, 128)
    EXPECT_EQ(class_color(-1), cv::Vec3b(0, 0, 0));
}

TEST(Overlay, ColorizeAndBlend) {
    cv::Mat mask = (cv::Mat_<int32_t>(1, 4) << 0, 1, 2, -1);
    const cv::Mat color = colorize_mask(mask);
    EXPECT_EQ(color.at<cv::Vec3b>(0, 1), class_color(1));
    EXPECT_EQ(color.at<cv::Vec3b>(0, 3), cv::Vec3b(0, 0, 0));
    cv::Mat image(1, 4, CV_8UC3, cv::Scalar(100, 100, 100));
    blend_mask(image, mask, 0.5, 0);
    EXPECT_EQ(image.at<cv::Vec3b>(0, 0), cv::Vec3b(100, 100, 100));  // background skipped
    EXPECT_EQ(image.at<cv::Vec3b>(0, 1), cv::Vec3b(50, 50, 114));    // half of (0, 0, 128)
    EXPECT_EQ(image.at<cv::Vec3b>(0, 2), cv::Vec3b(50, 114, 50));
    EXPECT_EQ(image.at<cv::Vec3b>(0, 3), cv::Vec3b(100, 100, 100));  // no class
    cv::Mat wrong(2, 2, CV_32S, cv::Scalar(1));
    cv::Mat before = image.clone();
    blend_mask(image, wrong);  // size mismatch: left alone
    EXPECT_EQ(cv::norm(image, before, cv::NORM_INF), 0.0);
}

TEST(Overlay, BoxesAreDrawnOnTheirOutline) {
    cv::Mat image(200, 200, CV_8UC3, cv::Scalar(0, 0, 0));
    draw_detections(image, {Detection{50, 60, 150, 160, 0.9f, 3, "car"}});
    EXPECT_NE(image.at<cv::Vec3b>(110, 50), cv::Vec3b(0, 0, 0));   // left edge
    EXPECT_NE(image.at<cv::Vec3b>(160, 100), cv::Vec3b(0, 0, 0));  // bottom edge
    EXPECT_EQ(image.at<cv::Vec3b>(110, 100), cv::Vec3b(0, 0, 0));  // inside stays
    EXPECT_NE(image.at<cv::Vec3b>(52, 55), cv::Vec3b(0, 0, 0));    // the tag above the box
    EXPECT_EQ(image.at<cv::Vec3b>(190, 10), cv::Vec3b(0, 0, 0));
    draw_detections(image, {});  // nothing to draw is fine
}

TEST(Overlay, TextLinesDarkenTheirBand) {
    cv::Mat image(100, 300, CV_8UC3, cv::Scalar(200, 200, 200));
    draw_text_lines(image, {"hello", "world"});
    const cv::Scalar top = cv::mean(image(cv::Rect(0, 0, 40, 30)));
    const cv::Scalar bottom = cv::mean(image(cv::Rect(0, 70, 300, 30)));
    EXPECT_LT(top[0], 150.0);
    EXPECT_EQ(bottom[0], 200.0);
}

}  // namespace
}  // namespace edgeinfer::vision

// The overlay element: counting lines and zones drawn where they apply, secondary classes in labels.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "pipeline/runtime.hpp"

namespace edgeinfer::pipeline {
namespace {

PipelineConfig config_with_line_and_zone() {
    PipelineConfig c;
    LineConfig line;
    line.name = "gate";
    line.a = {0, 50};
    line.b = {99, 50};
    line.sources = {"cam1"};
    c.lines.push_back(line);
    ZoneConfig zone;
    zone.name = "door";
    zone.polygon = {{10, 70}, {40, 70}, {40, 95}, {10, 95}};
    c.zones.push_back(zone);
    return c;
}

std::unique_ptr<Element> make_overlay(const PipelineConfig& c, OverlayConfig o = {}) {
    ElementConfig e;
    e.type = ElementType::kOverlay;
    e.name = "overlay";
    e.overlay = o;
    auto el = make_builtin_element(e, c);
    EXPECT_TRUE(el.is_ok()) << el.status().message();
    return el.is_ok() ? std::move(el).value() : nullptr;
}

PipelineFrame black_frame(const std::string& source) {
    PipelineFrame f;
    f.frame.image = cv::Mat::zeros(100, 100, CV_8UC3);
    f.meta.source_id = source;
    f.meta.width = f.meta.height = 100;
    return f;
}

int changed_pixels(const cv::Mat& img, cv::Rect roi) {
    cv::Mat any = img(roi).clone().reshape(1, roi.height * roi.width);
    int n = 0;
    for (int r = 0; r < any.rows; ++r)
        if (any.at<uint8_t>(r, 0) || any.at<uint8_t>(r, 1) || any.at<uint8_t>(r, 2)) ++n;
    return n;
}

TEST(Overlay, DrawsCountingLinesOnlyForTheirSourcesAndZonesEverywhere) {
    OverlayConfig o;
    o.fps = false;
    auto overlay = make_overlay(config_with_line_and_zone(), o);
    ASSERT_TRUE(overlay);
    PipelineFrame cam1 = black_frame("cam1");
    ASSERT_TRUE(overlay->process(cam1).is_ok());
    PipelineFrame cam2 = black_frame("cam2");
    ASSERT_TRUE(overlay->process(cam2).is_ok());
    // The line y = 50 (2 px wide) crosses the whole frame on cam1 only; the input frame is untouched.
    EXPECT_GT(changed_pixels(cam1.annotated, cv::Rect(60, 49, 40, 2)), 60);
    EXPECT_EQ(changed_pixels(cam2.annotated, cv::Rect(60, 49, 40, 2)), 0);
    EXPECT_EQ(cv::countNonZero(cam1.frame.image.reshape(1)), 0);
    // The zone's right edge x = 40 is drawn on both sources.
    EXPECT_GT(changed_pixels(cam1.annotated, cv::Rect(39, 75, 3, 15)), 10);
    EXPECT_GT(changed_pixels(cam2.annotated, cv::Rect(39, 75, 3, 15)), 10);
}

TEST(Overlay, LabelsCarryTheSecondaryClassifiersAnswer) {
    OverlayConfig o;
    o.fps = false;
    o.boxes = false;
    o.scores = false;
    auto overlay = make_overlay(PipelineConfig{}, o);
    ASSERT_TRUE(overlay);
    ObjectMeta obj;
    obj.box = {5, 40, 95, 95};
    obj.label = "shape";
    obj.track_id = 3;
    PipelineFrame plain = black_frame("cam1");
    plain.meta.objects = {obj};
    obj.attributes["predicted_class"] = std::string("circle");
    PipelineFrame classified = black_frame("cam1");
    classified.meta.objects = {obj};
    ASSERT_TRUE(overlay->process(plain).is_ok());
    ASSERT_TRUE(overlay->process(classified).is_ok());
    // "#3 shape" vs "#3 shape: circle": the label box above the object is wider with the class.
    const cv::Rect right_part(80, 0, 20, 40);
    EXPECT_EQ(changed_pixels(plain.annotated, right_part), 0);
    EXPECT_GT(changed_pixels(classified.annotated, right_part), 50);
}

// Pixels whose color is exactly `color` (the filled label tag of a class), in `roi`.
int pixels_of(const cv::Mat& img, const cv::Scalar& color, cv::Rect roi) {
    cv::Mat mask;
    cv::inRange(img(roi), color, color, mask);
    return cv::countNonZero(mask);
}

const cv::Scalar kClass0Color(56, 56, 255);  // the overlay's tag color for class 0

TEST(Overlay, LabelsStayInsideTheFrameAndOutOfTheFpsText) {
    OverlayConfig o;
    o.boxes = false;
    auto overlay = make_overlay(PipelineConfig{}, o);
    ASSERT_TRUE(overlay);
    PipelineFrame header_only = black_frame("cam1");
    header_only.frame.image = cv::Mat::zeros(120, 200, CV_8UC3);
    ASSERT_TRUE(overlay->process(header_only).is_ok());
    // Where the fps text ("cam1  0.0 fps") is drawn: its pixels, and a rectangle around them.
    cv::Mat header_pixels;
    cv::cvtColor(header_only.annotated, header_pixels, cv::COLOR_BGR2GRAY);
    const cv::Rect header = cv::boundingRect(header_pixels);
    ASSERT_GT(header.area(), 100);

    // An object at the top left (its label would go above the frame) and one at the right edge (its label
    // would run off the frame).
    ObjectMeta top_left;
    top_left.box = {2, 2, 40, 40};
    top_left.label = "person";
    top_left.class_id = 0;
    top_left.confidence = 0.9f;
    ObjectMeta right = top_left;
    right.box = {170, 80, 199, 100};
    right.label = "a rather long label";
    PipelineFrame f = black_frame("cam1");
    f.frame.image = cv::Mat::zeros(120, 200, CV_8UC3);
    f.meta.timestamp_us = header_only.meta.timestamp_us;
    f.meta.objects = {top_left, right};
    auto overlay2 = make_overlay(PipelineConfig{}, o);
    ASSERT_TRUE(overlay2->process(f).is_ok());
    // The fps text is untouched: the header area is the same with and without the labels.
    EXPECT_EQ(cv::norm(f.annotated(header), header_only.annotated(header), cv::NORM_INF), 0.0);
    // Both tags are drawn whole inside the frame: their filled area is the text's size.
    int base = 0;
    const cv::Size long_text = cv::getTextSize("a rather long label 0.90", cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &base);
    const cv::Rect right_half(100, 0, 100, 120);
    EXPECT_GT(pixels_of(f.annotated, kClass0Color, right_half), long_text.width * long_text.height / 2);
    const cv::Size short_text = cv::getTextSize("person 0.90", cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &base);
    const cv::Rect below_header(0, header.y + header.height, 100, 120 - header.y - header.height);
    EXPECT_GT(pixels_of(f.annotated, kClass0Color, below_header), short_text.width * short_text.height / 2);
}

TEST(Overlay, DrawsFrameResultsAndSecondaryScores) {
    PipelineConfig c;
    ElementConfig clip;
    clip.type = ElementType::kClipClassifier;
    clip.clip.key_prefix = "clip_";
    c.elements.push_back(clip);
    OverlayConfig o;
    o.boxes = false;
    o.fps = false;
    auto overlay = make_overlay(c, o);
    ASSERT_TRUE(overlay);
    // The clip classifier's class and probability: a line of text at the top left.
    PipelineFrame none = black_frame("cam1");
    ASSERT_TRUE(overlay->process(none).is_ok());
    EXPECT_EQ(changed_pixels(none.annotated, cv::Rect(0, 0, 100, 30)), 0);
    PipelineFrame walking = black_frame("cam1");
    walking.meta.attributes["clip_class"] = std::string("walking");
    walking.meta.attributes["clip_probability"] = 0.87;
    ASSERT_TRUE(overlay->process(walking).is_ok());
    EXPECT_GT(changed_pixels(walking.annotated, cv::Rect(0, 0, 100, 30)), 80);
    PipelineFrame no_score = walking;
    no_score.annotated.release();
    no_score.meta.attributes.erase("clip_probability");
    ASSERT_TRUE(overlay->process(no_score).is_ok());
    EXPECT_GT(changed_pixels(walking.annotated, cv::Rect(0, 0, 100, 30)),
              changed_pixels(no_score.annotated, cv::Rect(0, 0, 100, 30)) + 20);  // "0.87" drawn too

    // A secondary classifier's probability follows its class in the object's label.
    ObjectMeta obj;
    obj.box = {2, 60, 20, 90};
    obj.label = "car";
    obj.class_id = 0;
    obj.attributes["colour_predicted_class"] = std::string("red");
    PipelineFrame plain = black_frame("cam1");
    plain.frame.image = cv::Mat::zeros(100, 300, CV_8UC3);  // room for the whole label
    plain.meta.objects = {obj};
    obj.attributes["colour_probability"] = 0.75;
    PipelineFrame scored = plain;
    scored.meta.objects = {obj};
    ASSERT_TRUE(overlay->process(plain).is_ok());
    ASSERT_TRUE(overlay->process(scored).is_ok());
    int base = 0;
    const int extra = cv::getTextSize(" 0.75", cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, &base).width;
    const cv::Rect frame_rect(0, 0, 300, 100);
    EXPECT_GE(
        pixels_of(scored.annotated, kClass0Color, frame_rect) - pixels_of(plain.annotated, kClass0Color, frame_rect),
        extra * 5);  // a wider tag
}

}  // namespace
}  // namespace edgeinfer::pipeline

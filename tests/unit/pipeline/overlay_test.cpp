// The overlay element: counting lines and zones drawn where they apply, secondary classes in labels.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

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

}  // namespace
}  // namespace edgeinfer::pipeline

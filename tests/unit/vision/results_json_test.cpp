// The JSON form of the typed vision results (edgeinfer::to_json, include/edgeinfer/vision.hpp; the
// "results" of the vision commands' --json lines): fields, labels only where there are some, the
// segmentation mask left out, and invalid UTF-8 replaced rather than thrown.
#include "vision/results_json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "edgeinfer/vision.hpp"

namespace edgeinfer {
namespace {

TEST(ResultsJson, Classification) {
    Classification c;
    c.top = {{2, "star", 0.75}, {0, "", 0.25}};
    EXPECT_EQ(to_json(c), R"([{"class":2,"label":"star","score":0.75},{"class":0,"score":0.25}])");
    EXPECT_EQ(to_json(Classification{}), "[]");
}

TEST(ResultsJson, Detections) {
    std::vector<Detection> d(2);
    d[0].box = {1.5f, 2, 30, 40.25f};
    d[0].class_id = 3;
    d[0].label = "cat";
    d[0].score = 0.5f;
    d[1].class_id = 1;
    d[1].score = 0.25f;
    EXPECT_EQ(to_json(d), R"([{"box":[1.5,2.0,30.0,40.25],"class":3,"label":"cat","score":0.5},)"
                          R"({"box":[0.0,0.0,0.0,0.0],"class":1,"score":0.25}])");
}

TEST(ResultsJson, SegmentationLeavesTheMaskOut) {
    Segmentation s;
    s.width = 4;
    s.height = 2;
    s.mask = {0, 0, 1, 1, 0, 0, 1, -1};
    s.num_classes = 3;
    s.classes = {{0, "sky", 4.0 / 7, 4}, {1, "", 3.0 / 7, 3}};
    const std::string j = to_json(s);
    EXPECT_EQ(j.find("mask"), std::string::npos) << j;
    EXPECT_EQ(j, R"({"classes":[{"class":0,"label":"sky","pixels":4,"share":)" + nlohmann::json(4.0 / 7).dump() +
                     R"(},{"class":1,"pixels":3,"share":)" + nlohmann::json(3.0 / 7).dump() +
                     R"(}],"num_classes":3,"size":[4,2]})");
}

TEST(ResultsJson, RecognizedTextReplacesInvalidUtf8) {
    RecognizedText t;
    t.text = "ab\xff";
    t.confidence = 0.5;
    t.chars = {{"a", 0.5f, 1, 0}, {"b", 0.5f, 2, 3}};
    EXPECT_EQ(to_json(t),
              "{\"chars\":[{\"char\":\"a\",\"class\":1,\"confidence\":0.5,\"step\":0},"
              "{\"char\":\"b\",\"class\":2,\"confidence\":0.5,\"step\":3}],"
              "\"confidence\":0.5,\"text\":\"ab\xef\xbf\xbd\"}");
}

// The vision commands' "results" and the public to_json are one form.
TEST(ResultsJson, TaskResultsAreThePublicForm) {
    Classification c;
    c.top = {{1, "circle", 0.5}};
    EXPECT_EQ(vision::json_text(vision::results_json(vision::TaskResult{c})), to_json(c));
    RecognizedText t;
    t.text = "hi";
    EXPECT_EQ(vision::json_text(vision::results_json(vision::TaskResult{t})), to_json(t));
}

}  // namespace
}  // namespace edgeinfer

// Detection heads: NMS, torchvision/YOLOv5/YOLOv8/DETR decoding on synthetic outputs with known answers,
// format detection, and the errors for outputs of unexpected shapes.
#include "vision/detection.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

namespace edgeinfer::vision {
namespace {

NamedTensor f32(const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v) {
    return {name, Tensor::from_vector(DataType::kFloat32, std::move(dims), v)};
}
NamedTensor i64(const std::string& name, std::vector<int64_t> dims, const std::vector<int64_t>& v) {
    return {name, Tensor::from_vector(DataType::kInt64, std::move(dims), v)};
}

PreprocessInfo identity(int w, int h) {
    PreprocessInfo info;
    info.frame_width = info.input_width = w;
    info.frame_height = info.input_height = h;
    return info;
}

// A 640x480 frame letterboxed into 320x320: half size, 40 rows of padding on top.
PreprocessInfo letterbox_640x480() {
    PreprocessInfo info;
    info.frame_width = 640;
    info.frame_height = 480;
    info.input_width = info.input_height = 320;
    info.scale_x = info.scale_y = 0.5;
    info.offset_y = 40;
    return info;
}

void expect_box(const Detection& d, float x1, float y1, float x2, float y2) {
    EXPECT_NEAR(d.x1, x1, 1e-3);
    EXPECT_NEAR(d.y1, y1, 1e-3);
    EXPECT_NEAR(d.x2, x2, 1e-3);
    EXPECT_NEAR(d.y2, y2, 1e-3);
}

TEST(BoxIou, KnownValues) {
    const float a[4] = {0, 0, 10, 10}, b[4] = {5, 0, 15, 10}, c[4] = {20, 20, 30, 30}, e[4] = {3, 3, 3, 9};
    EXPECT_FLOAT_EQ(box_iou(a, a), 1.0f);
    EXPECT_FLOAT_EQ(box_iou(a, b), 50.0f / 150.0f);
    EXPECT_FLOAT_EQ(box_iou(a, c), 0.0f);
    EXPECT_FLOAT_EQ(box_iou(a, e), 0.0f);  // empty box
}

TEST(Nms, SuppressesOnlyWithinAClass) {
    // Boxes 0 and 1 overlap (IoU 0.82), box 2 overlaps both but has another class, box 3 is apart.
    const std::vector<float> boxes = {0, 0, 10, 10, 1, 0, 11, 10, 0, 0, 10, 10, 50, 50, 60, 60};
    const std::vector<float> scores = {0.9f, 0.8f, 0.7f, 0.6f};
    const std::vector<int64_t> labels = {1, 1, 2, 1};
    Nms nms;
    EXPECT_EQ(nms.run(boxes.data(), scores.data(), labels.data(), 4, 0.5f, 0), (std::vector<int32_t>{0, 2, 3}));
    // Class-agnostic: box 2 goes too.
    EXPECT_EQ(nms.run(boxes.data(), scores.data(), labels.data(), 4, 0.5f, 0, false), (std::vector<int32_t>{0, 3}));
    // An IoU threshold above the overlap keeps everything, best first.
    EXPECT_EQ(nms.run(boxes.data(), scores.data(), labels.data(), 4, 0.9f, 0), (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(Nms, OrdersByScoreAndBreaksTiesByIndex) {
    // Same box four times with tied scores: the lowest index of the best score wins.
    const std::vector<float> boxes = {0, 0, 4, 4, 0, 0, 4, 4, 0, 0, 4, 4, 0, 0, 4, 4};
    const std::vector<float> scores = {0.5f, 0.7f, 0.7f, 0.1f};
    const std::vector<int64_t> labels = {0, 0, 0, 0};
    Nms nms;
    EXPECT_EQ(nms.run(boxes.data(), scores.data(), labels.data(), 4, 0.5f, 0), (std::vector<int32_t>{1}));
    // Disjoint boxes with ties come out in index order among equals.
    const std::vector<float> apart = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7};
    EXPECT_EQ(nms.run(apart.data(), scores.data(), labels.data(), 4, 0.5f, 0), (std::vector<int32_t>{1, 2, 0, 3}));
}

TEST(Nms, EmptyInputAndMaxDetections) {
    Nms nms;
    EXPECT_TRUE(nms.run(nullptr, nullptr, nullptr, 0, 0.5f, 10).empty());
    std::vector<float> boxes, scores;
    std::vector<int64_t> labels;
    for (int i = 0; i < 200; ++i) {  // 200 disjoint boxes, more than one 64-bit mask word
        boxes.insert(boxes.end(), {i * 10.0f, 0, i * 10.0f + 5, 5});
        scores.push_back(static_cast<float>(i) / 200.0f);
        labels.push_back(i % 3);
    }
    const auto& kept = nms.run(boxes.data(), scores.data(), labels.data(), 200, 0.5f, 5);
    EXPECT_EQ(kept, (std::vector<int32_t>{199, 198, 197, 196, 195}));
    EXPECT_EQ(nms.run(boxes.data(), scores.data(), labels.data(), 200, 0.5f, 0).size(), 200u);
}

TEST(Nms, SuppressionChainsFollowKeptBoxesOnly) {
    // A suppresses B, B would suppress C, but B is gone so C (not overlapping A enough) stays.
    const std::vector<float> boxes = {0, 0, 10, 10, 4, 0, 14, 10, 8, 0, 18, 10};
    const std::vector<float> scores = {0.9f, 0.8f, 0.7f};
    const std::vector<int64_t> labels = {0, 0, 0};
    Nms nms;
    EXPECT_EQ(nms.run(boxes.data(), scores.data(), labels.data(), 3, 0.4f, 0), (std::vector<int32_t>{0, 2}));
}

TEST(DetectFormat, FromNamesAndShapes) {
    EXPECT_EQ(detect_format(
                  {f32("boxes", {2, 4}, std::vector<float>(8)), f32("scores", {2}, {0, 0}), i64("labels", {2}, {0, 0})})
                  .value(),
              DetectionFormat::kTorchvision);
    // Unnamed, any order, batch dim: boxes [1,N,4], labels int64, scores float.
    EXPECT_EQ(
        detect_format({i64("a", {1, 2}, {0, 0}), f32("b", {1, 2, 4}, std::vector<float>(8)), f32("c", {1, 2}, {0, 0})})
            .value(),
        DetectionFormat::kTorchvision);
    EXPECT_EQ(detect_format({f32("output0", {1, 100, 85}, std::vector<float>(8500))}).value(),
              DetectionFormat::kYoloV5);
    EXPECT_EQ(detect_format({f32("output0", {1, 84, 100}, std::vector<float>(8400))}).value(),
              DetectionFormat::kYoloV8);
    EXPECT_EQ(detect_format({f32("pred_boxes", {1, 10, 4}, std::vector<float>(40)),
                             f32("pred_logits", {1, 10, 3}, std::vector<float>(30))})
                  .value(),
              DetectionFormat::kDetr);
}

TEST(DetectFormat, SeveralFittingLayoutsAreAnErrorListingThem) {
    // Unnamed [1,Q,C] + [1,Q,4]: DETR and raw anchor heads alike; no guess.
    auto r =
        detect_format({f32("x", {1, 10, 92}, std::vector<float>(920)), f32("y", {1, 10, 4}, std::vector<float>(40))});
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    std::string m = r.status().message();
    for (const char* part : {"several formats by their shapes", "detr (", "ssd-head (", "retinanet-head (", "--format"})
        EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
    // A RetinaNet-style raw head is never taken for DETR: its names say raw head, whose type needs anchors.
    r = detect_format({f32("regression", {1, 50, 4}, std::vector<float>(200)),
                       f32("classification", {1, 50, 7}, std::vector<float>(350))});
    ASSERT_FALSE(r.is_ok());
    m = r.status().message();
    EXPECT_EQ(m.find("detr"), std::string::npos) << m;
    for (const char* part : {"by their names", "ssd-head", "retinanet-head", "--format", "'anchors'"})
        EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
    // torchvision's own head names do not read as DETR's logits/boxes either.
    r = detect_format({f32("bbox_regression", {1, 50, 4}, std::vector<float>(200)),
                       f32("cls_logits", {1, 50, 7}, std::vector<float>(350))});
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().message().find("detr"), std::string::npos) << r.status().message();
    // With a sidecar's anchors, the same outputs are that head.
    AnchorHead anchors;
    anchors.kind = AnchorHead::Kind::kSsd;
    r = detect_format({f32("bbox_regression", {1, 50, 4}, std::vector<float>(200)),
                       f32("cls_logits", {1, 50, 7}, std::vector<float>(350))},
                      &anchors);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r.value(), DetectionFormat::kSsdHead);
}

TEST(DetectFormat, UnknownShapesNameEveryOutputAndTheExpectedShapes) {
    auto r = detect_format({f32("probs", {1, 1000}, std::vector<float>(1000))});
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    const std::string m = r.status().message();
    EXPECT_NE(m.find("'probs' float32 [1x1000]"), std::string::npos) << m;
    EXPECT_NE(m.find("[1,N,5+C]"), std::string::npos) << m;
    EXPECT_NE(m.find("[1,4+C,N]"), std::string::npos) << m;
    EXPECT_NE(m.find("boxes [N,4]"), std::string::npos) << m;
    EXPECT_NE(m.find("--format"), std::string::npos) << m;
}

TEST(ParseDetectionFormat, NamesAndErrors) {
    EXPECT_EQ(parse_detection_format("YOLOv8").value(), DetectionFormat::kYoloV8);
    EXPECT_EQ(parse_detection_format("ssd").value(), DetectionFormat::kTorchvision);
    EXPECT_EQ(parse_detection_format("retinanet-head").value(), DetectionFormat::kRetinaNetHead);
    EXPECT_EQ(detection_format_name(DetectionFormat::kSsdHead), "ssd-head");
    EXPECT_EQ(detection_format_name(DetectionFormat::kDetr), "detr");
    auto r = parse_detection_format("yolov9");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'yolov9'"), std::string::npos);
}

TEST(TorchvisionDecoder, ThresholdLabelsAndBatchDim) {
    DetectionDecoder dec({.score_threshold = 0.5f});
    const std::vector<NamedTensor> out = {
        f32("boxes", {1, 3, 4}, {10, 20, 30, 40, 0, 0, 5, 5, 100, 100, 200, 150}),
        f32("scores", {1, 3}, {0.6f, 0.2f, 0.9f}),
        i64("labels", {1, 3}, {1, 2, 3}),
    };
    auto r = dec.decode(out, letterbox_640x480(), {"__background__", "person", "bicycle", "car"});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ(dec.format(), DetectionFormat::kTorchvision);
    // Best first; input pixels → frame: x / 0.5, (y - 40) / 0.5.
    EXPECT_EQ((*r)[0].label, 3);
    EXPECT_EQ((*r)[0].label_name, "car");
    EXPECT_FLOAT_EQ((*r)[0].score, 0.9f);
    expect_box((*r)[0], 200, 120, 400, 220);
    EXPECT_EQ((*r)[1].label_name, "person");
    expect_box((*r)[1], 20, 0, 60, 0);  // y 20 and 40 lie in the padding: clamped to the frame
}

TEST(TorchvisionDecoder, NoDetectionsIsAnEmptyList) {
    DetectionDecoder dec;
    auto r = dec.decode({f32("boxes", {0, 4}, {}), f32("scores", {0}, {}), i64("labels", {0}, {})}, identity(320, 320));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->empty());
}

TEST(TorchvisionDecoder, MismatchedLengthsNameTheOutput) {
    DetectionDecoder dec({.format = DetectionFormat::kTorchvision});
    auto r = dec.decode(
        {f32("boxes", {2, 4}, std::vector<float>(8)), f32("scores", {3}, {1, 1, 1}), i64("labels", {2}, {0, 0})},
        identity(320, 320));
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'scores' float32 [3]"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("scores [2]"), std::string::npos) << r.status().message();
}

TEST(YoloV5Decoder, ObjectnessTimesClassScoreThenNms) {
    // 4 rows of (cx, cy, w, h, obj, c0, c1): rows 0 and 1 overlap (same class 1), row 2 is class 0,
    // row 3 has low objectness.
    const std::vector<float> rows = {
        100, 100, 40, 40, 0.9f, 0.1f, 0.8f,  // score 0.72, class 1
        102, 100, 40, 40, 0.8f, 0.2f, 0.7f,  // score 0.56, class 1, IoU with row 0 ~0.90: suppressed
        102, 100, 40, 40, 0.9f, 0.6f, 0.3f,  // score 0.54, class 0: kept (class-aware)
        200, 200, 20, 20, 0.1f, 0.0f, 1.0f,  // objectness below the threshold
    };
    // Few rows: auto-detection needs N > 5+C, so the format is named (as --format yolov5 does).
    DetectionDecoder dec({.format = DetectionFormat::kYoloV5, .score_threshold = 0.3f, .iou_threshold = 0.5f});
    auto r = dec.decode({f32("output0", {1, 4, 7}, rows)}, letterbox_640x480(), {"cat", "dog"});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(dec.format(), DetectionFormat::kYoloV5);
    EXPECT_EQ(dec.num_classes(), 2);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].label_name, "dog");
    EXPECT_NEAR((*r)[0].score, 0.72f, 1e-6);
    expect_box((*r)[0], 160, 80, 240, 160);  // (80..120, 80..120) input px → frame
    EXPECT_EQ((*r)[1].label_name, "cat");
    EXPECT_NEAR((*r)[1].score, 0.54f, 1e-6);
    expect_box((*r)[1], 164, 80, 244, 160);
}

TEST(YoloV8Decoder, ColumnsAreCandidates) {
    // [1, 4+3, 3]: three anchors; anchor 1 is the best of class 2, anchor 2 overlaps it (class 2) and goes.
    const std::vector<float> x = {
        50,   150,   152,   // cx
        50,   150,   150,   // cy
        20,   30,    30,    // w
        20,   30,    30,    // h
        0.9f, 0.0f,  0.1f,  // class 0
        0.0f, 0.1f,  0.0f,  // class 1
        0.0f, 0.95f, 0.6f,  // class 2
    };
    DetectionDecoder dec({.format = DetectionFormat::kYoloV8, .score_threshold = 0.5f, .iou_threshold = 0.5f});
    auto r = dec.decode({f32("output0", {1, 7, 3}, x)}, identity(320, 320));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(dec.format(), DetectionFormat::kYoloV8);
    EXPECT_EQ(dec.num_classes(), 3);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].label, 2);
    EXPECT_FLOAT_EQ((*r)[0].score, 0.95f);
    expect_box((*r)[0], 135, 135, 165, 165);
    EXPECT_EQ((*r)[1].label, 0);
    expect_box((*r)[1], 40, 40, 60, 60);
    EXPECT_TRUE((*r)[1].label_name.empty());
}

TEST(YoloDecoder, MaxDetectionsKeepsTheBest) {
    std::vector<float> rows;
    for (int i = 0; i < 10; ++i) rows.insert(rows.end(), {i * 30.0f + 10, 10, 10, 10, 1.0f, 0.1f * i + 0.05f});
    DetectionDecoder dec({.format = DetectionFormat::kYoloV5, .score_threshold = 0.0f, .max_detections = 3});
    auto r = dec.decode({f32("out", {10, 6}, rows)}, identity(320, 320));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->size(), 3u);
    EXPECT_NEAR((*r)[0].score, 0.95f, 1e-6);
    EXPECT_NEAR((*r)[2].score, 0.75f, 1e-6);
}

TEST(YoloDecoder, WrongShapeNamesOutputAndExpectedLayout) {
    DetectionDecoder dec({.format = DetectionFormat::kYoloV8});
    auto r = dec.decode({f32("feat", {1, 3, 8, 8}, std::vector<float>(192))}, identity(8, 8));
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'feat' float32 [1x3x8x8]"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("[1,4+C,N]"), std::string::npos) << r.status().message();
}

TEST(DetrDecoder, SoftmaxWithoutNoObjectAndNormalizedBoxes) {
    // Q = 3 queries, C = 2 classes + no-object. Query 0: class 1 with p = e^2 / (e^2 + 1 + 1);
    // query 1: mostly no-object (dropped by the threshold); query 2: class 0 with p = 0.5.
    const float l2 = std::log(2.0f);
    const std::vector<float> logits = {0, 2, 0, 0, 0, 5, l2, 0, 0};
    const std::vector<float> boxes = {0.5f, 0.5f, 0.5f, 0.25f, 0.1f, 0.1f, 0.1f, 0.1f, 0.25f, 0.75f, 0.5f, 0.5f};
    DetectionDecoder dec({.score_threshold = 0.4f});
    PreprocessInfo info;  // 200x100 frame stretched to 400x400
    info.frame_width = 200;
    info.frame_height = 100;
    info.input_width = info.input_height = 400;
    info.scale_x = 2.0;
    info.scale_y = 4.0;
    auto r = dec.decode({f32("logits", {1, 3, 3}, logits), f32("boxes", {1, 3, 4}, boxes)}, info);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(dec.format(), DetectionFormat::kDetr);
    EXPECT_EQ(dec.num_classes(), 2);
    ASSERT_EQ(r->size(), 2u);
    const float e2 = std::exp(2.0f);
    EXPECT_EQ((*r)[0].label, 1);
    EXPECT_NEAR((*r)[0].score, e2 / (e2 + 2.0f), 1e-6);
    expect_box((*r)[0], 50, 37.5f, 150, 62.5f);  // cx,cy,w,h relative → the frame
    EXPECT_EQ((*r)[1].label, 0);
    EXPECT_NEAR((*r)[1].score, 0.5f, 1e-6);
    expect_box((*r)[1], 0, 50, 100, 100);
}

TEST(DetrDecoder, BoxesOfAnotherQueryCountAreRejected) {
    DetectionDecoder dec({.format = DetectionFormat::kDetr});
    auto r = dec.decode(
        {f32("pred_logits", {1, 3, 3}, std::vector<float>(9)), f32("pred_boxes", {1, 2, 4}, std::vector<float>(8))},
        identity(10, 10));
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'pred_boxes'"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("[1,3,4]"), std::string::npos) << r.status().message();
}

// A one-level RetinaNet generator on a 2x2 map with stride 16: base anchor [-16,-16,16,16] shifted per cell.
nlohmann::json retinanet_anchors() {
    return nlohmann::json::parse(R"({"type": "retinanet", "image_size": [32, 32], "box_coder_weights": [1, 1, 1, 1],
        "score_thresh": 0.05, "nms_thresh": 0.5, "topk_candidates": 1000, "detections_per_img": 300,
        "levels": [{"feature_map": [2, 2], "stride": [16, 16], "sizes": [32], "aspect_ratios": [1.0]}]})");
}

TEST(AnchorHead, RetinaNetAnchorsAreShiftedBaseAnchors) {
    auto h = parse_anchor_head(retinanet_anchors(), "m.json");
    ASSERT_TRUE(h.is_ok()) << h.status().to_string();
    EXPECT_EQ(h->level_counts, (std::vector<int64_t>{4}));
    EXPECT_EQ(h->anchors, (std::vector<float>{-16, -16, 16, 16, 0, -16, 32, 16, -16, 0, 16, 32, 0, 0, 32, 32}));
    // Ratio 0.5 (h = sqrt(0.5) * 32 = 22.6, w = 45.3): rounded half-widths, as torchvision rounds.
    auto doc = retinanet_anchors();
    doc["levels"][0]["aspect_ratios"] = {0.5};
    h = parse_anchor_head(doc, "m.json");
    ASSERT_TRUE(h.is_ok());
    EXPECT_EQ(std::vector<float>(h->anchors.begin(), h->anchors.begin() + 4), (std::vector<float>{-23, -11, 23, 11}));
}

TEST(AnchorHead, SsdDefaultBoxesFromScales) {
    // One 2x2 level, scales 0.5 and 0.5: pairs (0.5,0.5) twice (s' = sqrt(0.5*0.5)), no extra ratios.
    auto h = parse_anchor_head(nlohmann::json::parse(R"({"type": "ssd", "image_size": [100, 200],
        "box_coder_weights": [10, 10, 5, 5], "scales": [0.5, 0.5],
        "levels": [{"feature_map": [2, 2], "aspect_ratios": []}]})"),
                               "m.json");
    ASSERT_TRUE(h.is_ok()) << h.status().to_string();
    ASSERT_EQ(h->count(), 8);
    // First cell's center (0.25, 0.25) of 200x100, half size 50x25: [0, 0, 100, 50].
    EXPECT_EQ(std::vector<float>(h->anchors.begin(), h->anchors.begin() + 4), (std::vector<float>{0, 0, 100, 50}));
    EXPECT_EQ(std::vector<float>(h->anchors.end() - 4, h->anchors.end()), (std::vector<float>{100, 50, 200, 100}));
}

TEST(AnchorHead, ErrorsNameTheKey) {
    auto doc = retinanet_anchors();
    doc["levels"][0].erase("stride");
    auto h = parse_anchor_head(doc, "sidecar 'm.json'");
    ASSERT_FALSE(h.is_ok());
    EXPECT_NE(h.status().message().find("sidecar 'm.json': key 'anchors.levels[0].stride' is missing"),
              std::string::npos)
        << h.status().message();
    doc = retinanet_anchors();
    doc["type"] = "yolo";
    h = parse_anchor_head(doc, "m.json");
    ASSERT_FALSE(h.is_ok());
    EXPECT_NE(h.status().message().find("'anchors.type'"), std::string::npos) << h.status().message();
}

TEST(AnchorHeadDecoder, RetinaNetDecodesAgainstAnchorsClipsAndSuppresses) {
    auto h = parse_anchor_head(retinanet_anchors(), "m.json");
    ASSERT_TRUE(h.is_ok());
    DetectionDecoder dec({.format = DetectionFormat::kRetinaNetHead,
                          .score_threshold = 0.3f,
                          .anchors = std::make_shared<const AnchorHead>(h.value())});
    // 4 anchors x 2 classes. Anchor 3 (cell 1,1 = [0,0,32,32]) class 1 at logit 2 (0.88), moved by dx = 0.25
    // (8 px) and grown by dw = log 2 in width: [-8,0,56,32] clipped to [0,0,32,32]. Anchor 2 class 1 at
    // logit 1 (0.73) = [-16,0,16,32] → [0,0,16,32]: IoU 0.5 with the first, not above nms_thresh 0.5: kept.
    // Anchor 0 class 0 at logit 0 (0.5): kept (another class). Everything else at -5.
    std::vector<float> codes(16, 0.0f), logits(8, -5.0f);
    codes[12] = 0.25f;
    codes[14] = std::log(2.0f);
    logits[7] = 2.0f;
    logits[5] = 1.0f;
    logits[0] = 0.0f;
    auto r =
        dec.decode({f32("bbox_regression", {1, 4, 4}, codes), f32("cls_logits", {1, 4, 2}, logits)}, identity(32, 32));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0].label, 1);
    EXPECT_NEAR((*r)[0].score, 1.0f / (1.0f + std::exp(-2.0f)), 1e-6);
    expect_box((*r)[0], 0, 0, 32, 32);
    expect_box((*r)[1], 0, 0, 16, 32);
    EXPECT_EQ((*r)[2].label, 0);
    expect_box((*r)[2], 0, 0, 16, 16);
    EXPECT_EQ(dec.format(), DetectionFormat::kRetinaNetHead);
    // Another anchor count than the sidecar's is named.
    r = dec.decode({f32("bbox_regression", {1, 3, 4}, std::vector<float>(12)),
                    f32("cls_logits", {1, 3, 2}, std::vector<float>(6))},
                   identity(32, 32));
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'bbox_regression'"), std::string::npos) << r.status().message();
    // Without anchors, a raw head format says where they come from.
    DetectionDecoder bare({.format = DetectionFormat::kSsdHead});
    r = bare.decode({f32("bbox_regression", {1, 4, 4}, codes), f32("cls_logits", {1, 4, 2}, logits)}, identity(32, 32));
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("'anchors'"), std::string::npos) << r.status().message();
}

TEST(LabelCountWarning, OnlyOnMismatch) {
    EXPECT_EQ(label_count_warning(80, 80, "labels.txt"), "");
    EXPECT_EQ(label_count_warning(0, 80, "labels.txt"), "");
    EXPECT_EQ(label_count_warning(5, 0, "labels.txt"), "");
    const std::string w = label_count_warning(79, 80, "labels.txt");
    EXPECT_NE(w.find("labels from labels.txt: 79 labels but the model has 80 classes"), std::string::npos) << w;
}

}  // namespace
}  // namespace edgeinfer::vision

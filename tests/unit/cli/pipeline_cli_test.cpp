// `edgeinfer pipeline` run as users run it: a generated video of shapes, the tiny YOLOv8 detector, a
// tracker, the bundled shapes classifier on object crops, the trend clip classifier, a line, a record rule
// and a JSON-lines upload (metadata, tracks, events and the clip checked); --limit, --metrics-port and
// SIGINT on a looping source; a bad config exits 1 with the JSON path of the problem.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <set>
#include <thread>

#include "../pipeline/loopback_util.hpp"
#include "child_process.hpp"
#include "cli_test_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::Child;
using cli_test::read_json_lines;
using cli_test::run_cli;
using nlohmann::json;
using pipeline_test::free_port;
using pipeline_test::http_get;
using testing::TempDir;

const std::string kSource = EDGEINFER_SOURCE_DIR;
const std::string kHead = EDGEINFER_HEAD_MODELS;
const std::string kClassify = EDGEINFER_CLASSIFY_MODELS;
constexpr int kFrames = 30;  // 3 s at 10 fps

// 320x240: a still orange circle where the tiny detector's boxes land ((120,80)-(200,160) after the
// letterbox), and a blue square and a green triangle moving across the rest of the frame.
cv::Mat frame(int n) {
    cv::Mat img(240, 320, CV_8UC3, cv::Scalar(60, 60, 60));
    cv::circle(img, {160, 120}, 34, cv::Scalar(40, 140, 240), cv::FILLED, cv::LINE_AA);
    const int x = 10 + n * 9;
    cv::rectangle(img, cv::Rect(x, 190, 30, 30), cv::Scalar(220, 60, 30), cv::FILLED);
    std::vector<cv::Point> tri{{300 - x, 10}, {330 - x, 60}, {270 - x, 60}};
    cv::fillPoly(img, std::vector<std::vector<cv::Point>>{tri}, cv::Scalar(40, 200, 60), cv::LINE_AA);
    return img;
}

void write_video(const std::string& path) {
    cv::VideoWriter w(path, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), 10.0, cv::Size(320, 240));
    ASSERT_TRUE(w.isOpened()) << path;
    for (int n = 0; n < kFrames; ++n) w.write(frame(n));
}

json config(bool loop = false) {
    return json::parse(R"({
        "sources": [{"id": "cam", "uri": "shapes.mp4", "loop": )" +
                       std::string(loop ? "true" : "false") + R"(}],
        "elements": [
            {"type": "infer", "name": "detector", "role": "detector", "model": ")" +
                       kHead + R"(/yolov8_tiny.onnx",
             "labels": ["blob", "shape"], "confidence_threshold": 0.5},
            {"type": "tracker", "name": "tracker", "min_hits": 2, "max_age": 5},
            {"type": "infer", "name": "shape", "role": "classifier", "model": ")" +
                       kSource + R"(/models/shapes.onnx",
             "operate_on_classes": ["shape"], "every_n_frames": 10, "batch_size": 4},
            {"type": "clip_classifier", "name": "trend", "model": ")" +
                       kClassify + R"(/trend.onnx", "window": 4,
             "stride": 2},
            {"type": "overlay", "name": "overlay"}
        ],
        "lines": [{"name": "gate", "points": [[0, 230], [320, 230]]}],
        "sinks": [
            {"id": "meta", "type": "metadata", "path": "out/meta.jsonl"},
            {"id": "events", "type": "file", "path": "out/events.jsonl"}
        ],
        "action_rules": [
            {"rule_name": "circle_seen",
             "and": [{"key": "predicted_class", "operator": "==", "value": "circle"},
                     {"key": "probability", "operator": ">=", "value": 0.5}],
             "cooldown_seconds": 100,
             "action": {"type": "record", "pre_seconds": 1, "duration_in_seconds": 1, "max_duration_in_seconds": 3,
                        "directory": "out/clips", "sinks": ["events"]}},
            {"rule_name": "track_ended",
             "and": [{"key": "tracking_ended_time", "operator": "!=", "value": "N/A"}],
             "action": {"type": "upload", "sinks": ["events"]}}
        ]
    })");
}

std::string write_config(const TempDir& dir, const json& doc) {
    const std::string path = dir / "pipeline.json";
    std::ofstream(path) << doc.dump(2);
    return path;
}

TEST(PipelineCli, DetectTrackClassifyRecordAndUpload) {
    TempDir dir;
    write_video(dir / "shapes.mp4");
    const std::string cfg = write_config(dir, config());
    const auto r = run_cli("pipeline " + cfg);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("pipeline: 30 frames, 3 events"), std::string::npos) << r.out;
    for (const char* element : {"detector", "tracker", "shape", "trend", "overlay"})
        EXPECT_NE(r.out.find(std::string("element ") + element), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("events delivered"), std::string::npos) << r.out;

    const auto meta = read_json_lines(dir / "out/meta.jsonl");
    ASSERT_EQ(meta.size(), size_t(kFrames));
    std::set<int64_t> tracks;
    for (size_t n = 0; n < meta.size(); ++n) {
        const json& m = meta[n];
        EXPECT_EQ(m["source_id"], "cam");
        EXPECT_EQ(m["frame_number"], n);
        ASSERT_EQ(m["object_count"], 2) << m.dump();
        for (const json& o : m["objects"]) {
            EXPECT_NEAR(o["box"][0].get<double>(), 120, 0.5) << o.dump();
            EXPECT_NEAR(o["box"][3].get<double>(), 160, 0.5) << o.dump();
            if (o.contains("track_id")) tracks.insert(o["track_id"].get<int64_t>());
            if (o["label"] == "shape" && o.contains("track_id")) {  // the classifier runs on "shape" only
                EXPECT_EQ(o["predicted_class"], "circle") << o.dump();
                EXPECT_GT(o["probability"].get<double>(), 0.5);
            }
            if (o["label"] == "blob") {
                EXPECT_FALSE(o.contains("predicted_class")) << o.dump();
            }
        }
        EXPECT_EQ(m["line.gate.in"], 0);  // the boxes stand still: nothing crosses
        if (n >= 3) {  // the trend clip classifier once its window of 4 frames is full: brightness stays
            EXPECT_EQ(m["clip_class"], "steady") << m.dump();
        } else {
            EXPECT_FALSE(m.contains("clip_class")) << m.dump();
        }
    }
    EXPECT_EQ(tracks.size(), 2u);  // one per class (the tracker matches classes)

    const auto events = read_json_lines(dir / "out/events.jsonl");
    ASSERT_EQ(events.size(), 3u);  // one record (cooldown 100 s) + the two tracks ending with the video
    std::map<std::string, std::vector<json>> by_rule;
    for (const json& e : events) by_rule[e["rule_name"]].push_back(e);
    ASSERT_EQ(by_rule["circle_seen"].size(), 1u);
    ASSERT_EQ(by_rule["track_ended"].size(), 2u);
    const json& rec = by_rule["circle_seen"][0];
    EXPECT_EQ(rec["object"]["predicted_class"], "circle");
    ASSERT_TRUE(rec.contains("clip")) << rec.dump();
    fs::path clip = rec["clip"].get<std::string>();
    if (clip.is_relative()) clip = dir.path() / clip;
    ASSERT_TRUE(fs::exists(clip)) << clip;
    cv::VideoCapture cap(clip.string());
    ASSERT_TRUE(cap.isOpened()) << clip;
    // From up to 1 s (10 frames) before the trigger to 1 s after it, at 10 fps (one frame of slack either end).
    const int trigger = rec["frame_number"].get<int>();
    const double expected = std::min(trigger, 10) + 10;
    const double frames = cap.get(cv::CAP_PROP_FRAME_COUNT);
    EXPECT_NEAR(frames, expected, 1.0) << clip << " trigger at frame " << trigger;
}



TEST(PipelineCli, LimitMetricsPortAndSigintStopCleanly) {
    TempDir dir;
    write_video(dir / "shapes.mp4");
    const std::string cfg = write_config(dir, config(/*loop=*/true));
    const auto limited = run_cli("pipeline " + cfg + " --limit 12");
    ASSERT_EQ(limited.code, 0) << limited.out;
    EXPECT_EQ(read_json_lines(dir / "out/meta.jsonl").size(), 12u);

    fs::remove_all(dir / "out");
    const int port = free_port();
    Child child({"pipeline", cfg, "--metrics-port", std::to_string(port)});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline &&
           (!fs::exists(dir / "out/meta.jsonl") || fs::file_size(dir / "out/meta.jsonl") < 40000))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::string metrics = http_get(port, "/metrics");
    EXPECT_NE(metrics.find("edgeinfer_pipeline_element_frames_total{element=\"shape\"}"), std::string::npos) << metrics;
    child.signal(SIGINT);
    ASSERT_EQ(child.wait(30000), 130) << child.err();
    const std::string out = child.rest_of_output();
    EXPECT_NE(out.find("stopped by SIGINT"), std::string::npos) << out;
    EXPECT_NE(out.find("element detector"), std::string::npos) << out;
    const auto meta = read_json_lines(dir / "out/meta.jsonl");  // every line whole: the sink was flushed
    EXPECT_GT(meta.size(), size_t(kFrames));               // the looping source went past one pass
}

TEST(PipelineCli, BadConfigExitsOneWithTheJsonPathBadSourceTwo) {
    TempDir dir;
    write_video(dir / "shapes.mp4");
    json doc = config();
    doc["action_rules"][0]["and"][1]["operator"] = "=>";
    auto r = run_cli("pipeline " + write_config(dir, doc));
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("/action_rules/0/and/1/operator"), std::string::npos) << r.out;

    doc = config();
    doc["elements"][2]["model"] = dir / "missing.onnx";
    r = run_cli("pipeline " + write_config(dir, doc));
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("/elements/2/model"), std::string::npos) << r.out;

    doc = config();  // a classifier model given as the detector: refused at start, naming the element
    doc["elements"][0]["model"] = kSource + "/models/shapes.onnx";
    r = run_cli("pipeline " + write_config(dir, doc));
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("/elements/0"), std::string::npos) << r.out;

    doc = config();  // a source that cannot be opened: reported, exit 2
    doc["sources"][0]["uri"] = "nothere.mp4";
    r = run_cli("pipeline " + write_config(dir, doc));
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_NE(r.out.find("source error: source cam"), std::string::npos) << r.out;

    r = run_cli("pipeline " + (dir / "nope.json"));
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("nope.json"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer

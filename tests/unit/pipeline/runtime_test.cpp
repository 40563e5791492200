// The pipeline runtime end to end on a generated video of three moving squares: a contour "detector"
// plugged in through the element factory, the built-in tracker and overlay, a line, a zone, rules
// that publish events and record a clip, metadata and video sinks, Prometheus metrics. Also: live
// sources drop frames when the pipeline is slow and files never do, a failing source does not stop
// the others, and elements without an implementation are refused at start.
#include "pipeline/runtime.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <regex>
#include <set>
#include <thread>

#include "loopback_util.hpp"

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using pipeline_test::http_get;

constexpr int kFrames = 60;

// Frame n: black 320x240, a red square moving down (crosses y = 120 at frame 25), a green one moving
// up (crosses at frame 38), a blue one moving right along the bottom that leaves the picture at frame 39.
cv::Mat shapes_frame(int n) {
    cv::Mat img(240, 320, CV_8UC3, cv::Scalar::all(0));
    cv::rectangle(img, cv::Rect(60, 20 + 3 * n, 30, 30), cv::Scalar(0, 0, 255), cv::FILLED);
    cv::rectangle(img, cv::Rect(160, 200 - 3 * n, 30, 30), cv::Scalar(0, 255, 0), cv::FILLED);
    if (10 + 8 * n < 320) cv::rectangle(img, cv::Rect(10 + 8 * n, 205, 30, 30), cv::Scalar(255, 0, 0), cv::FILLED);
    return img;
}

// Stands in for an inference element: bright blobs become objects, classed by their dominant color.
class ShapeDetector final : public Element {
  public:
    Status process(PipelineFrame& f) override {
        cv::Mat channels[3], brightest;
        cv::split(f.frame.image, channels);
        cv::max(channels[0], channels[1], brightest);
        cv::max(brightest, channels[2], brightest);
        cv::Mat mask = brightest > 100;
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        static const char* names[] = {"blue", "green", "red"};  // BGR channel order
        for (const auto& c : contours) {
            const cv::Rect r = cv::boundingRect(c);
            if (r.area() < 60) continue;
            const cv::Scalar mean = cv::mean(f.frame.image(r));
            const int cls = mean[0] >= mean[1] && mean[0] >= mean[2] ? 0 : mean[1] >= mean[2] ? 1 : 2;
            ObjectMeta o;
            o.box = {float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height)};
            o.class_id = cls;
            o.label = names[cls];
            o.confidence = 0.9f;
            f.meta.objects.push_back(o);
        }
        return Status::ok();
    }
};

class SlowElement final : public Element {
  public:
    Status process(PipelineFrame&) override {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return Status::ok();
    }
};

// A source of `count` synthetic frames, produced as fast as they are asked for; kSourceLost after
// `fail_after` frames when that is >= 0.
class FakeSource final : public io::FrameSource {
  public:
    FakeSource(int count, int fail_after) : count_(count), fail_after_(fail_after) {}
    Result<io::Frame> next() override {
        if (fail_after_ >= 0 && n_ >= fail_after_) return Status(StatusCode::kSourceLost, "fake camera unplugged");
        if (n_ >= count_) return Status(StatusCode::kEndOfStream, "end");
        io::Frame f;
        f.image = shapes_frame(n_ % kFrames);
        f.seq = uint64_t(n_++);
        f.timestamp_us = io::now_us();
        return f;
    }
    std::string describe() const override { return "fake"; }

  private:
    int count_, fail_after_, n_ = 0;
};

class RuntimeTest : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(testing::TempDir()) / ("pipeline_runtime_" + std::to_string(::getpid()) + "_" +
                                               testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::ofstream(dir_ / "shapes.onnx") << "stand-in";
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write_video() {
        cv::VideoWriter w((dir_ / "shapes.mp4").string(), cv::VideoWriter::fourcc('m', 'p', '4', 'v'), 10.0,
                          cv::Size(320, 240));
        ASSERT_TRUE(w.isOpened());
        for (int n = 0; n < kFrames; ++n) w.write(shapes_frame(n));
    }

    PipelineConfig parse(const json& j) {
        auto c = parse_pipeline_config(j, dir_);
        EXPECT_TRUE(c.is_ok()) << c.status().to_string();
        return c.is_ok() ? c.value() : PipelineConfig{};
    }

    static PipelineOptions with(std::function<std::unique_ptr<Element>()> make_infer) {
        PipelineOptions o;
        o.factory = [make_infer](const ElementConfig& e, const PipelineConfig&) -> Result<std::unique_ptr<Element>> {
            if (e.type == ElementType::kInfer) return make_infer();
            return std::unique_ptr<Element>();
        };
        return o;
    }

    static std::vector<json> read_lines(const fs::path& p) {
        std::vector<json> out;
        std::ifstream in(p);
        std::string line;
        while (std::getline(in, line)) out.push_back(json::parse(line));
        return out;
    }

    fs::path dir_;
};

TEST_F(RuntimeTest, ShapesVideoEndToEnd) {
    write_video();
    const json doc = json::parse(R"({
        "sources": [{"id": "cam1", "uri": "shapes.mp4"}],
        "elements": [
            {"type": "infer", "name": "detector", "role": "detector", "model": "shapes.onnx",
             "labels": ["blue", "green", "red"]},
            {"type": "tracker", "name": "tracker", "min_hits": 2, "max_age": 5},
            {"type": "overlay"}
        ],
        "zones": [{"name": "right", "polygon": [[160, 0], [320, 0], [320, 240], [160, 240]]}],
        "lines": [{"name": "mid", "points": [[0, 120], [320, 120]]}],
        "sinks": [
            {"id": "meta", "type": "metadata", "path": "out/meta.jsonl"},
            {"id": "events", "type": "file", "path": "out/events.jsonl"},
            {"id": "annotated", "type": "video", "path": "out/annotated.mp4"}
        ],
        "action_rules": [
            {"rule_name": "crossing", "and": [{"key": "line_crossed", "operator": "==", "value": "mid"}],
             "action": {"type": "publish", "sinks": ["events"]}},
            {"rule_name": "red_goes_down",
             "and": [{"key": "label", "operator": "==", "value": "red"},
                     {"key": "crossing_direction", "operator": "==", "value": "in"}],
             "action": {"type": "record", "pre_seconds": 1, "duration_in_seconds": 1, "max_duration_in_seconds": 5,
                        "directory": "out/clips", "sinks": ["events"]}},
            {"rule_name": "gone", "and": [{"key": "tracking_ended_time", "operator": "!=", "value": "N/A"}],
             "action": {"type": "publish", "sinks": ["events"]}},
            {"rule_name": "busy_right", "and": [{"key": "zone_count.right", "operator": ">=", "value": 2}],
             "cooldown_seconds": 100, "action": {"type": "publish", "sinks": ["events"]}}
        ],
        "spool_directory": "spool"
    })");
    PipelineOptions options = with([] { return std::make_unique<ShapeDetector>(); });
    auto pipeline = Pipeline::create(parse(doc), options);
    ASSERT_TRUE(pipeline.is_ok()) << pipeline.status().to_string();
    auto summary = pipeline.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    ASSERT_TRUE(pipeline.value()->drain_events(std::chrono::seconds(20)));
    EXPECT_EQ(summary->frames, uint64_t(kFrames));
    EXPECT_EQ(summary->dropped, 0u);
    EXPECT_TRUE(summary->source_errors.empty());

    // Metadata: every frame, three tracks, one crossing each way.
    const auto meta = read_lines(dir_ / "out/meta.jsonl");
    ASSERT_EQ(meta.size(), size_t(kFrames));
    std::set<int64_t> tracks;
    for (const auto& m : meta)
        for (const auto& o : m["objects"])
            if (o.contains("track_id")) tracks.insert(o["track_id"].get<int64_t>());
    EXPECT_EQ(tracks.size(), 3u);
    EXPECT_EQ(meta.back()["line.mid.in"], 1.0);
    EXPECT_EQ(meta.back()["line.mid.out"], 1.0);
    EXPECT_EQ(meta[10]["timestamp_us"].get<int64_t>() - meta[0]["timestamp_us"].get<int64_t>(),
              1'000'000);  // media time

    // Events.
    std::map<std::string, std::vector<json>> events;
    for (const auto& e : read_lines(dir_ / "out/events.jsonl")) events[e["rule_name"]].push_back(e);
    ASSERT_EQ(events["crossing"].size(), 2u);
    EXPECT_EQ(events["crossing"][0]["object"]["label"], "red");
    EXPECT_EQ(events["crossing"][0]["object"]["crossing_direction"], "in");
    EXPECT_EQ(events["crossing"][0]["frame_number"], 25);
    EXPECT_EQ(events["crossing"][1]["object"]["label"], "green");
    EXPECT_EQ(events["crossing"][1]["object"]["crossing_direction"], "out");
    // Blue leaves the picture (ends after max_age at frame 44); red and green end with the video.
    ASSERT_EQ(events["gone"].size(), 3u);
    EXPECT_EQ(events["gone"][0]["object"]["label"], "blue");
    EXPECT_EQ(events["gone"][0]["frame_number"], 44);
    std::set<std::string> at_end;
    for (size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(events["gone"][i]["frame_number"], kFrames - 1);
        at_end.insert(events["gone"][i]["object"]["label"].get<std::string>());
    }
    EXPECT_EQ(at_end, (std::set<std::string>{"red", "green"}));
    ASSERT_EQ(events["busy_right"].size(), 1u);  // cooldown: once
    ASSERT_EQ(events["red_goes_down"].size(), 1u);

    // The clip: 1 s before the crossing and 1 s after it, at the video's 10 fps.
    const fs::path clip = events["red_goes_down"][0]["clip"].get<std::string>();
    ASSERT_TRUE(fs::exists(clip)) << clip;
    cv::VideoCapture cap(clip.string());
    int frames = 0;
    for (cv::Mat f; cap.read(f);) ++frames;
    EXPECT_EQ(frames, 20);
    EXPECT_NEAR(cap.get(cv::CAP_PROP_FPS), 10.0, 0.01);

    cv::VideoCapture annotated((dir_ / "out/annotated.mp4").string());
    EXPECT_EQ(int(annotated.get(cv::CAP_PROP_FRAME_COUNT)), kFrames);

    const std::string prom = pipeline.value()->metrics().prometheus();
    EXPECT_NE(prom.find("edgeinfer_pipeline_element_frames_total{element=\"tracker\"} 60"), std::string::npos) << prom;
    EXPECT_NE(prom.find("edgeinfer_pipeline_source_dropped_frames_total{source=\"cam1\"} 0"), std::string::npos);
    EXPECT_NE(prom.find("edgeinfer_pipeline_sink_delivered_total{sink=\"events\"} 7"), std::string::npos) << prom;
    EXPECT_NE(prom.find("edgeinfer_pipeline_clips_total 1"), std::string::npos);
}

json slow_doc(bool live) {
    return json{{"sources", {{{"id", "cam"}, {"uri", "fake"}, {"live", live}, {"queue_size", 2}}}},
                {"elements", {{{"type", "infer"}, {"model", "shapes.onnx"}}}},
                {"spool_directory", "spool"}};
}

TEST_F(RuntimeTest, LiveSourcesDropOldestFilesNever) {
    for (bool live : {true, false}) {
        PipelineOptions o = with([] { return std::make_unique<SlowElement>(); });
        o.open_source = [](const SourceConfig&) -> Result<std::unique_ptr<io::FrameSource>> {
            return std::unique_ptr<io::FrameSource>(new FakeSource(100, -1));
        };
        auto p = Pipeline::create(parse(slow_doc(live)), o);
        ASSERT_TRUE(p.is_ok()) << p.status().to_string();
        auto s = p.value()->run();
        ASSERT_TRUE(s.is_ok());
        const auto& src = *p.value()->metrics().sources[0];
        EXPECT_EQ(src.frames, 100u);
        if (live) {
            EXPECT_GT(s->dropped, 50u);  // 100 frames at once, 5 ms each downstream, 2 queued
            EXPECT_EQ(s->frames + s->dropped, 100u);
        } else {
            EXPECT_EQ(s->dropped, 0u);
            EXPECT_EQ(s->frames, 100u);
        }
    }
}

TEST_F(RuntimeTest, FailingSourceIsReportedAndOthersGoOn) {
    json doc = slow_doc(false);
    doc["sources"] = {{{"id", "good"}, {"uri", "fake://good"}},
                      {{"id", "bad"}, {"uri", "fake://bad"}},
                      {{"id", "missing"}, {"uri", (dir_ / "nope.mp4").string()}}};
    PipelineOptions o = with([] { return std::make_unique<ShapeDetector>(); });
    o.open_source = [](const SourceConfig& s) -> Result<std::unique_ptr<io::FrameSource>> {
        if (s.id == "missing") return io::open_source(s.uri);
        return std::unique_ptr<io::FrameSource>(new FakeSource(20, s.id == "bad" ? 5 : -1));
    };
    auto p = Pipeline::create(parse(doc), o);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto s = p.value()->run();
    ASSERT_TRUE(s.is_ok());
    EXPECT_EQ(s->frames, 25u);
    ASSERT_EQ(s->source_errors.size(), 2u);
    std::string all = s->source_errors[0] + "\n" + s->source_errors[1];
    EXPECT_NE(all.find("source bad (fake://bad): SourceLost: fake camera unplugged"), std::string::npos) << all;
    EXPECT_NE(all.find("source missing"), std::string::npos) << all;
}

TEST_F(RuntimeTest, MetricsServedOverHttp) {
    json doc = slow_doc(false);
    PipelineOptions o = with([] { return std::make_unique<ShapeDetector>(); });
    o.open_source = [](const SourceConfig&) -> Result<std::unique_ptr<io::FrameSource>> {
        return std::unique_ptr<io::FrameSource>(new FakeSource(12, -1));
    };
    o.metrics_port = 0;  // overridden below through the config's metrics_port
    // Any free port: bind one, release it, hand it to the pipeline.
    int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(probe);
    doc["metrics_port"] = ntohs(a.sin_port);
    o.metrics_port = -1;
    auto p = Pipeline::create(parse(doc), o);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    ASSERT_TRUE(p.value()->run().is_ok());
    const std::string reply = http_get(p.value()->metrics_port(), "/metrics");
    EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK", 0), 0u) << reply;
    EXPECT_NE(reply.find("# TYPE edgeinfer_pipeline_element_frames_total counter"), std::string::npos);
    EXPECT_NE(reply.find("edgeinfer_pipeline_element_frames_total{element=\"infer0\"} 12"), std::string::npos) << reply;
    EXPECT_NE(reply.find("edgeinfer_pipeline_source_frames_total{source=\"cam\"} 12"), std::string::npos);
    EXPECT_EQ(http_get(p.value()->metrics_port(), "/other").rfind("HTTP/1.1 404", 0), 0u);
    const auto lines = p.value()->metrics().summary();
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines[0].find("infer0"), std::string::npos);
}

TEST_F(RuntimeTest, ElementsWithoutImplementationAreRefused) {
    auto p = Pipeline::create(parse(slow_doc(false)), {});
    ASSERT_FALSE(p.is_ok());
    EXPECT_EQ(p.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(p.status().message().find("/elements/0: element \"infer0\" (infer, role detector)"), std::string::npos)
        << p.status().message();
}

}  // namespace
}  // namespace edgeinfer::pipeline

namespace edgeinfer::pipeline {
namespace {

json custom_doc(const json& element_config) {
    json doc = {{"sources", {{{"id", "cam"}, {"uri", "fake://cam"}}}},
                {"elements",
                 {{{"type", "infer"}, {"model", "shapes.onnx"}},
                  {{"type", "custom"},
                   {"name", "plugin"},
                   {"library", EDGEINFER_TEST_ELEMENT},
                   {"config", element_config},
                   {"produces",
                    {{"box_area", {{"scope", "object"}, {"type", "number"}}},
                     {"tag", {{"scope", "object"}, {"type", "string"}}},
                     {"brightness", {{"scope", "frame"}, {"type", "number"}}}}}}}},
                {"sinks", {{{"id", "meta"}, {"type", "metadata"}, {"path", "meta.jsonl"}}}},
                {"spool_directory", "spool"}};
    return doc;
}

TEST_F(RuntimeTest, CustomElementFromASharedLibrary) {
    json doc = custom_doc({{"tag", "mine"}});
    doc["action_rules"] = {{{"rule_name", "big"},
                            {"and", {{{"key", "box_area"}, {"operator", ">="}, {"value", 900}}}},
                            {"action", {{"type", "publish"}, {"sinks", {"events"}}}}}};
    doc["sinks"].push_back({{"id", "events"}, {"type", "file"}, {"path", "events.jsonl"}});
    PipelineOptions o = with([] { return std::make_unique<ShapeDetector>(); });
    o.open_source = [](const SourceConfig&) -> Result<std::unique_ptr<io::FrameSource>> {
        return std::unique_ptr<io::FrameSource>(new FakeSource(5, -1));
    };
    auto p = Pipeline::create(parse(doc), o);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto s = p.value()->run();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    ASSERT_TRUE(p.value()->drain_events(std::chrono::seconds(10)));
    const auto meta = read_lines(dir_ / "meta.jsonl");
    ASSERT_EQ(meta.size(), 5u);
    for (const auto& m : meta) {
        EXPECT_GT(m["brightness"].get<double>(), 0.0);
        ASSERT_EQ(m["objects"].size(), 3u);
        for (const auto& obj : m["objects"]) {
            EXPECT_EQ(obj["tag"], "mine");
            EXPECT_EQ(obj["box_area"], 900.0);  // 30 x 30 squares
        }
    }
    EXPECT_EQ(read_lines(dir_ / "events.jsonl").size(), 15u);  // 3 objects x 5 frames
    EXPECT_EQ(p.value()->metrics().elements[1]->errors, 0u);
}

// The keywords docs/pipeline-metadata.schema.json uses (type, required, properties, additionalProperties,
// items, minItems, maxItems, minimum, maximum, enum, pattern, $ref into $defs): one message per violation,
// with the JSON pointer of the value at fault. Other keywords (title, description) are ignored.
void check_schema(const json& value, const json& schema, const json& root, const std::string& where,
                  std::vector<std::string>& errors) {
    if (schema.contains("$ref")) {
        const std::string ref = schema["$ref"];
        ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
        check_schema(value, root.at(json::json_pointer(ref.substr(1))), root, where, errors);
        return;
    }
    auto is = [&](const std::string& t) {
        if (t == "object") return value.is_object();
        if (t == "array") return value.is_array();
        if (t == "string") return value.is_string();
        if (t == "integer") return value.is_number_integer();
        if (t == "number") return value.is_number();
        if (t == "boolean") return value.is_boolean();
        ADD_FAILURE() << "schema type " << t << " not handled";
        return false;
    };
    if (schema.contains("type")) {
        const json types = schema["type"].is_array() ? schema["type"] : json::array({schema["type"]});
        if (std::none_of(types.begin(), types.end(), [&](const json& t) { return is(t.get<std::string>()); })) {
            errors.push_back(where + ": " + value.dump() + " is not " + schema["type"].dump());
            return;
        }
    }
    if (schema.contains("enum") &&
        std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end())
        errors.push_back(where + ": " + value.dump() + " is not one of " + schema["enum"].dump());
    if (value.is_number() && schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>())
        errors.push_back(where + ": " + value.dump() + " below the minimum");
    if (value.is_number() && schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>())
        errors.push_back(where + ": " + value.dump() + " above the maximum");
    if (value.is_string() && schema.contains("pattern") &&
        !std::regex_search(value.get<std::string>(), std::regex(schema["pattern"].get<std::string>())))
        errors.push_back(where + ": " + value.dump() + " does not match " + schema["pattern"].dump());
    if (value.is_array()) {
        if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>())
            errors.push_back(where + ": fewer items than minItems");
        if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>())
            errors.push_back(where + ": more items than maxItems");
        if (schema.contains("items"))
            for (size_t i = 0; i < value.size(); ++i)
                check_schema(value[i], schema["items"], root, where + "/" + std::to_string(i), errors);
    }
    if (value.is_object()) {
        if (schema.contains("required"))
            for (const auto& k : schema["required"])
                if (!value.contains(k.get<std::string>())) errors.push_back(where + ": missing " + k.dump());
        const json no_properties = json::object();
        const json& props = schema.contains("properties") ? schema["properties"] : no_properties;
        for (const auto& [k, v] : value.items()) {
            if (props.contains(k)) {
                check_schema(v, props[k], root, where + "/" + k, errors);
            } else if (schema.contains("additionalProperties")) {
                const json& extra = schema["additionalProperties"];
                if (extra.is_boolean() && !extra.get<bool>())
                    errors.push_back(where + ": key " + k + " not allowed");
                else if (extra.is_object())
                    check_schema(v, extra, root, where + "/" + k, errors);
            }
        }
    }
}

// A tracker pipeline (ended tracks), zones and lines, and the example custom element after the tracker:
// every metadata line the sink writes matches docs/pipeline-metadata.schema.json, and the example element
// reads "objects" and "ended_objects" apart (it used to count the ended tracks' boxes as objects).
TEST_F(RuntimeTest, TrackerMetadataMatchesTheSchemaAndTheExampleElementHandlesIt) {
    write_video();
    json doc = custom_doc({{"tag", "t"}});
    doc["sources"][0]["uri"] = "shapes.mp4";
    doc["elements"][0]["labels"] = {"blue", "green", "red"};
    const json tracker = json::parse(R"({"type": "tracker", "min_hits": 2, "max_age": 5})");
    doc["elements"].insert(doc["elements"].begin() + 1, tracker);
    doc["elements"][2]["produces"]["ended_tracks"] = json::parse(R"({"scope": "frame", "type": "number"})");
    doc["zones"] = json::parse(R"([{"name": "right", "polygon": [[160, 0], [320, 0], [320, 240], [160, 240]]}])");
    doc["lines"] = json::parse(R"([{"name": "mid", "points": [[0, 120], [320, 120]]}])");
    doc["action_rules"] = {{{"rule_name", "ended"},
                            {"and", {{{"key", "ended_tracks"}, {"operator", ">"}, {"value", 0}}}},
                            {"action", {{"type", "publish"}, {"sinks", {"events"}}}}}};
    doc["sinks"].push_back({{"id", "events"}, {"type", "file"}, {"path", "events.jsonl"}});
    auto p = Pipeline::create(parse(doc), with([] { return std::make_unique<ShapeDetector>(); }));
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto s = p.value()->run();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_EQ(p.value()->metrics().elements[2]->errors, 0u);  // the custom element

    std::ifstream schema_file(fs::path(EDGEINFER_SOURCE_DIR) / "docs/pipeline-metadata.schema.json");
    const json schema = json::parse(schema_file);
    const auto meta = read_lines(dir_ / "meta.jsonl");
    ASSERT_EQ(meta.size(), size_t(kFrames));
    size_t ended_frames = 0;
    for (const json& m : meta) {
        std::vector<std::string> errors;
        check_schema(m, schema, schema, "", errors);
        EXPECT_TRUE(errors.empty()) << "frame " << m["frame_number"] << ": " << errors.front();
        const size_t ended = m.contains("ended_objects") ? m["ended_objects"].size() : 0;
        ended_frames += ended > 0;
        EXPECT_EQ(m["ended_tracks"], double(ended)) << m.dump();  // the example element counted them
        for (const json& o : m["objects"]) EXPECT_EQ(o["tag"], "t") << m.dump();
    }
    EXPECT_EQ(ended_frames, 1u);  // blue leaves at frame 44 (red and green end with the video, after the element)
    EXPECT_TRUE(meta[44].contains("ended_objects")) << meta[44].dump();
    // The checker catches what the schema forbids.
    json bad = meta[44];
    bad["ended_objects"][0]["box"] = {1, 2, 3};
    bad["objects"] = json::array({{{"label", "x"}}});
    std::vector<std::string> errors;
    check_schema(bad, schema, schema, "", errors);
    EXPECT_EQ(errors.size(), 4u) << json(errors).dump();  // ended box: minItems; object: no box, class_id, confidence
}

TEST_F(RuntimeTest, CustomElementErrorsNameTheLibrary) {
    auto p =
        Pipeline::create(parse(custom_doc({{"fail", true}})), with([] { return std::make_unique<SlowElement>(); }));
    ASSERT_FALSE(p.is_ok());
    EXPECT_NE(p.status().message().find("/elements/1: custom element \"plugin\": "), std::string::npos);
    EXPECT_NE(p.status().message().find("create failed: asked to fail by its config"), std::string::npos)
        << p.status().message();
    json doc = custom_doc({});
    fs::create_directories(dir_ / "lib");
    fs::copy_file("/usr/lib/x86_64-linux-gnu/libm.so.6", dir_ / "lib/libm.so.6");  // a library, but no element
    doc["elements"][1]["library"] = "lib/libm.so.6";
    p = Pipeline::create(parse(doc), with([] { return std::make_unique<SlowElement>(); }));
    ASSERT_FALSE(p.is_ok());
    EXPECT_NE(p.status().message().find("does not export edgeinfer_element_abi_version edgeinfer_element_create"),
              std::string::npos)
        << p.status().message();
    std::ofstream(dir_ / "lib/garbage.so") << "not an ELF file";
    doc["elements"][1]["library"] = "lib/garbage.so";
    p = Pipeline::create(parse(doc), with([] { return std::make_unique<SlowElement>(); }));
    ASSERT_FALSE(p.is_ok());
    EXPECT_NE(p.status().message().find("cannot load"), std::string::npos) << p.status().message();
}

}  // namespace
}  // namespace edgeinfer::pipeline

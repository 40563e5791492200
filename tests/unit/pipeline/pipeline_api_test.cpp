// The public pipeline API (include/edgeinfer/pipeline.hpp) as an application uses it: pipelines from a JSON
// string, a file and a PipelineSpec over synthetic patterns and generated scenes (the bundled shapes detector
// and classifier), events and per-frame metadata through the callbacks (typed fields checked against the
// event file sink and the scenes' geometry), the frame limit, stop() from another thread, metrics, per-source
// errors, and config errors that name the JSON path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <thread>

#include "edgeinfer/pipeline.hpp"
#include "loopback_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kModels = std::string(EDGEINFER_SOURCE_DIR) + "/models";

class PipelineApiTest : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(testing::TempDir()) / ("pipeline_api_" + std::to_string(::getpid()) + "_" +
                                               testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::vector<json> read_lines(const fs::path& p) {
        std::vector<json> out;
        std::ifstream in(p);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) out.push_back(json::parse(line));
        return out;
    }

    fs::path dir_;
};

double number(const FieldValue* v) { return v && std::holds_alternative<double>(*v) ? std::get<double>(*v) : -1.0; }
std::string text(const FieldValue* v) {
    return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}

TEST_F(PipelineApiTest, JsonStringRuleEventsReachTheCallbackTyped) {
    const std::string doc = R"({
        "sources": [{"id": "cam", "uri": "pattern:64x48"}],
        "sinks": [{"id": "events", "type": "file", "path": "out/events.jsonl"}],
        "action_rules": [
            {"rule_name": "late_frames", "and": [{"key": "frame_number", "operator": ">=", "value": 3}],
             "action": {"type": "publish", "sinks": ["events"]}}
        ]
    })";
    std::vector<PipelineEvent> events;
    std::vector<uint64_t> frames;
    PipelineOptions options;
    options.max_frames = 6;
    options.on_event = [&](const PipelineEvent& e) { events.push_back(e); };
    options.on_frame = [&](const FrameMetadata& m) { frames.push_back(m.frame_number); };
    auto p = Pipeline::from_json(doc, options, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_EQ(p.value()->source_ids(), std::vector<std::string>{"cam"});
    auto summary = p.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    ASSERT_TRUE(p.value()->drain_events(std::chrono::seconds(20)));
    EXPECT_EQ(summary->frames, 6u);
    EXPECT_EQ(summary->events, 3u);
    EXPECT_FALSE(summary->stopped);
    EXPECT_TRUE(summary->source_errors.empty());
    EXPECT_FALSE(summary->lines.empty());
    // A frame's events come before its metadata: frames 0..5 in order, events on 3, 4, 5.
    EXPECT_EQ(frames, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));

    const auto delivered = read_lines(dir_ / "out/events.jsonl");
    ASSERT_EQ(events.size(), 3u);
    ASSERT_EQ(delivered.size(), 3u);
    for (size_t i = 0; i < events.size(); ++i) {
        const PipelineEvent& e = events[i];
        EXPECT_EQ(e.rule_name, "late_frames");
        EXPECT_EQ(e.action, RuleAction::kPublish);
        EXPECT_EQ(e.source_id, "cam");
        EXPECT_EQ(e.frame_number, 3 + i);
        EXPECT_FALSE(e.object.has_value());
        EXPECT_EQ(e.object_count, 0u);
        EXPECT_EQ(e.width, 64);
        EXPECT_EQ(e.height, 48);
        EXPECT_TRUE(e.clip.empty());
        // The sink got the same event.
        EXPECT_EQ(delivered[i]["event_id"], e.event_id);
        EXPECT_EQ(delivered[i]["timestamp_us"].get<int64_t>(), e.timestamp_us);
        EXPECT_EQ(e.event_id, "late_frames:cam:" + std::to_string(e.timestamp_us));
    }
    // Files and patterns play in media time (30 fps).
    EXPECT_EQ(events[1].timestamp_us - events[0].timestamp_us, 33333);
}

TEST_F(PipelineApiTest, FrameCallbackCountsEqualTheLimitPerSource) {
    PipelineSpec spec;
    spec.base_directory = dir_.string();
    spec.sources = {{.id = "a", .dataspec = "pattern:32x32"}, {.id = "b", .dataspec = "pattern:40x30"}};
    std::map<std::string, std::vector<FrameMetadata>> seen;
    PipelineOptions options;
    options.max_frames = 7;
    options.on_frame = [&](const FrameMetadata& m) { seen[m.source_id].push_back(m); };  // on run()'s thread
    auto p = Pipeline::create(spec, options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto summary = p.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    EXPECT_EQ(summary->frames, 14u);
    ASSERT_EQ(seen.size(), 2u);
    for (const auto& [id, frames] : seen) {
        ASSERT_EQ(frames.size(), 7u) << id;
        for (size_t n = 0; n < frames.size(); ++n) {
            EXPECT_EQ(frames[n].frame_number, n) << id;
            EXPECT_EQ(frames[n].width, id == "a" ? 32 : 40);
            EXPECT_TRUE(frames[n].objects.empty());
            if (n > 0) {
                EXPECT_GT(frames[n].timestamp_us, frames[n - 1].timestamp_us);
            }
        }
    }
}

TEST_F(PipelineApiTest, FromFileServesMetrics) {
    const fs::path file = dir_ / "cfg.json";
    std::ofstream(file) << R"({"sources": [{"id": "cam", "uri": "pattern:16x16"}], "metrics_port": 0})";
    PipelineOptions options;
    options.max_frames = 5;
    options.metrics_port = pipeline_test::free_port();  // overrides the config's 0 (off)
    auto p = Pipeline::from_file(file.string(), options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    EXPECT_EQ(p.value()->metrics_port(), options.metrics_port);
    EXPECT_NE(pipeline_test::http_get(options.metrics_port, "/metrics").find("edgeinfer_pipeline_source_frames_total"),
              std::string::npos);
    auto summary = p.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    EXPECT_EQ(summary->frames, 5u);
    const std::string text = p.value()->metrics_text();
    EXPECT_NE(text.find("edgeinfer_pipeline_source_frames_total{source=\"cam\"} 5"), std::string::npos) << text;
    EXPECT_NE(text.find("edgeinfer_pipeline_element_frames_total{element=\"output\"} 5"), std::string::npos) << text;

    options.metrics_port = -1;  // the config's: off
    auto off = Pipeline::from_file(file.string(), options);
    ASSERT_TRUE(off.is_ok()) << off.status().to_string();
    EXPECT_EQ(off.value()->metrics_port(), 0);
}

TEST_F(PipelineApiTest, StopFromAnotherThreadEndsRunEarly) {
    std::atomic<uint64_t> frames{0};
    PipelineOptions options;  // no frame limit: the pattern never ends
    options.on_frame = [&](const FrameMetadata&) { frames++; };
    auto p = Pipeline::from_json(R"({"sources": [{"uri": "pattern:32x32"}]})", options, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    Pipeline& pipeline = *p.value();
    std::thread stopper([&] {
        while (frames < 20) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        pipeline.stop();
    });
    auto summary = pipeline.run();
    stopper.join();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    EXPECT_TRUE(summary->stopped);
    EXPECT_GE(summary->frames, 20u);
    EXPECT_EQ(summary->frames, frames.load());  // every frame read still went through
    EXPECT_TRUE(summary->source_errors.empty());
    // Once per pipeline.
    auto again = pipeline.run();
    ASSERT_FALSE(again.is_ok());
    EXPECT_NE(again.status().message().find("run() was called already"), std::string::npos);
}

TEST_F(PipelineApiTest, StopBeforeRunReadsNothing) {
    auto p = Pipeline::from_json(R"({"sources": [{"uri": "pattern:32x32"}]})", {}, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    p.value()->stop();
    auto summary = p.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    EXPECT_EQ(summary->frames, 0u);
    EXPECT_TRUE(summary->stopped);
}

// Scene n of a folder the bundled shapes detector reads (256x192, its input size): on grey, an orange
// circle moving right (centre (60 + 12 n, 70), radius 16) and a still blue square (centre (180, 120)).
constexpr int kScenes = 6;
cv::Point2f circle_centre(int n) { return {60.0f + 12.0f * float(n), 70.0f}; }
const cv::Point2f kSquareCentre{180.0f, 120.0f};

void write_scenes(const fs::path& folder) {
    fs::create_directories(folder);
    for (int n = 0; n < kScenes; ++n) {
        cv::Mat img(192, 256, CV_8UC3, cv::Scalar(90, 90, 90));
        cv::circle(img, circle_centre(n), 16, cv::Scalar(40, 140, 240), cv::FILLED, cv::LINE_AA);
        cv::rectangle(img, cv::Rect(165, 105, 30, 30), cv::Scalar(220, 60, 30), cv::FILLED);
        ASSERT_TRUE(cv::imwrite((folder / ("scene_" + std::to_string(n) + ".png")).string(), img));
    }
}

const PipelineObject* nearest(const std::vector<PipelineObject>& objects, cv::Point2f centre, float* distance) {
    const PipelineObject* best = nullptr;
    *distance = 1e9f;
    for (const auto& o : objects) {
        const float d = std::hypot((o.box.x1 + o.box.x2) / 2 - centre.x, (o.box.y1 + o.box.y2) / 2 - centre.y);
        if (d < *distance) *distance = d, best = &o;
    }
    return best;
}

// The bundled shapes detector, a tracker and the bundled shapes classifier, built from code over a folder
// of scenes; a rule on the classifier's answer reaches on_event with the object it fired for.
TEST_F(PipelineApiTest, SpecWithModelsOnAFolderGivesTypedObjectsAndEvents) {
    write_scenes(dir_ / "scenes");
    PipelineSpec spec;
    spec.base_directory = dir_.string();
    spec.sources = {{.id = "scenes", .dataspec = "scenes"}};
    spec.elements = {
        DetectorSpec{.name = "detector", .model = kModels + "/shapes_detector.onnx", .confidence_threshold = 0.5f},
        TrackerSpec{.min_hits = 2},
        ClassifierSpec{.name = "shape", .model = kModels + "/shapes.onnx", .every_n_frames = 1}};
    spec.rules = {{.name = "circle", .all = {{.key = "predicted_class", .value = "circle"}}}};
    std::vector<PipelineEvent> events;
    std::vector<FrameMetadata> frames;
    PipelineOptions options;
    options.session.num_threads = 1;
    options.on_event = [&](const PipelineEvent& e) { events.push_back(e); };  // a publish rule with no sinks
    options.on_frame = [&](const FrameMetadata& m) { frames.push_back(m); };
    auto p = Pipeline::create(spec, options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto summary = p.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    ASSERT_EQ(frames.size(), size_t(kScenes));
    EXPECT_EQ(summary->frames, uint64_t(kScenes));
    std::set<int64_t> circle_tracks;
    for (const FrameMetadata& f : frames) {
        SCOPED_TRACE("frame " + std::to_string(f.frame_number));
        EXPECT_EQ(f.width, 256);
        ASSERT_EQ(f.objects.size(), 2u);
        float d = 0;
        const PipelineObject* circle = nearest(f.objects, circle_centre(int(f.frame_number)), &d);
        EXPECT_LT(d, 4.0f);
        EXPECT_NEAR(circle->box.x2 - circle->box.x1, 2 * 1.2 * 16, 8.0);  // the detector's box: 1.2 r each side
        EXPECT_EQ(circle->label, "shape");
        EXPECT_GE(circle->score, 0.5f);
        EXPECT_EQ(text(find_field(circle->fields, "predicted_class")), "circle");
        EXPECT_GT(number(find_field(circle->fields, "probability")), 0.5);
        const PipelineObject* square = nearest(f.objects, kSquareCentre, &d);
        EXPECT_LT(d, 4.0f);
        EXPECT_EQ(text(find_field(square->fields, "predicted_class")), "square");
        // Tracks get their ids on the second matched frame (min_hits 2) and keep them.
        EXPECT_EQ(circle->track_id >= 0, f.frame_number >= 1);
        if (circle->track_id >= 0) circle_tracks.insert(circle->track_id);
    }
    EXPECT_EQ(circle_tracks.size(), 1u);
    // One event per frame, for the circle; tracked objects are named by their track id.
    ASSERT_EQ(events.size(), size_t(kScenes));
    EXPECT_EQ(summary->events, events.size());
    for (size_t n = 0; n < events.size(); ++n) {
        const PipelineEvent& e = events[n];
        EXPECT_EQ(e.rule_name, "circle");
        EXPECT_EQ(e.source_id, "scenes");
        EXPECT_EQ(e.frame_number, n);
        EXPECT_EQ(e.object_count, 2u);
        ASSERT_TRUE(e.object.has_value());
        EXPECT_EQ(text(find_field(e.object->fields, "predicted_class")), "circle");
        const std::string id = "circle:scenes:" + std::to_string(e.timestamp_us);
        EXPECT_EQ(e.event_id, e.object->track_id >= 0 ? id + ":" + std::to_string(e.object->track_id) : id + "#0");
    }
}

TEST_F(PipelineApiTest, SpecBecomesTheConfigDocument) {
    PipelineSpec spec;
    spec.sources = {{.id = "cam", .dataspec = "pattern:32x32", .live = true}};
    spec.elements = {DetectorSpec{.model = kModels + "/shapes_detector.onnx", .precision = Precision::kBf16},
                     TrackerSpec{.mode = TrackerMode::kSort, .matching = TrackMatching::kHungarian, .min_hits = 2}};
    spec.lines = {{.name = "gate", .a = {0, 10}, .b = {32, 10}}};
    spec.sinks = {{.id = "events", .kind = SinkKind::kFile, .path = "events.jsonl"}};
    spec.rules = {{.name = "crossed",
                   .all = {{.key = "line_crossed", .value = "gate"}},
                   .action = RuleAction::kRecord,
                   .sinks = {"events"},
                   .duration_seconds = 2}};
    const json doc = json::parse(to_json(spec));
    EXPECT_EQ(doc["sources"][0]["live"], true);
    EXPECT_EQ(doc["elements"][0]["role"], "detector");
    EXPECT_EQ(doc["elements"][0]["precision"], "bf16");
    EXPECT_EQ(doc["elements"][1]["mode"], "sort");
    EXPECT_EQ(doc["elements"][1]["matching"], "hungarian");
    EXPECT_EQ(doc["lines"][0]["points"], json::parse("[[0, 10], [32, 10]]"));
    EXPECT_EQ(doc["action_rules"][0]["and"][0]["operator"], "==");
    EXPECT_EQ(doc["action_rules"][0]["action"]["type"], "record");
    EXPECT_EQ(doc["action_rules"][0]["action"]["duration_in_seconds"], 2.0);
    // The document builds the same pipeline.
    auto p = Pipeline::from_json(to_json(spec), {}, dir_.string());  // spool and sink files go there
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
}

TEST_F(PipelineApiTest, SourceErrorsAreTypedAndTheOthersGoOn) {
    PipelineSpec spec;
    spec.base_directory = dir_.string();
    spec.sources = {{.id = "gone", .dataspec = "missing.mp4"}, {.id = "ok", .dataspec = "pattern:16x16"}};
    PipelineOptions options;
    options.max_frames = 3;
    auto p = Pipeline::create(spec, options);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto summary = p.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    EXPECT_EQ(summary->frames, 3u);
    ASSERT_EQ(summary->source_errors.size(), 1u);
    const PipelineSourceError& e = summary->source_errors[0];
    EXPECT_EQ(e.source_id, "gone");
    EXPECT_NE(e.dataspec.find("missing.mp4"), std::string::npos);
    EXPECT_FALSE(e.status.is_ok());
    EXPECT_EQ(e.message.rfind("source gone (", 0), 0u) << e.message;
    EXPECT_NE(e.message.find(e.status.message()), std::string::npos) << e.message;
}

TEST_F(PipelineApiTest, BadConfigsNameTheJsonPath) {
    auto bad_op = Pipeline::from_json(R"({
        "sources": [{"uri": "pattern:8x8"}],
        "sinks": [{"id": "events", "type": "file", "path": "e.jsonl"}],
        "action_rules": [{"rule_name": "r", "and": [{"key": "object_count", "operator": "=>", "value": 1}],
                          "action": {"type": "publish", "sinks": ["events"]}}]
    })",
                                      {}, dir_.string());
    ASSERT_FALSE(bad_op.is_ok());
    EXPECT_EQ(bad_op.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad_op.status().message().rfind("/action_rules/0/and/0/operator: unknown operator \"=>\"", 0), 0u)
        << bad_op.status().message();

    auto not_json = Pipeline::from_json("{\"sources\": [", {}, dir_.string());
    ASSERT_FALSE(not_json.is_ok());
    EXPECT_NE(not_json.status().message().find("not valid JSON"), std::string::npos);

    // From code: the path points into the spec's lists.
    PipelineSpec spec;
    spec.base_directory = dir_.string();
    spec.sources = {{.dataspec = "pattern:8x8"}};
    spec.elements = {DetectorSpec{.model = "no_such_model.onnx"}};
    auto missing = Pipeline::create(spec);
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_EQ(missing.status().message().rfind("/elements/0/model: model file not found", 0), 0u)
        << missing.status().message();

    // A publish rule needs a sink, unless the events go to on_event.
    PipelineSpec rules;
    rules.base_directory = dir_.string();
    rules.sources = {{.dataspec = "pattern:8x8"}};
    rules.rules = {{.name = "any", .all = {{.key = "object_count", .op = RuleOperator::kGe, .value = 0.0}}}};
    auto no_sink = Pipeline::create(rules);
    ASSERT_FALSE(no_sink.is_ok());
    EXPECT_EQ(no_sink.status().message().rfind("/action_rules/0/action: a publish action needs \"sinks\"", 0), 0u)
        << no_sink.status().message();
    PipelineOptions with_callback;
    with_callback.on_event = [](const PipelineEvent&) {};
    EXPECT_TRUE(Pipeline::create(rules, with_callback).is_ok());

    // A file: messages start with its name.
    const fs::path file = dir_ / "cfg.json";
    std::ofstream(file) << R"({"sources": [{"uri": "pattern:8x8", "colour": "red"}]})";
    auto from_file = Pipeline::from_file(file.string());
    ASSERT_FALSE(from_file.is_ok());
    EXPECT_EQ(from_file.status().message().rfind(file.string() + ": /sources/0/colour: unknown key \"colour\"", 0), 0u)
        << from_file.status().message();
    EXPECT_EQ(Pipeline::from_file((dir_ / "nope.json").string()).status().code(), StatusCode::kNotFound);
}

// The summary's delivery counts are those after run() drained the sinks for drain_seconds: all delivered
// ("0 pending", events_pending 0) when the sink takes them, every one pending when it never does.
TEST_F(PipelineApiTest, SummaryCountsDeliveryAfterTheDrain) {
    const std::string doc = R"({
        "sources": [{"id": "cam", "uri": "pattern:32x24"}],
        "sinks": [{"id": "events", "type": "file", "path": "out/events.jsonl"},
                  {"id": "hook", "type": "webhook", "url": "http://127.0.0.1:9/none", "timeout_seconds": 0.2,
                   "retry_initial_seconds": 0.05, "retry_max_seconds": 0.1}],
        "action_rules": [{"rule_name": "every", "and": [{"key": "frame_number", "operator": ">=", "value": 0}],
                          "action": {"type": "publish", "sinks": ["events"]}}],
        "spool_directory": "spool"
    })";
    PipelineOptions o;
    o.max_frames = 40;
    o.drain_seconds = 20;
    auto p = Pipeline::from_json(doc, o, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto s = p.value()->run();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_EQ(s->events, 40u);
    EXPECT_EQ(s->events_pending, 0u);
    EXPECT_EQ(read_lines(dir_ / "out/events.jsonl").size(), 40u);
    auto line_of = [&](const std::string& sink) {
        for (const std::string& l : s->lines)
            if (l.rfind("sink    " + sink + " ", 0) == 0) return l;
        return std::string();
    };
    EXPECT_NE(line_of("events").find("40 events delivered, 0 pending"), std::string::npos) << line_of("events");

    // A webhook nobody answers: after a short drain every event is still pending, and the summary says so.
    json unreachable = json::parse(doc);
    unreachable["action_rules"][0]["action"]["sinks"] = {"hook"};
    unreachable["spool_directory"] = "spool2";
    o.drain_seconds = 0.3;
    o.max_frames = 5;
    p = Pipeline::from_json(unreachable.dump(), o, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    s = p.value()->run();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_EQ(s->events, 5u);
    EXPECT_EQ(s->events_pending, 5u);
    EXPECT_NE(line_of("hook").find("0 events delivered, 5 pending"), std::string::npos) << line_of("hook");
}

TEST_F(PipelineApiTest, ThrowingCallbacksDoNotStopThePipeline) {
    PipelineOptions options;
    options.max_frames = 4;
    int calls = 0;
    options.on_frame = [&](const FrameMetadata&) {
        ++calls;
        throw std::runtime_error("caller bug");
    };
    auto p = Pipeline::from_json(R"({"sources": [{"uri": "pattern:8x8"}]})", options, dir_.string());
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    auto summary = p.value()->run();
    ASSERT_TRUE(summary.is_ok()) << summary.status().to_string();
    EXPECT_EQ(summary->frames, 4u);
    EXPECT_EQ(calls, 4);
}

}  // namespace
}  // namespace edgeinfer

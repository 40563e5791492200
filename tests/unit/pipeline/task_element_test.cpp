// pipeline::run_task through the library: the bundled shapes classifier on its samples as a pipeline
// of one source and one task element, its records reaching a printer callback; limit, batching,
// stop, clips and the ways a run ends.
#include "pipeline/task_element.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "vision/classification.hpp"

namespace edgeinfer::pipeline {
namespace {

const std::string kRoot = EDGEINFER_SOURCE_DIR;
const std::string kModel = kRoot + "/models/shapes.onnx";
const std::string kSamples = kRoot + "/models/samples";

struct Seen {
    std::string source;
    std::string top;
    double pre = -1, infer = -1, post = -1;
};

TaskRunOptions options(const std::string& model, const std::string& dataspec, std::vector<Seen>& seen) {
    TaskRunOptions o;
    o.head.model_path = model;
    o.dataspec = dataspec;
    o.threads = 1;
    o.print = [&seen](const TaskRecord& r, std::ostream&) {
        const auto& c = std::get<Classification>(r.result);
        seen.push_back({r.frame.source_id, c.top.empty() ? "" : c.top[0].label, r.pre_ms, r.infer_ms, r.post_ms});
    };
    return o;
}

// The sample's file name starts with its shape: "circle_1.jpg".
std::string shape_of(const std::string& source) {
    const std::string name = std::filesystem::path(source).filename().string();
    return name.substr(0, name.find('_'));
}

TEST(TaskPipeline, ClassifiesEverySampleThroughThePrinter) {
    std::vector<Seen> seen;
    vision::ClassificationHead head;
    std::ostringstream out, err;
    EXPECT_EQ(run_task(options(kModel, kSamples, seen), head, out, err), TaskOutcome::kOk) << err.str();
    ASSERT_EQ(seen.size(), 18u) << out.str();
    int right = 0;
    for (const Seen& s : seen) {
        right += s.top == shape_of(s.source);
        EXPECT_GE(s.pre, 0.0);
        EXPECT_GT(s.infer, 0.0);
        EXPECT_GE(s.post, 0.0);
    }
    EXPECT_GE(right, 16) << out.str();
    EXPECT_NE(out.str().find("18 frames in "), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("latency ms p50/p95: pre "), std::string::npos) << out.str();
}

// With `json` and no printer, run_task prints json_line(record) per result on `out`, the summary on `err`.
TEST(TaskPipeline, JsonLinesWithoutAPrinter) {
    vision::ClassificationHead head;
    TaskRunOptions o;
    o.head.model_path = kModel;
    o.dataspec = kSamples;
    o.threads = 1;
    o.limit = 2;
    o.json = true;
    std::ostringstream out, err;
    EXPECT_EQ(run_task(o, head, out, err), TaskOutcome::kOk) << err.str();
    std::istringstream lines(out.str());
    int n = 0;
    for (std::string line; std::getline(lines, line); ++n) {
        auto j = nlohmann::ordered_json::parse(line, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << line;
        std::vector<std::string> keys;
        for (const auto& item : j.items()) keys.push_back(item.key());
        EXPECT_EQ(keys, (std::vector<std::string>{"source", "seq", "timestamp_us", "results", "latency_ms"})) << line;
        EXPECT_EQ(j["results"].size(), 5u) << line;  // the head's default top 5
        EXPECT_TRUE(j["latency_ms"].contains("infer")) << line;
    }
    EXPECT_EQ(n, 2) << out.str();
}

// json_line's fields, in order, with a clip and a saved file.
TEST(TaskPipeline, JsonLineOfAClip) {
    io::Frame frame;
    frame.seq = 9;
    frame.timestamp_us = 1234;
    frame.source_id = "clip.mp4";
    Classification c;
    c.top = {{1, "up", 0.5}};
    const vision::TaskResult result = c;
    const TaskRecord r{frame, result, "up 0.50", true, 2, 9, 0.5, 1.25, 0.25, "out/9.jpg"};
    EXPECT_EQ(json_line(r), R"({"source":"clip.mp4","seq":9,"timestamp_us":1234,"clip":[2,9],)"
                            R"("results":[{"class":1,"label":"up","score":0.5}],)"
                            R"("latency_ms":{"pre":0.5,"infer":1.25,"post":0.25},"saved":"out/9.jpg"})");
}

TEST(TaskPipeline, LimitCountsResults) {
    std::vector<Seen> seen;
    vision::ClassificationHead head;
    std::ostringstream out, err;
    TaskRunOptions o = options(kModel, kSamples, seen);
    o.limit = 3;
    EXPECT_EQ(run_task(o, head, out, err), TaskOutcome::kOk) << err.str();
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_NE(out.str().find("3 frames in "), std::string::npos) << out.str();
}

TEST(TaskPipeline, BatchModelGivesTheSameClassesAsSingleFrames) {
    std::vector<Seen> single, batched;
    vision::ClassificationHead a, b;
    std::ostringstream out, err;
    ASSERT_EQ(run_task(options(kModel, kSamples, single), a, out, err), TaskOutcome::kOk) << err.str();
    const std::string b4 = std::string(EDGEINFER_CLASSIFY_MODELS) + "/shapes_b4.onnx";
    std::ostringstream out4;
    ASSERT_EQ(run_task(options(b4, kSamples, batched), b, out4, err), TaskOutcome::kOk) << err.str();
    EXPECT_NE(out4.str().find("batch 4"), std::string::npos) << out4.str();
    ASSERT_EQ(batched.size(), single.size());  // 18 = 4 full batches and a padded one of 2
    for (size_t i = 0; i < single.size(); ++i) {
        EXPECT_EQ(batched[i].source, single[i].source);
        EXPECT_EQ(batched[i].top, single[i].top) << single[i].source;
    }
}

TEST(TaskPipeline, StopEndsTheRunAsInterrupted) {
    std::vector<Seen> seen;
    vision::ClassificationHead head;
    std::ostringstream out, err;
    std::atomic<bool> stop{true};
    TaskRunOptions o = options(kModel, "pattern:64x48", seen);
    o.stop = &stop;
    EXPECT_EQ(run_task(o, head, out, err), TaskOutcome::kInterrupted);
    EXPECT_NE(err.str().find("interrupted"), std::string::npos) << err.str();
    EXPECT_NE(out.str().find(" frames in "), std::string::npos) << out.str();  // the summary still comes
}

TEST(TaskPipeline, EndsWithoutFramesOrModel) {
    std::vector<Seen> seen;
    vision::ClassificationHead head;
    std::ostringstream out, err;
    EXPECT_EQ(run_task(options(kModel, kRoot + "/no/such/folder", seen), head, out, err), TaskOutcome::kNoFrames);
    EXPECT_NE(err.str().find("no/such/folder"), std::string::npos) << err.str();
    std::ostringstream err2;
    EXPECT_EQ(run_task(options(kRoot + "/no/model.onnx", kSamples, seen), head, out, err2), TaskOutcome::kError);
    EXPECT_NE(err2.str().find("no/model.onnx"), std::string::npos) << err2.str();
    EXPECT_TRUE(seen.empty());
}

TEST(TaskPipeline, ClipModelRefusedWhereImagesAreExpected) {
    std::vector<Seen> seen;
    vision::ClassificationHead head;
    std::ostringstream out, err;
    TaskRunOptions o = options(kModel, kSamples, seen);
    o.clip_frames = 4;  // shapes.onnx takes images, not N x C x T x H x W clips
    EXPECT_EQ(run_task(o, head, out, err), TaskOutcome::kError);
    EXPECT_NE(err.str().find("--frames/--stride"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace edgeinfer::pipeline

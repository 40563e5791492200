// Detector batching across sources (a stand-in batch detector and a dynamic-batch YOLOv8-format model built
// here: batches above 1 run, each frame gets its own results, per-source metadata equals the batch-1 run; a
// fixed-batch-1 model falls back to single frames), peak queue depth in metrics and summary, the queue's
// timed pop, and `precision` (config key and `edgeinfer pipeline --precision`).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "../cli/cli_test_util.hpp"
#include "../passes/pass_test_util.hpp"
#include "model/onnx_model.hpp"
#include "pipeline/bounded_queue.hpp"
#include "pipeline/infer_elements.hpp"
#include "pipeline/model_inference.hpp"
#include "pipeline/runtime.hpp"

// Counts aligned_alloc calls (how Tensor::allocate gets memory) of one size while `g_watch_bytes` is set: this
// definition takes the place of the C library's for the whole test program.
std::atomic<size_t> g_watch_bytes{0};
std::atomic<int> g_watched_allocations{0};
extern "C" void* aligned_alloc(size_t alignment, size_t size) {
    if (size != 0 && size == g_watch_bytes.load()) g_watched_allocations++;
    void* p = nullptr;
    return ::posix_memalign(&p, std::max(alignment, sizeof(void*)), size) == 0 ? p : nullptr;
}

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kT0 = 1'700'000'000'000'000;
constexpr int kSize = 64;

// Frame n of source s: one solid colour, R = 30 + 60 s, G = 10 + 8 n, B alternating 200 / 50.
cv::Mat coded_frame(int s, int n) {
    return cv::Mat(kSize, kSize, CV_8UC3, cv::Scalar(n % 2 ? 50 : 200, 10 + 8 * n, 30 + 60 * s));
}

// `count` coded frames of source `s`, stamped kT0 + n * 100 ms (so two runs have the same metadata).
class CodedSource final : public io::FrameSource {
  public:
    CodedSource(int s, int count) : s_(s), count_(count) {}
    Result<io::Frame> next() override {
        if (n_ >= count_) return Status(StatusCode::kEndOfStream, "end");
        io::Frame f;
        f.image = coded_frame(s_, n_);
        f.seq = uint64_t(n_);
        f.timestamp_us = kT0 + int64_t(n_++) * 100'000;
        return f;
    }
    std::string describe() const override { return "coded"; }

  private:
    int s_, count_, n_ = 0;
};

// One object per frame whose box spells the frame's colour: x1 = R, y1 = G, class = B > 127 ? 0 : 1.
std::vector<ObjectMeta> decode_colour(const cv::Mat& frame) {
    const cv::Vec3b px = frame.at<cv::Vec3b>(0, 0);
    ObjectMeta o;
    o.box = {float(px[2]), float(px[1]), float(px[2]) + 10, float(px[1]) + 10};
    o.class_id = px[0] > 127 ? 0 : 1;
    o.confidence = 0.9f;
    return {o};
}

class BatchingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(::testing::TempDir()) / ("pipeline_batching_" + std::to_string(::getpid()) + "_" +
                                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        std::ofstream(dir_ / "stand_in.onnx") << "stand-in";
    }
    void TearDown() override { fs::remove_all(dir_); }

    // `sources` coded sources, a detector (`detector` merged into it) and a metadata sink.
    json doc(int sources, const json& detector) const {
        json d = {{"sources", json::array()},
                  {"elements", {{{"type", "infer"}, {"name", "detector"}, {"labels", {"bright", "dark"}}}}},
                  {"sinks", {{{"id", "meta"}, {"type", "metadata"}, {"path", "meta.jsonl"}}}}};
        for (int s = 0; s < sources; ++s)
            d["sources"].push_back({{"id", "cam" + std::to_string(s)}, {"uri", "coded://" + std::to_string(s)}});
        d["elements"][0].update(detector);
        return d;
    }

    PipelineConfig parse(const json& j) const {
        auto c = parse_pipeline_config(j, dir_);
        EXPECT_TRUE(c.is_ok()) << c.status().to_string();
        return c.is_ok() ? c.value() : PipelineConfig{};
    }

    static SourceOpener coded(int frames) {
        return [frames](const SourceConfig& s) -> Result<std::unique_ptr<io::FrameSource>> {
            return std::unique_ptr<io::FrameSource>(new CodedSource(std::stoi(s.uri.substr(8)), frames));
        };
    }

    // Metadata lines of each source, in the order written.
    std::map<std::string, std::vector<json>> by_source() const {
        std::map<std::string, std::vector<json>> out;
        std::ifstream in(dir_ / "meta.jsonl");
        std::string line;
        while (std::getline(in, line)) {
            json j = json::parse(line);
            out[j["source_id"]].push_back(j);
        }
        return out;
    }

    fs::path dir_;
};

// Numbers within `tol` (model outputs may differ in the last bits between batch sizes), the rest equal.
void expect_near_json(const json& a, const json& b, double tol, const std::string& where) {
    if (a.is_number() && b.is_number()) {
        EXPECT_NEAR(a.get<double>(), b.get<double>(), tol) << where;
    } else if (a.is_object() && b.is_object()) {
        ASSERT_EQ(a.size(), b.size()) << where << ": " << a.dump() << " vs " << b.dump();
        for (auto it = a.begin(); it != a.end(); ++it) {
            ASSERT_TRUE(b.contains(it.key())) << where << ": no " << it.key();
            expect_near_json(it.value(), b[it.key()], tol, where + "/" + it.key());
        }
    } else if (a.is_array() && b.is_array()) {
        ASSERT_EQ(a.size(), b.size()) << where << ": " << a.dump() << " vs " << b.dump();
        for (size_t i = 0; i < a.size(); ++i) expect_near_json(a[i], b[i], tol, where + "/" + std::to_string(i));
    } else {
        EXPECT_EQ(a, b) << where;
    }
}

TEST(BoundedQueueTimed, PopUntilTimesOutAndCountersTrackDepthAndPeak) {
    BoundedQueue<int> q(4);
    std::atomic<size_t> depth{0}, peak{0};
    q.observe(&depth, &peak);
    EXPECT_FALSE(q.pop_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(5)).has_value());
    q.push(1);
    q.push(2);
    q.push(3);
    EXPECT_EQ(depth.load(), 3u);
    EXPECT_EQ(*q.pop_until(std::chrono::steady_clock::now() + std::chrono::seconds(5)), 1);
    q.pop();
    EXPECT_EQ(depth.load(), 1u);
    EXPECT_EQ(peak.load(), 3u);  // the most at once, not the depth now
    q.close();
    EXPECT_EQ(*q.pop_until(std::chrono::steady_clock::now() + std::chrono::seconds(5)), 3);
    EXPECT_FALSE(q.pop_until(std::chrono::steady_clock::now() + std::chrono::seconds(5)).has_value());  // closed
}

// Runs doc(3 sources) with a stand-in batch detector; returns the batch sizes its function saw.
std::vector<size_t> run_stand_in(const PipelineConfig& config, int frames, std::unique_ptr<Pipeline>* keep) {
    auto sizes = std::make_shared<std::vector<size_t>>();
    PipelineOptions o;
    o.open_source = [frames](const SourceConfig& s) -> Result<std::unique_ptr<io::FrameSource>> {
        return std::unique_ptr<io::FrameSource>(new CodedSource(std::stoi(s.uri.substr(8)), frames));
    };
    o.factory = [sizes](const ElementConfig& e, const PipelineConfig&) -> Result<std::unique_ptr<Element>> {
        if (e.type != ElementType::kInfer) return std::unique_ptr<Element>();
        BatchDetectFn fn = [sizes](const std::vector<cv::Mat>& frames) -> Result<std::vector<std::vector<ObjectMeta>>> {
            sizes->push_back(frames.size());
            std::vector<std::vector<ObjectMeta>> all;
            for (const cv::Mat& f : frames) all.push_back(decode_colour(f));
            return all;
        };
        return make_batch_detector_element(e, fn, size_t(e.infer.batch_size));
    };
    auto p = Pipeline::create(config, o);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    if (!p.is_ok()) return {};
    auto s = p.value()->run();
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    if (s.is_ok()) {
        EXPECT_EQ(s.value().frames, uint64_t(3 * frames));
    }
    *keep = std::move(p.value());
    return *sizes;
}

TEST_F(BatchingTest, DetectorBatchesAcrossSourcesAndEachFrameGetsItsOwnResults) {
    constexpr int kFrames = 20;
    for (int interval : {1, 3}) {
        SCOPED_TRACE("interval " + std::to_string(interval));
        std::unique_ptr<Pipeline> single, batched;
        const auto one =
            run_stand_in(parse(doc(3, {{"model", "stand_in.onnx"}, {"interval", interval}})), kFrames, &single);
        for (size_t n : one) EXPECT_EQ(n, 1u);
        const auto reference = by_source();
        ASSERT_EQ(reference.size(), 3u);
        // A long batch_timeout_ms: batches wait to fill, so only source ends cut them short.
        const auto sizes = run_stand_in(
            parse(doc(
                3,
                {{"model", "stand_in.onnx"}, {"interval", interval}, {"batch_size", 4}, {"batch_timeout_ms", 1000}})),
            kFrames, &batched);
        ASSERT_FALSE(sizes.empty());
        if (interval == 1) {
            EXPECT_EQ(*std::max_element(sizes.begin(), sizes.end()), 4u);  // all 4 frames are due
        }
        EXPECT_GT(*std::max_element(sizes.begin(), sizes.end()), 1u);
        const auto got = by_source();
        ASSERT_EQ(got.size(), 3u);
        for (const auto& [source, lines] : reference) {
            ASSERT_EQ(got.at(source).size(), size_t(kFrames)) << source;
            for (size_t n = 0; n < lines.size(); ++n) {
                EXPECT_EQ(got.at(source)[n], lines[n]) << source << " frame " << n;
                // The object spells its own frame (source s, frame carried from the last due frame).
                const json& obj = got.at(source)[n]["objects"].at(0);
                const int s = source.back() - '0';
                const size_t due = n - n % size_t(interval);
                EXPECT_EQ(obj["box"][0].get<double>(), double(30 + 60 * s)) << source << " " << n;
                EXPECT_EQ(obj["box"][1].get<double>(), double(10 + 8 * due)) << source << " " << n;
                EXPECT_EQ(obj["label"], due % 2 ? "dark" : "bright");
            }
        }
        // The runtime's batch counters: batches of 4 ran; every frame counted once.
        const ElementMetrics& em = *batched->metrics().elements[0];
        EXPECT_EQ(em.max_batch, 4u);
        EXPECT_GT(em.batch_counts[4].load(), 0u);
        uint64_t frames = 0;
        for (size_t n = 1; n < em.batch_counts.size(); ++n) frames += n * em.batch_counts[n];
        EXPECT_EQ(frames, uint64_t(3 * kFrames));
        const std::string text = batched->metrics().prometheus();
        EXPECT_NE(text.find("edgeinfer_pipeline_element_batches_total{element=\"detector\",size=\"4\"} " +
                            std::to_string(em.batch_counts[4].load())),
                  std::string::npos)
            << text;
        EXPECT_NE(batched->metrics().summary()[0].find("batch mean"), std::string::npos);
        EXPECT_EQ(single->metrics().elements[0]->max_batch, 1u);
        EXPECT_EQ(single->metrics().prometheus().find("element_batches_total{"), std::string::npos);
    }
}

// Blocks on its first frame until the queue in front of it is full, so the peak is known exactly.
class WaitForFullQueue final : public Element {
  public:
    explicit WaitForFullQueue(const Pipeline** pipeline) : pipeline_(pipeline) {}
    Status process(PipelineFrame&) override {
        if (first_) {
            first_ = false;
            const ElementMetrics& em = *(*pipeline_)->metrics().elements[0];
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (em.queue_depth < em.queue_capacity && std::chrono::steady_clock::now() < give_up)
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return Status::ok();
    }

  private:
    const Pipeline** pipeline_;
    bool first_ = true;
};

TEST_F(BatchingTest, QueueDepthReportsThePeakAndTheDepthNow) {
    json d = doc(1, {{"model", "stand_in.onnx"}});
    d["sources"][0]["queue_size"] = 6;
    const Pipeline* raw = nullptr;
    PipelineOptions o;
    o.open_source = coded(30);
    o.factory = [&raw](const ElementConfig& e, const PipelineConfig&) -> Result<std::unique_ptr<Element>> {
        if (e.type != ElementType::kInfer) return std::unique_ptr<Element>();
        return std::unique_ptr<Element>(new WaitForFullQueue(&raw));
    };
    auto p = Pipeline::create(parse(d), o);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    raw = p.value().get();
    ASSERT_TRUE(p.value()->run().is_ok());
    const ElementMetrics& em = *p.value()->metrics().elements[0];
    EXPECT_EQ(em.queue_capacity, 6u);
    EXPECT_EQ(em.queue_peak.load(), 6u);   // it filled up while the element waited
    EXPECT_EQ(em.queue_depth.load(), 0u);  // and is empty at exit
    const std::string text = p.value()->metrics().prometheus();
    EXPECT_NE(text.find("edgeinfer_pipeline_queue_depth_peak{element=\"detector\"} 6"), std::string::npos) << text;
    EXPECT_NE(text.find("edgeinfer_pipeline_queue_depth{element=\"detector\"} 0"), std::string::npos) << text;
    const std::string line = p.value()->metrics().summary()[0];
    EXPECT_NE(line.find("queue peak 6/6 now 0"), std::string::npos) << line;
}

// A YOLOv8-format detector ([N,6,1]: cx, cy, w, h, 2 class scores; one anchor) whose box and class come
// from the input's channel means (RGB, 0..1): w = 10 + 40 R, h = 10 + 40 G, scores (B, 1 - B).
void save_colour_yolo(const fs::path& path, int64_t batch) {
    edgeinfer::testing::ModelBuilder b;
    b.input("images", {batch, 3, kSize, kSize});
    b.init("weights", Tensor::from_vector<float>(DataType::kFloat32, {6, 3},
                                                 {0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, -1}));
    b.init("bias", Tensor::from_vector<float>(DataType::kFloat32, {6, 1}, {32, 32, 10, 10, 0, 1}));
    b.init("shape", edgeinfer::testing::int64s({0, 3, 1}));
    b.node("ReduceMean", {"images"}, {"means"}, "mean",
           {edgeinfer::testing::attr_is("axes", {2, 3}), edgeinfer::testing::attr_i("keepdims", 1)});
    b.node("Reshape", {"means", "shape"}, {"column"});
    b.node("MatMul", {"weights", "column"}, {"mixed"});
    b.node("Add", {"mixed", "bias"}, {"output0"});
    b.output("output0");
    ASSERT_TRUE(model::save_model(b.build(), path.string()).is_ok());
}

TEST_F(BatchingTest, ModelDetectorBatchesAndMatchesTheSingleFrameRun) {
    save_colour_yolo(dir_ / "dynamic.onnx", -1);
    save_colour_yolo(dir_ / "fixed1.onnx", 1);
    constexpr int kFrames = 12;
    auto run = [&](const json& detector) {
        PipelineOptions o;
        o.open_source = coded(kFrames);
        SessionOptions so;
        so.num_threads = 1;
        o.factory = make_model_factory(so);
        auto p = Pipeline::create(parse(doc(3, detector)), o);
        EXPECT_TRUE(p.is_ok()) << p.status().to_string();
        if (!p.is_ok()) return std::unique_ptr<Pipeline>();
        auto s = p.value()->run();
        EXPECT_TRUE(s.is_ok()) << s.status().to_string();
        EXPECT_EQ(p.value()->metrics().elements[0]->errors, 0u);
        return std::move(p.value());
    };
    const json base = {{"task", "yolov8"}, {"confidence_threshold", 0.3}};
    json single = base;
    single["model"] = "dynamic.onnx";
    ASSERT_TRUE(run(single));
    const auto reference = by_source();
    ASSERT_EQ(reference.size(), 3u);
    for (const auto& [source, lines] : reference) {
        ASSERT_EQ(lines.size(), size_t(kFrames));
        const int s = source.back() - '0';
        for (size_t n = 0; n < lines.size(); ++n) {  // the model read this frame's colour
            const json& obj = lines[n]["objects"].at(0);
            const double w = obj["box"][2].get<double>() - obj["box"][0].get<double>();
            const double h = obj["box"][3].get<double>() - obj["box"][1].get<double>();
            EXPECT_NEAR(w, 10 + 40 * (30 + 60 * s) / 255.0, 1e-3) << source << " " << n;
            EXPECT_NEAR(h, 10 + 40 * (10 + 8 * double(n)) / 255.0, 1e-3) << source << " " << n;
            EXPECT_EQ(obj["label"], n % 2 ? "dark" : "bright");
        }
    }
    json batched = single;
    batched["batch_size"] = 4;
    batched["batch_timeout_ms"] = 1000;
    auto p = run(batched);
    ASSERT_TRUE(p);
    const ElementMetrics& em = *p->metrics().elements[0];
    EXPECT_EQ(em.max_batch, 4u);
    EXPECT_GT(em.batch_counts[4].load(), 0u);
    auto got = by_source();
    for (const auto& [source, lines] : reference) {
        ASSERT_EQ(got[source].size(), lines.size()) << source;
        for (size_t n = 0; n < lines.size(); ++n)
            expect_near_json(got[source][n], lines[n], 1e-4, source + "/" + std::to_string(n));
    }

    // A model with a fixed batch of 4 given 3 frames at a time: every run padded to 4.
    save_colour_yolo(dir_ / "fixed4.onnx", 4);
    json padded = batched;
    padded["model"] = "fixed4.onnx";
    padded["batch_size"] = 3;
    p = run(padded);
    ASSERT_TRUE(p);
    EXPECT_GT(p->metrics().elements[0]->batch_counts[3].load(), 0u);
    got = by_source();
    for (const auto& [source, lines] : reference) {
        ASSERT_EQ(got[source].size(), lines.size()) << source;
        for (size_t n = 0; n < lines.size(); ++n)
            expect_near_json(got[source][n], lines[n], 1e-4, source + "/" + std::to_string(n));
    }

    // A model with a fixed batch of 1: batch_size falls back to one frame per run, with a warning.
    json fixed = batched;
    fixed["model"] = "fixed1.onnx";
    ::testing::internal::CaptureStderr();
    p = run(fixed);
    const std::string err = ::testing::internal::GetCapturedStderr();
    ASSERT_TRUE(p);
    EXPECT_NE(err.find("fixed batch of 1"), std::string::npos) << err;
    EXPECT_EQ(p->metrics().elements[0]->max_batch, 1u);
    got = by_source();
    for (const auto& [source, lines] : reference) {
        ASSERT_EQ(got[source].size(), lines.size()) << source;
        for (size_t n = 0; n < lines.size(); ++n)
            expect_near_json(got[source][n], lines[n], 1e-4, source + "/" + std::to_string(n));
    }
}

// Allocations of `bytes` bytes during fn().
template <typename Fn>
int allocations_of(size_t bytes, Fn fn) {
    g_watched_allocations = 0;
    g_watch_bytes = bytes;
    fn();
    g_watch_bytes = 0;
    return g_watched_allocations.load();
}

TEST_F(BatchingTest, InputBuffersAreReusedForTheSameBatchSize) {
    ElementConfig e;
    e.type = ElementType::kInfer;
    e.path = "/elements/1";
    e.infer.role = "classifier";
    e.infer.model = fs::path(EDGEINFER_SOURCE_DIR) / "models/shapes.onnx";  // 1 x 3 x 32 x 32, dynamic batch
    auto classify = make_model_classifier(e);
    ASSERT_TRUE(classify.is_ok()) << classify.status().to_string();
    const std::vector<cv::Mat> crops(5, cv::Mat(40, 30, CV_8UC3, cv::Scalar(20, 200, 90)));
    const size_t input_bytes = 5 * 3 * 32 * 32 * sizeof(float);
    auto call = [&] { ASSERT_TRUE(classify.value()(crops).is_ok()); };
    EXPECT_EQ(allocations_of(input_bytes, call), 1);  // the first batch of 5 makes its input tensor
    EXPECT_EQ(allocations_of(input_bytes, call), 0);  // later ones reuse it
    EXPECT_EQ(allocations_of(input_bytes, call), 0);

    save_colour_yolo(dir_ / "dynamic.onnx", -1);
    ElementConfig d;
    d.type = ElementType::kInfer;
    d.path = "/elements/0";
    d.infer.model = dir_ / "dynamic.onnx";
    d.infer.task = "yolov8";
    d.infer.batch_size = 3;
    auto detector = make_model_batch_detector(d);
    ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
    EXPECT_EQ(detector.value().max_batch, 3u);
    const std::vector<cv::Mat> frames = {coded_frame(0, 1), coded_frame(1, 2), coded_frame(2, 3)};
    const size_t frames_bytes = 3 * 3 * kSize * kSize * sizeof(float);
    auto detect = [&] {
        auto r = detector.value().detect(frames);
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        ASSERT_EQ(r.value().size(), 3u);
    };
    EXPECT_EQ(allocations_of(frames_bytes, detect), 1);
    EXPECT_EQ(allocations_of(frames_bytes, detect), 0);
}

TEST_F(BatchingTest, PrecisionAndBatchTimeoutKeysAreChecked) {
    auto c = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}, {"precision", "bf16"}}), dir_);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ(c.value().elements[0].infer.precision, "bf16");
    EXPECT_EQ(c.value().elements[0].infer.batch_timeout_ms, 5.0);
    auto bad = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}, {"precision", "fp16"}}), dir_);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find(
                  "/elements/0/precision: unknown precision \"fp16\", expected one of fp32, bf16, int8"),
              std::string::npos)
        << bad.status().message();
    bad = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}, {"batch_timeout_ms", -1}}), dir_);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("/elements/0/batch_timeout_ms"), std::string::npos) << bad.status().message();
    json classifier = doc(1, {{"model", "stand_in.onnx"}});
    classifier["elements"].push_back(
        {{"type", "infer"}, {"role", "classifier"}, {"model", "stand_in.onnx"}, {"batch_timeout_ms", 3}});
    bad = parse_pipeline_config(classifier, dir_);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("/elements/1/batch_timeout_ms: only for role detector"), std::string::npos)
        << bad.status().message();
    EXPECT_EQ(parse_precision("int8").value(), Precision::kInt8);
    EXPECT_FALSE(parse_precision("fp64").is_ok());
}

TEST_F(BatchingTest, TacticsKeyIsChecked) {
    auto c = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}, {"tactics", "direct-only"}}), dir_);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ(c.value().elements[0].infer.tactics, "direct-only");
    auto plain = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}}), dir_);
    ASSERT_TRUE(plain.is_ok()) << plain.status().to_string();
    EXPECT_EQ(plain.value().elements[0].infer.tactics, "");
    auto bad = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}, {"tactics", "winograd"}}), dir_);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("/elements/0/tactics: unknown tactics \"winograd\", expected one of fast"),
              std::string::npos)
        << bad.status().message();
}

// --tactics and an element's "tactics" key reach the session: the element's engine file records the mode, and
// a run asking another mode rebuilds it (and rewrites the file) instead of loading it.
TEST_F(BatchingTest, CliAndKeyTacticsReachTheSessions) {
    save_colour_yolo(dir_ / "dynamic.onnx", -1);
    json d = doc(1, {{"model", "dynamic.onnx"}, {"task", "yolov8"}, {"engine", "m.engine"}});
    d["sources"][0]["uri"] = "pattern:64x64";
    const std::string cfg = (dir_ / "pipeline.json").string();
    auto write = [&](const json& j) { std::ofstream(cfg) << j.dump(2); };
    write(d);
    using cli_test::run_cli;
    const fs::path engine = dir_ / "m.engine";
    auto r = run_cli("pipeline " + cfg + " --limit 2 --tactics direct-only");
    ASSERT_EQ(r.code, 0) << r.out;
    ASSERT_TRUE(fs::exists(engine));
    auto written = fs::last_write_time(engine);
    r = run_cli("pipeline " + cfg + " --limit 2 --tactics direct-only");  // same mode: loaded, not rewritten
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(fs::last_write_time(engine), written);
    d["elements"][0]["tactics"] = "timed";  // the key overrides the flag: another mode, so rebuilt
    write(d);
    r = run_cli("pipeline " + cfg + " --limit 2 --tactics direct-only");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(fs::last_write_time(engine), written) << r.out;
    r = run_cli("pipeline " + cfg + " --limit 2 --tactics fastest");
    EXPECT_NE(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("--tactics"), std::string::npos) << r.out;
}

TEST_F(BatchingTest, CliPrecisionIsPassedToTheSessions) {
    save_colour_yolo(dir_ / "dynamic.onnx", -1);
    json d = doc(1, {{"model", "dynamic.onnx"}, {"task", "yolov8"}});
    d["sources"][0]["uri"] = "pattern:64x64";
    const std::string cfg = (dir_ / "pipeline.json").string();
    auto write = [&](const json& j) { std::ofstream(cfg) << j.dump(2); };
    write(d);
    using cli_test::run_cli;
    for (const char* ok : {"fp32", "bf16"}) {
        const auto r = run_cli("pipeline " + cfg + " --limit 3 --precision " + ok);
        EXPECT_EQ(r.code, 0) << ok << ": " << r.out;
        EXPECT_NE(r.out.find("pipeline: 3 frames"), std::string::npos) << r.out;
    }
    auto r = run_cli("pipeline " + cfg + " --limit 3 --precision fp16");  // not a choice
    EXPECT_NE(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("--precision"), std::string::npos) << r.out;
    // int8 reaches the session: a float model has no int8 path, and the error names the element.
    r = run_cli("pipeline " + cfg + " --limit 3 --precision int8");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("/elements/0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("precision int8"), std::string::npos) << r.out;
    // The element's key overrides the flag.
    d["elements"][0]["precision"] = "fp32";
    write(d);
    r = run_cli("pipeline " + cfg + " --limit 3 --precision int8");
    EXPECT_EQ(r.code, 0) << r.out;
    d["elements"][0]["precision"] = "int8";
    write(d);
    r = run_cli("pipeline " + cfg + " --limit 3");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("precision int8"), std::string::npos) << r.out;
    d["elements"][0]["precision"] = "fp16";
    write(d);
    r = run_cli("pipeline " + cfg + " --limit 3");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("/elements/0/precision: unknown precision \"fp16\""), std::string::npos) << r.out;
}

TEST_F(BatchingTest, EngineKeysReachTheSessions) {
    auto c = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}, {"engine_cache", "cache"}}), dir_);
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ(c.value().elements[0].engine_cache, dir_ / "cache");  // resolved against the config's folder
    EXPECT_TRUE(c.value().elements[0].engine.empty());
    auto bad = parse_pipeline_config(
        doc(1, {{"model", "stand_in.onnx"}, {"engine_cache", "cache"}, {"engine", "m.engine"}}), dir_);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("/elements/0/engine_cache: give \"engine\" or \"engine_cache\""),
              std::string::npos)
        << bad.status().message();
    bad = parse_pipeline_config(doc(1, {{"model", "stand_in.onnx"}, {"engine", ""}}), dir_);
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("/elements/0/engine"), std::string::npos) << bad.status().message();

    // Through the CLI: the first run writes the cache entry, the second loads it (the file is not rewritten);
    // "engine" writes its file once and then loads it.
    save_colour_yolo(dir_ / "cached.onnx", -1);
    json d = doc(1, {{"model", "cached.onnx"}, {"task", "yolov8"}, {"engine_cache", "cache"}});
    d["sources"][0]["uri"] = "pattern:64x64";
    const std::string cfg = (dir_ / "cached_pipeline.json").string();
    std::ofstream(cfg) << d.dump(2);
    using cli_test::run_cli;
    auto r = run_cli("pipeline " + cfg + " --limit 2");
    ASSERT_EQ(r.code, 0) << r.out;
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(dir_ / "cache")) entries.push_back(e.path());
    ASSERT_EQ(entries.size(), 1u);
    const auto written = fs::last_write_time(entries[0]);
    r = run_cli("pipeline " + cfg + " --limit 2");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(fs::last_write_time(entries[0]), written);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "cache"), fs::directory_iterator()), 1);
    d["elements"][0].erase("engine_cache");
    d["elements"][0]["engine"] = "cached.engine";
    std::ofstream(cfg) << d.dump(2);
    r = run_cli("pipeline " + cfg + " --limit 2");
    ASSERT_EQ(r.code, 0) << r.out;
    ASSERT_TRUE(fs::is_regular_file(dir_ / "cached.engine"));
    const auto engine_written = fs::last_write_time(dir_ / "cached.engine");
    r = run_cli("pipeline " + cfg + " --limit 2");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(fs::last_write_time(dir_ / "cached.engine"), engine_written);
}

}  // namespace
}  // namespace edgeinfer::pipeline

// Session behaviour: plans per shape, caller-provided outputs, no heap allocation in steady
// state, dynamic shapes, profiling.
#include <gtest/gtest.h>

// This file replaces global operator new/delete (malloc/free) to count allocations.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <dlfcn.h>
#include <execinfo.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>

#include "edgeinfer/session.hpp"

namespace {
std::atomic<long> g_allocations{0};         // by edgeinfer code
std::atomic<long> g_onednn_allocations{0};  // inside oneDNN's primitive::execute (its own argument maps)
std::atomic<bool> g_counting{false};

// True when the allocation comes from inside libdnnl (not avoidable through oneDNN 2.6's API).
bool from_onednn() {
    void* frames[24];
    int n = backtrace(frames, 24);
    for (int i = 2; i < n; ++i) {
        Dl_info info;
        if (dladdr(frames[i], &info) && info.dli_fname && std::strstr(info.dli_fname, "libdnnl")) return true;
    }
    return false;
}
}  // namespace

void* operator new(size_t n) {
    if (g_counting.exchange(false)) {
        bool dn = from_onednn();
        (dn ? g_onednn_allocations : g_allocations).fetch_add(1);
        if (!dn && std::getenv("EDGEINFER_ALLOC_TRACE")) {  // debugging aid: where did it allocate?
            void* bt[16];
            backtrace_symbols_fd(bt, backtrace(bt, 16), 2);
        }
        g_counting = true;
    }
    void* p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    return p;
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
    try {
        return operator new(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
// Every matching delete frees with free(), so ASan sees consistent pairs.
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace edgeinfer {
namespace {

std::string model(const std::string& name) { return std::string(EDGEINFER_TEST_MODELS_DIR) + "/" + name; }

Tensor input_of(int64_t batch, float value) {
    Tensor t = Tensor::allocate(DataType::kFloat32, {batch, 3, 8, 8});
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = value * static_cast<float>(i % 7 - 3);
    return t;
}

TEST(Session, DescribesInputsAndOutputs) {
    auto s = Session::create(model("small_cnn.onnx"));
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    const auto& in = s.value()->inputs();
    ASSERT_EQ(in.size(), 1u);
    EXPECT_EQ(in[0].name, "input");
    EXPECT_EQ(in[0].dims, (std::vector<int64_t>{-1, 3, 8, 8}));
    EXPECT_EQ(in[0].symbols[0], "batch");
    EXPECT_EQ(s.value()->outputs()[0].name, "logits");
}

TEST(Session, OnePlanPerShapeAndBatchesAgree) {
    auto s = Session::create(model("small_cnn.onnx"));
    ASSERT_TRUE(s.is_ok());
    Session& session = *s.value();
    auto one = session.run({{"input", input_of(1, 0.5f)}});
    ASSERT_TRUE(one.is_ok()) << one.status().to_string();
    EXPECT_EQ((*one)[0].tensor.dims(), (std::vector<int64_t>{1, 10}));
    EXPECT_EQ(session.plan_count(), 1u);
    // Batch 3 whose items all equal the batch-1 input: a new plan, same per-item results.
    Tensor three = Tensor::allocate(DataType::kFloat32, {3, 3, 8, 8});
    Tensor single = input_of(1, 0.5f);
    for (int b = 0; b < 3; ++b)
        std::memcpy(three.data_as<float>() + b * single.numel(), single.data(), single.nbytes());
    auto batched = session.run({{"input", three}});
    ASSERT_TRUE(batched.is_ok());
    EXPECT_EQ(session.plan_count(), 2u);
    for (int b = 0; b < 3; ++b)
        for (int k = 0; k < 10; ++k)
            EXPECT_NEAR((*batched)[0].tensor.data_as<float>()[b * 10 + k], (*one)[0].tensor.data_as<float>()[k], 1e-5);
    ASSERT_TRUE(session.run({{"input", input_of(1, 0.25f)}}).is_ok());
    EXPECT_EQ(session.plan_count(), 2u);  // reused
}

TEST(Session, SteadyStateRunDoesNotAllocate) {
    const std::string demo = std::string(EDGEINFER_SOURCE_DIR) + "/models/demo_cnn.onnx";
    for (const std::string& path : {model("small_cnn.onnx"), demo}) {
        auto s = Session::create(path);
        ASSERT_TRUE(s.is_ok()) << s.status().to_string();
        Session& session = *s.value();
        std::vector<int64_t> dims = session.inputs()[0].dims;
        dims[0] = 2;
        Tensor x = Tensor::allocate(DataType::kFloat32, dims);
        for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = static_cast<float>(i % 13) * 0.1f;
        std::vector<NamedTensor> inputs{{session.inputs()[0].name, x}};
        auto first = session.run(inputs);  // builds the plan, tells the output shape
        ASSERT_TRUE(first.is_ok()) << first.status().to_string();
        const Tensor& ref = (*first)[0].tensor;
        std::vector<float> out_buf(static_cast<size_t>(ref.numel()));
        std::vector<NamedTensor> outputs{{(*first)[0].name, Tensor::wrap(DataType::kFloat32, ref.dims(), out_buf.data())}};
        ASSERT_TRUE(session.run(inputs, outputs).is_ok());
        g_allocations = 0;
        g_onednn_allocations = 0;
        g_counting = true;
        Status st = session.run(inputs, outputs);
        g_counting = false;
        ASSERT_TRUE(st.is_ok()) << st.to_string();
        EXPECT_EQ(g_allocations.load(), 0) << path << ": heap allocations by edgeinfer in a steady-state run "
                                           << "(EDGEINFER_ALLOC_TRACE=1 prints where)";
        std::printf("%s: allocations inside oneDNN's execute: %ld\n", path.c_str(), g_onednn_allocations.load());
        EXPECT_EQ(0, std::memcmp(out_buf.data(), ref.data(), ref.nbytes()));
    }
}

TEST(Session, CallerOutputsMustMatch) {
    auto s = Session::create(model("small_cnn.onnx"));
    ASSERT_TRUE(s.is_ok());
    std::vector<NamedTensor> outputs{{"logits", Tensor::allocate(DataType::kFloat32, {1, 9})}};
    Status st = s.value()->run({{"input", input_of(1, 1.0f)}}, outputs);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("1x10"), std::string::npos) << st.message();
    std::vector<NamedTensor> unknown{{"nope", Tensor::allocate(DataType::kFloat32, {1, 10})}};
    EXPECT_EQ(s.value()->run({{"input", input_of(1, 1.0f)}}, unknown).code(), StatusCode::kInvalidArgument);
}

TEST(Session, DataDependentShapesRunEachTime) {
    auto s = Session::create(model("reshape_input.onnx"));
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    Tensor x = Tensor::allocate(DataType::kFloat32, {2, 6});
    for (int i = 0; i < 12; ++i) x.data_as<float>()[i] = static_cast<float>(i - 5);
    for (auto shape : {std::vector<int64_t>{3, 4}, std::vector<int64_t>{4, -1}, std::vector<int64_t>{12, 1}}) {
        Tensor sh = Tensor::from_vector<int64_t>(DataType::kInt64, {2}, shape);
        auto r = s.value()->run({{"x", x}, {"shape", sh}});
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        const Tensor& y = (*r)[0].tensor;
        EXPECT_EQ(y.numel(), 12);
        EXPECT_EQ(y.dims()[0], shape[0]);
        EXPECT_EQ(y.data_as<float>()[0], 0.0f);   // relu(-5)
        EXPECT_EQ(y.data_as<float>()[11], 6.0f);  // relu(6)
    }
}

TEST(Session, NonMaxSuppressionWithoutLimitKeepsEveryBox) {
    // torchvision exports max_output_boxes_per_class = INT64_MAX; three disjoint boxes all stay.
    auto s = Session::create(model("nms_no_limit.onnx"));
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    Tensor boxes = Tensor::from_vector<float>(DataType::kFloat32, {1, 3, 4}, {0, 0, 1, 1, 2, 2, 3, 3, 5, 5, 6, 6});
    Tensor scores = Tensor::from_vector<float>(DataType::kFloat32, {1, 1, 3}, {0.9f, 0.8f, 0.7f});
    auto r = s.value()->run({{"boxes", boxes}, {"scores", scores}});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{3, 3}));
}

// One opset-21 model with operators new in opsets 18-21 (tests/tools/make_test_models.py: opset21_ops) loads,
// plans and runs with the documented output shapes and values.
TEST(Session, Opset21OperatorsRunTogether) {
    auto s = Session::create(model("opset21_ops.onnx"));
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    auto seq = [](size_t n, float scale, float offset) {
        std::vector<float> v(n);
        for (size_t i = 0; i < n; ++i) v[i] = scale * float((i * 7) % 13) + offset;
        return v;
    };
    const std::vector<float> x = seq(72, 0.3f, -1.7f), m = seq(16, 0.37f, -2.6f);
    auto r = s.value()->run({{"x", Tensor::from_vector<float>(DataType::kFloat32, {1, 2, 6, 6}, x)},
                             {"col", Tensor::from_vector<float>(DataType::kFloat32, {1, 8, 4}, seq(32, 0.1f, 0.0f))},
                             {"signal", Tensor::from_vector<float>(DataType::kFloat32, {1, 8, 1}, seq(8, 1.0f, 0.0f))},
                             {"m", Tensor::from_vector<float>(DataType::kFloat32, {4, 4}, m)}});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const std::vector<std::pair<std::string, std::vector<int64_t>>> want{
        {"resized", {1, 2, 3, 3}}, {"cropped", {1, 2, 4, 4}}, {"image", {1, 2, 3, 3}},
        {"spectrum", {1, 5, 2}},   {"dequantized", {4, 4}},   {"float8_back", {4, 4}},
        {"joined", {4, 4}},        {"sampled", {1, 2, 6, 6}}, {"normalized", {1, 2, 6, 6}}};
    ASSERT_EQ(r->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ((*r)[i].name, want[i].first);
        EXPECT_EQ((*r)[i].tensor.dims(), want[i].second) << want[i].first;
    }
    auto values = [&](size_t i) {
        const float* p = (*r)[i].tensor.data_as<float>();
        return std::vector<float>(p, p + (*r)[i].tensor.numel());
    };
    // SplitToSequence + ConcatFromSequence give m back; int4 blocks of scale 0.25 round and clamp to [-8, 7].
    EXPECT_EQ(values(6), m);
    const std::vector<float> dq = values(4);
    for (size_t i = 0; i < m.size(); ++i)
        EXPECT_FLOAT_EQ(dq[i], 0.25f * std::clamp(std::nearbyint(m[i] / 0.25f), -8.0f, 7.0f)) << i;
    // The identity affine grid samples every pixel centre: GridSample gives x back.
    const std::vector<float> sampled = values(7);
    for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(sampled[i], x[i], 1e-5) << i;
    // DFT bin 0 of the signal is its sum, imaginary part 0.
    const std::vector<float> spectrum = values(3), signal = seq(8, 1.0f, 0.0f);
    EXPECT_NEAR(spectrum[0], std::accumulate(signal.begin(), signal.end(), 0.0f), 1e-4);
    EXPECT_NEAR(spectrum[1], 0.0f, 1e-4);
}

// The kernel buckets kept boxes by x; its selection must equal the plain "compare with every kept
// box" algorithm, on clusters spread apart (as torchvision's batched_nms offsets classes), with
// wide boxes spanning cells, duplicates and tied scores.
TEST(Session, NonMaxSuppressionMatchesBruteForce) {
    auto s = Session::create(model("nms_no_limit.onnx"));
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    uint32_t state = 12345;
    auto next = [&state] {
        state = state * 1664525u + 1013904223u;
        return float(state >> 8) / float(1u << 24);
    };
    for (int trial = 0; trial < 20; ++trial) {
        const int n = 400;
        std::vector<float> box(n * 4), score(n);
        for (int i = 0; i < n; ++i) {
            float cx = float(i % 7) * 1000.0f + next() * 100.0f, cy = next() * 100.0f;  // 7 clusters in x
            float w = (trial % 3 == 0 && i % 50 == 0) ? 3000.0f : 5.0f + next() * 40.0f;  // a few very wide
            float h = 5.0f + next() * 40.0f;
            if (i % 37 == 0 && i > 0) {  // exact duplicates of an earlier box
                std::copy(box.begin() + (i - 1) * 4, box.begin() + i * 4, box.begin() + i * 4);
            } else {
                box[i * 4 + 0] = cy - h / 2;  // y1, x1, y2, x2 (center_point_box = 0)
                box[i * 4 + 1] = cx - w / 2;
                box[i * 4 + 2] = cy + h / 2;
                box[i * 4 + 3] = cx + w / 2;
            }
            score[i] = (i % 5 == 0) ? 0.5f : next();  // ties
        }
        std::vector<int64_t> order(n);
        for (int i = 0; i < n; ++i) order[i] = i;
        std::sort(order.begin(), order.end(),
                  [&](int64_t a, int64_t b) { return score[a] > score[b] || (score[a] == score[b] && a < b); });
        auto iou = [&](int64_t a, int64_t b) {
            const float* p = &box[a * 4];
            const float* q = &box[b * 4];
            float ix = std::min(p[3], q[3]) - std::max(p[1], q[1]), iy = std::min(p[2], q[2]) - std::max(p[0], q[0]);
            if (ix <= 0 || iy <= 0) return 0.0f;
            float inter = ix * iy, ua = (p[3] - p[1]) * (p[2] - p[0]) + (q[3] - q[1]) * (q[2] - q[0]) - inter;
            return inter / ua;
        };
        std::vector<int64_t> want;
        for (int64_t i : order) {
            bool ok = true;
            for (int64_t k : want) ok = ok && !(iou(i, k) > 0.5f);
            if (ok) want.push_back(i);
        }
        auto r = s.value()->run({{"boxes", Tensor::from_vector<float>(DataType::kFloat32, {1, n, 4}, box)},
                                 {"scores", Tensor::from_vector<float>(DataType::kFloat32, {1, 1, n}, score)}});
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        const Tensor& sel = (*r)[0].tensor;
        ASSERT_EQ(sel.dims()[0], static_cast<int64_t>(want.size())) << "trial " << trial;
        for (size_t k = 0; k < want.size(); ++k) EXPECT_EQ(sel.data_as<int64_t>()[k * 3 + 2], want[k]) << trial;
    }
}

TEST(Session, ProfilingCountsEveryNode) {
    SessionOptions opts;
    opts.enable_profiling = true;
    opts.optimization_level = GraphOptimizationLevel::kBasic;  // the model's own nodes, no fusions
    auto s = Session::create(model("small_cnn.onnx"), opts);
    ASSERT_TRUE(s.is_ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.value()->run({{"input", input_of(1, 1.0f)}}).is_ok());
    auto prof = s.value()->profile();
    ASSERT_EQ(prof.size(), 5u);
    EXPECT_EQ(prof[0].op_type, "Conv");
    EXPECT_EQ(prof[0].runs, 3);
    EXPECT_GT(prof[0].total_us, 0.0);
}

// int8 runs quantized models; a float model gets told how to make one.
TEST(Session, Int8OnModelWithoutQuantizationIsUnsupported) {
    SessionOptions opts;
    opts.precision = Precision::kInt8;
    auto s = Session::create(model("small_cnn.onnx"), opts);
    ASSERT_FALSE(s.is_ok());
    EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(s.status().message().find("no quantization"), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find("edgeinfer quantize"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace edgeinfer

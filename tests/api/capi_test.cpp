// The C API (include/edgeinfer.h) through libedgeinfer.so alone: options, sessions with options, engine
// files, symbolic-dim metadata and runs into caller-owned outputs, with their failure paths (status,
// message naming what is wrong, out-parameters and caller buffers untouched). Vision: capi_vision_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "edgeinfer.h"

namespace fs = std::filesystem;

namespace {

const std::string kAffine = std::string(EDGEINFER_CAPI_MODELS) + "/affine.onnx";

std::string last_error() { return edgeinfer_last_error(); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Owns a handle and destroys it at scope end.
template <typename T, void (*Destroy)(T*)>
struct Owned {
    T* p = nullptr;
    Owned() = default;
    Owned(const Owned&) = delete;
    Owned& operator=(const Owned&) = delete;
    ~Owned() { Destroy(p); }
    T** out() { return &p; }
    T* get() const { return p; }
};
using Options = Owned<edgeinfer_options, edgeinfer_options_destroy>;
using Session = Owned<edgeinfer_session, edgeinfer_session_destroy>;
using Tensor = Owned<edgeinfer_tensor, edgeinfer_tensor_destroy>;

// A float32 tensor over `data` (caller memory).
void wrap(std::vector<float>& data, std::vector<int64_t> dims, Tensor& t) {
    ASSERT_EQ(edgeinfer_tensor_wrap(EDGEINFER_FLOAT32, dims.data(), dims.size(), data.data(),
                                    data.size() * sizeof(float), t.out()),
              EDGEINFER_OK)
        << last_error();
}

// The affine model's inputs for a batch of two rows.
struct AffineInputs {
    std::vector<float> x{1, 2, 3, 4, -1, 0.5f, 0, 2};
    std::vector<float> b{10, 20, 30, 40};
    Tensor xt, bt;
    const char* names[2] = {"x", "b"};
    const edgeinfer_tensor* tensors[2] = {};
    AffineInputs() {
        wrap(x, {2, 4}, xt);
        wrap(b, {4}, bt);
        tensors[0] = xt.get();
        tensors[1] = bt.get();
    }
};

void create_affine(Session& s, const edgeinfer_options* options = nullptr) {
    ASSERT_EQ(edgeinfer_session_create_with_options(kAffine.c_str(), options, s.out()), EDGEINFER_OK) << last_error();
}

TEST(CapiVersion, IsTheProjectVersion) { EXPECT_STREQ(edgeinfer_version(), EDGEINFER_PROJECT_VERSION); }

TEST(CapiOptions, SettersCheckTheirValues) {
    Options o;
    ASSERT_EQ(edgeinfer_options_create(o.out()), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_num_threads(o.get(), 2), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_num_threads(o.get(), -1), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "num_threads")) << last_error();
    EXPECT_EQ(edgeinfer_options_set_optimization_level(o.get(), 2), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_optimization_level(o.get(), 4), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_precision(o.get(), "bf16"), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_precision(o.get(), "fp16"), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "fp16") && contains(last_error(), "int8")) << last_error();
    EXPECT_EQ(edgeinfer_options_set_precision(o.get(), nullptr), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_profiling(o.get(), 1), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_max_memory(o.get(), uint64_t{1} << 30), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_time_limit_ms(o.get(), 5000), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_time_limit_ms(o.get(), -1), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "time limit")) << last_error();
    EXPECT_EQ(edgeinfer_options_set_time_limit_ms(nullptr, 1), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_engine_path(o.get(), "/tmp/x.engine"), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_engine_path(o.get(), nullptr), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_engine_cache_dir(o.get(), "/tmp/cache"), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_engine_cache_dir(o.get(), nullptr), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_engine_cache_dir(nullptr, "x"), EDGEINFER_INVALID_ARGUMENT);
    const char* nodes[2] = {"double", nullptr};
    EXPECT_EQ(edgeinfer_options_set_keep_fp32_nodes(o.get(), nodes, 1), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_keep_fp32_nodes(o.get(), nodes, 2), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "name 1")) << last_error();
    EXPECT_EQ(edgeinfer_options_set_keep_fp32_nodes(o.get(), nullptr, 3), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_keep_fp32_nodes(o.get(), nullptr, 0), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_sidecar_path(o.get(), "m.json"), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_labels_path(o.get(), "labels.txt"), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_top_k(o.get(), 3), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_top_k(o.get(), 0), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_score_threshold(o.get(), 0.5), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_score_threshold(o.get(), 1.5), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_score_threshold(o.get(), NAN), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_iou_threshold(o.get(), 0.6), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_iou_threshold(o.get(), -0.1), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_detector_format(o.get(), "yolov8"), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_max_detections(o.get(), 10), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_max_detections(o.get(), 0), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_top_k(nullptr, 3), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_create(nullptr), EDGEINFER_INVALID_ARGUMENT);
    edgeinfer_options_destroy(nullptr);
}

TEST(CapiSession, CreateWithOptionsAndMetadataWithSymbols) {
    Options o;
    ASSERT_EQ(edgeinfer_options_create(o.out()), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_num_threads(o.get(), 1), EDGEINFER_OK);
    Session s;
    create_affine(s, o.get());
    size_t n_in = 0, n_out = 0;
    ASSERT_EQ(edgeinfer_session_input_count(s.get(), &n_in), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_session_output_count(s.get(), &n_out), EDGEINFER_OK);
    EXPECT_EQ(n_in, 2u);
    EXPECT_EQ(n_out, 2u);

    const char* name = nullptr;
    int dtype = 0;
    const int64_t* dims = nullptr;
    size_t rank = 0;
    ASSERT_EQ(edgeinfer_session_input_info(s.get(), 0, &name, &dtype, &dims, &rank), EDGEINFER_OK);
    EXPECT_STREQ(name, "x");
    ASSERT_EQ(rank, 2u);
    EXPECT_EQ(dims[0], -1);
    EXPECT_EQ(dims[1], 4);
    const char* const* symbols = nullptr;
    size_t symbol_rank = 0;
    ASSERT_EQ(edgeinfer_session_input_symbols(s.get(), 0, &symbols, &symbol_rank), EDGEINFER_OK);
    ASSERT_EQ(symbol_rank, 2u);
    EXPECT_STREQ(symbols[0], "batch");
    EXPECT_STREQ(symbols[1], "");
    ASSERT_EQ(edgeinfer_session_input_symbols(s.get(), 1, &symbols, &symbol_rank), EDGEINFER_OK);
    ASSERT_EQ(symbol_rank, 1u);
    EXPECT_STREQ(symbols[0], "");
    ASSERT_EQ(edgeinfer_session_output_symbols(s.get(), 1, &symbols, &symbol_rank), EDGEINFER_OK);
    ASSERT_EQ(symbol_rank, 2u);
    EXPECT_STREQ(symbols[0], "batch");

    size_t index = 99;
    EXPECT_EQ(edgeinfer_session_input_index(s.get(), "b", &index), EDGEINFER_OK);
    EXPECT_EQ(index, 1u);
    EXPECT_EQ(edgeinfer_session_output_index(s.get(), "s", &index), EDGEINFER_OK);
    EXPECT_EQ(index, 1u);

    // Failures: a status and a message; out-parameters keep what they held.
    index = 77;
    EXPECT_EQ(edgeinfer_session_output_index(s.get(), "logits", &index), EDGEINFER_NOT_FOUND);
    EXPECT_TRUE(contains(last_error(), "'logits'") && contains(last_error(), "y, s")) << last_error();
    EXPECT_EQ(index, 77u);
    EXPECT_EQ(edgeinfer_session_input_index(s.get(), nullptr, &index), EDGEINFER_INVALID_ARGUMENT);
    symbols = nullptr;
    symbol_rank = 5;
    EXPECT_EQ(edgeinfer_session_output_symbols(s.get(), 2, &symbols, &symbol_rank), EDGEINFER_OUT_OF_RANGE);
    EXPECT_TRUE(contains(last_error(), "output index 2")) << last_error();
    EXPECT_EQ(symbols, nullptr);
    EXPECT_EQ(symbol_rank, 5u);
    EXPECT_EQ(edgeinfer_session_input_symbols(nullptr, 0, &symbols, &symbol_rank), EDGEINFER_INVALID_ARGUMENT);

    edgeinfer_session* none = reinterpret_cast<edgeinfer_session*>(0x1);
    EXPECT_EQ(edgeinfer_session_create_with_options("/nonexistent/model.onnx", o.get(), &none), EDGEINFER_NOT_FOUND);
    EXPECT_TRUE(contains(last_error(), "/nonexistent/model.onnx")) << last_error();
    EXPECT_EQ(none, reinterpret_cast<edgeinfer_session*>(0x1));
    EXPECT_EQ(edgeinfer_session_create_from_bytes_with_options("junk", 4, nullptr, &none), EDGEINFER_INVALID_MODEL);
    EXPECT_EQ(none, reinterpret_cast<edgeinfer_session*>(0x1));
}

// The first API (options struct, library-allocated outputs) keeps working beside the new one.
TEST(CapiSession, OptionsStructAndAllocatedOutputs) {
    edgeinfer_session_options opts;
    edgeinfer_session_options_init(&opts);
    opts.num_threads = 1;
    Session s;
    ASSERT_EQ(edgeinfer_session_create(kAffine.c_str(), &opts, s.out()), EDGEINFER_OK) << last_error();
    AffineInputs in;
    edgeinfer_tensor* outs[2] = {};
    ASSERT_EQ(edgeinfer_session_run(s.get(), in.names, in.tensors, 2, outs, 2), EDGEINFER_OK) << last_error();
    Tensor y, sum;
    y.p = outs[0];
    sum.p = outs[1];
    float* data = nullptr;
    size_t bytes = 0;
    ASSERT_EQ(edgeinfer_tensor_data(y.get(), reinterpret_cast<void**>(&data), &bytes), EDGEINFER_OK);
    ASSERT_EQ(bytes, 8 * sizeof(float));
    for (size_t i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(data[i], 2 * in.x[i] + in.b[i % 4]) << i;
    int dtype = 0;
    const int64_t* dims = nullptr;
    size_t rank = 0;
    ASSERT_EQ(edgeinfer_tensor_shape(sum.get(), &dtype, &dims, &rank), EDGEINFER_OK);
    EXPECT_EQ(dtype, EDGEINFER_FLOAT32);
    ASSERT_EQ(rank, 2u);
    EXPECT_EQ(dims[0], 2);
    EXPECT_EQ(dims[1], 1);
    opts.precision = 7;
    Session bad;
    EXPECT_EQ(edgeinfer_session_create(kAffine.c_str(), &opts, bad.out()), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(bad.get(), nullptr);
}

// The memory limit reaches the session: the affine model's values do not fit in 16 bytes.
TEST(CapiSession, MemoryLimitReachesTheSession) {
    Options o;
    ASSERT_EQ(edgeinfer_options_create(o.out()), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_max_memory(o.get(), 16), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_time_limit_ms(o.get(), 60000), EDGEINFER_OK);
    Session s;
    const edgeinfer_status created = edgeinfer_session_create_with_options(kAffine.c_str(), o.get(), s.out());
    if (created != EDGEINFER_OK) {
        EXPECT_EQ(created, EDGEINFER_RESOURCE_EXHAUSTED) << last_error();
        return;
    }
    AffineInputs in;
    edgeinfer_tensor* outs[2] = {};
    EXPECT_EQ(edgeinfer_session_run(s.get(), in.names, in.tensors, 2, outs, 2), EDGEINFER_RESOURCE_EXHAUSTED);
    EXPECT_TRUE(contains(last_error(), "max_memory_bytes")) << last_error();
    EXPECT_EQ(outs[0], nullptr);
}

TEST(CapiSession, RunIntoCallerOwnedOutputs) {
    Session s;
    create_affine(s);
    AffineInputs in;
    std::vector<float> y(8, -1.0f), sum(2, -1.0f);
    Tensor yt, st;
    wrap(y, {2, 4}, yt);
    wrap(sum, {2, 1}, st);
    const char* out_names[2] = {"s", "y"};  // any order
    edgeinfer_tensor* outs[2] = {st.get(), yt.get()};
    ASSERT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, out_names, outs, 2), EDGEINFER_OK)
        << last_error();
    for (size_t i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(y[i], 2 * in.x[i] + in.b[i % 4]) << i;
    EXPECT_FLOAT_EQ(sum[0], 1 + 2 + 3 + 4);
    EXPECT_FLOAT_EQ(sum[1], -1 + 0.5f + 0 + 2);

    // A subset of the outputs, after new input values: written in place again.
    in.x[0] = 100;
    const char* only_s[1] = {"s"};
    edgeinfer_tensor* s_out[1] = {st.get()};
    ASSERT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, only_s, s_out, 1), EDGEINFER_OK)
        << last_error();
    EXPECT_FLOAT_EQ(sum[0], 100 + 2 + 3 + 4);
    EXPECT_FLOAT_EQ(y[0], 2 * 1 + 10);  // not asked for: unchanged
}

TEST(CapiSession, RunIntoRefusesWrongBuffersAndWritesNothing) {
    Session s;
    create_affine(s);
    AffineInputs in;
    std::vector<float> sum(2, -1.0f), wide(10, -1.0f), y(8, -1.0f);
    std::vector<double> y64(8, -1.0);
    Tensor st, wt, yt, y64t;
    wrap(sum, {2, 1}, st);
    wrap(wide, {2, 5}, wt);
    wrap(y, {2, 4}, yt);
    ASSERT_EQ(edgeinfer_tensor_wrap(EDGEINFER_FLOAT64, std::vector<int64_t>{2, 4}.data(), 2, y64.data(),
                                    y64.size() * sizeof(double), y64t.out()),
              EDGEINFER_OK);
    auto untouched = [](const auto& v) {
        for (auto x : v)
            if (x != -1) return false;
        return true;
    };

    // Wrong shape of y, after a right one for s: neither buffer is written.
    const char* names[2] = {"s", "y"};
    edgeinfer_tensor* wrong_shape[2] = {st.get(), wt.get()};
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, names, wrong_shape, 2),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "output 'y'") && contains(last_error(), "2x4") && contains(last_error(), "2x5"))
        << last_error();
    EXPECT_TRUE(untouched(sum));
    EXPECT_TRUE(untouched(wide));

    // Wrong dtype.
    edgeinfer_tensor* wrong_dtype[1] = {y64t.get()};
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, &names[1], wrong_dtype, 1),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "float64")) << last_error();
    EXPECT_TRUE(untouched(y64));

    // Unknown and repeated output names, unknown input name.
    const char* unknown[1] = {"logits"};
    edgeinfer_tensor* one[1] = {yt.get()};
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, unknown, one, 1),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "unknown output 'logits'")) << last_error();
    const char* twice[2] = {"y", "y"};
    edgeinfer_tensor* two[2] = {yt.get(), yt.get()};
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, twice, two, 2), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "'y' is given twice")) << last_error();
    const char* bad_inputs[2] = {"x", "bias"};
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), bad_inputs, in.tensors, 2, &names[1], one, 1),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "'bias'")) << last_error();
    EXPECT_TRUE(untouched(y));

    // NULL arguments.
    EXPECT_EQ(edgeinfer_session_run_into(nullptr, in.names, in.tensors, 2, names, one, 1), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, nullptr, one, 1),
              EDGEINFER_INVALID_ARGUMENT);
    edgeinfer_tensor* null_tensor[1] = {nullptr};
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, names, null_tensor, 1),
              EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(untouched(y));

    // The session still runs.
    EXPECT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, &names[1], one, 1), EDGEINFER_OK)
        << last_error();
    EXPECT_FLOAT_EQ(y[7], 2 * 2 + 40);
}

TEST(CapiSession, EngineCacheIsBuiltOnceThenLoaded) {
    const fs::path dir = fs::temp_directory_path() / ("edgeinfer_capi_cache_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    Options o;
    ASSERT_EQ(edgeinfer_options_create(o.out()), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_num_threads(o.get(), 1), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_engine_cache_dir(o.get(), dir.string().c_str()), EDGEINFER_OK);
    int requested = -1, loaded = -1, written = -1;
    const char* entry = nullptr;
    std::string first_entry;
    {
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_engine_status(s.get(), &requested, &loaded, nullptr), EDGEINFER_OK);
        EXPECT_EQ(requested, 1);
        EXPECT_EQ(loaded, 0);
        ASSERT_EQ(edgeinfer_session_engine_cache_entry(s.get(), &entry, &written), EDGEINFER_OK);
        EXPECT_EQ(written, 1);
        first_entry = entry;
        EXPECT_TRUE(fs::is_regular_file(first_entry)) << first_entry;
        EXPECT_EQ(fs::path(first_entry).parent_path(), dir);
    }
    {
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_engine_status(s.get(), nullptr, &loaded, nullptr), EDGEINFER_OK);
        EXPECT_EQ(loaded, 1);
        ASSERT_EQ(edgeinfer_session_engine_cache_entry(s.get(), &entry, &written), EDGEINFER_OK);
        EXPECT_EQ(written, 0);
        EXPECT_EQ(std::string(entry), first_entry);
    }
    // Both an engine path and a cache: creation fails naming both.
    ASSERT_EQ(edgeinfer_options_set_engine_path(o.get(), (dir / "x.engine").string().c_str()), EDGEINFER_OK);
    Session both;
    EXPECT_EQ(edgeinfer_session_create_with_options(kAffine.c_str(), o.get(), both.out()), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "engine_cache_dir")) << last_error();
    Session plain;
    create_affine(plain);
    ASSERT_EQ(edgeinfer_session_engine_cache_entry(plain.get(), &entry, nullptr), EDGEINFER_OK);
    EXPECT_STREQ(entry, "");
    EXPECT_EQ(edgeinfer_session_engine_cache_entry(nullptr, &entry, nullptr), EDGEINFER_INVALID_ARGUMENT);
    fs::remove_all(dir);
}

// The tactic mode reaches the session: an engine file records it, and a session asking another mode
// refuses the file naming the field; an unknown name lists the choices.
TEST(CapiSession, TacticsReachTheSession) {
    const fs::path dir = fs::temp_directory_path() / ("edgeinfer_capi_tactics_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string engine = (dir / "affine.engine").string();
    Options o;
    ASSERT_EQ(edgeinfer_options_create(o.out()), EDGEINFER_OK);
    EXPECT_EQ(edgeinfer_options_set_tactics(o.get(), "fastest"), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_TRUE(contains(last_error(), "fastest") && contains(last_error(), "direct-only")) << last_error();
    EXPECT_EQ(edgeinfer_options_set_tactics(o.get(), nullptr), EDGEINFER_INVALID_ARGUMENT);
    EXPECT_EQ(edgeinfer_options_set_tactics(nullptr, "fast"), EDGEINFER_INVALID_ARGUMENT);
    ASSERT_EQ(edgeinfer_options_set_num_threads(o.get(), 1), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_tactics(o.get(), "direct-only"), EDGEINFER_OK);
    {
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_save_engine(s.get(), engine.c_str()), EDGEINFER_OK) << last_error();
    }
    ASSERT_EQ(edgeinfer_options_set_engine_path(o.get(), engine.c_str()), EDGEINFER_OK);
    int loaded = -1;
    const char* message = nullptr;
    {
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_engine_status(s.get(), nullptr, &loaded, &message), EDGEINFER_OK);
        EXPECT_EQ(loaded, 1) << message;
    }
    ASSERT_EQ(edgeinfer_options_set_tactics(o.get(), "timed"), EDGEINFER_OK);
    {
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_engine_status(s.get(), nullptr, &loaded, &message), EDGEINFER_OK);
        EXPECT_EQ(loaded, 0);
        EXPECT_TRUE(contains(message, "tactics") && contains(message, "direct-only") && contains(message, "timed"))
            << message;
    }
    fs::remove_all(dir);
}

TEST(CapiSession, EngineFilePathAndKeepFp32ReachTheSession) {
    const fs::path dir = fs::temp_directory_path() / ("edgeinfer_capi_engine_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string engine = (dir / "affine.engine").string();
    Options o;
    ASSERT_EQ(edgeinfer_options_create(o.out()), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_num_threads(o.get(), 1), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_engine_path(o.get(), engine.c_str()), EDGEINFER_OK);

    int requested = -1, loaded = -1;
    const char* message = nullptr;
    {
        // No file yet: built from the model, and the report says why.
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_engine_status(s.get(), &requested, &loaded, &message), EDGEINFER_OK);
        EXPECT_EQ(requested, 1);
        EXPECT_EQ(loaded, 0);
        EXPECT_TRUE(contains(message, "affine.engine")) << message;
        ASSERT_EQ(edgeinfer_session_save_engine(s.get(), engine.c_str()), EDGEINFER_OK) << last_error();
    }
    {
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_engine_status(s.get(), &requested, &loaded, &message), EDGEINFER_OK);
        EXPECT_EQ(loaded, 1) << message;
        AffineInputs in;
        std::vector<float> sum(2, -1.0f);
        Tensor st;
        wrap(sum, {2, 1}, st);
        const char* name[1] = {"s"};
        edgeinfer_tensor* out[1] = {st.get()};
        ASSERT_EQ(edgeinfer_session_run_into(s.get(), in.names, in.tensors, 2, name, out, 1), EDGEINFER_OK)
            << last_error();
        EXPECT_FLOAT_EQ(sum[0], 10);
    }
    {
        // Other keep-fp32 nodes than the file was saved with: not loaded, and the header field is named.
        const char* keep[1] = {"double"};
        ASSERT_EQ(edgeinfer_options_set_keep_fp32_nodes(o.get(), keep, 1), EDGEINFER_OK);
        Session s;
        create_affine(s, o.get());
        ASSERT_EQ(edgeinfer_session_engine_status(s.get(), nullptr, &loaded, &message), EDGEINFER_OK);
        EXPECT_EQ(loaded, 0);
        EXPECT_TRUE(contains(message, "keep_fp32_nodes") && contains(message, "double")) << message;
        // Unwritable engine path: an error naming it; engine status of a session without a path.
        EXPECT_NE(edgeinfer_session_save_engine(s.get(), "/nonexistent/dir/x.engine"), EDGEINFER_OK);
        EXPECT_TRUE(contains(last_error(), "/nonexistent/dir/x.engine")) << last_error();
        Session plain;
        create_affine(plain);
        requested = -1;
        ASSERT_EQ(edgeinfer_session_engine_status(plain.get(), &requested, nullptr, nullptr), EDGEINFER_OK);
        EXPECT_EQ(requested, 0);
    }
    EXPECT_EQ(edgeinfer_session_engine_status(nullptr, &requested, &loaded, &message), EDGEINFER_INVALID_ARGUMENT);
    fs::remove_all(dir);
}

TEST(CapiSession, PrecisionByName) {
    Options o;
    ASSERT_EQ(edgeinfer_options_create(o.out()), EDGEINFER_OK);
    ASSERT_EQ(edgeinfer_options_set_precision(o.get(), "int8"), EDGEINFER_OK);
    // int8 runs a quantized model's int8 paths; the float affine model has none, which the session says.
    Session s;
    EXPECT_EQ(edgeinfer_session_create_with_options(kAffine.c_str(), o.get(), s.out()), EDGEINFER_UNSUPPORTED);
    EXPECT_TRUE(contains(last_error(), "precision int8") && contains(last_error(), "affine.onnx")) << last_error();
    EXPECT_EQ(s.get(), nullptr);
    ASSERT_EQ(edgeinfer_options_set_precision(o.get(), "fp32"), EDGEINFER_OK);
    Session fp32;
    create_affine(fp32, o.get());
    EXPECT_NE(fp32.get(), nullptr);
}

}  // namespace

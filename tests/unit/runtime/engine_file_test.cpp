// Engine files (SessionOptions::engine_path, Session::save_engine): bit-identical round trips at fp32,
// bf16 and int8 (a QDQ model), a rebuild naming the field for every header mismatch, clean errors for
// truncated and corrupted files, the saved graph really being what a loaded session runs, and the
// CLI's --save-engine / --load-engine.
#include "runtime/engine_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "../cli/cli_test_util.hpp"
#include "../scratch_dir.hpp"
#include "edgeinfer/session.hpp"
#include "model/onnx_model.hpp"
#include "quant/quantizer.hpp"
#include "runtime_test_util.hpp"

namespace edgeinfer::testing {
namespace {

namespace fs = std::filesystem;

// This program's scratch folder, removed after the last test.
fs::path temp_dir() {
    static const fs::path d = make_scratch_dir("edgeinfer_engine_test");
    return d;
}

// small_cnn quantized to QDQ (uint8 activations, int8 weights) with a few seeded samples.
const std::string& qdq_model() {
    static std::string path = [] {
        auto m = model::load_model(kSmallCnn);
        EXPECT_TRUE(m.is_ok()) << m.status().to_string();
        if (!m.is_ok()) return std::string("<no small_cnn.onnx>");
        std::vector<quant::Sample> samples;
        for (uint32_t k = 0; k < 4; ++k) samples.push_back({{"input", small_cnn_input(1, 100 + k)}});
        quant::QuantizeOptions qo;
        qo.num_threads = 1;
        auto q = quant::quantize_model(std::move(m).value(), samples, qo);
        EXPECT_TRUE(q.is_ok()) << q.status().to_string();
        if (!q.is_ok()) return std::string("<quantization failed>");
        std::string p = (temp_dir() / "small_cnn_qdq.onnx").string();
        EXPECT_TRUE(model::save_model(q.value(), p).is_ok());
        return p;
    }();
    return path;
}

SessionOptions options(Precision p, const std::string& engine = "") {
    SessionOptions o;
    o.num_threads = 2;
    o.precision = p;
    o.engine_path = engine;
    return o;
}

std::unique_ptr<Session> open(const std::string& model, const SessionOptions& o) {
    auto s = Session::create(model, o);
    EXPECT_TRUE(s.is_ok()) << model << ": " << s.status().to_string();
    return s.is_ok() ? std::move(s).value() : nullptr;
}

Tensor run_once(Session& s, const Tensor& input) {
    auto out = s.run({{"input", input}});
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    return out.is_ok() ? out.value()[0].tensor : Tensor();
}

bool bit_identical(const Tensor& a, const Tensor& b) {
    return a.dtype() == b.dtype() && a.dims() == b.dims() && a.nbytes() == b.nbytes() &&
           std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A fresh session's outputs on batch 1 and 2, and an engine saved after those runs (two plans).
struct Saved {
    std::string engine;
    Tensor out1, out2;
};

Saved save(const std::string& model, Precision p, const std::string& file) {
    Saved s;
    s.engine = (temp_dir() / file).string();
    auto fresh = open(model, options(p));
    if (!fresh) return s;
    s.out1 = run_once(*fresh, small_cnn_input(1, 1));
    s.out2 = run_once(*fresh, small_cnn_input(2, 2));
    Status st = fresh->save_engine(s.engine);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return s;
}

struct Case {
    const char* name;
    bool quantized;
    Precision precision;
};

class EngineRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(EngineRoundTrip, LoadedSessionGivesBitIdenticalOutputs) {
    const Case& c = GetParam();
    const std::string model = c.quantized ? qdq_model() : kSmallCnn;
    Saved saved = save(model, c.precision, std::string("roundtrip_") + c.name + ".engine");
    auto loaded = open(model, options(c.precision, saved.engine));
    ASSERT_TRUE(loaded);
    const EngineReport& r = loaded->engine_report();
    EXPECT_TRUE(r.requested);
    EXPECT_TRUE(r.loaded) << r.message;
    EXPECT_EQ(r.message, "");             // same machine, same kernels
    EXPECT_EQ(loaded->plan_count(), 2u);  // both plans were built at load, before any run
    EXPECT_TRUE(bit_identical(run_once(*loaded, small_cnn_input(1, 1)), saved.out1));
    EXPECT_TRUE(bit_identical(run_once(*loaded, small_cnn_input(2, 2)), saved.out2));
    EXPECT_EQ(loaded->plan_count(), 2u);
    // A loaded session saves again (its model hash is known).
    EXPECT_TRUE(loaded->save_engine(saved.engine + ".again").is_ok());
}

INSTANTIATE_TEST_SUITE_P(Precisions, EngineRoundTrip,
                         ::testing::Values(Case{"fp32", false, Precision::kFp32}, Case{"bf16", false, Precision::kBf16},
                                           Case{"qdq_int8", true, Precision::kInt8},
                                           Case{"qdq_bf16", true, Precision::kBf16}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(EngineFile, PayloadIsTheOptimizedGraphAndLoadingRunsIt) {
    Saved saved = save(qdq_model(), Precision::kInt8, "payload.engine");
    auto e = runtime::read_engine_file(saved.engine);
    ASSERT_TRUE(e.is_ok()) << e.status().to_string();
    ASSERT_EQ(e.value().plans.size(), 2u);
    EXPECT_EQ(e.value().plans[0].input_dims[0], (std::vector<int64_t>{1, 3, 8, 8}));
    EXPECT_EQ(e.value().plans[1].input_dims[0], (std::vector<int64_t>{2, 3, 8, 8}));
    auto g = model::load_model_from_bytes(e.value().graph.data(), e.value().graph.size());
    ASSERT_TRUE(g.is_ok()) << g.status().to_string();
    // The int8 QDQ fusion ran before saving: no QuantizeLinear/DequantizeLinear around the conv remains
    // as it was in the model, and edgeinfer-domain ops are there.
    bool private_op = false;
    for (const auto& n : g.value().graph.nodes) private_op = private_op || !ir::is_onnx_domain(n.domain);
    EXPECT_TRUE(private_op);
    // The loaded session runs the file's graph, not the model's: double every output in the payload.
    ir::Model m = std::move(g).value();
    std::string out = m.graph.outputs[0].name;
    for (auto& n : m.graph.nodes)
        for (auto& o : n.outputs)
            if (o == out) o = out + "_half";
    m.graph.add_initializer("two", Tensor::from_vector<float>(DataType::kFloat32, {}, {2.0f}));
    m.graph.nodes.push_back(ir::Node{"double", "Mul", "", {out + "_half", "two"}, {out}, {}, ""});
    runtime::EngineFile edited = e.value();
    edited.graph = model::serialize_model(m).value();
    for (auto& plan : edited.plans) plan.implementations.push_back("");  // the new node names none
    std::string path = (temp_dir() / "payload_doubled.engine").string();
    ASSERT_TRUE(runtime::write_engine_file(path, edited).is_ok());
    auto loaded = open(qdq_model(), options(Precision::kInt8, path));
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded->engine_report().loaded) << loaded->engine_report().message;
    Tensor y = run_once(*loaded, small_cnn_input(1, 1));
    ASSERT_EQ(y.numel(), saved.out1.numel());
    for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y.data_as<float>()[i], 2.0f * saved.out1.data_as<float>()[i]);
}

// Every header field: a file differing only there is not used; the message names the field.
TEST(EngineFile, EveryHeaderMismatchRebuildsNamingTheField) {
    Saved saved = save(kSmallCnn, Precision::kFp32, "header.engine");
    auto e = runtime::read_engine_file(saved.engine);
    ASSERT_TRUE(e.is_ok());
    ASSERT_EQ(e.value().header.size(), 9u);
    for (size_t f = 0; f <= e.value().header.size(); ++f) {
        runtime::EngineFile edited = e.value();
        std::string field;
        if (f < edited.header.size()) {
            field = edited.header[f].first;
            edited.header[f].second += "x";
        } else {
            field = "format version " + std::to_string(runtime::kEngineFormatVersion + 1);
            edited.format_version = runtime::kEngineFormatVersion + 1;
        }
        std::string path = (temp_dir() / ("header_" + std::to_string(f) + ".engine")).string();
        ASSERT_TRUE(runtime::write_engine_file(path, edited).is_ok());
        auto s = open(kSmallCnn, options(Precision::kFp32, path));
        ASSERT_TRUE(s);
        const EngineReport& r = s->engine_report();
        EXPECT_TRUE(r.requested);
        EXPECT_FALSE(r.loaded) << field;
        EXPECT_NE(r.message.find(field), std::string::npos) << r.message;
        EXPECT_NE(r.message.find(path), std::string::npos) << r.message;
        EXPECT_NE(r.message.find("building the session from"), std::string::npos) << r.message;
        EXPECT_TRUE(bit_identical(run_once(*s, small_cnn_input(1, 1)), saved.out1)) << field;
    }
}

TEST(EngineFile, OtherModelOptionsOrThreadsRebuild) {
    Saved saved = save(kSmallCnn, Precision::kFp32, "options.engine");
    struct Variant {
        std::string model;
        SessionOptions opts;
        std::string field;
    };
    std::vector<Variant> variants;
    variants.push_back({qdq_model(), options(Precision::kFp32, saved.engine), "model_sha256"});
    variants.push_back(
        {kSmallCnn, options(Precision::kBf16, saved.engine), "precision is 'fp32' in the file but 'bf16'"});
    SessionOptions o = options(Precision::kFp32, saved.engine);
    o.num_threads = 1;
    variants.push_back({kSmallCnn, o, "num_threads"});
    o = options(Precision::kFp32, saved.engine);
    o.optimization_level = GraphOptimizationLevel::kBasic;
    variants.push_back({kSmallCnn, o, "optimization_level"});
    o = options(Precision::kFp32, saved.engine);
    o.keep_fp32_nodes = {"conv"};
    variants.push_back({kSmallCnn, o, "keep_fp32_nodes"});
    o = options(Precision::kFp32, saved.engine);
    o.tactics = TacticMode::kDirectOnly;
    variants.push_back({kSmallCnn, o, "tactics is 'fast' in the file but 'direct-only'"});
    for (const Variant& v : variants) {
        auto s = open(v.model, v.opts);
        ASSERT_TRUE(s);
        EXPECT_FALSE(s->engine_report().loaded) << v.field;
        EXPECT_NE(s->engine_report().message.find(v.field), std::string::npos) << s->engine_report().message;
    }
}

TEST(EngineFile, TruncatedAndCorruptFilesGiveCleanErrorsAndRebuild) {
    Saved saved = save(kSmallCnn, Precision::kFp32, "bad.engine");
    const std::string good = read_bytes(saved.engine);
    ASSERT_GT(good.size(), 200u);
    std::string path = (temp_dir() / "bad_copy.engine").string();
    auto expect_rebuild = [&](const std::string& bytes, const std::string& words, const std::string& what) {
        auto d = runtime::decode_engine(bytes.data(), bytes.size(), "f.engine");
        if (!d.is_ok()) {
            EXPECT_NE(d.status().message().find(words), std::string::npos) << what << ": " << d.status().message();
            EXPECT_NE(d.status().message().find("f.engine"), std::string::npos) << d.status().message();
        } else {
            EXPECT_NE(d.value().format_version, runtime::kEngineFormatVersion) << what;
        }
        write_bytes(path, bytes);
        auto s = open(kSmallCnn, options(Precision::kFp32, path));
        ASSERT_TRUE(s);
        EXPECT_FALSE(s->engine_report().loaded) << what;
        EXPECT_NE(s->engine_report().message.find(path), std::string::npos) << s->engine_report().message;
        EXPECT_TRUE(bit_identical(run_once(*s, small_cnn_input(1, 1)), saved.out1)) << what;
    };
    for (size_t cut : {size_t{0}, size_t{3}, size_t{8}, size_t{11}, size_t{16}, size_t{40}, good.size() / 2,
                       good.size() - 33, good.size() - 1})
        expect_rebuild(good.substr(0, cut), cut < 8 ? "not an edgeinfer engine file" : "truncated",
                       "cut at " + std::to_string(cut));
    expect_rebuild(good + "extra", "malformed", "trailing bytes");
    // Single flipped bytes across the whole file: the magic, the version, the header, the payload, the checksum.
    for (size_t k = 0; k < 24; ++k) {
        size_t at = k < 8 ? k : 8 + (good.size() - 9) * (k - 8) / 15;
        std::string bytes = good;
        bytes[at] = static_cast<char>(bytes[at] ^ 0x5a);
        auto d = runtime::decode_engine(bytes.data(), bytes.size(), "f.engine");
        EXPECT_TRUE(!d.is_ok() || d.value().format_version != runtime::kEngineFormatVersion) << "flip at " << at;
        expect_rebuild(bytes,
                       at < 8                   ? "not an edgeinfer engine file"
                       : at + 32 >= good.size() ? "checksum"
                                                : "",
                       "flip at " + std::to_string(at));
    }
    // The payload decoder itself (reached without the checksum, as the fuzzer does) on flipped bytes:
    // a Status naming the file or a decoded engine, never a crash (ASan builds check the reads).
    for (size_t at = 12; at + 32 < good.size(); at += 37) {
        std::string bytes = good;
        bytes[at] = static_cast<char>(bytes[at] ^ 0xff);
        auto d = runtime::decode_engine(bytes.data(), bytes.size(), "f.engine", false);
        if (!d.is_ok()) {
            EXPECT_NE(d.status().message().find("f.engine"), std::string::npos) << d.status().message();
        }
    }
    // A missing file.
    auto s = open(kSmallCnn, options(Precision::kFp32, (temp_dir() / "missing.engine").string()));
    ASSERT_TRUE(s);
    EXPECT_FALSE(s->engine_report().loaded);
    EXPECT_NE(s->engine_report().message.find("no such engine file"), std::string::npos) << s->engine_report().message;
}

TEST(EngineFile, DifferentKernelChoiceIsReported) {
    Saved saved = save(kSmallCnn, Precision::kFp32, "kernels.engine");
    auto e = runtime::read_engine_file(saved.engine);
    ASSERT_TRUE(e.is_ok());
    bool changed = false;
    for (std::string& impl : e.value().plans[0].implementations)
        if (!impl.empty() && !changed) {
            impl = "onednn:made_up";
            changed = true;
        }
    ASSERT_TRUE(changed);
    std::string path = (temp_dir() / "kernels_edited.engine").string();
    ASSERT_TRUE(runtime::write_engine_file(path, e.value()).is_ok());
    auto s = open(kSmallCnn, options(Precision::kFp32, path));
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->engine_report().loaded);
    EXPECT_NE(s->engine_report().message.find("the file recorded 'onednn:made_up'"), std::string::npos)
        << s->engine_report().message;
    EXPECT_NE(s->engine_report().message.find("Conv"), std::string::npos) << s->engine_report().message;
    EXPECT_TRUE(bit_identical(run_once(*s, small_cnn_input(1, 1)), saved.out1));
}

TEST(EngineFile, FromBytesAndSaveErrors) {
    std::string bytes = read_bytes(kSmallCnn);
    auto fresh = Session::create_from_bytes(bytes.data(), bytes.size(), options(Precision::kFp32));
    ASSERT_TRUE(fresh.is_ok());
    Tensor y = run_once(*fresh.value(), small_cnn_input(1, 1));
    std::string path = (temp_dir() / "bytes.engine").string();
    ASSERT_TRUE(fresh.value()->save_engine(path).is_ok());
    auto loaded = Session::create_from_bytes(bytes.data(), bytes.size(), options(Precision::kFp32, path));
    ASSERT_TRUE(loaded.is_ok());
    EXPECT_TRUE(loaded.value()->engine_report().loaded) << loaded.value()->engine_report().message;
    EXPECT_TRUE(bit_identical(run_once(*loaded.value(), small_cnn_input(1, 1)), y));
    // The file-based session made from these bytes uses the same engine.
    auto from_file = open(kSmallCnn, options(Precision::kFp32, path));
    EXPECT_TRUE(from_file && from_file->engine_report().loaded);

    Status st = fresh.value()->save_engine((temp_dir() / "no_such_dir" / "x.engine").string());
    EXPECT_EQ(st.code(), StatusCode::kIoError) << st.to_string();
    EXPECT_NE(st.message().find("no_such_dir"), std::string::npos) << st.message();

    // A file session whose model changed after creation cannot save (the hash would not describe its graph).
    std::string copy = (temp_dir() / "changing.onnx").string();
    fs::copy_file(kSmallCnn, copy, fs::copy_options::overwrite_existing);
    auto s = open(copy, options(Precision::kFp32));
    ASSERT_TRUE(s);
    write_bytes(copy, read_bytes(qdq_model()));
    st = s->save_engine((temp_dir() / "changing.engine").string());
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.to_string();
    EXPECT_NE(st.message().find("changed since the session was created"), std::string::npos) << st.message();
}

TEST(EngineCli, RunSavesAndLoadsBenchLoads) {
    using cli_test::run_cli;
    std::string engine = (temp_dir() / "cli.engine").string();
    std::string out_a = (temp_dir() / "cli_a").string(), out_b = (temp_dir() / "cli_b").string();
    auto r = run_cli("run " + kSmallCnn + " -t 2 --seed 3 --save-engine " + engine + " -o " + out_a);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("wrote engine " + engine), std::string::npos) << r.out;
    r = run_cli("run " + kSmallCnn + " -t 2 --seed 3 --load-engine " + engine + " -o " + out_b);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("loaded engine " + engine), std::string::npos) << r.out;
    EXPECT_EQ(read_bytes(out_a + "/logits.npy"), read_bytes(out_b + "/logits.npy"));
    // Another model with this engine: a note naming the field, then the model's own results.
    r = run_cli("run " + qdq_model() + " -t 2 --load-engine " + engine);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("note: " + engine + ": engine file does not match: model_sha256"), std::string::npos) << r.out;
    // Other threads: the same.
    r = run_cli("run " + kSmallCnn + " -t 1 --load-engine " + engine);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("num_threads is '2' in the file but '1' here"), std::string::npos) << r.out;
    // oneDNN capped at AVX2 (as on an older CPU): the real cpu_isa field differs when this machine has more.
    // (x86 only: AVX2 is an x86 level; on aarch64 cpu_isa is asimd or sve_<bits>.)
    auto saved = runtime::read_engine_file(engine);
    ASSERT_TRUE(saved.is_ok());
#if defined(__x86_64__)
    if (saved.value().header[2].second != "avx2" && saved.value().header[2].second != "avx2_vnni") {
        setenv("ONEDNN_MAX_CPU_ISA", "AVX2", 1);
        r = run_cli("run " + kSmallCnn + " -t 2 --load-engine " + engine);
        unsetenv("ONEDNN_MAX_CPU_ISA");
        EXPECT_EQ(r.code, 0) << r.out;
        EXPECT_NE(r.out.find("cpu_isa is '" + saved.value().header[2].second + "' in the file but 'avx2' here"),
                  std::string::npos)
            << r.out;
    }
#endif
    r = run_cli("bench " + kSmallCnn + " -t 2 -n 3 -w 0 --json --load-engine " + engine);
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("loaded engine"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\"engine_loaded\": true"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer::testing

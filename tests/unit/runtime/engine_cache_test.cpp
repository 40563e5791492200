// Engine caches (SessionOptions::engine_cache_dir) through the library: the first session builds and
// writes the entry, the next one loads it without rewriting it, a corrupt or truncated entry is rebuilt
// with one message saying why, and every option that changes the plan, the model bytes and its external
// data name another entry.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "../scratch_dir.hpp"
#include "edgeinfer/session.hpp"
#include "model/onnx_model.hpp"
#include "runtime_test_util.hpp"

namespace edgeinfer::testing {
namespace {

namespace fs = std::filesystem;

// This program's scratch folder, removed after the last test.
fs::path temp_dir() {
    static const fs::path d = make_scratch_dir("edgeinfer_engine_cache_test");
    return d;
}

SessionOptions cached(const std::string& dir, int threads = 2) {
    SessionOptions o;
    o.num_threads = threads;
    o.engine_cache_dir = dir;
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

size_t files_in(const fs::path& dir) {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
    return n;
}

TEST(EngineCache, FirstSessionWritesTheEntryTheNextLoadsIt) {
    const std::string dir = (temp_dir() / "reuse" / "nested").string();  // created on first use
    auto first = open(kSmallCnn, cached(dir));
    ASSERT_TRUE(first);
    const EngineReport& r1 = first->engine_report();
    EXPECT_TRUE(r1.requested);
    EXPECT_FALSE(r1.loaded);
    EXPECT_TRUE(r1.cache_written);
    EXPECT_EQ(r1.message, "");  // a missing entry is the first use, not a problem
    ASSERT_TRUE(fs::is_regular_file(r1.cache_entry)) << r1.cache_entry;
    EXPECT_EQ(fs::path(r1.cache_entry).parent_path(), fs::path(dir));
    EXPECT_EQ(fs::path(r1.cache_entry).extension(), ".engine");
    EXPECT_EQ(files_in(dir), 1u);  // no temporary file left behind
    const auto written_at = fs::last_write_time(r1.cache_entry);
    const Tensor want = run_once(*first, small_cnn_input(1, 7));

    auto second = open(kSmallCnn, cached(dir));
    ASSERT_TRUE(second);
    const EngineReport& r2 = second->engine_report();
    EXPECT_TRUE(r2.loaded) << r2.message;
    EXPECT_FALSE(r2.cache_written);
    EXPECT_EQ(r2.cache_entry, r1.cache_entry);
    EXPECT_EQ(fs::last_write_time(r2.cache_entry), written_at);
    EXPECT_TRUE(bit_identical(run_once(*second, small_cnn_input(1, 7)), want));
}

TEST(EngineCache, StaticInputShapesArePlannedBeforeTheEntryIsWritten) {
    // A model whose input is fully fixed: the entry lists its plan, so a loaded session starts with it.
    auto m = model::load_model(kSmallCnn);
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    ir::Model fixed = std::move(m).value();
    ASSERT_FALSE(fixed.graph.inputs.empty());
    fixed.graph.inputs[0].shape.dims[0] = ir::Dim::known(1);
    fixed.graph.outputs[0].shape.dims[0] = ir::Dim::known(1);
    const std::string path = (temp_dir() / "fixed_batch.onnx").string();
    ASSERT_TRUE(model::save_model(fixed, path).is_ok());
    const std::string dir = (temp_dir() / "static").string();
    auto first = open(path, cached(dir));
    ASSERT_TRUE(first);
    EXPECT_EQ(first->plan_count(), 1u);
    auto second = open(path, cached(dir));
    ASSERT_TRUE(second);
    EXPECT_TRUE(second->engine_report().loaded);
    EXPECT_EQ(second->plan_count(), 1u);
}

TEST(EngineCache, CorruptOrTruncatedEntryIsRebuiltWithOneMessage) {
    const std::string dir = (temp_dir() / "corrupt").string();
    auto first = open(kSmallCnn, cached(dir));
    ASSERT_TRUE(first);
    const std::string entry = first->engine_report().cache_entry;
    const Tensor want = run_once(*first, small_cnn_input(2, 3));
    const std::string good = read_bytes(entry);
    ASSERT_GT(good.size(), 100u);
    struct Damage {
        std::string bytes, words;
    };
    std::string flipped = good;
    flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x5a);
    for (const Damage& d : {Damage{flipped, "corrupt"}, Damage{good.substr(0, good.size() / 3), "truncated"},
                            Damage{"", "not an edgeinfer engine file"}}) {
        write_bytes(entry, d.bytes);
        auto s = open(kSmallCnn, cached(dir));
        ASSERT_TRUE(s);
        const EngineReport& r = s->engine_report();
        EXPECT_FALSE(r.loaded);
        EXPECT_TRUE(r.cache_written);
        EXPECT_NE(r.message.find(entry), std::string::npos) << r.message;
        EXPECT_NE(r.message.find(d.words), std::string::npos) << r.message;
        EXPECT_NE(r.message.find("rewritten"), std::string::npos) << r.message;
        EXPECT_EQ(r.message.find('\n'), std::string::npos) << r.message;  // one line
        EXPECT_TRUE(bit_identical(run_once(*s, small_cnn_input(2, 3)), want));
        EXPECT_EQ(read_bytes(entry).size(), good.size());  // rewritten whole
        auto again = open(kSmallCnn, cached(dir));
        ASSERT_TRUE(again);
        EXPECT_TRUE(again->engine_report().loaded) << again->engine_report().message;
    }
}

TEST(EngineCache, OptionsThatChangeThePlanNameOtherEntries) {
    const std::string dir = (temp_dir() / "options").string();
    std::vector<SessionOptions> variants(5, cached(dir));
    variants[1].num_threads = 1;
    variants[2].optimization_level = GraphOptimizationLevel::kNone;
    variants[3].keep_fp32_nodes = {"x"};  // not checked against the model by the library
    variants[4].shape_profiles = {{{{"input", {1, 3, 8, 8}, {2, 3, 8, 8}, {4, 3, 8, 8}}}}};
    std::set<std::string> entries;
    for (const SessionOptions& o : variants) {
        auto s = open(kSmallCnn, o);
        ASSERT_TRUE(s);
        EXPECT_TRUE(s->engine_report().cache_written);
        entries.insert(s->engine_report().cache_entry);
    }
    EXPECT_EQ(entries.size(), variants.size());
    EXPECT_EQ(files_in(dir), variants.size());
    // Equal options name the same entry, whatever else differs (max_memory_bytes, profiling).
    SessionOptions same = variants[0];
    same.enable_profiling = true;
    same.max_memory_bytes = size_t{1} << 30;
    auto s = open(kSmallCnn, same);
    ASSERT_TRUE(s);
    EXPECT_TRUE(s->engine_report().loaded);
    EXPECT_EQ(entries.count(s->engine_report().cache_entry), 1u);
}

TEST(EngineCache, ModelBytesAndExternalDataNameTheEntry) {
    auto m = model::load_model(kSmallCnn);
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    ir::Model model = std::move(m).value();
    const fs::path folder = temp_dir() / "external";
    fs::create_directories(folder);
    const std::string path = (folder / "ext.onnx").string();
    model::SaveOptions so;
    so.external_data = true;
    so.external_threshold = 16;
    ASSERT_TRUE(model::save_model(model, path, so).is_ok());
    ASSERT_TRUE(fs::exists(folder / "ext.onnx.data"));
    const std::string dir = (temp_dir() / "external_cache").string();
    auto a = open(path, cached(dir));
    ASSERT_TRUE(a);
    const std::string entry_a = a->engine_report().cache_entry;
    const std::string onnx_bytes = read_bytes(path);

    // Same .onnx bytes, other weights in the .data file: another entry, and the new weights run.
    ASSERT_EQ(model.graph.initializers.count("conv.weight"), 1u);
    Tensor& w = model.graph.initializers.at("conv.weight");
    ASSERT_EQ(w.dtype(), DataType::kFloat32);
    for (int64_t i = 0; i < w.numel(); ++i) w.data_as<float>()[i] *= 2.0f;
    ASSERT_TRUE(model::save_model(model, path, so).is_ok());
    ASSERT_EQ(read_bytes(path), onnx_bytes);
    auto b = open(path, cached(dir));
    ASSERT_TRUE(b);
    EXPECT_FALSE(b->engine_report().loaded);
    EXPECT_NE(b->engine_report().cache_entry, entry_a);
    EXPECT_FALSE(bit_identical(run_once(*a, small_cnn_input(1, 5)), run_once(*b, small_cnn_input(1, 5))));

    // Another model (small_cnn itself): another entry.
    auto c = open(kSmallCnn, cached(dir));
    ASSERT_TRUE(c);
    EXPECT_NE(c->engine_report().cache_entry, entry_a);
    EXPECT_NE(c->engine_report().cache_entry, b->engine_report().cache_entry);
}

TEST(EngineCache, InMemoryModelsUseTheCacheToo) {
    const std::string bytes = read_bytes(kSmallCnn);
    const std::string dir = (temp_dir() / "memory").string();
    auto first = Session::create_from_bytes(bytes.data(), bytes.size(), cached(dir));
    ASSERT_TRUE(first.is_ok()) << first.status().to_string();
    EXPECT_TRUE(first.value()->engine_report().cache_written);
    auto second = Session::create_from_bytes(bytes.data(), bytes.size(), cached(dir));
    ASSERT_TRUE(second.is_ok()) << second.status().to_string();
    EXPECT_TRUE(second.value()->engine_report().loaded) << second.value()->engine_report().message;
    // The file-based session of the same bytes names the same entry.
    auto from_file = open(kSmallCnn, cached(dir));
    ASSERT_TRUE(from_file);
    EXPECT_TRUE(from_file->engine_report().loaded);
}

TEST(EngineCache, ErrorsAndAnUnwritableFolder) {
    SessionOptions both = cached((temp_dir() / "both").string());
    both.engine_path = (temp_dir() / "x.engine").string();
    auto s = Session::create(kSmallCnn, both);
    ASSERT_FALSE(s.is_ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("engine_cache_dir"), std::string::npos) << s.status().message();
    EXPECT_NE(s.status().message().find("set one"), std::string::npos) << s.status().message();

    // A regular file where the folder should be: the session works, the message says the entry was not written.
    const std::string not_a_dir = (temp_dir() / "plain_file").string();
    write_bytes(not_a_dir, "x");
    auto u = open(kSmallCnn, cached(not_a_dir));
    ASSERT_TRUE(u);
    EXPECT_FALSE(u->engine_report().cache_written);
    EXPECT_NE(u->engine_report().message.find("cannot write"), std::string::npos) << u->engine_report().message;
    EXPECT_EQ(run_once(*u, small_cnn_input(1, 1)).dims(), (std::vector<int64_t>{1, 10}));

    // A missing model is still the loader's error.
    auto missing = Session::create((temp_dir() / "nope.onnx").string(), cached((temp_dir() / "c").string()));
    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgeinfer::testing

// Hostile models (tests/tools/make_hostile_models.py, issue 24): window attributes that make ONNX's shape
// inference divide by zero, external data that leaves the model's folder through a symbolic link, subgraphs
// nested past the loader's limit, and values whose byte counts overflow or exceed the memory limit. Each
// is one clear error with its own code, never a crash, an abort or a read outside the folder.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "../unit/cli/cli_test_util.hpp"
#include "base/duration.hpp"
#include "edgeinfer/session.hpp"
#include "edgeinfer/tools.hpp"
#include "ir/memory.hpp"
#include "ir/npy.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer {
namespace {

std::string hostile(const std::string& name) { return std::string(EDGEINFER_HOSTILE_MODELS_DIR) + "/" + name; }

void expect_status(const Status& s, StatusCode code, const std::vector<std::string>& words) {
    ASSERT_FALSE(s.is_ok());
    EXPECT_EQ(s.code(), code) << s.to_string();
    for (const std::string& w : words) EXPECT_NE(s.message().find(w), std::string::npos) << w << " not in " << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
}

TEST(HostileModel, ZeroStridesAreNamedBeforeShapeInference) {
    auto m = model::load_model(hostile("conv_zero_strides.onnx"));
    expect_status(m.status(), StatusCode::kInvalidModel, {"conv_zero_strides.onnx", "conv0", "strides", "[0, 0]"});
    auto s = Session::create(hostile("conv_zero_strides.onnx"));
    expect_status(s.status(), StatusCode::kInvalidModel, {"conv0", "strides must be positive"});
}

TEST(HostileModel, NegativePadsAreNamed) {
    auto m = model::load_model(hostile("pool_negative_pads.onnx"));
    expect_status(m.status(), StatusCode::kInvalidModel, {"pool0", "pads must not be negative"});
}

TEST(HostileModel, ExternalDataMayNotFollowASymlinkOutOfTheFolder) {
    auto m = model::load_model(hostile("symlink_model/model.onnx"));
    expect_status(m.status(), StatusCode::kInvalidModel, {"tensor 'w'", "weights.bin", "outside the model's directory"});
}

TEST(HostileModel, NestingPastTheLimitIsNamed) {
    auto deep = model::load_model(hostile("nested_if_95.onnx"));
    expect_status(deep.status(), StatusCode::kUnsupported, {"nested deeper", "limit of 200"});

    auto session = Session::create(hostile("nested_if_20.onnx"));  // within the limit: loads and runs
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    bool cond = true;
    float x = 5.0f;
    auto out = (*session)->run({{"c", Tensor::wrap(DataType::kBool, {}, &cond)},
                                {"x", Tensor::wrap(DataType::kFloat32, {1}, &x)}});
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_EQ((*out)[0].tensor.data_as<float>()[0], 5.0f);
}

// A constant-input node whose output no machine holds fails when the session is created (constant
// folding) or run, as kResourceExhausted naming the node: never std::bad_alloc, never a silent success.
void expect_exhausted(const std::string& file, const std::string& node, std::vector<NamedTensor> inputs) {
    auto session = Session::create(hostile(file));
    if (!session.is_ok()) {
        expect_status(session.status(), StatusCode::kResourceExhausted, {node});
        return;
    }
    auto out = (*session)->run(inputs);
    expect_status(out.status(), StatusCode::kResourceExhausted, {node});
}

TEST(HostileModel, HugeRangeIsResourceExhausted) {
    int64_t x = 1;
    expect_exhausted("range_huge.onnx", "range0", {{"x", Tensor::wrap(DataType::kInt64, {1}, &x)}});
}

TEST(HostileModel, OverflowingConstantOfShapeIsResourceExhausted) {
    float x = 1;
    expect_exhausted("constant_of_shape_overflow.onnx", "const0", {{"x", Tensor::wrap(DataType::kFloat32, {1}, &x)}});
}

TEST(HostileModel, IntermediateValuesBeyondPhysicalMemoryAreRefusedBeforeAllocating) {
    auto session = Session::create(hostile("dynamic_relu.onnx"));
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    float dummy = 0;  // never read: the plan is refused before anything runs
    auto out = (*session)->run({{"x", Tensor::wrap(DataType::kFloat32, {100000, 100000, 100000}, &dummy)}});
    expect_status(out.status(), StatusCode::kResourceExhausted, {"relu0", "memory limit"});
}

TEST(HostileModel, MemoryLimitOptionBoundsTheRun) {
    SessionOptions options;
    options.max_memory_bytes = 1024;
    auto session = Session::create(hostile("dynamic_relu.onnx"), options);
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    std::vector<float> small(16, -1.0f), big(1024, -1.0f);
    auto ok = (*session)->run({{"x", Tensor::wrap(DataType::kFloat32, {1, 4, 4}, small.data())}});
    ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
    EXPECT_EQ((*ok)[0].tensor.data_as<float>()[3], 0.0f);  // -relu(-1)
    auto over = (*session)->run({{"x", Tensor::wrap(DataType::kFloat32, {1, 32, 32}, big.data())}});
    expect_status(over.status(), StatusCode::kResourceExhausted, {"relu0", "1024 bytes", "max_memory_bytes"});
    auto again = (*session)->run({{"x", Tensor::wrap(DataType::kFloat32, {1, 4, 4}, small.data())}});
    EXPECT_TRUE(again.is_ok()) << again.status().to_string();  // the session stays usable
}

TEST(HostileModel, HugeSeededInputIsRefusedBeforeAllocating) {
    auto session = Session::create(hostile("dynamic_relu.onnx"));
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    auto inputs = tools::make_inputs((*session)->inputs(), {}, {{"x", {100000, 100000, 100000}}}, 1);
    expect_status(inputs.status(), StatusCode::kResourceExhausted, {"input 'x'", "100000x100000x100000"});
    auto overflow = tools::make_inputs((*session)->inputs(), {}, {{"x", {int64_t{1} << 40, int64_t{1} << 40, 3}}}, 1);
    expect_status(overflow.status(), StatusCode::kResourceExhausted, {"input 'x'"});
}

TEST(HostileModel, CliRunReportsResourceExhaustedWithoutAborting) {
    cli_test::CliRun r = cli_test::run_cli("run " + hostile("dynamic_relu.onnx") + " --shape x:100000x100000x100000");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("ResourceExhausted"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("terminate called"), std::string::npos) << r.out;
    r = cli_test::run_cli("run " + hostile("constant_of_shape_overflow.onnx"));
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("ResourceExhausted"), std::string::npos) << r.out;
}

// A Loop of 2^62 iterations that allocates nothing: only the time limit stops it, naming the node and
// the iterations done; the same session then runs a short loop.
TEST(HostileModel, TimeLimitStopsAnEndlessLoop) {
    SessionOptions options;
    options.run_time_limit_ms = 200;
    auto session = Session::create(hostile("endless_loop.onnx"), options);
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    int64_t n = int64_t{1} << 62;
    float v0 = 0;
    auto start = std::chrono::steady_clock::now();
    auto out = (*session)->run(
        {{"n", Tensor::wrap(DataType::kInt64, {}, &n)}, {"v0", Tensor::wrap(DataType::kFloat32, {}, &v0)}});
    expect_status(out.status(), StatusCode::kResourceExhausted,
                  {"loop0", "stopped after", "of 4611686018427387904 iterations", "200 ms", "run_time_limit_ms"});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
    n = 5;
    auto short_run = (*session)->run(
        {{"n", Tensor::wrap(DataType::kInt64, {}, &n)}, {"v0", Tensor::wrap(DataType::kFloat32, {}, &v0)}});
    ASSERT_TRUE(short_run.is_ok()) << short_run.status().to_string();
    EXPECT_EQ((*short_run)[0].tensor.data_as<float>()[0], 5.0f);
}

TEST(HostileModel, CliTimeLimitFlagStopsAnEndlessLoop) {
    const std::string dir = testing::TempDir() + "/endless_loop_inputs";
    std::filesystem::create_directories(dir);
    Tensor n = Tensor::allocate(DataType::kInt64, {});
    *n.data_as<int64_t>() = int64_t{1} << 62;
    Tensor v0 = Tensor::allocate(DataType::kFloat32, {});
    *v0.data_as<float>() = 0;
    ASSERT_TRUE(ir::write_npy(dir + "/n.npy", n).is_ok());
    ASSERT_TRUE(ir::write_npy(dir + "/v0.npy", v0).is_ok());
    cli_test::CliRun r = cli_test::run_cli("run " + hostile("endless_loop.onnx") + " --time-limit 300ms -i n=" + dir +
                                           "/n.npy -i v0=" + dir + "/v0.npy");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("ResourceExhausted"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("loop0"), std::string::npos) << r.out;
    cli_test::CliRun bad = cli_test::run_cli("run " + hostile("endless_loop.onnx") + " --time-limit soon");
    EXPECT_NE(bad.code, 0) << bad.out;
    EXPECT_NE(bad.out.find("duration 'soon'"), std::string::npos) << bad.out;
}

TEST(TimeLimit, DurationsParse) {
    EXPECT_EQ(*base::parse_duration_ms("250ms"), 250);
    EXPECT_EQ(*base::parse_duration_ms("10s"), 10000);
    EXPECT_EQ(*base::parse_duration_ms("1.5"), 1500);
    EXPECT_EQ(*base::parse_duration_ms("2m"), 120000);
    EXPECT_EQ(*base::parse_duration_ms("0.1ms"), 1);
    for (const char* bad : {"", "soon", "-1s", "1e400", "5 parsecs", "nan"}) {
        auto r = base::parse_duration_ms(bad);
        ASSERT_FALSE(r.is_ok()) << bad;
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
}

TEST(MemoryLimit, ByteSizesParse) {
    EXPECT_EQ(*ir::parse_byte_size("65536"), 65536u);
    EXPECT_EQ(*ir::parse_byte_size("4G"), size_t{4} << 30);
    EXPECT_EQ(*ir::parse_byte_size("512MiB"), size_t{512} << 20);
    EXPECT_EQ(*ir::parse_byte_size("1.5k"), 1536u);
    EXPECT_EQ(*ir::parse_byte_size("2tb"), size_t{2} << 40);
    for (const char* bad : {"", "lots", "4Q", "-1", "1e400", "99999999999T"}) {
        auto r = ir::parse_byte_size(bad);
        ASSERT_FALSE(r.is_ok()) << bad;
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
}

TEST(MemoryLimit, CliMaxMemoryFlagBoundsTheRun) {
    const std::string model = hostile("dynamic_relu.onnx");
    cli_test::CliRun ok = cli_test::run_cli("run " + model + " --shape x:1x4x4 --max-memory 64K");
    EXPECT_EQ(ok.code, 0) << ok.out;
    cli_test::CliRun over = cli_test::run_cli("run " + model + " --shape x:1x64x64 --max-memory 1K");
    EXPECT_EQ(over.code, 1) << over.out;
    EXPECT_NE(over.out.find("ResourceExhausted"), std::string::npos) << over.out;
    EXPECT_NE(over.out.find("relu0"), std::string::npos) << over.out;
    cli_test::CliRun bad = cli_test::run_cli("run " + model + " --max-memory lots");
    EXPECT_NE(bad.code, 0) << bad.out;
    EXPECT_NE(bad.out.find("not a byte size"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace edgeinfer

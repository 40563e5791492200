// Shape profiles (SessionOptions::shape_profiles, trtexec's --minShapes/--optShapes/--maxShapes): opt
// planned at creation, shapes inside run and are cached, shapes outside every profile rejected before
// running with the input, shape and ranges named, bad profiles refused at creation, engine files
// storing the profiles and their plans (files without profiles still load), the parsing of the CLI's
// flags (tools::parse_shape_profile) and `edgeinfer run --min-shapes/--opt-shapes/--max-shapes`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "../cli/cli_test_util.hpp"
#include "edgeinfer/session.hpp"
#include "edgeinfer/tools.hpp"
#include "runtime/engine_file.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;

// input: float32 [batch x 3 x 8 x 8] -> logits [batch x 10]
const std::string kSmallCnn = std::string(EDGEINFER_TEST_MODELS_DIR) + "/small_cnn.onnx";

std::string temp_path(const std::string& name) {
    static fs::path d = [] {
        fs::path p = fs::temp_directory_path() / ("edgeinfer_profile_test_" + std::to_string(getpid()));
        fs::create_directories(p);
        return p;
    }();
    return (d / name).string();
}

Tensor input_of(int64_t batch) {
    std::mt19937 rng(static_cast<uint32_t>(batch));
    std::normal_distribution<float> n(0.0f, 1.0f);
    Tensor t = Tensor::allocate(DataType::kFloat32, {batch, 3, 8, 8});
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = n(rng);
    return t;
}

SessionOptions batch_1_to_8(int64_t opt = 4) {
    SessionOptions o;
    o.num_threads = 2;
    o.shape_profiles = {{{{"input", {1, 3, 8, 8}, {opt, 3, 8, 8}, {8, 3, 8, 8}}}}};
    return o;
}

TEST(ShapeProfiles, OptIsPlannedAtCreationInsideRunsOutsideIsRejected) {
    auto s = Session::create(kSmallCnn, batch_1_to_8());
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    Session& session = *s.value();
    EXPECT_EQ(session.plan_count(), 1u);  // batch 4, before any run
    auto y4 = session.run({{"input", input_of(4)}});
    ASSERT_TRUE(y4.is_ok()) << y4.status().to_string();
    EXPECT_EQ(session.plan_count(), 1u);  // the opt plan was used
    for (int64_t b : {1, 8, 3}) {
        auto y = session.run({{"input", input_of(b)}});
        ASSERT_TRUE(y.is_ok()) << b << ": " << y.status().to_string();
        EXPECT_EQ(y.value()[0].tensor.dims(), (std::vector<int64_t>{b, 10}));
    }
    EXPECT_EQ(session.plan_count(), 4u);  // inside the range: planned lazily, cached
    ASSERT_TRUE(session.run({{"input", input_of(3)}}).is_ok());
    EXPECT_EQ(session.plan_count(), 4u);
    for (int64_t b : {9, 16}) {
        auto bad = session.run({{"input", input_of(b)}});
        ASSERT_FALSE(bad.is_ok());
        EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
        const std::string& msg = bad.status().message();
        EXPECT_NE(msg.find("input 'input' has shape [" + std::to_string(b) + "x3x8x8], outside every shape profile"),
                  std::string::npos)
            << msg;
        EXPECT_NE(msg.find("profile 0: input [1x3x8x8]..[8x3x8x8] opt [4x3x8x8]"), std::string::npos) << msg;
    }
    EXPECT_EQ(session.plan_count(), 4u);  // nothing planned for a rejected shape
}

TEST(ShapeProfiles, AShapeInAnyProfileRuns) {
    SessionOptions o = batch_1_to_8(2);
    o.shape_profiles[0].inputs[0].max = {2, 3, 8, 8};
    o.shape_profiles.push_back({{{"input", {16, 3, 8, 8}, {16, 3, 8, 8}, {32, 3, 8, 8}}}});
    auto s = Session::create(kSmallCnn, o);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    EXPECT_EQ(s.value()->plan_count(), 2u);  // both opt shapes
    EXPECT_TRUE(s.value()->run({{"input", input_of(2)}}).is_ok());
    EXPECT_TRUE(s.value()->run({{"input", input_of(20)}}).is_ok());
    auto bad = s.value()->run({{"input", input_of(5)}});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("profile 0: input [1x3x8x8]..[2x3x8x8] opt [2x3x8x8]; profile 1: input "
                                          "[16x3x8x8]..[32x3x8x8] opt [16x3x8x8]"),
              std::string::npos)
        << bad.status().message();
}

TEST(ShapeProfiles, BadProfilesAreRefusedAtCreation) {
    struct Case {
        InputShapeRange range;
        std::string words;
    };
    std::vector<Case> cases = {
        {{"image", {1, 3, 8, 8}, {1, 3, 8, 8}, {1, 3, 8, 8}}, "names input 'image', the model's inputs are: input"},
        {{"input", {1, 3, 8}, {1, 3, 8}, {1, 3, 8}}, "must have the input's rank 4"},
        {{"input", {4, 3, 8, 8}, {2, 3, 8, 8}, {8, 3, 8, 8}}, "dim 0 must satisfy 0 <= min <= opt <= max"},
        {{"input", {1, 3, 8, 8}, {1, 3, 9, 8}, {1, 3, 9, 8}}, "dim 2 is fixed at 8 in the model"},
    };
    for (const Case& c : cases) {
        SessionOptions o;
        o.shape_profiles = {{{c.range}}};
        auto s = Session::create(kSmallCnn, o);
        ASSERT_FALSE(s.is_ok()) << c.words;
        EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
        EXPECT_NE(s.status().message().find("shape profile 0"), std::string::npos) << s.status().message();
        EXPECT_NE(s.status().message().find(c.words), std::string::npos) << s.status().message();
    }
    SessionOptions empty;
    empty.shape_profiles = {ShapeProfile{}};  // names nothing: the dynamic input has no opt shape
    auto s = Session::create(kSmallCnn, empty);
    ASSERT_FALSE(s.is_ok());
    EXPECT_NE(s.status().message().find("does not name input 'input', which has dynamic dims"), std::string::npos)
        << s.status().message();
}

TEST(ShapeProfiles, EngineFilesStoreProfilesAndTheirPlans) {
    const std::string engine = temp_path("profiled.engine");
    {
        auto s = Session::create(kSmallCnn, batch_1_to_8());
        ASSERT_TRUE(s.is_ok()) << s.status().to_string();
        ASSERT_TRUE(s.value()->save_engine(engine).is_ok());  // no run: the opt plan alone
    }
    auto saved = runtime::read_engine_file(engine);
    ASSERT_TRUE(saved.is_ok()) << saved.status().to_string();
    ASSERT_EQ(saved->plans.size(), 1u);
    EXPECT_EQ(saved->plans[0].input_dims[0], (std::vector<int64_t>{4, 3, 8, 8}));
    bool has_field = false;
    for (const auto& [field, value] : saved->header)
        has_field =
            has_field || (field == "shape_profiles" && value == "profile 0: input [1x3x8x8]..[8x3x8x8] opt [4x3x8x8]");
    EXPECT_TRUE(has_field);

    SessionOptions o = batch_1_to_8();
    o.engine_path = engine;
    auto loaded = Session::create(kSmallCnn, o);
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
    EXPECT_TRUE(loaded.value()->engine_report().loaded) << loaded.value()->engine_report().message;
    EXPECT_EQ(loaded.value()->plan_count(), 1u);
    EXPECT_FALSE(loaded.value()->run({{"input", input_of(9)}}).is_ok());  // the profile holds when loaded

    // Other profiles: rebuilt, naming the field. No profiles at all: likewise.
    o = batch_1_to_8(2);
    o.engine_path = engine;
    auto other = Session::create(kSmallCnn, o);
    ASSERT_TRUE(other.is_ok()) << other.status().to_string();
    EXPECT_FALSE(other.value()->engine_report().loaded);
    EXPECT_NE(other.value()->engine_report().message.find("shape_profiles is 'profile 0: input "), std::string::npos)
        << other.value()->engine_report().message;
    SessionOptions none;
    none.num_threads = 2;
    none.engine_path = engine;
    auto plain = Session::create(kSmallCnn, none);
    ASSERT_TRUE(plain.is_ok());
    EXPECT_FALSE(plain.value()->engine_report().loaded);
    EXPECT_NE(plain.value()->engine_report().message.find("unknown field 'shape_profiles'"), std::string::npos)
        << plain.value()->engine_report().message;

    // A file saved without profiles (as before profiles existed) still loads into a session without them.
    const std::string old_style = temp_path("plain.engine");
    ASSERT_TRUE(plain.value()->save_engine(old_style).is_ok());
    none.engine_path = old_style;
    auto again = Session::create(kSmallCnn, none);
    ASSERT_TRUE(again.is_ok());
    EXPECT_TRUE(again.value()->engine_report().loaded) << again.value()->engine_report().message;
}

TEST(ShapeProfiles, ParseShapeProfileFromFlags) {
    auto p = tools::parse_shape_profile({"input:1x3x8x8,mask:1x4"}, {"input:4x3x8x8", "mask:2x4"},
                                        {"input:8x3x8x8,mask:8x4"});
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    ASSERT_EQ(p->inputs.size(), 2u);
    EXPECT_EQ(p->inputs[0].name, "input");
    EXPECT_EQ(p->inputs[0].min, (std::vector<int64_t>{1, 3, 8, 8}));
    EXPECT_EQ(p->inputs[0].opt, (std::vector<int64_t>{4, 3, 8, 8}));
    EXPECT_EQ(p->inputs[0].max, (std::vector<int64_t>{8, 3, 8, 8}));
    EXPECT_EQ(p->inputs[1].name, "mask");
    EXPECT_EQ(p->inputs[1].opt, (std::vector<int64_t>{2, 4}));
    auto missing = tools::parse_shape_profile({"input:1x3x8x8"}, {"input:4x3x8x8"}, {});
    ASSERT_FALSE(missing.is_ok());
    EXPECT_NE(missing.status().message().find("input 'input' must be given in all of"), std::string::npos);
    auto bad = tools::parse_shape_profile({"input:1xAx8"}, {"input:1x3x8"}, {"input:1x3x8"});
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("--min-shapes"), std::string::npos) << bad.status().message();
    EXPECT_EQ(tools::with_opt_shapes({{"other", {2}}}, {p.value()}),
              (tools::ShapeMap{{"input", {4, 3, 8, 8}}, {"mask", {2, 4}}, {"other", {2}}}));
}

TEST(ShapeProfilesCli, RunUsesOptAndRejectsAShapeOutside) {
    using cli_test::run_cli;
    const std::string flags = " -t 2 --min-shapes input:1x3x8x8 --opt-shapes input:4x3x8x8 --max-shapes input:8x3x8x8";
    auto r = run_cli("run " + kSmallCnn + flags);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("input  float32  [4x3x8x8]"), std::string::npos) << r.out;  // random input at opt
    r = run_cli("run " + kSmallCnn + flags + " --shape input:9x3x8x8");
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("input 'input' has shape [9x3x8x8], outside every shape profile (profile 0: input "
                         "[1x3x8x8]..[8x3x8x8] opt [4x3x8x8])"),
              std::string::npos)
        << r.out;
    r = run_cli("bench " + kSmallCnn + flags + " -n 2 -w 0 --input-sets 1 --json");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("\"shape\": [\n    4,"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer

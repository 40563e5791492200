// Convolution tactics (SessionOptions::tactics, docs/tactics.md): the mode name table, `timed` timing a
// 3x3 conv and recording its choice, `direct-only` never using Winograd, `fast` choosing F(4,3) or F(2,3) by
// output size, engine files carrying the choice so a loaded session times nothing, and the profile naming
// each conv's tactic. CTest runs it also with oneDNN capped at AVX2 (tactics_avx2), where there is no Winograd.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include "../passes/pass_test_util.hpp"
#include "edgeinfer/precision.hpp"
#include "edgeinfer/session.hpp"
#include "kernels/registry.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using testing::attr_is;
using testing::ModelBuilder;
using testing::random_tensor;

// One 3x3 stride-1 conv, 64 -> 64 channels on hw x hw (28: a Winograd candidate that the fast heuristic takes),
// followed by a 1x1 conv (never a candidate).
std::string conv_model_bytes(int64_t hw = 28) {
    ModelBuilder b;
    b.input("x", {1, 64, hw, hw})
        .init("w3", random_tensor({64, 64, 3, 3}, 1, 0.05f))
        .init("b3", random_tensor({64}, 2, 0.1f))
        .init("w1", random_tensor({16, 64, 1, 1}, 3, 0.1f))
        .node("Conv", {"x", "w3", "b3"}, {"h"}, "conv3x3",
              {attr_is("pads", {1, 1, 1, 1}), attr_is("kernel_shape", {3, 3})})
        .node("Conv", {"h", "w1"}, {"y"}, "conv1x1")
        .output("y");
    auto bytes = model::serialize_model(b.build());
    EXPECT_TRUE(bytes.is_ok());
    return bytes.is_ok() ? *bytes : std::string();
}

std::unique_ptr<Session> open(const std::string& bytes, TacticMode mode, const std::string& engine = "") {
    SessionOptions o;
    o.num_threads = 1;
    o.tactics = mode;
    o.enable_profiling = true;
    o.engine_path = engine;
    auto s = Session::create_from_bytes(bytes.data(), bytes.size(), o);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s.is_ok() ? std::move(s).value() : nullptr;
}

Tensor run_once(Session& s, int64_t hw = 28) {
    auto out = s.run({{"x", random_tensor({1, 64, hw, hw}, 7)}});
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    return out.is_ok() ? out.value()[0].tensor : Tensor();
}

const NodeProfile* node(const Session& s, const std::string& name, std::vector<NodeProfile>& keep) {
    keep = s.profile();
    for (const NodeProfile& p : keep)
        if (p.node_name == name) return &p;
    ADD_FAILURE() << "no node " << name;
    return nullptr;
}

bool uses_winograd_kernel(const NodeProfile& p) { return p.kernel.find("wino") != std::string::npos; }

// The tactic a profile's kernel name says ran: oneDNN 2.6's F(4,3) is "jit_wino_4x3", its F(2,3)
// "jit_fp32_wino_2x3".
std::string tactic_of_kernel(const NodeProfile& p) {
    if (p.kernel.find("wino_4x3") != std::string::npos) return "winograd_4x3";
    return uses_winograd_kernel(p) ? "winograd" : "direct";
}

double max_diff_of_range(const Tensor& a, const Tensor& ref) {
    const float* x = a.data_as<float>();
    const float* r = ref.data_as<float>();
    float lo = r[0], hi = r[0];
    double worst = 0;
    for (int64_t i = 0; i < ref.numel(); ++i) {
        lo = std::min(lo, r[i]);
        hi = std::max(hi, r[i]);
        worst = std::max(worst, static_cast<double>(std::fabs(x[i] - r[i])));
    }
    return worst / std::max(1e-30, static_cast<double>(hi - lo));
}

TEST(Tactics, ModeNameTable) {
    for (TacticMode m : {TacticMode::kFast, TacticMode::kTimed, TacticMode::kDirectOnly}) {
        auto back = parse_tactic_mode(to_string(m));
        ASSERT_TRUE(back.is_ok()) << to_string(m);
        EXPECT_EQ(back.value(), m);
    }
    EXPECT_EQ(to_string(TacticMode::kDirectOnly), "direct-only");
    EXPECT_EQ(tactic_mode_choices(), "fast|timed|direct-only");
    auto bad = parse_tactic_mode("winograd");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_NE(bad.status().message().find("'winograd'"), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find("fast|timed|direct-only"), std::string::npos) << bad.status().message();
    EXPECT_EQ(SessionOptions{}.tactics, TacticMode::kFast);
}

// `timed` times the 3x3 conv (and only it), records a tactic that matches the kernel oneDNN runs, and the
// output stays within the tactic accuracy bound of the direct result.
TEST(Tactics, TimedTimesTheCandidateAndRecordsItsChoice) {
    const std::string bytes = conv_model_bytes();
    auto timed = open(bytes, TacticMode::kTimed);
    auto direct = open(bytes, TacticMode::kDirectOnly);
    ASSERT_TRUE(timed && direct);
    EXPECT_EQ(timed->tactic_timings(), 0u) << "plans are built at the first run";
    Tensor yt = run_once(*timed), yd = run_once(*direct);
    EXPECT_EQ(timed->tactic_timings(), 1u) << "one conv is a Winograd candidate";
    run_once(*timed);
    EXPECT_EQ(timed->tactic_timings(), 1u) << "the plan is reused, nothing is timed again";
    std::vector<NodeProfile> keep;
    const NodeProfile* c3 = node(*timed, "conv3x3", keep);
    ASSERT_TRUE(c3);
    EXPECT_TRUE(c3->tactic == "direct" || c3->tactic == "winograd" || c3->tactic == "winograd_4x3") << c3->tactic;
    EXPECT_EQ(c3->tactic, tactic_of_kernel(*c3)) << c3->kernel;
    if (!kernels::winograd_available()) {
        EXPECT_EQ(c3->tactic, "direct") << "no Winograd below AVX-512";
    }
    std::cout << "timed tactic for conv3x3: " << c3->tactic << " (" << c3->kernel << ")\n";
    std::vector<NodeProfile> keep1;
    const NodeProfile* c1 = node(*timed, "conv1x1", keep1);
    ASSERT_TRUE(c1);
    EXPECT_EQ(c1->tactic, "direct");
    EXPECT_LE(max_diff_of_range(yt, yd), 1e-4);
}

TEST(Tactics, DirectOnlyNeverUsesWinograd) {
    auto s = open(conv_model_bytes(), TacticMode::kDirectOnly);
    ASSERT_TRUE(s);
    run_once(*s);
    EXPECT_EQ(s->tactic_timings(), 0u);
    for (const NodeProfile& p : s->profile()) {
        if (p.op_type != "Conv") continue;
        EXPECT_EQ(p.tactic, "direct") << p.node_name;
        EXPECT_FALSE(uses_winograd_kernel(p)) << p.node_name << ": " << p.kernel;
    }
}

// `fast` times nothing; on a CPU where oneDNN has Winograd (AVX-512) the 64-channel 3x3 conv uses F(4,3) on
// 28x28 outputs (49 tiles of 4x4), F(2,3) on 14x14 (16 tiles) and direct on 7x7; without AVX-512 it runs direct.
// Each output stays within 1e-4 of the direct one's range.
TEST(Tactics, FastPicksTheWinogradImplementationByOutputSize) {
    const bool wino = kernels::winograd_available();
    for (auto [hw, expected] : {std::pair<int64_t, const char*>{28, "winograd_4x3"}, {14, "winograd"}, {7, "direct"}}) {
        SCOPED_TRACE("64 channels at " + std::to_string(hw) + "x" + std::to_string(hw));
        const std::string bytes = conv_model_bytes(hw);
        auto fast = open(bytes, TacticMode::kFast);
        auto direct = open(bytes, TacticMode::kDirectOnly);
        ASSERT_TRUE(fast && direct);
        Tensor yf = run_once(*fast, hw), yd = run_once(*direct, hw);
        EXPECT_EQ(fast->tactic_timings(), 0u);
        std::vector<NodeProfile> keep;
        const NodeProfile* c3 = node(*fast, "conv3x3", keep);
        ASSERT_TRUE(c3);
        EXPECT_EQ(c3->tactic, wino ? expected : "direct") << c3->kernel;
        EXPECT_EQ(c3->tactic, tactic_of_kernel(*c3)) << c3->kernel;
        const double diff = max_diff_of_range(yf, yd);
        std::cout << hw << "x" << hw << ": " << c3->tactic << " (" << c3->kernel << "), |fast - direct| " << diff
                  << " of the range\n";
        EXPECT_LE(diff, 1e-4);
        if (c3->tactic != "direct") {
            EXPECT_GT(diff, 0.0) << "Winograd and direct gave bit-identical results: not Winograd?";
        }
    }
}

// An engine file made with `fast` records F(4,3) and F(2,3) by name; a session loaded from it runs the same
// implementation (a record of "winograd_4x3" read as anything else would run F(2,3) or direct).
TEST(Tactics, EngineFileKeepsTheWinogradImplementation) {
    const fs::path dir = fs::temp_directory_path() / ("edgeinfer_tactics_wino_" + std::to_string(getpid()));
    fs::create_directories(dir);
    for (int64_t hw : {28, 14}) {
        SCOPED_TRACE(hw);
        const std::string engine = (dir / ("conv" + std::to_string(hw) + ".engine")).string();
        const std::string bytes = conv_model_bytes(hw);
        auto saved = open(bytes, TacticMode::kFast);
        ASSERT_TRUE(saved);
        Tensor y0 = run_once(*saved, hw);
        ASSERT_TRUE(saved->save_engine(engine).is_ok());
        auto loaded = open(bytes, TacticMode::kFast, engine);
        ASSERT_TRUE(loaded);
        EXPECT_TRUE(loaded->engine_report().loaded) << loaded->engine_report().message;
        Tensor y1 = run_once(*loaded, hw);
        std::vector<NodeProfile> keep0, keep1;
        const NodeProfile* before = node(*saved, "conv3x3", keep0);
        const NodeProfile* after = node(*loaded, "conv3x3", keep1);
        ASSERT_TRUE(before && after);
        EXPECT_EQ(after->tactic, before->tactic);
        EXPECT_EQ(after->kernel, before->kernel);
        ASSERT_EQ(y0.nbytes(), y1.nbytes());
        EXPECT_EQ(std::memcmp(y0.data(), y1.data(), y0.nbytes()), 0);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
}

// The engine file records the timed choice; a session loaded from it builds its plan from that record
// (no timing) and computes bit-identical outputs.
TEST(Tactics, EngineFileRoundTripsTheChoiceWithoutTiming) {
    const fs::path dir = fs::temp_directory_path() / ("edgeinfer_tactics_test_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const std::string engine = (dir / "conv.engine").string();
    const std::string bytes = conv_model_bytes();
    auto saved = open(bytes, TacticMode::kTimed);
    ASSERT_TRUE(saved);
    Tensor y0 = run_once(*saved);
    EXPECT_EQ(saved->tactic_timings(), 1u);
    ASSERT_TRUE(saved->save_engine(engine).is_ok());
    std::vector<NodeProfile> keep0;
    const NodeProfile* before = node(*saved, "conv3x3", keep0);
    ASSERT_TRUE(before);

    auto loaded = open(bytes, TacticMode::kTimed, engine);
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded->engine_report().loaded) << loaded->engine_report().message;
    Tensor y1 = run_once(*loaded);
    EXPECT_EQ(loaded->tactic_timings(), 0u) << "a loaded engine must not time again";
    std::vector<NodeProfile> keep1;
    const NodeProfile* after = node(*loaded, "conv3x3", keep1);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->tactic, before->tactic);
    EXPECT_EQ(after->kernel, before->kernel);
    ASSERT_EQ(y0.nbytes(), y1.nbytes());
    EXPECT_EQ(std::memcmp(y0.data(), y1.data(), y0.nbytes()), 0);

    // Another tactic mode does not use the file (the header names the field).
    auto other = open(bytes, TacticMode::kDirectOnly, engine);
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->engine_report().loaded);
    EXPECT_NE(other->engine_report().message.find("tactics"), std::string::npos) << other->engine_report().message;
    std::error_code ec;
    fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace edgeinfer

// The error Winograd adds on real architectures: resnet18 and resnet50 (torchvision, seeded weights, exported
// at 112x112 by the tactic_models fixture) run with the default tactics (TacticMode::kFast: Winograd on the
// 3x3 stride-1 convs with 64+ channels) and with direct-only on the same seeded input. The largest
// |fast - direct| over the output's range is printed and must stay under 1e-4 (issue 20's bound).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "edgeinfer/session.hpp"

namespace edgeinfer {
namespace {

const std::string kDir = std::string(EDGEINFER_MODEL_CACHE) + "/tactics";

struct Outcome {
    Tensor output;
    size_t winograd_nodes = 0;
};

Outcome run(const std::string& model, TacticMode mode, const Tensor& x) {
    SessionOptions o;
    o.num_threads = 2;
    o.tactics = mode;
    o.enable_profiling = true;
    auto s = Session::create(model, o);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    if (!s.is_ok()) return {};
    auto out = s.value()->run({{"input", x}});
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    if (!out.is_ok()) return {};
    Outcome r{out.value()[0].tensor, 0};
    for (const NodeProfile& p : s.value()->profile()) r.winograd_nodes += p.tactic == "winograd";
    return r;
}

class WinogradError : public ::testing::TestWithParam<std::string> {};

TEST_P(WinogradError, DefaultTacticsStayWithin1e4OfTheOutputRange) {
    const std::string model = kDir + "/" + GetParam() + ".onnx";
    std::mt19937 rng(20);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Tensor x = Tensor::allocate(DataType::kFloat32, {1, 3, 112, 112});
    for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = n(rng);
    Outcome fast = run(model, TacticMode::kFast, x);
    Outcome direct = run(model, TacticMode::kDirectOnly, x);
    ASSERT_FALSE(fast.output.empty());
    ASSERT_FALSE(direct.output.empty());
    ASSERT_EQ(fast.output.numel(), direct.output.numel());
    EXPECT_EQ(direct.winograd_nodes, 0u);
    const float* f = fast.output.data_as<float>();
    const float* d = direct.output.data_as<float>();
    float lo = d[0], hi = d[0];
    double worst = 0;
    for (int64_t i = 0; i < direct.output.numel(); ++i) {
        lo = std::min(lo, d[i]);
        hi = std::max(hi, d[i]);
        worst = std::max(worst, static_cast<double>(std::fabs(f[i] - d[i])));
    }
    const double rel = worst / std::max(1e-30, static_cast<double>(hi - lo));
    std::cout << GetParam() << ": " << fast.winograd_nodes << " Winograd conv(s); largest |fast - direct| " << worst
              << " = " << rel << " of the output range " << (hi - lo) << "\n";
    if (fast.winograd_nodes == 0) GTEST_SKIP() << "oneDNN has no Winograd convolution on this CPU";
    EXPECT_LT(rel, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Zoo, WinogradError, ::testing::Values("resnet18", "resnet50"));

}  // namespace
}  // namespace edgeinfer

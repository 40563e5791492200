// The error Winograd adds on real architectures: resnet18 and resnet50 (torchvision, seeded weights, exported
// at 112x112 by the tactic_models fixture) run with the default tactics (TacticMode::kFast: Winograd on the
// 3x3 stride-1 convs with 64+ channels, F(4,3) on the 28x28 ones, F(2,3) on 14x14), with `timed` tactics
// (each conv's fastest accurate implementation) and with direct-only on the same seeded input. The largest
// |tactics - direct| over the output's range is printed per mode and must stay under 1e-4 (issue 20's bound).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <tuple>

#include "edgeinfer/precision.hpp"
#include "edgeinfer/session.hpp"

namespace edgeinfer {
namespace {

const std::string kDir = std::string(EDGEINFER_MODEL_CACHE) + "/tactics";

struct Outcome {
    Tensor output;
    size_t winograd_nodes = 0;  // F(2,3) ("winograd") and F(4,3) ("winograd_4x3")
    size_t f43_nodes = 0;
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
    Outcome r{out.value()[0].tensor, 0, 0};
    for (const NodeProfile& p : s.value()->profile()) {
        r.winograd_nodes += p.tactic == "winograd" || p.tactic == "winograd_4x3";
        r.f43_nodes += p.tactic == "winograd_4x3";
    }
    return r;
}

// (model, tactic mode): "resnet18"/"resnet50", kFast/kTimed.
class WinogradError : public ::testing::TestWithParam<std::tuple<std::string, TacticMode>> {};

TEST_P(WinogradError, StaysWithin1e4OfTheOutputRange) {
    const auto& [name, mode] = GetParam();
    const std::string model = kDir + "/" + name + ".onnx";
    std::mt19937 rng(20);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Tensor x = Tensor::allocate(DataType::kFloat32, {1, 3, 112, 112});
    for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = n(rng);
    Outcome t = run(model, mode, x);
    Outcome direct = run(model, TacticMode::kDirectOnly, x);
    ASSERT_FALSE(t.output.empty());
    ASSERT_FALSE(direct.output.empty());
    ASSERT_EQ(t.output.numel(), direct.output.numel());
    EXPECT_EQ(direct.winograd_nodes, 0u);
    const float* f = t.output.data_as<float>();
    const float* d = direct.output.data_as<float>();
    float lo = d[0], hi = d[0];
    double worst = 0;
    for (int64_t i = 0; i < direct.output.numel(); ++i) {
        lo = std::min(lo, d[i]);
        hi = std::max(hi, d[i]);
        worst = std::max(worst, static_cast<double>(std::fabs(f[i] - d[i])));
    }
    const double rel = worst / std::max(1e-30, static_cast<double>(hi - lo));
    std::cout << name << " " << to_string(mode) << ": " << t.winograd_nodes << " Winograd conv(s) (" << t.f43_nodes
              << " F(4,3)); largest |" << to_string(mode) << " - direct| " << worst << " = " << rel
              << " of the output range " << (hi - lo) << "\n";
    if (t.winograd_nodes == 0) GTEST_SKIP() << "no Winograd convolution ran (none on this CPU, or timed chose direct)";
    EXPECT_LT(rel, 1e-4);
}

// CTest runs the `fast` (default) instances in winograd_error_test and the `timed` ones, which time each conv's
// candidates, in winograd_error_timed (label slow).
INSTANTIATE_TEST_SUITE_P(Zoo, WinogradError,
                         ::testing::Combine(::testing::Values("resnet18", "resnet50"),
                                            ::testing::Values(TacticMode::kFast, TacticMode::kTimed)),
                         [](const ::testing::TestParamInfo<WinogradError::ParamType>& info) {
                             return std::get<0>(info.param) + "_" + std::string(to_string(std::get<1>(info.param)));
                         });

}  // namespace
}  // namespace edgeinfer

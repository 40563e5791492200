// torchvision classifiers exported at test time with seeded random weights: edgeinfer's outputs
// must match PyTorch's (max abs diff <= 1e-4 of the output range) at batch 1 and batch 4.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "edgeinfer/session.hpp"
#include "ir/npy.hpp"

namespace edgeinfer {
namespace {

std::string cached(const std::string& f) { return std::string(EDGEINFER_MODEL_CACHE) + "/" + f; }

class ClassifierParity : public ::testing::TestWithParam<std::string> {};

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
    ASSERT_EQ(got.dims(), want.dims()) << what;
    const float* g = got.data_as<float>();
    const float* w = want.data_as<float>();
    float lo = w[0], hi = w[0], max_diff = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
        lo = std::min(lo, w[i]);
        hi = std::max(hi, w[i]);
        max_diff = std::max(max_diff, std::fabs(g[i] - w[i]));
    }
    EXPECT_LE(max_diff, 1e-4f * (hi - lo)) << what << ": max abs diff " << max_diff << ", range " << hi - lo;
    std::printf("%s: max abs diff %.3g (range %.3g)\n", what.c_str(), max_diff, hi - lo);
}

TEST_P(ClassifierParity, MatchesPyTorchAtBatch1And4) {
    const std::string& m = GetParam();
    SessionOptions opts;
    opts.num_threads = 2;
    auto s = Session::create(cached(m + ".onnx"), opts);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    for (const std::string& stem : {m, m + ".b4"}) {
        auto x = ir::read_npy(cached(stem + ".input.npy"));
        auto y = ir::read_npy(cached(stem + ".output.npy"));
        ASSERT_TRUE(x.is_ok() && y.is_ok()) << "reference files missing for " << stem;
        auto out = s.value()->run({{s.value()->inputs()[0].name, x.value()}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        expect_close((*out)[0].tensor, y.value(), stem);
    }
    EXPECT_EQ(s.value()->plan_count(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, ClassifierParity,
                         ::testing::Values("resnet18", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0"));

}  // namespace
}  // namespace edgeinfer

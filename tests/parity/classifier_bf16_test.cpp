// bf16 precision on the torchvision classifiers: outputs must stay close to PyTorch's fp32 ones
// (cosine similarity >= 0.999, same top-1 class per image) at batch 1 and batch 4.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "../unit/cpu_features.hpp"
#include "edgeinfer/session.hpp"
#include "ir/npy.hpp"

namespace edgeinfer {
namespace {

std::string cached(const std::string& f) { return std::string(EDGEINFER_MODEL_CACHE) + "/" + f; }

using testing::cpu_has_bf16;

class ClassifierBf16 : public ::testing::TestWithParam<std::string> {};

void expect_similar(const Tensor& got, const Tensor& want, const std::string& what) {
    ASSERT_EQ(got.dims(), want.dims()) << what;
    ASSERT_EQ(want.rank(), 2) << what;
    const int64_t rows = want.dims()[0], classes = want.dims()[1];
    for (int64_t r = 0; r < rows; ++r) {
        const float* g = got.data_as<float>() + r * classes;
        const float* w = want.data_as<float>() + r * classes;
        double dot = 0, gg = 0, ww = 0;
        int64_t top_g = 0, top_w = 0;
        for (int64_t c = 0; c < classes; ++c) {
            dot += double(g[c]) * w[c];
            gg += double(g[c]) * g[c];
            ww += double(w[c]) * w[c];
            if (g[c] > g[top_g]) top_g = c;
            if (w[c] > w[top_w]) top_w = c;
        }
        double cosine = dot / std::sqrt(gg * ww);
        EXPECT_GE(cosine, 0.999) << what << " row " << r;
        EXPECT_EQ(top_g, top_w) << what << " row " << r;
        std::printf("%s row %lld: cosine %.6f, top-1 %lld (fp32 %lld)\n", what.c_str(), static_cast<long long>(r),
                    cosine, static_cast<long long>(top_g), static_cast<long long>(top_w));
    }
}

TEST_P(ClassifierBf16, CloseToFp32AtBatch1And4) {
    const std::string& m = GetParam();
    SessionOptions opts;
    opts.num_threads = 2;
    opts.precision = Precision::kBf16;
    opts.enable_profiling = true;
    auto s = Session::create(cached(m + ".onnx"), opts);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    for (const std::string& stem : {m, m + ".b4"}) {
        auto x = ir::read_npy(cached(stem + ".input.npy"));
        auto y = ir::read_npy(cached(stem + ".output.npy"));
        ASSERT_TRUE(x.is_ok() && y.is_ok()) << "reference files missing for " << stem;
        auto out = s.value()->run({{s.value()->inputs()[0].name, x.value()}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        expect_similar((*out)[0].tensor, y.value(), stem);
    }
    // Every convolution ran in bf16 (kernel name ends in ":bf16") or says why not; on a CPU with
    // native bf16 (AVX512-BF16, AMX) all of them ran in bf16.
    int bf16_convs = 0, fallbacks = 0, convs = 0;
    for (const NodeProfile& p : s.value()->profile()) {
        if (p.op_type != "FusedConv" && p.op_type != "Conv") continue;
        ++convs;
        bool bf16 = p.kernel.size() > 5 && p.kernel.compare(p.kernel.size() - 5, 5, ":bf16") == 0;
        bf16_convs += bf16;
        fallbacks += p.kernel.find("bf16 unavailable") != std::string::npos;
    }
    EXPECT_GT(convs, 0);
    EXPECT_EQ(bf16_convs + fallbacks, convs);
    std::printf("%s: %d of %d convolutions ran in bf16\n", m.c_str(), bf16_convs, convs);
    if (cpu_has_bf16()) {
        EXPECT_EQ(bf16_convs, convs);
    }
}

INSTANTIATE_TEST_SUITE_P(Torchvision, ClassifierBf16,
                         ::testing::Values("resnet18", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0"));

}  // namespace
}  // namespace edgeinfer

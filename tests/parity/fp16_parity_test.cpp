// float16 models (make_fp16_models.py): they run (computed in float32, float16 at the boundary),
// match PyTorch's float32 outputs within float16 tolerance (cosine >= 0.999, same top-1 on seeded
// inputs), and `inspect` calls every op runnable exactly when a session runs the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "edgeinfer/session.hpp"
#include "edgeinfer/tools.hpp"
#include "ir/npy.hpp"
#include "kernels/cpu/typed_dispatch.hpp"

namespace edgeinfer {
namespace {

std::string fp16_model(const std::string& f) { return std::string(EDGEINFER_MODEL_CACHE) + "/fp16/" + f; }

Tensor convert(const Tensor& t, DataType to) {
    if (t.dtype() == to) return t;
    Tensor out = Tensor::allocate(to, t.dims());
    for (int64_t i = 0; i < t.numel(); ++i) {
        if (to == DataType::kFloat16)
            static_cast<uint16_t*>(out.data())[i] = kernels::cpu::float_to_half_bits(t.data_as<float>()[i]);
        else
            out.data_as<float>()[i] = kernels::cpu::half_bits_to_float(static_cast<const uint16_t*>(t.data())[i]);
    }
    return out;
}

Tensor run_one(const std::string& model, const Tensor& x) {
    SessionOptions opts;
    opts.num_threads = 2;
    auto s = Session::create(model, opts);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    if (!s.is_ok()) return {};
    const ValueDescription& in = s.value()->inputs().at(0);
    auto y = s.value()->run({{in.name, convert(x, in.dtype)}});
    EXPECT_TRUE(y.is_ok()) << y.status().to_string();
    if (!y.is_ok()) return {};
    EXPECT_EQ(y.value()[0].tensor.dtype(), s.value()->outputs().at(0).dtype);
    return convert(y.value()[0].tensor, DataType::kFloat32);
}

TEST(Fp16Tiny, BothIoVariantsRunAndAgree) {
    Tensor x = Tensor::allocate(DataType::kFloat32, {2, 3, 6, 6});
    for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = std::sin(0.37f * static_cast<float>(i));
    Tensor a = run_one(fp16_model("fp16_tiny.onnx"), x);
    Tensor b = run_one(fp16_model("fp16_tiny_io32.onnx"), x);
    ASSERT_EQ(a.dims(), (std::vector<int64_t>{2, 4, 6, 5}));
    ASSERT_EQ(a.dims(), b.dims());
    for (int64_t i = 0; i < a.numel(); ++i) {
        float va = a.data_as<float>()[i], vb = b.data_as<float>()[i];
        EXPECT_NEAR(va, vb, 2e-3f * (1 + std::fabs(vb))) << i;  // the float16 output rounding only
    }
}

TEST(Fp16Tiny, InspectAgreesWithRun) {
    for (const char* f : {"fp16_tiny.onnx", "fp16_tiny_io32.onnx"}) {
        auto info = tools::inspect(fp16_model(f), false);
        ASSERT_TRUE(info.is_ok()) << info.status().to_string();
        EXPECT_TRUE(info.value().unsupported_ops.empty()) << f;
        for (const tools::OpInfo& op : info.value().ops) EXPECT_TRUE(op.supported) << f << ": " << op.op;
    }
}

class Fp16Classifier : public ::testing::TestWithParam<std::string> {};

TEST_P(Fp16Classifier, MatchesFloat32PyTorch) {
    const std::string& m = GetParam();
    auto x = ir::read_npy(fp16_model(m + "_fp16.input.npy"));
    auto want = ir::read_npy(fp16_model(m + "_fp16.output.npy"));
    ASSERT_TRUE(x.is_ok() && want.is_ok());
    const Tensor& w = want.value();
    ASSERT_EQ(w.rank(), 2u);
    for (const std::string& variant : {m + "_fp16.onnx", m + "_fp16io32.onnx"}) {
        Tensor got = run_one(fp16_model(variant), x.value());
        ASSERT_EQ(got.dims(), w.dims()) << variant;
        const int64_t classes = w.dims()[1];
        for (int64_t r = 0; r < w.dims()[0]; ++r) {
            const float* g = got.data_as<float>() + r * classes;
            const float* p = w.data_as<float>() + r * classes;
            double dot = 0, g2 = 0, p2 = 0;
            for (int64_t c = 0; c < classes; ++c) {
                dot += double(g[c]) * p[c];
                g2 += double(g[c]) * g[c];
                p2 += double(p[c]) * p[c];
            }
            double cos = dot / std::sqrt(g2 * p2);
            EXPECT_GE(cos, 0.999) << variant << " row " << r;
            EXPECT_EQ(std::max_element(g, g + classes) - g, std::max_element(p, p + classes) - p)
                << variant << " row " << r << ": top-1 differs";
            std::printf("%s row %lld: cosine %.7f\n", variant.c_str(), static_cast<long long>(r), cos);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Torchvision, Fp16Classifier, ::testing::Values("resnet18", "mobilenet_v2"));

}  // namespace
}  // namespace edgeinfer

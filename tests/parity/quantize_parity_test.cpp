// `edgeinfer quantize` end to end on torchvision classifiers: the QDQ model passes ONNX's checker,
// runs with precision int8 close to the float model (cosine >= 0.99, top-1 agreement), and the
// fused int8 path agrees with the QDQ model's reference path (QuantizeLinear/DequantizeLinear
// kernels around float convolutions); ResNet and MobileNetV2 run with their residual Adds fused and
// no layout Transposes. Also the command's errors on bad calibration input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "../unit/cli/cli_test_util.hpp"
#include "edgeinfer/session.hpp"
#include "ir/npy.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;

constexpr int kSamples = 16;
constexpr size_t kEvalSamples = 8;       // of the calibration set, compared with fp32 (test time)
constexpr size_t kReferenceSamples = 2;  // also run through the (slow) reference path

std::string cached(const std::string& f) { return std::string(EDGEINFER_MODEL_CACHE) + "/" + f; }

fs::path temp_dir(const std::string& name) {
    fs::path d = fs::temp_directory_path() / ("edgeinfer_quant_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// Seeded image-like inputs: smooth per-image patterns plus noise, in normalized-pixel range.
Tensor calibration_input(uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    std::uniform_real_distribution<float> u(-1.5f, 1.5f);
    float base[3] = {u(rng), u(rng), u(rng)}, fx = u(rng) * 0.05f, fy = u(rng) * 0.05f;
    Tensor t = Tensor::allocate(DataType::kFloat32, {1, 3, 224, 224});
    float* d = t.data_as<float>();
    for (int c = 0; c < 3; ++c)
        for (int y = 0; y < 224; ++y)
            for (int x = 0; x < 224; ++x)
                d[(c * 224 + y) * 224 + x] = base[c] + std::sin(fx * x + fy * y + c) + noise(rng);
    return t;
}

double cosine(const Tensor& a, const Tensor& b) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        double x = a.data_as<float>()[i], y = b.data_as<float>()[i];
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    return ab / std::sqrt(aa * bb + 1e-30);
}

int64_t argmax(const Tensor& t) {
    int64_t best = 0;
    for (int64_t i = 1; i < t.numel(); ++i)
        if (t.data_as<float>()[i] > t.data_as<float>()[best]) best = i;
    return best;
}

std::unique_ptr<Session> open(const std::string& path, Precision p, bool profile = false) {
    SessionOptions o;
    o.num_threads = 2;
    o.precision = p;
    o.enable_profiling = profile;
    auto s = Session::create(path, o);
    EXPECT_TRUE(s.is_ok()) << path << ": " << s.status().to_string();
    return s.is_ok() ? std::move(s).value() : nullptr;
}

class QuantizeParity : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantizeParity, Int8CloseToFloatAndToReferencePath) {
    const std::string m = GetParam();
    fs::path dir = temp_dir(m);
    fs::create_directories(dir / "calib");
    std::vector<Tensor> inputs;
    for (int i = 0; i < kSamples; ++i) {
        inputs.push_back(calibration_input(100 + i));
        char name[32];
        std::snprintf(name, sizeof name, "%02d.npy", i);
        ASSERT_TRUE(ir::write_npy((dir / "calib" / name).string(), inputs.back()).is_ok());
    }
    const std::string out = (dir / (m + ".int8.onnx")).string();
    auto r = run_cli("quantize " + cached(m + ".onnx") + " " + out + " --calib " + (dir / "calib").string() +
                     " --per-channel --samples " + std::to_string(kSamples) + " -t 2");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("ONNX checker: ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("from 16 samples"), std::string::npos) << r.out;

    auto fp32 = open(cached(m + ".onnx"), Precision::kFp32);
    auto int8 = open(out, Precision::kInt8, true);
    auto reference = open(out, Precision::kFp32);  // QDQ kernels, no fusion
    ASSERT_TRUE(fp32 && int8 && reference);
    const std::string in = fp32->inputs()[0].name;
    double worst_cos = 1, worst_ref_cos = 1;
    int agree = 0;
    for (size_t i = 0; i < kEvalSamples; ++i) {
        auto a = fp32->run({{in, inputs[i]}});
        auto b = int8->run({{in, inputs[i]}});
        ASSERT_TRUE(a.is_ok() && b.is_ok());
        worst_cos = std::min(worst_cos, cosine((*a)[0].tensor, (*b)[0].tensor));
        agree += argmax((*a)[0].tensor) == argmax((*b)[0].tensor);
        if (i >= kReferenceSamples) continue;  // the reference path is slow: a few samples show agreement
        auto c = reference->run({{in, inputs[i]}});
        ASSERT_TRUE(c.is_ok());
        worst_ref_cos = std::min(worst_ref_cos, cosine((*c)[0].tensor, (*b)[0].tensor));
    }
    std::printf("%s: int8 vs fp32 worst cosine %.5f, top-1 agreement %d/%d; int8 vs QDQ reference worst cosine %.6f\n",
                m.c_str(), worst_cos, agree, static_cast<int>(kEvalSamples), worst_ref_cos);
    EXPECT_GE(worst_cos, 0.99);
    EXPECT_GE(agree, static_cast<int>(kEvalSamples) - 1);
    EXPECT_GE(worst_ref_cos, 0.999);
    // The int8 session really ran int8 convolutions, and no float ones.
    int int8_convs = 0, float_convs = 0;
    for (const NodeProfile& p : int8->profile()) {
        int8_convs += p.op_type == "QConv" && p.kernel.find("onednn:int8:") != std::string::npos;
        // Without VNNI (ONEDNN_MAX_CPU_ISA=AVX2: the quantize_parity_avx2 test) weights run in 7 bits.
        if (p.op_type == "QConv" && p.kernel.find(":avx2") != std::string::npos) {
            EXPECT_NE(p.kernel.find(":7bit"), std::string::npos) << p.node_name << ": " << p.kernel;
        }
        float_convs += p.op_type == "Conv" || p.op_type == "FusedConv";
    }
    EXPECT_GT(int8_convs, 10);
    EXPECT_EQ(float_convs, 0);
    // ResNet / MobileNetV2: residual Adds fuse into the int8 convolutions and the whole network stays
    // channels-last (pooling included), so no Add or Transpose node runs.
    // The skip connections read the block inputs quantized (quantize routes residual Adds through the
    // DequantizeLinear), so a block writes its output in int8 and no Quantize runs between blocks:
    // what is left quantizes the graph input, pooling outputs and blocks whose Z is a float conv output.
    if (m == "resnet18" || m == "mobilenet_v2") {
        int quantize_nodes = 0;
        for (const NodeProfile& p : int8->profile()) {
            EXPECT_NE(p.op_type, "Add") << m << ": " << p.node_name;
            EXPECT_NE(p.op_type, "Transpose") << m << ": " << p.node_name;
            quantize_nodes += p.op_type == "Quantize";
        }
        std::printf("%s: %d Quantize nodes\n", m.c_str(), quantize_nodes);
        EXPECT_LE(quantize_nodes, m == "resnet18" ? 6 : 3);
    }
    if (!std::getenv("EDGEINFER_KEEP_TEMP")) fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Torchvision, QuantizeParity,
                         ::testing::Values("resnet18", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0"));

TEST(QuantizeCli, BadCalibrationInputsAreClearErrors) {
    fs::path dir = temp_dir("errors");
    fs::create_directories(dir / "empty");
    const std::string model = cached("resnet18.onnx"), out = (dir / "o.onnx").string();
    auto r = run_cli("quantize " + model + " " + out + " --calib " + (dir / "empty").string());
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("no .npy files or images"), std::string::npos) << r.out;
    r = run_cli("quantize " + model + " " + out + " --calib " + (dir / "missing").string());
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("no such file or directory"), std::string::npos) << r.out;
    ASSERT_TRUE(ir::write_npy((dir / "one.npy").string(), calibration_input(1)).is_ok());
    r = run_cli("quantize " + model + " " + out + " --calib " + (dir / "one.npy").string() + " --method magic");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("unknown calibration method 'magic'"), std::string::npos) << r.out;
    r = run_cli("quantize " + model + " " + out + " --calib " + (dir / "one.npy").string() + " --exclude nope");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("'nope', which is not a node"), std::string::npos) << r.out;
    Tensor wrong = Tensor::allocate(DataType::kFloat32, {1, 3, 100, 100});
    ASSERT_TRUE(ir::write_npy((dir / "wrong.npy").string(), wrong).is_ok());
    r = run_cli("quantize " + model + " " + out + " --calib " + (dir / "wrong.npy").string());
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("dim 2 must be 224"), std::string::npos) << r.out;
    // Fewer samples than asked: a warning, and the model is still written.
    r = run_cli("quantize " + model + " " + out + " --calib " + (dir / "one.npy").string() + " --samples 4 -t 2");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("warning: --samples 4 asked, only 1"), std::string::npos) << r.out;
    // The histogram methods write checkable models too (two calibration passes each).
    for (const char* method : {"percentile", "entropy"}) {
        r = run_cli("quantize " + model + " " + out + " --calib " + (dir / "one.npy").string() + " --method " + method +
                    " -t 2");
        EXPECT_EQ(r.code, 0) << r.out;
        EXPECT_NE(r.out.find(std::string("method ") + method), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("ONNX checker: ok"), std::string::npos) << r.out;
    }
    fs::remove_all(dir);
}

}  // namespace
}  // namespace edgeinfer

// Accuracy gates of the lower precisions, measured with `edgeinfer compare --precision`: the bundled
// demo classifier (models/shapes.onnx) keeps its fp32 answers on its samples and on its 1200-image
// validation set (top-1 agreement >= 99.5% in bf16, >= 99% in int8, int8 calibrated on a separate
// rendered set); the bundled trained segmentation model (models/shapes_segmenter.onnx) keeps >= 99% of
// its pixels' classes in bf16 and int8 on its 200 rendered validation scenes and is >= 95% right
// against their ground truth; what holds on the random-weight lraspp of the head tests (and why it
// cannot be the 99% gate). (The torchvision classifiers' cosine gates: classifier_bf16_test,
// quantize_parity_test.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "../unit/cli/cli_test_util.hpp"
#include "edgeinfer/session.hpp"
#include "vision/preprocess.hpp"
#include "vision/segmentation.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::CliRun;
using cli_test::compare_json;
using cli_test::run_cli;

const std::string kShapes = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";
const std::string kSamples = std::string(EDGEINFER_SOURCE_DIR) + "/models/samples";
const std::string kValidation = std::string(EDGEINFER_SHAPES_SETS) + "/validation";
const std::string kCalibration = std::string(EDGEINFER_SHAPES_SETS) + "/calibration";
const std::string kHeads = EDGEINFER_HEAD_MODELS;

fs::path temp_dir(const std::string& name) {
    fs::path d = fs::temp_directory_path() / ("edgeinfer_gates_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// The output's agreement entry ("top1" or "pixels"), printed with the error statistics.
double agreement(const nlohmann::json& j, const std::string& what, const std::string& label) {
    if (!j.contains("outputs") || j["outputs"].empty() || !j["outputs"][0].contains(what)) {
        ADD_FAILURE() << label << ": no " << what << " in " << j.dump();
        return 0;
    }
    const auto& o = j["outputs"][0];
    const auto& a = o[what];
    std::string worst = j["layers"].empty() ? "-" : j["layers"][0]["node"].get<std::string>();
    std::printf(
        "%s: %s agreement %lld/%lld = %.4f%%, output cosine %.6f (worst input %.6f), max abs %.4g; "
        "worst layer %s\n",
        label.c_str(), what.c_str(), static_cast<long long>(a["agree"].get<int64_t>()),
        static_cast<long long>(a["total"].get<int64_t>()), 100 * a["rate"].get<double>(), o["cosine"].get<double>(),
        o["worst_cosine"].get<double>(), o["max_abs_diff"].get<double>(), worst.c_str());
    return a["rate"].get<double>();
}

TEST(PrecisionGates, ShapesClassifierBf16) {
    nlohmann::json j = compare_json(kShapes + " --precision bf16 --inputs " + kSamples + " --inputs " + kValidation);
    EXPECT_EQ(j["samples"], 18 + 1200);
    EXPECT_GE(agreement(j, "top1", "shapes bf16, samples + validation"), 0.995);
}

TEST(PrecisionGates, ShapesClassifierInt8) {
    fs::path dir = temp_dir("shapes");
    const std::string q = (dir / "shapes.int8.onnx").string();
    CliRun r = run_cli("quantize " + kShapes + " " + q + " --calib " + kCalibration + " -t 2");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("from 200 samples"), std::string::npos) << r.out;
    nlohmann::json j = compare_json(kShapes + " --precision int8 --quantized " + q + " --inputs " + kSamples +
                                    " --inputs " + kValidation);
    EXPECT_EQ(j["samples"], 18 + 1200);
    EXPECT_GE(agreement(j, "top1", "shapes int8 (minmax, per tensor), samples + validation"), 0.99);
    fs::remove_all(dir);
}

// lraspp_mobilenet_v3_large (seeded random weights, 6 classes) at 160x128 on the head tests' images.
const std::string kLraspp = kHeads + "/lraspp.onnx";
const std::string kLrasppImages = " --inputs " + kHeads + "/lraspp.png --inputs " + kHeads + "/tiny.png";

std::string quantize_lraspp(const fs::path& dir, const std::string& exclude) {
    const std::string q = (dir / (exclude.empty() ? "lraspp.int8.onnx" : "lraspp.int8.excluded.onnx")).string();
    CliRun r = run_cli("quantize " + kLraspp + " " + q + " --calib " + kCalibration +
                       " --samples 16 --per-channel -t 2" + (exclude.empty() ? "" : " --exclude " + exclude));
    EXPECT_EQ(r.code, 0) << r.out;
    return q;
}

// The 99% pixel gate is NOT run on this model: with random weights MobileNetV3 amplifies small errors
// through its depth and its logits are near ties, so it measured 97.05% (bf16) and 69.2% (int8, minmax,
// per channel) on the two images although every layer alone adds only its rounding error (bf16: at most
// 0.36% relative L2, see SegmentationLayersAddOnlyRoundingError) while the output moves 4.2% (11.6x) and
// the median top-1/top-2 logit margin is 0.28 (logit std 0.68). A random-weight model's pixel agreement
// measures its ties, not the precision; the gate runs on the trained model below (ShapesSegmenter*).

// What holds on the random-weight model: in bf16 each layer on its own stays at bf16's rounding
// level and the pixel agreement stays above the level measured when this test was written (a
// regression floor, not the 99% gate, which runs on the trained model below).
TEST(PrecisionGates, SegmentationLayersAddOnlyRoundingError) {
    nlohmann::json j = compare_json(kLraspp + " --precision bf16 --layer-samples 1" + kLrasppImages);
    const double pixels = agreement(j, "pixels", "lraspp bf16");
    EXPECT_GE(pixels, 0.95) << "regression floor (the 99% gate fails on random weights: see above)";
    double worst_own = 0;
    for (const auto& r : j["layers"])
        if (!r["local_rel_l2"].is_null()) worst_own = std::max(worst_own, r["local_rel_l2"].get<double>());
    const double out = j["outputs"][0]["rel_l2"].get<double>();
    std::printf("lraspp bf16: worst layer alone rel L2 %.4f, output rel L2 %.4f (amplified %.1fx)\n", worst_own, out,
                out / worst_own);
    EXPECT_GT(worst_own, 0.0);
    EXPECT_LE(worst_own, 0.01);  // bf16 keeps 8 significant bits: 2^-9 relative per element
}

// int8: excluding from quantization the layers `compare` names as adding the most error moves the
// output closer to fp32.
TEST(PrecisionGates, SegmentationInt8ExcludingTheWorstLayersHelps) {
    fs::path dir = temp_dir("lraspp");
    const std::string image = " --inputs " + kHeads + "/lraspp.png";
    nlohmann::json j =
        compare_json(kLraspp + " --precision int8 --layer-samples 1 --quantized " + quantize_lraspp(dir, "") + image);
    const double pixels = agreement(j, "pixels", "lraspp int8 (minmax, per channel)");
    ASSERT_GE(j["layers"].size(), 10u);
    std::string worst;
    for (size_t i = 0; i < 10; ++i) {
        if (i) worst += ',';
        worst += j["layers"][i]["node"].get<std::string>();
    }
    nlohmann::json k = compare_json(kLraspp + " --precision int8 --layer-samples 1 --quantized " +
                                    quantize_lraspp(dir, worst) + image);
    const double pixels_excluded = agreement(k, "pixels", "lraspp int8, the 10 worst layers in float");
    const double before = j["outputs"][0]["rel_l2"].get<double>(), after = k["outputs"][0]["rel_l2"].get<double>();
    std::printf("lraspp int8: output rel L2 %.4f -> %.4f, pixels %.4f -> %.4f with the 10 worst layers in float\n",
                before, after, pixels, pixels_excluded);
    EXPECT_LT(after, 0.9 * before);
    EXPECT_GE(pixels, 0.6) << "regression floor (the 99% gate fails on random weights: see above)";
    fs::remove_all(dir);
}

// The trained segmentation model (tools/train_demo_segmenter.py): 96x96 scenes of 1-4 shapes, 7 classes
// (background + the six shapes), MobileNet-like encoder with an LRASPP-style head and bilinear Resizes.
// Its validation scenes (the training's seed) and calibration scenes (seed 777) come with ground truth.
const std::string kSegmenter = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes_segmenter.onnx";
const std::string kSegValidation = std::string(EDGEINFER_SHAPES_SETS) + "/segmenter_validation";
const std::string kSegCalibration = std::string(EDGEINFER_SHAPES_SETS) + "/segmenter_calibration";
constexpr int kSegScenes = 200;

// The fp32 model really is trained: its argmax (edgeinfer, fp32, the sidecar's preprocessing) matches the
// rendered ground truth on >= 95% of the validation pixels, shapes included (not only the background).
TEST(PrecisionGates, ShapesSegmenterIsTrained) {
    SessionOptions options;
    options.num_threads = 2;
    auto session = Session::create(kSegmenter, options);
    ASSERT_TRUE(session.is_ok()) << session.status().to_string();
    auto sidecar = vision::find_sidecar(kSegmenter, "");
    ASSERT_TRUE(sidecar.is_ok() && sidecar->has_value()) << "no sidecar for " << kSegmenter;
    const ValueDescription& in = session.value()->inputs().at(0);
    auto pre = vision::resolve_preprocess(vision::PreprocessConfig{}, &**sidecar, {}, in);
    ASSERT_TRUE(pre.is_ok()) << pre.status().to_string();
    const vision::PreprocessConfig& c = pre->config;
    int64_t right = 0, total = 0, shape_right = 0, shape_total = 0;
    int scenes = 0;
    for (int i = 0; i < kSegScenes; ++i) {
        char name[16];
        std::snprintf(name, sizeof(name), "%04d.png", i);
        cv::Mat img = cv::imread(kSegValidation + "/" + name, cv::IMREAD_COLOR);
        cv::Mat truth = cv::imread(kSegValidation + "/labels/" + name, cv::IMREAD_GRAYSCALE);
        ASSERT_FALSE(img.empty() || truth.empty()) << kSegValidation << "/" << name << " or its labels missing";
        Tensor x = Tensor::allocate(DataType::kFloat32, {1, c.channels, c.height, c.width});
        auto info = vision::preprocess_into(img, c, x.data());
        ASSERT_TRUE(info.is_ok()) << info.status().to_string();
        auto out = session.value()->run({{in.name, x}});
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        auto seg = vision::segment(out->front(), *info);
        ASSERT_TRUE(seg.is_ok()) << seg.status().to_string();
        ASSERT_EQ(seg->num_classes, 7);
        ASSERT_EQ(seg->mask.rows, truth.rows);
        ASSERT_EQ(seg->mask.cols, truth.cols);
        for (int y = 0; y < truth.rows; ++y)
            for (int xx = 0; xx < truth.cols; ++xx) {
                const int want = truth.at<uint8_t>(y, xx);
                const bool ok = seg->mask.at<int32_t>(y, xx) == want;
                right += ok;
                ++total;
                if (want) {
                    shape_right += ok;
                    ++shape_total;
                }
            }
        ++scenes;
    }
    const double accuracy = static_cast<double>(right) / total;
    const double shape_accuracy = static_cast<double>(shape_right) / shape_total;
    std::printf("shapes_segmenter fp32 vs ground truth on %d scenes: pixels %.4f%%, shape pixels %.4f%%\n", scenes,
                100 * accuracy, 100 * shape_accuracy);
    EXPECT_GE(accuracy, 0.95);
    EXPECT_GE(shape_accuracy, 0.85) << "the shapes' own pixels, where the class must be told apart";
}

// Issue 10's segmentation gate: >= 99% of the pixels keep their fp32 class in bf16 ...
TEST(PrecisionGates, ShapesSegmenterBf16Pixels99Percent) {
    nlohmann::json j = compare_json(kSegmenter + " --precision bf16 --layer-samples 1 --inputs " + kSegValidation);
    EXPECT_EQ(j["samples"], kSegScenes);
    EXPECT_GE(agreement(j, "pixels", "shapes_segmenter bf16, validation"), 0.99);
}

// ... and in int8 (edgeinfer quantize's defaults, calibrated on the separately seeded scenes).
TEST(PrecisionGates, ShapesSegmenterInt8Pixels99Percent) {
    fs::path dir = temp_dir("segmenter");
    const std::string q = (dir / "shapes_segmenter.int8.onnx").string();
    CliRun r = run_cli("quantize " + kSegmenter + " " + q + " --calib " + kSegCalibration + " -t 2");
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("from 100 samples"), std::string::npos) << r.out;
    nlohmann::json j = compare_json(kSegmenter + " --precision int8 --layer-samples 1 --quantized " + q +
                                    " --inputs " + kSegValidation);
    EXPECT_EQ(j["samples"], kSegScenes);
    EXPECT_GE(agreement(j, "pixels", "shapes_segmenter int8 (minmax, per tensor), validation"), 0.99);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace edgeinfer

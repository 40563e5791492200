// tools::precision_report (fp32 against bf16 and int8: agreement, per-layer table naming nodes,
// pinning the worst layer) and tools::quantize (a QDQ model that loads and runs on the int8 kernels).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../cpu_features.hpp"
#include "edgeinfer/tools.hpp"
#include "tools_test_util.hpp"

namespace edgeinfer::testing {
namespace {

const tools::LayerError* layer_row(const tools::PrecisionReport& r, const std::string& node) {
    for (const auto& l : r.layers)
        if (l.node == node) return &l;
    return nullptr;
}

tools::PrecisionReport report_on_samples(const std::vector<std::string>& keep = {}) {
    tools::PrecisionReportOptions o;
    o.precision = Precision::kBf16;
    o.data = {kSamples};
    o.keep_fp32 = keep;
    o.threads = 2;
    auto r = tools::precision_report(kShapes, o);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : tools::PrecisionReport{};
}

TEST(ToolsPrecisionReport, Bf16OnShapesSamples) {
    if (!cpu_has_bf16()) GTEST_SKIP() << "no native bf16 on this CPU: bf16 falls back to fp32";
    tools::PrecisionReport r = report_on_samples();
    EXPECT_EQ(r.precision, "bf16");
    EXPECT_EQ(r.samples, 18u);
    EXPECT_EQ(r.layer_samples, 8u);
    EXPECT_NE(r.preprocess.find("sidecar"), std::string::npos) << r.preprocess;
    ASSERT_EQ(r.outputs.size(), 1u);
    const tools::PrecisionOutput& o = r.outputs[0];
    EXPECT_EQ(o.name, "logits");
    EXPECT_EQ(o.top1.total, 18);
    EXPECT_GE(o.top1.rate(), 17.0 / 18);
    EXPECT_EQ(o.top5.total, 0);  // 6 classes: top-5 says little
    EXPECT_GT(o.max_abs_diff, 0.0);
    EXPECT_GE(o.cosine, 0.999);
    EXPECT_LE(o.worst_cosine, o.cosine + 1e-12);
    // Every node by name, the one adding the most error on its own first; nodes computing in fp32 add none.
    ASSERT_EQ(r.layers.size(), 11u);
    const tools::LayerError& worst = r.layers[0];
    ASSERT_TRUE(worst.local_rel_l2);
    EXPECT_GT(*worst.local_rel_l2, 0.0);
    int adding = 0;
    for (const tools::LayerError& l : r.layers) {
        ASSERT_TRUE(l.local_rel_l2) << l.node;
        EXPECT_LE(*l.local_rel_l2, *worst.local_rel_l2);
        const bool heavy = l.op_type == "Conv" || l.op_type == "Gemm";
        EXPECT_EQ(*l.local_rel_l2 > 0, heavy) << l.node;
        adding += heavy;
    }
    EXPECT_EQ(adding, 5);
    // Pinning the worst layer to fp32: it adds no error of its own any more.
    tools::PrecisionReport pinned = report_on_samples({worst.node});
    EXPECT_EQ(pinned.keep_fp32, std::vector<std::string>{worst.node});
    const tools::LayerError* row = layer_row(pinned, worst.node);
    ASSERT_TRUE(row && row->local_rel_l2);
    EXPECT_EQ(*row->local_rel_l2, 0.0);
    EXPECT_NE(pinned.layers[0].node, worst.node);
    // Pinning every layer that adds error: fp32 exactly, everywhere.
    std::vector<std::string> all;
    for (const auto& l : r.layers)
        if (*l.local_rel_l2 > 0) all.push_back(l.node);
    tools::PrecisionReport exact = report_on_samples(all);
    EXPECT_EQ(exact.outputs[0].max_abs_diff, 0.0);
    EXPECT_EQ(exact.outputs[0].top1.rate(), 1.0);
    for (const auto& l : exact.layers) EXPECT_EQ(l.rel_l2, 0.0) << l.node;
}

TEST(ToolsPrecisionReport, Bf16OnResnet18RandomInputs) {
    tools::PrecisionReportOptions o;
    o.samples = 2;
    o.layer_samples = 1;
    o.threads = 2;
    auto r = tools::precision_report(cache("resnet18_bn.onnx"), o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->samples, 2u);
    EXPECT_EQ(r->layer_samples, 1u);
    EXPECT_TRUE(r->preprocess.empty());
    ASSERT_EQ(r->outputs.size(), 1u);
    EXPECT_EQ(r->outputs[0].top1.total, 2);
    EXPECT_EQ(r->outputs[0].top5.total, 2);  // 1000 classes
    EXPECT_GE(r->outputs[0].cosine, 0.999);
    // BatchNormalization folded first (as a session does): no BatchNormalization row.
    ASSERT_GE(r->layers.size(), 20u);
    for (const auto& l : r->layers) EXPECT_NE(l.op_type, "BatchNormalization");
    if (cpu_has_bf16()) {
        for (size_t i = 0; i < 21; ++i)  // 20 convolutions and the Gemm
            EXPECT_TRUE(r->layers[i].op_type == "Conv" || r->layers[i].op_type == "Gemm") << i;
        EXPECT_EQ(r->layers[21].local_rel_l2.value_or(-1), 0.0) << r->layers[21].node;
    }
}

TEST(ToolsQuantize, QdqModelLoadsRunsAndFeedsTheInt8Report) {
    const std::string q = (temp_dir() / "shapes.int8.onnx").string();
    tools::QuantizeOptions qo;
    qo.calibration = {kSamples};
    qo.threads = 2;
    auto qr = tools::quantize(kShapes, q, qo);
    ASSERT_TRUE(qr.is_ok()) << qr.status().to_string();
    EXPECT_EQ(qr->onnx_checker, "ok");
    EXPECT_EQ(qr->samples, 18);
    EXPECT_GT(qr->quantized_nodes, 0);
    EXPECT_GT(qr->weights, 0);
    EXPECT_GT(qr->activations, 0);
    EXPECT_NE(qr->preprocess.find("sidecar"), std::string::npos) << qr->preprocess;
    // The model loads, has QDQ nodes and runs on the int8 kernels.
    auto m = model::load_model(q);
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    EXPECT_GT(count_op(*m, "QuantizeLinear"), 0);
    SessionOptions so;
    so.precision = Precision::kInt8;
    so.num_threads = 2;
    auto s = Session::create(q, so);
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    auto y = s.value()->run(tools::seeded_inputs(s.value()->inputs(), {}, 1));
    ASSERT_TRUE(y.is_ok()) << y.status().to_string();
    // --samples: fewer than asked is a warning.
    qo.samples = 100;
    auto few = tools::quantize(kShapes, (temp_dir() / "shapes.few.onnx").string(), qo);
    ASSERT_TRUE(few.is_ok()) << few.status().to_string();
    ASSERT_FALSE(few->warnings.empty());
    EXPECT_NE(few->warnings[0].find("only 18 calibration samples"), std::string::npos) << few->warnings[0];

    tools::PrecisionReportOptions o;
    o.precision = Precision::kInt8;
    o.quantized = q;
    o.data = {kSamples};
    o.threads = 2;
    auto r = tools::precision_report(kShapes, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->precision, "int8");
    EXPECT_EQ(r->outputs[0].top1.total, 18);
    EXPECT_GE(r->outputs[0].top1.rate(), 17.0 / 18);
    EXPECT_GT(r->outputs[0].max_abs_diff, 0.0);
    ASSERT_FALSE(r->layers.empty());
    EXPECT_EQ(r->layers[0].op_type, "Conv");  // quantized layers add the error
    // The QDQ model as the reference, or no quantized model: errors that say what to give.
    o.quantized.clear();
    auto e = tools::precision_report(q, o);
    ASSERT_FALSE(e.is_ok());
    EXPECT_NE(e.status().message().find("is already quantized"), std::string::npos);
    e = tools::precision_report(kShapes, o);
    ASSERT_FALSE(e.is_ok());
    EXPECT_NE(e.status().message().find("needs the quantized model: --quantized"), std::string::npos);
}

TEST(ToolsQuantize, WritesTheSidecarSkipsUndecodableImagesAndMakesTheFolder) {
    // Three sample images and one file that is no image, into a folder that does not exist yet.
    const std::filesystem::path calib = temp_dir() / "calib_with_bad";
    std::filesystem::create_directories(calib);
    int copied = 0;
    for (const auto& e : std::filesystem::directory_iterator(kSamples)) {
        if (copied == 3 || (e.path().extension() != ".png" && e.path().extension() != ".jpg")) continue;
        std::filesystem::copy_file(e.path(), calib / e.path().filename(),
                                   std::filesystem::copy_options::overwrite_existing);
        ++copied;
    }
    ASSERT_EQ(copied, 3);
    std::ofstream(calib / "broken.png") << "not an image";
    const std::filesystem::path out_dir = temp_dir() / "quantize_new" / "int8";
    std::filesystem::remove_all(temp_dir() / "quantize_new");
    tools::QuantizeOptions qo;
    qo.calibration = {calib.string()};
    qo.threads = 2;
    auto r = tools::quantize(kShapes, (out_dir / "shapes_q.onnx").string(), qo);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->samples, 3);
    EXPECT_EQ(r->skipped, 1);
    ASSERT_FALSE(r->warnings.empty());
    EXPECT_NE(r->warnings[0].find("broken.png: could not decode the image; skipped"), std::string::npos)
        << r->warnings[0];
    EXPECT_TRUE(std::filesystem::exists(out_dir / "shapes_q.onnx"));
    // The sidecar: the float model's (same preprocessing and labels), renamed, with what quantize did.
    EXPECT_EQ(r->sidecar, (out_dir / "shapes_q.json").string());
    std::ifstream in(r->sidecar), original(std::filesystem::path(kShapes).replace_extension(".json"));
    std::stringstream a, b;
    a << in.rdbuf();
    b << original.rdbuf();
    const std::string side = a.str(), orig = b.str();
    EXPECT_NE(side.find("\"onnx\": \"shapes_q.onnx\""), std::string::npos) << side;
    EXPECT_NE(side.find("\"quantized\""), std::string::npos) << side;
    EXPECT_NE(side.find("\"skipped_files\": 1"), std::string::npos) << side;
    EXPECT_NE(orig.find("\"labels\""), std::string::npos);
    EXPECT_NE(side.find("\"labels\""), std::string::npos) << side;
    EXPECT_NE(side.find("\"mean\""), std::string::npos) << side;
}

TEST(ToolsQuantize, Errors) {
    tools::QuantizeOptions qo;
    qo.calibration = {"/nonexistent/dir"};
    auto r = tools::quantize(kShapes, (temp_dir() / "x.onnx").string(), qo);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
    EXPECT_NE(r.status().message().find("--calib /nonexistent/dir: no such file or directory"), std::string::npos);
    qo.calibration = {kSamples};
    qo.method = "median";
    r = tools::quantize(kShapes, (temp_dir() / "x.onnx").string(), qo);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(ToolsNodeNames, UnknownKeepFp32NamesAreClearErrors) {
    EXPECT_TRUE(tools::check_node_names(kShapes, {}).is_ok());
    Status st = tools::check_node_names(kShapes, {"nope", "/features/nonsense"});
    ASSERT_FALSE(st.is_ok());
    EXPECT_NE(st.message().find("--keep-fp32: " + kShapes + " has no node named 'nope', '/features/nonsense'"),
              std::string::npos)
        << st.message();
    tools::PrecisionReportOptions o;
    o.keep_fp32 = {"nope"};
    auto r = tools::precision_report(kShapes, o);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("has no node named 'nope'"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing

// tools::to_json and tools::format_text: the documents `edgeinfer inspect|optimize|compare|bench`
// print, called through the library on reports of models/shapes.onnx and on hand-built reports.
// Each JSON string is parsed back and its keys checked against the report's fields.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "edgeinfer/tools.hpp"

namespace edgeinfer::testing {
namespace {

using nlohmann::json;

const std::string kShapes = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";

size_t count_lines(const std::string& text) { return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')); }

TEST(ReportFormat, InspectJsonAndText) {
    auto r = tools::inspect(kShapes);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    json j = json::parse(tools::to_json(*r));
    EXPECT_EQ(j["model"], kShapes);
    EXPECT_EQ(j["node_count"], r->node_count);
    EXPECT_EQ(j["ir_version"], r->ir_version);
    ASSERT_EQ(j["inputs"].size(), r->inputs.size());
    EXPECT_EQ(j["inputs"][0]["name"], r->inputs[0].name);
    EXPECT_EQ(j["inputs"][0]["shape"].size(), r->inputs[0].dims.size());
    EXPECT_EQ(j["ops"].size(), r->ops.size());
    for (const tools::OpInfo& op : r->ops) {
        EXPECT_EQ(j["ops"][op.op]["count"], op.count) << op.op;
        EXPECT_EQ(j["ops"][op.op]["flops"], 2 * op.macs) << op.op;
    }
    EXPECT_EQ(j["compute"]["macs"], r->macs);
    EXPECT_EQ(j["support"]["runnable"], r->unsupported_ops.empty());
    EXPECT_EQ(j["parameters"]["count"], r->parameter_count);
    EXPECT_EQ(tools::to_json(*r, -1).find('\n'), std::string::npos);  // indent -1: one line

    std::string text = tools::format_text(*r);
    EXPECT_EQ(text.rfind("model:      " + kShapes + "\n", 0), 0u) << text;
    EXPECT_NE(text.find("nodes: " + std::to_string(r->node_count) + "\n"), std::string::npos);
    for (const tools::OpInfo& op : r->ops) EXPECT_NE(text.find("  " + op.op + " "), std::string::npos) << op.op;
    EXPECT_EQ(text.back(), '\n');
}

TEST(ReportFormat, OptimizeJsonAndText) {
    std::string out = (std::filesystem::temp_directory_path() / "report_format_optimized.onnx").string();
    tools::OptimizeOptions o;
    o.verify = tools::VerifyMode::kEnd;
    auto r = tools::optimize(kShapes, out, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    json j = json::parse(tools::to_json(*r));
    ASSERT_EQ(j["passes"].size(), r->passes.size());
    for (size_t i = 0; i < r->passes.size(); ++i) {
        EXPECT_EQ(j["passes"][i]["name"], r->passes[i].name);
        EXPECT_EQ(j["passes"][i]["changed"], r->passes[i].changed);
        EXPECT_EQ(j["passes"][i]["max_abs_diff"].is_null(), !r->passes[i].max_abs_diff.has_value());
    }
    EXPECT_EQ(j["nodes_before"], r->nodes_before);
    EXPECT_EQ(j["nodes_after"], r->nodes_after);
    EXPECT_EQ(j["onnx_checker"], r->onnx_checker);
    ASSERT_TRUE(r->final_check.has_value());
    EXPECT_EQ(j["final"]["ok"], r->final_check->ok);

    std::string text = tools::format_text(*r, o);
    // Header, one row per pass, the total, the final check and the checker line.
    EXPECT_EQ(count_lines(text), r->passes.size() + 4 + r->reverted.size()) << text;
    EXPECT_EQ(text.rfind("pass "), 0u);
    EXPECT_NE(text.find("\ntotal "), std::string::npos);
    EXPECT_NE(text.find("ONNX checker: " + r->onnx_checker + "\n"), std::string::npos);
    std::filesystem::remove(out);
}

tools::CompareReport mismatching_report() {
    tools::CompareReport r;
    r.mode = "full";
    r.a = "a.onnx";
    r.b = "b.onnx";
    r.b_label = "B";
    r.compared = 3;
    r.mismatched_values = 2;
    r.runs = 2;
    r.atol = 1e-5;
    r.rtol = 1e-4;
    r.outputs.push_back(
        {.a = "y", .b = "y", .max_abs_diff = 0.5, .limit = 1e-4, .mismatched_elements = 2, .ok = false});
    tools::FirstMismatch m;
    m.value = "conv_out";
    m.value_b = "conv_out_b";
    m.node = "conv";
    m.node_label = "Conv 'conv'";
    m.op_type = "Conv";
    m.node_b = "conv";
    m.node_b_label = "Conv 'conv'";
    m.max_abs_diff = 0.5;
    m.limit = 1e-4;
    m.mismatched_elements = 2;
    m.stats_a = tools::ValueStats{{1, 2}, {.count = 2, .min = -1, .max = 1}};
    m.inputs_a.push_back({"x", tools::ValueStats{{1, 2}, {.count = 2}}});
    m.inputs_b.push_back({"x", std::nullopt});
    m.top.push_back({.index = {0, 1}, .a = 1, .b = 0.5, .diff = 0.5});
    r.first_mismatch = m;
    return r;
}

TEST(ReportFormat, CompareJsonAndText) {
    tools::CompareReport r = mismatching_report();
    json j = json::parse(tools::to_json(r));
    EXPECT_EQ(j["mode"], "full");
    EXPECT_EQ(j["match"], false);
    EXPECT_EQ(j["mismatched_values"], 2);
    EXPECT_EQ(j["tolerance"]["atol"], 1e-5);
    ASSERT_EQ(j["outputs"].size(), 1u);
    EXPECT_EQ(j["outputs"][0]["ok"], false);
    const json& f = j["first_mismatch"];
    EXPECT_EQ(f["value"], "conv_out");
    EXPECT_EQ(f["value_b"], "conv_out_b");
    EXPECT_EQ(f["stats_a"]["shape"], json({1, 2}));
    EXPECT_TRUE(f["stats_b"].is_null());
    EXPECT_TRUE(f["inputs_b"][0]["stats"].is_null());
    EXPECT_EQ(f["top"][0]["index"], json({0, 1}));

    std::string text = tools::format_text(r);
    EXPECT_NE(text.find("FIRST MISMATCH: value 'conv_out' produced by Conv 'conv' (B: value 'conv_out_b')"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("output y: max abs diff 0.5  MISMATCH\n"), std::string::npos);
    EXPECT_NE(text.find(" (not available)\n"), std::string::npos);
    EXPECT_NE(text.find("    [0,1]: 1, 0.5, 0.5\n"), std::string::npos);

    r.first_mismatch.reset();
    EXPECT_EQ(json::parse(tools::to_json(r))["match"], true);
    EXPECT_FALSE(json::parse(tools::to_json(r)).contains("first_mismatch"));
    EXPECT_NE(tools::format_text(r).find("no value differs beyond tolerance\n"), std::string::npos);
}

TEST(ReportFormat, CompareOfAModelWithItself) {
    auto r = tools::compare(kShapes, kShapes);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    json j = json::parse(tools::to_json(*r));
    EXPECT_EQ(j["match"], true);
    EXPECT_EQ(j["compared"], r->compared);
    EXPECT_EQ(j["outputs"].size(), r->outputs.size());
    EXPECT_NE(tools::format_text(*r).find("no value differs beyond tolerance"), std::string::npos);
}

TEST(ReportFormat, PrecisionJsonAndText) {
    tools::PrecisionReport r;
    r.model = "m.onnx";
    r.precision = "bf16";
    r.keep_fp32 = {"conv1"};
    r.samples = 2;
    r.layer_samples = 2;
    tools::PrecisionOutput o;
    o.name = "logits";
    o.shape = {1, 6};
    o.top1 = {.agree = 1, .total = 2};
    r.outputs.push_back(o);
    for (int i = 0; i < 3; ++i) {
        tools::LayerError l;
        l.node = "n" + std::to_string(i);
        l.op_type = "Conv";
        l.rel_l2 = 0.01 * i;
        r.layers.push_back(l);
    }
    r.layers[0].local_rel_l2 = 0.5;

    json j = json::parse(tools::to_json(r));
    EXPECT_EQ(j["mode"], "precision");
    EXPECT_EQ(j["keep_fp32"], json({"conv1"}));
    EXPECT_EQ(j["outputs"][0]["top1"]["rate"], 0.5);
    EXPECT_FALSE(j["outputs"][0].contains("top5"));  // not measured: left out
    ASSERT_EQ(j["layers"].size(), 3u);               // the JSON has every layer
    EXPECT_EQ(j["layers"][0]["local_rel_l2"], 0.5);
    EXPECT_TRUE(j["layers"][1]["local_rel_l2"].is_null());

    std::string text = tools::format_text(r, 2);
    EXPECT_EQ(text.rfind("bf16 vs fp32: m.onnx, 2 inputs\n", 0), 0u) << text;
    EXPECT_NE(text.find("kept in fp32: [\"conv1\"]\n"), std::string::npos);
    EXPECT_NE(text.find("  top-1 agreement 1/2 (50.00%)\n"), std::string::npos);
    EXPECT_NE(text.find("  n1 "), std::string::npos);
    EXPECT_EQ(text.find("  n2 "), std::string::npos);  // max_layers 2
}

TEST(ReportFormat, BenchJsonAndText) {
    tools::BenchOptions o;
    o.iterations = 3;
    o.duration = 0.01;
    o.warmup = 1;
    o.profile = true;
    o.optimization = GraphOptimizationLevel::kBasic;
    auto r = tools::benchmark(kShapes, o);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    json j = json::parse(tools::to_json(*r, "shapes.onnx", o));
    EXPECT_EQ(j["model"], "shapes.onnx");
    EXPECT_EQ(j["precision"], "fp32");
    EXPECT_EQ(j["optimization"], "basic");
    EXPECT_EQ(j["warmup"], 1);
    EXPECT_EQ(j["iterations"], r->latencies_ms.size());
    EXPECT_EQ(j["latency_ms"]["p95"], r->p95_ms);
    EXPECT_FALSE(j.contains("latencies_ms"));
    ASSERT_TRUE(j.contains("profile"));
    EXPECT_EQ(j["profile"]["nodes"].size(), r->profile.size());
    EXPECT_EQ(j["profile"]["op_types"].size(), r->op_types.size());
    json with = json::parse(tools::to_json(*r, "shapes.onnx", o, true));
    EXPECT_EQ(with["latencies_ms"].size(), r->latencies_ms.size());

    ASSERT_GT(r->profile.size(), 1u);
    std::string text = tools::format_text(*r, "shapes.onnx", o, 1);
    EXPECT_EQ(text.rfind("model:       shapes.onnx\n", 0), 0u) << text;
    EXPECT_NE(text.find("settings:    fp32, optimization basic, "), std::string::npos);
    EXPECT_NE(text.find("  ... " + std::to_string(r->profile.size() - 1) + " more nodes (all of them with --json)\n"),
              std::string::npos);
    o.profile = false;
    EXPECT_EQ(tools::format_text(*r, "shapes.onnx", o).find("profile"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer::testing

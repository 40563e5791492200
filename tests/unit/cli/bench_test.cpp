// `edgeinfer bench` run as a user runs it: JSON fields present and consistent, options honoured,
// clear errors for bad input. No timing is asserted (speed is measured by bench/run_suite.py). The
// profile, .npy inputs and concurrency are tested through tools::benchmark in tests/unit/tools/.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_test_util.hpp"
#include "ir/npy.hpp"

namespace edgeinfer {
namespace {

using cli_test::CliRun;
using cli_test::run_cli;

std::string models(const std::string& name) { return std::string(EDGEINFER_TEST_MODELS_DIR) + "/" + name; }

nlohmann::json bench_json(const std::string& args) {
    CliRun r = run_cli("bench --json " + args);
    EXPECT_EQ(r.code, 0) << r.out;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not one JSON document:\n" << r.out;
    return j.is_discarded() ? nlohmann::json::object() : j;
}

void expect_consistent_latency(const nlohmann::json& j) {
    const auto& l = j["latency_ms"];
    for (const char* k : {"min", "mean", "median", "p90", "p95", "p99", "max"}) ASSERT_TRUE(l.contains(k)) << k;
    EXPECT_GT(l["min"].get<double>(), 0.0);
    EXPECT_LE(l["min"].get<double>(), l["median"].get<double>());
    EXPECT_LE(l["median"].get<double>(), l["p90"].get<double>());
    EXPECT_LE(l["p90"].get<double>(), l["p95"].get<double>());
    EXPECT_LE(l["p95"].get<double>(), l["p99"].get<double>());
    EXPECT_LE(l["p99"].get<double>(), l["max"].get<double>());
    EXPECT_LE(l["min"].get<double>(), l["mean"].get<double>());
    EXPECT_LE(l["mean"].get<double>(), l["max"].get<double>());
}

TEST(Bench, JsonFieldsAndIterations) {
    auto j = bench_json(models("small_cnn.onnx") + " -n 7 --warmup 2 --threads 1 --input-sets 3");
    ASSERT_TRUE(j.contains("latency_ms"));
    expect_consistent_latency(j);
    EXPECT_EQ(j["iterations"], 7);
    EXPECT_EQ(j["warmup"], 2);
    EXPECT_EQ(j["threads"], 1);
    EXPECT_EQ(j["input_sets"], 3);
    EXPECT_EQ(j["concurrency"], 1);
    EXPECT_EQ(j["precision"], "fp32");
    EXPECT_EQ(j["batch"], 1);  // dynamic batch defaults to 1
    EXPECT_EQ(j["inputs"][0]["name"], "input");
    EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({1, 3, 8, 8}));
    EXPECT_EQ(j["inputs"][0]["source"], "random");
    EXPECT_GE(j["session_create_ms"].get<double>(), 0.0);
    EXPECT_GT(j["first_run_ms"].get<double>(), 0.0);
    EXPECT_GT(j["peak_rss_mb"].get<double>(), 1.0);
    double ips = j["throughput"]["inferences_per_s"].get<double>();
    EXPECT_GT(ips, 0.0);
    EXPECT_DOUBLE_EQ(j["throughput"]["images_per_s"].get<double>(), ips);
    // 7 runs, each at most `max`, fit into the measured wall time.
    EXPECT_GE(j["wall_s"].get<double>() * 1000.0, 7 * j["latency_ms"]["min"].get<double>());
    EXPECT_FALSE(j.contains("profile"));
}

// bench's JSON names the OpenMP wait settings in effect (omp_wait): "" for libgomp's defaults.
TEST(Bench, NamesTheOpenMpWaitSettings) {
    const char* keep_policy = std::getenv("OMP_WAIT_POLICY");
    const char* keep_spin = std::getenv("GOMP_SPINCOUNT");
    const std::string policy = keep_policy ? keep_policy : "", spin = keep_spin ? keep_spin : "";
    ::unsetenv("OMP_WAIT_POLICY");
    ::unsetenv("GOMP_SPINCOUNT");
    const std::string args = models("small_cnn.onnx") + " -n 1 --warmup 0 --threads 1";
    auto defaults = bench_json(args);
    ::setenv("OMP_WAIT_POLICY", "passive", 1);
    ::setenv("GOMP_SPINCOUNT", "1000", 1);
    auto chosen = bench_json(args);
    ::unsetenv("OMP_WAIT_POLICY");
    ::unsetenv("GOMP_SPINCOUNT");
    if (keep_policy) ::setenv("OMP_WAIT_POLICY", policy.c_str(), 1);
    if (keep_spin) ::setenv("GOMP_SPINCOUNT", spin.c_str(), 1);
    EXPECT_EQ(defaults.value("omp_wait", std::string("(missing)")), "");
    EXPECT_EQ(chosen.value("omp_wait", std::string("(missing)")), "OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=1000");
}

TEST(Bench, BatchAndShapesSetTheInput) {
    auto j = bench_json(models("small_cnn.onnx") + " -n 3 --batch 4 -t 1");
    EXPECT_EQ(j["batch"], 4);
    EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({4, 3, 8, 8}));
    double ips = j["throughput"]["inferences_per_s"].get<double>();
    EXPECT_NEAR(j["throughput"]["images_per_s"].get<double>(), 4 * ips, 1e-6 * ips);

    j = bench_json("--shapes input:2x3x8x8 " + models("small_cnn.onnx") + " -n 3 -t 1");  // option before MODEL
    EXPECT_EQ(j["batch"], 2);
    EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({2, 3, 8, 8}));
}

TEST(Bench, DurationRunsAtLeastOnce) {
    auto j = bench_json(models("small_cnn.onnx") + " --duration 0.2 -t 1");
    EXPECT_GE(j["iterations"].get<int>(), 1);
    EXPECT_GE(j["wall_s"].get<double>(), 0.2);
}

TEST(Bench, TextReport) {
    CliRun r = run_cli("bench " + models("small_cnn.onnx") + " -n 3 -t 1 --profile");
    ASSERT_EQ(r.code, 0) << r.out;
    for (const char* k : {"latency ms:", "median", "p99", "throughput:", "peak RSS:", "session:", "per op type:"})
        EXPECT_NE(r.out.find(k), std::string::npos) << k << "\n" << r.out;
}

// --tactics reaches the session; the profile names each convolution's tactic; a bad mode names the choices.
TEST(Bench, TacticsFlagAndProfileTactic) {
    auto j = bench_json(models("small_cnn.onnx") + " -n 2 -t 1 --profile --tactics direct-only");
    EXPECT_EQ(j["tactics"], "direct-only");
    int convs = 0;
    for (const auto& n : j["profile"]["nodes"]) {
        ASSERT_TRUE(n.contains("tactic")) << n.dump();
        const std::string op = n["op_type"].get<std::string>();
        if (op != "Conv" && op != "FusedConv") continue;
        ++convs;
        EXPECT_EQ(n["tactic"], "direct") << n.dump();
    }
    EXPECT_GT(convs, 0);
    EXPECT_EQ(bench_json(models("small_cnn.onnx") + " -n 1 -t 1")["tactics"], "fast");
    CliRun r = run_cli("bench " + models("small_cnn.onnx") + " -n 1 --tactics fastest");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("fast|timed|direct-only"), std::string::npos) << r.out;
}

TEST(Bench, Errors) {
    CliRun r = run_cli("bench " + models("no_such_model.onnx"));
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("no_such_model.onnx"), std::string::npos) << r.out;

    r = run_cli("bench " + models("small_cnn.onnx") + " --shapes input:1xthreex8x8");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("'1xthreex8x8' is not a shape"), std::string::npos) << r.out;

    r = run_cli("bench " + models("small_cnn.onnx") + " --shapes image:1x3x8x8");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("'image', which is not an input of the model"), std::string::npos) << r.out;

    r = run_cli("bench " + models("small_cnn.onnx") + " --shapes input:1x4x8x8");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("dim 1 of input 'input' is fixed at 3"), std::string::npos) << r.out;

    r = run_cli("bench " + models("small_cnn.onnx") + " --inputs image=x.npy");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("--input names 'image', which is not an input of the model (inputs: 'input')"),
              std::string::npos)
        << r.out;

    r = run_cli("bench " + models("small_cnn.onnx") + " --inputs input=" + models("no_such.npy") + " -n 1");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("no_such.npy"), std::string::npos) << r.out;

    r = run_cli("bench " + models("small_cnn.onnx") + " --precision int8");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("int8"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Unsupported"), std::string::npos) << r.out;

    r = run_cli("bench " + models("small_cnn.onnx") + " --precision fp64");
    EXPECT_NE(r.code, 0);

    r = run_cli("bench " + models("small_cnn.onnx") + " --concurrency 0");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.out.find("--concurrency"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgeinfer

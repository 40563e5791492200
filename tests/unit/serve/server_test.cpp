// edgeinfer::Server through the public API, serve::ModelRunner batching and serve::parse_model_config, on the
// repository written by tests/serve/make_serve_models.py (fixture serve_models).
#include <gtest/gtest.h>
#include <httplib.h>

#include <future>

#include "edgeinfer/serve.hpp"
#include "serve/model.hpp"
#include "serve/repository.hpp"

namespace edgeinfer {
namespace {

const std::string kRepo = EDGEINFER_SERVE_MODELS;

TEST(ServeConfig, ParsesKeysAndNamesTheBadOne) {
    auto c = serve::parse_model_config(
        R"({"max_batch_size":4,"max_queue_delay_us":100,"instance_count":2,"precision":"bf16",
            "shape_profiles":[{"x":{"min":[1,4],"opt":[2,4],"max":[4,4]}}]})",
        "m/config.json");
    ASSERT_TRUE(c.is_ok()) << c.status().to_string();
    EXPECT_EQ(c->max_batch_size, 4);
    EXPECT_EQ(c->instance_count, 2);
    EXPECT_EQ(c->precision, Precision::kBf16);
    ASSERT_EQ(c->shape_profiles.size(), 1u);
    EXPECT_EQ(c->shape_profiles[0].inputs[0].max, (std::vector<int64_t>{4, 4}));
    auto bad = serve::parse_model_config(R"({"instance_count":0})", "m/config.json");
    EXPECT_NE(bad.status().message().find("instance_count"), std::string::npos);
    auto unknown = serve::parse_model_config(R"({"batch":1})", "m/config.json");
    EXPECT_NE(unknown.status().message().find("unknown key 'batch'"), std::string::npos);
    EXPECT_NE(unknown.status().message().find("m/config.json"), std::string::npos);
}

TEST(ServeModelRunner, BatchesConcurrentRequestsAndSplitsThemBack) {
    serve::ModelConfig config;
    config.max_batch_size = 8;
    config.max_queue_delay_us = 300000;  // long enough for all four to meet
    auto runner = serve::ModelRunner::create("linear", "1", kRepo + "/linear/1/model.onnx", config);
    ASSERT_TRUE(runner.is_ok()) << runner.status().to_string();
    auto session = Session::create(kRepo + "/linear/1/model.onnx");
    ASSERT_TRUE(session.is_ok());
    std::vector<std::future<Result<std::vector<NamedTensor>>>> futures;
    std::vector<Tensor> xs;
    for (int k = 0; k < 4; ++k) {
        xs.push_back(
            Tensor::from_vector<float>(DataType::kFloat32, {1, 4}, {float(k), -1.f * float(k), 0.5f, 2.f + float(k)}));
        futures.push_back(std::async(std::launch::async, [&r = *runner.value(), x = xs.back()] {
            return r.infer({{"x", x}});
        }));
    }
    for (int k = 0; k < 4; ++k) {
        auto got = futures[k].get();
        ASSERT_TRUE(got.is_ok()) << got.status().to_string();
        auto want = session.value()->run({{"x", xs[k]}});
        ASSERT_TRUE(want.is_ok());
        ASSERT_EQ(got->size(), 2u);
        for (size_t o = 0; o < 2; ++o) {
            ASSERT_EQ((*got)[o].tensor.dims(), want.value()[o].tensor.dims());
            for (int64_t i = 0; i < want.value()[o].tensor.numel(); ++i)
                EXPECT_NEAR((*got)[o].tensor.data_as<float>()[i], want.value()[o].tensor.data_as<float>()[i], 1e-5);
        }
    }
    serve::ModelStats& s = runner.value()->stats();
    EXPECT_EQ(s.inference_count.load(), 4u);
    EXPECT_LT(s.exec_count.load(), 4u);  // at least two requests shared a run
    EXPECT_EQ(s.request_success.load(), 4u);
}

TEST(ServeModelRunner, RefusesMisshapenInputsAndWorkAfterStop) {
    auto runner = serve::ModelRunner::create("linear", "1", kRepo + "/linear/1/model.onnx", {});
    ASSERT_TRUE(runner.is_ok());
    EXPECT_EQ(runner.value()->max_batch_size(), 8);  // default from the model's dynamic dim 0
    auto wrong = runner.value()->infer({{"x", Tensor::allocate(DataType::kFloat32, {1, 5})}});
    EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(wrong.status().message().find("'x'"), std::string::npos);
    auto too_many = runner.value()->infer({{"x", Tensor::allocate(DataType::kFloat32, {9, 4})}});
    EXPECT_NE(too_many.status().message().find("max_batch_size 8"), std::string::npos);
    runner.value()->stop();
    auto after = runner.value()->infer({{"x", Tensor::allocate(DataType::kFloat32, {1, 4})}});
    EXPECT_EQ(after.status().code(), StatusCode::kCancelled);
    EXPECT_EQ(runner.value()->stats().request_failure.load(), 3u);
}

TEST(Server, ServesTheRepositoryAndReportsTheBrokenModel) {
    auto server = Server::start({.model_repository = kRepo, .http_port = 0});
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    bool broken_reported = false, linear_ready = false;
    for (const ServedModel& m : server.value()->models()) {
        if (m.name == "broken")
            broken_reported = m.state == "UNAVAILABLE" && m.reason.find("broken") != std::string::npos;
        if (m.name == "linear") linear_ready = m.state == "READY" && m.version == "1";
    }
    EXPECT_TRUE(broken_reported);
    EXPECT_TRUE(linear_ready);
    ASSERT_GT(server.value()->http_port(), 0);
    httplib::Client client("127.0.0.1", server.value()->http_port());
    auto live = client.Get("/v2/health/live");
    ASSERT_TRUE(live);
    EXPECT_EQ(live->status, 200);
    auto infer =
        client.Post("/v2/models/twice/versions/1/infer",
                    R"({"inputs":[{"name":"i","datatype":"INT64","shape":[1,2],"data":[5,-6]}]})", "application/json");
    ASSERT_TRUE(infer);
    EXPECT_EQ(infer->status, 200);
    EXPECT_NE(infer->body.find("[10,-12]"), std::string::npos) << infer->body;

    // A second server cannot take the same port.
    auto clash = Server::start({.model_repository = kRepo, .http_port = server.value()->http_port()});
    EXPECT_EQ(clash.status().code(), StatusCode::kIoError);
    server.value()->stop();
    server.value()->wait();
    server.value()->stop();  // idempotent
    EXPECT_FALSE(client.Get("/v2/health/live"));
}

TEST(Server, OpensGrpcAndMetricsPortsWhenAsked) {
    auto plain = Server::start({.model_repository = kRepo, .http_port = 0});
    ASSERT_TRUE(plain.is_ok());
    EXPECT_EQ(plain.value()->grpc_port(), -1);
    EXPECT_EQ(plain.value()->metrics_port(), -1);
    auto server = Server::start({.model_repository = kRepo, .http_port = 0, .grpc_port = 0, .metrics_port = 0});
    ASSERT_TRUE(server.is_ok()) << server.status().to_string();
    EXPECT_GT(server.value()->grpc_port(), 0);
    ASSERT_GT(server.value()->metrics_port(), 0);
    httplib::Client metrics("127.0.0.1", server.value()->metrics_port());
    auto text = metrics.Get("/metrics");
    ASSERT_TRUE(text);
    EXPECT_NE(text->body.find("nv_inference_request_success{model=\"linear\",version=\"1\"} 0"), std::string::npos)
        << text->body;
    EXPECT_EQ(metrics.Get("/v2/health/live")->status, 404);  // the metrics port serves only /metrics
}

TEST(Server, RefusesAMissingRepository) {
    auto server = Server::start({.model_repository = kRepo + "/nowhere", .http_port = 0});
    EXPECT_EQ(server.status().code(), StatusCode::kNotFound);
    EXPECT_NE(server.status().message().find("nowhere"), std::string::npos);
}

}  // namespace
}  // namespace edgeinfer

// The registry's refusals: training operators (losses in the ONNX domain, optimizers and Gradient in
// ai.onnx.preview.training) are refused as training operators, unknown ops as not implemented.
#include <gtest/gtest.h>

#include "kernel_test_util.hpp"

namespace edgeinfer::testing {
namespace {

TEST(KernelRegistry, TrainingOperatorsAreRefusedAsSuch) {
    ModelBuilder b(13);
    b.input("x", {2, 3}).input("t", {2}, DataType::kInt64).output("loss");
    b.node("NegativeLogLikelihoodLoss", {"x", "t"}, {"loss"}, "nll");
    auto out = try_run(b.m, {{"x", random_tensor({2, 3}, 1)}, {"t", int64s_shaped({2}, {0, 2})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(out.status().message().find("NegativeLogLikelihoodLoss 'nll'"), std::string::npos);
    EXPECT_NE(out.status().message().find("is a training operator"), std::string::npos) << out.status().to_string();
}

TEST(KernelRegistry, PreviewTrainingOptimizersAreTrainingOperatorsToo) {
    ModelBuilder b(13);
    b.m.opset_imports.push_back({"ai.onnx.preview.training", 1});
    b.input("r", {}).input("t", {}, DataType::kInt64).input("x", {2}).input("g", {2}).input("h", {2});
    b.output("x_new").output("h_new");
    b.node("Adagrad", {"r", "t", "x", "g", "h"}, {"x_new", "h_new"}, "opt");
    b.m.graph.nodes.back().domain = "ai.onnx.preview.training";
    auto out = try_run(b.m, {});
    ASSERT_FALSE(out.is_ok());
    EXPECT_EQ(out.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(out.status().message().find("ai.onnx.preview.training:Adagrad is a training operator"), std::string::npos)
        << out.status().to_string();
}

TEST(KernelRegistry, OtherMissingOpsAreNotImplemented) {
    ModelBuilder b(13);
    b.input("x", {2}).output("y");
    b.node("NoSuchOp", {"x"}, {"y"}, "nope");
    auto out = try_run(b.m, {{"x", floats({2}, {1, 2})}});
    ASSERT_FALSE(out.is_ok());
    EXPECT_NE(out.status().message().find("op NoSuchOp is not implemented"), std::string::npos)
        << out.status().to_string();
}

}  // namespace
}  // namespace edgeinfer::testing

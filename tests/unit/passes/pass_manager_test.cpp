// PassManager: selection by name, per-pass records, verification that reverts a faulty pass
// (after each pass and at the end), pipelines per level, and the Session's own optimization.
#include <gtest/gtest.h>

#include "pass_test_util.hpp"
#include "passes/pass_manager.hpp"
#include "passes/pipelines.hpp"
#include "runtime/graph_optimizer.hpp"

namespace edgeinfer::testing {
namespace {

ir::Model small_net() {
    ModelBuilder b;
    b.input("x", {-1, 3, 8, 8}).output("y");
    b.init("w", random_tensor({4, 3, 3, 3}, 1)).init("b", random_tensor({4}, 2));
    b.init("s", random_tensor({4}, 3)).init("bb", random_tensor({4}, 4)).init("m", random_tensor({4}, 5));
    b.init("v", positive_tensor({4}, 6)).init("unused", random_tensor({100}, 7));
    b.node("Identity", {"x"}, {"xi"}, "id");
    b.node("Conv", {"xi", "w", "b"}, {"c"}, "conv", {attr_is("pads", {1, 1, 1, 1})});
    b.node("BatchNormalization", {"c", "s", "bb", "m", "v"}, {"n"}, "bn");
    b.node("Relu", {"n"}, {"y"}, "relu");
    return b.build();
}

// A pass that silently breaks the model: negates the conv weights.
passes::PassDef sabotage() {
    return {"sabotage", "negate conv weights", [](ir::Model& m) {
                Tensor w = m.graph.find_initializer("w")->clone();
                for (int64_t i = 0; i < w.numel(); ++i) w.data_as<float>()[i] *= -1;
                m.graph.add_initializer("w", w);
                return passes::PassOutcome{true, ""};
            }};
}

passes::Verifier verifier_for(const ir::Model& original) {
    return [original](const ir::Model& c) -> Result<passes::Verification> {
        double d = max_output_diff(original, c);
        return passes::Verification{d <= 1e-4, d, ""};
    };
}

std::vector<passes::PassDef> catalog_with_sabotage() {
    passes::PipelineOptions po;
    po.evaluator = runtime::cpu_node_evaluator();
    auto c = passes::pass_catalog(po);
    c.push_back(sabotage());
    return c;
}

TEST(PassManager, SelectsByNameAndRejectsUnknown) {
    passes::PassManager pm(catalog_with_sabotage());
    EXPECT_TRUE(pm.set_pipeline({"eliminate-noops", "fold-batchnorm"}).is_ok());
    EXPECT_TRUE(pm.skip({"fold-batchnorm"}).is_ok());
    EXPECT_EQ(pm.pipeline(), std::vector<std::string>{"eliminate-noops"});
    Status st = pm.set_pipeline({"fold-everything"});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find("unknown pass 'fold-everything'"), std::string::npos);
    EXPECT_NE(st.message().find("fold-batchnorm"), std::string::npos);  // lists the known ones
    EXPECT_EQ(pm.skip({"nope"}).code(), StatusCode::kInvalidArgument);
}

TEST(PassManager, RecordsCountsAndRevertsTheFaultyPass) {
    ir::Model original = small_net();
    ir::Model m = original;
    passes::PassManager pm(catalog_with_sabotage());
    ASSERT_TRUE(pm.set_pipeline({"eliminate-noops", "sabotage", "fold-batchnorm", "eliminate-unused-initializers"})
                    .is_ok());
    pm.set_verifier(verifier_for(original), passes::VerifyMode::kEachPass);
    passes::PassReport r = pm.run(m);
    ASSERT_EQ(r.passes.size(), 4u);
    EXPECT_EQ(r.reverted(), std::vector<std::string>{"sabotage"});
    EXPECT_TRUE(r.passes[0].changed);
    EXPECT_EQ(r.passes[0].nodes_before, 4);
    EXPECT_EQ(r.passes[0].nodes_after, 3);
    EXPECT_EQ(r.passes[1].nodes_after, 3);  // reverted
    EXPECT_EQ(r.passes[2].nodes_after, 2);
    EXPECT_LT(r.passes[3].bytes_after, r.passes[3].bytes_before);
    EXPECT_EQ(r.nodes_before, 4);
    EXPECT_EQ(r.nodes_after, 2);
    ASSERT_TRUE(r.final_check.has_value());
    EXPECT_TRUE(r.final_check->ok);
    EXPECT_LE(max_output_diff(original, m), 1e-4);
    for (const auto& p : r.passes) EXPECT_GE(p.ms, 0.0);
}

TEST(PassManager, EndModeFindsTheFaultyPassAfterTheFact) {
    ir::Model original = small_net();
    ir::Model m = original;
    passes::PassManager pm(catalog_with_sabotage());
    ASSERT_TRUE(pm.set_pipeline({"eliminate-noops", "fold-batchnorm", "sabotage"}).is_ok());
    pm.set_verifier(verifier_for(original), passes::VerifyMode::kEnd);
    passes::PassReport r = pm.run(m);
    EXPECT_EQ(r.reverted(), std::vector<std::string>{"sabotage"});
    ASSERT_TRUE(r.final_check.has_value());
    EXPECT_TRUE(r.final_check->ok);
    EXPECT_EQ(m.graph.nodes.size(), 2u);
}

TEST(PassManager, VerifierErrorsCountAsFailures) {
    ir::Model m = small_net();
    passes::PassManager pm(catalog_with_sabotage());
    ASSERT_TRUE(pm.set_pipeline({"eliminate-noops"}).is_ok());
    pm.set_verifier([](const ir::Model&) -> Result<passes::Verification> { return internal_error("cannot run"); },
                    passes::VerifyMode::kEachPass);
    passes::PassReport r = pm.run(m);
    EXPECT_EQ(r.reverted(), std::vector<std::string>{"eliminate-noops"});
    EXPECT_NE(r.passes[0].note.find("cannot run"), std::string::npos);
    EXPECT_EQ(m.graph.nodes.size(), 4u);
}

TEST(Pipelines, LevelsNestAndCommentedOrderHolds) {
    auto basic = passes::pipeline_for(passes::Level::kBasic, false);
    auto ext = passes::pipeline_for(passes::Level::kExtended, false);
    auto all = passes::pipeline_for(passes::Level::kAll, true);
    EXPECT_TRUE(passes::pipeline_for(passes::Level::kNone, true).empty());
    for (const auto& p : basic) EXPECT_NE(std::find(ext.begin(), ext.end(), p), ext.end()) << p;
    for (const auto& p : ext) EXPECT_NE(std::find(all.begin(), all.end(), p), all.end()) << p;
    auto pos = [&](const std::string& n) { return std::find(all.begin(), all.end(), n) - all.begin(); };
    EXPECT_EQ(pos("infer-shapes"), 0);
    EXPECT_LT(pos("fold-constants"), pos("fold-batchnorm"));
    EXPECT_LT(pos("fuse-matmul-add"), pos("fold-batchnorm"));
    EXPECT_LT(pos("eliminate-dead-nodes"), pos("eliminate-unused-initializers"));
    EXPECT_EQ(all.back(), "infer-shapes");
    passes::PassManager pm = passes::make_pass_manager(passes::Level::kAll, {});
    EXPECT_EQ(pm.pipeline(), passes::pipeline_for(passes::Level::kAll, true));
}

TEST(SessionOptimization, AllLevelsComputeTheSame) {
    ir::Model m = small_net();
    auto bytes = model::serialize_model(m);
    ASSERT_TRUE(bytes.is_ok());
    auto inputs = seeded_inputs(m, 3);
    std::vector<std::vector<NamedTensor>> results;
    for (auto level : {GraphOptimizationLevel::kNone, GraphOptimizationLevel::kBasic,
                       GraphOptimizationLevel::kExtended, GraphOptimizationLevel::kAll}) {
        SessionOptions o;
        o.optimization_level = level;
        o.num_threads = 1;
        o.enable_profiling = true;
        auto s = Session::create_from_bytes(bytes->data(), bytes->size(), o);
        ASSERT_TRUE(s.is_ok()) << s.status().to_string();
        auto out = s.value()->run(inputs);
        ASSERT_TRUE(out.is_ok()) << out.status().to_string();
        results.push_back(std::move(out).value());
        size_t nodes = s.value()->profile().size();
        if (level == GraphOptimizationLevel::kNone) {
            EXPECT_EQ(nodes, 4u);
        } else if (level == GraphOptimizationLevel::kExtended) {
            EXPECT_EQ(nodes, 1u);  // FusedConv: BatchNormalization folded, Relu fused (runtime pipeline)
        }
    }
    for (size_t k = 1; k < results.size(); ++k) {
        const Tensor& a = results[0][0].tensor;
        const Tensor& b = results[k][0].tensor;
        ASSERT_EQ(a.dims(), b.dims());
        for (int64_t i = 0; i < a.numel(); ++i) EXPECT_NEAR(a.data_as<float>()[i], b.data_as<float>()[i], 1e-4);
    }
}

}  // namespace
}  // namespace edgeinfer::testing

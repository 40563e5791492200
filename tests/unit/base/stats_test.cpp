// base/stats: the percentile every command prints, and the name tables of precision.hpp.
#include "base/stats.hpp"

#include <gtest/gtest.h>

#include "edgeinfer/precision.hpp"

namespace edgeinfer {
namespace {

TEST(Percentile, InterpolatesBetweenClosestRanks) {
    const std::vector<double> v{1, 2, 3, 4};
    EXPECT_DOUBLE_EQ(base::percentile(v, 50), 2.5);
    EXPECT_DOUBLE_EQ(base::percentile(v, 0), 1);
    EXPECT_DOUBLE_EQ(base::percentile(v, 100), 4);
    EXPECT_DOUBLE_EQ(base::percentile(v, 95), 3.85);
    EXPECT_DOUBLE_EQ(base::percentile({}, 95), 0);
    EXPECT_DOUBLE_EQ(base::percentile({7}, 95), 7);
}

TEST(LatencyStats, SortsAndSummarizes) {
    base::LatencyStats s = base::latency_stats({5, 1, 3, 2, 4});
    EXPECT_EQ(s.count, 5u);
    EXPECT_DOUBLE_EQ(s.p50, 3);
    EXPECT_DOUBLE_EQ(s.min, 1);
    EXPECT_DOUBLE_EQ(s.max, 5);
    EXPECT_DOUBLE_EQ(s.mean, 3);
    EXPECT_DOUBLE_EQ(s.p95, 4.8);
}

TEST(PrecisionNames, RoundTripAndRejectUnknown) {
    for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kInt8}) {
        auto back = parse_precision(to_string(p));
        ASSERT_TRUE(back.is_ok());
        EXPECT_EQ(*back, p);
    }
    auto bad = parse_precision("fp16");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("fp32|bf16|int8"), std::string::npos) << bad.status().message();
    EXPECT_EQ(*parse_optimization_level("extended"), GraphOptimizationLevel::kExtended);
    EXPECT_EQ(*parse_optimization_level("0"), GraphOptimizationLevel::kNone);
    EXPECT_FALSE(parse_optimization_level("max").is_ok());
    EXPECT_EQ(to_string(GraphOptimizationLevel::kAll), "all");
}

// optimization_level_choices lists exactly the names parse_optimization_level takes, in order, and its
// refusal names them.
TEST(PrecisionNames, OptimizationLevelChoicesAreTheTable) {
    EXPECT_EQ(optimization_level_choices(), "none|basic|extended|all");
    for (auto level : {GraphOptimizationLevel::kNone, GraphOptimizationLevel::kBasic, GraphOptimizationLevel::kExtended,
                       GraphOptimizationLevel::kAll}) {
        EXPECT_NE(optimization_level_choices().find(to_string(level)), std::string::npos);
        EXPECT_EQ(*parse_optimization_level(to_string(level)), level);
    }
    auto bad = parse_optimization_level("max");
    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find(optimization_level_choices()), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace edgeinfer

// Tracker on synthetic moving boxes: stable ids, confirmation after min_hits, occlusion within
// max_age, ended tracks, crossing objects, greedy vs Hungarian matching.
#include "pipeline/tracker.hpp"

#include <gtest/gtest.h>

#include <map>

namespace edgeinfer::pipeline {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;  // microseconds
constexpr int64_t kFrameUs = 100'000;           // 10 fps

ObjectMeta det(float x, float y, float size = 40, int cls = 0) {
    ObjectMeta o;
    o.box = {x, y, x + size, y + size};
    o.class_id = cls;
    o.label = cls == 0 ? "square" : "circle";
    o.confidence = 0.9f;
    return o;
}

TrackerConfig config(TrackerMode mode, int min_hits = 3, int max_age = 5, Matching m = Matching::kGreedy) {
    TrackerConfig c;
    c.mode = mode;
    c.min_hits = min_hits;
    c.max_age = max_age;
    c.matching = m;
    return c;
}

std::string attr(const ObjectMeta& o, const std::string& key) { return value_to_string(o.attributes.at(key)); }

class TrackerModes : public testing::TestWithParam<TrackerMode> {};

TEST_P(TrackerModes, IdsAreStableAndAppearAfterMinHits) {
    Tracker tracker(config(GetParam()));
    std::map<int, int64_t> id_of;  // object index -> id
    for (int f = 0; f < 20; ++f) {
        auto out = tracker.update({det(10 + 3 * f, 20), det(300 - 4 * f, 200 + 2 * f)}, kT0 + f * kFrameUs);
        ASSERT_EQ(out.size(), 2u);
        for (int k = 0; k < 2; ++k) {
            if (f < 2) {
                EXPECT_EQ(out[k].track_id, -1) << "frame " << f;  // tentative until min_hits = 3
                continue;
            }
            ASSERT_GT(out[k].track_id, 0) << "frame " << f;
            if (!id_of.count(k)) id_of[k] = out[k].track_id;
            EXPECT_EQ(out[k].track_id, id_of[k]) << "frame " << f << " object " << k;
            EXPECT_EQ(std::get<std::string>(out[k].attributes.at("tracking_ended_time")), "N/A");
            EXPECT_NEAR(std::get<double>(out[k].attributes.at("tracking_duration_in_seconds")), f * 0.1, 1e-6);
        }
    }
    EXPECT_NE(id_of[0], id_of[1]);
    EXPECT_EQ(tracker.ids_issued(), 2);
    EXPECT_EQ(tracker.live_tracks(), 2u);
}

TEST_P(TrackerModes, OcclusionWithinMaxAgeKeepsTheId) {
    Tracker tracker(config(GetParam(), 2, 6));
    int64_t id = -1;
    for (int f = 0; f < 30; ++f) {
        std::vector<ObjectMeta> dets;
        const bool hidden = f >= 10 && f < 15;  // 5 frames behind something
        if (!hidden) dets.push_back(det(50 + 2 * f, 80));
        auto out = tracker.update(dets, kT0 + f * kFrameUs);
        EXPECT_TRUE(tracker.ended().empty()) << "frame " << f;
        if (hidden || f < 1) continue;
        ASSERT_EQ(out.size(), 1u);
        if (id < 0) id = out[0].track_id;
        EXPECT_EQ(out[0].track_id, id) << "frame " << f;
    }
    EXPECT_EQ(tracker.ids_issued(), 1);
}

TEST_P(TrackerModes, LongOcclusionEndsTheTrackAndStartsANewOne) {
    Tracker tracker(config(GetParam(), 1, 3));
    for (int f = 0; f < 5; ++f) tracker.update({det(100, 100)}, kT0 + f * kFrameUs);
    std::vector<ObjectMeta> ended;
    for (int f = 5; f < 10; ++f) {
        tracker.update({}, kT0 + f * kFrameUs);
        for (const auto& e : tracker.ended()) ended.push_back(e);
        if (f < 8) {
            EXPECT_TRUE(tracker.ended().empty()) << "frame " << f;  // 3 misses are allowed
        }
    }
    ASSERT_EQ(ended.size(), 1u);
    EXPECT_EQ(ended[0].track_id, 1);
    EXPECT_EQ(attr(ended[0], "tracking_ended_time"), "\"" + iso8601_utc(kT0 + 4 * kFrameUs) + "\"");
    EXPECT_EQ(attr(ended[0], "last_seen"), attr(ended[0], "tracking_ended_time"));
    EXPECT_NEAR(std::get<double>(ended[0].attributes.at("tracking_duration_in_seconds")), 0.4, 1e-6);
    auto out = tracker.update({det(100, 100)}, kT0 + 10 * kFrameUs);
    EXPECT_EQ(out[0].track_id, 2);
}

TEST_P(TrackerModes, ClassesDoNotMatchEachOther) {
    Tracker tracker(config(GetParam(), 1, 0));
    auto a = tracker.update({det(100, 100, 40, 0)}, kT0);
    auto b = tracker.update({det(100, 100, 40, 1)}, kT0 + kFrameUs);
    EXPECT_EQ(a[0].track_id, 1);
    EXPECT_EQ(b[0].track_id, 2);
    ASSERT_EQ(tracker.ended().size(), 1u);
    EXPECT_EQ(tracker.ended()[0].track_id, 1);
}

TEST_P(TrackerModes, FinishEndsConfirmedTracksOnly) {
    Tracker tracker(config(GetParam(), 3, 5));
    for (int f = 0; f < 4; ++f) tracker.update({det(10, 10), det(200, 200 + 50 * f)}, kT0 + f * kFrameUs);
    tracker.finish();  // the jumping box never reached 3 consecutive matches
    ASSERT_EQ(tracker.ended().size(), 1u);
    EXPECT_NE(attr(tracker.ended()[0], "tracking_ended_time"), "\"N/A\"");
    EXPECT_EQ(tracker.live_tracks(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Pipeline, TrackerModes, testing::Values(TrackerMode::kIou, TrackerMode::kSort),
                         [](const auto& info) { return info.param == TrackerMode::kIou ? "iou" : "sort"; });

// Two squares pass each other: SORT's velocity keeps each id on its own object.
TEST(TrackerSort, CrossingObjectsKeepTheirIds) {
    Tracker tracker(config(TrackerMode::kSort, 2, 5, Matching::kHungarian));
    int64_t right_id = -1, left_id = -1;
    for (int f = 0; f < 30; ++f) {
        auto out = tracker.update({det(10 + 10 * f, 100), det(300 - 10 * f, 112)}, kT0 + f * kFrameUs);
        if (f < 1) continue;
        if (right_id < 0) right_id = out[0].track_id, left_id = out[1].track_id;
        EXPECT_EQ(out[0].track_id, right_id) << "frame " << f;
        EXPECT_EQ(out[1].track_id, left_id) << "frame " << f;
    }
    EXPECT_NE(right_id, left_id);
}

// A fast object hidden for 4 frames has moved beyond any overlap with its last box: only the Kalman
// prediction finds it again.
TEST(TrackerSort, PredictionBridgesAGapThatIouCannot) {
    auto run = [](TrackerMode mode) {
        Tracker tracker(config(mode, 1, 8));
        std::vector<int64_t> ids;
        for (int f = 0; f < 20; ++f) {
            std::vector<ObjectMeta> dets;
            if (f < 8 || f >= 12) dets.push_back(det(20 + 15 * f, 50));
            auto out = tracker.update(dets, kT0 + f * kFrameUs);
            if (!out.empty()) ids.push_back(out[0].track_id);
        }
        return ids;
    };
    const auto sort_ids = run(TrackerMode::kSort);
    const auto iou_ids = run(TrackerMode::kIou);
    EXPECT_EQ(sort_ids.front(), sort_ids.back());
    EXPECT_NE(iou_ids.front(), iou_ids.back());
}

TEST(Matching, HungarianIsOptimalWhereGreedyIsNot) {
    const std::vector<std::vector<float>> s = {{0.9f, 0.8f}, {0.7f, 0.0f}};
    EXPECT_EQ(match_scores(s, 0.3f, Matching::kGreedy), (std::vector<std::pair<int, int>>{{0, 0}}));
    EXPECT_EQ(match_scores(s, 0.3f, Matching::kHungarian), (std::vector<std::pair<int, int>>{{0, 1}, {1, 0}}));
    // Rectangular, and pairs under the threshold are never made.
    const std::vector<std::vector<float>> r = {{0.1f}, {0.5f}, {0.2f}};
    EXPECT_EQ(match_scores(r, 0.3f, Matching::kHungarian), (std::vector<std::pair<int, int>>{{1, 0}}));
    EXPECT_TRUE(match_scores({{0.2f, 0.1f}}, 0.3f, Matching::kHungarian).empty());
    EXPECT_TRUE(match_scores({}, 0.3f, Matching::kGreedy).empty());
}

}  // namespace
}  // namespace edgeinfer::pipeline

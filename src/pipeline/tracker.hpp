// pipeline::Tracker: multi-object tracking by IoU (greedy or Hungarian matching) with an optional
// SORT mode (constant-velocity Kalman filter on box centre, area and aspect ratio).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "pipeline/config.hpp"
#include "pipeline/metadata.hpp"

namespace edgeinfer::pipeline {

// Pairs rows with columns maximizing total score; pairs with score < min_score are dropped.
// Returns (row, col) pairs. Greedy takes the best remaining pair first; Hungarian is optimal.
std::vector<std::pair<int, int>> match_scores(const std::vector<std::vector<float>>& score, float min_score,
                                              Matching method);

class Tracker {
  public:
    explicit Tracker(const TrackerConfig& config);
    ~Tracker();
    Tracker(const Tracker&) = delete;
    Tracker& operator=(const Tracker&) = delete;

    // Updates the tracks with one frame's detections (box, class_id, label, confidence) at
    // `timestamp_us`. Detections matched to a confirmed track come back with track_id and the
    // tracking_* / first_seen / last_seen attributes (tracking_ended_time "N/A"); detections of
    // tentative tracks come back with track_id -1. In SORT mode a tracked object's box is the
    // filter's corrected estimate. Detections keep their order.
    std::vector<ObjectMeta> update(std::vector<ObjectMeta> detections, int64_t timestamp_us);

    // Confirmed tracks that ended in the last update (more than max_age frames unmatched), with
    // their last box and tracking_ended_time = the time they were last seen.
    const std::vector<ObjectMeta>& ended() const { return ended_; }

    // Tracks alive now (tentative and confirmed), and ids handed out so far.
    size_t live_tracks() const;
    int64_t ids_issued() const { return next_id_ - 1; }

    // Ends every confirmed track now (end of stream); they appear in ended().
    void finish();

  private:
    struct Track;
    void fill(const Track& t, ObjectMeta& o, bool ended) const;

    TrackerConfig config_;
    std::vector<std::unique_ptr<Track>> tracks_;
    std::vector<ObjectMeta> ended_;
    int64_t next_id_ = 1;
};

}  // namespace edgeinfer::pipeline

// IoU / SORT tracker: match detections to tracks, confirm after min_hits, end after max_age misses.
#include "pipeline/tracker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/video/tracking.hpp>

namespace edgeinfer::pipeline {
namespace {

// Optimal assignment for an n x m cost matrix with n <= m (Hungarian method with potentials).
// Returns for each row the column it got.
std::vector<int> hungarian(const std::vector<std::vector<double>>& a, int n, int m) {
    const double inf = std::numeric_limits<double>::infinity();
    std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
    std::vector<int> p(m + 1, 0), way(m + 1, 0);
    for (int i = 1; i <= n; ++i) {
        p[0] = i;
        int j0 = 0;
        std::vector<double> minv(m + 1, inf);
        std::vector<char> used(m + 1, 0);
        do {
            used[j0] = 1;
            const int i0 = p[j0];
            double delta = inf;
            int j1 = 0;
            for (int j = 1; j <= m; ++j) {
                if (used[j]) continue;
                const double cur = a[i0 - 1][j - 1] - u[i0] - v[j];
                if (cur < minv[j]) minv[j] = cur, way[j] = j0;
                if (minv[j] < delta) delta = minv[j], j1 = j;
            }
            for (int j = 0; j <= m; ++j) {
                if (used[j])
                    u[p[j]] += delta, v[j] -= delta;
                else
                    minv[j] -= delta;
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            const int j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    std::vector<int> row_to_col(n, -1);
    for (int j = 1; j <= m; ++j)
        if (p[j] != 0) row_to_col[p[j] - 1] = j - 1;
    return row_to_col;
}

cv::Mat box_to_measurement(const Box& b) {
    const float w = std::max(b.width(), 1e-3f), h = std::max(b.height(), 1e-3f);
    return (cv::Mat_<float>(4, 1) << b.x1 + w / 2, b.y1 + h / 2, w * h, w / h);
}

Box state_to_box(const cv::Mat& x) {
    const float s = std::max(x.at<float>(2), 1e-6f), r = std::max(x.at<float>(3), 1e-6f);
    const float w = std::sqrt(s * r), h = s / w;
    const float cx = x.at<float>(0), cy = x.at<float>(1);
    return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

// SORT's constant-velocity model: state [cx, cy, area, aspect, vx, vy, varea], measurement the first four.
std::unique_ptr<cv::KalmanFilter> make_filter(const Box& b) {
    auto kf = std::make_unique<cv::KalmanFilter>(7, 4, 0, CV_32F);
    cv::setIdentity(kf->transitionMatrix);
    kf->transitionMatrix.at<float>(0, 4) = 1;
    kf->transitionMatrix.at<float>(1, 5) = 1;
    kf->transitionMatrix.at<float>(2, 6) = 1;
    kf->measurementMatrix = cv::Mat::zeros(4, 7, CV_32F);
    for (int i = 0; i < 4; ++i) kf->measurementMatrix.at<float>(i, i) = 1;
    cv::setIdentity(kf->measurementNoiseCov);
    kf->measurementNoiseCov.at<float>(2, 2) = 10;
    kf->measurementNoiseCov.at<float>(3, 3) = 10;
    cv::setIdentity(kf->processNoiseCov);
    for (int i = 4; i < 7; ++i) kf->processNoiseCov.at<float>(i, i) = 0.01f;
    kf->processNoiseCov.at<float>(6, 6) = 0.0001f;
    cv::setIdentity(kf->errorCovPost, cv::Scalar(10));
    for (int i = 4; i < 7; ++i) kf->errorCovPost.at<float>(i, i) = 10000;
    kf->statePost = cv::Mat::zeros(7, 1, CV_32F);
    box_to_measurement(b).copyTo(kf->statePost.rowRange(0, 4));
    return kf;
}

}  // namespace

std::vector<std::pair<int, int>> match_scores(const std::vector<std::vector<float>>& score, float min_score,
                                              Matching method) {
    std::vector<std::pair<int, int>> pairs;
    const int n = int(score.size());
    const int m = n ? int(score[0].size()) : 0;
    if (n == 0 || m == 0) return pairs;
    if (method == Matching::kGreedy) {
        std::vector<std::tuple<float, int, int>> all;
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < m; ++j)
                if (score[i][j] >= min_score && score[i][j] > 0) all.emplace_back(score[i][j], i, j);
        std::stable_sort(all.begin(), all.end(),
                         [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
        std::vector<char> row_used(n, 0), col_used(m, 0);
        for (const auto& [s, i, j] : all) {
            if (row_used[i] || col_used[j]) continue;
            row_used[i] = col_used[j] = 1;
            pairs.emplace_back(i, j);
        }
        return pairs;
    }
    // Hungarian: minimize the cost 1 - score, pairs under min_score cost as much as no pair.
    const bool transpose = n > m;
    const int rows = transpose ? m : n, cols = transpose ? n : m;
    std::vector<std::vector<double>> cost(rows, std::vector<double>(cols, 1.0));
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < m; ++j) {
            const double s = score[i][j] >= min_score ? score[i][j] : 0.0;
            (transpose ? cost[j][i] : cost[i][j]) = 1.0 - s;
        }
    const std::vector<int> assignment = hungarian(cost, rows, cols);
    for (int r = 0; r < rows; ++r) {
        const int c = assignment[r];
        if (c < 0) continue;
        const int i = transpose ? c : r, j = transpose ? r : c;
        if (score[i][j] >= min_score && score[i][j] > 0) pairs.emplace_back(i, j);
    }
    std::sort(pairs.begin(), pairs.end());
    return pairs;
}

struct Tracker::Track {
    Box box;        // last detection (IoU mode) or corrected estimate (SORT)
    Box predicted;  // where this frame's detection is expected
    int class_id = -1;
    std::string label;
    float confidence = 0;
    int hits = 0;
    int misses = 0;
    int64_t id = 0;  // 0 while tentative
    int64_t first_seen_us = 0, last_seen_us = 0;
    std::unique_ptr<cv::KalmanFilter> filter;
};

Tracker::Tracker(const TrackerConfig& config) : config_(config) {}
Tracker::~Tracker() = default;

size_t Tracker::live_tracks() const { return tracks_.size(); }

void Tracker::fill(const Track& t, ObjectMeta& o, bool ended) const {
    o.track_id = t.id;
    o.attributes["first_seen"] = iso8601_utc(t.first_seen_us);
    o.attributes["last_seen"] = iso8601_utc(t.last_seen_us);
    o.attributes["tracking_duration_in_seconds"] = double(t.last_seen_us - t.first_seen_us) / 1e6;
    o.attributes["tracking_ended_time"] = ended ? iso8601_utc(t.last_seen_us) : std::string("N/A");
}

std::vector<ObjectMeta> Tracker::update(std::vector<ObjectMeta> detections, int64_t timestamp_us) {
    ended_.clear();
    const bool sort = config_.mode == TrackerMode::kSort;
    for (auto& t : tracks_) {
        if (sort) {
            // Keep the area from going negative under its own velocity (as SORT does).
            if (t->filter->statePost.at<float>(2) + t->filter->statePost.at<float>(6) <= 0)
                t->filter->statePost.at<float>(6) = 0;
            t->predicted = state_to_box(t->filter->predict());
        } else {
            t->predicted = t->box;
        }
    }
    std::vector<std::vector<float>> score(tracks_.size(), std::vector<float>(detections.size(), 0.0f));
    for (size_t i = 0; i < tracks_.size(); ++i)
        for (size_t j = 0; j < detections.size(); ++j)
            if (!config_.match_classes || tracks_[i]->class_id == detections[j].class_id)
                score[i][j] = iou(tracks_[i]->predicted, detections[j].box);
    const auto pairs = match_scores(score, float(config_.iou_threshold), config_.matching);

    std::vector<int> det_track(detections.size(), -1);
    std::vector<char> track_matched(tracks_.size(), 0);
    for (const auto& [ti, dj] : pairs) {
        det_track[dj] = ti;
        track_matched[ti] = 1;
        Track& t = *tracks_[ti];
        const ObjectMeta& d = detections[dj];
        if (sort)
            t.box = state_to_box(t.filter->correct(box_to_measurement(d.box)));
        else
            t.box = d.box;
        t.label = d.label;
        t.confidence = d.confidence;
        t.hits++;
        t.misses = 0;
        t.last_seen_us = timestamp_us;
        if (t.id == 0 && t.hits >= config_.min_hits) t.id = next_id_++;
    }
    // Output before the track list changes (indices in det_track refer to it).
    for (size_t j = 0; j < detections.size(); ++j) {
        if (det_track[j] < 0) continue;
        const Track& t = *tracks_[det_track[j]];
        if (t.id == 0) continue;
        if (sort) detections[j].box = t.box;
        fill(t, detections[j], false);
    }
    std::vector<std::unique_ptr<Track>> kept;
    for (size_t i = 0; i < tracks_.size(); ++i) {
        auto& t = tracks_[i];
        if (!track_matched[i]) {
            t->misses++;
            if (t->id == 0) continue;  // a tentative track must be matched on consecutive frames
            if (t->misses > config_.max_age) {
                ObjectMeta o;
                o.box = t->box;
                o.class_id = t->class_id;
                o.label = t->label;
                o.confidence = t->confidence;
                fill(*t, o, true);
                ended_.push_back(std::move(o));
                continue;
            }
        }
        kept.push_back(std::move(t));
    }
    tracks_ = std::move(kept);
    for (size_t j = 0; j < detections.size(); ++j) {
        if (det_track[j] >= 0) continue;
        auto t = std::make_unique<Track>();
        t->box = t->predicted = detections[j].box;
        t->class_id = detections[j].class_id;
        t->label = detections[j].label;
        t->confidence = detections[j].confidence;
        t->hits = 1;
        t->first_seen_us = t->last_seen_us = timestamp_us;
        if (sort) t->filter = make_filter(t->box);
        if (config_.min_hits <= 1) {
            t->id = next_id_++;
            fill(*t, detections[j], false);
        }
        tracks_.push_back(std::move(t));
    }
    return detections;
}

void Tracker::finish() {
    ended_.clear();
    for (auto& t : tracks_) {
        if (t->id == 0) continue;
        ObjectMeta o;
        o.box = t->box;
        o.class_id = t->class_id;
        o.label = t->label;
        o.confidence = t->confidence;
        fill(*t, o, true);
        ended_.push_back(std::move(o));
    }
    tracks_.clear();
}

}  // namespace edgeinfer::pipeline

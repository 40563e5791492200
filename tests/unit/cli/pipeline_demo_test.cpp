// The pipeline demo end to end (models/demo_pipeline.json as scripts/demo-pipeline runs it) on the generated
// video of six moving shapes (tools/train_demo_detector.py --video, with its ground truth): the bundled
// detector and classifier, the SORT tracker, the counting line, the publish and record rules. Checks the
// number of tracks, which object each track follows, the classifier's labels, the crossings per direction
// and the recorded clips' frame counts against the generator's ground truth.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "../io/io_test_util.hpp"
#include "cli_test_util.hpp"

namespace edgeinfer {
namespace {

namespace fs = std::filesystem;
using cli_test::read_json;
using cli_test::read_json_lines;
using cli_test::run_cli;
using nlohmann::json;
using testing::TempDir;

const std::string kSource = EDGEINFER_SOURCE_DIR;
const std::string kVideo = EDGEINFER_DEMO_VIDEO;  // written by the make_demo_video fixture

double iou(const json& box_a, const json& box_b) {
    const auto a = box_a.get<std::array<double, 4>>(), b = box_b.get<std::array<double, 4>>();
    const double ix = std::max(0.0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
    const double iy = std::max(0.0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
    const double inter = ix * iy;
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

// The ground-truth object (index) whose box overlaps `box` on `frame` with IoU >= 0.5, or -1.
int matching_object(const json& truth, int64_t frame, const json& box) {
    const json& objects = truth["objects"];
    for (size_t k = 0; k < objects.size(); ++k) {
        const int64_t first = objects[k]["first_frame"], last = objects[k]["last_frame"];
        if (frame >= first && frame <= last && iou(objects[k]["boxes"][size_t(frame - first)], box) >= 0.5)
            return int(k);
    }
    return -1;
}

// Frames decoded from a video (-1 when it cannot be opened); each must be a whole 256x192 frame, and the
// file's frame rate `fps` when given.
int count_frames(const std::string& path, double fps = 0) {
    cv::VideoCapture cap(path);
    if (!cap.isOpened()) return -1;
    if (fps > 0) {
        EXPECT_NEAR(cap.get(cv::CAP_PROP_FPS), fps, 0.5) << path;
    }
    int frames = 0;
    for (cv::Mat img; cap.read(img); ++frames) EXPECT_EQ(img.size(), cv::Size(256, 192)) << path;
    return frames;
}

// models/demo_pipeline.json with the video, the models and every output moved to absolute paths.
json demo_config(const TempDir& dir) {
    json doc = read_json(kSource + "/models/demo_pipeline.json");
    doc["sources"][0]["uri"] = kVideo;
    doc["spool_directory"] = dir / "spool";
    for (json& e : doc["elements"])
        if (e.contains("model")) e["model"] = kSource + "/models/" + e["model"].get<std::string>();
    for (json& s : doc["sinks"])
        if (s.contains("path")) s["path"] = dir / fs::path(s["path"].get<std::string>()).filename().string();
    for (json& r : doc["action_rules"])
        if (r["action"].is_object() && r["action"]["type"] == "record") r["action"]["directory"] = dir / "clips";
    return doc;
}

struct Track {
    std::map<int, int> objects;              // ground-truth object -> frames where the box matches it
    std::map<std::string, int> predictions;  // predicted_class -> frames
    int frames = 0;
};

TEST(PipelineDemo, TracksClassifiesCountsCrossingsAndRecordsClips) {
    const json truth = read_json(fs::path(kVideo).replace_extension(".json").string());
    const int video_frames = truth["frames"];
    const double fps = truth["fps"];
    TempDir dir;
    const std::string cfg = dir / "demo_pipeline.json";
    std::ofstream(cfg) << demo_config(dir).dump(1);
    const auto r = run_cli("pipeline " + cfg + " -t 1");
    ASSERT_EQ(r.code, 0) << r.out;

    const auto meta = read_json_lines(dir / "metadata.jsonl");
    ASSERT_EQ(meta.size(), size_t(video_frames)) << r.out;
    EXPECT_EQ(count_frames(dir / "annotated.mp4"), video_frames);
    std::map<int64_t, Track> tracks;
    for (const json& m : meta) {
        for (const json& o : m["objects"]) {
            if (!o.contains("track_id")) continue;
            Track& t = tracks[o["track_id"].get<int64_t>()];
            t.frames++;
            t.objects[matching_object(truth, m["frame_number"].get<int64_t>(), o["box"])]++;
            if (o.contains("predicted_class")) t.predictions[o["predicted_class"].get<std::string>()]++;
        }
    }
    // One track per object: the objects never come near each other, so the tracker has no excuse to
    // swap or split them; a track that broke or a false detection that lived 3 frames would show here.
    const json& objects = truth["objects"];
    ASSERT_EQ(tracks.size(), objects.size()) << "tracks in the metadata vs objects in the video";
    std::map<int64_t, int> object_of_track;
    std::vector<int> tracks_of_object(objects.size(), 0);
    for (const auto& [id, t] : tracks) {
        const auto best = std::max_element(t.objects.begin(), t.objects.end(),
                                           [](const auto& a, const auto& b) { return a.second < b.second; });
        ASSERT_GE(best->first, 0) << "track " << id << " follows no object";
        // Each track's box overlaps its object (IoU >= 0.5) on at least 90% of the frames it lives.
        EXPECT_GE(best->second, 0.9 * t.frames) << "track " << id;
        object_of_track[id] = best->first;
        tracks_of_object[size_t(best->first)]++;
        // The classifier's label on most of the track's frames is the object's class.
        ASSERT_FALSE(t.predictions.empty()) << "track " << id << " was never classified";
        const auto label = std::max_element(t.predictions.begin(), t.predictions.end(),
                                            [](const auto& a, const auto& b) { return a.second < b.second; });
        EXPECT_EQ(label->first, objects[size_t(best->first)]["class"]) << "track " << id;
    }
    for (size_t k = 0; k < objects.size(); ++k) EXPECT_EQ(tracks_of_object[k], 1) << "object " << k;

    // Crossings: the running counts, and one published event per ground-truth crossing, by the right
    // object, in the right direction, within 2 frames of when its box's bottom edge passes the line.
    std::map<std::string, int> truth_count;
    for (const json& c : truth["crossings"]) truth_count[c["direction"]]++;
    EXPECT_EQ(meta.back()["line.gate.in"], truth_count["in"]);
    EXPECT_EQ(meta.back()["line.gate.out"], truth_count["out"]);
    const auto events = read_json_lines(dir / "events.jsonl");
    std::vector<json> published, recorded;
    for (const json& e : events) (e["rule_name"] == "gate_crossed" ? published : recorded).push_back(e);
    ASSERT_EQ(published.size(), truth["crossings"].size());
    for (size_t i = 0; i < published.size(); ++i) {
        const json& e = published[i];
        const json& c = truth["crossings"][i];
        EXPECT_EQ(object_of_track[e["object"]["track_id"].get<int64_t>()], c["object"].get<int>()) << e.dump();
        EXPECT_EQ(e["object"]["crossing_direction"], c["direction"]) << e.dump();
        EXPECT_NEAR(e["frame_number"].get<double>(), c["frame"].get<double>(), 2.0) << e.dump();
    }

    // Clips: "record_going_up" fires on each "out" crossing; they are further apart than a clip is long,
    // so each opens its own clip: the trigger frame and the 1 s before it (pre_seconds: 10 frames at
    // 10 fps), then the frames until 2 s after the trigger (duration_in_seconds; the frame at exactly
    // +2 s closes it): 11 + 19 = 30 frames.
    ASSERT_EQ(recorded.size(), size_t(truth_count["out"]));
    for (const json& e : recorded) {
        EXPECT_EQ(e["rule_name"], "record_going_up");
        ASSERT_TRUE(e.contains("clip")) << e.dump();
        const fs::path clip = e["clip"].get<std::string>();
        ASSERT_TRUE(fs::exists(clip)) << clip;
        EXPECT_EQ(clip.parent_path(), dir.path() / "clips");
        EXPECT_EQ(count_frames(clip.string(), fps), int(fps * 1) + 1 + int(fps * 2) - 1) << clip;
    }
}

}  // namespace
}  // namespace edgeinfer

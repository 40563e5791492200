// pipeline metadata: boxes, the per-object and per-frame values that elements produce and rules read.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace edgeinfer::pipeline {

// A value a rule can compare: every key is either a number or a string.
using Value = std::variant<double, std::string>;
nlohmann::json value_to_json(const Value& v);
std::string value_to_string(const Value& v);

// An axis-aligned box in pixels, corners (x1, y1) top-left and (x2, y2) bottom-right.
struct Box {
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    float width() const { return x2 - x1; }
    float height() const { return y2 - y1; }
    float area() const { return width() > 0 && height() > 0 ? width() * height() : 0.0f; }
};
float iou(const Box& a, const Box& b);

// One object in a frame. The fixed fields come from the detector and the tracker; every other key
// (predicted_class, probability, tracking_*, zone, line_crossed, custom keys) lives in attributes.
struct ObjectMeta {
    Box box;
    int class_id = -1;
    std::string label;
    float confidence = 0.0f;
    int64_t track_id = -1;  // -1 while untracked or unconfirmed
    std::map<std::string, Value> attributes;

    // The value of a rule key for this object: label, confidence, class_id, track_id, then attributes.
    std::optional<Value> lookup(const std::string& key) const;
};

// One frame's metadata, as the metadata sink writes it and rules read it.
struct FrameMeta {
    std::string source_id;
    uint64_t frame_number = 0;
    int64_t timestamp_us = 0;
    int width = 0, height = 0;
    std::vector<ObjectMeta> objects;
    std::vector<ObjectMeta> ended_objects;    // tracks that ended at this frame (tracking_ended_time set)
    std::map<std::string, Value> attributes;  // frame-level keys other than object_count, frame_number, source_id

    // object_count, frame_number, source_id, timestamp, then attributes.
    std::optional<Value> lookup(const std::string& key) const;
};

nlohmann::json to_json(const ObjectMeta& object);
nlohmann::json to_json(const FrameMeta& frame);

// "2026-11-22T02:48:37.123Z" (UTC, milliseconds) for microseconds since the Unix epoch.
std::string iso8601_utc(int64_t timestamp_us);

}  // namespace edgeinfer::pipeline

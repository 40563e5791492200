// Box IoU, metadata lookups and their JSON form.
#include "pipeline/metadata.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace edgeinfer::pipeline {

nlohmann::json value_to_json(const Value& v) {
    if (const double* d = std::get_if<double>(&v)) return *d;
    return std::get<std::string>(v);
}

std::string value_to_string(const Value& v) {
    if (const double* d = std::get_if<double>(&v)) {
        if (std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 1e15) return std::to_string(int64_t(*d));
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%g", *d);
        return buf;
    }
    return "\"" + std::get<std::string>(v) + "\"";
}

float iou(const Box& a, const Box& b) {
    const float ix = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
    const float iy = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
    if (ix <= 0 || iy <= 0) return 0.0f;
    const float inter = ix * iy;
    const float uni = a.area() + b.area() - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

std::optional<Value> ObjectMeta::lookup(const std::string& key) const {
    if (key == "label") return Value(label);
    if (key == "confidence") return Value(double(confidence));
    if (key == "class_id") return Value(double(class_id));
    if (key == "track_id") return track_id >= 0 ? std::optional<Value>(double(track_id)) : std::nullopt;
    auto it = attributes.find(key);
    if (it == attributes.end()) return std::nullopt;
    return it->second;
}

std::optional<Value> FrameMeta::lookup(const std::string& key) const {
    if (key == "object_count") return Value(double(objects.size()));
    if (key == "frame_number") return Value(double(frame_number));
    if (key == "source_id") return Value(source_id);
    if (key == "timestamp") return Value(double(timestamp_us) / 1e6);
    auto it = attributes.find(key);
    if (it == attributes.end()) return std::nullopt;
    return it->second;
}

nlohmann::json to_json(const ObjectMeta& o) {
    nlohmann::json j;
    j["box"] = {o.box.x1, o.box.y1, o.box.x2, o.box.y2};
    j["class_id"] = o.class_id;
    j["label"] = o.label;
    j["confidence"] = o.confidence;
    if (o.track_id >= 0) j["track_id"] = o.track_id;
    for (const auto& [k, v] : o.attributes) j[k] = value_to_json(v);
    return j;
}

nlohmann::json to_json(const FrameMeta& f) {
    nlohmann::json j;
    j["source_id"] = f.source_id;
    j["frame_number"] = f.frame_number;
    j["timestamp_us"] = f.timestamp_us;
    j["timestamp"] = iso8601_utc(f.timestamp_us);
    j["width"] = f.width;
    j["height"] = f.height;
    j["object_count"] = f.objects.size();
    j["objects"] = nlohmann::json::array();
    for (const auto& o : f.objects) j["objects"].push_back(to_json(o));
    if (!f.ended_objects.empty()) {
        j["ended_objects"] = nlohmann::json::array();
        for (const auto& o : f.ended_objects) j["ended_objects"].push_back(to_json(o));
    }
    for (const auto& [k, v] : f.attributes) j[k] = value_to_json(v);
    return j;
}

std::string iso8601_utc(int64_t timestamp_us) {
    int64_t secs = timestamp_us / 1000000;
    int64_t rem = timestamp_us % 1000000;
    if (rem < 0) {
        rem += 1000000;
        --secs;
    }
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, int(rem / 1000));
    return buf;
}

}  // namespace edgeinfer::pipeline

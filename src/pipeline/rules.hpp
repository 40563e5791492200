// pipeline::RuleEngine: evaluates action_rules ({rule_name, and, or, action}) on each frame's
// metadata, per object or per frame, with per-rule cooldown; and the events rules produce.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/config.hpp"
#include "pipeline/metadata.hpp"

namespace edgeinfer::pipeline {

// Compares actual OP expected. Numbers compare as numbers, strings as strings (lexicographic order
// for < <= > >=). Different types never match; *type_mismatch is set when that happens.
bool compare_values(const Value& actual, CompareOp op, const Value& expected, bool* type_mismatch = nullptr);

// One firing of a rule: the rule, the frame, and the object it fired for (per-object rules).
struct Firing {
    const RuleConfig* rule = nullptr;
    std::optional<ObjectMeta> object;
    int index = 0;  // this rule's n-th firing on the frame (tells untracked objects' events apart)
};

class RuleEngine {
  public:
    explicit RuleEngine(std::vector<RuleConfig> rules) : rules_(std::move(rules)) {}

    // Every rule that fires on this frame. Per-object rules are checked on frame.objects and
    // frame.ended_objects; a rule in its cooldown on this source (frame time) is skipped.
    // With `ended_only`, only per-object rules on frame.ended_objects (a source's end marker).
    std::vector<Firing> evaluate(const FrameMeta& frame, bool ended_only = false);

    // Whether one condition (tree) holds for this frame and object (null for frame-level rules).
    bool holds(const Condition& c, const FrameMeta& frame, const ObjectMeta* object);

    const std::vector<RuleConfig>& rules() const { return rules_; }
    // Comparisons skipped because a runtime value had the other type (custom elements).
    uint64_t type_mismatches() const { return type_mismatches_; }

  private:
    bool rule_holds(const RuleConfig& r, const FrameMeta& frame, const ObjectMeta* object);
    std::vector<RuleConfig> rules_;
    std::map<std::pair<size_t, std::string>, int64_t> last_fired_us_;  // (rule, source) -> frame time
    uint64_t type_mismatches_ = 0;
};

// "rule:source:timestamp_us", then ":track_id" (tracked objects) or "#n" (the rule's n-th untracked
// object on the frame) for per-object rules: the same for every delivery of one event.
std::string event_id(const Firing& firing, const FrameMeta& frame);

// The JSON document an event is delivered as:
//   {"event_id", "rule_name", "action", "source_id", "frame_number", "timestamp", "timestamp_us",
//    "object": {...} (per-object rules), "frame": {"object_count", frame keys}, "clip": path (record)}
nlohmann::json make_event(const Firing& firing, const FrameMeta& frame, const std::string& clip_path = "");

}  // namespace edgeinfer::pipeline

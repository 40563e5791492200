// Rule evaluation: comparisons, nested and/or, per-object and per-frame rules, cooldown, events.
#include "pipeline/rules.hpp"

#include <sstream>

namespace edgeinfer::pipeline {
namespace {

template <typename T>
bool apply(const T& a, CompareOp op, const T& b) {
    switch (op) {
        case CompareOp::kGt:
            return a > b;
        case CompareOp::kGe:
            return a >= b;
        case CompareOp::kLt:
            return a < b;
        case CompareOp::kLe:
            return a <= b;
        case CompareOp::kEq:
            return a == b;
        case CompareOp::kNe:
            return a != b;
    }
    return false;
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(item);
    return out;
}

}  // namespace

bool compare_values(const Value& actual, CompareOp op, const Value& expected, bool* type_mismatch) {
    if (actual.index() != expected.index()) {
        if (type_mismatch) *type_mismatch = true;
        return false;
    }
    if (const double* a = std::get_if<double>(&actual)) return apply(*a, op, std::get<double>(expected));
    return apply(std::get<std::string>(actual), op, std::get<std::string>(expected));
}

bool RuleEngine::holds(const Condition& c, const FrameMeta& frame, const ObjectMeta* object) {
    switch (c.kind) {
        case Condition::Kind::kAnd:
            for (const auto& child : c.children)
                if (!holds(child, frame, object)) return false;
            return true;
        case Condition::Kind::kOr:
            for (const auto& child : c.children)
                if (holds(child, frame, object)) return true;
            return false;
        case Condition::Kind::kCompare:
            break;
    }
    std::optional<Value> v = object ? object->lookup(c.key) : std::nullopt;
    if (!v) v = frame.lookup(c.key);
    if (!v) return false;  // not produced for this object or frame (e.g. an untracked object)
    bool mismatch = false;
    bool result;
    if (c.key == "zone" && (c.op == CompareOp::kEq || c.op == CompareOp::kNe) &&
        std::holds_alternative<std::string>(*v)) {
        // An object may be in several zones: == holds when one of them matches, != when none does.
        bool any = false;
        for (const auto& name : split_commas(std::get<std::string>(*v)))
            any = any || compare_values(Value(name), CompareOp::kEq, c.value, &mismatch);
        result = c.op == CompareOp::kEq ? any : !any && !mismatch;
    } else {
        result = compare_values(*v, c.op, c.value, &mismatch);
    }
    if (mismatch) ++type_mismatches_;
    return result;
}

bool RuleEngine::rule_holds(const RuleConfig& r, const FrameMeta& frame, const ObjectMeta* object) {
    for (const auto& c : r.all)
        if (!holds(c, frame, object)) return false;
    if (r.any.empty()) return true;
    for (const auto& c : r.any)
        if (holds(c, frame, object)) return true;
    return false;
}

std::vector<Firing> RuleEngine::evaluate(const FrameMeta& frame, bool ended_only) {
    std::vector<Firing> out;
    for (size_t i = 0; i < rules_.size(); ++i) {
        const RuleConfig& r = rules_[i];
        if (!r.sources.empty() && std::find(r.sources.begin(), r.sources.end(), frame.source_id) == r.sources.end())
            continue;
        const auto key = std::make_pair(i, frame.source_id);
        auto cooling = [&] {
            auto it = last_fired_us_.find(key);
            return it != last_fired_us_.end() && r.cooldown_seconds > 0 &&
                   double(frame.timestamp_us - it->second) < r.cooldown_seconds * 1e6;
        };
        int n = 0;
        if (ended_only && !r.per_object) continue;
        if (!r.per_object) {
            if (!cooling() && rule_holds(r, frame, nullptr)) {
                out.push_back({&r, std::nullopt});
                last_fired_us_[key] = frame.timestamp_us;
            }
            continue;
        }
        for (const auto* list : {&frame.objects, &frame.ended_objects}) {
            if (ended_only && list == &frame.objects) continue;
            for (const auto& o : *list) {
                if (cooling()) break;
                if (!rule_holds(r, frame, &o)) continue;
                out.push_back({&r, o, n++});
                last_fired_us_[key] = frame.timestamp_us;
            }
        }
    }
    return out;
}

std::string event_id(const Firing& firing, const FrameMeta& frame) {
    std::string id = firing.rule->rule_name + ":" + frame.source_id + ":" + std::to_string(frame.timestamp_us);
    // (appended piecewise: GCC 12 warns falsely about "literal" + std::to_string(...) here)
    if (firing.object) {
        id.push_back(firing.object->track_id >= 0 ? ':' : '#');
        id.append(std::to_string(firing.object->track_id >= 0 ? firing.object->track_id : int64_t(firing.index)));
    }
    return id;
}

nlohmann::json make_event(const Firing& firing, const FrameMeta& frame, const std::string& clip_path) {
    const RuleConfig& r = *firing.rule;
    nlohmann::json e;
    e["event_id"] = event_id(firing, frame);
    e["rule_name"] = r.rule_name;
    e["action"] = r.action.type == ActionType::kRecord ? "record" : "publish";
    e["source_id"] = frame.source_id;
    e["frame_number"] = frame.frame_number;
    e["timestamp_us"] = frame.timestamp_us;
    e["timestamp"] = iso8601_utc(frame.timestamp_us);
    if (firing.object) e["object"] = to_json(*firing.object);
    nlohmann::json f;
    f["object_count"] = frame.objects.size();
    f["width"] = frame.width;
    f["height"] = frame.height;
    for (const auto& [k, v] : frame.attributes) f[k] = value_to_json(v);
    e["frame"] = f;
    if (!clip_path.empty()) e["clip"] = clip_path;
    return e;
}

}  // namespace edgeinfer::pipeline

// Pipeline config "action_rules": conditions read against the keys the configured elements produce (a key
// nobody produces, or a comparison that can never hold, is an error with a hint), and each rule's action.
#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/config_reader.hpp"

namespace edgeinfer::pipeline {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Where a key comes from when the configuration lacks its producer, for the error message.
std::string producer_hint(const std::string& key) {
    static const std::map<std::string, std::string> hints = {
        {"label", "an infer element with role detector"},
        {"confidence", "an infer element with role detector"},
        {"class_id", "an infer element with role detector"},
        {"predicted_class", "an infer element with role classifier"},
        {"probability", "an infer element with role classifier"},
        {"track_id", "a tracker element"},
        {"tracking_duration_in_seconds", "a tracker element"},
        {"tracking_ended_time", "a tracker element"},
        {"first_seen", "a tracker element"},
        {"last_seen", "a tracker element"},
        {"zone", "zones"},
        {"line_crossed", "lines"},
        {"crossing_direction", "lines"},
    };
    auto it = hints.find(key);
    return it == hints.end() ? "" : " (it comes from " + it->second + ")";
}

const std::vector<std::string>& operator_names() {
    static const std::vector<std::string> names = {">", ">=", "<", "<=", "==", "!="};
    return names;
}

// What the conditions of one rule are read against.
struct RuleContext {
    const std::map<std::string, KeyInfo>& keys;
    const std::string& rule_name;
    bool& per_object;  // set when a condition reads a per-object key
};

Condition parse_condition(const json& j, const std::string& path, RuleContext& rule, int depth);

// `depth`: how many condition lists enclose this one (a rule's own "and"/"or" is 1).
std::vector<Condition> parse_condition_list(const json& arr, const std::string& path, RuleContext& rule,
                                            int depth = 1) {
    if (depth > kMaxConditionDepth)
        fail(path, "conditions nested deeper than " + std::to_string(kMaxConditionDepth) + " levels (the limit)");
    if (!arr.is_array()) fail(path, "expected an array of conditions, got " + describe(arr));
    std::vector<Condition> out;
    for (size_t i = 0; i < arr.size(); ++i)
        out.push_back(parse_condition(arr[i], path + "/" + std::to_string(i), rule, depth));
    return out;
}

std::string number_text(double d) {
    std::ostringstream s;
    s.precision(6);
    s << d;
    return s.str();
}

// A comparison that no value of the key can satisfy (a probability above 1, a class its producer does not
// have) is a config error naming the rule, with a hint.
void check_reachable(const Condition& c, const KeyInfo& info, const std::string& path, const std::string& rule) {
    const std::string where = "rule " + q(rule) + ": " +
                              q(c.key + " " + std::string(compare_op_name(c.op)) + " " + value_to_string(c.value)) +
                              " can never hold";
    if (const double* v = std::get_if<double>(&c.value)) {
        bool never = false;
        switch (c.op) {
            case CompareOp::kGt:
                never = *v >= info.max;
                break;
            case CompareOp::kGe:
                never = *v > info.max;
                break;
            case CompareOp::kLt:
                never = *v <= info.min;
                break;
            case CompareOp::kLe:
                never = *v < info.min;
                break;
            case CompareOp::kEq:
                never = *v < info.min || *v > info.max;
                break;
            case CompareOp::kNe:
                break;
        }
        if (!never) return;
        std::string hint = ": " + c.key + " is " + number_text(info.min) + ".." + number_text(info.max);
        if (info.min == 0.0 && info.max == 1.0 && *v > 1.0 && *v <= 100.0) {
            char buf[32];
            std::snprintf(buf, sizeof(buf), "%.2f", *v / 100.0);
            hint += "; did you mean " + std::string(buf) + "?";
        }
        fail(path, where + hint);
    }
    const std::string& s = std::get<std::string>(c.value);
    // "" is what zone, line_crossed and crossing_direction hold when there is none.
    if (info.values.empty() || s.empty() || (c.op != CompareOp::kEq && c.op != CompareOp::kNe)) return;
    if (std::find(info.values.begin(), info.values.end(), s) != info.values.end()) return;
    fail(path, "rule " + q(rule) + ": " + q(s) + " is not a value of " + q(c.key) + " (from " + info.producer +
                   "), which is one of: " + join_list(info.values));
}

Condition parse_condition(const json& j, const std::string& path, RuleContext& rule, int depth) {
    const auto& keys = rule.keys;
    Condition c;
    c.path = path;
    if (j.is_object() && (j.contains("and") || j.contains("or"))) {
        const bool is_and = j.contains("and");
        Obj o(j, path, {is_and ? "and" : "or"});
        c.kind = is_and ? Condition::Kind::kAnd : Condition::Kind::kOr;
        c.children = parse_condition_list(o.get(is_and ? "and" : "or"), o.at(is_and ? "and" : "or"), rule, depth + 1);
        if (c.children.empty()) fail(o.at(is_and ? "and" : "or"), "needs at least one condition");
        return c;
    }
    Obj o(j, path, {"key", "operator", "value", "and", "or"});
    c.key = o.str("key", "", true);
    const std::string op = o.str("operator", "", true);
    const auto& ops = operator_names();
    auto it = std::find(ops.begin(), ops.end(), op);
    if (it == ops.end())
        fail(o.at("operator"), "unknown operator " + q(op) + ", expected one of " + join_list(ops, " "));
    c.op = static_cast<CompareOp>(it - ops.begin());
    const json& v = o.required("value");
    if (v.is_number())
        c.value = v.get<double>();
    else if (v.is_string())
        c.value = v.get<std::string>();
    else
        fail(o.at("value"), "expected a number or a string, got " + describe(v));
    auto k = keys.find(c.key);
    if (k == keys.end()) {
        std::vector<std::string> names;
        for (const auto& [name, info] : keys) names.push_back(name);
        // A prefixed key of the same result (clip_probability for probability): name it first.
        std::string similar;
        for (const auto& [name, info] : keys)
            if (name.size() > c.key.size() && name.compare(name.size() - c.key.size(), c.key.size(), c.key) == 0)
                similar += (similar.empty() ? "; did you mean " : " or ") + q(name) + " (from " + info.producer + ")";
        fail(o.at("key"), "no configured element produces key " + q(c.key) + producer_hint(c.key) + similar +
                              "; keys available: " + join_list(names));
    }
    const bool want_number = k->second.type == KeyType::kNumber;
    if (want_number != v.is_number())
        fail(o.at("value"),
             "key " + q(c.key) + " is a " + (want_number ? "number" : "string") + ", got " + describe(v));
    check_reachable(c, k->second, o.at("value"), rule.rule_name);
    if (k->second.scope == KeyScope::kObject) rule.per_object = true;
    return c;
}

ActionConfig parse_action(const json& j, const std::string& path, const PipelineConfig& c, const fs::path& base_dir,
                          const ConfigOptions& options) {
    ActionConfig a;
    json obj = j.is_string() ? json{{"type", j}} : j;
    // EDGEMATRIX Stream / DeepStream-style tools name the action "action_name"; it means "type".
    std::string type_key = "type";
    if (obj.is_object() && obj.contains("action_name")) {
        if (obj.contains("type")) fail(path + "/action_name", "give the action once: \"type\" or \"action_name\"");
        type_key = "action_name";
    }
    const std::vector<std::string> record_keys = {
        "pre_seconds", "duration_in_seconds", "max_duration_in_seconds", "directory", "fps", "min_free_mb"};
    if (obj.is_object() && obj.contains(type_key) && obj[type_key] == "upload") {
        // An upload action with more than sinks asks for the video itself to be sent (a cloud video stream).
        for (const auto& [key, value] : obj.items()) {
            if (key == type_key || key == "sinks") continue;
            fail(path + "/" + key,
                 "an upload action with " + q(key) +
                     " asks for a video upload to a cloud stream, which edgeinfer does not do; record the clip "
                     "on disk and send the event with the clip's path to a webhook or mqtt sink instead: "
                     "{\"" +
                     type_key +
                     "\": \"record\", \"duration_in_seconds\": ..., \"sinks\": [\"<webhook or "
                     "mqtt sink id>\"]} (docs/pipeline.md, Accepted spellings)");
        }
    }
    std::vector<std::string> allowed = {type_key, "sinks"};
    allowed.insert(allowed.end(), record_keys.begin(), record_keys.end());
    Obj o(obj, path, allowed);
    const std::string type = o.str(type_key, "", true);
    if (type == "record")
        a.type = ActionType::kRecord;
    else if (type == "publish" || type == "upload")
        a.type = ActionType::kPublish;
    else
        fail(j.is_string() ? path : o.at(type_key),
             "unknown action " + q(type) + ", expected one of record, publish, upload");
    a.sinks = o.strings("sinks");
    for (size_t i = 0; i < a.sinks.size(); ++i) {
        const SinkConfig* s = c.find_sink(a.sinks[i]);
        const std::string p = o.at("sinks") + "/" + std::to_string(i);
        if (!s) fail(p, "no sink has id " + q(a.sinks[i]));
        if (!is_event_sink(s->type))
            fail(p, "sink " + q(a.sinks[i]) + " is a " + std::string(sink_type_name(s->type)) +
                        " sink; events go to file, webhook or mqtt sinks");
    }
    if (a.type == ActionType::kPublish) {
        if (a.sinks.empty() && !options.events_to_callback)
            fail(j.is_string() ? path : o.path(),
                 (type == "upload" ? "an " : "a ") + type + " action needs \"sinks\": the event sinks to send to");
        for (const std::string& k : record_keys)
            if (o.has(k)) fail(o.at(k), "only for a record action");
        return a;
    }
    a.pre_seconds = o.num("pre_seconds", 5.0, 0.0, 3600.0);
    a.duration_in_seconds = o.num("duration_in_seconds", 10.0, 0.0, 86400.0);
    a.max_duration_in_seconds = o.num("max_duration_in_seconds", std::max(60.0, a.duration_in_seconds), 0.001, 86400.0);
    if (a.max_duration_in_seconds < a.duration_in_seconds)
        fail(o.at("max_duration_in_seconds"), "must be at least duration_in_seconds");
    a.directory = resolve(o.str("directory", "recordings"), base_dir);
    a.fps = o.num("fps", 0.0, 0.0, 1000.0);
    a.min_free_mb = o.num("min_free_mb", 64.0, 0.0, 1048576.0);
    return a;
}

}  // namespace

void parse_rules(const Obj& top, PipelineConfig& c, const fs::path& base_dir, const ConfigOptions& options) {
    const auto keys = available_keys(c);
    const json& arr = top.array("action_rules", false);
    std::set<std::string> names;
    for (size_t i = 0; i < arr.size(); ++i) {
        Obj o(arr[i], top.at("action_rules") + "/" + std::to_string(i),
              {"rule_name", "and", "or", "action", "cooldown_seconds", "sources"});
        RuleConfig r;
        r.path = o.path();
        r.rule_name = o.str("rule_name", "", true);
        check_unique(names, r.rule_name, o.at("rule_name"), "rule_name");
        RuleContext context{keys, r.rule_name, r.per_object};
        if (o.has("and")) r.all = parse_condition_list(o.get("and"), o.at("and"), context);
        if (o.has("or")) r.any = parse_condition_list(o.get("or"), o.at("or"), context);
        if (r.all.empty() && r.any.empty()) fail(o.path(), "a rule needs at least one condition in \"and\" or \"or\"");
        r.action = parse_action(o.required("action"), o.at("action"), c, base_dir, options);
        r.cooldown_seconds = o.num("cooldown_seconds", 0.0, 0.0, 1e7);
        r.sources = o.strings("sources");
        check_sources(r.sources, c, o.at("sources"));
        c.action_rules.push_back(std::move(r));
    }
}

std::string_view compare_op_name(CompareOp op) { return operator_names()[static_cast<size_t>(op)]; }

}  // namespace edgeinfer::pipeline

// Rules (every operator, strings and numbers, type mismatch, nested and/or, per-object and per-frame,
// cooldown, ended tracks), polygon zones and line crossing counts.
#include "pipeline/rules.hpp"

#include <gtest/gtest.h>

#include "pipeline/tracker.hpp"
#include "pipeline/zones.hpp"

namespace edgeinfer::pipeline {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;

Condition cmp(const std::string& key, CompareOp op, Value v) {
    Condition c;
    c.key = key;
    c.op = op;
    c.value = std::move(v);
    return c;
}
Condition group(Condition::Kind kind, std::vector<Condition> children) {
    Condition c;
    c.kind = kind;
    c.children = std::move(children);
    return c;
}
RuleConfig rule(const std::string& name, std::vector<Condition> all, std::vector<Condition> any = {},
                bool per_object = true, double cooldown = 0) {
    RuleConfig r;
    r.rule_name = name;
    r.all = std::move(all);
    r.any = std::move(any);
    r.per_object = per_object;
    r.cooldown_seconds = cooldown;
    return r;
}
ObjectMeta object(const std::string& label, float conf, Box box = {0, 0, 10, 10}, int64_t track = -1) {
    ObjectMeta o;
    o.label = label;
    o.confidence = conf;
    o.box = box;
    o.track_id = track;
    return o;
}
FrameMeta frame(std::vector<ObjectMeta> objects, uint64_t n = 0, const std::string& source = "cam1") {
    FrameMeta f;
    f.source_id = source;
    f.frame_number = n;
    f.timestamp_us = kT0 + int64_t(n) * 100'000;  // 10 fps
    f.width = 640;
    f.height = 480;
    f.objects = std::move(objects);
    return f;
}

TEST(CompareValues, EveryOperatorOnNumbers) {
    struct Case {
        CompareOp op;
        double a, b;
        bool expected;
    };
    const Case cases[] = {
        {CompareOp::kGt, 2, 1, true},      {CompareOp::kGt, 1, 1, false},    {CompareOp::kGe, 1, 1, true},
        {CompareOp::kGe, 0, 1, false},     {CompareOp::kLt, 0, 1, true},     {CompareOp::kLt, 1, 1, false},
        {CompareOp::kLe, 1, 1, true},      {CompareOp::kLe, 2, 1, false},    {CompareOp::kEq, 0.5, 0.5, true},
        {CompareOp::kEq, 0.5, 0.6, false}, {CompareOp::kNe, 0.5, 0.6, true}, {CompareOp::kNe, 3, 3, false},
    };
    for (const auto& c : cases)
        EXPECT_EQ(compare_values(c.a, c.op, c.b), c.expected) << c.a << " " << compare_op_name(c.op) << " " << c.b;
}

TEST(CompareValues, EveryOperatorOnStrings) {
    using S = std::string;
    EXPECT_TRUE(compare_values(S("red"), CompareOp::kEq, S("red")));
    EXPECT_FALSE(compare_values(S("red"), CompareOp::kEq, S("Red")));
    EXPECT_TRUE(compare_values(S("red"), CompareOp::kNe, S("blue")));
    EXPECT_FALSE(compare_values(S("red"), CompareOp::kNe, S("red")));
    // ISO times order lexicographically.
    const S early = iso8601_utc(kT0), late = iso8601_utc(kT0 + 1'500'000);
    EXPECT_TRUE(compare_values(late, CompareOp::kGt, early));
    EXPECT_TRUE(compare_values(late, CompareOp::kGe, late));
    EXPECT_TRUE(compare_values(early, CompareOp::kLt, late));
    EXPECT_FALSE(compare_values(late, CompareOp::kLe, early));
}

TEST(CompareValues, TypeMismatchNeverMatchesAndIsReported) {
    bool mismatch = false;
    EXPECT_FALSE(compare_values(std::string("5"), CompareOp::kEq, 5.0, &mismatch));
    EXPECT_TRUE(mismatch);
    mismatch = false;
    EXPECT_FALSE(compare_values(5.0, CompareOp::kNe, std::string("x"), &mismatch));
    EXPECT_TRUE(mismatch);
    // A custom element that produced a string where the rule expects a number.
    RuleEngine engine({rule("speeding", {cmp("speed", CompareOp::kGt, 10.0)})});
    ObjectMeta o = object("car", 0.9f);
    o.attributes["speed"] = std::string("fast");
    EXPECT_TRUE(engine.evaluate(frame({o})).empty());
    EXPECT_EQ(engine.type_mismatches(), 1u);
}

TEST(RuleEngine, AndOrAndNestedGroups) {
    // label == square AND confidence > 0.5 AND (zone-less: or [probability >= 0.9, and[predicted_class == red,
    // probability > 0.6]])
    RuleEngine engine(
        {rule("r", {cmp("label", CompareOp::kEq, std::string("square")), cmp("confidence", CompareOp::kGt, 0.5)},
              {cmp("probability", CompareOp::kGe, 0.9),
               group(Condition::Kind::kAnd, {cmp("predicted_class", CompareOp::kEq, std::string("red")),
                                             cmp("probability", CompareOp::kGt, 0.6)})})});
    auto with = [](const std::string& label, float conf, const std::string& cls, double p) {
        ObjectMeta o = object(label, conf);
        o.attributes["predicted_class"] = cls;
        o.attributes["probability"] = p;
        return o;
    };
    EXPECT_EQ(engine.evaluate(frame({with("square", 0.8f, "blue", 0.95)})).size(), 1u);  // or[0]
    EXPECT_EQ(engine.evaluate(frame({with("square", 0.8f, "red", 0.7)})).size(), 1u);    // or[1] nested and
    EXPECT_TRUE(engine.evaluate(frame({with("square", 0.8f, "blue", 0.7)})).empty());    // no or holds
    EXPECT_TRUE(engine.evaluate(frame({with("circle", 0.8f, "red", 0.95)})).empty());    // and fails
    EXPECT_TRUE(engine.evaluate(frame({with("square", 0.4f, "red", 0.95)})).empty());    // and fails
    // An or-group nested inside and.
    RuleEngine nested({rule("n", {group(Condition::Kind::kOr, {cmp("label", CompareOp::kEq, std::string("a")),
                                                               cmp("label", CompareOp::kEq, std::string("b"))})})});
    EXPECT_EQ(nested.evaluate(frame({object("a", 1), object("b", 1), object("c", 1)})).size(), 2u);
}

TEST(RuleEngine, PerFrameRulesFireOncePerFrame) {
    RuleEngine engine({rule("crowd", {cmp("object_count", CompareOp::kGe, 3.0)}, {}, false)});
    EXPECT_TRUE(engine.evaluate(frame({object("a", 1), object("a", 1)})).empty());
    auto fired = engine.evaluate(frame({object("a", 1), object("a", 1), object("a", 1)}));
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_FALSE(fired[0].object.has_value());
}

TEST(RuleEngine, MissingKeysDoNotMatch) {
    // An untracked object has no tracking_duration_in_seconds; != must not hold either.
    RuleEngine engine({rule("r", {cmp("tracking_duration_in_seconds", CompareOp::kNe, 1.0)})});
    EXPECT_TRUE(engine.evaluate(frame({object("a", 1)})).empty());
}

TEST(RuleEngine, CooldownIsPerRuleAndSourceInFrameTime) {
    RuleEngine engine({rule("r", {cmp("label", CompareOp::kEq, std::string("a"))}, {}, true, 1.0)});
    int fired = 0;
    std::vector<uint64_t> frames;
    for (uint64_t n = 0; n < 25; ++n) {  // 10 fps: 2.5 s
        const size_t k = engine.evaluate(frame({object("a", 1), object("a", 1)}, n)).size();
        if (k) frames.push_back(n);
        fired += int(k);
    }
    EXPECT_EQ(frames, (std::vector<uint64_t>{0, 10, 20}));
    EXPECT_EQ(fired, 3);
    // Another source has its own cooldown.
    EXPECT_EQ(engine.evaluate(frame({object("a", 1)}, 21, "cam2")).size(), 1u);
    // Without cooldown every matching object fires on every frame.
    RuleEngine free({rule("r", {cmp("label", CompareOp::kEq, std::string("a"))})});
    EXPECT_EQ(free.evaluate(frame({object("a", 1), object("a", 1)}, 0)).size(), 2u);
    EXPECT_EQ(free.evaluate(frame({object("a", 1), object("a", 1)}, 1)).size(), 2u);
}

TEST(RuleEngine, TrackingEndedTimeFiresOnceWhenTheTrackEnds) {
    TrackerConfig tc;
    tc.min_hits = 1;
    tc.max_age = 2;
    Tracker tracker(tc);
    RuleEngine engine({rule("gone", {cmp("tracking_ended_time", CompareOp::kNe, std::string("N/A")),
                                     cmp("tracking_duration_in_seconds", CompareOp::kGe, 0.5)}),
                       rule("alive", {cmp("tracking_ended_time", CompareOp::kEq, std::string("N/A"))})});
    int gone = 0, alive = 0;
    for (uint64_t n = 0; n < 15; ++n) {
        std::vector<ObjectMeta> dets;
        if (n < 8) dets.push_back(object("a", 1, {float(10 * n), 0, float(10 * n + 40), 40}));
        FrameMeta f = frame(tracker.update(dets, kT0 + int64_t(n) * 100'000), n);
        f.ended_objects = tracker.ended();
        for (const auto& firing : engine.evaluate(f)) {
            (firing.rule->rule_name == "gone" ? gone : alive)++;
            if (firing.rule->rule_name == "gone") {
                EXPECT_EQ(n, 10u);  // last seen at frame 7, ended after 3 misses
                auto event = make_event(firing, f);
                EXPECT_EQ(event["object"]["tracking_ended_time"], iso8601_utc(kT0 + 700'000));
                EXPECT_EQ(event["object"]["track_id"], 1);
            }
        }
    }
    EXPECT_EQ(gone, 1);
    EXPECT_EQ(alive, 8);
}

TEST(RuleEngine, EndedOnlyEvaluatesEndedObjectsOfPerObjectRules) {
    RuleEngine engine({rule("any_a", {cmp("label", CompareOp::kEq, std::string("a"))}),
                       rule("empty", {cmp("object_count", CompareOp::kLt, 1.0)}, {}, false)});
    FrameMeta f = frame({});
    f.ended_objects = {object("a", 1, {0, 0, 10, 10}, 4)};
    const auto fired = engine.evaluate(f, true);
    ASSERT_EQ(fired.size(), 1u);  // not the frame rule, though object_count is 0 at a source's end
    EXPECT_EQ(fired[0].rule->rule_name, "any_a");
    EXPECT_EQ(engine.evaluate(f).size(), 2u);
}

TEST(RuleEngine, EventJson) {
    RuleConfig r = rule("r", {cmp("label", CompareOp::kEq, std::string("a"))});
    r.action.type = ActionType::kRecord;
    RuleEngine engine({r});
    FrameMeta f = frame({object("a", 0.75f, {1, 2, 3, 4}, 7)}, 12);
    f.attributes["line.gate.in"] = 3.0;
    auto fired = engine.evaluate(f);
    ASSERT_EQ(fired.size(), 1u);
    auto e = make_event(fired[0], f, "clips/x.mp4");
    EXPECT_EQ(e["event_id"], "r:cam1:" + std::to_string(f.timestamp_us) + ":7");
    EXPECT_EQ(e["rule_name"], "r");
    EXPECT_EQ(e["action"], "record");
    EXPECT_EQ(e["frame_number"], 12);
    EXPECT_EQ(e["timestamp"], iso8601_utc(f.timestamp_us));
    EXPECT_EQ(e["object"]["box"], nlohmann::json({1, 2, 3, 4}));
    EXPECT_EQ(e["object"]["confidence"], 0.75);
    EXPECT_EQ(e["frame"]["line.gate.in"], 3.0);
    EXPECT_EQ(e["frame"]["object_count"], 1);
    EXPECT_EQ(e["clip"], "clips/x.mp4");
}

TEST(Zones, PointInPolygon) {
    const std::vector<Point> l_shape = {{0, 0}, {100, 0}, {100, 40}, {40, 40}, {40, 100}, {0, 100}};
    EXPECT_TRUE(point_in_polygon({20, 20}, l_shape));
    EXPECT_TRUE(point_in_polygon({20, 90}, l_shape));
    EXPECT_TRUE(point_in_polygon({90, 30}, l_shape));
    EXPECT_FALSE(point_in_polygon({90, 90}, l_shape));  // the notch
    EXPECT_FALSE(point_in_polygon({-1, 50}, l_shape));
    EXPECT_FALSE(point_in_polygon({50, 150}, l_shape));
}

TEST(Zones, ObjectsInsideByBottomCentreAndRules) {
    ZoneConfig left{"left", {{0, 0}, {320, 0}, {320, 480}, {0, 480}}, {}};
    ZoneConfig door{"door", {{200, 300}, {400, 300}, {400, 480}, {200, 480}}, {}};
    ZoneConfig other{"other_cam", {{0, 0}, {640, 0}, {640, 480}, {0, 480}}, {"cam2"}};
    ZoneMap zones({left, door, other});
    // Box mostly in the left zone, but its bottom-centre (330, 350) is only in the door.
    FrameMeta f = frame({object("a", 1, {250, 100, 410, 350}), object("b", 1, {250, 250, 350, 350}),
                         object("c", 1, {500, 10, 600, 100})});
    zones.annotate(f);
    EXPECT_EQ(std::get<std::string>(f.objects[0].attributes.at("zone")), "door");
    EXPECT_EQ(std::get<std::string>(f.objects[1].attributes.at("zone")), "left,door");
    EXPECT_EQ(std::get<std::string>(f.objects[2].attributes.at("zone")), "");
    EXPECT_EQ(std::get<double>(f.attributes.at("zone_count.left")), 1.0);
    EXPECT_EQ(std::get<double>(f.attributes.at("zone_count.door")), 2.0);
    EXPECT_EQ(f.attributes.count("zone_count.other_cam"), 0u);  // another source's zone
    RuleEngine in_left({rule("in_left", {cmp("zone", CompareOp::kEq, std::string("left"))})});
    auto fired = in_left.evaluate(f);
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].object->label, "b");
    RuleEngine not_door({rule("not_door", {cmp("zone", CompareOp::kNe, std::string("door"))})});
    fired = not_door.evaluate(f);
    ASSERT_EQ(fired.size(), 1u);
    EXPECT_EQ(fired[0].object->label, "c");
    RuleEngine busy({rule("busy", {cmp("zone_count.door", CompareOp::kGe, 2.0)}, {}, false)});
    EXPECT_EQ(busy.evaluate(f).size(), 1u);
}

// One tracked object whose anchor (bottom-centre) follows `ys` (x fixed at 100).
std::vector<std::pair<std::string, std::string>> run_line(LineCounter& counter, const std::vector<float>& ys,
                                                          float x = 100, int64_t track = 1) {
    std::vector<std::pair<std::string, std::string>> crossings;
    for (size_t n = 0; n < ys.size(); ++n) {
        FrameMeta f = frame({object("a", 1, {x - 10, ys[n] - 20, x + 10, ys[n]}, track)}, n);
        counter.update(f);
        const auto& o = f.objects[0];
        const auto& line = std::get<std::string>(o.attributes.at("line_crossed"));
        if (!line.empty()) crossings.emplace_back(line, std::get<std::string>(o.attributes.at("crossing_direction")));
    }
    return crossings;
}

LineConfig gate(bool once = true) {
    LineConfig l;
    l.name = "gate";
    l.a = {0, 200};
    l.b = {300, 200};
    l.hysteresis = 3;
    l.count_each_track_once = once;
    return l;
}

TEST(Lines, DirectionalCrossingsCountedOncePerCrossing) {
    LineCounter counter({gate(false)});
    // Down across the line (in), jitter on the line, back up (out).
    const auto c = run_line(counter, {150, 180, 199, 202, 198, 201, 210, 240, 230, 190, 150});
    EXPECT_EQ(c, (std::vector<std::pair<std::string, std::string>>{{"gate", "in"}, {"gate", "out"}}));
    EXPECT_EQ(counter.count("cam1", "gate", true), 1);
    EXPECT_EQ(counter.count("cam1", "gate", false), 1);
}

TEST(Lines, JitterBeyondTheBandCountsOnlyOnceWithCountEachTrackOnce) {
    LineCounter once({gate(true)});
    const std::vector<float> ys = {190, 210, 190, 210, 190, 210};
    EXPECT_EQ(run_line(once, ys).size(), 2u);  // one in, one out, then no more for this track
    EXPECT_EQ(once.count("cam1", "gate", true), 1);
    LineCounter every({gate(false)});
    EXPECT_EQ(run_line(every, ys).size(), 5u);
    EXPECT_EQ(every.count("cam1", "gate", true), 3);
}

TEST(Lines, FrameKeysAndSegmentExtent) {
    LineCounter counter({gate()});
    EXPECT_TRUE(run_line(counter, {150, 250}, 400).empty());  // passes beside the segment's end
    FrameMeta f = frame({object("a", 1, {90, 130, 110, 150}, 2)}, 0);
    counter.update(f);
    f = frame({object("a", 1, {90, 230, 110, 250}, 2)}, 1);
    counter.update(f);
    EXPECT_EQ(std::get<std::string>(f.objects[0].attributes.at("crossing_direction")), "in");
    EXPECT_EQ(std::get<double>(f.attributes.at("line.gate.in")), 1.0);
    EXPECT_EQ(std::get<double>(f.attributes.at("line.gate.out")), 0.0);
    // Untracked objects are not followed.
    f = frame({object("a", 1, {90, 130, 110, 150})}, 2);
    counter.update(f);
    EXPECT_EQ(f.objects[0].attributes.count("line_crossed"), 0u);
}

}  // namespace
}  // namespace edgeinfer::pipeline

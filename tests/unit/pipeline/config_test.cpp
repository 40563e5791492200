// Pipeline config parsing: a full document, the docs' example, and every kind of bad input rejected
// with the JSON path at fault.
#include "pipeline/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ConfigTest : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(testing::TempDir()) / ("pipeline_config_" + std::to_string(::getpid()));
        fs::create_directories(dir_ / "models");
        for (const char* f : {"models/det.onnx", "models/cls.onnx", "models/clip.onnx", "libcustom.so"})
            std::ofstream(dir_ / f) << "x";
    }
    void TearDown() override { fs::remove_all(dir_); }

    static json base() {
        return json::parse(R"({
            "sources": [{"id": "cam1", "uri": "video.mp4"}, {"id": "cam2", "uri": "tcp://127.0.0.1:8089"}],
            "elements": [
                {"type": "infer", "name": "detector", "role": "detector", "model": "models/det.onnx",
                 "labels": ["circle", "square"], "interval": 2},
                {"type": "tracker", "mode": "sort", "min_hits": 2, "max_age": 10},
                {"type": "infer", "name": "color", "role": "classifier", "model": "models/cls.onnx",
                 "operate_on_classes": ["square"], "every_n_frames": 5},
                {"type": "overlay"}
            ],
            "zones": [{"name": "door", "polygon": [[0, 0], [100, 0], [100, 100]]}],
            "lines": [{"name": "gate", "points": [[0, 50], [200, 50]]}],
            "sinks": [
                {"id": "events", "type": "file", "path": "events.jsonl"},
                {"id": "broker", "type": "mqtt", "port": 1884, "topic": "shapes/events"},
                {"id": "meta", "type": "metadata", "path": "meta.jsonl"}
            ],
            "action_rules": [
                {"rule_name": "long_square",
                 "and": [{"key": "predicted_class", "operator": "==", "value": "red"},
                         {"key": "tracking_duration_in_seconds", "operator": ">", "value": 2}],
                 "or": [{"key": "zone", "operator": "==", "value": "door"},
                        {"and": [{"key": "probability", "operator": ">=", "value": 0.9},
                                 {"key": "label", "operator": "!=", "value": "circle"}]}],
                 "action": {"type": "publish", "sinks": ["events", "broker"]}, "cooldown_seconds": 3},
                {"rule_name": "crowd", "and": [{"key": "object_count", "operator": ">", "value": 3}],
                 "action": {"type": "record", "pre_seconds": 2, "duration_in_seconds": 4,
                            "max_duration_in_seconds": 8}},
                {"rule_name": "crossing", "and": [{"key": "line_crossed", "operator": "==", "value": "gate"}],
                 "action": {"type": "upload", "sinks": ["events"]}}
            ]
        })");
    }

    Result<PipelineConfig> parse(const json& j) { return parse_pipeline_config(j, dir_); }

    // Parses `j`, expects failure, returns the message.
    std::string error(const json& j, StatusCode code = StatusCode::kInvalidArgument) {
        auto r = parse(j);
        EXPECT_FALSE(r.is_ok());
        if (r.is_ok()) return "";
        EXPECT_EQ(r.status().code(), code) << r.status().to_string();
        return r.status().message();
    }

    fs::path dir_;
};

TEST_F(ConfigTest, FullDocumentParsesIntoTypedStructs) {
    json j = base();
    j["action_rules"][2]["action"] = {{"type", "upload"}, {"sinks", {"events"}}};
    auto r = parse(j);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const PipelineConfig& c = r.value();
    ASSERT_EQ(c.sources.size(), 2u);
    EXPECT_FALSE(c.sources[0].live);
    EXPECT_TRUE(c.sources[1].live);  // tcp:// is a live camera server
    ASSERT_EQ(c.elements.size(), 4u);
    EXPECT_EQ(c.elements[0].infer.interval, 2);
    EXPECT_EQ(c.elements[0].infer.model, dir_ / "models/det.onnx");
    EXPECT_EQ(c.elements[1].type, ElementType::kTracker);
    EXPECT_EQ(c.elements[1].tracker.mode, TrackerMode::kSort);
    EXPECT_EQ(c.elements[1].tracker.min_hits, 2);
    EXPECT_EQ(c.elements[1].name, "tracker1");
    EXPECT_EQ(c.elements[2].infer.operate_on_classes, std::vector<std::string>{"square"});
    ASSERT_EQ(c.zones.size(), 1u);
    EXPECT_EQ(c.zones[0].polygon.size(), 3u);
    ASSERT_EQ(c.lines.size(), 1u);
    EXPECT_EQ(c.lines[0].b.x, 200.0f);
    ASSERT_EQ(c.sinks.size(), 3u);
    EXPECT_EQ(c.sinks[1].port, 1884);
    EXPECT_EQ(c.sinks[1].qos, 1);
    ASSERT_EQ(c.action_rules.size(), 3u);
    const RuleConfig& r0 = c.action_rules[0];
    EXPECT_TRUE(r0.per_object);
    EXPECT_EQ(r0.cooldown_seconds, 3.0);
    ASSERT_EQ(r0.all.size(), 2u);
    EXPECT_EQ(r0.all[1].op, CompareOp::kGt);
    EXPECT_EQ(std::get<double>(r0.all[1].value), 2.0);
    ASSERT_EQ(r0.any.size(), 2u);
    EXPECT_EQ(r0.any[1].kind, Condition::Kind::kAnd);
    EXPECT_EQ(r0.any[1].children[0].op, CompareOp::kGe);
    EXPECT_EQ(r0.any[1].children[1].path, "/action_rules/0/or/1/and/1");
    EXPECT_EQ(r0.action.sinks, (std::vector<std::string>{"events", "broker"}));
    const RuleConfig& r1 = c.action_rules[1];
    EXPECT_FALSE(r1.per_object);
    EXPECT_EQ(r1.action.type, ActionType::kRecord);
    EXPECT_EQ(r1.action.pre_seconds, 2.0);
    EXPECT_EQ(r1.action.max_duration_in_seconds, 8.0);
    EXPECT_EQ(c.action_rules[2].action.type, ActionType::kPublish);
}

TEST_F(ConfigTest, UnknownOperatorNamesItsPath) {
    json j = base();
    j["action_rules"][2]["and"][0]["operator"] = "=>";
    j["action_rules"][2]["action"] = {{"type", "publish"}, {"sinks", {"events"}}};
    EXPECT_EQ(error(j), "/action_rules/2/and/0/operator: unknown operator \"=>\", expected one of > >= < <= == !=");
}

TEST_F(ConfigTest, UnknownKeysAreRejected) {
    json j = base();
    j["sourcez"] = json::array();
    EXPECT_EQ(error(j).rfind("/sourcez: unknown key \"sourcez\", expected one of sources,", 0), 0u);
    j = base();
    j["elements"][1]["max_ages"] = 3;
    EXPECT_EQ(error(j).rfind("/elements/1/max_ages: unknown key \"max_ages\"", 0), 0u);
    j = base();
    j["action_rules"][0]["or"][1]["and"][0]["val"] = 1;
    EXPECT_EQ(error(j).rfind("/action_rules/0/or/1/and/0/val: unknown key", 0), 0u);
}

TEST_F(ConfigTest, WrongTypesAndRangesAreRejected) {
    json j = base();
    j["elements"][1]["min_hits"] = "3";
    EXPECT_EQ(error(j), "/elements/1/min_hits: expected an integer, got string \"3\"");
    j = base();
    j["sources"] = json::object();
    EXPECT_EQ(error(j), "/sources: expected an array, got object {}");
    j = base();
    j["elements"][1]["iou_threshold"] = 1.5;
    EXPECT_EQ(error(j), "/elements/1/iou_threshold: value 1.5 out of range [0, 1]");
    j = base();
    j["zones"][0]["polygon"][1] = {1, "x"};
    EXPECT_EQ(error(j).rfind("/zones/0/polygon/1: expected a point [x, y]", 0), 0u);
    j = base();
    j["sinks"][1]["topic"] = "a/#";
    EXPECT_EQ(error(j).rfind("/sinks/1/topic: ", 0), 0u);
}

TEST_F(ConfigTest, UnknownElementActionSinkAndMode) {
    json j = base();
    j["elements"][3]["type"] = "overlayy";
    EXPECT_EQ(error(j),
              "/elements/3/type: unknown element \"overlayy\", expected one of infer, tracker, clip_classifier, "
              "custom, overlay, python (and the EDGEMATRIX Stream names aimeta, empycustom)");
    j = base();
    j["action_rules"][1]["action"]["type"] = "email";
    EXPECT_EQ(error(j),
              "/action_rules/1/action/type: unknown action \"email\", expected one of record, publish, upload");
    j = base();
    j["sinks"][0]["type"] = "kafka";
    EXPECT_EQ(error(j).rfind("/sinks/0/type: unknown sink \"kafka\"", 0), 0u);
    j = base();
    j["elements"][1]["mode"] = "deepsort";
    EXPECT_EQ(error(j), "/elements/1/mode: unknown tracker mode \"deepsort\", expected one of iou, sort");
}

// A "python" element is served by the Python package (python3 -m edgeinfer pipeline); the library alone
// says where to run it instead of calling the type unknown.
TEST_F(ConfigTest, PythonElementPointsToThePythonPackage) {
    json j = base();
    j["elements"][3] = {{"type", "python"}, {"module", "my_elements"}, {"class", "Counter"}};
    const std::string e = error(j);
    EXPECT_EQ(e.rfind("/elements/3/type: a python element runs only inside Python", 0), 0u) << e;
    EXPECT_NE(e.find("python3 -m edgeinfer pipeline CONFIG"), std::string::npos) << e;
}

TEST_F(ConfigTest, RuleOverAKeyNoElementProduces) {
    json j = base();
    j["elements"].erase(2);  // no classifier: predicted_class and probability have no producer
    const std::string msg = error(j);
    EXPECT_EQ(msg.rfind("/action_rules/0/and/0/key: no configured element produces key \"predicted_class\" (it comes "
                        "from an infer element with role classifier); keys available: ",
                        0),
              0u)
        << msg;
    EXPECT_NE(msg.find("tracking_duration_in_seconds"), std::string::npos);
    j = base();
    j["action_rules"][1]["and"][0]["key"] = "colour";
    EXPECT_EQ(error(j).rfind("/action_rules/1/and/0/key: no configured element produces key \"colour\";", 0), 0u);
}

TEST_F(ConfigTest, ValueOfTheWrongTypeForItsKey) {
    json j = base();
    j["action_rules"][0]["and"][1]["value"] = "long";
    EXPECT_EQ(error(j),
              "/action_rules/0/and/1/value: key \"tracking_duration_in_seconds\" is a number, got string \"long\"");
    j = base();
    j["action_rules"][0]["and"][0]["value"] = true;
    EXPECT_EQ(error(j), "/action_rules/0/and/0/value: expected a number or a string, got boolean true");
}

TEST_F(ConfigTest, MissingFilesAreNotFound) {
    json j = base();
    j["elements"][2]["model"] = "models/missing.onnx";
    const std::string msg = error(j, StatusCode::kNotFound);
    EXPECT_EQ(msg, "/elements/2/model: model file not found: " + (dir_ / "models/missing.onnx").string());
    j = base();
    j["elements"][3] = {{"type", "custom"}, {"library", "nope.so"}};
    EXPECT_EQ(error(j, StatusCode::kNotFound).rfind("/elements/3/library: shared library not found", 0), 0u);
}

TEST_F(ConfigTest, ReferencesAreChecked) {
    json j = base();
    j["action_rules"][0]["action"]["sinks"][1] = "nowhere";
    EXPECT_EQ(error(j), "/action_rules/0/action/sinks/1: no sink has id \"nowhere\"");
    j = base();
    j["action_rules"][0]["action"]["sinks"][1] = "meta";
    EXPECT_EQ(error(j).rfind("/action_rules/0/action/sinks/1: sink \"meta\" is a metadata sink", 0), 0u);
    j = base();
    j["action_rules"][0]["action"] = "publish";
    EXPECT_EQ(error(j).rfind("/action_rules/0/action: a publish action needs \"sinks\"", 0), 0u);
    j["action_rules"][0]["action"] = "upload";
    EXPECT_EQ(error(j).rfind("/action_rules/0/action: an upload action needs \"sinks\"", 0), 0u);
    j = base();
    j["zones"][0]["sources"] = {"cam3"};
    EXPECT_EQ(error(j), "/zones/0/sources/0: no source has id \"cam3\"");
    j = base();
    j["elements"].erase(1);  // no tracker: lines cannot be followed
    EXPECT_EQ(error(j), "/lines: line crossing follows tracks and needs a tracker element");
    j = base();
    j["elements"][2]["operate_on_classes"] = {"triangle"};
    EXPECT_EQ(error(j).rfind("/elements/2/operate_on_classes/0: the detector has no class \"triangle\"", 0), 0u);
    j = base();
    j["action_rules"][1]["rule_name"] = "long_square";
    EXPECT_EQ(error(j), "/action_rules/1/rule_name: duplicate rule_name \"long_square\"");
}

TEST_F(ConfigTest, CustomElementDeclaresItsKeys) {
    json j = base();
    j["elements"][3] = {{"type", "custom"},
                        {"library", "libcustom.so"},
                        {"produces", {{"speed", {{"scope", "object"}, {"type", "number"}}}}}};
    j["action_rules"][1]["and"][0] = {{"key", "speed"}, {"operator", ">"}, {"value", 10}};
    auto r = parse(j);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->action_rules[1].per_object);
    EXPECT_EQ(available_keys(r.value()).at("speed").type, KeyType::kNumber);
}

TEST_F(ConfigTest, LoadReportsFileAndBadJson) {
    std::ofstream(dir_ / "bad.json") << "{\"sources\": [";
    auto r = load_pipeline_config(dir_ / "bad.json");
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("bad.json: not valid JSON"), std::string::npos);
    json j = base();
    j["elements"][0]["interval"] = 0;
    std::ofstream(dir_ / "p.json") << j.dump();
    r = load_pipeline_config(dir_ / "p.json");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().message(),
              (dir_ / "p.json").string() + ": /elements/0/interval: value 0 out of range [1, 1048576]");
}

// Hostile documents (issue 24): deep nesting, numbers beyond double, duplicate keys are errors naming the
// JSON path and the limit, never a crash (10,000 nested conditions overflowed the stack; 1e400 aborted).
TEST_F(ConfigTest, DeeplyNestedConditionsAreRejectedWithTheLimit) {
    const std::string leaf = R"({"key": "object_count", "operator": ">", "value": 0})";
    std::string text =
        R"({"sources": [{"id": "cam1", "uri": "video.mp4"}], "action_rules": [{"rule_name": "r", "and": [)";
    for (int i = 0; i < 10000; ++i) text += R"({"and": [)";
    text += leaf;
    for (int i = 0; i < 10000; ++i) text += "]}";
    text += R"(], "action": {"type": "record"}}]})";
    std::ofstream(dir_ / "deep.json") << text;
    auto r = load_pipeline_config(dir_ / "deep.json");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    const std::string msg = r.status().message();
    EXPECT_EQ(msg.rfind((dir_ / "deep.json").string() + ": /action_rules/0/and/0/and/0/and/0/", 0), 0u) << msg;
    EXPECT_NE(msg.find("nested deeper than 64 levels (the limit)"), std::string::npos) << msg;

    // A document built in code (no JSON text) meets the condition limit of 16 in the parser itself.
    json inner = json::parse(leaf);
    for (int i = 0; i < 20; ++i) inner = json{{"or", json::array({inner})}};
    json j = base();
    j["action_rules"][1]["and"] = json::array({inner});
    const std::string deep = error(j);
    EXPECT_EQ(deep.rfind("/action_rules/1/and/0/or/0/or/0/", 0), 0u) << deep;
    EXPECT_NE(deep.find("conditions nested deeper than 16 levels (the limit)"), std::string::npos) << deep;
    // Nesting within the limit still parses.
    inner = json::parse(leaf);
    for (int i = 0; i < 10; ++i) inner = json{{"and", json::array({inner})}};
    j["action_rules"][1]["and"] = json::array({inner});
    EXPECT_TRUE(parse(j).is_ok()) << parse(j).status().to_string();
}

TEST_F(ConfigTest, NumbersBeyondDoubleNameTheirPath) {
    struct Case {
        std::string text, path;
    };
    const std::vector<Case> cases = {
        {R"({"sources": [{"id": "cam1", "uri": "video.mp4", "rate": 1e400}]})", "/sources/0/rate"},
        {R"({"zones": [{"name": "z", "polygon": [[0, 0], [-1e400, 0], [1, 1]]}]})", "/zones/0/polygon/1/0"},
        {R"({"metrics_port": 1)" + std::string(400, '0') + "}", "/metrics_port"},
        {"1e400", "/"},
    };
    for (const Case& c : cases) {
        std::ofstream(dir_ / "big.json") << c.text;
        auto r = load_pipeline_config(dir_ / "big.json");
        ASSERT_FALSE(r.is_ok()) << c.text;
        EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
        EXPECT_EQ(r.status().message().rfind((dir_ / "big.json").string() + ": " + c.path + ": number out of range", 0),
                  0u)
            << r.status().message();
        // The same text without a file name (Pipeline::from_json) starts with the path.
        auto doc = parse_config_text(c.text, "");
        ASSERT_FALSE(doc.is_ok());
        EXPECT_EQ(doc.status().message().rfind(c.path + ": number out of range", 0), 0u) << doc.status().message();
    }
    // Finite but absurd coordinates are range errors too (they were cast to float infinity).
    json j = base();
    j["zones"][0]["polygon"][2] = {1e30, 5};
    EXPECT_EQ(error(j), "/zones/0/polygon/2/0: value 1e+30 out of range [-1e+07, 1e+07]");
}

TEST_F(ConfigTest, DuplicateKeysAreRejected) {
    auto r = parse_config_text(R"({"sources": [{"id": "a", "uri": "video.mp4", "id": "b"}]})", "cfg.json");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().message(), "cfg.json: /sources/0/id: duplicate key \"id\"");
    r = parse_config_text(R"({"sinks": [], "lines": [], "sinks": []})", "");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.status().message(), "/sinks: duplicate key \"sinks\"");
    // The same key in different objects is fine, and a clean document round-trips.
    r = parse_config_text(base().dump(), "");
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r.value(), base());
}

// The example in docs/pipeline.md must stay a valid config.
TEST_F(ConfigTest, DocumentationExampleParses) {
    std::ifstream in(fs::path(EDGEINFER_SOURCE_DIR) / "docs/pipeline.md");
    ASSERT_TRUE(in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    const size_t start = doc.find("```json\n", doc.find("## Example"));
    ASSERT_NE(start, std::string::npos);
    const size_t end = doc.find("```", start + 8);
    const json example = json::parse(doc.substr(start + 8, end - start - 8));
    // Create every file the example names, then parse.
    for (const auto& e : example["elements"]) {
        for (const char* k : {"model", "library"}) {
            if (!e.contains(k)) continue;
            fs::create_directories((dir_ / e[k].get<std::string>()).parent_path());
            std::ofstream(dir_ / e[k].get<std::string>()) << "x";
        }
    }
    auto r = parse(example);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_FALSE(r->action_rules.empty());
}

}  // namespace
}  // namespace edgeinfer::pipeline

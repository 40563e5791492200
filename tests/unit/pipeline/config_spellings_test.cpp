// Pipeline configs as EDGEMATRIX Stream / DeepStream-style tools write them (action_name, aimeta,
// empycustom, upload with cloud-stream fields), preprocessing keys on inference elements, and rules that
// can never hold (a probability above 1, a class the labels lack) rejected with the rule's name and a hint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "pipeline/config.hpp"

namespace edgeinfer::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class ConfigSpellings : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(testing::TempDir()) / ("pipeline_spellings_" + std::to_string(::getpid()));
        fs::create_directories(dir_ / "models");
        for (const char* f : {"models/det.onnx", "models/cls.onnx", "models/clip.onnx"}) std::ofstream(dir_ / f) << "x";
        // The clip model's sidecar names its classes (the rule checks read them when the element has none).
        std::ofstream(dir_ / "models/clip.json") << R"({"task": "video", "labels": ["walking", "running"]})";
    }
    void TearDown() override { fs::remove_all(dir_); }

    static json base() {
        return json::parse(R"({
            "sources": [{"id": "cam1", "uri": "video.mp4"}],
            "elements": [
                {"type": "infer", "name": "detector", "role": "detector", "model": "models/det.onnx",
                 "labels": ["person", "car"]},
                {"type": "tracker"},
                {"type": "infer", "name": "colour", "role": "classifier", "model": "models/cls.onnx",
                 "labels": ["red", "green"]},
                {"type": "clip_classifier", "name": "action", "model": "models/clip.onnx", "window": 4}
            ],
            "sinks": [{"id": "hook", "type": "webhook", "url": "http://127.0.0.1:9/events"}],
            "action_rules": [
                {"rule_name": "r", "and": [{"key": "object_count", "operator": ">", "value": 0}],
                 "action": {"type": "publish", "sinks": ["hook"]}}
            ]
        })");
    }

    Result<PipelineConfig> parse(const json& j) { return parse_pipeline_config(j, dir_); }
    std::string error(const json& j) {
        auto r = parse(j);
        EXPECT_FALSE(r.is_ok());
        return r.is_ok() ? "" : r.status().message();
    }
    static json rule(const std::string& key, const std::string& op, const json& value) {
        return {{"rule_name", "seed_rule"},
                {"and", {{{"key", key}, {"operator", op}, {"value", value}}}},
                {"action", {{"type", "publish"}, {"sinks", {"hook"}}}}};
    }

    fs::path dir_;
};

TEST_F(ConfigSpellings, ActionNameRecordIsARecordAction) {
    json j = base();
    j["action_rules"][0]["action"] = {
        {"action_name", "record"}, {"duration_in_seconds", 5}, {"max_duration_in_seconds", 60}};
    auto r = parse(j);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const ActionConfig& a = r.value().action_rules[0].action;
    EXPECT_EQ(a.type, ActionType::kRecord);
    EXPECT_EQ(a.duration_in_seconds, 5.0);
    EXPECT_EQ(a.max_duration_in_seconds, 60.0);

    j["action_rules"][0]["action"] = {{"action_name", "publish"}, {"sinks", {"hook"}}};
    ASSERT_TRUE(parse(j).is_ok());
    EXPECT_EQ(parse(j).value().action_rules[0].action.type, ActionType::kPublish);

    j["action_rules"][0]["action"] = {{"action_name", "record"}, {"type", "record"}};
    EXPECT_EQ(error(j), "/action_rules/0/action/action_name: give the action once: \"type\" or \"action_name\"");
    j["action_rules"][0]["action"] = {{"action_name", "email"}};
    EXPECT_EQ(error(j),
              "/action_rules/0/action/action_name: unknown action \"email\", expected one of record, publish, upload");
}

TEST_F(ConfigSpellings, UploadWithCloudStreamFieldsNamesTheAlternative) {
    json j = base();
    j["action_rules"][0]["action"] = {{"action_name", "upload"}, {"duration_in_seconds", 5}, {"stream_name", "x"}};
    const std::string message = error(j);
    EXPECT_EQ(message.rfind("/action_rules/0/action/duration_in_seconds: an upload action with", 0), 0u) << message;
    EXPECT_NE(message.find("cloud stream"), std::string::npos) << message;
    EXPECT_NE(message.find("\"action_name\": \"record\""), std::string::npos) << message;
    EXPECT_NE(message.find("webhook or mqtt sink"), std::string::npos) << message;
    // An upload of the event alone is a publish, as before.
    j["action_rules"][0]["action"] = {{"action_name", "upload"}, {"sinks", {"hook"}}};
    auto r = parse(j);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r.value().action_rules[0].action.type, ActionType::kPublish);
}

TEST_F(ConfigSpellings, AimetaIsTheMetadataOutputAndEmpycustomThePythonElement) {
    json j = base();
    j["elements"].push_back({{"type", "aimeta"}});  // rules and metadata are the output stage's: no element
    auto r = parse(j);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r.value().elements.size(), 4u);
    EXPECT_EQ(r.value().sinks.size(), 1u);

    j["elements"][4] = {{"type", "aimeta"}, {"name", "ai_meta"}, {"path", "out/meta.jsonl"}};
    r = parse(j);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r.value().sinks.size(), 2u);
    const SinkConfig* meta = r.value().find_sink("ai_meta");
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->type, SinkType::kMetadata);
    EXPECT_EQ(meta->path, dir_ / "out/meta.jsonl");

    j["sinks"].push_back({{"id", "ai_meta"}, {"type", "file"}, {"path", "e.jsonl"}});
    EXPECT_EQ(error(j), "/sinks/1/id: duplicate sink id \"ai_meta\"");
    j = base();
    j["elements"].push_back({{"type", "aimeta"}, {"location", "x"}});
    EXPECT_EQ(error(j).rfind("/elements/4/location: unknown key \"location\", expected one of type, name, path", 0),
              0u);

    j = base();
    j["elements"].push_back({{"type", "empycustom"}, {"module", "m"}, {"class", "C"}});
    EXPECT_NE(error(j).find("/elements/4/type: a empycustom element runs only inside Python"), std::string::npos);
}

TEST_F(ConfigSpellings, InferenceElementsTakeThePreprocessingKeys) {
    json j = base();
    j["elements"][3].update(json::parse(R"({"size": [112, 112], "mean": [0.43216, 0.394666, 0.37645],
        "std": [0.22803, 0.22145, 0.216989], "resize": "crop", "color_order": "BGR", "layout": "NCHW",
        "scale": 0.00392156862745098, "interpolation": "area"})"));
    j["elements"][2].update(json::parse(R"({"size": "64x48", "mean": "0.5", "std": [0.25]})"));
    j["elements"][0].update(json::parse(R"({"input_width": 320, "input_height": 240, "layout": "NHWC"})"));
    auto r = parse(j);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    const vision::PreprocessOverrides& clip = r.value().elements[3].clip.preprocess;
    EXPECT_EQ(clip.size, std::make_pair(112, 112));
    EXPECT_EQ(clip.mean, (std::vector<double>{0.43216, 0.394666, 0.37645}));
    EXPECT_EQ(clip.std, (std::vector<double>{0.22803, 0.22145, 0.216989}));
    EXPECT_EQ(clip.resize, vision::ResizeMode::kCrop);
    EXPECT_EQ(clip.interpolation, vision::Interpolation::kArea);
    EXPECT_EQ(clip.color, vision::ColorOrder::kBgr);
    EXPECT_EQ(clip.layout, vision::Layout::kNchw);
    EXPECT_DOUBLE_EQ(*clip.scale, 1.0 / 255.0);
    const vision::PreprocessOverrides& cls = r.value().elements[2].infer.preprocess;
    EXPECT_EQ(cls.size, std::make_pair(64, 48));
    EXPECT_EQ(cls.mean, std::vector<double>{0.5});
    EXPECT_EQ(cls.std, std::vector<double>{0.25});
    EXPECT_FALSE(cls.color.has_value());
    EXPECT_EQ(r.value().elements[0].infer.preprocess.size, std::make_pair(320, 240));  // input_width/height
    EXPECT_EQ(r.value().elements[0].infer.preprocess.layout, vision::Layout::kNhwc);

    // Checked by the vision commands' parsers; the error names the key.
    auto bad = [&](const char* element_json) {
        json k = base();
        k["elements"][3].update(json::parse(element_json));
        return error(k);
    };
    EXPECT_EQ(bad(R"({"std": [0.2, 0, 0.2]})"), "/elements/3/std: std '0.2,0,0.2': a standard deviation of 0");
    EXPECT_EQ(bad(R"({"mean": [1, 2, 3, 4, 5]})"),
              "/elements/3/mean: mean '1,2,3,4,5': expected 1 to 4 comma-separated numbers");
    EXPECT_EQ(bad(R"({"mean": ["a"]})"), "/elements/3/mean/0: expected a number, got string \"a\"");
    EXPECT_EQ(bad(R"({"size": "wide"})").rfind("/elements/3/size: ", 0), 0u);
    EXPECT_EQ(bad(R"({"resize": "squash"})").rfind("/elements/3/resize: ", 0), 0u);
    EXPECT_EQ(bad(R"({"color_order": "YUV"})").rfind("/elements/3/color_order: ", 0), 0u);
    EXPECT_EQ(bad(R"({"layout": "CHW"})").rfind("/elements/3/layout: ", 0), 0u);
    EXPECT_NE(bad(R"({"scale": 255})").find("/elements/3/scale: value 255: scale multiplies pixel values"),
              std::string::npos);
    j = base();
    j["elements"][0].update(json::parse(R"({"input_width": 320, "size": "320x240"})"));
    EXPECT_EQ(error(j), "/elements/0/size: give the input size once: \"size\" or input_width/input_height");
}

TEST_F(ConfigSpellings, ARuleThatCanNeverHoldIsAnError) {
    json j = base();
    j["action_rules"][0] = rule("clip_probability", ">=", 20);
    EXPECT_EQ(error(j),
              "/action_rules/0/and/0/value: rule \"seed_rule\": \"clip_probability >= 20\" can never hold: "
              "clip_probability is 0..1; did you mean 0.20?");
    j["action_rules"][0] = rule("probability", ">", 1);
    EXPECT_EQ(error(j),
              "/action_rules/0/and/0/value: rule \"seed_rule\": \"probability > 1\" can never hold: "
              "probability is 0..1");
    j["action_rules"][0] = rule("confidence", "<", 0);
    EXPECT_NE(error(j).find("\"confidence < 0\" can never hold"), std::string::npos);
    j["action_rules"][0] = rule("predicted_class", "==", "blue");
    EXPECT_EQ(error(j),
              "/action_rules/0/and/0/value: rule \"seed_rule\": \"blue\" is not a value of "
              "\"predicted_class\" (from colour), which is one of: red, green");
    j["action_rules"][0] = rule("label", "!=", "truck");
    EXPECT_NE(error(j).find("\"truck\" is not a value of \"label\" (from detector), which is one of: person, car"),
              std::string::npos);
    j["action_rules"][0] = rule("clip_class", "==", "jumping");  // labels from the clip model's sidecar
    EXPECT_NE(error(j).find("which is one of: walking, running"), std::string::npos);
    j["action_rules"][0] = rule("source_id", "==", "cam9");
    EXPECT_NE(error(j).find("\"cam9\" is not a value of \"source_id\""), std::string::npos);

    // Values in range, and class names the labels have, parse; so do bounds that may hold.
    for (const json& ok :
         {rule("clip_probability", ">=", 0.2), rule("probability", "<=", 1), rule("probability", "!=", 5),
          rule("predicted_class", "==", "red"), rule("clip_class", "!=", "running"), rule("label", ">", "zzz")}) {
        j["action_rules"][0] = ok;
        auto r = parse(j);
        EXPECT_TRUE(r.is_ok()) << ok.dump() << ": " << r.status().to_string();
    }
    // A classifier whose labels are unknown (no labels, no sidecar) leaves its class names unchecked.
    j["elements"][2].erase("labels");
    j["action_rules"][0] = rule("predicted_class", "==", "blue");
    EXPECT_TRUE(parse(j).is_ok());
}

TEST_F(ConfigSpellings, AMissingKeyNamesThePrefixedKeyOfTheSameResult) {
    json j = base();
    j["elements"].erase(2);  // no crop classifier: "probability" is only the clip classifier's clip_probability
    j["action_rules"][0] = rule("probability", ">=", 0.2);
    const std::string message = error(j);
    EXPECT_NE(message.find("no configured element produces key \"probability\""), std::string::npos) << message;
    EXPECT_NE(message.find("did you mean \"clip_probability\" (from action)"), std::string::npos) << message;
}

}  // namespace
}  // namespace edgeinfer::pipeline

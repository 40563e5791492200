// The JSON form of the typed vision results (results_json.hpp) and the public edgeinfer::to_json overloads.
#include "vision/results_json.hpp"

#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "edgeinfer/vision.hpp"

namespace edgeinfer::vision {
namespace {

nlohmann::json classes_json(const Classification& c) {
    nlohmann::json results = nlohmann::json::array();
    for (const ClassScore& s : c.top) {
        nlohmann::json item{{"class", s.index}, {"score", s.score}};
        if (!s.label.empty()) item["label"] = s.label;
        results.push_back(std::move(item));
    }
    return results;
}

nlohmann::json detections_json(const std::vector<Detection>& detections) {
    nlohmann::json out = nlohmann::json::array();
    for (const Detection& d : detections) {
        nlohmann::json j{{"class", d.class_id}};
        if (!d.label.empty()) j["label"] = d.label;
        j["score"] = d.score;
        j["box"] = {d.box.x1, d.box.y1, d.box.x2, d.box.y2};
        out.push_back(std::move(j));
    }
    return out;
}

nlohmann::json segmentation_json(const Segmentation& s) {
    nlohmann::json classes = nlohmann::json::array();
    for (const ClassShare& c : s.classes) {
        nlohmann::json j{{"class", c.index}};
        if (!c.label.empty()) j["label"] = c.label;
        j["share"] = c.share;
        j["pixels"] = c.pixels;
        classes.push_back(std::move(j));
    }
    nlohmann::json results;
    results["size"] = {s.width, s.height};
    results["num_classes"] = s.num_classes;
    results["classes"] = std::move(classes);
    return results;
}

nlohmann::json text_json(const RecognizedText& t) {
    nlohmann::json chars = nlohmann::json::array();
    for (const CharScore& c : t.chars)
        chars.push_back({{"char", c.text}, {"class", c.index}, {"confidence", c.confidence}, {"step", c.step}});
    nlohmann::json results;
    results["text"] = t.text;
    results["confidence"] = t.confidence;
    results["chars"] = std::move(chars);
    return results;
}

}  // namespace

nlohmann::json results_json(const TaskResult& result) {
    return std::visit(
        [](const auto& r) -> nlohmann::json {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, Classification>)
                return classes_json(r);
            else if constexpr (std::is_same_v<T, std::vector<Detection>>)
                return detections_json(r);
            else if constexpr (std::is_same_v<T, Segmentation>)
                return segmentation_json(r);
            else
                return text_json(r);
        },
        result);
}

}  // namespace edgeinfer::vision

namespace edgeinfer {

std::string to_json(const Classification& result) { return vision::json_text(vision::classes_json(result)); }
std::string to_json(const std::vector<Detection>& result) { return vision::json_text(vision::detections_json(result)); }
std::string to_json(const Segmentation& result) { return vision::json_text(vision::segmentation_json(result)); }
std::string to_json(const RecognizedText& result) { return vision::json_text(vision::text_json(result)); }

}  // namespace edgeinfer

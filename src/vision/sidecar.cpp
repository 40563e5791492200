// Reading and validating model sidecars (MODEL.json) and labels files.
#include "vision/sidecar.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/status.hpp"

namespace edgeinfer::vision {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status key_error(const std::string& path, const std::string& key, const std::string& what) {
    return invalid_argument("sidecar '" + path + "': key '" + key + "' " + what);
}

Result<std::string> get_string(const json& doc, const std::string& path, const std::string& key) {
    if (!doc.contains(key) || doc[key].is_null()) return std::string();
    if (!doc[key].is_string()) return key_error(path, key, "must be a string, got " + doc[key].dump());
    return doc[key].get<std::string>();
}

Result<std::optional<double>> get_number(const json& doc, const std::string& path, const std::string& key) {
    if (!doc.contains(key) || doc[key].is_null()) return std::optional<double>();
    if (!doc[key].is_number()) return key_error(path, key, "must be a number, got " + doc[key].dump());
    return std::optional<double>(doc[key].get<double>());
}

Result<std::vector<double>> get_numbers(const json& doc, const std::string& path, const std::string& key) {
    std::vector<double> v;
    if (!doc.contains(key) || doc[key].is_null()) return v;
    const json& a = doc[key];
    if (a.is_number()) return std::vector<double>{a.get<double>()};
    if (!a.is_array()) return key_error(path, key, "must be a list of numbers, got " + a.dump());
    for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_number())
            return key_error(path, key + "[" + std::to_string(i) + "]", "must be a number, got " + a[i].dump());
        v.push_back(a[i].get<double>());
    }
    return v;
}

}  // namespace

Result<Sidecar> load_sidecar(const std::string& path) {
    std::ifstream in(path);
    if (!in) return not_found("sidecar '" + path + "': cannot be opened for reading");
    Sidecar s;
    s.path = path;
    try {
        s.doc = json::parse(in);
    } catch (const json::exception& e) {
        return invalid_argument("sidecar '" + path + "': not valid JSON: " + e.what());
    }
    if (!s.doc.is_object()) return invalid_argument("sidecar '" + path + "': expected a JSON object at the top");
    const json& d = s.doc;
    EDGEINFER_ASSIGN_OR_RETURN(s.task, get_string(d, path, "task"));
    EDGEINFER_ASSIGN_OR_RETURN(s.input, get_string(d, path, "input"));
    EDGEINFER_ASSIGN_OR_RETURN(s.layout, get_string(d, path, "layout"));
    EDGEINFER_ASSIGN_OR_RETURN(s.color_order, get_string(d, path, "color_order"));
    EDGEINFER_ASSIGN_OR_RETURN(s.resize, get_string(d, path, "resize"));
    EDGEINFER_ASSIGN_OR_RETURN(s.interpolation, get_string(d, path, "interpolation"));
    EDGEINFER_ASSIGN_OR_RETURN(s.weights, get_string(d, path, "weights"));
    EDGEINFER_ASSIGN_OR_RETURN(s.scale, get_number(d, path, "scale"));
    EDGEINFER_ASSIGN_OR_RETURN(s.crop_fraction, get_number(d, path, "crop_fraction"));
    EDGEINFER_ASSIGN_OR_RETURN(s.mean, get_numbers(d, path, "mean"));
    EDGEINFER_ASSIGN_OR_RETURN(s.std, get_numbers(d, path, "std"));
    std::vector<double> shape;
    EDGEINFER_ASSIGN_OR_RETURN(shape, get_numbers(d, path, "input_shape"));
    std::optional<double> n;
    EDGEINFER_ASSIGN_OR_RETURN(n, get_number(d, path, "num_classes"));
    std::optional<double> frames;
    EDGEINFER_ASSIGN_OR_RETURN(frames, get_number(d, path, "frames"));
    for (double v : shape) {
        if (v < -1 || v != static_cast<double>(static_cast<int64_t>(v)))
            return key_error(path, "input_shape", "must hold whole numbers, got " + d["input_shape"].dump());
        s.input_shape.push_back(static_cast<int64_t>(v));
    }
    if (n) {
        if (*n < 1 || *n != static_cast<double>(static_cast<int64_t>(*n)))
            return key_error(path, "num_classes", "must be a positive whole number, got " + d["num_classes"].dump());
        s.num_classes = static_cast<int64_t>(*n);
    }
    if (frames) {
        if (*frames < 1 || *frames > 4096) return key_error(path, "frames", "must be 1..4096");
        s.frames = static_cast<int64_t>(*frames);
    }
    for (double v : s.std)
        if (v == 0.0) return key_error(path, "std", "holds a 0 (division by zero)");
    if (s.scale && *s.scale <= 0.0) return key_error(path, "scale", "must be positive");
    if (s.crop_fraction && (*s.crop_fraction <= 0.0 || *s.crop_fraction > 1.0))
        return key_error(path, "crop_fraction", "must be in (0, 1]");
    if (d.contains("labels") && !d["labels"].is_null()) {
        const json& l = d["labels"];
        if (!l.is_array()) return key_error(path, "labels", "must be a list of strings or null");
        for (size_t i = 0; i < l.size(); ++i) {
            if (!l[i].is_string())
                return key_error(path, "labels[" + std::to_string(i) + "]", "must be a string, got " + l[i].dump());
            s.labels.push_back(l[i].get<std::string>());
        }
    }
    return s;
}

std::string random_weights_warning(const Sidecar* sidecar) {
    if (!sidecar) return "";
    // "random" since issue 18; older exports wrote "seeded random (seed 0)".
    const std::string& w = sidecar->weights;
    if (w != "random" && w.rfind("seeded random", 0) != 0) return "";
    return "sidecar '" + sidecar->path +
           "' says the model has random weights (exported without --weights): its results are meaningless";
}

Result<std::optional<Sidecar>> find_sidecar(const std::string& model_path, const std::string& explicit_path) {
    if (!explicit_path.empty()) {
        auto s = load_sidecar(explicit_path);
        if (!s.is_ok()) return s.status();
        return std::optional<Sidecar>(std::move(s.value()));
    }
    fs::path candidate = fs::path(model_path).replace_extension(".json");
    std::error_code ec;
    if (candidate == fs::path(model_path) || !fs::is_regular_file(candidate, ec)) return std::optional<Sidecar>();
    auto s = load_sidecar(candidate.string());
    if (!s.is_ok()) return s.status();
    return std::optional<Sidecar>(std::move(s.value()));
}

Result<std::vector<std::string>> load_labels(const std::string& path) {
    std::ifstream in(path);
    if (!in) return not_found("labels file '" + path + "': cannot be opened for reading");
    std::vector<std::string> labels;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        labels.push_back(line);
    }
    while (!labels.empty() && labels.back().empty()) labels.pop_back();
    if (labels.empty()) return invalid_argument("labels file '" + path + "': no labels (empty file)");
    return labels;
}

}  // namespace edgeinfer::vision

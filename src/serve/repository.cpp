// Repository: scans the root folder; each numeric subfolder of a model holding model.onnx is a version.
#include "serve/repository.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgeinfer::serve {
namespace fs = std::filesystem;
namespace {

bool valid_model_name(const std::string& name) {
    if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

bool numeric(const std::string& s) {
    return !s.empty() && s.size() <= 18 &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

Repository::~Repository() { stop_all(); }

Status Repository::check_root() const {
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) return not_found("model repository '" + root_ + "' is not a folder");
    return Status::ok();
}

void Repository::load_all() {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(root_, ec))
        if (e.is_directory() && valid_model_name(e.path().filename().string()))
            names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) (void)load(n);
}

Status Repository::load(const std::string& name) {
    if (!valid_model_name(name)) return invalid_argument("'" + name + "' is not a valid model name");
    fs::path dir = fs::path(root_) / name;
    std::error_code ec;
    Entry entry;
    auto record = [&](Status s) {
        Entry old;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = models_.find(name);
            if (it != models_.end()) old = std::move(it->second);
            entry.error = s.is_ok() ? "" : s.message();
            models_[name] = std::move(entry);
        }
        for (auto& [v, runner] : old.versions) runner->stop();  // after the swap: new requests go to the new ones
        return s;
    };
    if (!fs::is_directory(dir, ec)) return record(not_found("model '" + name + "' has no folder in the repository"));
    ModelConfig config;
    fs::path config_path = dir / "config.json";
    if (fs::exists(config_path, ec)) {
        std::ifstream f(config_path);
        std::stringstream text;
        text << f.rdbuf();
        auto c = parse_model_config(text.str(), config_path.string());
        if (!c.is_ok()) return record(c.status());
        config = c.value();
    }
    std::vector<long long> versions;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string v = e.path().filename().string();
        if (e.is_directory() && numeric(v) && fs::exists(e.path() / "model.onnx")) versions.push_back(std::stoll(v));
    }
    if (versions.empty())
        return record(not_found("model '" + name + "' has no version folder with a model.onnx (" + dir.string() +
                                "/1/model.onnx)"));
    for (long long v : versions) {
        auto runner =
            ModelRunner::create(name, std::to_string(v), (dir / std::to_string(v) / "model.onnx").string(), config);
        if (!runner.is_ok()) {
            entry.versions.clear();
            return record(runner.status().with_context("model '" + name + "' version " + std::to_string(v)));
        }
        entry.versions[v] = std::move(runner.value());
    }
    return record(Status::ok());
}

Status Repository::unload(const std::string& name) {
    Entry old;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = models_.find(name);
        if (it == models_.end() || it->second.versions.empty()) return not_found("model '" + name + "' is not loaded");
        old = std::move(it->second);
        models_.erase(it);
    }
    for (auto& [v, runner] : old.versions) runner->stop();
    return Status::ok();
}

std::vector<ModelState> Repository::index() const {
    std::map<std::string, std::vector<ModelState>> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root_, ec)) {
        std::string n = e.path().filename().string();
        if (e.is_directory() && valid_model_name(n)) out[n];
    }
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, entry] : models_) {
        auto& states = out[name];
        for (const auto& [v, runner] : entry.versions) states.push_back({name, std::to_string(v), "READY", ""});
        if (!entry.error.empty()) states.push_back({name, "", "UNAVAILABLE", entry.error});
    }
    std::vector<ModelState> flat;
    for (auto& [name, states] : out) {
        if (states.empty()) states.push_back({name, "", "UNAVAILABLE", "unloaded"});
        flat.insert(flat.end(), states.begin(), states.end());
    }
    return flat;
}

Result<std::shared_ptr<ModelRunner>> Repository::find(const std::string& name, const std::string& version) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = models_.find(name);
    if (it == models_.end()) return not_found("unknown model '" + name + "'");
    if (it->second.versions.empty())
        return not_found("model '" + name + "' is not ready" +
                         (it->second.error.empty() ? std::string() : ": " + it->second.error));
    if (version.empty()) return it->second.versions.rbegin()->second;
    if (numeric(version)) {
        auto v = it->second.versions.find(std::stoll(version));
        if (v != it->second.versions.end()) return v->second;
    }
    return not_found("model '" + name + "' has no ready version '" + version + "'");
}

std::vector<std::shared_ptr<ModelRunner>> Repository::ready_versions(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<ModelRunner>> out;
    auto it = models_.find(name);
    if (it != models_.end())
        for (const auto& [v, runner] : it->second.versions) out.push_back(runner);
    return out;
}

std::vector<std::shared_ptr<ModelRunner>> Repository::all_ready() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::shared_ptr<ModelRunner>> out;
    for (const auto& [name, entry] : models_)
        for (const auto& [v, runner] : entry.versions) out.push_back(runner);
    return out;
}

void Repository::stop_all() {
    for (auto& runner : all_ready()) runner->stop();
}

}  // namespace edgeinfer::serve

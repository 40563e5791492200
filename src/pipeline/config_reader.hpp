// The JSON reader the pipeline config parser is built from (internal to pipeline/config*.cpp): errors thrown
// as ConfigError with the JSON path at fault, an object reader that rejects unknown keys and checks types and
// ranges, and the section parsers that parse_pipeline_config composes (elements, rules).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pipeline/config.hpp"

namespace edgeinfer::pipeline {

// What the parsers throw; parse_pipeline_config turns it into a Status "PATH: MESSAGE".
struct ConfigError {
    std::string path;
    std::string message;
    StatusCode code = StatusCode::kInvalidArgument;
};

[[noreturn]] void fail(const std::string& path, const std::string& message,
                       StatusCode code = StatusCode::kInvalidArgument);

// `s` in double quotes, for messages.
std::string q(const std::string& s);
std::string join_list(const std::vector<std::string>& items, const char* sep = ", ");
// A short rendering of a JSON value for messages.
std::string describe(const nlohmann::json& j);

// One JSON object being read: unknown keys are rejected up front, getters check types and ranges.
class Obj {
  public:
    Obj(const nlohmann::json& j, std::string path, std::vector<std::string> allowed);
    const std::string& path() const { return path_; }
    std::string at(const std::string& key) const { return path_ + "/" + key; }
    bool has(const std::string& key) const { return j_.contains(key); }
    const nlohmann::json& get(const std::string& key) const { return j_.at(key); }
    const nlohmann::json& required(const std::string& key) const;

    std::string str(const std::string& key, const std::string& def, bool req = false) const;
    double num(const std::string& key, double def, double lo, double hi) const;
    int integer(const std::string& key, int def, int lo, int hi) const;
    bool boolean(const std::string& key, bool def) const;
    std::vector<std::string> strings(const std::string& key) const;
    const nlohmann::json& array(const std::string& key, bool req) const;

  private:
    const nlohmann::json& j_;
    std::string path_;
};

// The file named by `key`, relative to `base_dir` unless absolute; kNotFound naming `what` when it is missing.
std::filesystem::path existing_file(const Obj& o, const std::string& key, const std::filesystem::path& base_dir,
                                    const char* what);
std::filesystem::path resolve(const std::filesystem::path& p, const std::filesystem::path& base_dir);
void check_unique(std::set<std::string>& seen, const std::string& id, const std::string& path, const char* what);
// Every name is a source id of `c`.
void check_sources(const std::vector<std::string>& names, const PipelineConfig& c, const std::string& path);

// The sections of a document that have files of their own; each appends to `c` what it reads.
// config_elements.cpp: one entry of "elements" (an "aimeta" element adds a metadata sink instead).
void parse_element(const nlohmann::json& j, const std::string& path, size_t index, PipelineConfig& c,
                   const std::filesystem::path& base_dir);
// config_rules.cpp: "action_rules", read against the keys the elements, zones and lines produce.
void parse_rules(const Obj& top, PipelineConfig& c, const std::filesystem::path& base_dir,
                 const ConfigOptions& options);

}  // namespace edgeinfer::pipeline

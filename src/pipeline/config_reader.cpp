// The pipeline config's JSON reader: ConfigError, the object reader Obj and the shared checks.
#include "pipeline/config_reader.hpp"

#include <algorithm>
#include <sstream>

namespace edgeinfer::pipeline {
namespace {

using nlohmann::json;

std::string fmt(double d) {
    std::ostringstream s;
    s.precision(15);
    s << d;
    return s.str();
}

}  // namespace

namespace fs = std::filesystem;

void fail(const std::string& path, const std::string& message, StatusCode code) {
    throw ConfigError{path.empty() ? "/" : path, message, code};
}

std::string q(const std::string& s) { return "\"" + s + "\""; }

std::string join_list(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    return out;
}

std::string describe(const json& j) {
    std::string dumped = j.dump();
    if (dumped.size() > 40) dumped = dumped.substr(0, 37) + "...";
    return std::string(j.type_name()) + " " + dumped;
}

Obj::Obj(const json& j, std::string path, std::vector<std::string> allowed) : j_(j), path_(std::move(path)) {
    if (!j.is_object()) fail(path_, "expected an object, got " + describe(j));
    for (const auto& [key, value] : j.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            fail(at(key), "unknown key " + q(key) + ", expected one of " + join_list(allowed));
    }
}

const json& Obj::required(const std::string& key) const {
    if (!has(key)) fail(path_, "missing required key " + q(key));
    return j_.at(key);
}

std::string Obj::str(const std::string& key, const std::string& def, bool req) const {
    if (!has(key)) {
        if (req) fail(path_, "missing required key " + q(key));
        return def;
    }
    const json& v = j_.at(key);
    if (!v.is_string()) fail(at(key), "expected a string, got " + describe(v));
    if (req && v.get<std::string>().empty()) fail(at(key), "must not be empty");
    return v.get<std::string>();
}

double Obj::num(const std::string& key, double def, double lo, double hi) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_number()) fail(at(key), "expected a number, got " + describe(v));
    const double d = v.get<double>();
    if (d < lo || d > hi) fail(at(key), "value " + v.dump() + " out of range [" + fmt(lo) + ", " + fmt(hi) + "]");
    return d;
}

int Obj::integer(const std::string& key, int def, int lo, int hi) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_number_integer()) fail(at(key), "expected an integer, got " + describe(v));
    const int64_t i = v.get<int64_t>();
    if (i < lo || i > hi) fail(at(key), "value " + v.dump() + " out of range [" + fmt(lo) + ", " + fmt(hi) + "]");
    return int(i);
}

bool Obj::boolean(const std::string& key, bool def) const {
    if (!has(key)) return def;
    const json& v = j_.at(key);
    if (!v.is_boolean()) fail(at(key), "expected true or false, got " + describe(v));
    return v.get<bool>();
}

std::vector<std::string> Obj::strings(const std::string& key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    const json& v = j_.at(key);
    if (!v.is_array()) fail(at(key), "expected an array of strings, got " + describe(v));
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) fail(at(key) + "/" + std::to_string(i), "expected a string, got " + describe(v[i]));
        out.push_back(v[i].get<std::string>());
    }
    return out;
}

const json& Obj::array(const std::string& key, bool req) const {
    static const json empty = json::array();
    if (!has(key)) {
        if (req) fail(path_, "missing required key " + q(key));
        return empty;
    }
    const json& v = j_.at(key);
    if (!v.is_array()) fail(at(key), "expected an array, got " + describe(v));
    return v;
}

fs::path existing_file(const Obj& o, const std::string& key, const fs::path& base_dir, const char* what) {
    const std::string text = o.str(key, "", true);
    fs::path p = fs::path(text).is_absolute() ? fs::path(text) : base_dir / text;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec))
        fail(o.at(key), std::string(what) + " not found: " + p.string(), StatusCode::kNotFound);
    return p;
}

fs::path resolve(const fs::path& p, const fs::path& base_dir) { return p.is_absolute() ? p : base_dir / p; }

void check_unique(std::set<std::string>& seen, const std::string& id, const std::string& path, const char* what) {
    if (!seen.insert(id).second) fail(path, std::string("duplicate ") + what + " " + q(id));
}

void check_sources(const std::vector<std::string>& names, const PipelineConfig& c, const std::string& path) {
    for (size_t i = 0; i < names.size(); ++i) {
        const bool known =
            std::any_of(c.sources.begin(), c.sources.end(), [&](const SourceConfig& s) { return s.id == names[i]; });
        if (!known) fail(path + "/" + std::to_string(i), "no source has id " + q(names[i]));
    }
}

}  // namespace edgeinfer::pipeline

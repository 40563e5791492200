// Runs the built `edgeinfer` program as a user would, capturing exit code and output (for CLI tests).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace edgeinfer::cli_test {

struct CliRun {
    int code;
    std::string out;  // stdout and stderr together
};

inline CliRun run_cli(const std::string& args) {
    std::string cmd = std::string(EDGEINFER_BINARY) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    CliRun r{-1, {}};
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// `edgeinfer compare --json -t 2 ARGS`: its JSON document (an empty object, with a test failure, when
// the command fails or prints none).
inline nlohmann::json compare_json(const std::string& args) {
    CliRun r = run_cli("compare --json -t 2 " + args);
    EXPECT_EQ(r.code, 0) << r.out;
    auto brace = r.out.find('{');
    auto j = nlohmann::json::parse(brace == std::string::npos ? "" : r.out.substr(brace), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j.is_discarded() ? nlohmann::json::object() : j;
}

// The JSON objects among a command's output lines (stderr lines mixed in never start with '{').
inline std::vector<nlohmann::json> json_lines(const std::string& out) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line.front() == '{') lines.push_back(nlohmann::json::parse(line));
    return lines;
}

// Every non-empty line of a JSON-lines file (a metadata sink's, an event file's).
inline std::vector<nlohmann::json> read_json_lines(const std::string& path) {
    std::vector<nlohmann::json> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
}

// A JSON file (a test failure when it cannot be opened).
inline nlohmann::json read_json(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << path;
    return nlohmann::json::parse(in);
}

}  // namespace edgeinfer::cli_test

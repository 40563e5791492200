// Runs the built `edgeinfer` program as a user would, capturing exit code and output (for CLI tests).
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

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

}  // namespace edgeinfer::cli_test

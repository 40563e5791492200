// Runs the built `edgeinfer` program as a user would, capturing exit code and output (for CLI tests).
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
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

}  // namespace edgeinfer::cli_test

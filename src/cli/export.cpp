// `edgeinfer export [flags] MODEL [OUTDIR]`: hands over to the edgeinfer-export Python tool
// (tools/edgeinfer_export.py, installed as bin/edgeinfer-export) on Debian's python3 with torch.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"

#ifndef EDGEINFER_PYTHON
#define EDGEINFER_PYTHON "/usr/bin/python3"
#endif

namespace edgeinfer::cli {
namespace {

namespace fs = std::filesystem;

fs::path own_executable() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : p;
}

// $EDGEINFER_EXPORT_SCRIPT, then the installed bin/edgeinfer-export next to this program, then
// the source tree this program was built from.
std::string find_script(const fs::path& exe) {
    if (const char* env = std::getenv("EDGEINFER_EXPORT_SCRIPT")) return env;
    std::vector<fs::path> candidates;
    if (!exe.empty()) {
        candidates.push_back(exe.parent_path() / "edgeinfer-export");
        candidates.push_back(exe.parent_path() / ".." / "share" / "edgeinfer" / "edgeinfer_export.py");
    }
#ifdef EDGEINFER_SOURCE_DIR
    candidates.push_back(fs::path(EDGEINFER_SOURCE_DIR) / "tools" / "edgeinfer_export.py");
#endif
    std::error_code ec;
    for (const fs::path& c : candidates)
        if (fs::is_regular_file(c, ec)) return c.string();
    return "";
}

int run_export(const std::vector<std::string>& args) {
    fs::path exe = own_executable();
    std::string script = find_script(exe);
    if (script.empty()) {
        std::cerr << "edgeinfer export: cannot find the edgeinfer-export tool (install edgeinfer, or set "
                     "EDGEINFER_EXPORT_SCRIPT to tools/edgeinfer_export.py)\n";
        return 1;
    }
    // The export's check runs this same edgeinfer unless the caller chose another.
    if (!exe.empty()) setenv("EDGEINFER_BINARY", exe.c_str(), /*overwrite=*/0);
    std::vector<std::string> argv_strings{EDGEINFER_PYTHON, script};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::cout.flush();
    execv(EDGEINFER_PYTHON, argv.data());
    std::cerr << "edgeinfer export: cannot start " << EDGEINFER_PYTHON << ": " << std::strerror(errno) << "\n";
    return 1;
}

}  // namespace

void add_export_command(CLI::App& app, int* exit_code) {
    CLI::App* cmd = app.add_subcommand(
        "export", "Export a PyTorch model to ONNX + sidecar JSON and check it (runs edgeinfer-export; --help there)");
    cmd->prefix_command();  // every argument after `export` goes to the tool unparsed
    cmd->set_help_flag();   // so does --help
    cmd->callback([cmd, exit_code] { *exit_code = run_export(cmd->remaining()); });
}

}  // namespace edgeinfer::cli

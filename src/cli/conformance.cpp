// `edgeinfer conformance`: tools::run_conformance (ONNX's backend test cases, Debian's
// libonnx-testdata) printed: per-op and total counts, regressions against the expected-pass list.
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

struct ConformanceArgs {
    tools::ConformanceOptions options;
    bool verbose = false, no_fork = false;
};

const char* tag(tools::CaseOutcome o) {
    switch (o) {
        case tools::CaseOutcome::kPass:
            return "PASS       ";
        case tools::CaseOutcome::kFail:
            return "FAIL       ";
        case tools::CaseOutcome::kUnsupported:
            return "UNSUPPORTED";
        case tools::CaseOutcome::kExcluded:
            return "EXCLUDED   ";
    }
    return "";
}

int run_conformance(ConformanceArgs& args) {
    args.options.isolate = !args.no_fork;
    auto report = tools::run_conformance(args.options);
    if (!report.is_ok()) {
        std::cerr << "edgeinfer conformance: " << report.status().message() << "\n";
        return 1;
    }
    const tools::ConformanceReport& r = *report;
    for (const tools::CaseResult& c : r.cases) {
        if (c.outcome == tools::CaseOutcome::kExcluded) {
            if (args.verbose) std::cout << "EXCLUDED     " << c.id << " #" << c.detail << "\n";
        } else if (args.verbose || (c.outcome == tools::CaseOutcome::kFail && !args.options.filter.empty())) {
            std::cout << tag(c.outcome) << "  " << c.id << (c.detail.empty() ? "" : "  " + c.detail) << "\n";
        }
    }
    std::cout << "\n"
              << std::left << std::setw(34) << "op" << std::right << std::setw(6) << "pass" << std::setw(6) << "fail"
              << std::setw(13) << "unsupported"
              << "\n";
    for (const auto& [op, c] : r.per_op)
        std::cout << std::left << std::setw(34) << op << std::right << std::setw(6) << c.pass << std::setw(6) << c.fail
                  << std::setw(13) << c.unsupported << "\n";
    for (const auto& reg : r.regressions) std::cout << "REGRESSION  " << reg << "\n";
    if (!args.options.expected.empty())
        std::cout << "expected-pass list: " << r.expected << " cases, " << r.regressions.size() << " regressed\n";
    std::cout << "unsupported: " << r.total.unsupported << " (counted as failed), excluded by name: " << r.excluded
              << "\n";
    std::cout << "conformance: " << r.total.pass << " passed, " << (r.total.fail + r.total.unsupported) << " failed, "
              << r.excluded << " skipped\n";
    return r.regressions.empty() ? 0 : 1;
}

}  // namespace

void add_conformance_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<ConformanceArgs>();
    tools::ConformanceOptions& o = args->options;
    CLI::App* cmd = app.add_subcommand("conformance", "Run ONNX's backend test cases (libonnx-testdata)");
    cmd->add_option("--data", o.data_dir, "Test data root")->capture_default_str();
    cmd->add_option("--suites", o.suites, "Suites under the root")->delimiter(',')->capture_default_str();
    cmd->add_option("--filter", o.filter, "Regex on 'suite/test_name'; prints failures");
    cmd->add_option("--expected", o.expected, "Expected-pass list: exit 1 if one of them does not pass");
    cmd->add_option("--excluded", o.excluded, "Cases excluded by name, with the reason as a # comment");
    cmd->add_option("--write-expected", o.write_expected, "Write the cases that passed to this file");
    cmd->add_option("--rtol", o.rtol, "Relative tolerance")->capture_default_str();
    cmd->add_option("--atol", o.atol, "Absolute tolerance")->capture_default_str();
    cmd->add_option("-t,--threads", o.threads, "Threads per session")->capture_default_str();
    cmd->add_flag("-v,--verbose", args->verbose, "Print every case");
    cmd->add_flag("--no-fork", args->no_fork, "Run cases in this process (for debugging)");
    cmd->callback([args, exit_code] { *exit_code = run_conformance(*args); });
}

}  // namespace edgeinfer::cli

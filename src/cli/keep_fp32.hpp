// The precision flags of run, bench, compare and the vision commands: `--precision fp32|bf16|int8`, and
// `--keep-fp32 NODE,...` with node names checked against the model (tools::check_node_names), so a
// typo is an error naming the unknown names instead of a silent no-op.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <utility>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"

namespace edgeinfer::cli {

// Adds `--precision fp32|bf16|int8` (int8 runs a quantized model's QDQ/QLinear nodes on int8 kernels).
void add_precision_option(CLI::App* cmd, std::string& name);

// Adds `--max-memory SIZE` (4G, 512M, bytes; SessionOptions::max_memory_bytes) to `cmd`.
void add_max_memory_option(CLI::App* cmd, std::string& size);
// The byte count of a --max-memory value add_max_memory_option checked; 0 (physical memory) when empty.
size_t max_memory_bytes(const std::string& size);

// Adds `--time-limit DURATION` (250ms, 10s, 2m; SessionOptions::run_time_limit_ms) to `cmd`.
void add_time_limit_option(CLI::App* cmd, std::string& duration);
// The milliseconds of a --time-limit value add_time_limit_option checked; 0 (none) when empty.
int64_t time_limit_ms(const std::string& duration);

// Accepts what `parse` (a library parser returning Result<T>: a name table's parse_*, a size or duration)
// accepts, and rejects anything else with its message; `choices` (a table's *_choices(), or what the value
// is: "SIZE") is what --help shows.
template <typename Parse>
CLI::Validator name_validator(Parse parse, std::string choices) {
    return CLI::Validator(
        [parse](const std::string& text) {
            auto parsed = parse(text);
            return parsed.is_ok() ? std::string() : parsed.status().message();
        },
        std::move(choices));
}

// Accepts the names of edgeinfer::parse_precision.
CLI::Validator precision_validator();

// "fp32", "bf16" or "int8" (the values add_precision_option accepts) as the session option.
Precision precision_from_name(const std::string& name);

// Adds `--tactics fast|timed|direct-only` (SessionOptions::tactics; docs/tactics.md).
void add_tactics_option(CLI::App* cmd, std::string& name);
// A name add_tactics_option accepted as the session option (kFast when empty).
TacticMode tactic_mode_from_name(const std::string& name);

// Adds `--keep-fp32 NODE,...` (comma-separated, repeatable) to `cmd`.
void add_keep_fp32_option(CLI::App* cmd, std::vector<std::string>& names);

// tools::check_node_names: every kept name is a node of the model file.
Status check_keep_fp32(const std::string& model_path, const std::vector<std::string>& names);

}  // namespace edgeinfer::cli

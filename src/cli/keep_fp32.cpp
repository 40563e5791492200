// --precision and --keep-fp32: the flags, and the kept names checked through tools::check_node_names.
#include "cli/keep_fp32.hpp"

#include "base/duration.hpp"
#include "edgeinfer/tools.hpp"
#include "ir/memory.hpp"

namespace edgeinfer::cli {

void add_precision_option(CLI::App* cmd, std::string& name) {
    cmd->add_option("-p,--precision", name,
                    "fp32, bf16 (convolutions and matrix products in bf16) or int8 (a quantized model's "
                    "QDQ/QLinear nodes on int8 kernels; `edgeinfer quantize` makes one); docs/precision.md")
        ->check(precision_validator());
}

void add_max_memory_option(CLI::App* cmd, std::string& size) {
    cmd->add_option("--max-memory", size,
                    "Memory limit for one run's values, e.g. 4G or 512M (default: physical memory); a shape "
                    "needing more is a ResourceExhausted error, never an abort (docs/security.md)")
        ->check(name_validator(ir::parse_byte_size, "SIZE"));
}

void add_time_limit_option(CLI::App* cmd, std::string& duration) {
    cmd->add_option("--time-limit", duration,
                    "Time limit for one run (and for building the session), e.g. 500ms, 10s, 2m (default: none); "
                    "a Loop or a graph that runs longer stops with a ResourceExhausted error (docs/security.md)")
        ->check(name_validator(base::parse_duration_ms, "DURATION"));
}

int64_t time_limit_ms(const std::string& duration) {
    if (duration.empty()) return 0;
    auto ms = base::parse_duration_ms(duration);
    return ms.is_ok() ? *ms : 0;
}

size_t max_memory_bytes(const std::string& size) {
    if (size.empty()) return 0;
    auto b = ir::parse_byte_size(size);
    return b.is_ok() ? *b : 0;
}

CLI::Validator precision_validator() { return name_validator(parse_precision, precision_choices()); }

Precision precision_from_name(const std::string& name) {
    return parse_precision(name).is_ok() ? parse_precision(name).value() : Precision::kFp32;
}

void add_tactics_option(CLI::App* cmd, std::string& name) {
    cmd->add_option("--tactics", name,
                    "Convolution tactics: fast (heuristic: Winograd F(4,3) or F(2,3) for 3x3 stride-1 convs with 64+ "
                    "channels), timed (time direct, Winograd F(2,3) and F(4,3) per conv at plan build, keep the "
                    "fastest accurate one; engine "
                    "files record the choice) or direct-only; docs/tactics.md")
        ->check(name_validator(parse_tactic_mode, tactic_mode_choices()));
}

TacticMode tactic_mode_from_name(const std::string& name) {
    auto m = parse_tactic_mode(name);
    return m.is_ok() ? m.value() : TacticMode::kFast;
}

void add_keep_fp32_option(CLI::App* cmd, std::vector<std::string>& names) {
    cmd->add_option("--keep-fp32", names,
                    "Node names that compute in fp32 whatever --precision says (comma-separated; "
                    "`edgeinfer compare MODEL --precision bf16` names the layers that lose the most)")
        ->delimiter(',')
        ->allow_extra_args(false);
}

Status check_keep_fp32(const std::string& model_path, const std::vector<std::string>& names) {
    return tools::check_node_names(model_path, names);
}

}  // namespace edgeinfer::cli

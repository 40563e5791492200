// Name tables of Precision, GraphOptimizationLevel and TacticMode (include/edgeinfer/precision.hpp).
#include "edgeinfer/precision.hpp"

#include <array>
#include <utility>

namespace edgeinfer {

namespace {

constexpr std::array<std::pair<Precision, std::string_view>, 3> kPrecisionNames = {{
    {Precision::kFp32, "fp32"},
    {Precision::kBf16, "bf16"},
    {Precision::kInt8, "int8"},
}};

constexpr std::array<std::pair<GraphOptimizationLevel, std::string_view>, 4> kLevelNames = {{
    {GraphOptimizationLevel::kNone, "none"},
    {GraphOptimizationLevel::kBasic, "basic"},
    {GraphOptimizationLevel::kExtended, "extended"},
    {GraphOptimizationLevel::kAll, "all"},
}};

constexpr std::array<std::pair<TacticMode, std::string_view>, 3> kTacticNames = {{
    {TacticMode::kFast, "fast"},
    {TacticMode::kTimed, "timed"},
    {TacticMode::kDirectOnly, "direct-only"},
}};

template <typename Table>
std::string joined(const Table& table) {
    std::string out;
    for (const auto& [value, name] : table) {
        if (!out.empty()) out += "|";
        out += name;
    }
    return out;
}

}  // namespace

std::string_view to_string(Precision p) {
    for (const auto& [value, name] : kPrecisionNames)
        if (value == p) return name;
    return "?";
}

std::string precision_choices() { return joined(kPrecisionNames); }

Result<Precision> parse_precision(std::string_view name) {
    for (const auto& [value, n] : kPrecisionNames)
        if (n == name) return value;
    return invalid_argument("unknown precision '" + std::string(name) + "' (choose " + precision_choices() + ")");
}

std::string_view to_string(GraphOptimizationLevel level) {
    for (const auto& [value, name] : kLevelNames)
        if (value == level) return name;
    return "?";
}

std::string optimization_level_choices() { return joined(kLevelNames); }

Result<GraphOptimizationLevel> parse_optimization_level(std::string_view name) {
    for (const auto& [value, n] : kLevelNames)
        if (n == name) return value;
    if (name.size() == 1 && name[0] >= '0' && name[0] <= '3') return static_cast<GraphOptimizationLevel>(name[0] - '0');
    return invalid_argument("unknown optimization level '" + std::string(name) + "' (choose " +
                            optimization_level_choices() + " or 0..3)");
}

std::string_view to_string(TacticMode mode) {
    for (const auto& [value, name] : kTacticNames)
        if (value == mode) return name;
    return "?";
}

std::string tactic_mode_choices() { return joined(kTacticNames); }

Result<TacticMode> parse_tactic_mode(std::string_view name) {
    for (const auto& [value, n] : kTacticNames)
        if (n == name) return value;
    return invalid_argument("unknown tactic mode '" + std::string(name) + "' (choose " + tactic_mode_choices() + ")");
}

}  // namespace edgeinfer

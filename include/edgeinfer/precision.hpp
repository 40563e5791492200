// edgeinfer::Precision, GraphOptimizationLevel and TacticMode, each with its one name table (to_string / parse_*)
// shared by the CLI, pipeline configs, engine files and the bindings.
#pragma once

#include <string>
#include <string_view>

#include "edgeinfer/status.hpp"

namespace edgeinfer {

// fp32: everything in fp32. bf16: convolutions and matrix products compute in bf16 (AMX/AVX-512) with
// fp32 accumulation. int8: a quantized (QDQ or QLinear) model's int8 paths run on int8 kernels.
enum class Precision { kFp32, kBf16, kInt8 };
enum class GraphOptimizationLevel { kNone = 0, kBasic = 1, kExtended = 2, kAll = 3 };
// How nodes with more than one implementation (tactic) pick one when a plan is built (docs/tactics.md).
// fast: a fixed heuristic, nothing timed. timed: each candidate is timed on the node's real shapes and the
// fastest one whose output matches the direct implementation's on that node is kept (engine files record
// the choice, so a loaded engine times nothing). direct-only: the direct implementation everywhere.
enum class TacticMode { kFast, kTimed, kDirectOnly };

// "fp32", "bf16", "int8".
std::string_view to_string(Precision p);
// The names to_string gives; kInvalidArgument naming the choices otherwise.
Result<Precision> parse_precision(std::string_view name);
// "fp32|bf16|int8", for help texts and messages.
std::string precision_choices();

// "none", "basic", "extended", "all".
std::string_view to_string(GraphOptimizationLevel level);
// The names to_string gives, or the digits 0..3; kInvalidArgument naming the choices otherwise.
Result<GraphOptimizationLevel> parse_optimization_level(std::string_view name);
// "none|basic|extended|all", for help texts and messages.
std::string optimization_level_choices();

// "fast", "timed", "direct-only".
std::string_view to_string(TacticMode mode);
// The names to_string gives; kInvalidArgument naming the choices otherwise.
Result<TacticMode> parse_tactic_mode(std::string_view name);
// "fast|timed|direct-only", for help texts and messages.
std::string tactic_mode_choices();

}  // namespace edgeinfer

// The precision flags of run, bench, compare and the vision commands: `--precision fp32|bf16|int8`, and
// `--keep-fp32 NODE,...` with node names checked against the model, so a typo is an error naming the
// unknown names instead of a silent no-op.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::cli {

// Adds `--precision fp32|bf16|int8` (int8 runs a quantized model's QDQ/QLinear nodes on int8 kernels).
void add_precision_option(CLI::App* cmd, std::string& name);

// Accepts the names of edgeinfer::parse_precision.
CLI::Validator precision_validator();

// "fp32", "bf16" or "int8" (the values add_precision_option accepts) as the session option.
Precision precision_from_name(const std::string& name);

// Adds `--keep-fp32 NODE,...` (comma-separated, repeatable) to `cmd`.
void add_keep_fp32_option(CLI::App* cmd, std::vector<std::string>& names);

// Every name in `names` is a node of `model` (subgraph nodes included); otherwise an error listing
// the unknown names and a few of the model's node names. `label` names the model in the message.
Status check_node_names(const ir::Model& model, const std::vector<std::string>& names, const std::string& label);

// Same for a model file (loaded without shape inference); ok without reading it when `names` is empty.
Status check_keep_fp32(const std::string& model_path, const std::vector<std::string>& names);

}  // namespace edgeinfer::cli

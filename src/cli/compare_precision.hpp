// `edgeinfer compare MODEL --precision bf16|int8`: tools::precision_report printed as text or JSON.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {

struct PrecisionCompareArgs {
    std::string model;      // the float model (the fp32 reference)
    std::string precision;  // "bf16" or "int8" ("" with --quantized: int8)
    tools::PrecisionReportOptions options;
    int layers = 10;  // rows of the layer table printed (JSON has them all)
    bool json = false;
};

// --precision, --quantized, --inputs, --samples, --layer-samples, --layers, --keep-fp32.
void add_precision_compare_options(CLI::App* cmd, PrecisionCompareArgs& p);

// Prints the report (text or one JSON document). Exit code: 0 report printed, 1 error.
int run_precision_compare(const PrecisionCompareArgs& args);

}  // namespace edgeinfer::cli

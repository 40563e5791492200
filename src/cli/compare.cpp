// `edgeinfer compare A.onnx B.onnx` / `edgeinfer compare A.onnx --ref DIR|FILE.npy|NAME=FILE.npy|opencv`:
// tools::compare, printed. Exit code: 0 all compared values agree, 2 a mismatch was found, 1 error.
// `--precision bf16|int8` prints tools::precision_report instead: MODEL in fp32 against bf16 or int8.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "edgeinfer/tools.hpp"

namespace edgeinfer::cli {
namespace {

// `compare MODEL --precision bf16|int8`.
struct PrecisionCompareArgs {
    std::string model;      // the float model (the fp32 reference)
    std::string precision;  // "bf16" or "int8" ("" with --quantized: int8)
    tools::PrecisionReportOptions options;
    int layers = 10;  // rows of the layer table printed (JSON has them all)
    bool json = false;
};

// --precision, --quantized, --inputs, --samples, --layer-samples, --layers, --keep-fp32.
void add_precision_compare_options(CLI::App* cmd, PrecisionCompareArgs& p) {
    const char* group = "Precision (fp32 against bf16 or int8: output errors, agreement, layers losing the most)";
    cmd->add_option("-p,--precision", p.precision, "bf16 or int8: compare the model in fp32 with this precision")
        ->check(CLI::IsMember({"bf16", "int8"}))
        ->group(group);
    cmd->add_option("--quantized", p.options.quantized, "int8: the QDQ model of A (from `edgeinfer quantize`)")
        ->group(group);
    cmd->add_option("--inputs", p.options.data,
                    "Directories or files of inputs: .npy, or images preprocessed as A's sidecar says")
        ->allow_extra_args(false)
        ->group(group);
    cmd->add_option("--samples", p.options.samples, "At most N of --inputs; without --inputs, N seeded random inputs")
        ->group(group);
    cmd->add_option("--layer-samples", p.options.layer_samples, "Inputs the per-layer table is measured on")
        ->capture_default_str()
        ->group(group);
    cmd->add_option("--layers", p.layers, "Rows of the layer table printed")->capture_default_str()->group(group);
    add_keep_fp32_option(cmd, p.options.keep_fp32);
}

// Prints tools::precision_report (text or one JSON document). Exit code: 0 report printed, 1 error.
int run_precision_compare(const PrecisionCompareArgs& args) {
    Result<tools::PrecisionReport> r = invalid_argument("--samples, --layer-samples and --layers must be >= 0");
    if (args.options.samples >= 0 && args.options.layer_samples >= 0 && args.layers >= 0)
        r = tools::precision_report(args.model, args.options);
    if (!r.is_ok()) {
        std::cerr << "edgeinfer compare: " << r.status().to_string() << "\n";
        return 1;
    }
    if (args.json) {
        std::cout << tools::to_json(*r) << "\n";
        return 0;
    }
    std::cout << tools::format_text(*r, args.layers);
    if (r->precision == "int8")
        std::cout << "keep a node in float32: edgeinfer quantize MODEL OUT.onnx --calib DIR --exclude NODE[,NODE...]\n";
    else
        std::cout << "pin a node to fp32: --keep-fp32 NODE[,NODE...] (compare, run, bench, classify/detect/segment)\n";
    return 0;
}

struct CompareArgs {
    std::string a, b;
    std::vector<std::string> refs, inputs, shapes;
    tools::CompareOptions options;
    bool json = false;
    PrecisionCompareArgs precision;  // --precision mode (flags shared with the others)
};

int fail(const Status& st) {
    std::cerr << "edgeinfer compare: " << st.to_string() << "\n";
    return 1;
}

int run_compare(CompareArgs& args) {
    auto files = tools::parse_file_options(args.inputs, "--input");
    if (!files.is_ok()) return fail(files.status());
    auto shapes = tools::parse_shape_options(args.shapes, "--shape");
    if (!shapes.is_ok()) return fail(shapes.status());
    if (!args.precision.precision.empty() || !args.precision.options.quantized.empty()) {
        if (!args.b.empty() || !args.refs.empty() || args.options.bisect)
            return fail(
                invalid_argument("--precision compares one model with itself in another precision: give no "
                                 "second model, --ref or --bisect"));
        PrecisionCompareArgs& p = args.precision;
        p.model = args.a;
        p.options.precision = p.precision == "bf16" ? Precision::kBf16 : Precision::kInt8;  // --quantized alone: int8
        p.options.input_files = *files;
        p.options.shapes = *shapes;
        p.options.seed = args.options.seed;
        p.options.threads = args.options.threads;
        p.json = args.json;
        return run_precision_compare(p);
    }
    if (!args.precision.options.data.empty() || !args.precision.options.keep_fp32.empty())
        return fail(invalid_argument("--inputs and --keep-fp32 go with --precision bf16|int8"));
    args.options.references = args.refs;
    args.options.input_files = *files;
    args.options.shapes = *shapes;
    auto r = tools::compare(args.a, args.b, args.options);
    if (!r.is_ok()) return fail(r.status());
    std::cout << (args.json ? tools::to_json(*r) + "\n" : tools::format_text(*r));
    return r->match() ? 0 : 2;
}

}  // namespace

void add_compare_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<CompareArgs>();
    tools::CompareOptions& o = args->options;
    CLI::App* cmd = app.add_subcommand(
        "compare", "Run two models (or a model and reference .npy values) and name the first layer that differs");
    cmd->add_option("a", args->a, "Model A (the reference side when comparing two models)")->required();
    cmd->add_option("b", args->b, "Model B, with the same inputs as A");
    cmd->add_option("--ref", args->refs,
                    "Reference values: DIR of VALUE.npy, FILE.npy (first output), VALUE=FILE.npy, or "
                    "`opencv` (run A in OpenCV DNN and compare every layer it exposes)")
        ->allow_extra_args(false);
    cmd->add_option("-i,--input", args->inputs, "NAME=FILE.npy input (others are seeded random)")
        ->allow_extra_args(false);
    cmd->add_option("--shape,--shapes", args->shapes, "NAME=1x3x224x224 for random inputs with dynamic dims")
        ->allow_extra_args(false);
    cmd->add_option("--seed", o.seed, "Seed for random inputs")->capture_default_str();
    cmd->add_option("--rtol", o.rtol, "Tolerance relative to max |A| of each value")->capture_default_str();
    cmd->add_option("--atol", o.atol, "Absolute tolerance")->capture_default_str();
    cmd->add_option("-t,--threads", o.threads, "Threads (0: all cores)");
    cmd->add_flag("--bisect", o.bisect, "Expose one value per run and narrow down (graphs too big to expose)");
    cmd->add_flag("--json", args->json, "Print one JSON document");
    add_precision_compare_options(cmd, args->precision);
    cmd->callback([args, exit_code] { *exit_code = run_compare(*args); });
}

}  // namespace edgeinfer::cli

// `edgeinfer compare A.onnx B.onnx` / `edgeinfer compare A.onnx --ref DIR|FILE.npy|NAME=FILE.npy|opencv`:
// tools::compare, printed. Exit code: 0 all compared values agree, 2 a mismatch was found, 1 error.
// `--precision bf16|int8` prints tools::precision_report instead: MODEL in fp32 against bf16 or int8.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

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

nlohmann::json agreement_json(const tools::Agreement& a) {
    return {{"agree", a.agree}, {"total", a.total}, {"rate", a.rate()}};
}

nlohmann::json optional_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json report_json(const tools::PrecisionReport& r) {
    nlohmann::json j = {{"mode", "precision"},
                        {"model", r.model},
                        {"precision", r.precision},
                        {"quantized", r.quantized},
                        {"keep_fp32", r.keep_fp32},
                        {"samples", r.samples},
                        {"layer_samples", r.layer_samples},
                        {"preprocess", r.preprocess}};
    nlohmann::json jo = nlohmann::json::array();
    for (const tools::PrecisionOutput& o : r.outputs) {
        nlohmann::json x = {{"name", o.name},
                            {"shape", o.shape},
                            {"max_abs_diff", o.max_abs_diff},
                            {"mean_abs_diff", o.mean_abs_diff},
                            {"cosine", o.cosine},
                            {"worst_cosine", o.worst_cosine},
                            {"rel_l2", o.rel_l2},
                            {"nonfinite_mismatches", o.nonfinite_mismatches}};
        if (o.top1.total) x["top1"] = agreement_json(o.top1);
        if (o.top5.total) x["top5"] = agreement_json(o.top5);
        if (o.pixels.total) x["pixels"] = agreement_json(o.pixels);
        jo.push_back(x);
    }
    j["outputs"] = jo;
    j["layers"] = nlohmann::json::array();
    for (const tools::LayerError& l : r.layers)
        j["layers"].push_back({{"node", l.node},
                               {"op_type", l.op_type},
                               {"value", l.value},
                               {"rel_l2", l.rel_l2},
                               {"cosine", l.cosine},
                               {"local_rel_l2", optional_json(l.local_rel_l2)},
                               {"local_cosine", optional_json(l.local_cosine)}});
    return j;
}

std::string percent(const tools::Agreement& a) {
    std::ostringstream s;
    s << a.agree << "/" << a.total << " (" << std::fixed << std::setprecision(2) << 100.0 * a.rate() << "%)";
    return s.str();
}

void print_report(const tools::PrecisionReport& r, int max_rows) {
    const bool int8 = r.precision == "int8";
    std::cout << std::setprecision(6) << r.precision << " vs fp32: " << r.model
              << (int8 ? " quantized as " + r.quantized : "") << ", " << r.samples << " inputs";
    if (!r.preprocess.empty()) std::cout << " (images: " << r.preprocess << ")";
    std::cout << "\n";
    if (!r.keep_fp32.empty()) std::cout << "kept in fp32: " << nlohmann::json(r.keep_fp32).dump() << "\n";
    for (const tools::PrecisionOutput& o : r.outputs) {
        std::cout << "output " << o.name << " [" << shape_to_string(o.shape) << "]: max abs " << o.max_abs_diff
                  << ", mean abs " << o.mean_abs_diff << ", cosine " << o.cosine << " (worst input " << o.worst_cosine
                  << "), rel L2 " << o.rel_l2 << "\n";
        if (o.top1.total) std::cout << "  top-1 agreement " << percent(o.top1) << "\n";
        if (o.top5.total) std::cout << "  top-5 agreement (same 5 classes) " << percent(o.top5) << "\n";
        if (o.pixels.total) std::cout << "  per-pixel argmax agreement " << percent(o.pixels) << "\n";
        if (o.nonfinite_mismatches > 0)
            std::cout << "  " << o.nonfinite_mismatches << " elements NaN/Inf on one side only\n";
    }
    std::cout << "\nlayers adding the most error (on " << r.layer_samples
              << " inputs; own: the node alone on its fp32 inputs, total: its output in the whole " << r.precision
              << " run; rel L2 = |" << r.precision << " - fp32| / |fp32|"
              << (int8 ? "; int8 measured on the QDQ model's float reference path" : "") << "):\n";
    std::cout << "  " << std::left << std::setw(44) << "node" << std::setw(16) << "op" << std::right << std::setw(13)
              << "own rel L2" << std::setw(13) << "total rel L2" << std::setw(14) << "total cosine"
              << "\n";
    for (size_t i = 0; i < r.layers.size() && static_cast<int>(i) < max_rows; ++i) {
        const tools::LayerError& l = r.layers[i];
        std::ostringstream own;
        if (!l.local_rel_l2)
            own << "-";
        else
            own << std::scientific << std::setprecision(3) << *l.local_rel_l2;
        std::cout << "  " << std::left << std::setw(44) << l.node + " " << std::setw(16) << l.op_type + " "
                  << std::right << std::setw(13) << own.str() << std::scientific << std::setprecision(3)
                  << std::setw(13) << l.rel_l2 << std::fixed << std::setprecision(6) << std::setw(14) << l.cosine
                  << std::defaultfloat << "\n";
    }
    if (int8)
        std::cout << "keep a node in float32: edgeinfer quantize MODEL OUT.onnx --calib DIR --exclude NODE[,NODE...]\n";
    else
        std::cout << "pin a node to fp32: --keep-fp32 NODE[,NODE...] (compare, run, bench, classify/detect/segment)\n";
}

// --precision, --quantized, --inputs, --samples, --layer-samples, --layers, --keep-fp32.
void add_precision_compare_options(CLI::App* cmd, PrecisionCompareArgs& p) {
    const char* group = "Precision (fp32 against bf16 or int8: output errors, agreement, layers losing the most)";
    cmd->add_option("--precision", p.precision, "bf16 or int8: compare the model in fp32 with this precision")
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
    if (args.json)
        std::cout << report_json(*r).dump(2) << "\n";
    else
        print_report(*r, args.layers);
    return 0;
}

struct CompareArgs {
    std::string a, b;
    std::vector<std::string> refs, inputs, shapes;
    tools::CompareOptions options;
    bool json = false;
    PrecisionCompareArgs precision;  // --precision mode (flags shared with the others)
};

nlohmann::json stats_json(const std::optional<tools::ValueStats>& v) {
    if (!v) return nullptr;
    const tools::TensorStats& s = v->stats;
    return {{"shape", v->shape}, {"min", s.min}, {"max", s.max},    {"mean", s.mean},
            {"nan", s.nan},      {"inf", s.inf}, {"zeros", s.zero}, {"count", s.count}};
}

nlohmann::json inputs_json(const std::vector<tools::NamedStats>& list) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : list) arr.push_back({{"name", e.name}, {"stats", stats_json(e.stats)}});
    return arr;
}

nlohmann::json report_json(const tools::CompareReport& r) {
    nlohmann::json j = {{"mode", r.mode},
                        {"a", r.a},
                        {"b", r.b},
                        {"compared", r.compared},
                        {"mismatched_values", r.mismatched_values},
                        {"runs", r.runs},
                        {"match", r.match()},
                        {"tolerance", {{"atol", r.atol}, {"rtol", r.rtol}}},
                        {"outputs", nlohmann::json::array()}};
    for (const auto& o : r.outputs)
        j["outputs"].push_back({{"name", o.a}, {"max_abs_diff", o.max_abs_diff}, {"ok", o.ok}});
    if (!r.first_mismatch) return j;
    const tools::FirstMismatch& m = *r.first_mismatch;
    nlohmann::json top = nlohmann::json::array();
    for (const auto& e : m.top) top.push_back({{"index", e.index}, {"a", e.a}, {"b", e.b}, {"diff", e.diff}});
    j["first_mismatch"] = {{"value", m.value},
                           {"value_b", m.value_b},
                           {"node", m.node},
                           {"node_label", m.node_label},
                           {"op_type", m.op_type},
                           {"node_b", m.node_b},
                           {"node_b_label", m.node_b_label},
                           {"max_abs_diff", m.max_abs_diff},
                           {"limit", m.limit},
                           {"mismatched_elements", m.mismatched_elements},
                           {"why", m.why},
                           {"stats_a", stats_json(m.stats_a)},
                           {"stats_b", stats_json(m.stats_b)},
                           {"inputs_a", inputs_json(m.inputs_a)},
                           {"inputs_b", inputs_json(m.inputs_b)},
                           {"top", top}};
    return j;
}

void print_stats_list(const std::vector<tools::NamedStats>& list, const std::string& side) {
    std::cout << "  inputs in " << side << ":\n";
    if (list.empty()) std::cout << "    (none)\n";
    for (const auto& e : list) {
        std::cout << "    " << std::left << std::setw(32) << e.name;
        if (!e.stats)
            std::cout << " (not available)\n";
        else
            std::cout << " [" << shape_to_string(e.stats->shape) << "]  " << tools::format_stats(e.stats->stats)
                      << "\n";
    }
}

void print_text(const tools::CompareReport& r) {
    const std::string& bl = r.b_label;
    std::cout << std::setprecision(6) << "compared " << r.compared << " values of A=" << r.a << " and " << bl << "="
              << r.b << " (" << r.runs << " runs; tolerance atol " << r.atol << " + rtol " << r.rtol << " x max|A|)\n";
    for (const auto& o : r.outputs)
        std::cout << "output " << o.a << ": max abs diff " << o.max_abs_diff << (o.ok ? "  ok" : "  MISMATCH") << "\n";
    if (r.match()) {
        std::cout << "no value differs beyond tolerance\n";
        return;
    }
    const tools::FirstMismatch& f = *r.first_mismatch;
    std::cout << "\nFIRST MISMATCH: value '" << f.value << "' produced by " << f.node_label;
    if (f.value_b != f.value) std::cout << " (" << bl << ": value '" << f.value_b << "')";
    std::cout << "\n  " << bl << " node: " << f.node_b_label << "\n";
    if (!f.why.empty()) std::cout << "  " << f.why << "\n";
    std::cout << "  max abs diff " << f.max_abs_diff << " (limit " << f.limit << "), " << f.mismatched_elements
              << " elements beyond tolerance; " << r.mismatched_values << " values differ in all\n";
    print_stats_list(f.inputs_a, "A");
    print_stats_list(f.inputs_b, bl);
    std::cout << "  largest differences (index: A, " << bl << ", |diff|):\n";
    for (const auto& e : f.top) {
        std::string idx = "[";
        for (size_t i = 0; i < e.index.size(); ++i) {
            if (i) idx += ',';
            idx += std::to_string(e.index[i]);
        }
        std::cout << "    " << idx << "]: " << e.a << ", " << e.b << ", " << e.diff << "\n";
    }
}

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
    if (args.json)
        std::cout << report_json(*r).dump(2) << "\n";
    else
        print_text(*r);
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
    cmd->add_option("--shape", args->shapes, "NAME=1x3x224x224 for random inputs with dynamic dims")
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

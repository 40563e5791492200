// `edgeinfer compare MODEL --precision bf16|int8`: prints tools::precision_report.
#include "cli/compare_precision.hpp"

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/keep_fp32.hpp"

namespace edgeinfer::cli {
namespace {

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

}  // namespace

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

}  // namespace edgeinfer::cli

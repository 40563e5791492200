// tools::quantize: post-training static int8 quantization to a QDQ ONNX model, calibrated on .npy
// files or images (preprocessed as the model's sidecar says, else the vision commands' defaults).
#include <filesystem>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "model/onnx_model.hpp"
#include "quant/quantizer.hpp"
#include "tools/input_files.hpp"
#include "tools/value_matching.hpp"

namespace edgeinfer::tools {
namespace {

namespace fs = std::filesystem;

// Calibration samples of the model's one input from `files`; notes how images were preprocessed.
Result<std::vector<quant::Sample>> load_samples(const std::string& model, const QuantizeOptions& a,
                                                const std::vector<fs::path>& files, QuantizeReport& report) {
    SessionOptions so;
    so.num_threads = 1;
    so.optimization_level = GraphOptimizationLevel::kNone;
    EDGEINFER_ASSIGN_OR_RETURN(auto session, Session::create(model, so));
    if (session->inputs().size() != 1)
        return unsupported(model + ": calibration from files needs a model with one input, it has " +
                           std::to_string(session->inputs().size()));
    const ValueDescription& in = session->inputs()[0];
    std::optional<vision::ResolvedPreprocess> pre;
    std::vector<quant::Sample> samples;
    for (const fs::path& f : files) {
        if (a.samples > 0 && static_cast<int>(samples.size()) >= a.samples) break;
        if (f.extension() == ".npy") {
            EDGEINFER_RETURN_IF_ERROR(split_npy_samples(f, in, samples));
            continue;
        }
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, read_image_input(f, model, in, pre));
        samples.push_back({NamedTensor{in.name, t}});
    }
    if (pre) report.preprocess = pre->config.describe() + " (" + pre->origin + ")";
    if (samples.empty()) return invalid_argument("--calib: no usable calibration inputs");
    if (a.samples > 0 && static_cast<int>(samples.size()) > a.samples) samples.resize(static_cast<size_t>(a.samples));
    if (a.samples > 0 && static_cast<int>(samples.size()) < a.samples)
        report.warnings.push_back("--samples " + std::to_string(a.samples) + " asked, only " +
                                  std::to_string(samples.size()) + " calibration samples available; using them all");
    return samples;
}

}  // namespace

Result<QuantizeReport> quantize(const std::string& model_path, const std::string& output_path,
                                const QuantizeOptions& a) {
    EDGEINFER_ASSIGN_OR_RETURN(quant::CalibrationMethod method, quant::parse_method(a.method));
    if (a.samples < 0) return invalid_argument("--samples must be >= 0");
    EDGEINFER_ASSIGN_OR_RETURN(auto files, list_input_files(a.calibration, "--calib"));
    QuantizeReport report;
    EDGEINFER_ASSIGN_OR_RETURN(auto samples, load_samples(model_path, a, files, report));
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model model, load_with_shapes(model_path));
    quant::QuantizeOptions o;
    o.method = method;
    o.per_channel = a.per_channel;
    o.exclude = a.exclude;
    o.percentile = a.percentile;
    o.num_threads = a.threads;
    quant::QuantizeReport q;
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model quantized, quant::quantize_model(std::move(model), samples, o, &q));
    report.quantized_nodes = q.quantized_nodes;
    report.weights = q.weights;
    report.activations = q.activations;
    report.samples = q.samples;
    report.warnings.insert(report.warnings.end(), q.warnings.begin(), q.warnings.end());
    EDGEINFER_RETURN_IF_ERROR(model::save_model(quantized, output_path));
    Status check = model::check_model_file(output_path);
    report.onnx_checker = check.is_ok() ? "ok" : check.to_string();
    return report;
}

}  // namespace edgeinfer::tools

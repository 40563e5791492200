// tools::quantize: post-training static int8 quantization to a QDQ ONNX model, calibrated on .npy
// files or images (preprocessed as the model's sidecar says, else the vision commands' defaults).
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "model/onnx_model.hpp"
#include "quant/quantizer.hpp"
#include "tools/input_files.hpp"
#include "tools/value_matching.hpp"
#include "vision/sidecar.hpp"

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
        bool undecodable = false;
        auto t = read_image_input(f, model, in, pre, &undecodable);
        if (undecodable) {  // one bad file in a calibration folder is skipped, not fatal
            ++report.skipped;
            report.warnings.push_back(t.status().message() + "; skipped");
            continue;
        }
        if (!t.is_ok()) return t.status();
        samples.push_back({NamedTensor{in.name, t.value()}});
    }
    if (pre) report.preprocess = pre->config.describe() + " (" + pre->origin + ")";
    if (samples.empty())
        return invalid_argument(
            "--calib: no usable calibration inputs" +
            (report.skipped ? " (" + std::to_string(report.skipped) + " files do not decode)" : std::string()));
    if (a.samples > 0 && static_cast<int>(samples.size()) > a.samples) samples.resize(static_cast<size_t>(a.samples));
    if (a.samples > 0 && static_cast<int>(samples.size()) < a.samples)
        report.warnings.push_back("--samples " + std::to_string(a.samples) + " asked, only " +
                                  std::to_string(samples.size()) + " calibration samples available; using them all");
    return samples;
}

// OUTPUT.json: the input's sidecar (when any) with "onnx" renamed and a "quantized" object added.
Result<std::string> write_sidecar(const std::string& model_path, const std::string& output_path,
                                  const QuantizeOptions& a, const QuantizeReport& report) {
    EDGEINFER_ASSIGN_OR_RETURN(auto source, vision::find_sidecar(model_path, ""));
    nlohmann::json doc = source ? source->doc : nlohmann::json::object();
    doc["onnx"] = fs::path(output_path).filename().string();
    doc["quantized"] = {{"from", fs::path(model_path).filename().string()},
                        {"sidecar", source ? fs::path(source->path).filename().string() : ""},
                        {"method", a.method},
                        {"per_channel", a.per_channel},
                        {"samples", report.samples},
                        {"skipped_files", report.skipped}};
    fs::path path = fs::path(output_path).replace_extension(".json");
    if (path == fs::path(output_path)) path += ".json";
    std::ofstream out(path);
    out << doc.dump(1) << "\n";
    out.close();
    if (!out) return io_error("cannot write the sidecar '" + path.string() + "'");
    return path.string();
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
    const fs::path folder = fs::path(output_path).parent_path();
    std::error_code ec;
    if (!folder.empty() && !fs::is_directory(folder, ec) && !fs::create_directories(folder, ec) && ec)
        return io_error("cannot create the output folder '" + folder.string() + "': " + ec.message());
    EDGEINFER_RETURN_IF_ERROR(model::save_model(quantized, output_path));
    EDGEINFER_ASSIGN_OR_RETURN(report.sidecar, write_sidecar(model_path, output_path, a, report));
    Status check = model::check_model_file(output_path);
    report.onnx_checker = check.is_ok() ? "ok" : check.to_string();
    return report;
}

}  // namespace edgeinfer::tools

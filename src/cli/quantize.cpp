// `edgeinfer quantize MODEL OUT.onnx --calib DIR|FILES [--method minmax|percentile|entropy]
// [--per-channel] [--samples N] [--exclude NODE,...]`: post-training static quantization to QDQ ONNX.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "base/status.hpp"
#include "cli/commands.hpp"
#include "cli/input_files.hpp"
#include "ir/npy.hpp"
#include "model/onnx_model.hpp"
#include "quant/quantizer.hpp"
#include "vision/preprocess.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::cli {
namespace {

namespace fs = std::filesystem;

struct QuantizeArgs {
    std::string model, output, method = "minmax";
    std::vector<std::string> calib, exclude;
    bool per_channel = false;
    int samples = 0;
    int threads = 0;
    double percentile = 99.99;
};

// Samples of batch 1 from one .npy file: [N, ...] splits into N samples; rank one less than the
// input's gets a batch dim.
Status add_npy_samples(const fs::path& file, const ValueDescription& in, std::vector<quant::Sample>& out) {
    EDGEINFER_ASSIGN_OR_RETURN(Tensor t, ir::read_npy(file.string()));
    if (t.dtype() != in.dtype)
        return invalid_argument(file.string() + ": dtype " + std::string(dtype_name(t.dtype())) + ", input '" +
                                in.name + "' needs " + std::string(dtype_name(in.dtype)));
    std::vector<int64_t> dims = t.dims();
    if (dims.size() + 1 == in.dims.size()) dims.insert(dims.begin(), 1);
    if (dims.size() != in.dims.size())
        return invalid_argument(file.string() + ": shape " + shape_to_string(t.dims()) + " does not fit input '" +
                                in.name + "' of rank " + std::to_string(in.dims.size()));
    for (size_t d = 1; d < dims.size(); ++d)
        if (in.dims[d] >= 0 && in.dims[d] != dims[d])
            return invalid_argument(file.string() + ": shape " + shape_to_string(t.dims()) + ", dim " +
                                    std::to_string(d) + " must be " + std::to_string(in.dims[d]));
    std::vector<int64_t> one = dims;
    one[0] = 1;
    const size_t bytes = static_cast<size_t>(shape_numel(one)) * dtype_size(t.dtype());
    for (int64_t b = 0; b < dims[0]; ++b)
        out.push_back(
            {NamedTensor{in.name, Tensor::copy_of(t.dtype(), one, static_cast<const char*>(t.data()) + b * bytes)}});
    return Status::ok();
}

Result<std::vector<quant::Sample>> load_samples(const QuantizeArgs& a, const std::vector<fs::path>& files) {
    SessionOptions so;
    so.num_threads = 1;
    so.optimization_level = GraphOptimizationLevel::kNone;
    EDGEINFER_ASSIGN_OR_RETURN(auto session, Session::create(a.model, so));
    if (session->inputs().size() != 1)
        return unsupported(a.model + ": calibration from files needs a model with one input, it has " +
                           std::to_string(session->inputs().size()));
    const ValueDescription& in = session->inputs()[0];
    std::optional<vision::ResolvedPreprocess> pre;
    std::vector<quant::Sample> samples;
    for (const fs::path& f : files) {
        if (a.samples > 0 && static_cast<int>(samples.size()) >= a.samples) break;
        if (f.extension() == ".npy") {
            EDGEINFER_RETURN_IF_ERROR(add_npy_samples(f, in, samples));
            continue;
        }
        const bool first_image = !pre;
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, read_image_input(f, a.model, in, pre));
        if (first_image) std::cerr << "preprocessing images: " << pre->config.describe() << " (" << pre->origin << ")\n";
        samples.push_back({NamedTensor{in.name, t}});
    }
    if (samples.empty()) return invalid_argument("--calib: no usable calibration inputs");
    if (a.samples > 0 && static_cast<int>(samples.size()) > a.samples) samples.resize(static_cast<size_t>(a.samples));
    if (a.samples > 0 && static_cast<int>(samples.size()) < a.samples)
        std::cerr << "warning: --samples " << a.samples << " asked, only " << samples.size()
                  << " calibration samples available; using them all\n";
    return samples;
}

int run_quantize(const QuantizeArgs& a) {
    auto fail = [](const Status& s) {
        std::cerr << "error: " << s.to_string() << "\n";
        return 1;
    };
    auto method = quant::parse_method(a.method);
    if (!method.is_ok()) return fail(method.status());
    if (a.samples < 0) return fail(invalid_argument("--samples must be >= 0"));
    auto files = list_input_files(a.calib, "--calib");
    if (!files.is_ok()) return fail(files.status());
    auto samples = load_samples(a, *files);
    if (!samples.is_ok()) return fail(samples.status());
    model::LoadOptions lo;
    lo.infer_shapes = true;
    auto loaded = model::load_model(a.model, lo);
    if (!loaded.is_ok()) return fail(loaded.status());
    quant::QuantizeOptions o;
    o.method = *method;
    o.per_channel = a.per_channel;
    o.exclude = a.exclude;
    o.percentile = a.percentile;
    o.num_threads = a.threads;
    quant::QuantizeReport report;
    auto q = quant::quantize_model(std::move(loaded).value(), *samples, o, &report);
    if (!q.is_ok()) return fail(q.status());
    for (const std::string& w : report.warnings) std::cerr << "warning: " << w << "\n";
    Status st = model::save_model(*q, a.output);
    if (!st.is_ok()) return fail(st);
    Status check = model::check_model_file(a.output);
    std::cout << "quantized " << report.quantized_nodes << " nodes (" << report.weights << " int8 weights"
              << (a.per_channel ? " per channel" : " per tensor") << ", " << report.activations
              << " uint8 activations) from " << report.samples << " samples, method " << a.method << "\n"
              << "wrote " << a.output << "; ONNX checker: " << (check.is_ok() ? "ok" : check.to_string()) << "\n";
    return check.is_ok() ? 0 : 1;
}

}  // namespace

void add_quantize_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<QuantizeArgs>();
    CLI::App* cmd = app.add_subcommand("quantize", "Post-training int8 quantization to a QDQ ONNX model");
    cmd->add_option("model", args->model, "float32 ONNX model")->required();
    cmd->add_option("output", args->output, "QDQ ONNX file to write")->required();
    cmd->add_option("--calib", args->calib, "Calibration inputs: a directory of .npy files or images, or files")
        ->required();
    cmd->add_option("--method", args->method, "Activation range: minmax (default), percentile or entropy");
    cmd->add_option("--percentile", args->percentile, "Percentile for --method percentile (default 99.99)");
    cmd->add_flag("--per-channel", args->per_channel, "int8 weight scales per output channel");
    cmd->add_option("--samples", args->samples, "Use at most N calibration samples (0: all)");
    cmd->add_option("--exclude", args->exclude, "Node names to keep in float32")->delimiter(',');
    cmd->add_option("-t,--threads", args->threads, "Threads (0: all cores)");
    cmd->callback([args, exit_code] { *exit_code = run_quantize(*args); });
}

}  // namespace edgeinfer::cli

// `edgeinfer run MODEL [--input name=file.npy ...] [--output-dir D]`: run a model once on given
// or seeded random inputs, print output shapes and statistics, optionally save .npy outputs.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <sstream>

#include "base/status.hpp"
#include "cli/commands.hpp"
#include "cli/keep_fp32.hpp"
#include "edgeinfer/session.hpp"
#include "ir/npy.hpp"

namespace edgeinfer::cli {
namespace {

struct RunArgs {
    std::string model;
    std::vector<std::string> inputs;  // name=file.npy
    std::vector<std::string> shapes;  // name:1x3x224x224
    std::string output_dir;
    std::string save_engine, load_engine;  // engine files (docs/engine.md)
    int threads = 0;
    uint32_t seed = 0;
    std::string precision = "fp32";      // fp32 | bf16 | int8
    std::vector<std::string> keep_fp32;  // node names
};

Result<std::vector<int64_t>> parse_dims(const std::string& text, const std::string& what) {
    std::vector<int64_t> dims;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, 'x')) {
        try {
            size_t used = 0;
            int64_t v = std::stoll(part, &used);
            if (used != part.size() || v < 0) throw std::invalid_argument(part);
            dims.push_back(v);
        } catch (const std::exception&) {
            return invalid_argument(what + ": '" + text + "' is not a shape like 1x3x224x224");
        }
    }
    return dims;
}

Tensor random_tensor(DataType dtype, const std::vector<int64_t>& dims, std::mt19937& rng) {
    Tensor t = Tensor::allocate(dtype, dims);
    int64_t n = t.numel();
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> small(0, 9);
    for (int64_t i = 0; i < n; ++i) {
        switch (dtype) {
            case DataType::kFloat32: t.data_as<float>()[i] = normal(rng); break;
            case DataType::kFloat64: t.data_as<double>()[i] = normal(rng); break;
            case DataType::kInt64: t.data_as<int64_t>()[i] = small(rng); break;
            case DataType::kInt32: t.data_as<int32_t>()[i] = small(rng); break;
            case DataType::kUInt8: t.data_as<uint8_t>()[i] = static_cast<uint8_t>(rng() & 0xff); break;
            case DataType::kBool: t.data_as<uint8_t>()[i] = static_cast<uint8_t>(rng() & 1); break;
            default: break;
        }
    }
    return t;
}

Result<std::vector<NamedTensor>> gather_inputs(const Session& session, const RunArgs& args) {
    std::vector<NamedTensor> out;
    std::mt19937 rng(args.seed);
    std::map<std::string, std::vector<int64_t>> shapes;
    for (const std::string& s : args.shapes) {
        auto colon = s.rfind(':');
        if (colon == std::string::npos) return invalid_argument("--shape '" + s + "' must be NAME:DIMS");
        EDGEINFER_ASSIGN_OR_RETURN(shapes[s.substr(0, colon)], parse_dims(s.substr(colon + 1), "--shape"));
    }
    std::map<std::string, std::string> files;
    for (const std::string& s : args.inputs) {
        auto eq = s.find('=');
        if (eq == std::string::npos) return invalid_argument("--input '" + s + "' must be NAME=FILE.npy");
        files[s.substr(0, eq)] = s.substr(eq + 1);
    }
    for (const auto& [name, file] : files) {
        bool known = false;
        for (const auto& d : session.inputs()) known = known || d.name == name;
        if (!known) return invalid_argument("--input names '" + name + "', which is not an input of the model");
    }
    for (const ValueDescription& d : session.inputs()) {
        if (files.count(d.name)) {
            EDGEINFER_ASSIGN_OR_RETURN(Tensor t, ir::read_npy(files[d.name]));
            out.push_back({d.name, std::move(t)});
            continue;
        }
        std::vector<int64_t> dims = d.dims;
        if (shapes.count(d.name)) {
            dims = shapes[d.name];
        } else {
            for (size_t i = 0; i < dims.size(); ++i) {
                if (dims[i] >= 0) continue;
                if (i != 0)
                    return invalid_argument("input '" + d.name + "' has dynamic dim " + std::to_string(i) +
                                            (d.symbols[i].empty() ? "" : " ('" + d.symbols[i] + "')") +
                                            "; give its shape with --shape " + d.name + ":DIMS");
                dims[i] = 1;  // dynamic batch: 1
            }
        }
        out.push_back({d.name, random_tensor(d.dtype, dims, rng)});
    }
    return out;
}

void print_stats(const NamedTensor& nt) {
    const Tensor& t = nt.tensor;
    std::cout << "  " << nt.name << "  " << dtype_name(t.dtype()) << "  [" << shape_to_string(t.dims()) << "]";
    if (t.dtype() == DataType::kFloat32 && t.numel() > 0) {
        const float* p = t.data_as<float>();
        double mn = p[0], mx = p[0], sum = 0;
        int64_t nonfinite = 0;
        for (int64_t i = 0; i < t.numel(); ++i) {
            if (!std::isfinite(p[i])) {
                ++nonfinite;
                continue;
            }
            mn = std::min<double>(mn, p[i]);
            mx = std::max<double>(mx, p[i]);
            sum += p[i];
        }
        std::cout << std::setprecision(6) << "  min " << mn << "  max " << mx << "  mean " << sum / t.numel();
        if (nonfinite) std::cout << "  non-finite " << nonfinite;
    }
    std::cout << "\n";
}

int run_run(const RunArgs& args) {
    SessionOptions opts;
    opts.num_threads = args.threads;
    opts.engine_path = args.load_engine;
    opts.precision = precision_from_name(args.precision);
    opts.keep_fp32_nodes = args.keep_fp32;
    if (Status k = check_keep_fp32(args.model, args.keep_fp32); !k.is_ok()) {
        std::cerr << "edgeinfer run: " << k.to_string() << "\n";
        return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto session = Session::create(args.model, opts);
    if (!session.is_ok()) {
        std::cerr << "edgeinfer run: " << session.status().to_string() << "\n";
        return 1;
    }
    auto t1 = std::chrono::steady_clock::now();
    const EngineReport& engine = session.value()->engine_report();
    if (engine.loaded) std::cerr << "edgeinfer run: loaded engine " << args.load_engine << "\n";
    if (!engine.message.empty()) std::cerr << "edgeinfer run: note: " << engine.message << "\n";
    auto inputs = gather_inputs(*session.value(), args);
    if (!inputs.is_ok()) {
        std::cerr << "edgeinfer run: " << inputs.status().to_string() << "\n";
        return 1;
    }
    auto outputs = session.value()->run(inputs.value());
    auto t2 = std::chrono::steady_clock::now();
    if (!outputs.is_ok()) {
        std::cerr << "edgeinfer run: " << outputs.status().to_string() << "\n";
        return 1;
    }
    if (!args.save_engine.empty()) {  // after the first run: the file lists its plan
        Status st = session.value()->save_engine(args.save_engine);
        if (!st.is_ok()) {
            std::cerr << "edgeinfer run: " << st.to_string() << "\n";
            return 1;
        }
        std::cerr << "edgeinfer run: wrote engine " << args.save_engine << "\n";
    }
    std::cout << "inputs:\n";
    for (const auto& nt : inputs.value()) print_stats(nt);
    std::cout << "outputs:\n";
    for (const auto& nt : outputs.value()) print_stats(nt);
    std::cout << std::fixed << std::setprecision(1) << "session created in "
              << std::chrono::duration<double, std::milli>(t1 - t0).count() << " ms, first run "
              << std::chrono::duration<double, std::milli>(t2 - t1).count() << " ms\n";
    if (!args.output_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(args.output_dir, ec);
        for (const auto& nt : outputs.value()) {
            std::string safe = nt.name;
            for (char& c : safe)
                if (c == '/' || c == ':' || c == ' ') c = '_';
            std::string path = args.output_dir + "/" + safe + ".npy";
            Status st = ir::write_npy(path, nt.tensor);
            if (!st.is_ok()) {
                std::cerr << "edgeinfer run: " << st.to_string() << "\n";
                return 1;
            }
            std::cout << "wrote " << path << "\n";
        }
    }
    return 0;
}

}  // namespace

void add_run_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<RunArgs>();
    CLI::App* cmd = app.add_subcommand("run", "Run a model on .npy inputs or seeded random ones");
    cmd->add_option("model", args->model, "ONNX model file")->required();
    cmd->add_option("-i,--input", args->inputs, "NAME=FILE.npy (repeatable)");
    cmd->add_option("--shape", args->shapes, "NAME:1x3x224x224 for random inputs with dynamic dims (repeatable)");
    cmd->add_option("-o,--output-dir", args->output_dir, "Write each output as NAME.npy here");
    cmd->add_option("-t,--threads", args->threads, "Threads (0: all cores)");
    cmd->add_option("--seed", args->seed, "Seed for random inputs");
    cmd->add_option("--save-engine", args->save_engine, "After the first run, save the prepared session here");
    cmd->add_option("--load-engine", args->load_engine,
                    "Create the session from this engine file when it matches MODEL and the options, else rebuild");
    add_precision_option(cmd, args->precision);
    add_keep_fp32_option(cmd, args->keep_fp32);
    cmd->callback([args, exit_code] { *exit_code = run_run(*args); });
}

}  // namespace edgeinfer::cli

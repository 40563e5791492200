// Inputs of the model tools: shape and file options, seeded random tensors, resolved input dims; and the
// outputs `run` saves as .npy files.
#include <algorithm>
#include <filesystem>
#include <new>
#include <random>
#include <sstream>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "ir/memory.hpp"
#include "ir/npy.hpp"

namespace edgeinfer::tools {

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
    if (dims.empty()) return invalid_argument(what + ": empty shape");
    return dims;
}

Result<ShapeMap> parse_shape_options(const std::vector<std::string>& specs, const std::string& what) {
    ShapeMap out;
    for (const std::string& s : specs) {
        auto sep = s.find_last_of("=:");
        if (sep == std::string::npos || sep == 0) return invalid_argument(what + " '" + s + "' must be NAME=DIMS");
        EDGEINFER_ASSIGN_OR_RETURN(out[s.substr(0, sep)], parse_dims(s.substr(sep + 1), what));
    }
    return out;
}

Result<ShapeProfile> parse_shape_profile(const std::vector<std::string>& min, const std::vector<std::string>& opt,
                                         const std::vector<std::string>& max) {
    auto split = [](const std::vector<std::string>& values) {
        std::vector<std::string> specs;
        for (const std::string& v : values) {
            size_t start = 0;
            while (start <= v.size()) {
                size_t comma = v.find(',', start);
                if (comma == std::string::npos) comma = v.size();
                if (comma > start) specs.push_back(v.substr(start, comma - start));
                start = comma + 1;
            }
        }
        return specs;
    };
    EDGEINFER_ASSIGN_OR_RETURN(ShapeMap lo, parse_shape_options(split(min), "--min-shapes"));
    EDGEINFER_ASSIGN_OR_RETURN(ShapeMap mid, parse_shape_options(split(opt), "--opt-shapes"));
    EDGEINFER_ASSIGN_OR_RETURN(ShapeMap hi, parse_shape_options(split(max), "--max-shapes"));
    ShapeProfile profile;
    for (const ShapeMap* m : {&lo, &mid, &hi})
        for (const auto& [name, dims] : *m) {
            if (!lo.count(name) || !mid.count(name) || !hi.count(name))
                return invalid_argument("input '" + name +
                                        "' must be given in all of --min-shapes, --opt-shapes and --max-shapes");
            if (m != &lo) continue;
            profile.inputs.push_back({name, lo.at(name), mid.at(name), hi.at(name)});
        }
    return profile;
}

Result<std::vector<ShapeProfile>> parse_shape_profiles(const std::vector<std::string>& min,
                                                       const std::vector<std::string>& opt,
                                                       const std::vector<std::string>& max) {
    if (min.empty() && opt.empty() && max.empty()) return std::vector<ShapeProfile>{};
    EDGEINFER_ASSIGN_OR_RETURN(ShapeProfile profile, parse_shape_profile(min, opt, max));
    return std::vector<ShapeProfile>{std::move(profile)};
}

ShapeMap with_opt_shapes(ShapeMap given, const std::vector<ShapeProfile>& profiles) {
    if (profiles.empty()) return given;
    for (const InputShapeRange& r : profiles.front().inputs)
        if (!given.count(r.name)) given[r.name] = r.opt;
    return given;
}

Result<std::map<std::string, std::string>> parse_file_options(const std::vector<std::string>& specs,
                                                              const std::string& what) {
    std::map<std::string, std::string> out;
    for (const std::string& s : specs) {
        auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0) return invalid_argument(what + " '" + s + "' must be NAME=FILE.npy");
        out[s.substr(0, eq)] = s.substr(eq + 1);
    }
    return out;
}

namespace {

Tensor random_tensor(DataType dtype, const std::vector<int64_t>& dims, std::mt19937& rng) {
    Tensor t = Tensor::allocate(dtype, dims);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> small(0, 9);
    for (int64_t i = 0; i < t.numel(); ++i) {
        switch (dtype) {
            case DataType::kFloat32:
                t.data_as<float>()[i] = normal(rng);
                break;
            case DataType::kFloat64:
                t.data_as<double>()[i] = normal(rng);
                break;
            case DataType::kInt64:
                t.data_as<int64_t>()[i] = small(rng);
                break;
            case DataType::kInt32:
                t.data_as<int32_t>()[i] = small(rng);
                break;
            case DataType::kInt8:
                t.data_as<int8_t>()[i] = static_cast<int8_t>(small(rng));
                break;
            case DataType::kUInt8:
                t.data_as<uint8_t>()[i] = static_cast<uint8_t>(rng() & 0xff);
                break;
            case DataType::kBool:
                t.data_as<uint8_t>()[i] = static_cast<uint8_t>(rng() & 1);
                break;
            default:
                break;
        }
    }
    return t;
}

std::vector<int64_t> dims_for(const ValueDescription& d, const ShapeMap& shapes) {
    std::vector<int64_t> dims = d.dims;
    if (auto s = shapes.find(d.name); s != shapes.end()) dims = s->second;
    for (int64_t& v : dims)
        if (v < 0) v = 1;
    return dims;
}

}  // namespace

std::vector<NamedTensor> seeded_inputs(const std::vector<ValueDescription>& inputs, const ShapeMap& shapes,
                                       uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<NamedTensor> out;
    for (const ValueDescription& d : inputs) out.push_back({d.name, random_tensor(d.dtype, dims_for(d, shapes), rng)});
    return out;
}

Result<std::vector<NamedTensor>> make_inputs(const std::vector<ValueDescription>& inputs,
                                             const std::map<std::string, std::string>& files, const ShapeMap& shapes,
                                             uint32_t seed) {
    for (const auto& [name, file] : files) {
        const std::string& wanted = name;  // clang 14 cannot capture a structured binding
        bool known = std::any_of(inputs.begin(), inputs.end(), [&](const auto& d) { return d.name == wanted; });
        if (!known) return invalid_argument("--input names '" + name + "', which is not an input of the model");
    }
    std::mt19937 rng(seed);
    std::vector<NamedTensor> out;
    for (const ValueDescription& d : inputs) {
        if (auto f = files.find(d.name); f != files.end()) {
            EDGEINFER_ASSIGN_OR_RETURN(Tensor t, ir::read_npy(f->second));
            out.push_back({d.name, std::move(t)});
            continue;
        }
        const std::vector<int64_t> dims = dims_for(d, shapes);
        // A shape from the command line is checked before anything is allocated (issue 24).
        EDGEINFER_RETURN_IF_ERROR(
            ir::checked_bytes(d.dtype, dims, "input '" + d.name + "'", ir::effective_memory_limit(0)).status());
        try {
            out.push_back({d.name, random_tensor(d.dtype, dims, rng)});
        } catch (const std::bad_alloc&) {
            return resource_exhausted("cannot allocate input '" + d.name + "' of shape " + shape_to_string(dims));
        }
    }
    return out;
}

namespace {

std::string dims_text(const std::vector<int64_t>& dims) {
    std::string s;
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += 'x';
        s += std::to_string(dims[i]);
    }
    return s.empty() ? "scalar" : s;
}

std::string input_names(const std::vector<ValueDescription>& inputs) {
    std::string names;
    for (const auto& d : inputs) {
        if (!names.empty()) names += ", ";
        names += "'" + d.name + "'";
    }
    return names;
}

}  // namespace

Result<ShapeMap> with_file_shapes(ShapeMap given, const std::map<std::string, std::string>& files,
                                  const std::vector<ValueDescription>& inputs) {
    for (const auto& [name, file] : files) {
        if (given.count(name) != 0) continue;
        const std::string& wanted = name;  // clang 14 cannot capture a structured binding
        auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto& d) { return d.name == wanted; });
        if (it == inputs.end() || std::none_of(it->dims.begin(), it->dims.end(), [](int64_t d) { return d < 0; }))
            continue;
        EDGEINFER_ASSIGN_OR_RETURN(Tensor data, ir::read_npy(file));
        // Data that disagrees with a fixed dim is left to Session::run, whose message names the input and both
        // shapes (not a --shape the user never gave).
        bool fits = data.dims().size() == it->dims.size();
        for (size_t i = 0; fits && i < it->dims.size(); ++i) fits = it->dims[i] < 0 || it->dims[i] == data.dims()[i];
        if (fits) given[name] = data.dims();
    }
    return given;
}

Result<ShapeMap> resolve_input_shapes(const std::vector<ValueDescription>& inputs, const ShapeMap& given, int64_t batch,
                                      const std::string& flag) {
    for (const auto& [name, dims] : given) {
        const std::string& wanted = name;  // clang 14 cannot capture a structured binding
        auto it = std::find_if(inputs.begin(), inputs.end(), [&](const auto& d) { return d.name == wanted; });
        if (it == inputs.end())
            return invalid_argument(flag + " names '" + name +
                                    "', which is not an input of the model (inputs: " + input_names(inputs) + ")");
        if (dims.size() != it->dims.size())
            return invalid_argument(flag + " " + name + ":" + dims_text(dims) + " has " + std::to_string(dims.size()) +
                                    " dims but input '" + name + "' has " + std::to_string(it->dims.size()));
        for (size_t i = 0; i < dims.size(); ++i)
            if (it->dims[i] >= 0 && it->dims[i] != dims[i])
                return invalid_argument(flag + " " + name + ":" + dims_text(dims) + ": dim " + std::to_string(i) +
                                        " of input '" + name + "' is fixed at " + std::to_string(it->dims[i]));
    }
    ShapeMap out;
    for (const ValueDescription& d : inputs) {
        if (auto g = given.find(d.name); g != given.end()) {
            out[d.name] = g->second;
            continue;
        }
        std::vector<int64_t> dims = d.dims;
        if (batch > 0 && !dims.empty()) {
            if (dims[0] >= 0 && dims[0] != batch)
                return invalid_argument("--batch " + std::to_string(batch) + ": input '" + d.name +
                                        "' has a fixed first dim of " + std::to_string(dims[0]) +
                                        " (--batch needs a model exported with a dynamic batch)");
            dims[0] = batch;
        }
        for (size_t i = 0; i < dims.size(); ++i) {
            if (dims[i] >= 0) continue;
            if (i != 0)
                return invalid_argument("input '" + d.name + "' has dynamic dim " + std::to_string(i) +
                                        (d.symbols[i].empty() ? "" : " ('" + d.symbols[i] + "')") +
                                        "; give its shape with " + flag + " " + d.name + ":DIMS");
            dims[i] = 1;  // dynamic batch: 1
        }
        out[d.name] = dims;
    }
    return out;
}

Result<std::vector<std::string>> save_outputs(const std::string& dir, const std::vector<NamedTensor>& outputs) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return io_error(dir + ": cannot create the output folder: " + ec.message());
    std::vector<std::string> written;
    for (const NamedTensor& nt : outputs) {
        std::vector<std::pair<std::string, const Tensor*>> files;
        const std::string base = dir + "/" + file_safe(nt.name);
        if (nt.kind == ValueKind::kTensor || (nt.kind == ValueKind::kOptionalTensor && nt.has_value))
            files.emplace_back(base + ".npy", &nt.tensor);
        else if (nt.has_value)
            for (size_t i = 0; i < nt.sequence.size(); ++i)
                files.emplace_back(base + "_" + std::to_string(i) + ".npy", &nt.sequence[i]);
        for (const auto& [path, t] : files) {
            EDGEINFER_RETURN_IF_ERROR(ir::write_npy(path, *t));
            written.push_back(path);
        }
    }
    return written;
}

}  // namespace edgeinfer::tools

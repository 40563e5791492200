// Sessions for in-memory models, seeded inputs, tensor statistics and differences.
#include "cli/model_exec.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <random>
#include <sstream>

#include "base/status.hpp"
#include "ir/npy.hpp"
#include "model/onnx_model.hpp"
#include "runtime/session_internal.hpp"

namespace edgeinfer::cli {

Result<std::unique_ptr<Session>> session_for(const ir::Model& model, int threads) {
    SessionOptions opts;
    opts.num_threads = threads;
    opts.optimization_level = GraphOptimizationLevel::kNone;
    return runtime::create_session(model, opts);
}

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

Result<std::map<std::string, std::vector<int64_t>>> parse_shape_options(const std::vector<std::string>& specs,
                                                                        const std::string& what) {
    std::map<std::string, std::vector<int64_t>> out;
    for (const std::string& s : specs) {
        auto sep = s.find_last_of("=:");
        if (sep == std::string::npos || sep == 0) return invalid_argument(what + " '" + s + "' must be NAME=DIMS");
        EDGEINFER_ASSIGN_OR_RETURN(out[s.substr(0, sep)], parse_dims(s.substr(sep + 1), what));
    }
    return out;
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

}  // namespace

Result<std::vector<NamedTensor>> make_inputs(const std::vector<ValueDescription>& inputs,
                                             const std::map<std::string, std::string>& files,
                                             const std::map<std::string, std::vector<int64_t>>& shapes, uint32_t seed) {
    for (const auto& [name, file] : files) {
        bool known = std::any_of(inputs.begin(), inputs.end(), [&](const auto& d) { return d.name == name; });
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
        std::vector<int64_t> dims = d.dims;
        if (auto s = shapes.find(d.name); s != shapes.end()) dims = s->second;
        for (int64_t& v : dims)
            if (v < 0) v = 1;
        out.push_back({d.name, random_tensor(d.dtype, dims, rng)});
    }
    return out;
}

bool element_as_double(const Tensor& t, int64_t i, double* out) {
    switch (t.dtype()) {
        case DataType::kFloat32:
            *out = t.data_as<float>()[i];
            return true;
        case DataType::kFloat64:
            *out = t.data_as<double>()[i];
            return true;
        case DataType::kInt64:
            *out = static_cast<double>(t.data_as<int64_t>()[i]);
            return true;
        case DataType::kInt32:
            *out = t.data_as<int32_t>()[i];
            return true;
        case DataType::kInt16:
            *out = t.data_as<int16_t>()[i];
            return true;
        case DataType::kInt8:
            *out = t.data_as<int8_t>()[i];
            return true;
        case DataType::kUInt8:
            *out = t.data_as<uint8_t>()[i];
            return true;
        case DataType::kUInt16:
            *out = t.data_as<uint16_t>()[i];
            return true;
        case DataType::kUInt32:
            *out = t.data_as<uint32_t>()[i];
            return true;
        case DataType::kUInt64:
            *out = static_cast<double>(t.data_as<uint64_t>()[i]);
            return true;
        case DataType::kBool:
            *out = t.data_as<uint8_t>()[i] ? 1.0 : 0.0;
            return true;
        default:
            return false;
    }
}

TensorStats tensor_stats(const Tensor& t) {
    TensorStats s;
    s.count = t.numel();
    double sum = 0;
    int64_t finite = 0;
    bool first = true;
    for (int64_t i = 0; i < s.count; ++i) {
        double v;
        if (!element_as_double(t, i, &v)) return s;
        if (std::isnan(v)) {
            ++s.nan;
            continue;
        }
        if (std::isinf(v)) {
            ++s.inf;
            continue;
        }
        if (v == 0) ++s.zero;
        s.min = first ? v : std::min(s.min, v);
        s.max = first ? v : std::max(s.max, v);
        first = false;
        sum += v;
        ++finite;
    }
    s.mean = finite ? sum / static_cast<double>(finite) : 0;
    return s;
}

std::string format_stats(const TensorStats& s) {
    std::ostringstream o;
    o << std::setprecision(6) << "min " << s.min << "  max " << s.max << "  mean " << s.mean << "  nan " << s.nan
      << "  inf " << s.inf << "  zeros " << s.zero << "/" << s.count;
    return o.str();
}

namespace {

std::vector<int64_t> unravel(int64_t i, const std::vector<int64_t>& dims) {
    std::vector<int64_t> idx(dims.size());
    for (size_t d = dims.size(); d-- > 0;) {
        if (dims[d] > 0) {
            idx[d] = i % dims[d];
            i /= dims[d];
        }
    }
    return idx;
}

}  // namespace

Difference compare_tensors(const Tensor& a, const Tensor& b, double atol, double rtol, size_t top_k) {
    Difference d;
    if (a.dims() != b.dims()) {
        d.comparable = false;
        d.why = "shape " + shape_to_string(a.dims()) + " vs " + shape_to_string(b.dims());
        d.max_abs = std::numeric_limits<double>::infinity();
        return d;
    }
    if (a.dtype() == DataType::kString || b.dtype() == DataType::kString) {
        bool same = a.dtype() == b.dtype() && a.string_data() == b.string_data();
        d.comparable = same;
        if (!same) d.why = "string values differ";
        return d;
    }
    std::vector<ElementDiff> all;
    for (int64_t i = 0; i < a.numel(); ++i) {
        double x, y;
        if (!element_as_double(a, i, &x) || !element_as_double(b, i, &y)) {
            d.comparable = false;
            d.why = "dtype " + std::string(dtype_name(a.dtype())) + " vs " + std::string(dtype_name(b.dtype()));
            return d;
        }
        if (std::isfinite(x)) d.scale = std::max(d.scale, std::fabs(x));
        double diff;
        if (std::isnan(x) && std::isnan(y))
            diff = 0;
        else if (std::isnan(x) || std::isnan(y))
            diff = std::numeric_limits<double>::infinity();
        else if (std::isinf(x) || std::isinf(y))
            diff = x == y ? 0 : std::numeric_limits<double>::infinity();
        else
            diff = std::fabs(x - y);
        if (diff > 0) all.push_back({{i}, x, y, diff});
        d.max_abs = std::max(d.max_abs, diff);
    }
    double limit = atol + rtol * d.scale;
    for (const ElementDiff& e : all) d.mismatched += e.diff > limit;
    size_t k = std::min(top_k, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                      [](const ElementDiff& p, const ElementDiff& q) { return p.diff > q.diff; });
    for (size_t j = 0; j < k; ++j) {
        all[j].index = unravel(all[j].index[0], a.dims());
        d.top.push_back(all[j]);
    }
    return d;
}

std::string file_safe(const std::string& name) {
    std::string s = name;
    for (char& c : s)
        if (c == '/' || c == ':' || c == ' ' || c == '\\') c = '_';
    return s;
}

}  // namespace edgeinfer::cli

// Tensor statistics and element-wise differences of the model tools (edgeinfer/tools.hpp).
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "edgeinfer/tools.hpp"

namespace edgeinfer::tools {

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

std::optional<OutputSummary> summarize_output(const Tensor& t) {
    if (t.dtype() != DataType::kFloat32 || t.numel() == 0) return std::nullopt;
    const float* p = t.data_as<float>();
    OutputSummary s;
    s.min = s.max = p[0];
    double sum = 0;
    for (int64_t i = 0; i < t.numel(); ++i) {
        if (!std::isfinite(p[i])) {
            ++s.nonfinite;
            continue;
        }
        s.min = std::min<double>(s.min, p[i]);
        s.max = std::max<double>(s.max, p[i]);
        sum += p[i];
    }
    s.mean = sum / static_cast<double>(t.numel());
    return s;
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

}  // namespace edgeinfer::tools

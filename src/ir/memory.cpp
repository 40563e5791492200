// Checked byte counts and allocations (ir/memory.hpp).
#include "ir/memory.hpp"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <exception>
#include <limits>
#include <new>

#include "base/status.hpp"

namespace edgeinfer::ir {

size_t physical_memory_bytes() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0;
    return static_cast<size_t>(pages) * static_cast<size_t>(page);
}

size_t effective_memory_limit(size_t limit) {
    if (limit != 0) return limit;
    static const size_t physical = physical_memory_bytes();
    return physical;
}

std::string format_bytes(double bytes) {
    char buf[64];
    if (bytes >= 1024.0 * 1024 * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f TiB", bytes / (1024.0 * 1024 * 1024 * 1024));
    else if (bytes >= 1024.0 * 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    else if (bytes >= 1024.0 * 1024)
        std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024));
    else
        std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
    return buf;
}

Result<size_t> parse_byte_size(std::string_view text) {
    const std::string t(text);
    auto bad = [&] {
        return invalid_argument("'" + t + "' is not a byte size (e.g. 4G, 512M, 65536)");
    };
    size_t i = 0;
    while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
    if (i == 0) return bad();
    double value = 0;
    try {
        value = std::stod(t.substr(0, i));
    } catch (const std::exception&) {
        return bad();
    }
    std::string unit = t.substr(i);
    for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (unit.size() >= 2 && unit.substr(unit.size() - 2) == "IB") unit.resize(unit.size() - 2);
    else if (!unit.empty() && unit.back() == 'B') unit.pop_back();
    double scale = 1;
    if (unit == "K") scale = 1024.0;
    else if (unit == "M") scale = 1024.0 * 1024;
    else if (unit == "G") scale = 1024.0 * 1024 * 1024;
    else if (unit == "T") scale = 1024.0 * 1024 * 1024 * 1024;
    else if (!unit.empty()) return bad();
    const double bytes = value * scale;
    if (!(bytes >= 0) || bytes > 9.0e18) return bad();
    return static_cast<size_t>(bytes);
}

Result<int64_t> checked_numel(const std::vector<int64_t>& dims, const std::string& what) {
    int64_t n = 1;
    bool overflow = false;
    for (int64_t d : dims) {
        if (d < 0) return invalid_argument(what + " has a negative dim (" + shape_to_string(dims) + ")");
        if (d == 0) return int64_t{0};
        if (!overflow && __builtin_mul_overflow(n, d, &n)) overflow = true;
    }
    if (overflow)
        return resource_exhausted(what + " of shape " + shape_to_string(dims) +
                                  " has more elements than a 64-bit count holds");
    return n;
}

Result<size_t> checked_bytes(DataType dtype, const std::vector<int64_t>& dims, const std::string& what, size_t limit) {
    EDGEINFER_ASSIGN_OR_RETURN(int64_t n, checked_numel(dims, what));
    size_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<size_t>(n), dtype_size(dtype), &bytes) ||
        bytes > static_cast<size_t>(std::numeric_limits<int64_t>::max()))
        return resource_exhausted(what + " of shape " + shape_to_string(dims) + " needs more bytes than 2^63");
    if (limit != 0 && bytes > limit)
        return resource_exhausted(what + " of shape " + shape_to_string(dims) + " " + std::string(dtype_name(dtype)) +
                                  " needs " + format_bytes(static_cast<double>(bytes)) +
                                  ", more than the memory limit of " + format_bytes(static_cast<double>(limit)) +
                                  " (SessionOptions::max_memory_bytes, --max-memory)");
    return bytes;
}

bool fits_in_bytes(DataType dtype, const std::vector<int64_t>& dims, size_t limit) {
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d < 0) return false;
        if (d == 0) return true;
        if (__builtin_mul_overflow(n, d, &n)) return false;
    }
    size_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<size_t>(n), dtype_size(dtype), &bytes)) return false;
    return bytes <= static_cast<size_t>(std::numeric_limits<int64_t>::max()) && (limit == 0 || bytes <= limit);
}

Result<Tensor> allocate_checked(DataType dtype, const std::vector<int64_t>& dims, const std::string& what,
                                size_t limit) {
    EDGEINFER_ASSIGN_OR_RETURN(size_t bytes, checked_bytes(dtype, dims, what, limit));
    try {
        return Tensor::allocate(dtype, dims);
    } catch (const std::bad_alloc&) {
        return resource_exhausted("cannot allocate " + format_bytes(static_cast<double>(bytes)) + " for " + what +
                                  " of shape " + shape_to_string(dims));
    }
}

}  // namespace edgeinfer::ir

// Helpers shared by `optimize` and `compare`: sessions for in-memory models, seeded inputs,
// tensor statistics and element-wise differences.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::cli {

// A Session over an in-memory model, compiled exactly as given (optimization level kNone).
Result<std::unique_ptr<Session>> session_for(const ir::Model& model, int threads = 0);

// "1x3x224x224" → {1, 3, 224, 224}.
Result<std::vector<int64_t>> parse_dims(const std::string& text, const std::string& what);
// NAME=DIMS (or NAME:DIMS) options into a map.
Result<std::map<std::string, std::vector<int64_t>>> parse_shape_options(const std::vector<std::string>& specs,
                                                                        const std::string& what);
// NAME=FILE options into a map.
Result<std::map<std::string, std::string>> parse_file_options(const std::vector<std::string>& specs,
                                                              const std::string& what);

// One tensor per runtime input of `inputs`: read from `files` (.npy) when named there, else seeded
// random values (normal floats, small ints) with dims from `shapes` or the model (dynamic dims 1).
Result<std::vector<NamedTensor>> make_inputs(const std::vector<ValueDescription>& inputs,
                                             const std::map<std::string, std::string>& files,
                                             const std::map<std::string, std::vector<int64_t>>& shapes, uint32_t seed);

struct TensorStats {
    int64_t count = 0, nan = 0, inf = 0, zero = 0;
    double min = 0, max = 0, mean = 0;  // over finite values
};
TensorStats tensor_stats(const Tensor& t);
std::string format_stats(const TensorStats& s);

struct ElementDiff {
    std::vector<int64_t> index;
    double a = 0, b = 0, diff = 0;
};

struct Difference {
    bool comparable = true;  // false: dtype or shape differ (see why)
    std::string why;
    double max_abs = 0;            // +inf when NaN/Inf patterns differ
    double scale = 0;              // max |a| over finite values: what rtol is relative to
    int64_t mismatched = 0;        // elements with |a-b| > atol + rtol*scale
    std::vector<ElementDiff> top;  // largest differences first
    bool within(double atol, double rtol) const { return comparable && max_abs <= atol + rtol * scale; }
};

// Element-wise comparison of `a` (reference) and `b`. NaN equals NaN, equal infinities are equal.
Difference compare_tensors(const Tensor& a, const Tensor& b, double atol, double rtol, size_t top_k = 5);

// Values as double for any numeric dtype (bool as 0/1); false for strings and unknown types.
bool element_as_double(const Tensor& t, int64_t i, double* out);

// "/" ":" " " replaced by "_": value names as file names.
std::string file_safe(const std::string& name);

}  // namespace edgeinfer::cli

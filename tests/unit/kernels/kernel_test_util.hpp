// Test helpers for single-op kernel tests: typed tensors from vectors, and running a model through a
// Session with the status kept (so a test can check the error a node gets).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../passes/pass_test_util.hpp"

namespace edgeinfer::testing {

template <typename T>
Tensor typed(DataType dtype, const std::vector<int64_t>& dims, const std::vector<T>& values) {
    EXPECT_EQ(static_cast<int64_t>(values.size()), shape_numel(dims));
    if (values.empty()) return Tensor::allocate(dtype, dims);
    return Tensor::from_vector<T>(dtype, dims, values);
}

inline Tensor floats(const std::vector<int64_t>& dims, const std::vector<float>& v) {
    return typed<float>(DataType::kFloat32, dims, v);
}

inline Tensor int64s_shaped(const std::vector<int64_t>& dims, const std::vector<int64_t>& v) {
    return typed<int64_t>(DataType::kInt64, dims, v);
}

inline Tensor bools(const std::vector<int64_t>& dims, const std::vector<uint8_t>& v) {
    return typed<uint8_t>(DataType::kBool, dims, v);
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
    const T* p = t.data_as<T>();
    return std::vector<T>(p, p + t.numel());
}

// Creates a session over `m` (no optimization, one thread) and runs it; the first failing status
// (creation or run) comes back as is.
inline Result<std::vector<NamedTensor>> try_run(const ir::Model& m, const std::vector<NamedTensor>& inputs) {
    auto bytes = model::serialize_model(m);
    if (!bytes.is_ok()) return bytes.status();
    SessionOptions opts;
    opts.optimization_level = GraphOptimizationLevel::kNone;
    opts.num_threads = 1;
    auto s = Session::create_from_bytes(bytes->data(), bytes->size(), opts);
    if (!s.is_ok()) return s.status();
    return s.value()->run(inputs);
}

}  // namespace edgeinfer::testing

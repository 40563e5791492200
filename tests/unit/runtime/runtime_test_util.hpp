// Test helpers for runtime tests: graphs built in code (control flow, sequences: nodes, value infos, subgraph
// attributes, float tensors, a Session over the graph serialized at a given opset) and the generated small_cnn
// model with seeded inputs (engine files and caches).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer::testing {

// A node named "<op>_<first output>" unless `name` is given.
inline ir::Node node(std::string op, std::vector<std::string> in, std::vector<std::string> out, std::string name = "") {
    ir::Node n;
    n.op_type = std::move(op);
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    n.name = name.empty() ? n.op_type + "_" + n.outputs[0] : std::move(name);
    return n;
}

// A tensor value of fixed dims.
inline ir::ValueInfo tensor_info(std::string name, DataType dt, std::vector<int64_t> dims) {
    return ir::ValueInfo{std::move(name), dt, ir::Shape::of(dims), ""};
}

inline ir::Attribute graph_attr(std::string name, ir::Graph g) {
    ir::Attribute a;
    a.name = std::move(name);
    a.kind = ir::Attribute::Kind::kGraph;
    a.g = std::make_shared<ir::Graph>(std::move(g));
    return a;
}

// A Session over `g` as a model importing the default domain at `opset`.
inline Result<std::unique_ptr<Session>> try_session(ir::Graph g, int64_t opset) {
    ir::Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", opset}};
    m.graph = std::move(g);
    auto bytes = model::serialize_model(m);
    if (!bytes.is_ok()) return bytes.status();
    return Session::create_from_bytes(bytes.value().data(), bytes.value().size());
}

// try_session that fails the test (and returns null) when the session cannot be created.
inline std::unique_ptr<Session> session_for(ir::Graph g, int64_t opset) {
    auto s = try_session(std::move(g), opset);
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    return s.is_ok() ? std::move(s).value() : nullptr;
}

inline Tensor floats(std::vector<int64_t> dims, std::vector<float> v) {
    return Tensor::from_vector(DataType::kFloat32, dims, v);
}

inline std::vector<float> as_floats(const Tensor& t) { return {t.data_as<float>(), t.data_as<float>() + t.numel()}; }

// The small CNN make_test_models.py writes (input [N, 3, 8, 8]).
inline const std::string kSmallCnn = std::string(EDGEINFER_TEST_MODELS_DIR) + "/small_cnn.onnx";

// A seeded standard-normal input for small_cnn, batch `batch`.
inline Tensor small_cnn_input(int64_t batch, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Tensor t = Tensor::allocate(DataType::kFloat32, {batch, 3, 8, 8});
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = n(rng);
    return t;
}

}  // namespace edgeinfer::testing

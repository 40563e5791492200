// Test helpers for passes: build small ir::Models in code, run them through a Session, compare.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"
#include "model/onnx_model.hpp"
#include "model/onnx_transform.hpp"
#include "passes/graph_util.hpp"

namespace edgeinfer::testing {

inline Tensor random_tensor(const std::vector<int64_t>& dims, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    Tensor t = Tensor::allocate(DataType::kFloat32, dims);
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = normal(rng);
    return t;
}

inline Tensor positive_tensor(const std::vector<int64_t>& dims, uint32_t seed) {
    Tensor t = random_tensor(dims, seed);
    for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = 0.5f + std::fabs(t.data_as<float>()[i]);
    return t;
}

inline Tensor int64s(const std::vector<int64_t>& v) {
    return Tensor::from_vector<int64_t>(DataType::kInt64, {static_cast<int64_t>(v.size())}, v);
}

inline ir::Attribute attr_i(const std::string& n, int64_t v) { return passes::make_int_attr(n, v); }
inline ir::Attribute attr_is(const std::string& n, std::vector<int64_t> v) { return passes::make_ints_attr(n, v); }
inline ir::Attribute attr_f(const std::string& n, float v) { return passes::make_float_attr(n, v); }
inline ir::Attribute attr_s(const std::string& n, const std::string& v) {
    ir::Attribute a;
    a.name = n;
    a.kind = ir::Attribute::Kind::kString;
    a.s = v;
    return a;
}

// Builds a model node by node; dims of -1 become the symbol "batch".
class ModelBuilder {
public:
    explicit ModelBuilder(int64_t opset = 13) {
        m.ir_version = 8;
        m.producer_name = "edgeinfer-tests";
        m.opset_imports.push_back({"", opset});
        m.graph.name = "test";
    }
    ModelBuilder& input(const std::string& name, const std::vector<int64_t>& dims,
                        DataType dtype = DataType::kFloat32) {
        m.graph.inputs.push_back({name, dtype, shape(dims), {}});
        return *this;
    }
    ModelBuilder& output(const std::string& name, DataType dtype = DataType::kFloat32) {
        m.graph.outputs.push_back({name, dtype, {}, {}});
        return *this;
    }
    ModelBuilder& init(const std::string& name, Tensor t) {
        m.graph.add_initializer(name, std::move(t));
        return *this;
    }
    ModelBuilder& node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                       const std::string& name = "", std::vector<ir::Attribute> attrs = {}) {
        ir::Node n;
        n.op_type = op;
        n.name = name.empty() ? outs[0] + "_node" : name;
        n.inputs = std::move(ins);
        n.outputs = std::move(outs);
        n.attributes = std::move(attrs);
        m.graph.nodes.push_back(std::move(n));
        return *this;
    }
    // The model with ONNX shape inference applied (as a Session or `optimize` would see it).
    ir::Model build() {
        ir::Model out = m;
        auto r = model::infer_shapes(out);
        EXPECT_TRUE(r.is_ok());
        return out;
    }
    ir::Model m;

private:
    static ir::Shape shape(const std::vector<int64_t>& dims) {
        ir::Shape s;
        s.has_rank = true;
        for (int64_t d : dims) s.dims.push_back(d < 0 ? ir::Dim::symbolic("batch") : ir::Dim::known(d));
        return s;
    }
};

inline int count_op(const ir::Model& m, const std::string& op) {
    int n = 0;
    for (const auto& node : m.graph.nodes) n += node.op_type == op;
    return n;
}

inline const ir::Node* find_node(const ir::Model& m, const std::string& name) {
    for (const auto& node : m.graph.nodes)
        if (node.name == name) return &node;
    return nullptr;
}

// Runs `m` unoptimized on the given inputs.
inline std::vector<NamedTensor> run_model(const ir::Model& m, const std::vector<NamedTensor>& inputs) {
    auto bytes = model::serialize_model(m);
    EXPECT_TRUE(bytes.is_ok());
    SessionOptions opts;
    opts.optimization_level = GraphOptimizationLevel::kNone;
    opts.num_threads = 1;
    auto s = Session::create_from_bytes(bytes->data(), bytes->size(), opts);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    if (!s.is_ok()) return {};
    auto out = s.value()->run(inputs);
    EXPECT_TRUE(out.is_ok()) << out.status().to_string();
    return out.is_ok() ? std::move(out).value() : std::vector<NamedTensor>{};
}

// Seeded float inputs for every runtime input (symbolic dims as `batch`).
inline std::vector<NamedTensor> seeded_inputs(const ir::Model& m, int64_t batch = 2, uint32_t seed = 7) {
    std::vector<NamedTensor> out;
    for (const ir::ValueInfo* v : m.graph.runtime_inputs()) {
        std::vector<int64_t> dims;
        for (const ir::Dim& d : v->shape.dims) dims.push_back(d.is_known() ? d.value : batch);
        out.push_back({v->name, random_tensor(dims, seed++)});
    }
    return out;
}

// Cosine similarity of two float32 tensors of the same size.
inline double cosine(const Tensor& a, const Tensor& b) {
    double dot = 0, a2 = 0, b2 = 0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        double x = a.data_as<float>()[i], y = b.data_as<float>()[i];
        dot += x * y;
        a2 += x * x;
        b2 += y * y;
    }
    return dot / std::sqrt(a2 * b2);
}

// Max |a-b| over all outputs of two models on the same seeded inputs (inf when shapes differ).
inline double max_output_diff(const ir::Model& a, const ir::Model& b, int64_t batch = 2) {
    auto inputs = seeded_inputs(a, batch);
    auto ya = run_model(a, inputs), yb = run_model(b, inputs);
    if (ya.empty() || ya.size() != yb.size()) return INFINITY;
    double worst = 0;
    for (size_t k = 0; k < ya.size(); ++k) {
        if (ya[k].tensor.dims() != yb[k].tensor.dims() || ya[k].tensor.dtype() != DataType::kFloat32) return INFINITY;
        for (int64_t i = 0; i < ya[k].tensor.numel(); ++i)
            worst = std::max<double>(worst, std::fabs(ya[k].tensor.data_as<float>()[i] - yb[k].tensor.data_as<float>()[i]));
    }
    return worst;
}

}  // namespace edgeinfer::testing

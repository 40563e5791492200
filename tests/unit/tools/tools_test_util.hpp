// Shared by the tools tests (and the CLI tests of the model commands): a scratch directory, models
// saved into it, and compare_net, a small CNN with one node of each kind compare must tell apart.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

#include "../passes/pass_test_util.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer::testing {

inline std::string cache(const std::string& name) { return std::string(EDGEINFER_MODEL_CACHE) + "/" + name; }
inline const std::string kShapes = std::string(EDGEINFER_SOURCE_DIR) + "/models/shapes.onnx";
inline const std::string kSamples = std::string(EDGEINFER_SOURCE_DIR) + "/models/samples";

// One scratch directory per test process, removed when the process exits.
inline std::filesystem::path temp_dir() {
    struct Scratch {
        std::filesystem::path path =
            std::filesystem::temp_directory_path() / ("edgeinfer_tools_" + std::to_string(getpid()));
        Scratch() { std::filesystem::create_directories(path); }
        ~Scratch() {
            if (std::getenv("EDGEINFER_KEEP_TEMP")) return;  // debugging aid: keep the files
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static Scratch scratch;
    return scratch.path;
}

inline std::string save(const ir::Model& m, const std::string& name) {
    std::string path = (temp_dir() / name).string();
    Status st = model::save_model(m, path);
    EXPECT_TRUE(st.is_ok()) << st.to_string();
    return path;
}

// conv1 → bn1 → act → conv_pad (asymmetric pads) → up (Resize) → conv3 → pool → flatten → fc.
// MaxPool rather than a global average keeps every fault visible in the final output (bisection
// starts from a differing output).
inline ir::Model compare_net() {
    ModelBuilder b;
    b.input("x", {1, 3, 12, 12}).output("y");
    b.init("conv1.w", random_tensor({8, 3, 3, 3}, 1, 0.3f)).init("conv1.b", random_tensor({8}, 2));
    b.node("Conv", {"x", "conv1.w", "conv1.b"}, {"c1"}, "conv1", {attr_is("pads", {1, 1, 1, 1})});
    b.init("bn1.s", positive_tensor({8}, 3)).init("bn1.b", random_tensor({8}, 4));
    b.init("bn1.m", random_tensor({8}, 5, 0.1f)).init("bn1.v", positive_tensor({8}, 6));
    b.node("BatchNormalization", {"c1", "bn1.s", "bn1.b", "bn1.m", "bn1.v"}, {"n1"}, "bn1");
    b.node("Relu", {"n1"}, {"a1"}, "act");
    b.init("conv_pad.w", random_tensor({8, 8, 2, 2}, 7, 0.3f));
    b.node("Conv", {"a1", "conv_pad.w"}, {"c2"}, "conv_pad", {attr_is("pads", {0, 0, 1, 1})});
    b.init("up.scales", Tensor::from_vector<float>(DataType::kFloat32, {4}, {1, 1, 2, 2}));
    b.node("Resize", {"c2", "", "up.scales"}, {"u"}, "up", {attr_s("mode", "nearest")});
    b.init("conv3.w", random_tensor({4, 8, 3, 3}, 8, 0.3f)).init("conv3.b", random_tensor({4}, 9));
    b.node("Conv", {"u", "conv3.w", "conv3.b"}, {"c3"}, "conv3", {attr_is("pads", {1, 1, 1, 1})});
    b.node("MaxPool", {"c3"}, {"p"}, "pool", {attr_is("kernel_shape", {2, 2}), attr_is("strides", {2, 2})});
    b.node("Flatten", {"p"}, {"f"}, "flatten");
    b.init("fc.w", random_tensor({5, 576}, 10, 0.1f)).init("fc.b", random_tensor({5}, 11));
    b.node("Gemm", {"f", "fc.w", "fc.b"}, {"y"}, "fc", {attr_i("transB", 1)});
    return b.build();
}

inline ir::Node& node_named(ir::Model& m, const std::string& name) {
    for (ir::Node& n : m.graph.nodes)
        if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
}

inline void negate_initializer(ir::Model& m, const std::string& name) {
    Tensor w = m.graph.find_initializer(name)->clone();
    for (int64_t i = 0; i < w.numel(); ++i) w.data_as<float>()[i] = -w.data_as<float>()[i];
    m.graph.add_initializer(name, w);
}

// One deliberate fault in a copy of compare_net, and the node compare must name for it.
struct Fault {
    std::string kind;
    std::string node;
    std::function<void(ir::Model&)> inject;
};

inline std::vector<Fault> faults() {
    return {
        {"flip-weight-sign", "conv3", [](ir::Model& m) { negate_initializer(m, "conv3.w"); }},
        {"drop-bias", "conv1", [](ir::Model& m) { node_named(m, "conv1").inputs.resize(2); }},
        {"resize-mode", "up",
         [](ir::Model& m) { passes::set_attribute(node_named(m, "up"), attr_s("mode", "linear")); }},
        {"swap-conv-pads", "conv_pad",
         [](ir::Model& m) {
             passes::set_attribute(node_named(m, "conv_pad"), attr_is("pads", {1, 1, 0, 0}));
         }},
        {"change-activation", "act", [](ir::Model& m) { node_named(m, "act").op_type = "Sigmoid"; }},
        {"batchnorm-epsilon", "bn1",
         [](ir::Model& m) { passes::set_attribute(node_named(m, "bn1"), attr_f("epsilon", 0.5f)); }},
        {"gemm-alpha", "fc", [](ir::Model& m) { passes::set_attribute(node_named(m, "fc"), attr_f("alpha", 0.5f)); }},
    };
}

}  // namespace edgeinfer::testing

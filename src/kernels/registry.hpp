// kernels::KernelRegistry: (domain, op type, opset range, dtypes) → kernel factory.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/precision.hpp"
#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"
#include "kernels/kernel.hpp"
#include "kernels/subgraph.hpp"

namespace edgeinfer::kernels {

// What a factory sees when it creates a kernel for one node of one session.
struct CreateContext {
    const ir::Node& node;
    std::string label;                  // "Conv 'conv1'"
    int64_t opset = 0;                  // opset version of the node's domain
    std::vector<DataType> input_types;  // kUndefined where unknown or omitted
    // Initializer values of the node's inputs (nullptr where not constant): weights to pack.
    std::vector<const Tensor*> constant_inputs;
    // Compute precision asked for this node (SessionOptions::precision, fp32 for nodes listed in
    // keep_fp32_nodes). A kernel without a reduced-precision path ignores it and computes in fp32.
    Precision precision = Precision::kFp32;
    // How nodes with several implementations choose one (SessionOptions::tactics).
    TacticMode tactics = TacticMode::kFast;
    // Compiles If/Loop bodies; input_types/constant_inputs also cover the node's implicit inputs
    // (ir::implicit_inputs), which follow its explicit ones.
    const SubgraphCompiler* subgraphs = nullptr;

    Status invalid(const std::string& message) const { return invalid_model(label + ": " + message); }
};

using KernelFactory = std::function<Result<std::unique_ptr<Kernel>>(const CreateContext&)>;
// Returns "" when the node is supported, otherwise the reason it is not.
using SupportsFn = std::function<std::string(const CreateContext&)>;

struct KernelDef {
    std::string domain;  // "" for the ONNX domain
    std::string op_type;
    int64_t since_version = 1;  // opset range [since_version, end_version]
    int64_t end_version = 1 << 30;
    std::vector<DataType> dtypes;  // accepted types of input 0 (empty: any)
    KernelFactory factory;
    SupportsFn supports;  // optional finer check
};

class KernelRegistry {
  public:
    void add(KernelDef def);

    // The kernel def for a node, or an Unsupported status whose message says why.
    Result<const KernelDef*> find(const CreateContext& ctx) const;
    // Ops registered for a domain, sorted (for `inspect` and docs).
    std::vector<std::string> op_types(const std::string& domain = "") const;
    bool has_op(const std::string& domain, const std::string& op_type) const;
    size_t size() const { return defs_.size(); }

  private:
    std::vector<KernelDef> defs_;
};

// Whether this CPU computes bf16 natively (oneDNN's effective ISA has AVX512-BF16, or AMX). Without
// it bf16 convolutions fall back to fp32, so storing activations as bf16 would only add rounding.
bool native_bf16();
// Whether oneDNN has a Winograd convolution on this CPU (AVX-512; docs/tactics.md).
bool winograd_available();

// The registry with every kernel edgeinfer ships (built once from kernel_table.cpp).
const KernelRegistry& default_registry();

}  // namespace edgeinfer::kernels

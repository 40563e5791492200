// kernels::Subgraph / SubgraphCompiler: how control-flow kernels (If, Loop) run their bodies.
//
// Kernels depend only on ir/, so the runtime hands control-flow kernels a SubgraphCompiler
// (CreateContext::subgraphs) that compiles a body graph into something runnable. A body reads
// its formal inputs (Loop: iteration number, condition, carried values) and then values from
// enclosing scopes, passed in the order of the node's ir::implicit_inputs(), which the runtime
// appends to the node's inputs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::kernels {

class Subgraph {
public:
    virtual ~Subgraph() = default;
    // Runs the body: `inputs` are its formal inputs, then the outer-scope values. `outputs` receive
    // owned copies of the body's outputs (model order). Not thread-safe: one run at a time.
    virtual Status run(const std::vector<const Tensor*>& inputs, std::vector<Tensor>& outputs) const = 0;
    // The same for values of any kind (sequences and optionals too): `outputs` receive values whose
    // tensors the caller may keep (copies of the body's tensors; sequence elements are shared, and no
    // kernel ever writes into a sequence element).
    virtual Status run_values(const std::vector<const ir::Value*>& inputs, std::vector<ir::Value>& outputs) const = 0;
    virtual size_t num_formal_inputs() const = 0;
    virtual size_t num_outputs() const = 0;
};

class SubgraphCompiler {
public:
    virtual ~SubgraphCompiler() = default;
    // Compiles `body` for a node whose implicit inputs are `outer_names` (types where known,
    // kUndefined otherwise). `label` names the node and attribute in messages ("If 'i': then_branch").
    virtual Result<std::unique_ptr<Subgraph>> compile(const ir::Graph& body, const std::vector<std::string>& outer_names,
                                                      const std::vector<DataType>& outer_types,
                                                      const std::string& label) const = 0;
};

}  // namespace edgeinfer::kernels

// runtime::CompiledGraph (kernels resolved once per session) and runtime::Plan (the graph
// compiled for one set of concrete input shapes: shapes, folded constants, kernel states,
// arena offsets).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"
#include "kernels/kernel.hpp"

namespace edgeinfer::runtime {

// One node with its kernel and value slots (indices into CompiledGraph::slot_names).
struct CompiledNode {
    const ir::Node* node = nullptr;
    std::string label;  // "Conv 'conv1'"
    std::unique_ptr<kernels::Kernel> kernel;
    std::vector<int> inputs;   // -1 for an omitted optional input
    std::vector<int> outputs;  // -1 for an omitted optional output
};

struct CompiledGraph {
    std::vector<std::string> slot_names;
    std::unordered_map<std::string, int> slot_of;
    std::vector<const Tensor*> initializers;  // per slot, nullptr when not an initializer
    std::vector<CompiledNode> nodes;
    std::vector<int> input_slots;   // runtime inputs, model order
    std::vector<int> output_slots;  // model order
    std::vector<int> last_use;      // per slot: index of the last node reading it (-1: none)
};

// Resolves every node against the registry and creates its kernel. All unsupported nodes are
// reported together in one Unsupported status.
Result<CompiledGraph> compile_graph(const ir::Model& model, const std::string& model_name,
                                    const SessionOptions& options = {});

struct ProfileSink {
    std::vector<NodeProfile>* nodes = nullptr;  // indexed like CompiledGraph::nodes
};

class Plan {
  public:
    // Builds the plan for concrete input shapes: prepares every node (folding nodes whose inputs
    // are all known), plans the arena. `inputs` are in CompiledGraph::input_slots order.
    // `memory_limit` (bytes, 0: none) bounds every buffer the plan allocates, now and at run time
    // (values whose shape is only known then); a value over it, a byte count that overflows or a failed
    // allocation is kResourceExhausted naming the node and value.
    // `recorded_tactics` (per node, may be null): the tactic each node chose when an engine file was saved;
    // nodes given one use it and time nothing.
    // `boxed_inputs` (may be null): per input, its value where it is a sequence or an optional (the
    // tensor in `inputs` is then a placeholder); such inputs are read again by every run, never folded.
    static Result<std::unique_ptr<Plan>> build(const CompiledGraph& graph, const std::vector<const Tensor*>& inputs,
                                               int num_threads, size_t memory_limit = 0,
                                               const std::vector<std::string>* recorded_tactics = nullptr,
                                               const std::vector<const ir::Value*>* boxed_inputs = nullptr);

    // Runs with the given inputs (same shapes as at build; the same inputs boxed as at build). Results
    // are read with output() and boxed_output().
    Status run(const CompiledGraph& graph, const std::vector<const Tensor*>& inputs, int num_threads,
               ProfileSink profile, const std::vector<const ir::Value*>* boxed_inputs = nullptr);
    // Graph output k (model order) after run(): a view into the plan's memory (an empty tensor when the
    // output is a sequence or an optional).
    const Tensor& output(const CompiledGraph& graph, size_t k) const;
    // Graph output k when it is a sequence or an optional; nullptr when it is a tensor.
    const ir::Value* boxed_output(const CompiledGraph& graph, size_t k) const;

    // Output dtype/dims known at build; present=false when only known after running.
    const std::vector<kernels::TensorDesc>& output_descs() const { return output_descs_; }
    bool has_dynamic_nodes() const { return dynamic_nodes_ > 0; }
    size_t arena_bytes() const { return arena_bytes_; }
    size_t folded_nodes() const { return folded_nodes_; }
    // The implementation node `i` (CompiledGraph::nodes order) chose in prepare; "" when it named
    // none (folded, deferred, or a kernel that does not call PrepareContext::set_implementation).
    const std::string& implementation(size_t i) const { return steps_[i].implementation; }
    // The tactic node `i` chose in prepare ("" when it has one implementation only), and how many nodes
    // timed their candidates while this plan was built (0 when built from recorded tactics).
    const std::string& tactic(size_t i) const { return steps_[i].tactic; }
    size_t tactic_timings() const { return tactic_timings_; }
    // The input dims node `i` was prepared with (an empty entry for an omitted input); empty when
    // the node is deferred to run time.
    const std::vector<std::vector<int64_t>>& input_dims(size_t i) const { return steps_[i].input_dims; }

  private:
    size_t memory_limit_ = 0;
    enum class SlotKind { kUnused, kInput, kConstant, kArena, kDynamic };
    struct Slot {
        SlotKind kind = SlotKind::kUnused;
        Tensor tensor;  // constants: the value; arena: a wrap into the arena; inputs: rebound each run
    };
    struct NodeStep {
        bool folded = false;   // computed at build time, skipped at run
        bool dynamic = false;  // prepared again during each run
        std::unique_ptr<kernels::KernelState> state;
        size_t scratch_bytes = 0;
        kernels::RunContext ctx;                       // pointers prebuilt for static nodes
        std::string implementation;                    // PrepareContext::implementation() from build
        std::string tactic;                            // PrepareContext::tactic() from build
        std::vector<std::vector<int64_t>> input_dims;  // shapes prepare saw (profiles show them)
    };

    static Result<std::unique_ptr<Plan>> build_unchecked(const CompiledGraph& graph,
                                                         const std::vector<const Tensor*>& inputs, int num_threads,
                                                         size_t memory_limit,
                                                         const std::vector<std::string>* recorded_tactics,
                                                         const std::vector<const ir::Value*>* boxed_inputs);
    Status run_dynamic_node(const CompiledGraph& graph, size_t index, NodeStep& step);

    std::vector<Slot> slots_;
    std::vector<NodeStep> steps_;
    std::shared_ptr<void> arena_;
    size_t arena_bytes_ = 0;
    std::shared_ptr<void> scratch_;
    size_t scratch_bytes_ = 0;
    size_t dynamic_nodes_ = 0;
    size_t folded_nodes_ = 0;
    size_t tactic_timings_ = 0;
    std::vector<kernels::TensorDesc> output_descs_;
    std::vector<Tensor> dynamic_values_;  // per slot, values produced by dynamic nodes in a run
    // Sequences and optionals, per slot (boxed_slot_ marks them): inputs, folded constants, and what
    // dynamic nodes made in the last run. Owned here, outside the arena.
    std::vector<ir::Value> boxed_values_;
    std::vector<uint8_t> boxed_slot_;
};

}  // namespace edgeinfer::runtime

// kernels::Kernel: the create → prepare(shapes) → run lifecycle every op implementation follows.
//
// create:   the registry's factory reads attributes and packs constant weights (once per session).
// prepare:  given input dtypes/shapes (and input values when they are known before running:
//           initializers, or values folded for this shape), set every output's dtype and shape and
//           build per-shape state (oneDNN primitives). Called once per Plan.
// run:      const; reads inputs, writes into outputs the Plan allocated; never allocates.
//
// Sequences and optionals (ir::Value): only kernels whose takes_non_tensors() is true are given them (the
// plan refuses any other node reading one, naming it). Such a kernel reads them in prepare (boxed(i)),
// defers until every input value is known, and computes its outputs there (set_output_boxed for
// sequences and optionals, set_output_value for tensors): those nodes run while the plan prepares them,
// so the tensor kernels' interface and the plan's arena are as they were.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::kernels {

// Per-shape state a kernel builds in prepare and reads in run.
class KernelState {
  public:
    virtual ~KernelState() = default;
};

struct TensorDesc {
    DataType dtype = DataType::kUndefined;
    std::vector<int64_t> dims;
    bool present = false;  // false for an omitted optional input
    // Sequences and optionals: the kind, dtype their tensors' (dims empty: element shapes vary).
    ValueKind kind = ValueKind::kTensor;
};

class PrepareContext {
  public:
    PrepareContext(const ir::Node& node, std::string node_label, std::vector<TensorDesc> inputs,
                   std::vector<const Tensor*> values, size_t num_outputs);

    const ir::Node& node() const { return node_; }
    size_t num_inputs() const { return inputs_.size(); }
    size_t num_outputs() const { return outputs_.size(); }
    bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i].present; }
    const TensorDesc& input(size_t i) const { return inputs_[i]; }
    // The input's value when known now (constant, or everything when preparing during a run);
    // nullptr otherwise. A kernel that needs a value it cannot see calls defer().
    const Tensor* value(size_t i) const { return i < values_.size() ? values_[i] : nullptr; }
    // Input i's value when it is a sequence or an optional (input(i).kind) known now; nullptr otherwise.
    const ir::Value* boxed(size_t i) const { return i < boxed_.size() ? boxed_[i] : nullptr; }
    // Input i is present and its value (of any kind) is known now.
    bool known(size_t i) const { return has_input(i) && (value(i) != nullptr || boxed(i) != nullptr); }
    // Set by the runtime: the values of sequence and optional inputs (nullptr elsewhere).
    void set_boxed_inputs(std::vector<const ir::Value*> boxed) { boxed_ = std::move(boxed); }

    void set_output(size_t i, DataType dtype, std::vector<int64_t> dims);
    // The output's value is known without running (Shape, Size): the runtime treats it as a constant.
    void set_output_value(size_t i, Tensor value);
    // Output i is a sequence or an optional and this is its value (a kTensor value is set_output_value).
    void set_output_boxed(size_t i, ir::Value value);
    void set_state(std::unique_ptr<KernelState> state) { state_ = std::move(state); }
    // Bytes of scratch memory run() needs (64-byte aligned, from the Plan's arena).
    void request_scratch(size_t bytes) { scratch_bytes_ = bytes; }
    // Names the implementation prepare chose, shown in profiles (NodeProfile::kernel), e.g. oneDNN's
    // "onednn:brgconv:avx512_core". Kernels that do not call it show as "cpu".
    void set_implementation(std::string name) { implementation_ = std::move(name); }
    // Tactics (docs/tactics.md): a kernel with several implementations names the one it chose ("direct",
    // "winograd", "winograd_4x3"), and says whether it timed candidates to choose it. recorded_tactic() is the choice
    // an engine file recorded for this node and these shapes ("" when none): use it, time nothing.
    void set_tactic(std::string name, bool timed) {
        tactic_ = std::move(name);
        tactic_timed_ = timed;
    }
    void set_recorded_tactic(std::string name) { recorded_tactic_ = std::move(name); }
    const std::string& recorded_tactic() const { return recorded_tactic_; }
    // Output `output` may be stored in input `input`'s bytes: run() gives the right result whether the two
    // share a buffer or not (it checks the pointers, e.g. to skip copying the input into the output). The plan
    // shares them where this node is the input's last reader and nothing else would see the overwrite
    // (runtime/plan.cpp); ONNX Runtime's kernels say the same with MayInplace.
    void allow_in_place(size_t output, size_t input) { in_place_.emplace_back(output, input); }
    const std::vector<std::pair<size_t, size_t>>& in_place() const { return in_place_; }
    // Nodes prepared again during each run (deferred shapes) must not time: they use the fast heuristic.
    void forbid_timing() { timing_allowed_ = false; }
    bool timing_allowed() const { return timing_allowed_; }
    // The output shape depends on input values that are only known while running: the runtime
    // prepares this node again, with all values, during each run.
    Status defer() {
        deferred_ = true;
        return Status::ok();
    }
    // The outputs differ from run to run (random generators): the runtime never folds this node,
    // even when every input is a constant.
    void set_nondeterministic() { nondeterministic_ = true; }

    // Error helpers that name the node: "Conv 'conv1': <message>".
    Status invalid(const std::string& message) const;
    Status unsupported_here(const std::string& message) const;
    const std::string& label() const { return label_; }

    // Read by the runtime after prepare.
    const std::vector<TensorDesc>& outputs() const { return outputs_; }
    std::vector<Tensor>& output_values() { return output_values_; }
    // The value set_output_boxed gave output i; nullptr for tensor outputs.
    ir::Value* boxed_output(size_t i) {
        return i < outputs_.size() && outputs_[i].kind != ValueKind::kTensor ? &boxed_outputs_[i] : nullptr;
    }
    // Every present output has its value (set_output_value or set_output_boxed).
    bool all_output_values_given(const std::vector<int>& used) const;
    std::unique_ptr<KernelState> take_state() { return std::move(state_); }
    size_t scratch_bytes() const { return scratch_bytes_; }
    bool deferred() const { return deferred_; }
    bool nondeterministic() const { return nondeterministic_; }
    const std::string& implementation() const { return implementation_; }
    const std::string& tactic() const { return tactic_; }
    bool tactic_timed() const { return tactic_timed_; }

  private:
    const ir::Node& node_;
    std::string label_;
    std::vector<TensorDesc> inputs_;
    std::vector<const Tensor*> values_;
    std::vector<TensorDesc> outputs_;
    std::vector<Tensor> output_values_;
    std::vector<const ir::Value*> boxed_;
    std::vector<ir::Value> boxed_outputs_;
    std::unique_ptr<KernelState> state_;
    size_t scratch_bytes_ = 0;
    bool deferred_ = false;
    bool nondeterministic_ = false;
    std::string implementation_;
    std::string tactic_, recorded_tactic_;
    bool tactic_timed_ = false;
    bool timing_allowed_ = true;
    std::vector<std::pair<size_t, size_t>> in_place_;  // (output, input) pairs allow_in_place named
};

struct RunContext {
    std::vector<const Tensor*> inputs;  // nullptr for omitted optional inputs
    std::vector<Tensor*> outputs;
    const KernelState* state = nullptr;
    void* scratch = nullptr;
    size_t scratch_bytes = 0;
    int num_threads = 1;
    const std::string* label = nullptr;  // for data-dependent error messages

    const Tensor& in(size_t i) const { return *inputs[i]; }
    bool has_in(size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
    Tensor& out(size_t i) const { return *outputs[i]; }
    template <typename S>
    const S& state_as() const {
        return static_cast<const S&>(*state);
    }
    // "Gather 'g': index 7 is out of range [-3, 3)": data-dependent errors only.
    Status error(StatusCode code, const std::string& message) const;
};

class Kernel {
  public:
    virtual ~Kernel() = default;
    virtual Status prepare(PrepareContext& ctx) const = 0;
    virtual Status run(RunContext& ctx) const = 0;
    // True for kernels that take sequences and optionals (see the top of this file).
    virtual bool takes_non_tensors() const { return false; }
};

}  // namespace edgeinfer::kernels

// A body graph compiled like a model whose inputs are its formal inputs followed by the values it
// reads from enclosing scopes; one Plan kept for the last input shapes seen.
#include "runtime/subgraph.hpp"

#include <omp.h>

#include "base/status.hpp"
#include "ir/memory.hpp"
#include "runtime/plan.hpp"

namespace edgeinfer::runtime {
namespace {

class CompiledBody : public kernels::Subgraph {
  public:
    Status init(std::unique_ptr<ir::Model> model, const SessionOptions& options, size_t formal,
                const std::string& label) {
        model_ = std::move(model);
        formal_ = formal;
        threads_ = options.num_threads > 0 ? options.num_threads : omp_get_num_procs();
        EDGEINFER_ASSIGN_OR_RETURN(graph_, compile_graph(*model_, label, options));
        return Status::ok();
    }

    Status run(const std::vector<const Tensor*>& inputs, std::vector<Tensor>& outputs) const override {
        if (inputs.size() != graph_.input_slots.size())
            return internal_error(model_->graph.name + ": body expects " + std::to_string(graph_.input_slots.size()) +
                                  " inputs, got " + std::to_string(inputs.size()));
        bool same = plan_ != nullptr && shapes_.size() == inputs.size() && boxed_kinds_.empty();
        for (size_t i = 0; same && i < inputs.size(); ++i)
            same = shapes_[i].first == inputs[i]->dtype() && shapes_[i].second == inputs[i]->dims();
        if (!same) {
            shapes_.clear();
            boxed_kinds_.clear();
            for (const Tensor* t : inputs) shapes_.emplace_back(t->dtype(), t->dims());
            plan_.reset();
            EDGEINFER_ASSIGN_OR_RETURN(plan_, Plan::build(graph_, inputs, threads_, ir::effective_memory_limit(0)));
        }
        EDGEINFER_RETURN_IF_ERROR(plan_->run(graph_, inputs, threads_, ProfileSink{}));
        outputs.resize(graph_.output_slots.size());
        for (size_t k = 0; k < outputs.size(); ++k) outputs[k] = plan_->output(graph_, k).clone();
        return Status::ok();
    }

    Status run_values(const std::vector<const ir::Value*>& inputs, std::vector<ir::Value>& outputs) const override {
        static const Tensor kPlaceholder;  // where a sequence or an optional stands (read from `boxed`)
        if (inputs.size() != graph_.input_slots.size())
            return internal_error(model_->graph.name + ": body expects " + std::to_string(graph_.input_slots.size()) +
                                  " inputs, got " + std::to_string(inputs.size()));
        std::vector<const Tensor*> tensors;
        std::vector<const ir::Value*> boxed;
        for (const ir::Value* v : inputs) {
            const bool is_boxed = v->kind != ValueKind::kTensor;
            tensors.push_back(is_boxed ? &kPlaceholder : &v->tensor);
            boxed.push_back(is_boxed ? v : nullptr);
        }
        bool same = plan_ != nullptr && shapes_.size() == inputs.size() && boxed_kinds_.size() == inputs.size();
        for (size_t i = 0; same && i < inputs.size(); ++i)
            same = boxed_kinds_[i] == inputs[i]->kind && shapes_[i].first == tensors[i]->dtype() &&
                   shapes_[i].second == tensors[i]->dims();
        if (!same) {
            shapes_.clear();
            boxed_kinds_.clear();
            for (size_t i = 0; i < inputs.size(); ++i) {
                shapes_.emplace_back(tensors[i]->dtype(), tensors[i]->dims());
                boxed_kinds_.push_back(inputs[i]->kind);
            }
            plan_.reset();
            EDGEINFER_ASSIGN_OR_RETURN(
                plan_, Plan::build(graph_, tensors, threads_, ir::effective_memory_limit(0), nullptr, &boxed));
        }
        EDGEINFER_RETURN_IF_ERROR(plan_->run(graph_, tensors, threads_, ProfileSink{}, &boxed));
        outputs.resize(graph_.output_slots.size());
        for (size_t k = 0; k < outputs.size(); ++k) {
            if (const ir::Value* v = plan_->boxed_output(graph_, k))
                outputs[k] = *v;
            else
                outputs[k] = ir::Value::of_tensor(plan_->output(graph_, k).clone());
        }
        return Status::ok();
    }

    size_t num_formal_inputs() const override { return formal_; }
    size_t num_outputs() const override { return graph_.output_slots.size(); }

  private:
    std::unique_ptr<ir::Model> model_;  // owns the nodes graph_ points to
    CompiledGraph graph_;
    size_t formal_ = 0;
    int threads_ = 1;
    mutable std::unique_ptr<Plan> plan_;
    mutable std::vector<std::pair<DataType, std::vector<int64_t>>> shapes_;
    mutable std::vector<ValueKind> boxed_kinds_;  // per input, when the plan was built by run_values
};

}  // namespace

Result<std::unique_ptr<kernels::Subgraph>> BodyCompiler::compile(const ir::Graph& body,
                                                                 const std::vector<std::string>& outer_names,
                                                                 const std::vector<DataType>& outer_types,
                                                                 const std::string& label) const {
    auto model = std::make_unique<ir::Model>();
    model->opset_imports = opsets_;
    model->graph = body;
    size_t formal = body.runtime_inputs().size();
    for (size_t i = 0; i < outer_names.size(); ++i) {
        if (body.find_initializer(outer_names[i]) || body.is_graph_input(outer_names[i])) continue;
        ir::ValueInfo v;
        v.name = outer_names[i];
        v.dtype = i < outer_types.size() ? outer_types[i] : DataType::kUndefined;
        model->graph.inputs.push_back(std::move(v));
    }
    if (model->graph.runtime_inputs().size() != formal + outer_names.size())
        return invalid_model(label + ": an outer-scope name of the body is also one of its inputs or weights");
    auto compiled = std::make_unique<CompiledBody>();
    EDGEINFER_RETURN_IF_ERROR(compiled->init(std::move(model), options_, formal, label));
    return std::unique_ptr<kernels::Subgraph>(std::move(compiled));
}

}  // namespace edgeinfer::runtime

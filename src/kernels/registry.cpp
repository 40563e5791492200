// KernelRegistry lookup and the PrepareContext/RunContext helpers.
#include "kernels/registry.hpp"

#include <algorithm>
#include <set>

#include "kernels/schema_changes.hpp"

namespace edgeinfer::kernels {

PrepareContext::PrepareContext(const ir::Node& node, std::string node_label, std::vector<TensorDesc> inputs,
                               std::vector<const Tensor*> values, size_t num_outputs)
    : node_(node),
      label_(std::move(node_label)),
      inputs_(std::move(inputs)),
      values_(std::move(values)),
      outputs_(num_outputs),
      output_values_(num_outputs) {}

void PrepareContext::set_output(size_t i, DataType dtype, std::vector<int64_t> dims) {
    if (i >= outputs_.size()) return;
    outputs_[i].dtype = dtype;
    outputs_[i].dims = std::move(dims);
    outputs_[i].present = true;
}

void PrepareContext::set_output_value(size_t i, Tensor value) {
    if (i >= outputs_.size()) return;
    set_output(i, value.dtype(), value.dims());
    output_values_[i] = std::move(value);
}

void PrepareContext::set_output_boxed(size_t i, ir::Value value) {
    if (i >= outputs_.size()) return;
    if (value.kind == ValueKind::kTensor) {
        set_output_value(i, std::move(value.tensor));
        return;
    }
    if (boxed_outputs_.size() != outputs_.size()) boxed_outputs_.resize(outputs_.size());
    outputs_[i] = TensorDesc{value.dtype, {}, true, value.kind};
    boxed_outputs_[i] = std::move(value);
}

bool PrepareContext::all_output_values_given(const std::vector<int>& used) const {
    for (size_t k = 0; k < outputs_.size() && k < used.size(); ++k)
        if (used[k] >= 0 && output_values_[k].empty() && outputs_[k].kind == ValueKind::kTensor) return false;
    return true;
}

Status PrepareContext::invalid(const std::string& message) const { return invalid_argument(label_ + ": " + message); }

Status PrepareContext::unsupported_here(const std::string& message) const {
    return unsupported(label_ + ": " + message);
}

Status RunContext::error(StatusCode code, const std::string& message) const {
    return Status(code, (label ? *label + ": " : std::string()) + message);
}

void KernelRegistry::add(KernelDef def) {
    if (def.domain == "ai.onnx") def.domain.clear();
    defs_.push_back(std::move(def));
}

namespace {

// Operators that only training graphs use (losses, optimizers, Gradient): an inference engine leaves
// them out, and says so rather than "not implemented".
bool is_training_op(const std::string& domain, const std::string& op_type) {
    static const std::set<std::string> kLosses = {"NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"};
    static const std::set<std::string> kPreviewTraining = {"Adagrad", "Adam", "Momentum", "Gradient"};
    return (domain.empty() && kLosses.count(op_type)) ||
           (domain == "ai.onnx.preview.training" && kPreviewTraining.count(op_type));
}

}  // namespace

Result<const KernelDef*> KernelRegistry::find(const CreateContext& ctx) const {
    const ir::Node& n = ctx.node;
    std::string domain = ir::is_onnx_domain(n.domain) ? "" : n.domain;
    bool op_known = false;
    bool opset_ok = false;
    std::string reason;
    for (const KernelDef& d : defs_) {
        if (d.domain != domain || d.op_type != n.op_type) continue;
        op_known = true;
        if (ctx.opset < d.since_version || ctx.opset > d.end_version) continue;
        // A kernel written before the op's schema changed runs a newer node only when the node uses what
        // both schemas share (kernels/schema_changes.hpp).
        if (domain.empty() && d.since_version < schema_change_version(n.op_type, ctx.opset)) {
            std::string why = newer_schema_reason(ctx);
            if (!why.empty()) {
                opset_ok = true;
                reason =
                    "op " + n.op_type + " at opset " + std::to_string(ctx.opset) + ": " + why + " is not supported";
                continue;
            }
        }
        opset_ok = true;
        DataType t0 = ctx.input_types.empty() ? DataType::kUndefined : ctx.input_types[0];
        if (!d.dtypes.empty() && t0 != DataType::kUndefined &&
            std::find(d.dtypes.begin(), d.dtypes.end(), t0) == d.dtypes.end()) {
            reason = "input type " + std::string(dtype_name(t0)) + " is not supported";
            continue;
        }
        if (d.supports) {
            std::string why = d.supports(ctx);
            if (!why.empty()) {
                reason = why;
                continue;
            }
        }
        return &d;
    }
    std::string op = domain.empty() ? n.op_type : domain + ":" + n.op_type;
    if (!op_known && is_training_op(domain, n.op_type))
        return unsupported(ctx.label + ": op " + op +
                           " is a training operator; edgeinfer runs inference only (export the model for inference)");
    if (!op_known && domain.empty() && n.op_type == "ImageDecoder")
        return unsupported(ctx.label +
                           ": op ImageDecoder is not supported: decoding image files inside the graph "
                           "would tie the kernels layer to an image codec (it depends only on ir); decode "
                           "before the model, as edgeinfer's frame sources and vision preprocessing do");
    if (!op_known) return unsupported(ctx.label + ": op " + op + " is not implemented");
    if (!opset_ok)
        return unsupported(ctx.label + ": op " + op + " at opset " + std::to_string(ctx.opset) + " is not implemented");
    return unsupported(ctx.label + ": " + reason);
}

std::vector<std::string> KernelRegistry::op_types(const std::string& domain) const {
    std::set<std::string> s;
    for (const KernelDef& d : defs_)
        if (d.domain == domain) s.insert(d.op_type);
    return {s.begin(), s.end()};
}

bool KernelRegistry::has_op(const std::string& domain, const std::string& op_type) const {
    std::string dom = ir::is_onnx_domain(domain) ? "" : domain;
    for (const KernelDef& d : defs_)
        if (d.domain == dom && d.op_type == op_type) return true;
    return false;
}

}  // namespace edgeinfer::kernels

// Control flow: If, Loop and Scan, running their body graphs through the runtime's SubgraphCompiler.
//
// Both need the values of every input (the condition, trip count, carried values and the outer-scope
// values the bodies read), so prepare defers until they are known and then computes the outputs
// itself (PrepareContext::set_output_value): the node's work happens while the plan runs, and when
// everything is constant it is folded at plan build like any other node.
#include <cstring>
#include <limits>

#include "kernels/cpu/common.hpp"
#include "kernels/deadline.hpp"
#include "kernels/subgraph.hpp"

namespace edgeinfer::kernels::cpu {
namespace {

// Defers unless every present input has a value; returns true when the caller may compute.
bool all_values_known(const PrepareContext& ctx) {
    for (size_t i = 0; i < ctx.num_inputs(); ++i)
        if (ctx.has_input(i) && !ctx.known(i)) return false;
    return true;
}

// Input i as a value of any kind (a tensor is shared, not copied).
ir::Value input_value(const PrepareContext& ctx, size_t i) {
    if (const ir::Value* v = ctx.boxed(i)) return *v;
    return ir::Value::of_tensor(*ctx.value(i));
}

// The truth value of a one-element condition tensor; `what` names it in errors.
Result<bool> condition_value(const PrepareContext& ctx, const Tensor& t, const std::string& what) {
    if (t.numel() != 1) return ctx.invalid(what + " must hold one value, got " + shape_to_string(t.dims()));
    switch (t.dtype()) {
        case DataType::kBool:
        case DataType::kUInt8: return *static_cast<const uint8_t*>(t.data()) != 0;
        case DataType::kInt32: return *t.data_as<int32_t>() != 0;
        case DataType::kInt64: return *t.data_as<int64_t>() != 0;
        case DataType::kFloat32: return *t.data_as<float>() != 0.0f;
        default: return ctx.invalid(what + " has type " + std::string(dtype_name(t.dtype())));
    }
}

Result<std::unique_ptr<Subgraph>> compile_body(const CreateContext& ctx, const char* attr) {
    const ir::Attribute* a = ctx.node.find_attribute(attr);
    if (!a || a->kind != ir::Attribute::Kind::kGraph || !a->g)
        return ctx.invalid(std::string("graph attribute '") + attr + "' is missing");
    if (!ctx.subgraphs) return ctx.invalid("no subgraph compiler available");
    std::vector<std::string> outer = ir::implicit_inputs(ctx.node);
    size_t explicit_inputs = ctx.node.inputs.size();
    std::vector<DataType> types;
    for (size_t i = 0; i < outer.size(); ++i)
        types.push_back(explicit_inputs + i < ctx.input_types.size() ? ctx.input_types[explicit_inputs + i]
                                                                      : DataType::kUndefined);
    return ctx.subgraphs->compile(*a->g, outer, types, ctx.label + ": " + attr);
}

class IfKernel : public Kernel {
public:
    IfKernel(std::unique_ptr<Subgraph> then_body, std::unique_ptr<Subgraph> else_body, size_t explicit_inputs)
        : then_(std::move(then_body)), else_(std::move(else_body)), explicit_inputs_(explicit_inputs) {}

    Status prepare(PrepareContext& ctx) const override {
        if (!all_values_known(ctx)) return ctx.defer();
        if (ctx.boxed(0)) return ctx.invalid("cond is a " + std::string(value_kind_name(ctx.input(0).kind)));
        EDGEINFER_ASSIGN_OR_RETURN(bool cond, condition_value(ctx, *ctx.value(0), "cond"));
        const Subgraph& body = cond ? *then_ : *else_;
        std::vector<ir::Value> outer;
        for (size_t i = explicit_inputs_; i < ctx.num_inputs(); ++i) outer.push_back(input_value(ctx, i));
        std::vector<const ir::Value*> ins;
        for (const ir::Value& v : outer) ins.push_back(&v);
        std::vector<ir::Value> outs;
        EDGEINFER_RETURN_IF_ERROR(body.run_values(ins, outs));
        if (outs.size() != ctx.num_outputs())
            return ctx.invalid(std::string(cond ? "then" : "else") + "_branch has " + std::to_string(outs.size()) +
                               " outputs, the node " + std::to_string(ctx.num_outputs()));
        for (size_t k = 0; k < outs.size(); ++k) ctx.set_output_boxed(k, std::move(outs[k]));
        return Status::ok();
    }

    bool takes_non_tensors() const override { return true; }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "If runs while the plan prepares it; run() is never called");
    }

private:
    std::unique_ptr<Subgraph> then_, else_;
    size_t explicit_inputs_;
};

// Loop(M, cond, v_initial...) with body(iteration_num, cond, v...) -> (cond, v..., scan outputs...).
class LoopKernel : public Kernel {
public:
    LoopKernel(std::unique_ptr<Subgraph> body, size_t explicit_inputs)
        : body_(std::move(body)), explicit_inputs_(explicit_inputs) {}

    Status prepare(PrepareContext& ctx) const override {
        if (!all_values_known(ctx)) return ctx.defer();
        for (size_t i = 0; i < 2; ++i)
            if (ctx.boxed(i))
                return ctx.invalid(std::string(i == 0 ? "M" : "cond") + " is a " +
                                   std::string(value_kind_name(ctx.input(i).kind)));
        size_t carried = explicit_inputs_ - 2;
        if (body_->num_formal_inputs() != carried + 2)
            return ctx.invalid("body takes " + std::to_string(body_->num_formal_inputs()) + " inputs, expected " +
                               std::to_string(carried + 2) + " (iteration number, condition, carried values)");
        if (body_->num_outputs() < carried + 1)
            return ctx.invalid("body has " + std::to_string(body_->num_outputs()) + " outputs, expected at least " +
                               std::to_string(carried + 1));
        size_t scans = body_->num_outputs() - 1 - carried;
        if (ctx.num_outputs() != carried + scans)
            return ctx.invalid("node has " + std::to_string(ctx.num_outputs()) + " outputs, body gives " +
                               std::to_string(carried + scans));
        int64_t trip = std::numeric_limits<int64_t>::max();
        if (ctx.has_input(0)) {
            const Tensor* m = ctx.value(0);
            if (m->numel() != 1 || m->dtype() != DataType::kInt64)
                return ctx.invalid("M must be one int64 value, got " + std::string(dtype_name(m->dtype())) + " " +
                                   shape_to_string(m->dims()));
            trip = *m->data_as<int64_t>();
        }
        bool keep_going = true;
        if (ctx.has_input(1)) {
            EDGEINFER_ASSIGN_OR_RETURN(keep_going, condition_value(ctx, *ctx.value(1), "cond"));
        }
        if (!ctx.has_input(0) && !ctx.has_input(1))
            return ctx.invalid("neither M nor cond is given: the loop would never end");

        std::vector<ir::Value> state;
        for (size_t i = 0; i < carried; ++i) state.push_back(input_value(ctx, 2 + i).clone());
        std::vector<ir::Value> outer;
        for (size_t i = explicit_inputs_; i < ctx.num_inputs(); ++i) outer.push_back(input_value(ctx, i));
        std::vector<std::vector<Tensor>> scan_parts(scans);
        ir::Value iteration = ir::Value::of_tensor(Tensor::allocate(DataType::kInt64, {}));
        ir::Value cond_in = ir::Value::of_tensor(Tensor::allocate(DataType::kBool, {}));
        std::vector<ir::Value> outs;
        // The run's time limit (SessionOptions::run_time_limit_ms) is what stops a Loop that allocates nothing.
        auto stopped = [&](int64_t it) {
            return check_deadline(ctx.label() + ": stopped after " + std::to_string(it) + " of " +
                                  (ctx.has_input(0) ? std::to_string(trip) : "unbounded") + " iterations");
        };
        for (int64_t it = 0; it < trip && keep_going; ++it) {
            if (deadline_passed()) return stopped(it);
            *iteration.tensor.data_as<int64_t>() = it;
            *static_cast<uint8_t*>(cond_in.tensor.data()) = keep_going ? 1 : 0;
            std::vector<const ir::Value*> ins{&iteration, &cond_in};
            for (const ir::Value& v : state) ins.push_back(&v);
            for (const ir::Value& v : outer) ins.push_back(&v);
            if (Status st = body_->run_values(ins, outs); !st.is_ok()) {
                return deadline_passed() ? stopped(it) : st;  // stopped inside the body: name the Loop
            }
            if (outs[0].kind != ValueKind::kTensor)
                return ctx.invalid("body's condition output is a " + std::string(value_kind_name(outs[0].kind)));
            EDGEINFER_ASSIGN_OR_RETURN(keep_going, condition_value(ctx, outs[0].tensor, "body's condition output"));
            for (size_t i = 0; i < carried; ++i) state[i] = std::move(outs[1 + i]);
            for (size_t k = 0; k < scans; ++k) {
                if (outs[1 + carried + k].kind != ValueKind::kTensor)
                    return ctx.invalid("scan output " + std::to_string(k) + " is a " +
                                       std::string(value_kind_name(outs[1 + carried + k].kind)) +
                                       "; scan outputs are tensors");
                Tensor& part = outs[1 + carried + k].tensor;
                if (!scan_parts[k].empty() && (part.dims() != scan_parts[k][0].dims() ||
                                               part.dtype() != scan_parts[k][0].dtype()))
                    return ctx.invalid("scan output " + std::to_string(k) + " changes shape between iterations: " +
                                       shape_to_string(scan_parts[k][0].dims()) + " then " + shape_to_string(part.dims()));
                scan_parts[k].push_back(std::move(part));
            }
        }
        for (size_t i = 0; i < carried; ++i) ctx.set_output_boxed(i, std::move(state[i]));
        for (size_t k = 0; k < scans; ++k) {
            const auto& parts = scan_parts[k];
            std::vector<int64_t> dims{static_cast<int64_t>(parts.size())};
            DataType dt = DataType::kFloat32;
            if (!parts.empty()) {
                dims.insert(dims.end(), parts[0].dims().begin(), parts[0].dims().end());
                dt = parts[0].dtype();
            }
            Tensor all = Tensor::allocate(dt, dims);
            auto* dst = static_cast<uint8_t*>(all.data());
            for (const Tensor& p : parts) {
                if (p.nbytes()) std::memcpy(dst, p.data(), p.nbytes());
                dst += p.nbytes();
            }
            ctx.set_output_value(carried + k, std::move(all));
        }
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "Loop runs while the plan prepares it; run() is never called");
    }

    bool takes_non_tensors() const override { return true; }

  private:
    std::unique_ptr<Subgraph> body_;
    size_t explicit_inputs_;
};

// The slice `index` of `t` along `axis` (that axis removed), copied.
Tensor take_slice(const Tensor& t, int64_t axis, int64_t index) {
    std::vector<int64_t> dims = t.dims();
    const int64_t n = dims[axis];
    dims.erase(dims.begin() + axis);
    Tensor out = Tensor::allocate(t.dtype(), dims);
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= t.dims()[i];
    const size_t inner = out.nbytes() / static_cast<size_t>(outer > 0 ? outer : 1);
    const auto* src = static_cast<const uint8_t*>(t.data());
    auto* dst = static_cast<uint8_t*>(out.data());
    for (int64_t o = 0; o < outer && inner > 0; ++o) std::memcpy(dst + o * inner, src + (o * n + index) * inner, inner);
    return out;
}

// `parts` (equal dims) stacked along a new `axis`, in reverse order when `reverse`.
Tensor stack_slices(const std::vector<Tensor>& parts, int64_t axis, bool reverse, DataType dtype) {
    const int64_t n = static_cast<int64_t>(parts.size());
    if (parts.empty()) return Tensor::allocate(dtype, {0});
    std::vector<int64_t> dims = parts[0].dims();
    dims.insert(dims.begin() + axis, n);
    Tensor out = Tensor::allocate(parts[0].dtype(), dims);
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= dims[i];
    const size_t inner = parts[0].nbytes() / static_cast<size_t>(outer > 0 ? outer : 1);
    auto* dst = static_cast<uint8_t*>(out.data());
    for (int64_t k = 0; k < n && inner > 0; ++k) {
        const int64_t at = reverse ? n - 1 - k : k;
        const auto* src = static_cast<const uint8_t*>(parts[k].data());
        for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + (o * n + at) * inner, src + o * inner, inner);
    }
    return out;
}

// Scan (opset 8: a batch axis first and an optional sequence_lens input; 9+: no batch axis, per-input
// axes and directions) with body(state..., scan slices...) -> (state..., scan output slices...).
class ScanKernel : public Kernel {
  public:
    struct Axes {
        std::vector<int64_t> in_dirs, out_dirs, in_axes, out_axes;
    };
    ScanKernel(std::unique_ptr<Subgraph> body, int64_t opset, size_t num_scan_inputs, Axes axes, size_t explicit_inputs)
        : body_(std::move(body)),
          opset8_(opset < 9),
          m_(num_scan_inputs),
          axes_(std::move(axes)),
          explicit_inputs_(explicit_inputs) {}

    Status prepare(PrepareContext& ctx) const override {
        if (!all_values_known(ctx)) return ctx.defer();
        const size_t first = opset8_ ? 1 : 0;
        if (explicit_inputs_ < first + m_) return ctx.invalid("fewer inputs than num_scan_inputs");
        const size_t n = explicit_inputs_ - first - m_;
        if (body_->num_formal_inputs() != n + m_)
            return ctx.invalid("body takes " + std::to_string(body_->num_formal_inputs()) + " inputs, expected " +
                               std::to_string(n + m_) + " (state values, then one slice per scan input)");
        if (body_->num_outputs() < n || ctx.num_outputs() != body_->num_outputs())
            return ctx.invalid("body has " + std::to_string(body_->num_outputs()) + " outputs, the node " +
                               std::to_string(ctx.num_outputs()));
        for (size_t i = 0; i < explicit_inputs_; ++i)
            if (ctx.has_input(i) && ctx.value(i)->dtype() == DataType::kString)
                return ctx.unsupported_here("string tensors are not scanned");
        std::vector<const Tensor*> outer;
        for (size_t i = explicit_inputs_; i < ctx.num_inputs(); ++i) outer.push_back(ctx.value(i));
        std::vector<Tensor> states;
        std::vector<const Tensor*> scans;
        for (size_t i = 0; i < n; ++i) states.push_back(ctx.value(first + i)->clone());
        for (size_t j = 0; j < m_; ++j) scans.push_back(ctx.value(first + n + j));
        if (!opset8_) {
            EDGEINFER_ASSIGN_OR_RETURN(auto outs, scan(ctx, std::move(states), scans, outer, axes_));
            for (size_t k = 0; k < outs.size(); ++k) ctx.set_output_value(k, std::move(outs[k]));
            return Status::ok();
        }
        // Opset 8: every state and scan input has the batch axis 0; each batch row is scanned along axis 1.
        int64_t batch = -1;
        for (const Tensor* t : scans)
            if (t->rank() < 2) return ctx.invalid("opset 8 scan inputs need a batch and a sequence axis");
        for (size_t i = 0; i < explicit_inputs_ - first; ++i) {
            const Tensor* t = ctx.value(first + i);
            if (t->rank() < 1) return ctx.invalid("opset 8 inputs need a batch axis");
            if (batch >= 0 && t->dims()[0] != batch) return ctx.invalid("inputs disagree on the batch size");
            batch = t->dims()[0];
        }
        if (ctx.has_input(0)) {
            std::vector<int64_t> lens;
            if (!read_int_values(*ctx.value(0), lens)) return ctx.invalid("sequence_lens must be integers");
            for (int64_t len : lens)
                if (len != scans[0]->dims()[1])
                    return ctx.unsupported_here("sequence_lens shorter than the sequence axis are not supported");
        }
        Axes per_row{axes_.in_dirs, axes_.out_dirs, std::vector<int64_t>(m_, 0), {}};
        std::vector<std::vector<Tensor>> rows(ctx.num_outputs());
        for (int64_t b = 0; b < batch; ++b) {
            std::vector<Tensor> row_states, row_scan_values;
            for (const Tensor& s : states) row_states.push_back(take_slice(s, 0, b));
            for (const Tensor* t : scans) row_scan_values.push_back(take_slice(*t, 0, b));
            std::vector<const Tensor*> row_scans;
            for (const Tensor& t : row_scan_values) row_scans.push_back(&t);
            EDGEINFER_ASSIGN_OR_RETURN(auto outs, scan(ctx, std::move(row_states), row_scans, outer, per_row));
            for (size_t k = 0; k < outs.size(); ++k) rows[k].push_back(std::move(outs[k]));
        }
        for (size_t k = 0; k < rows.size(); ++k)
            ctx.set_output_value(k, stack_slices(rows[k], 0, false, DataType::kFloat32));
        return Status::ok();
    }

    Status run(RunContext& ctx) const override {
        return ctx.error(StatusCode::kInternal, "Scan runs while the plan prepares it; run() is never called");
    }

  private:
    // One scan: the final states, then the stacked scan outputs.
    Result<std::vector<Tensor>> scan(const PrepareContext& ctx, std::vector<Tensor> states,
                                     const std::vector<const Tensor*>& scans, const std::vector<const Tensor*>& outer,
                                     const Axes& axes) const {
        const size_t n = states.size();
        int64_t length = -1;
        std::vector<int64_t> in_axes(scans.size(), 0);
        for (size_t j = 0; j < scans.size(); ++j) {
            int64_t axis = j < axes.in_axes.size() ? axes.in_axes[j] : 0;
            if (!normalize_axis(axis, scans[j]->rank()))
                return ctx.invalid("scan_input_axes[" + std::to_string(j) + "] is outside rank " +
                                   std::to_string(scans[j]->rank()));
            in_axes[j] = axis;
            const int64_t len = scans[j]->dims()[axis];
            if (length >= 0 && len != length)
                return ctx.invalid("scan inputs have different sequence lengths: " + std::to_string(length) + " and " +
                                   std::to_string(len));
            length = len;
        }
        if (length < 0) length = 0;
        const size_t k_outputs = body_->num_outputs() - n;
        std::vector<std::vector<Tensor>> parts(k_outputs);
        std::vector<Tensor> slices(scans.size()), outs;
        for (int64_t t = 0; t < length; ++t) {
            if (deadline_passed())
                return check_deadline(ctx.label() + ": stopped after " + std::to_string(t) + " of " +
                                      std::to_string(length) + " steps");
            std::vector<const Tensor*> ins;
            for (const Tensor& s : states) ins.push_back(&s);
            for (size_t j = 0; j < scans.size(); ++j) {
                const bool reverse = j < axes.in_dirs.size() && axes.in_dirs[j] == 1;
                slices[j] = take_slice(*scans[j], in_axes[j], reverse ? length - 1 - t : t);
                ins.push_back(&slices[j]);
            }
            for (const Tensor* o : outer) ins.push_back(o);
            EDGEINFER_RETURN_IF_ERROR(body_->run(ins, outs));
            for (size_t i = 0; i < n; ++i) states[i] = std::move(outs[i]);
            for (size_t k = 0; k < k_outputs; ++k) {
                Tensor& part = outs[n + k];
                if (!parts[k].empty() && part.dims() != parts[k][0].dims())
                    return ctx.invalid("scan output " + std::to_string(k) + " changes shape between steps: " +
                                       shape_to_string(parts[k][0].dims()) + " then " + shape_to_string(part.dims()));
                parts[k].push_back(std::move(part));
            }
        }
        std::vector<Tensor> result = std::move(states);
        for (size_t k = 0; k < k_outputs; ++k) {
            int64_t axis = k < axes.out_axes.size() ? axes.out_axes[k] : 0;
            const int64_t rank = parts[k].empty() ? 0 : parts[k][0].rank();
            if (!normalize_axis(axis, rank + 1))
                return ctx.invalid("scan_output_axes[" + std::to_string(k) + "] is outside rank " +
                                   std::to_string(rank + 1));
            const bool reverse = k < axes.out_dirs.size() && axes.out_dirs[k] == 1;
            result.push_back(stack_slices(parts[k], axis, reverse, DataType::kFloat32));
        }
        return result;
    }

    std::unique_ptr<Subgraph> body_;
    bool opset8_;
    size_t m_;
    Axes axes_;
    size_t explicit_inputs_;
};

}  // namespace

void register_control_flow_kernels(KernelRegistry& registry) {
    KernelDef if_def;
    if_def.op_type = "If";
    if_def.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        EDGEINFER_ASSIGN_OR_RETURN(auto then_body, compile_body(ctx, "then_branch"));
        EDGEINFER_ASSIGN_OR_RETURN(auto else_body, compile_body(ctx, "else_branch"));
        return std::unique_ptr<Kernel>(new IfKernel(std::move(then_body), std::move(else_body), ctx.node.inputs.size()));
    };
    registry.add(if_def);

    KernelDef loop_def;
    loop_def.op_type = "Loop";
    loop_def.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        if (ctx.node.inputs.size() < 2) return ctx.invalid("Loop needs inputs M and cond (either may be \"\")");
        EDGEINFER_ASSIGN_OR_RETURN(auto body, compile_body(ctx, "body"));
        return std::unique_ptr<Kernel>(new LoopKernel(std::move(body), ctx.node.inputs.size()));
    };
    registry.add(loop_def);

    KernelDef scan_def;
    scan_def.op_type = "Scan";
    scan_def.since_version = 8;
    scan_def.factory = [](const CreateContext& ctx) -> Result<std::unique_ptr<Kernel>> {
        const int64_t m = ctx.node.attr_int("num_scan_inputs", -1);
        if (m < 1) return ctx.invalid("attribute num_scan_inputs must be 1 or more");
        ScanKernel::Axes axes;
        if (ctx.opset < 9) {
            axes.in_dirs = ctx.node.attr_ints("directions");
        } else {
            axes.in_dirs = ctx.node.attr_ints("scan_input_directions");
            axes.out_dirs = ctx.node.attr_ints("scan_output_directions");
            axes.in_axes = ctx.node.attr_ints("scan_input_axes");
            axes.out_axes = ctx.node.attr_ints("scan_output_axes");
        }
        for (const auto* list : {&axes.in_dirs, &axes.out_dirs})
            for (int64_t d : *list)
                if (d != 0 && d != 1) return ctx.invalid("scan directions must be 0 or 1, got " + std::to_string(d));
        EDGEINFER_ASSIGN_OR_RETURN(auto body, compile_body(ctx, "body"));
        return std::unique_ptr<Kernel>(new ScanKernel(std::move(body), ctx.opset, static_cast<size_t>(m),
                                                      std::move(axes), ctx.node.inputs.size()));
    };
    registry.add(scan_def);
}

}  // namespace edgeinfer::kernels::cpu

// Control flow: If and Loop, running their body graphs through the runtime's SubgraphCompiler.
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
        if (ctx.has_input(i) && ctx.value(i) == nullptr) return false;
    return true;
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
        EDGEINFER_ASSIGN_OR_RETURN(bool cond, condition_value(ctx, *ctx.value(0), "cond"));
        const Subgraph& body = cond ? *then_ : *else_;
        std::vector<const Tensor*> outer;
        for (size_t i = explicit_inputs_; i < ctx.num_inputs(); ++i) outer.push_back(ctx.value(i));
        std::vector<Tensor> outs;
        EDGEINFER_RETURN_IF_ERROR(body.run(outer, outs));
        if (outs.size() != ctx.num_outputs())
            return ctx.invalid(std::string(cond ? "then" : "else") + "_branch has " + std::to_string(outs.size()) +
                               " outputs, the node " + std::to_string(ctx.num_outputs()));
        for (size_t k = 0; k < outs.size(); ++k) ctx.set_output_value(k, std::move(outs[k]));
        return Status::ok();
    }

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

        std::vector<Tensor> state;
        for (size_t i = 0; i < carried; ++i) state.push_back(ctx.value(2 + i)->clone());
        std::vector<std::vector<Tensor>> scan_parts(scans);
        Tensor iteration = Tensor::allocate(DataType::kInt64, {});
        Tensor cond_in = Tensor::allocate(DataType::kBool, {});
        std::vector<Tensor> outs;
        // The run's time limit (SessionOptions::run_time_limit_ms) is what stops a Loop that allocates nothing.
        auto stopped = [&](int64_t it) {
            return check_deadline(ctx.label() + ": stopped after " + std::to_string(it) + " of " +
                                  (ctx.has_input(0) ? std::to_string(trip) : "unbounded") + " iterations");
        };
        for (int64_t it = 0; it < trip && keep_going; ++it) {
            if (deadline_passed()) return stopped(it);
            *iteration.data_as<int64_t>() = it;
            *static_cast<uint8_t*>(cond_in.data()) = keep_going ? 1 : 0;
            std::vector<const Tensor*> ins{&iteration, &cond_in};
            for (const Tensor& t : state) ins.push_back(&t);
            for (size_t i = explicit_inputs_; i < ctx.num_inputs(); ++i) ins.push_back(ctx.value(i));
            if (Status st = body_->run(ins, outs); !st.is_ok()) {
                return deadline_passed() ? stopped(it) : st;  // stopped inside the body: name the Loop
            }
            EDGEINFER_ASSIGN_OR_RETURN(keep_going, condition_value(ctx, outs[0], "body's condition output"));
            for (size_t i = 0; i < carried; ++i) state[i] = std::move(outs[1 + i]);
            for (size_t k = 0; k < scans; ++k) {
                Tensor& part = outs[1 + carried + k];
                if (!scan_parts[k].empty() && (part.dims() != scan_parts[k][0].dims() ||
                                               part.dtype() != scan_parts[k][0].dtype()))
                    return ctx.invalid("scan output " + std::to_string(k) + " changes shape between iterations: " +
                                       shape_to_string(scan_parts[k][0].dims()) + " then " + shape_to_string(part.dims()));
                scan_parts[k].push_back(std::move(part));
            }
        }
        for (size_t i = 0; i < carried; ++i) ctx.set_output_value(i, std::move(state[i]));
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

private:
    std::unique_ptr<Subgraph> body_;
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
}

}  // namespace edgeinfer::kernels::cpu

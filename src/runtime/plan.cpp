// Kernel resolution for a session, and Plan build/run for one set of input shapes.
#include "runtime/plan.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <new>

#include "base/status.hpp"
#include "ir/memory.hpp"
#include "kernels/deadline.hpp"
#include "kernels/registry.hpp"
#include "runtime/memory_planner.hpp"
#include "runtime/subgraph.hpp"

namespace edgeinfer::runtime {
namespace {

using ir::allocate_checked;
using ir::checked_bytes;
using kernels::TensorDesc;

// "1x3x224x224, 1x10" for messages.
std::string input_shapes_text(const std::vector<const Tensor*>& inputs) {
    std::string out;
    for (const Tensor* t : inputs) out += (out.empty() ? "" : ", ") + shape_to_string(t->dims());
    return out.empty() ? "(none)" : out;
}

// A kernel's prepare with std::bad_alloc (e.g. a Range or ConstantOfShape computing a huge value)
// turned into kResourceExhausted naming the node.
Status prepare_checked(const kernels::Kernel& kernel, kernels::PrepareContext& ctx, const std::string& label) {
    try {
        return kernel.prepare(ctx);
    } catch (const std::bad_alloc&) {
        return resource_exhausted(label + ": out of memory computing its outputs");
    }
}

// A node whose kernel takes tensors only, given a sequence or an optional.
Status refuse_boxed(const CompiledGraph& graph, const CompiledNode& cn, int slot, ValueKind kind) {
    return invalid_model(cn.label + ": input '" + graph.slot_names[slot] + "' is a " +
                         std::string(value_kind_name(kind)) + ", but " + cn.node->op_type + " takes tensors");
}

int add_slot(CompiledGraph& g, const std::string& name) {
    auto it = g.slot_of.find(name);
    if (it != g.slot_of.end()) return it->second;
    int id = static_cast<int>(g.slot_names.size());
    g.slot_names.push_back(name);
    g.slot_of.emplace(name, id);
    g.initializers.push_back(nullptr);
    return id;
}

std::unordered_map<std::string, DataType> value_types(const ir::Graph& graph) {
    std::unordered_map<std::string, DataType> types;
    for (const auto* list : {&graph.value_info, &graph.outputs, &graph.inputs})
        for (const ir::ValueInfo& v : *list)
            if (v.dtype != DataType::kUndefined) types[v.name] = v.dtype;
    for (const auto& [name, t] : graph.initializers) types[name] = t.dtype();
    return types;
}

// PrepareContext::allow_in_place, as the plan saw it: node `node` may store slot `out` in slot `in`'s bytes.
struct InPlaceRequest {
    int node, out, in;
};

// Per slot, the slot whose arena bytes it uses instead of its own (-1: its own; always the first slot of a
// chain, so a value passed in place from node to node keeps one buffer). A request is granted where `in` is
// an arena value (computed by this plan at run: no input, constant, folded or run-time-shaped value), no graph
// output, last read by `node`, once among its inputs, given to no other output, and `out` has its type and size.
std::vector<int> share_in_place(const CompiledGraph& graph, const std::vector<bool>& in_arena,
                                const std::vector<TensorDesc>& descs, const std::vector<bool>& is_output,
                                const std::vector<InPlaceRequest>& requests) {
    std::vector<int> owner(in_arena.size(), -1);
    std::vector<bool> given(in_arena.size(), false);
    for (const InPlaceRequest& r : requests) {
        if (!in_arena[r.in] || !in_arena[r.out] || is_output[r.in] || given[r.in] || owner[r.out] >= 0) continue;
        if (graph.last_use[r.in] != r.node) continue;
        const std::vector<int>& ins = graph.nodes[r.node].inputs;
        if (std::count(ins.begin(), ins.end(), r.in) != 1) continue;
        const TensorDesc& a = descs[r.in];
        const TensorDesc& b = descs[r.out];
        if (a.dtype != b.dtype || shape_numel(a.dims) != shape_numel(b.dims)) continue;
        given[r.in] = true;
        owner[r.out] = owner[r.in] >= 0 ? owner[r.in] : r.in;
    }
    return owner;
}

}  // namespace

Result<CompiledGraph> compile_graph(const ir::Model& model, const std::string& model_name,
                                    const SessionOptions& options) {
    const ir::Graph& graph = model.graph;
    const kernels::KernelRegistry& registry = kernels::default_registry();
    CompiledGraph g;
    for (const ir::ValueInfo* v : graph.runtime_inputs()) g.input_slots.push_back(add_slot(g, v->name));
    for (const std::string& name : graph.initializer_order)
        g.initializers[add_slot(g, name)] = graph.find_initializer(name);
    auto types = value_types(graph);
    BodyCompiler bodies(model.opset_imports, options);
    std::vector<std::string> problems;
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const ir::Node& node = graph.nodes[i];
        CompiledNode cn;
        cn.node = &node;
        cn.label = node.describe(i);
        kernels::CreateContext ctx{node, cn.label, model.opset_version(node.domain), {}, {}};
        bool pinned = std::find(options.keep_fp32_nodes.begin(), options.keep_fp32_nodes.end(), node.name) !=
                      options.keep_fp32_nodes.end();
        ctx.precision = pinned ? Precision::kFp32 : options.precision;
        ctx.tactics = options.tactics;
        for (const std::string& in : node.inputs) {
            auto t = types.find(in);
            ctx.input_types.push_back(in.empty() || t == types.end() ? DataType::kUndefined : t->second);
            ctx.constant_inputs.push_back(in.empty() ? nullptr : graph.find_initializer(in));
            cn.inputs.push_back(in.empty() ? -1 : add_slot(g, in));
        }
        // Values If/Loop bodies read from this scope: ordinary inputs of the node for ordering,
        // lifetimes and values (see kernels/subgraph.hpp).
        for (const std::string& in : ir::implicit_inputs(node)) {
            auto t = types.find(in);
            ctx.input_types.push_back(t == types.end() ? DataType::kUndefined : t->second);
            ctx.constant_inputs.push_back(graph.find_initializer(in));
            cn.inputs.push_back(add_slot(g, in));
        }
        ctx.subgraphs = &bodies;
        for (const std::string& out : node.outputs) cn.outputs.push_back(out.empty() ? -1 : add_slot(g, out));
        auto def = registry.find(ctx);
        if (!def.is_ok()) {
            problems.push_back(def.status().message());
        } else {
            auto kernel = def.value()->factory(ctx);
            if (!kernel.is_ok())
                problems.push_back(kernel.status().message());
            else
                cn.kernel = std::move(kernel).value();
        }
        g.nodes.push_back(std::move(cn));
    }
    if (!problems.empty()) {
        std::string msg = model_name + ": " + std::to_string(problems.size()) + " of " +
                          std::to_string(graph.nodes.size()) + " nodes cannot run: ";
        for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
        return unsupported(msg);
    }
    for (const ir::ValueInfo& v : graph.outputs) g.output_slots.push_back(add_slot(g, v.name));
    g.last_use.assign(g.slot_names.size(), -1);
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (int s : g.nodes[i].inputs)
            if (s >= 0) g.last_use[s] = static_cast<int>(i);
    return g;
}

Result<std::unique_ptr<Plan>> Plan::build(const CompiledGraph& graph, const std::vector<const Tensor*>& inputs,
                                          int num_threads, size_t memory_limit,
                                          const std::vector<std::string>* recorded_tactics,
                                          const std::vector<const ir::Value*>* boxed_inputs) {
    try {
        return build_unchecked(graph, inputs, num_threads, memory_limit, recorded_tactics, boxed_inputs);
    } catch (const std::bad_alloc&) {
        return resource_exhausted("out of memory while preparing the plan for input shapes " +
                                  input_shapes_text(inputs));
    }
}

Result<std::unique_ptr<Plan>> Plan::build_unchecked(const CompiledGraph& graph,
                                                    const std::vector<const Tensor*>& inputs, int num_threads,
                                                    size_t memory_limit,
                                                    const std::vector<std::string>* recorded_tactics,
                                                    const std::vector<const ir::Value*>* boxed_inputs) {
    omp_set_num_threads(num_threads);
    auto plan = std::unique_ptr<Plan>(new Plan());
    plan->memory_limit_ = memory_limit;
    const size_t num_slots = graph.slot_names.size();
    plan->slots_.resize(num_slots);
    plan->dynamic_values_.resize(num_slots);
    plan->boxed_values_.resize(num_slots);
    plan->boxed_slot_.assign(num_slots, 0);
    std::vector<TensorDesc> descs(num_slots);
    std::vector<bool> known_shape(num_slots, false);
    for (size_t k = 0; k < graph.input_slots.size(); ++k) {
        int s = graph.input_slots[k];
        if (boxed_inputs && k < boxed_inputs->size() && (*boxed_inputs)[k]) {
            // A sequence or an optional: read by every run; its readers are prepared during the run.
            const ir::Value* v = (*boxed_inputs)[k];
            plan->slots_[s].kind = SlotKind::kDynamic;
            plan->boxed_slot_[s] = 1;
            plan->boxed_values_[s] = *v;
            descs[s] = {v->dtype, {}, true, v->kind};
            continue;
        }
        const Tensor* t = inputs[k];
        plan->slots_[s] = {SlotKind::kInput, Tensor::wrap(t->dtype(), t->dims(), nullptr)};
        descs[s] = {t->dtype(), t->dims(), true};
        known_shape[s] = true;
    }
    for (size_t s = 0; s < num_slots; ++s) {
        if (!graph.initializers[s] || plan->slots_[s].kind == SlotKind::kInput) continue;
        plan->slots_[s] = {SlotKind::kConstant, *graph.initializers[s]};
        descs[s] = {graph.initializers[s]->dtype(), graph.initializers[s]->dims(), true};
        known_shape[s] = true;
    }
    plan->steps_.resize(graph.nodes.size());
    std::vector<size_t> arena_slots;
    std::vector<int> producer(num_slots, -1);
    std::vector<InPlaceRequest> in_place;
    size_t max_scratch = 0;
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        const CompiledNode& cn = graph.nodes[i];
        NodeStep& step = plan->steps_[i];
        bool inputs_known = true;
        bool all_constant = true;
        std::vector<TensorDesc> in_descs;
        std::vector<const Tensor*> values;
        std::vector<const ir::Value*> boxed;
        bool boxed_input = false;
        for (int s : cn.inputs) {
            if (s < 0) {
                in_descs.push_back(TensorDesc{});
                values.push_back(nullptr);
                boxed.push_back(nullptr);
                continue;
            }
            if (!known_shape[s]) inputs_known = false;
            in_descs.push_back(descs[s]);
            bool is_const = plan->slots_[s].kind == SlotKind::kConstant;
            all_constant = all_constant && is_const;
            const bool is_boxed = plan->boxed_slot_[s] != 0;
            if (is_boxed && inputs_known && !cn.kernel->takes_non_tensors())
                return refuse_boxed(graph, cn, s, descs[s].kind);
            boxed_input = boxed_input || is_boxed;
            values.push_back(is_const && !is_boxed ? &plan->slots_[s].tensor : nullptr);
            boxed.push_back(is_const && is_boxed ? &plan->boxed_values_[s] : nullptr);
        }
        auto mark_dynamic = [&] {
            step.dynamic = true;
            plan->dynamic_nodes_++;
            for (int s : cn.outputs)
                if (s >= 0) plan->slots_[s].kind = SlotKind::kDynamic;
        };
        if (!inputs_known) {
            mark_dynamic();
            continue;
        }
        for (const TensorDesc& d : in_descs) step.input_dims.push_back(d.dims);
        kernels::PrepareContext pctx(*cn.node, cn.label, std::move(in_descs), std::move(values), cn.outputs.size());
        if (boxed_input) pctx.set_boxed_inputs(std::move(boxed));
        if (recorded_tactics && i < recorded_tactics->size()) pctx.set_recorded_tactic((*recorded_tactics)[i]);
        EDGEINFER_RETURN_IF_ERROR(prepare_checked(*cn.kernel, pctx, cn.label));
        if (pctx.tactic_timed()) plan->tactic_timings_++;
        if (pctx.deferred()) {
            mark_dynamic();
            continue;
        }
        for (size_t k = 0; k < cn.outputs.size(); ++k) {
            int s = cn.outputs[k];
            if (s < 0) continue;
            if (!pctx.outputs()[k].present)
                return internal_error(cn.label + ": kernel did not set output " + std::to_string(k));
            descs[s] = pctx.outputs()[k];
            if (descs[s].kind == ValueKind::kTensor)
                EDGEINFER_RETURN_IF_ERROR(checked_bytes(descs[s].dtype, descs[s].dims,
                                                        cn.label + " output '" + graph.slot_names[s] + "'",
                                                        memory_limit)
                                              .status());
            known_shape[s] = true;
            producer[s] = static_cast<int>(i);
        }
        const bool values_given = pctx.all_output_values_given(cn.outputs);
        bool boxed_output = false;
        for (size_t k = 0; k < cn.outputs.size(); ++k)
            boxed_output = boxed_output || (cn.outputs[k] >= 0 && pctx.outputs()[k].kind != ValueKind::kTensor);
        if ((boxed_input || boxed_output) && !values_given)
            return internal_error(cn.label + ": a kernel given or making sequences must compute them in prepare");
        if ((values_given || all_constant) && !pctx.nondeterministic()) {
            // Fold: the outputs are constants of this plan.
            std::vector<Tensor> outs(cn.outputs.size());
            if (values_given) {
                outs = pctx.output_values();
                for (size_t k = 0; k < cn.outputs.size(); ++k) {
                    ir::Value* v = cn.outputs[k] >= 0 ? pctx.boxed_output(k) : nullptr;
                    if (!v) continue;
                    plan->boxed_values_[cn.outputs[k]] = std::move(*v);
                    plan->boxed_slot_[cn.outputs[k]] = 1;
                }
            } else {
                auto state = pctx.take_state();
                std::vector<uint8_t> scratch(pctx.scratch_bytes() + 64);
                kernels::RunContext rctx;
                for (int s : cn.inputs) rctx.inputs.push_back(s >= 0 ? &plan->slots_[s].tensor : nullptr);
                for (size_t k = 0; k < cn.outputs.size(); ++k) {
                    if (cn.outputs[k] >= 0) {
                        const int s = cn.outputs[k];
                        EDGEINFER_ASSIGN_OR_RETURN(
                            outs[k],
                            allocate_checked(descs[s].dtype, descs[s].dims,
                                             cn.label + " output '" + graph.slot_names[s] + "'", memory_limit));
                    }
                    rctx.outputs.push_back(cn.outputs[k] >= 0 ? &outs[k] : nullptr);
                }
                rctx.state = state.get();
                rctx.scratch = scratch.data();
                rctx.scratch_bytes = pctx.scratch_bytes();
                rctx.num_threads = num_threads;
                rctx.label = &cn.label;
                EDGEINFER_RETURN_IF_ERROR(cn.kernel->run(rctx));
            }
            for (size_t k = 0; k < cn.outputs.size(); ++k)
                if (cn.outputs[k] >= 0) plan->slots_[cn.outputs[k]] = {SlotKind::kConstant, outs[k]};
            step.folded = true;
            plan->folded_nodes_++;
            continue;
        }
        for (const auto& [out, in] : pctx.in_place())
            if (out < cn.outputs.size() && in < cn.inputs.size() && cn.outputs[out] >= 0 && cn.inputs[in] >= 0)
                in_place.push_back({static_cast<int>(i), cn.outputs[out], cn.inputs[in]});
        step.state = pctx.take_state();
        step.scratch_bytes = pctx.scratch_bytes();
        step.implementation = pctx.implementation();
        step.tactic = pctx.tactic();
        max_scratch = std::max(max_scratch, step.scratch_bytes);
        for (int s : cn.outputs) {
            if (s < 0) continue;
            plan->slots_[s].kind = SlotKind::kArena;
            arena_slots.push_back(static_cast<size_t>(s));
        }
    }

    // Arena: one buffer for every static intermediate, reused across non-overlapping lifetimes.
    std::vector<bool> is_output(num_slots, false);
    for (int s : graph.output_slots) is_output[s] = true;
    std::vector<bool> in_arena(num_slots, false);
    for (size_t s : arena_slots) in_arena[s] = true;
    const std::vector<int> owner = share_in_place(graph, in_arena, descs, is_output, in_place);
    // One buffer request per owner; a slot sharing its owner's bytes extends the owner's lifetime.
    std::vector<BufferRequest> requests;
    std::vector<size_t> buffer_of(num_slots, 0);
    for (size_t s : arena_slots) {
        const int last = is_output[s] ? static_cast<int>(graph.nodes.size()) : std::max(graph.last_use[s], producer[s]);
        if (owner[s] >= 0) {
            buffer_of[s] = buffer_of[owner[s]];  // owners come first: they are produced earlier
            requests[buffer_of[s]].last_step = std::max(requests[buffer_of[s]].last_step, last);
            continue;
        }
        BufferRequest r;
        r.bytes = static_cast<size_t>(shape_numel(descs[s].dims)) * dtype_size(descs[s].dtype);
        r.first_step = producer[s];
        r.last_step = last;
        buffer_of[s] = requests.size();
        requests.push_back(r);
    }
    MemoryPlan mem = plan_memory(requests);
    plan->arena_bytes_ = mem.arena_bytes;
    size_t total = 0;
    if (__builtin_add_overflow(mem.arena_bytes, max_scratch, &total) || (memory_limit != 0 && total > memory_limit))
        return resource_exhausted(
            "the intermediate values for input shapes " + input_shapes_text(inputs) + " need " +
            ir::format_bytes(static_cast<double>(mem.arena_bytes)) + " (+ " +
            ir::format_bytes(static_cast<double>(max_scratch)) + " scratch), more than the memory limit of " +
            ir::format_bytes(static_cast<double>(memory_limit)) + " (SessionOptions::max_memory_bytes, --max-memory)");
    if (mem.arena_bytes > 0) {
        void* p = std::aligned_alloc(64, (mem.arena_bytes + 63) / 64 * 64);
        if (!p)
            return resource_exhausted("cannot allocate the " + ir::format_bytes(static_cast<double>(mem.arena_bytes)) +
                                      " arena for input shapes " + input_shapes_text(inputs));
        plan->arena_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
    }
    for (size_t s : arena_slots) {
        auto* base = static_cast<uint8_t*>(plan->arena_.get());
        plan->slots_[s].tensor =
            Tensor::wrap(descs[s].dtype, descs[s].dims, base ? base + mem.offsets[buffer_of[s]] : nullptr);
    }
    plan->scratch_bytes_ = max_scratch;
    if (max_scratch > 0) {
        void* p = std::aligned_alloc(64, (max_scratch + 63) / 64 * 64);
        if (!p)
            return resource_exhausted("cannot allocate " + ir::format_bytes(static_cast<double>(max_scratch)) +
                                      " of scratch memory");
        plan->scratch_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
    }
    // Prebuilt run contexts: static nodes run with no allocation.
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        NodeStep& step = plan->steps_[i];
        if (step.folded || step.dynamic) continue;
        const CompiledNode& cn = graph.nodes[i];
        for (int s : cn.inputs) step.ctx.inputs.push_back(s >= 0 ? &plan->slots_[s].tensor : nullptr);
        for (int s : cn.outputs) step.ctx.outputs.push_back(s >= 0 ? &plan->slots_[s].tensor : nullptr);
        step.ctx.state = step.state.get();
        step.ctx.scratch = plan->scratch_.get();
        step.ctx.scratch_bytes = step.scratch_bytes;
        step.ctx.num_threads = num_threads;
        step.ctx.label = &cn.label;
    }
    for (int s : graph.output_slots) {
        bool dynamic = plan->slots_[s].kind == SlotKind::kDynamic;
        plan->output_descs_.push_back(dynamic ? TensorDesc{} : descs[s]);
    }
    return plan;
}

Status Plan::run_dynamic_node(const CompiledGraph& graph, size_t index, NodeStep& step) {
    (void)step;
    const CompiledNode& cn = graph.nodes[index];
    std::vector<const Tensor*> ins;
    std::vector<TensorDesc> in_descs;
    std::vector<const ir::Value*> boxed;
    bool boxed_input = false;
    for (int s : cn.inputs) {
        if (s >= 0 && boxed_slot_[s]) {
            const ir::Value& v = boxed_values_[s];
            if (!cn.kernel->takes_non_tensors()) return refuse_boxed(graph, cn, s, v.kind);
            ins.push_back(nullptr);
            in_descs.push_back(TensorDesc{v.dtype, {}, true, v.kind});
            boxed.push_back(&v);
            boxed_input = true;
            continue;
        }
        const Tensor* t = nullptr;
        if (s >= 0) t = slots_[s].kind == SlotKind::kDynamic ? &dynamic_values_[s] : &slots_[s].tensor;
        ins.push_back(t);
        in_descs.push_back(t ? TensorDesc{t->dtype(), t->dims(), true} : TensorDesc{});
        boxed.push_back(nullptr);
    }
    kernels::PrepareContext pctx(*cn.node, cn.label, std::move(in_descs), ins, cn.outputs.size());
    if (boxed_input) pctx.set_boxed_inputs(std::move(boxed));
    pctx.forbid_timing();  // prepared again every run: never time here
    EDGEINFER_RETURN_IF_ERROR(prepare_checked(*cn.kernel, pctx, cn.label));
    if (pctx.deferred()) return internal_error(cn.label + ": kernel deferred although every input value is known");
    std::vector<Tensor*> outs;
    for (size_t k = 0; k < cn.outputs.size(); ++k) {
        int s = cn.outputs[k];
        if (s < 0) {
            outs.push_back(nullptr);
            continue;
        }
        const TensorDesc& d = pctx.outputs()[k];
        if (!d.present) return internal_error(cn.label + ": kernel did not set output " + std::to_string(k));
        if (ir::Value* v = pctx.boxed_output(k)) {
            boxed_values_[s] = std::move(*v);
            boxed_slot_[s] = 1;
            outs.push_back(nullptr);
            continue;
        }
        boxed_slot_[s] = 0;
        if (pctx.output_values()[k].empty()) {
            EDGEINFER_ASSIGN_OR_RETURN(
                dynamic_values_[s],
                allocate_checked(d.dtype, d.dims, cn.label + " output '" + graph.slot_names[s] + "'", memory_limit_));
        } else {
            dynamic_values_[s] = pctx.output_values()[k];
        }
        outs.push_back(&dynamic_values_[s]);
    }
    if (pctx.all_output_values_given(cn.outputs)) return Status::ok();
    if (boxed_input) return internal_error(cn.label + ": a kernel given sequences must compute them in prepare");
    auto state = pctx.take_state();
    std::vector<uint8_t> scratch(pctx.scratch_bytes() + 64);
    kernels::RunContext rctx;
    rctx.inputs = ins;
    rctx.outputs = outs;
    rctx.state = state.get();
    auto addr = reinterpret_cast<uintptr_t>(scratch.data());
    rctx.scratch = scratch.data() + ((64 - addr % 64) % 64);
    rctx.scratch_bytes = pctx.scratch_bytes();
    rctx.num_threads = omp_get_max_threads();
    rctx.label = &cn.label;
    return cn.kernel->run(rctx);
}

Status Plan::run(const CompiledGraph& graph, const std::vector<const Tensor*>& inputs, int num_threads,
                 ProfileSink profile, const std::vector<const ir::Value*>* boxed_inputs) {
    omp_set_num_threads(num_threads);
    for (size_t k = 0; k < graph.input_slots.size(); ++k) {
        const int s = graph.input_slots[k];
        if (boxed_slot_[s]) {
            if (!boxed_inputs || k >= boxed_inputs->size() || !(*boxed_inputs)[k])
                return internal_error("input '" + graph.slot_names[s] + "' was a " +
                                      std::string(value_kind_name(boxed_values_[s].kind)) +
                                      " when the plan was built; this run gives none");
            boxed_values_[s] = *(*boxed_inputs)[k];
            continue;
        }
        Tensor& slot = slots_[s].tensor;
        if (inputs[k]->dtype() == DataType::kString)
            slot = *inputs[k];  // shares the caller's strings (a string tensor has no flat buffer to point at)
        else
            slot.rebind(const_cast<void*>(inputs[k]->data()));
    }
    for (size_t i = 0; i < steps_.size(); ++i) {
        NodeStep& step = steps_[i];
        if (step.folded) continue;
        auto start = profile.nodes ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        Status st;
        try {
            st = step.dynamic ? run_dynamic_node(graph, i, step) : graph.nodes[i].kernel->run(step.ctx);
        } catch (const std::bad_alloc&) {
            st = resource_exhausted(graph.nodes[i].label + ": out of memory");
        }
        if (st.is_ok()) st = kernels::check_deadline(graph.nodes[i].label);
        if (!st.is_ok()) return st;
        if (profile.nodes) {
            auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
            NodeProfile& p = (*profile.nodes)[i];
            p.total_us += us;
            p.runs += 1;
        }
    }
    return Status::ok();
}

const Tensor& Plan::output(const CompiledGraph& graph, size_t k) const {
    static const Tensor kNone;
    int s = graph.output_slots[k];
    if (boxed_slot_[s]) return kNone;
    return slots_[s].kind == SlotKind::kDynamic ? dynamic_values_[s] : slots_[s].tensor;
}

const ir::Value* Plan::boxed_output(const CompiledGraph& graph, size_t k) const {
    int s = graph.output_slots[k];
    return boxed_slot_[s] ? &boxed_values_[s] : nullptr;
}

}  // namespace edgeinfer::runtime

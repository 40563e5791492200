// edgeinfer::Session: model loading, kernel resolution, per-shape plan cache, input checks, engine files.
#include "edgeinfer/session.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "base/logging.hpp"
#include "base/status.hpp"
#include "ir/memory.hpp"
#include "kernels/deadline.hpp"
#include "model/onnx_model.hpp"
#include "passes/fp16_lowering.hpp"
#include "passes/shape_inference.hpp"
#include "runtime/engine_file.hpp"
#include "runtime/graph_optimizer.hpp"
#include "runtime/plan.hpp"
#include "runtime/session_internal.hpp"

namespace edgeinfer {

class Session::Impl {
  public:
    ir::Model model;
    std::string name;
    SessionOptions options;
    int threads = 1;
    runtime::CompiledGraph graph;
    std::vector<ValueDescription> input_desc;
    std::vector<ValueDescription> output_desc;
    std::vector<const ir::ValueInfo*> input_info;
    std::map<std::vector<std::vector<int64_t>>, std::unique_ptr<runtime::Plan>> plans;
    std::vector<std::vector<std::vector<int64_t>>> plan_order;  // oldest first, for eviction
    runtime::Plan* last_plan = nullptr;                         // fast path: same shapes as last run
    std::vector<std::vector<int64_t>> last_key;
    std::vector<const Tensor*> ordered;  // reused between runs
    // Sequence and optional inputs (ValueInfo::kind): their values this run, per runtime input, and the
    // pointers Plan::build/run read (nullptr for tensor inputs). Empty for models without any.
    mutable std::vector<ir::Value> boxed_storage;
    mutable std::vector<const ir::Value*> boxed_ordered;
    bool has_boxed_inputs = false;
    std::vector<NodeProfile> profile;
    size_t tactic_timings = 0;
    // Per plan key: the tactics an engine file recorded (used by plan_for, so loaded plans time nothing).
    std::map<std::vector<std::vector<int64_t>>, std::vector<std::string>> recorded_tactics;
    mutable std::mutex mutex;  // one run at a time per session (plans own their arenas)
    // Engine files: the model bytes' SHA-256, computed at creation when needed, else by save_engine
    // from model_file if its size and modification time are still those seen at creation.
    mutable std::string model_sha256;
    std::string model_file;
    uintmax_t model_file_size = 0;
    std::filesystem::file_time_type model_file_time{};
    EngineReport engine;

    // `sha`: the model's content hash when the caller computed it (engine caches), else the bytes' SHA-256.
    static Result<std::unique_ptr<Impl>> create(const void* data, size_t size, const std::string& display_name,
                                                const std::string& base_dir, const SessionOptions& opts,
                                                std::string sha = "");
    // SessionOptions::engine_cache_dir: load the entry, or build the session and write the entry.
    static Result<std::unique_ptr<Impl>> create_cached(const void* data, size_t size, const std::string& display_name,
                                                       const std::string& base_dir, const SessionOptions& opts);
    Result<runtime::EngineFile> to_engine_file(const std::string& path) const;
    // Without profiles: plans the inputs' shapes when the model fixes all of them (before a cache write).
    Status plan_static_inputs();
    Status init(ir::Model loaded, const SessionOptions& opts);
    Status compile();
    Status load_engine(const std::string& model_name, const SessionOptions& opts);
    Status init_from_engine(const runtime::EngineFile& e, const std::string& model_name, const SessionOptions& opts);
    Status check_inputs(const std::vector<NamedTensor>& inputs, std::vector<const Tensor*>& ordered) const;
    Status check_boxed_input(const NamedTensor& nt, size_t k, std::vector<const Tensor*>& ordered) const;
    // Shape profiles: checked against the model and their opt shapes planned (after compile).
    Status prepare_profiles();
    Status check_profiles(const std::vector<const Tensor*>& ordered) const;
    // Per profile, (runtime input index, its range) for each input the profile names.
    std::vector<std::vector<std::pair<size_t, const InputShapeRange*>>> profile_ranges;
    Result<runtime::Plan*> plan_for(const std::vector<const Tensor*>& ordered);
    Result<runtime::Plan*> execute(const std::vector<NamedTensor>& inputs);
};

namespace {

constexpr size_t kMaxPlans = 16;

ValueDescription describe(const ir::ValueInfo& v) {
    ValueDescription d;
    d.name = v.name;
    d.dtype = v.dtype;
    d.kind = v.kind;
    for (const ir::Dim& dim : v.shape.dims) {
        d.dims.push_back(dim.is_known() ? dim.value : -1);
        d.symbols.push_back(dim.symbol);
    }
    return d;
}

}  // namespace

Status Session::Impl::init(ir::Model loaded, const SessionOptions& opts) {
    kernels::ScopedDeadline deadline(opts.run_time_limit_ms);  // a Loop that runs while plans are built
    model = std::move(loaded);
    name = model.source_path.empty() ? "<model>" : model.source_path;
    options = opts;
    // int8 runs a quantized (QDQ or QLinear*) model's int8 paths; a float model has none to run.
    if (opts.precision == Precision::kInt8 && !runtime::has_quantized_nodes(model))
        return unsupported(name +
                           ": precision int8: model has no quantization (no QuantizeLinear/DequantizeLinear "
                           "or QLinear* nodes); run `edgeinfer quantize` first");
    threads = opts.num_threads > 0 ? opts.num_threads : omp_get_num_procs();
    // float16 models compute in float32 whatever the optimization level (docs/precision.md): oneDNN 2.6
    // has no float16 CPU kernels. Before the other passes, so they see float32 weights.
    if (passes::lower_fp16_to_fp32(model))
        base::log_info(name +
                       ": float16 model: computing in float32, float16 kept at the graph inputs and outputs "
                       "(oneDNN 2.6 has no float16 CPU kernels; effective ISA " +
                       runtime::effective_isa_name() + ")");
    EDGEINFER_RETURN_IF_ERROR(runtime::optimize_for_session(model, opts.optimization_level, opts.precision,
                                                            opts.keep_fp32_nodes, opts.tactics));
    EDGEINFER_RETURN_IF_ERROR(compile());
    return prepare_profiles();
}

// Kernels for the (optimized) model, input/output descriptions, profile rows.
Status Session::Impl::compile() {
    EDGEINFER_ASSIGN_OR_RETURN(graph, runtime::compile_graph(model, name, options));
    for (const ir::ValueInfo* v : model.graph.runtime_inputs()) {
        input_info.push_back(v);
        input_desc.push_back(describe(*v));
        has_boxed_inputs = has_boxed_inputs || v->kind != ValueKind::kTensor;
    }
    if (has_boxed_inputs) {
        boxed_storage.resize(input_info.size());
        boxed_ordered.assign(input_info.size(), nullptr);
    }
    for (const ir::ValueInfo& v : model.graph.outputs) output_desc.push_back(describe(v));
    profile.resize(graph.nodes.size());
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
        profile[i].node_name = graph.nodes[i].node->name;
        profile[i].op_type = graph.nodes[i].node->op_type;
        profile[i].kernel = "cpu";
    }
    return Status::ok();
}

Status Session::Impl::check_inputs(const std::vector<NamedTensor>& inputs, std::vector<const Tensor*>& ordered) const {
    ordered.resize(input_info.size());
    std::fill(ordered.begin(), ordered.end(), nullptr);
    for (const NamedTensor& nt : inputs) {
        size_t k = 0;
        while (k < input_info.size() && input_info[k]->name != nt.name) ++k;
        if (k == input_info.size()) {
            std::string known;
            for (const auto* v : input_info) known += (known.empty() ? "" : ", ") + v->name;
            return invalid_argument(name + ": unknown input '" + nt.name + "' (the model's inputs are: " + known + ")");
        }
        if (ordered[k]) return invalid_argument(name + ": input '" + nt.name + "' is given more than once");
        const ir::ValueInfo& v = *input_info[k];
        if (v.kind != ValueKind::kTensor || nt.kind != ValueKind::kTensor) {
            EDGEINFER_RETURN_IF_ERROR(check_boxed_input(nt, k, ordered));
            continue;
        }
        const Tensor& t = nt.tensor;
        if (v.dtype != DataType::kUndefined && t.dtype() != v.dtype)
            return invalid_argument(name + ": input '" + nt.name + "' has dtype " + std::string(dtype_name(t.dtype())) +
                                    ", the model expects " + std::string(dtype_name(v.dtype)));
        if (v.shape.has_rank) {
            if (t.rank() != v.shape.rank())
                return invalid_argument(name + ": input '" + nt.name + "' has rank " + std::to_string(t.rank()) + " (" +
                                        shape_to_string(t.dims()) + "), the model expects rank " +
                                        std::to_string(v.shape.rank()) + " (" + v.shape.to_string() + ")");
            for (size_t d = 0; d < v.shape.dims.size(); ++d)
                if (v.shape.dims[d].is_known() && v.shape.dims[d].value != t.dims()[d])
                    return invalid_argument(name + ": input '" + nt.name + "' has shape " + shape_to_string(t.dims()) +
                                            " but dim " + std::to_string(d) + " must be " +
                                            std::to_string(v.shape.dims[d].value) + " (" + v.shape.to_string() + ")");
        }
        for (int64_t d : t.dims())
            if (d < 0) return invalid_argument(name + ": input '" + nt.name + "' has a negative dim");
        // The message is built only on failure: a steady-state run allocates nothing.
        if (t.dtype() != DataType::kString && !ir::fits_in_bytes(t.dtype(), t.dims()))
            return ir::checked_bytes(t.dtype(), t.dims(), name + ": input '" + nt.name + "'").status();
        if (t.data() == nullptr && t.numel() > 0 && t.dtype() != DataType::kString)
            return invalid_argument(name + ": input '" + nt.name + "' has no data");
        ordered[k] = &t;
    }
    for (size_t k = 0; k < input_info.size(); ++k)
        if (!ordered[k])
            return invalid_argument(name + ": missing input '" + input_info[k]->name + "' (" +
                                    (input_info[k]->kind == ValueKind::kTensor
                                         ? ""
                                         : std::string(value_kind_name(input_info[k]->kind)) + " of ") +
                                    std::string(dtype_name(input_info[k]->dtype)) + " [" +
                                    input_info[k]->shape.to_string() + "])");
    // The same symbolic dim must have one value across inputs (checked without allocating).
    for (size_t k = 0; k < input_info.size(); ++k) {
        if (input_info[k]->kind != ValueKind::kTensor) continue;
        const ir::Shape& s = input_info[k]->shape;
        for (size_t d = 0; d < s.dims.size() && s.has_rank; ++d) {
            if (s.dims[d].symbol.empty()) continue;
            for (size_t k2 = 0; k2 <= k; ++k2) {
                const ir::Shape& s2 = input_info[k2]->shape;
                for (size_t d2 = 0; d2 < s2.dims.size() && (k2 < k || d2 < d); ++d2) {
                    if (input_info[k2]->kind != ValueKind::kTensor) break;
                    if (s2.dims[d2].symbol != s.dims[d].symbol) continue;
                    int64_t v = ordered[k]->dims()[d], v2 = ordered[k2]->dims()[d2];
                    if (v != v2)
                        return invalid_argument(name + ": dim '" + s.dims[d].symbol + "' is " + std::to_string(v) +
                                                " in input '" + input_info[k]->name + "' but " + std::to_string(v2) +
                                                " in input '" + input_info[k2]->name + "'");
                }
            }
        }
    }
    return Status::ok();
}

// A sequence or optional input (or a tensor where the model declares one, or the reverse): checked, kept in
// boxed_storage[k], with a placeholder tensor in `ordered` (plans are keyed by it; it never changes).
Status Session::Impl::check_boxed_input(const NamedTensor& nt, size_t k, std::vector<const Tensor*>& ordered) const {
    static const Tensor kPlaceholder;
    const ir::ValueInfo& v = *input_info[k];
    const std::string what = name + ": input '" + nt.name + "'";
    ValueKind given = nt.kind;
    // A plain tensor or sequence where the model declares an optional of it: the optional holding it.
    const bool wraps = (v.kind == ValueKind::kOptionalTensor && given == ValueKind::kTensor) ||
                       (v.kind == ValueKind::kOptionalSequence && given == ValueKind::kSequence);
    if (given != v.kind && !wraps)
        return invalid_argument(what + " is a " + std::string(value_kind_name(given)) + ", the model expects a " +
                                std::string(value_kind_name(v.kind)) + " of " + std::string(dtype_name(v.dtype)));
    ir::Value value;
    const bool empty_optional = ir::is_optional(given) && !nt.has_value;
    if (empty_optional) {
        value = ir::Value::none(v.kind, v.dtype);
    } else if (given == ValueKind::kTensor || given == ValueKind::kOptionalTensor) {
        if (nt.tensor.empty()) return invalid_argument(what + " holds no tensor (set has_value = false for none)");
        value = ir::Value::of_tensor(nt.tensor);
    } else {
        value = ir::Value::sequence(v.dtype, nt.sequence);
    }
    std::vector<const Tensor*> tensors;
    if (!value.tensor.empty()) tensors.push_back(&value.tensor);
    for (const Tensor& t : value.items) tensors.push_back(&t);
    for (size_t i = 0; i < tensors.size(); ++i) {
        const Tensor& t = *tensors[i];
        const std::string which = value.holds_sequence() ? what + " element " + std::to_string(i) : what;
        if (v.dtype != DataType::kUndefined && t.dtype() != v.dtype)
            return invalid_argument(which + " has dtype " + std::string(dtype_name(t.dtype())) +
                                    ", the model expects " + std::string(dtype_name(v.dtype)));
        if (t.dtype() != DataType::kString && !ir::fits_in_bytes(t.dtype(), t.dims()))
            return ir::checked_bytes(t.dtype(), t.dims(), which).status();
        if (t.data() == nullptr && t.numel() > 0 && t.dtype() != DataType::kString)
            return invalid_argument(which + " has no data");
    }
    if (ir::is_optional(v.kind) && !empty_optional) value = ir::Value::optional_of(std::move(value));
    boxed_storage[k] = std::move(value);  // per run (one run at a time per session)
    boxed_ordered[k] = &boxed_storage[k];
    ordered[k] = &kPlaceholder;
    return Status::ok();
}

namespace {

bool in_range(const std::vector<int64_t>& dims, const InputShapeRange& r) {
    if (dims.size() != r.min.size()) return false;
    for (size_t d = 0; d < dims.size(); ++d)
        if (dims[d] < r.min[d] || dims[d] > r.max[d]) return false;
    return true;
}

}  // namespace

Status Session::Impl::prepare_profiles() {
    profile_ranges.clear();
    const std::vector<ShapeProfile>& profiles = options.shape_profiles;
    static uint8_t no_data;  // plans are built from dtypes and shapes; check_inputs wants a data pointer
    for (size_t p = 0; p < profiles.size(); ++p) {
        const std::string where = name + ": shape profile " + std::to_string(p);
        std::vector<std::pair<size_t, const InputShapeRange*>> ranges;
        for (const InputShapeRange& r : profiles[p].inputs) {
            size_t k = 0;
            while (k < input_info.size() && input_info[k]->name != r.name) ++k;
            if (k == input_info.size()) {
                std::string known;
                for (const auto* v : input_info) known += (known.empty() ? "" : ", ") + v->name;
                return invalid_argument(where + " names input '" + r.name + "', the model's inputs are: " + known);
            }
            for (const auto& [other, unused] : ranges)
                if (other == k) return invalid_argument(where + " names input '" + r.name + "' twice");
            const ir::Shape& shape = input_info[k]->shape;
            const std::string range = runtime::shape_range_text(r);
            if (r.min.size() != r.opt.size() || r.opt.size() != r.max.size() ||
                (shape.has_rank && r.min.size() != static_cast<size_t>(shape.rank())))
                return invalid_argument(where + ": " + range + ": min, opt and max must have the input's rank " +
                                        std::to_string(shape.rank()) + " (" + shape.to_string() + ")");
            for (size_t d = 0; d < r.min.size(); ++d) {
                if (r.min[d] < 0 || r.min[d] > r.opt[d] || r.opt[d] > r.max[d])
                    return invalid_argument(where + ": " + range + ": dim " + std::to_string(d) +
                                            " must satisfy 0 <= min <= opt <= max");
                if (shape.has_rank && shape.dims[d].is_known() &&
                    (r.min[d] != shape.dims[d].value || r.max[d] != shape.dims[d].value))
                    return invalid_argument(where + ": " + range + ": dim " + std::to_string(d) + " is fixed at " +
                                            std::to_string(shape.dims[d].value) + " in the model (" +
                                            shape.to_string() + ")");
            }
            ranges.emplace_back(k, &r);
        }
        // Plan the opt shapes (inputs the profile does not name must have fixed shapes).
        std::vector<NamedTensor> opt;
        for (size_t k = 0; k < input_info.size(); ++k) {
            const ir::ValueInfo& v = *input_info[k];
            auto named = std::find_if(ranges.begin(), ranges.end(), [k](const auto& e) { return e.first == k; });
            std::optional<std::vector<int64_t>> dims;
            if (named != ranges.end())
                dims = named->second->opt;
            else
                dims = v.shape.static_dims();
            if (!dims)
                return invalid_argument(where + " does not name input '" + v.name + "', which has dynamic dims (" +
                                        v.shape.to_string() + ")");
            opt.push_back({v.name, Tensor::wrap(v.dtype, *dims, &no_data)});
        }
        profile_ranges.push_back(std::move(ranges));
        Status st = check_inputs(opt, ordered);
        if (!st.is_ok()) return invalid_argument(where + ": opt shapes: " + st.message());
        EDGEINFER_RETURN_IF_ERROR(plan_for(ordered).status().with_context(where + ": opt shapes"));
    }
    ordered.clear();
    return Status::ok();
}

// Allocation-free when the shapes lie in a profile; the message is built only on failure.
Status Session::Impl::check_profiles(const std::vector<const Tensor*>& ordered) const {
    if (profile_ranges.empty()) return Status::ok();
    for (const auto& ranges : profile_ranges) {
        bool fits = true;
        for (const auto& [k, r] : ranges) fits = fits && in_range(ordered[k]->dims(), *r);
        if (fits) return Status::ok();
    }
    // Name the first input outside profile 0's ranges (or of a later profile's when profile 0 fits it).
    for (const auto& ranges : profile_ranges)
        for (const auto& [k, r] : ranges) {
            if (in_range(ordered[k]->dims(), *r)) continue;
            const std::string& input = input_info[k]->name;
            std::string allowed;
            for (size_t p = 0; p < profile_ranges.size(); ++p) {
                allowed += (p ? "; " : "") + std::string("profile ") + std::to_string(p) + ": ";
                const size_t input_index = k;  // clang 14 cannot capture a structured binding
                auto it = std::find_if(profile_ranges[p].begin(), profile_ranges[p].end(),
                                       [input_index](const auto& e) { return e.first == input_index; });
                allowed +=
                    it == profile_ranges[p].end() ? input + " any shape" : runtime::shape_range_text(*it->second);
            }
            return invalid_argument(name + ": input '" + input + "' has shape [" + shape_to_string(ordered[k]->dims()) +
                                    "], outside every shape profile (" + allowed + ")");
        }
    return invalid_argument(name + ": the input shapes lie in no shape profile (" +
                            runtime::shape_profiles_text(options.shape_profiles) + ")");
}

Result<runtime::Plan*> Session::Impl::plan_for(const std::vector<const Tensor*>& ordered) {
    if (last_plan) {
        bool same = true;
        for (size_t k = 0; k < ordered.size() && same; ++k) same = ordered[k]->dims() == last_key[k];
        if (same) return last_plan;
    }
    std::vector<std::vector<int64_t>> key;
    for (const Tensor* t : ordered) key.push_back(t->dims());
    auto it = plans.find(key);
    if (it != plans.end()) {
        last_plan = it->second.get();
        last_key = key;
        return last_plan;
    }
    auto recorded = recorded_tactics.find(key);
    EDGEINFER_ASSIGN_OR_RETURN(
        auto plan, runtime::Plan::build(graph, ordered, threads, ir::effective_memory_limit(options.max_memory_bytes),
                                        recorded == recorded_tactics.end() ? nullptr : &recorded->second,
                                        has_boxed_inputs ? &boxed_ordered : nullptr));
    tactic_timings += plan->tactic_timings();
    for (size_t i = 0; i < profile.size(); ++i) {  // the newest plan's kernel choices (profiles show one)
        if (!plan->implementation(i).empty()) profile[i].kernel = plan->implementation(i);
        if (!plan->tactic(i).empty()) profile[i].tactic = plan->tactic(i);
        if (!plan->input_dims(i).empty()) profile[i].input_shapes = plan->input_dims(i);
    }
    if (plans.size() >= kMaxPlans) {
        if (plans[plan_order.front()].get() == last_plan) last_plan = nullptr;
        plans.erase(plan_order.front());
        plan_order.erase(plan_order.begin());
    }
    plan_order.push_back(key);
    runtime::Plan* raw = plan.get();
    last_plan = raw;
    last_key = key;
    plans.emplace(std::move(key), std::move(plan));
    return raw;
}

Result<runtime::Plan*> Session::Impl::execute(const std::vector<NamedTensor>& inputs) {
    EDGEINFER_RETURN_IF_ERROR(check_inputs(inputs, ordered));
    EDGEINFER_RETURN_IF_ERROR(check_profiles(ordered));
    kernels::ScopedDeadline deadline(options.run_time_limit_ms);
    EDGEINFER_ASSIGN_OR_RETURN(runtime::Plan * plan, plan_for(ordered));
    runtime::ProfileSink sink;
    if (options.enable_profiling) sink.nodes = &profile;
    Status st = plan->run(graph, ordered, threads, sink, has_boxed_inputs ? &boxed_ordered : nullptr);
    if (!st.is_ok()) return st.with_context(name);
    return plan;
}

// The saved graph as it was compiled (no optimization, no shape inference: its value types are
// those the saved session compiled with), then the plans the file lists, built now.
Status Session::Impl::init_from_engine(const runtime::EngineFile& e, const std::string& model_name,
                                       const SessionOptions& opts) {
    const std::string& path = opts.engine_path;
    EDGEINFER_ASSIGN_OR_RETURN(
        model, model::load_model_from_bytes(e.graph.data(), e.graph.size(), {}, path + " (prepared graph)"));
    model.source_path = model_name;
    name = model_name;
    options = opts;
    threads = opts.num_threads > 0 ? opts.num_threads : omp_get_num_procs();
    EDGEINFER_RETURN_IF_ERROR(compile());
    static uint8_t no_data;  // plans are built from dtypes and shapes; check_inputs wants a data pointer
    std::string differ;
    size_t differ_count = 0;
    for (size_t p = 0; p < e.plans.size(); ++p) {
        const runtime::EnginePlan& ep = e.plans[p];
        if (ep.input_dims.size() != input_info.size() || ep.implementations.size() != graph.nodes.size() ||
            ep.tactics.size() != graph.nodes.size())
            return invalid_argument("plan " + std::to_string(p) + " has " + std::to_string(ep.input_dims.size()) +
                                    " inputs and " + std::to_string(ep.implementations.size()) +
                                    " nodes, the graph has " + std::to_string(input_info.size()) + " and " +
                                    std::to_string(graph.nodes.size()));
        std::vector<NamedTensor> shapes;
        for (size_t k = 0; k < ep.input_dims.size(); ++k)
            shapes.push_back({input_info[k]->name, Tensor::wrap(ep.input_dtypes[k], ep.input_dims[k], &no_data)});
        Status st = check_inputs(shapes, ordered);
        if (!st.is_ok()) return invalid_argument("plan " + std::to_string(p) + ": " + st.message());
        recorded_tactics[ep.input_dims] = ep.tactics;
        EDGEINFER_ASSIGN_OR_RETURN(runtime::Plan * plan, plan_for(ordered));
        for (size_t i = 0; i < graph.nodes.size(); ++i) {
            if (plan->implementation(i) == ep.implementations[i]) continue;
            if (++differ_count <= 5)
                differ += (differ.empty() ? "" : "; ") + graph.nodes[i].label + " now uses '" +
                          plan->implementation(i) + "', the file recorded '" + ep.implementations[i] + "'";
        }
    }
    ordered.clear();
    EDGEINFER_RETURN_IF_ERROR(prepare_profiles());  // their opt plans are usually among the saved ones
    if (differ_count > 0)
        engine.message = path + ": oneDNN chose other kernels than when the engine was saved for " +
                         std::to_string(differ_count) + " node(s): " + differ + (differ_count > 5 ? "; ..." : "");
    return Status::ok();
}

// OK when the session now holds the engine file's prepared graph; otherwise why it cannot.
Status Session::Impl::load_engine(const std::string& model_name, const SessionOptions& opts) {
    const std::string& path = opts.engine_path;
    EDGEINFER_ASSIGN_OR_RETURN(runtime::EngineFile e, runtime::read_engine_file(path));
    if (e.format_version != runtime::kEngineFormatVersion)
        return invalid_argument(path + ": engine file format version " + std::to_string(e.format_version) +
                                ", this edgeinfer reads version " + std::to_string(runtime::kEngineFormatVersion));
    int want_threads = opts.num_threads > 0 ? opts.num_threads : omp_get_num_procs();
    runtime::EngineHeader here = runtime::make_engine_header(model_sha256, opts, want_threads);
    std::string diff = runtime::header_mismatch(here, e.header);
    if (!diff.empty()) return invalid_argument(path + ": engine file does not match: " + diff);
    Status st = init_from_engine(e, model_name, opts);
    if (!st.is_ok()) return invalid_argument(path + ": engine file cannot be used: " + st.message());
    return Status::ok();
}

Result<std::unique_ptr<Session::Impl>> Session::Impl::create(const void* data, size_t size,
                                                             const std::string& display_name,
                                                             const std::string& base_dir, const SessionOptions& opts,
                                                             std::string sha) {
    if (sha.empty()) sha = runtime::sha256_hex(data, size);
    EngineReport report;
    report.requested = !opts.engine_path.empty();
    if (report.requested) {
        auto impl = std::make_unique<Impl>();
        impl->model_sha256 = sha;
        Status st = impl->load_engine(display_name, opts);
        if (st.is_ok()) {
            impl->engine.requested = impl->engine.loaded = true;
            return impl;
        }
        report.message = st.message() + "; building the session from " + display_name;
        base::log_info(report.message);  // engine_report() has it; the CLI prints it
    }
    model::LoadOptions lo;
    lo.infer_shapes = true;
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model m, model::load_model_from_bytes(data, size, lo, display_name, base_dir));
    auto impl = std::make_unique<Impl>();
    impl->model_sha256 = std::move(sha);
    EDGEINFER_RETURN_IF_ERROR(impl->init(std::move(m), opts));
    impl->engine = std::move(report);
    return impl;
}

namespace {

// SHA-256 of the model bytes, or, when its tensors name external data files, of the bytes' hash and
// each file's name and hash (a file that cannot be read hashes as missing: loading the model says why).
std::string model_content_sha256(const void* data, size_t size, const std::string& name, const std::string& base_dir) {
    std::string sha = runtime::sha256_hex(data, size);
    static constexpr std::string_view kKey = "location";  // the external_data key: no match, no parse
    std::string_view bytes(static_cast<const char*>(data), size);
    if (base_dir.empty() || bytes.find(kKey) == std::string_view::npos) return sha;
    auto locations = model::external_data_locations(data, size, name);
    if (!locations.is_ok() || locations.value().empty()) return sha;
    std::string text = sha;
    for (const std::string& loc : locations.value()) {
        auto file = runtime::read_file_bytes((std::filesystem::path(base_dir) / loc).string());
        text += "\n" + loc + "=" +
                (file.is_ok() ? runtime::sha256_hex(file.value().data(), file.value().size()) : "missing");
    }
    return runtime::sha256_hex(text.data(), text.size());
}

}  // namespace

Status Session::Impl::plan_static_inputs() {
    if (!options.shape_profiles.empty() || !plans.empty() || has_boxed_inputs) return Status::ok();
    static uint8_t no_data;  // plans are built from dtypes and shapes; check_inputs wants a data pointer
    std::vector<NamedTensor> shapes;
    for (const ir::ValueInfo* v : input_info) {
        std::optional<std::vector<int64_t>> dims = v->shape.static_dims();
        if (!dims) return Status::ok();  // planned at the first run, as usual
        shapes.push_back({v->name, Tensor::wrap(v->dtype, *dims, &no_data)});
    }
    Status st = check_inputs(shapes, ordered);
    if (st.is_ok()) st = plan_for(ordered).status();
    ordered.clear();
    return st;
}

Result<std::unique_ptr<Session::Impl>> Session::Impl::create_cached(const void* data, size_t size,
                                                                    const std::string& display_name,
                                                                    const std::string& base_dir,
                                                                    const SessionOptions& opts) {
    namespace fs = std::filesystem;
    if (!opts.engine_path.empty())
        return invalid_argument(display_name + ": engine_path ('" + opts.engine_path + "') and engine_cache_dir ('" +
                                opts.engine_cache_dir + "') are both set; set one");
    std::string sha = model_content_sha256(data, size, display_name, base_dir);
    int threads = opts.num_threads > 0 ? opts.num_threads : omp_get_num_procs();
    const std::string entry = (fs::path(opts.engine_cache_dir) /
                               runtime::engine_cache_file_name(runtime::make_engine_header(sha, opts, threads)))
                                  .string();
    SessionOptions with_entry = opts;
    std::error_code ec;
    const bool exists = fs::exists(entry, ec);
    if (exists) with_entry.engine_path = entry;  // a missing entry is the first use, not a problem to report
    EDGEINFER_ASSIGN_OR_RETURN(auto impl, create(data, size, display_name, base_dir, with_entry, sha));
    impl->options.engine_path = entry;
    EngineReport& report = impl->engine;
    report.requested = true;
    report.cache_entry = entry;
    if (report.loaded) return impl;
    Status st = impl->plan_static_inputs();  // so a session loading the entry has its first plan built
    if (st.is_ok()) {
        fs::create_directories(opts.engine_cache_dir, ec);
        auto e = impl->to_engine_file(entry);
        st = e.is_ok() ? runtime::write_engine_file(entry, e.value()) : e.status();
    }
    std::string why = exists ? report.message + "; the cache entry is rewritten" : "";
    if (st.is_ok()) {
        report.cache_written = true;
    } else {
        why = (why.empty() ? "" : why + "; ") + "engine cache: cannot write the entry: " + st.message();
        base::log_info(why);
    }
    report.message = why;
    return impl;
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

namespace {

// The whole file, or nullopt when it cannot be read (model::load_model then says why).
std::optional<std::string> read_whole_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    auto bytes = runtime::read_file_bytes(path);
    if (!bytes.is_ok()) return std::nullopt;
    return std::move(bytes).value();
}

}  // namespace

Result<std::unique_ptr<Session>> Session::create(const std::string& model_path, const SessionOptions& options) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!options.engine_cache_dir.empty()) {  // the entry's name hashes the model's bytes
        if (std::optional<std::string> bytes = read_whole_file(model_path)) {
            std::string dir = fs::absolute(fs::path(model_path), ec).parent_path().string();
            EDGEINFER_ASSIGN_OR_RETURN(auto impl,
                                       Impl::create_cached(bytes->data(), bytes->size(), model_path, dir, options));
            return std::unique_ptr<Session>(new Session(std::move(impl)));
        }
    }
    if (!options.engine_path.empty()) {  // the model's bytes are hashed to check the engine file
        if (std::optional<std::string> bytes = read_whole_file(model_path)) {
            std::string dir = fs::absolute(fs::path(model_path), ec).parent_path().string();
            EDGEINFER_ASSIGN_OR_RETURN(auto impl, Impl::create(bytes->data(), bytes->size(), model_path, dir, options));
            return std::unique_ptr<Session>(new Session(std::move(impl)));
        }
    }
    auto impl = std::make_unique<Impl>();
    impl->model_file = model_path;  // hashed by save_engine if it is still these bytes
    impl->model_file_size = fs::file_size(model_path, ec);
    impl->model_file_time = fs::last_write_time(model_path, ec);
    model::LoadOptions lo;
    lo.infer_shapes = true;
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model m, model::load_model(model_path, lo));
    EDGEINFER_RETURN_IF_ERROR(impl->init(std::move(m), options));
    return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Result<std::unique_ptr<Session>> Session::create_from_bytes(const void* data, size_t size,
                                                            const SessionOptions& options) {
    if (!options.engine_cache_dir.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(auto impl, Impl::create_cached(data, size, "<memory model>", "", options));
        return std::unique_ptr<Session>(new Session(std::move(impl)));
    }
    EDGEINFER_ASSIGN_OR_RETURN(auto impl, Impl::create(data, size, "<memory model>", "", options));
    return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Result<runtime::EngineFile> Session::Impl::to_engine_file(const std::string& path) const {
    for (const auto* list : {&input_desc, &output_desc})
        for (const ValueDescription& d : *list)
            if (d.kind != ValueKind::kTensor)
                return unsupported(path + ": cannot save an engine for a model whose input or output '" + d.name +
                                   "' is a " + std::string(value_kind_name(d.kind)) +
                                   " (engine files hold tensor-only models)");
    runtime::EngineFile e;
    e.header = runtime::make_engine_header(model_sha256, options, threads);
    auto bytes = model::serialize_model(model);
    if (!bytes.is_ok()) return bytes.status().with_context(path + ": cannot save an engine");
    e.graph = std::move(bytes).value();
    for (const auto& key : plan_order) {
        const runtime::Plan& plan = *plans.at(key);
        runtime::EnginePlan ep;
        ep.input_dims = key;
        for (const ir::ValueInfo* v : input_info) ep.input_dtypes.push_back(v->dtype);
        for (size_t i = 0; i < graph.nodes.size(); ++i) {
            ep.implementations.push_back(plan.implementation(i));
            ep.tactics.push_back(plan.tactic(i));
        }
        e.plans.push_back(std::move(ep));
    }
    return e;
}

Status Session::save_engine(const std::string& path) const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const Impl& s = *impl_;
    if (s.model_sha256.empty()) {
        namespace fs = std::filesystem;
        std::error_code ec1, ec2;
        auto size = fs::file_size(s.model_file, ec1);
        auto time = fs::last_write_time(s.model_file, ec2);
        std::optional<std::string> bytes;
        if (!ec1 && !ec2 && size == s.model_file_size && time == s.model_file_time)
            bytes = read_whole_file(s.model_file);
        if (!bytes || bytes->size() != size)
            return invalid_argument(path + ": cannot save an engine: the model file '" + s.model_file +
                                    "' changed since the session was created (create the session again)");
        s.model_sha256 = runtime::sha256_hex(bytes->data(), bytes->size());
    }
    EDGEINFER_ASSIGN_OR_RETURN(runtime::EngineFile e, s.to_engine_file(path));
    return runtime::write_engine_file(path, e);
}

class SessionAccess {
  public:
    static std::unique_ptr<Session> wrap(std::unique_ptr<Session::Impl> impl) {
        return std::unique_ptr<Session>(new Session(std::move(impl)));
    }
};

namespace runtime {

Result<std::unique_ptr<Session>> create_session(ir::Model model, const SessionOptions& options) {
    if (!options.engine_path.empty() || !options.engine_cache_dir.empty())
        return invalid_argument("an in-memory model cannot use an engine file or cache ('" + options.engine_path +
                                options.engine_cache_dir + "')");
    EDGEINFER_RETURN_IF_ERROR(model::validate_model(model));
    passes::infer_shapes(model);
    for (ir::ValueInfo& out : model.graph.outputs) {
        if (out.dtype != DataType::kUndefined && out.shape.has_rank) continue;
        const ir::ValueInfo* inferred = model.graph.find_value_info(out.name);
        if (!inferred) continue;
        if (out.dtype == DataType::kUndefined) out.dtype = inferred->dtype;
        if (!out.shape.has_rank) out.shape = inferred->shape;
    }
    auto impl = std::make_unique<Session::Impl>();
    EDGEINFER_RETURN_IF_ERROR(impl->init(std::move(model), options));
    return SessionAccess::wrap(std::move(impl));
}

}  // namespace runtime

const EngineReport& Session::engine_report() const { return impl_->engine; }

size_t Session::tactic_timings() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->tactic_timings;
}

const std::vector<ValueDescription>& Session::inputs() const { return impl_->input_desc; }
const std::vector<ValueDescription>& Session::outputs() const { return impl_->output_desc; }

namespace {

void copy_tensor(const Tensor& src, Tensor& dst) {
    if (src.dtype() == DataType::kString) {
        dst = src.clone();
        return;
    }
    if (src.nbytes() > 0) std::memcpy(dst.data(), src.data(), src.nbytes());
}

}  // namespace

Result<std::vector<NamedTensor>> Session::run(const std::vector<NamedTensor>& inputs) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    EDGEINFER_ASSIGN_OR_RETURN(runtime::Plan * plan, impl_->execute(inputs));
    std::vector<NamedTensor> out;
    for (size_t k = 0; k < impl_->graph.output_slots.size(); ++k) {
        if (const ir::Value* v = plan->boxed_output(impl_->graph, k)) {
            // A sequence or an optional: the caller's own copies of its tensors.
            NamedTensor nt{impl_->output_desc[k].name, {}};
            nt.kind = v->kind;
            nt.has_value = !ir::is_optional(v->kind) || v->has_element;
            if (!v->tensor.empty()) nt.tensor = v->tensor.clone();
            for (const Tensor& t : v->items) nt.sequence.push_back(t.clone());
            out.push_back(std::move(nt));
            continue;
        }
        const Tensor& src = plan->output(impl_->graph, k);
        Tensor t;
        if (src.dtype() == DataType::kString) {
            t = src.clone();
        } else {
            EDGEINFER_ASSIGN_OR_RETURN(
                t, ir::allocate_checked(src.dtype(), src.dims(),
                                        impl_->name + ": output '" + impl_->output_desc[k].name + "'"));
        }
        copy_tensor(src, t);
        out.push_back({impl_->output_desc[k].name, std::move(t)});
    }
    return out;
}

Status Session::run(const std::vector<NamedTensor>& inputs, std::vector<NamedTensor>& outputs) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    const std::string& name = impl_->name;
    for (const NamedTensor& o : outputs) {
        bool known = false;
        for (const auto& d : impl_->output_desc) known = known || d.name == o.name;
        if (!known) return invalid_argument(name + ": unknown output '" + o.name + "'");
    }
    EDGEINFER_ASSIGN_OR_RETURN(runtime::Plan * plan, impl_->execute(inputs));
    // Every given tensor is checked before any is written, so a failed call leaves them all as they were
    // (the slots are looked up twice rather than kept: a steady-state run allocates nothing).
    auto slot_of = [this](const std::string& output) {
        size_t k = 0;
        while (impl_->output_desc[k].name != output) ++k;
        return k;
    };
    for (const NamedTensor& o : outputs) {
        if (const ir::Value* v = plan->boxed_output(impl_->graph, slot_of(o.name)))
            return invalid_argument(name + ": output '" + o.name + "' is a " + std::string(value_kind_name(v->kind)) +
                                    ", not one tensor: Session::run(inputs) returns it");
        const Tensor& src = plan->output(impl_->graph, slot_of(o.name));
        if (o.tensor.dtype() != src.dtype() || o.tensor.dims() != src.dims())
            return invalid_argument(name + ": output '" + o.name + "' is " + std::string(dtype_name(src.dtype())) +
                                    " " + shape_to_string(src.dims()) + " but the given tensor is " +
                                    std::string(dtype_name(o.tensor.dtype())) + " " + shape_to_string(o.tensor.dims()));
    }
    for (NamedTensor& o : outputs) copy_tensor(plan->output(impl_->graph, slot_of(o.name)), o.tensor);
    return Status::ok();
}

std::vector<NodeProfile> Session::profile() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->profile;
}

size_t Session::plan_count() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->plans.size();
}

}  // namespace edgeinfer

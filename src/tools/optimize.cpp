// tools::optimize: runs the pass pipeline, checks every pass by running the model before and after
// on the same seeded inputs (reverting a pass that changes outputs beyond tolerance) and writes a
// standard ONNX file with the per-pass report.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "model/onnx_model.hpp"
#include "model/onnx_transform.hpp"
#include "passes/graph_util.hpp"
#include "passes/pipelines.hpp"
#include "runtime/graph_optimizer.hpp"
#include "tools/value_matching.hpp"

namespace edgeinfer::tools {
namespace {

// What the verifier compares against: the original model's outputs on seeded inputs.
struct Reference {
    std::vector<NamedTensor> inputs;
    std::vector<NamedTensor> outputs;
    bool check_batch2 = false;
};

Tensor repeat_batch(const Tensor& t) {
    std::vector<int64_t> dims = t.dims();
    dims[0] *= 2;
    Tensor out = Tensor::allocate(t.dtype(), dims);
    auto* dst = static_cast<uint8_t*>(out.data());
    std::memcpy(dst, t.data(), t.nbytes());
    std::memcpy(dst + t.nbytes(), t.data(), t.nbytes());
    return out;
}

Result<passes::Verification> verify_against(const Reference& ref, const ir::Model& candidate, double atol, double rtol,
                                            int threads) {
    EDGEINFER_ASSIGN_OR_RETURN(auto session, session_for(candidate, threads));
    EDGEINFER_ASSIGN_OR_RETURN(auto outs, session->run(ref.inputs));
    passes::Verification v;
    for (const NamedTensor& want : ref.outputs) {
        const NamedTensor* got = nullptr;
        for (const NamedTensor& o : outs)
            if (o.name == want.name) got = &o;
        if (!got) return passes::Verification{false, INFINITY, "output '" + want.name + "' is missing"};
        Difference d = compare_tensors(want.tensor, got->tensor, atol, rtol, 1);
        if (d.max_abs >= v.max_abs_diff) v.detail = "output '" + want.name + "'";
        v.max_abs_diff = std::max(v.max_abs_diff, d.max_abs);
        if (!d.within(atol, rtol)) {
            std::ostringstream o;
            o << "output '" << want.name << "' " << (d.comparable ? "" : d.why + ", ") << "max abs diff " << d.max_abs
              << " > " << atol + rtol * d.scale;
            return passes::Verification{false, d.max_abs, o.str()};
        }
    }
    if (ref.check_batch2) {  // --dynamic-batch: the same sample twice must give the same rows twice
        std::vector<NamedTensor> twice;
        for (const NamedTensor& in : ref.inputs) twice.push_back({in.name, repeat_batch(in.tensor)});
        auto outs2 = session->run(twice);
        if (!outs2.is_ok()) return passes::Verification{false, INFINITY, "batch 2: " + outs2.status().to_string()};
        for (size_t k = 0; k < ref.outputs.size() && k < outs2->size(); ++k) {
            Tensor expect = repeat_batch(ref.outputs[k].tensor);
            Difference d = compare_tensors(expect, (*outs2)[k].tensor, atol, rtol, 1);
            if (!d.within(atol, rtol))
                return passes::Verification{false, d.max_abs,
                                            "batch 2: output '" + ref.outputs[k].name + "' differs per sample" +
                                                (d.comparable ? "" : " (" + d.why + ")")};
        }
    }
    return v;
}

// First steps of `optimize` only, checked like passes: opset conversion, fixed input shapes, dynamic batch.
std::vector<passes::PassDef> front_passes(const OptimizeOptions& args, const ir::Model& model) {
    std::vector<passes::PassDef> defs;
    // IR < 4 lists every initializer as a graph input, which the passes treat as overridable
    // defaults and leave alone; IR 4 dropped that rule, so lifting the version frees the weights.
    if (model.ir_version < 4)
        defs.push_back({"upgrade-ir-version", "IR < 4: initializers stop being graph inputs", [](ir::Model& m) {
                            if (m.ir_version >= 4) return passes::PassOutcome{false, ""};
                            std::erase_if(m.graph.inputs,
                                          [&](const ir::ValueInfo& v) { return m.graph.find_initializer(v.name); });
                            m.ir_version = 4;
                            return passes::PassOutcome{true, "ir_version 4"};
                        }});
    if (args.opset > 0) {
        int64_t target = args.opset;
        defs.push_back({"convert-opset", "convert to the requested opset", [target](ir::Model& m) {
                            int64_t from = m.opset_version("");
                            Status st = model::convert_opset(m, target);
                            if (!st.is_ok()) return passes::PassOutcome{false, "not converted: " + st.message()};
                            return passes::PassOutcome{
                                from != target, "opset " + std::to_string(from) + " -> " + std::to_string(target)};
                        }});
    }
    if (const ShapeMap& shapes = args.static_shapes; !shapes.empty()) {
        defs.push_back({"fix-input-shapes", "give inputs the --static-shape dims", [shapes](ir::Model& m) {
                            for (ir::ValueInfo& v : m.graph.inputs)
                                if (auto s = shapes.find(v.name); s != shapes.end()) v.shape = ir::Shape::of(s->second);
                            // Outputs' symbolic dims ([batch x 1000]) take what inference knows from the fixed
                            // inputs, here and again after folding (model::infer_shapes).
                            (void)model::infer_shapes(m);
                            return passes::PassOutcome{true, ""};
                        }});
    }
    if (args.dynamic_batch) {
        defs.push_back({"dynamic-batch", "make dim 0 of inputs and outputs the symbol 'batch'", [](ir::Model& m) {
                            bool changed = false;
                            for (auto* list : {&m.graph.inputs, &m.graph.outputs})
                                for (ir::ValueInfo& v : *list) {
                                    if (m.graph.find_initializer(v.name) || v.shape.rank() < 1) continue;
                                    if (!v.shape.dims[0].is_known()) continue;
                                    v.shape.dims[0] = ir::Dim::symbolic("batch");
                                    changed = true;
                                }
                            if (changed) (void)model::infer_shapes(m);
                            return passes::PassOutcome{changed, ""};
                        }});
    }
    return defs;
}

// Protobuf cannot hold 2 GB: larger models keep their weights in a side file.
bool initializer_bytes_over_limit(const ir::Model& m) {
    return passes::initializer_bytes(m.graph) > (int64_t{1} << 30);
}

passes::PipelineOptions pipeline_options() {
    passes::PipelineOptions popts;
    popts.evaluator = runtime::cpu_node_evaluator();
    return popts;
}

Status check_static_shapes(const ir::Model& model, const std::string& path, const ShapeMap& shapes) {
    for (const auto& [name, dims] : shapes) {
        const ir::ValueInfo* v = nullptr;
        for (const ir::ValueInfo* in : model.graph.runtime_inputs())
            if (in->name == name) v = in;
        if (!v) return invalid_argument("--static-shape names '" + name + "', which is not an input of " + path);
        if (v->shape.has_rank && v->shape.rank() != static_cast<int64_t>(dims.size()))
            return invalid_argument("--static-shape " + name + ": rank " + std::to_string(dims.size()) +
                                    " but the input has shape " + v->shape.to_string());
    }
    return Status::ok();
}

// The sidecar MODEL.json's ("input", "input_shape"), when the file has them.
std::optional<std::pair<std::string, std::vector<int64_t>>> sidecar_input_shape(const std::string& model_path) {
    std::ifstream in(std::filesystem::path(model_path).replace_extension(".json"));
    if (!in) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("input_shape") || !j["input_shape"].is_array()) return std::nullopt;
    std::vector<int64_t> dims;
    for (const auto& d : j["input_shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() <= 0) return std::nullopt;
        dims.push_back(d.get<int64_t>());
    }
    std::string name = j.contains("input") && j["input"].is_string() ? j["input"].get<std::string>() : "";
    return std::make_pair(name, dims);
}

// Shapes for the verification inputs (OptimizeOptions::verify_shapes says in which order they are taken).
ShapeMap verification_shapes(const std::vector<ValueDescription>& inputs, const std::string& model_path,
                             const OptimizeOptions& o) {
    ShapeMap shapes = with_opt_shapes(o.verify_shapes, o.verify_profiles);
    for (const auto& [name, dims] : o.static_shapes) shapes[name] = dims;
    const auto sidecar = sidecar_input_shape(model_path);
    std::map<std::string, int64_t> by_symbol;
    for (const ValueDescription& d : inputs) {
        if (shapes.count(d.name) || std::none_of(d.dims.begin(), d.dims.end(), [](int64_t v) { return v < 0; }))
            continue;
        std::vector<int64_t> dims = d.dims;
        const bool from_sidecar = sidecar && sidecar->second.size() == dims.size() &&
                                  (sidecar->first == d.name || (sidecar->first.empty() && inputs.size() == 1));
        for (size_t k = 0; k < dims.size(); ++k) {
            if (dims[k] >= 0) continue;
            const std::string symbol = k < d.symbols.size() ? d.symbols[k] : "";
            if (auto same = by_symbol.find(symbol); !symbol.empty() && same != by_symbol.end()) {
                dims[k] = same->second;  // one named dim, one value
                continue;
            }
            dims[k] = from_sidecar ? sidecar->second[k] : (dims.size() == 4 && k > 0 ? 224 : 1);
            if (!symbol.empty()) by_symbol[symbol] = dims[k];
        }
        shapes[d.name] = dims;
    }
    return shapes;
}

// The original model's outputs on seeded inputs, and the verifier comparing a candidate with them.
Status set_verifier(passes::PassManager& pm, const ir::Model& model, const std::string& model_path,
                    const OptimizeOptions& o, Reference& ref) {
    ref.check_batch2 = o.dynamic_batch;
    if (o.verify == VerifyMode::kNone) return Status::ok();
    auto session = session_for(model, o.threads);
    if (!session.is_ok()) return session.status().with_context("the original model does not run");
    const std::vector<ValueDescription>& inputs = session.value()->inputs();
    ref.inputs = seeded_inputs(inputs, verification_shapes(inputs, model_path, o), o.seed);
    auto outs = session.value()->run(ref.inputs);
    if (!outs.is_ok()) return outs.status().with_context("the original model does not run");
    ref.outputs = std::move(outs).value();
    auto mode = o.verify == VerifyMode::kEnd ? passes::VerifyMode::kEnd : passes::VerifyMode::kEachPass;
    pm.set_verifier([&ref, atol = o.atol, rtol = o.rtol,
                     threads = o.threads](const ir::Model& c) { return verify_against(ref, c, atol, rtol, threads); },
                    mode);
    return Status::ok();
}

std::vector<std::string> io_names(const ir::Model& m) {
    std::vector<std::string> names;
    for (const auto* v : m.graph.runtime_inputs()) names.push_back(v->name);
    names.push_back("");  // inputs | outputs
    for (const auto& v : m.graph.outputs) names.push_back(v.name);
    return names;
}

OptimizeReport report_of(const passes::PassReport& r) {
    OptimizeReport out;
    for (const passes::PassRecord& p : r.passes)
        out.passes.push_back({p.name, p.changed, p.verified, p.reverted, p.max_abs_diff, p.ms, p.nodes_before,
                              p.nodes_after, p.bytes_before, p.bytes_after, p.note});
    out.nodes_before = r.nodes_before;
    out.nodes_after = r.nodes_after;
    out.bytes_before = r.bytes_before;
    out.bytes_after = r.bytes_after;
    out.total_ms = r.total_ms;
    out.reverted = r.reverted();
    if (r.final_check)
        out.final_check = OptimizeReport::Check{r.final_check->ok, r.final_check->max_abs_diff, r.final_check->detail};
    return out;
}

constexpr std::pair<VerifyMode, std::string_view> kVerifyModeNames[] = {
    {VerifyMode::kEachPass, "each"},
    {VerifyMode::kEnd, "end"},
    {VerifyMode::kNone, "none"},
};

}  // namespace

std::string_view to_string(VerifyMode mode) {
    for (const auto& [value, name] : kVerifyModeNames)
        if (value == mode) return name;
    return "?";
}

std::string verify_mode_choices() {
    std::string out;
    for (const auto& [value, name] : kVerifyModeNames) {
        if (!out.empty()) out += "|";
        out += name;
    }
    return out;
}

Result<VerifyMode> parse_verify_mode(std::string_view name) {
    std::string listed;
    for (const auto& [value, n] : kVerifyModeNames) {
        if (n == name) return value;
        if (!listed.empty()) listed += ", ";
        listed += n;
    }
    return invalid_argument("verify must be one of " + listed + "; got '" + std::string(name) + "'");
}

std::vector<PassInfo> list_passes() {
    std::vector<PassInfo> out;
    for (const passes::PassDef& p : passes::pass_catalog(pipeline_options())) out.push_back({p.name, p.summary});
    return out;
}

Result<OptimizeReport> optimize(const std::string& input_path, const std::string& output_path,
                                const OptimizeOptions& o) {
    if (input_path.empty() || output_path.empty())
        return invalid_argument("usage: edgeinfer optimize IN.onnx OUT.onnx");
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model model, load_with_shapes(input_path));
    EDGEINFER_RETURN_IF_ERROR(check_static_shapes(model, input_path, o.static_shapes));
    std::vector<passes::PassDef> catalog = front_passes(o, model);
    std::vector<std::string> pipeline;
    for (const auto& d : catalog) pipeline.push_back(d.name);
    for (passes::PassDef& d : passes::pass_catalog(pipeline_options())) catalog.push_back(std::move(d));
    passes::PassManager pm(std::move(catalog));
    std::vector<std::string> chosen =
        o.passes.empty() ? passes::pipeline_for(static_cast<passes::Level>(o.level), true) : o.passes;
    pipeline.insert(pipeline.end(), chosen.begin(), chosen.end());
    EDGEINFER_RETURN_IF_ERROR(pm.set_pipeline(pipeline));
    EDGEINFER_RETURN_IF_ERROR(pm.skip(o.skip));
    Reference ref;
    EDGEINFER_RETURN_IF_ERROR(set_verifier(pm, model, input_path, o, ref));
    const std::vector<std::string> names_before = io_names(model);
    OptimizeReport report = report_of(pm.run(model));
    model::SaveOptions so;
    so.external_data = initializer_bytes_over_limit(model);  // protobuf cannot hold 2 GB
    EDGEINFER_RETURN_IF_ERROR(model::save_model(model, output_path, so));
    Status check = model::check_model_file(output_path);
    report.onnx_checker = check.is_ok() ? "ok" : check.to_string();
    report.io_names_changed = io_names(model) != names_before;
    return report;
}

}  // namespace edgeinfer::tools

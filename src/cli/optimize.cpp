// `edgeinfer optimize IN.onnx OUT.onnx`: runs the pass pipeline, checks every pass by running
// the model before and after on the same seeded inputs (reverting a pass that changes outputs
// beyond tolerance), prints a per-pass table and writes a standard ONNX file.
#include <chrono>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/status.hpp"
#include "cli/commands.hpp"
#include "cli/model_exec.hpp"
#include "model/onnx_model.hpp"
#include "model/onnx_transform.hpp"
#include "passes/graph_util.hpp"
#include "passes/pipelines.hpp"
#include "runtime/graph_optimizer.hpp"

namespace edgeinfer::cli {
namespace {

struct OptimizeArgs {
    std::string input, output;
    std::string level = "all";
    std::vector<std::string> passes, skip, static_shapes;
    bool dynamic_batch = false;
    int64_t opset = 0;
    std::string verify = "each";
    double rtol = 1e-4, atol = 1e-5;
    uint32_t seed = 0;
    int threads = 0;
    bool list = false, json = false;
};

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

// CLI-only first steps, checked like passes: opset conversion, fixed input shapes, dynamic batch.
std::vector<passes::PassDef> front_passes(const OptimizeArgs& args,
                                          const std::map<std::string, std::vector<int64_t>>& shapes,
                                          const ir::Model& model) {
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
    if (!shapes.empty()) {
        defs.push_back({"fix-input-shapes", "give inputs the --static-shape dims", [shapes](ir::Model& m) {
                            for (ir::ValueInfo& v : m.graph.inputs)
                                if (auto s = shapes.find(v.name); s != shapes.end()) v.shape = ir::Shape::of(s->second);
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

std::string bytes_text(int64_t b) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(2);
    if (b >= 1 << 20)
        o << b / 1048576.0 << " MiB";
    else if (b >= 1 << 10)
        o << b / 1024.0 << " KiB";
    else
        o << b << " B";
    return o.str();
}

std::string diff_text(const std::optional<double>& d) {
    if (!d) return "-";
    std::ostringstream o;
    o << std::setprecision(3) << *d;
    return o.str();
}

void print_table(const passes::PassReport& r) {
    std::cout << std::left << std::setw(30) << "pass" << std::right << std::setw(14) << "nodes" << std::setw(26)
              << "parameter bytes" << std::setw(11) << "time ms" << std::setw(11) << "max diff"
              << "  note\n";
    auto row = [](const std::string& name, int64_t n0, int64_t n1, int64_t b0, int64_t b1, double ms,
                  const std::string& diff, const std::string& note) {
        std::ostringstream t;
        t << std::fixed << std::setprecision(1) << ms;
        std::cout << std::left << std::setw(30) << name << std::right << std::setw(14)
                  << (std::to_string(n0) + " -> " + std::to_string(n1)) << std::setw(26)
                  << (bytes_text(b0) + " -> " + bytes_text(b1)) << std::setw(11) << t.str() << std::setw(11) << diff
                  << "  " << note << "\n";
    };
    for (const passes::PassRecord& p : r.passes)
        row(p.name, p.nodes_before, p.nodes_after, p.bytes_before, p.bytes_after, p.ms,
            p.verified ? diff_text(p.max_abs_diff) : "-",
            (p.changed ? "" : "no change") + std::string(p.changed && !p.note.empty() ? p.note : ""));
    row("total", r.nodes_before, r.nodes_after, r.bytes_before, r.bytes_after, r.total_ms,
        r.final_check ? diff_text(r.final_check->max_abs_diff) : "-", "");
}

nlohmann::json report_json(const passes::PassReport& r, const std::string& check) {
    nlohmann::json j;
    j["nodes_before"] = r.nodes_before;
    j["nodes_after"] = r.nodes_after;
    j["bytes_before"] = r.bytes_before;
    j["bytes_after"] = r.bytes_after;
    j["reverted"] = r.reverted();
    nlohmann::json ps = nlohmann::json::array();
    for (const passes::PassRecord& p : r.passes)
        ps.push_back({{"name", p.name},
                      {"changed", p.changed},
                      {"reverted", p.reverted},
                      {"ms", p.ms},
                      {"nodes_before", p.nodes_before},
                      {"nodes_after", p.nodes_after},
                      {"bytes_before", p.bytes_before},
                      {"bytes_after", p.bytes_after},
                      {"max_abs_diff", p.max_abs_diff ? nlohmann::json(*p.max_abs_diff) : nlohmann::json()},
                      {"note", p.note}});
    j["passes"] = ps;
    if (r.final_check)
        j["final"] = {{"ok", r.final_check->ok},
                      {"max_abs_diff", r.final_check->max_abs_diff},
                      {"detail", r.final_check->detail}};
    j["onnx_checker"] = check;
    return j;
}

// Protobuf cannot hold 2 GB: larger models keep their weights in a side file.
bool initializer_bytes_over_limit(const ir::Model& m) {
    return passes::initializer_bytes(m.graph) > (int64_t{1} << 30);
}

int fail(const Status& st) {
    std::cerr << "edgeinfer optimize: " << st.to_string() << "\n";
    return 1;
}

passes::Level parse_level(const std::string& s) {
    if (s == "none") return passes::Level::kNone;
    if (s == "basic") return passes::Level::kBasic;
    if (s == "extended") return passes::Level::kExtended;
    return passes::Level::kAll;
}

int run_optimize(const OptimizeArgs& args) {
    passes::PipelineOptions popts;
    popts.evaluator = runtime::cpu_node_evaluator();
    if (args.list) {
        for (const passes::PassDef& p : passes::pass_catalog(popts))
            std::cout << std::left << std::setw(32) << p.name << p.summary << "\n";
        return 0;
    }
    if (args.input.empty() || args.output.empty())
        return fail(invalid_argument("usage: edgeinfer optimize IN.onnx OUT.onnx"));
    model::LoadOptions lo;
    lo.infer_shapes = true;
    auto loaded = model::load_model(args.input, lo);
    if (!loaded.is_ok()) return fail(loaded.status());
    ir::Model model = std::move(loaded).value();
    auto shapes = parse_shape_options(args.static_shapes, "--static-shape");
    if (!shapes.is_ok()) return fail(shapes.status());
    for (const auto& [name, dims] : *shapes) {
        const ir::ValueInfo* v = nullptr;
        for (const ir::ValueInfo* in : model.graph.runtime_inputs())
            if (in->name == name) v = in;
        if (!v)
            return fail(
                invalid_argument("--static-shape names '" + name + "', which is not an input of " + args.input));
        if (v->shape.has_rank && v->shape.rank() != static_cast<int64_t>(dims.size()))
            return fail(invalid_argument("--static-shape " + name + ": rank " + std::to_string(dims.size()) +
                                         " but the input has shape " + v->shape.to_string()));
    }

    std::vector<passes::PassDef> catalog = front_passes(args, *shapes, model);
    std::vector<std::string> pipeline;
    for (const auto& d : catalog) pipeline.push_back(d.name);
    for (passes::PassDef& d : passes::pass_catalog(popts)) catalog.push_back(std::move(d));
    passes::PassManager pm(std::move(catalog));
    std::vector<std::string> chosen =
        args.passes.empty() ? passes::pipeline_for(parse_level(args.level), true) : args.passes;
    pipeline.insert(pipeline.end(), chosen.begin(), chosen.end());
    Status st = pm.set_pipeline(pipeline);
    if (st.is_ok()) st = pm.skip(args.skip);
    if (!st.is_ok()) return fail(st);

    Reference ref;
    ref.check_batch2 = args.dynamic_batch;
    if (args.verify != "none") {
        auto session = session_for(model, args.threads);
        if (!session.is_ok()) return fail(session.status().with_context("the original model does not run"));
        auto inputs = make_inputs(session.value()->inputs(), {}, *shapes, args.seed);
        if (!inputs.is_ok()) return fail(inputs.status());
        ref.inputs = std::move(inputs).value();
        auto outs = session.value()->run(ref.inputs);
        if (!outs.is_ok()) return fail(outs.status().with_context("the original model does not run"));
        ref.outputs = std::move(outs).value();
        auto mode = args.verify == "end" ? passes::VerifyMode::kEnd : passes::VerifyMode::kEachPass;
        double atol = args.atol, rtol = args.rtol;
        int threads = args.threads;
        pm.set_verifier(
            [&ref, atol, rtol, threads](const ir::Model& c) { return verify_against(ref, c, atol, rtol, threads); },
            mode);
    }
    std::vector<std::string> in_names, out_names;
    for (const auto* v : model.graph.runtime_inputs()) in_names.push_back(v->name);
    for (const auto& v : model.graph.outputs) out_names.push_back(v.name);

    passes::PassReport report = pm.run(model);

    model::SaveOptions so;
    so.external_data = initializer_bytes_over_limit(model);
    st = model::save_model(model, args.output, so);
    if (!st.is_ok()) return fail(st);
    Status check = model::check_model_file(args.output);
    std::string check_text = check.is_ok() ? "ok" : check.to_string();
    if (args.json) {
        std::cout << report_json(report, check_text).dump(2) << "\n";
    } else {
        print_table(report);
        for (const std::string& name : report.reverted()) std::cout << "reverted: " << name << " changed the outputs\n";
        if (report.final_check)
            std::cout << "final max abs diff vs the original: " << report.final_check->max_abs_diff << " ("
                      << (report.final_check->ok ? "within" : "BEYOND") << " atol " << args.atol << " + rtol "
                      << args.rtol << " x max|output|; " << report.final_check->detail << ")\n";
        std::cout << "ONNX checker: " << check_text << "\nwrote " << args.output << "\n";
    }
    std::vector<std::string> in_after, out_after;
    for (const auto* v : model.graph.runtime_inputs()) in_after.push_back(v->name);
    for (const auto& v : model.graph.outputs) out_after.push_back(v.name);
    if (in_after != in_names || out_after != out_names)
        return fail(internal_error("input/output names changed during optimization"));
    if (!check.is_ok() || (report.final_check && !report.final_check->ok)) return 1;
    return 0;
}

}  // namespace

void add_optimize_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<OptimizeArgs>();
    CLI::App* cmd = app.add_subcommand("optimize", "Simplify and fuse a model's graph, verified pass by pass");
    cmd->add_option("input", args->input, "ONNX model to optimize");
    cmd->add_option("output", args->output, "Where to write the optimized ONNX model");
    cmd->add_option("--level", args->level, "Pass pipeline: basic, extended or all")
        ->check(CLI::IsMember({"none", "basic", "extended", "all"}))
        ->capture_default_str();
    cmd->add_option("--passes", args->passes, "Run exactly these passes, in this order (comma-separated)")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_option("--skip", args->skip, "Leave these passes out (comma-separated)")
        ->delimiter(',')
        ->allow_extra_args(false);
    cmd->add_option("--static-shape", args->static_shapes,
                    "NAME=1x3x224x224: fix an input's dims, then fold (repeatable)")
        ->allow_extra_args(false);
    cmd->add_flag("--dynamic-batch", args->dynamic_batch, "Make dim 0 of inputs and outputs a symbolic 'batch'");
    cmd->add_option("--opset", args->opset, "Convert to this default-domain opset first (checked like a pass)");
    cmd->add_option("--verify", args->verify, "Run before/after after each pass, only at the end, or never")
        ->check(CLI::IsMember({"each", "end", "none"}))
        ->capture_default_str();
    cmd->add_option("--rtol", args->rtol, "Tolerance relative to max |output|")->capture_default_str();
    cmd->add_option("--atol", args->atol, "Absolute tolerance")->capture_default_str();
    cmd->add_option("--seed", args->seed, "Seed of the verification inputs")->capture_default_str();
    cmd->add_option("-t,--threads", args->threads, "Threads (0: all cores)");
    cmd->add_flag("--list-passes", args->list, "List the passes and exit");
    cmd->add_flag("--json", args->json, "Print the report as one JSON document");
    cmd->callback([args, exit_code] { *exit_code = run_optimize(*args); });
}

}  // namespace edgeinfer::cli

// `edgeinfer compare MODEL --precision bf16|int8`: fp32 against a lower precision on a set of inputs:
// output error statistics and agreement, and a per-layer table of where the error grows.
#include "cli/compare_precision.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <sstream>

#include "base/status.hpp"
#include "cli/compare_values.hpp"
#include "cli/input_files.hpp"
#include "cli/keep_fp32.hpp"
#include "cli/model_exec.hpp"
#include "edgeinfer/session.hpp"
#include "ir/npy.hpp"
#include "model/onnx_model.hpp"
#include "passes/pipelines.hpp"
#include "runtime/graph_optimizer.hpp"
#include "runtime/session_internal.hpp"
#include "vision/preprocess.hpp"
#include "vision/sidecar.hpp"

namespace edgeinfer::cli {
namespace {

namespace fs = std::filesystem;

// One input set for the model, and what to call it in messages.
struct Sample {
    std::string label;
    std::vector<NamedTensor> tensors;
};

double cosine_of(double dot, double a2, double b2) {
    if (a2 == 0 && b2 == 0) return 1;
    if (a2 == 0 || b2 == 0) return 0;
    return dot / std::sqrt(a2 * b2);
}

// Error of one float32 value against its fp32 reference, summed over every input.
struct ErrorStats {
    double ref2 = 0, got2 = 0, dot = 0, diff2 = 0, sum_abs = 0, max_abs = 0, worst_cosine = 1;
    int64_t count = 0, nonfinite = 0;
    std::vector<int64_t> dims;

    void add(const Tensor& ref, const Tensor& got) {
        const float* a = ref.data_as<float>();
        const float* b = got.data_as<float>();
        double r2 = 0, g2 = 0, d = 0;
        for (int64_t i = 0; i < ref.numel(); ++i) {
            const double x = a[i], y = b[i];
            if (!std::isfinite(x) || !std::isfinite(y)) {
                nonfinite += !(x == y || (std::isnan(x) && std::isnan(y)));
                continue;
            }
            const double e = std::abs(y - x);
            diff2 += e * e;
            sum_abs += e;
            max_abs = std::max(max_abs, e);
            r2 += x * x;
            g2 += y * y;
            d += x * y;
            ++count;
        }
        ref2 += r2;
        got2 += g2;
        dot += d;
        worst_cosine = std::min(worst_cosine, cosine_of(d, r2, g2));
        dims = ref.dims();
    }
    double cosine() const { return cosine_of(dot, ref2, got2); }
    double rel_l2() const { return ref2 > 0 ? std::sqrt(diff2 / ref2) : (diff2 > 0 ? 1.0 : 0.0); }
    double mean_abs() const { return count ? sum_abs / static_cast<double>(count) : 0.0; }
};

struct Agreement {
    int64_t agree = 0, total = 0;
    nlohmann::json json() const {
        return {{"agree", agree}, {"total", total}, {"rate", total ? static_cast<double>(agree) / total : 1.0}};
    }
};

struct OutputReport {
    std::string name;
    ErrorStats error;
    Agreement top1, top5, pixels;
};

// Indices of the k largest of n values at `v[i * stride]`, sorted (the set, not the order).
std::vector<int64_t> top_k(const float* v, int64_t n, int64_t stride, int64_t k) {
    std::vector<int64_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int64_t x, int64_t y) { return v[x * stride] > v[y * stride]; });
    idx.resize(static_cast<size_t>(k));
    std::sort(idx.begin(), idx.end());
    return idx;
}

// Classifier scores [N, C] (or [N, C, 1, 1]): top-1 and top-5 per row. Score maps [N, C, H, W]:
// the argmax over C per pixel (segmentation). Nothing for other shapes or fewer than 2 classes.
void add_agreement(const Tensor& ref, const Tensor& got, OutputReport& r) {
    const auto& d = ref.dims();
    if ((d.size() != 2 && d.size() != 4) || d[1] < 2) return;
    const int64_t n = d[0], c = d[1], hw = d.size() == 4 ? d[2] * d[3] : 1;
    const float* a = ref.data_as<float>();
    const float* b = got.data_as<float>();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t p = 0; p < hw; ++p) {
            const float* ra = a + i * c * hw + p;
            const float* rb = b + i * c * hw + p;
            const bool same = top_k(ra, c, hw, 1) == top_k(rb, c, hw, 1);
            Agreement& one = hw == 1 ? r.top1 : r.pixels;
            one.agree += same;
            one.total += 1;
            if (hw == 1 && c >= 10) {  // top-5 of fewer classes says little
                r.top5.agree += top_k(ra, c, 1, 5) == top_k(rb, c, 1, 5);
                r.top5.total += 1;
            }
        }
}

// One sample from a file: a .npy tensor (a missing batch dim added) or an image preprocessed as the
// model's sidecar says (else the defaults of the vision commands).
Result<Tensor> read_input_file(const fs::path& f, const std::string& model, const ValueDescription& in,
                               std::optional<vision::ResolvedPreprocess>& pre) {
    if (f.extension() == ".npy") {
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, ir::read_npy(f.string()));
        if (t.rank() + 1 == static_cast<int64_t>(in.dims.size())) {
            std::vector<int64_t> dims = t.dims();
            dims.insert(dims.begin(), 1);
            t = t.reshaped(dims);
        }
        return t;
    }
    return read_image_input(f, model, in, pre);
}

Result<std::vector<Sample>> load_samples(const PrecisionCompareArgs& a, const Session& s, std::string* preprocess) {
    std::vector<Sample> out;
    if (a.data.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(auto files, parse_file_options(a.input_files, "--input"));
        EDGEINFER_ASSIGN_OR_RETURN(auto shapes, parse_shape_options(a.shapes, "--shape"));
        const int n = std::max(1, a.samples);
        for (int k = 0; k < n; ++k) {
            const uint32_t seed = a.seed + static_cast<uint32_t>(k);
            EDGEINFER_ASSIGN_OR_RETURN(auto t, make_inputs(s.inputs(), files, shapes, seed));
            out.push_back({"random input (seed " + std::to_string(seed) + ")", std::move(t)});
        }
        return out;
    }
    if (!a.input_files.empty()) return invalid_argument("give --inputs or -i NAME=FILE.npy, not both");
    if (s.inputs().size() != 1)
        return unsupported(a.model + ": --inputs needs a model with one input, it has " +
                           std::to_string(s.inputs().size()) + " (use -i NAME=FILE.npy for each)");
    EDGEINFER_ASSIGN_OR_RETURN(auto files, list_input_files(a.data, "--inputs"));
    std::optional<vision::ResolvedPreprocess> pre;
    for (const fs::path& f : files) {
        if (a.samples > 0 && static_cast<int>(out.size()) >= a.samples) break;
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, read_input_file(f, a.model, s.inputs()[0], pre));
        out.push_back({f.string(), {NamedTensor{s.inputs()[0].name, std::move(t)}}});
    }
    if (pre) *preprocess = pre->config.describe() + " (" + pre->origin + ")";
    return out;
}

Result<std::unique_ptr<Session>> session_over(const ir::Model& m, Precision p, const std::vector<std::string>& keep,
                                              int threads) {
    SessionOptions o;
    o.num_threads = threads;
    o.optimization_level = GraphOptimizationLevel::kNone;  // every exposed value stays
    o.precision = p;
    o.keep_fp32_nodes = keep;
    return runtime::create_session(m, o);
}

struct LayerRow {
    std::string node, op_type, value;
    double rel_l2 = 0, cosine = 1;              // its output against fp32, errors of earlier layers included
    double local_rel_l2 = 0, local_cosine = 1;  // the node alone, on its fp32 inputs
    bool has_local = false;
};

bool is_qdq(const ir::Node& n) {
    return ir::is_onnx_domain(n.domain) && (n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear");
}

// The node `j` of `low` alone, with the QuantizeLinear/DequantizeLinear nodes feeding it (int8): a
// model whose inputs are the values it reads from the rest of the graph (their fp32 values are fed).
// Nullopt for nodes with subgraphs (they read outer values).
std::optional<ir::Model> single_node_model(const ir::Model& low, size_t j, const std::map<std::string, size_t>& prod,
                                           const std::map<std::string, DataType>& dtypes) {
    const ir::Graph& g = low.graph;
    for (const ir::Attribute& a : g.nodes[j].attributes)
        if (a.g || !a.graphs.empty()) return std::nullopt;
    std::vector<size_t> nodes{j};
    for (size_t k = 0; k < nodes.size(); ++k)  // walk up through Q/DQ producers
        for (const std::string& in : g.nodes[nodes[k]].inputs) {
            auto it = prod.find(in);
            if (it != prod.end() && is_qdq(g.nodes[it->second]) &&
                std::find(nodes.begin(), nodes.end(), it->second) == nodes.end())
                nodes.push_back(it->second);
        }
    std::sort(nodes.begin(), nodes.end());  // topological, as in the graph
    ir::Model m;
    m.ir_version = low.ir_version;
    m.opset_imports = low.opset_imports;
    std::set<std::string> produced, added;
    for (size_t k : nodes)
        for (const std::string& o : g.nodes[k].outputs) produced.insert(o);
    for (size_t k : nodes) {
        for (const std::string& in : g.nodes[k].inputs) {
            if (in.empty() || produced.count(in) || !added.insert(in).second) continue;
            if (const Tensor* t = g.find_initializer(in)) {
                m.graph.add_initializer(in, *t);
                continue;
            }
            auto dt = dtypes.find(in);
            if (dt == dtypes.end()) return std::nullopt;  // no value to feed
            m.graph.inputs.push_back(ir::ValueInfo{in, dt->second, {}, {}});
        }
        m.graph.nodes.push_back(g.nodes[k]);
    }
    for (const std::string& o : g.nodes[j].outputs)
        if (!o.empty()) m.graph.outputs.push_back(ir::ValueInfo{o, DataType::kUndefined, {}, {}});
    return m;
}

// Every node output of the fp32 model (optimized as `edgeinfer quantize` does, so names match a
// QDQ model) against its counterpart on the low side, on `samples`; and each node alone on its fp32
// inputs (the error it adds itself: exactly 0 for a node that computes in fp32). Largest own error first.
Result<std::vector<LayerRow>> layer_table(ir::Model base, const ir::Model* quantized, Precision p,
                                          const std::vector<std::string>& keep, const std::vector<Sample>& samples,
                                          int threads) {
    passes::PipelineOptions po;
    po.evaluator = runtime::cpu_node_evaluator();
    passes::make_pass_manager(passes::Level::kExtended, po).run(base);
    const ir::Model& low = quantized ? *quantized : base;
    // int8: the QDQ model's reference path (QuantizeLinear/DequantizeLinear computed in float): the
    // fused int8 kernels need the activations they consume to stay internal.
    const Precision lp = quantized ? Precision::kFp32 : p;
    std::vector<Pair> pairs = match_values(base, low);
    std::map<std::string, std::string> low_to_base;
    for (const Pair& pr : pairs) low_to_base[pr.b] = pr.a;
    EDGEINFER_ASSIGN_OR_RETURN(
        auto ref, session_over(with_outputs(base, all_node_outputs(base.graph), true), Precision::kFp32, {}, threads));
    EDGEINFER_ASSIGN_OR_RETURN(auto lowered,
                               session_over(with_outputs(low, all_node_outputs(low.graph), true), lp, keep, threads));
    std::map<std::string, ErrorStats> stats, local;                    // by the fp32 model's value name
    std::vector<std::pair<size_t, std::unique_ptr<Session>>> singles;  // node of `low`, its model alone
    const std::map<std::string, size_t> low_prod = producer_map(low.graph);
    for (const Sample& s : samples) {
        EDGEINFER_ASSIGN_OR_RETURN(auto ra, ref->run(s.tensors));
        EDGEINFER_ASSIGN_OR_RETURN(auto rb, lowered->run(s.tensors));
        std::map<std::string, const Tensor*> va, vb;
        for (const NamedTensor& t : s.tensors) va[t.name] = &t.tensor;
        for (const NamedTensor& t : ra) va[t.name] = &t.tensor;
        for (const NamedTensor& t : rb) vb[t.name] = &t.tensor;
        auto add = [&](std::map<std::string, ErrorStats>& to, const std::string& a, const Tensor& y) {
            auto ia = va.find(a);
            if (ia == va.end()) return;
            const Tensor& x = *ia->second;
            if (x.dtype() == DataType::kFloat32 && y.dtype() == DataType::kFloat32 && x.dims() == y.dims())
                to[a].add(x, y);
        };
        for (const Pair& pr : pairs)
            if (vb.count(pr.b)) add(stats, pr.a, *vb.at(pr.b));
        if (&s == &samples.front()) {  // the single-node models, fed by name from the fp32 run
            std::map<std::string, DataType> dtypes;
            for (const auto& [name, t] : va) dtypes[name] = t->dtype();
            for (size_t j = 0; j < low.graph.nodes.size(); ++j) {
                const ir::Node& n = low.graph.nodes[j];
                if (is_qdq(n) || n.outputs.empty() || !low_to_base.count(n.outputs[0])) continue;
                auto m = single_node_model(low, j, low_prod, dtypes);
                if (!m) continue;
                auto session = session_over(*m, lp, keep, threads);
                if (session.is_ok()) singles.emplace_back(j, std::move(session).value());
            }
        }
        for (auto& [j, session] : singles) {
            std::vector<NamedTensor> feed;
            for (const ValueDescription& in : session->inputs()) feed.push_back({in.name, *va.at(in.name)});
            auto out = session->run(feed);
            if (!out.is_ok()) return out.status().with_context("node " + low.graph.nodes[j].describe(j) + " alone");
            add(local, low_to_base.at((*out)[0].name), (*out)[0].tensor);
        }
    }
    std::vector<LayerRow> rows;
    for (const ir::Node& n : base.graph.nodes) {
        auto out =
            std::find_if(n.outputs.begin(), n.outputs.end(), [&](const std::string& o) { return stats.count(o); });
        if (out == n.outputs.end()) continue;
        LayerRow r{n.name, n.op_type, *out};
        r.rel_l2 = stats[*out].rel_l2();
        r.cosine = stats[*out].cosine();
        auto l = local.find(*out);
        r.has_local = l != local.end();
        if (r.has_local) {
            r.local_rel_l2 = l->second.rel_l2();
            r.local_cosine = l->second.cosine();
        }
        rows.push_back(r);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const LayerRow& x, const LayerRow& y) {
        return x.local_rel_l2 != y.local_rel_l2 ? x.local_rel_l2 > y.local_rel_l2 : x.rel_l2 > y.rel_l2;
    });
    return rows;
}

nlohmann::json report_json(const PrecisionCompareArgs& a, const std::vector<OutputReport>& outs,
                           const std::vector<LayerRow>& rows, size_t samples, size_t layer_samples,
                           const std::string& preprocess) {
    nlohmann::json j;
    j["mode"] = "precision";
    j["model"] = a.model;
    j["precision"] = a.precision;
    j["quantized"] = a.quantized;
    j["keep_fp32"] = a.keep_fp32;
    j["samples"] = samples;
    j["layer_samples"] = layer_samples;
    j["preprocess"] = preprocess;
    nlohmann::json jo = nlohmann::json::array();
    for (const OutputReport& o : outs) {
        const ErrorStats& e = o.error;
        nlohmann::json x = {{"name", o.name},
                            {"shape", e.dims},
                            {"max_abs_diff", e.max_abs},
                            {"mean_abs_diff", e.mean_abs()},
                            {"cosine", e.cosine()},
                            {"worst_cosine", e.worst_cosine},
                            {"rel_l2", e.rel_l2()},
                            {"nonfinite_mismatches", e.nonfinite}};
        if (o.top1.total) x["top1"] = o.top1.json();
        if (o.top5.total) x["top5"] = o.top5.json();
        if (o.pixels.total) x["pixels"] = o.pixels.json();
        jo.push_back(x);
    }
    j["outputs"] = jo;
    nlohmann::json jl = nlohmann::json::array();
    for (const LayerRow& r : rows)
        jl.push_back({{"node", r.node},
                      {"op_type", r.op_type},
                      {"value", r.value},
                      {"rel_l2", r.rel_l2},
                      {"cosine", r.cosine},
                      {"local_rel_l2", r.has_local ? nlohmann::json(r.local_rel_l2) : nlohmann::json()},
                      {"local_cosine", r.has_local ? nlohmann::json(r.local_cosine) : nlohmann::json()}});
    j["layers"] = jl;
    return j;
}

std::string percent(const nlohmann::json& ag) {
    std::ostringstream s;
    s << ag["agree"].get<int64_t>() << "/" << ag["total"].get<int64_t>() << " (" << std::fixed << std::setprecision(2)
      << 100.0 * ag["rate"].get<double>() << "%)";
    return s.str();
}

void print_report(const nlohmann::json& j, int max_rows) {
    const bool int8 = j["precision"] == "int8";
    std::cout << std::setprecision(6) << j["precision"].get<std::string>()
              << " vs fp32: " << j["model"].get<std::string>()
              << (int8 ? " quantized as " + j["quantized"].get<std::string>() : "") << ", "
              << j["samples"].get<size_t>() << " inputs";
    if (!j["preprocess"].get<std::string>().empty())
        std::cout << " (images: " << j["preprocess"].get<std::string>() << ")";
    std::cout << "\n";
    if (!j["keep_fp32"].empty()) std::cout << "kept in fp32: " << j["keep_fp32"].dump() << "\n";
    for (const auto& o : j["outputs"]) {
        std::cout << "output " << o["name"].get<std::string>() << " ["
                  << shape_to_string(o["shape"].get<std::vector<int64_t>>()) << "]: max abs "
                  << o["max_abs_diff"].get<double>() << ", mean abs " << o["mean_abs_diff"].get<double>() << ", cosine "
                  << o["cosine"].get<double>() << " (worst input " << o["worst_cosine"].get<double>() << "), rel L2 "
                  << o["rel_l2"].get<double>() << "\n";
        if (o.contains("top1")) std::cout << "  top-1 agreement " << percent(o["top1"]) << "\n";
        if (o.contains("top5")) std::cout << "  top-5 agreement (same 5 classes) " << percent(o["top5"]) << "\n";
        if (o.contains("pixels")) std::cout << "  per-pixel argmax agreement " << percent(o["pixels"]) << "\n";
        if (o["nonfinite_mismatches"].get<int64_t>() > 0)
            std::cout << "  " << o["nonfinite_mismatches"].get<int64_t>() << " elements NaN/Inf on one side only\n";
    }
    std::cout << "\nlayers adding the most error (on " << j["layer_samples"].get<size_t>()
              << " inputs; own: the node alone on its fp32 inputs, total: its output in the whole "
              << j["precision"].get<std::string>() << " run; rel L2 = |" << j["precision"].get<std::string>()
              << " - fp32| / |fp32|" << (int8 ? "; int8 measured on the QDQ model's float reference path" : "")
              << "):\n";
    std::cout << "  " << std::left << std::setw(44) << "node" << std::setw(16) << "op" << std::right << std::setw(13)
              << "own rel L2" << std::setw(13) << "total rel L2" << std::setw(14) << "total cosine"
              << "\n";
    int shown = 0;
    for (const auto& r : j["layers"]) {
        if (shown++ >= max_rows) break;
        std::ostringstream own;
        if (r["local_rel_l2"].is_null())
            own << "-";
        else
            own << std::scientific << std::setprecision(3) << r["local_rel_l2"].get<double>();
        std::cout << "  " << std::left << std::setw(44) << r["node"].get<std::string>() + " " << std::setw(16)
                  << r["op_type"].get<std::string>() + " " << std::right << std::setw(13) << own.str()
                  << std::scientific << std::setprecision(3) << std::setw(13) << r["rel_l2"].get<double>() << std::fixed
                  << std::setprecision(6) << std::setw(14) << r["cosine"].get<double>() << std::defaultfloat << "\n";
    }
    if (int8)
        std::cout << "keep a node in float32: edgeinfer quantize MODEL OUT.onnx --calib DIR --exclude NODE[,NODE...]\n";
    else
        std::cout << "pin a node to fp32: --keep-fp32 NODE[,NODE...] (compare, run, bench, classify/detect/segment)\n";
}

Status check_args(const PrecisionCompareArgs& a, const ir::Model& base) {
    if (a.precision != "bf16" && a.precision != "int8")
        return invalid_argument("--precision " + a.precision + ": expected bf16 or int8 (the reference is fp32)");
    if (a.precision == "bf16" && !a.quantized.empty())
        return invalid_argument("--quantized goes with --precision int8");
    if (a.precision == "int8" && a.quantized.empty()) {
        if (runtime::has_quantized_nodes(base))
            return invalid_argument(a.model +
                                    " is already quantized (QuantizeLinear/DequantizeLinear nodes): compare "
                                    "needs the float model as the fp32 reference: edgeinfer compare FLOAT.onnx "
                                    "--precision int8 --quantized " +
                                    a.model);
        return invalid_argument(
            "--precision int8 needs the quantized model: --quantized QDQ.onnx (written by "
            "`edgeinfer quantize " +
            a.model + " QDQ.onnx --calib DIR`)");
    }
    if (a.samples < 0 || a.layer_samples < 0 || a.layers < 0)
        return invalid_argument("--samples, --layer-samples and --layers must be >= 0");
    return Status::ok();
}

Result<nlohmann::json> compare_precision(const PrecisionCompareArgs& a) {
    model::LoadOptions lo;
    lo.infer_shapes = true;
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model base, model::load_model(a.model, lo));
    EDGEINFER_RETURN_IF_ERROR(check_args(a, base));
    const Precision p = a.precision == "bf16" ? Precision::kBf16 : Precision::kInt8;
    std::optional<ir::Model> quantized;
    if (p == Precision::kInt8) {
        EDGEINFER_ASSIGN_OR_RETURN(quantized, model::load_model(a.quantized, lo));
        if (!runtime::has_quantized_nodes(*quantized))
            return invalid_argument("--quantized " + a.quantized +
                                    ": the model has no QuantizeLinear/DequantizeLinear "
                                    "nodes (write one with `edgeinfer quantize`)");
    }
    EDGEINFER_RETURN_IF_ERROR(
        check_node_names(quantized ? *quantized : base, a.keep_fp32, quantized ? a.quantized : a.model));
    // The outputs as a user gets them: full optimization, fused int8 kernels.
    SessionOptions fo;
    fo.num_threads = a.threads;
    EDGEINFER_ASSIGN_OR_RETURN(auto fp32, Session::create(a.model, fo));
    SessionOptions lo_opts = fo;
    lo_opts.precision = p;
    lo_opts.keep_fp32_nodes = a.keep_fp32;
    EDGEINFER_ASSIGN_OR_RETURN(auto low, Session::create(quantized ? a.quantized : a.model, lo_opts));
    std::string preprocess;
    EDGEINFER_ASSIGN_OR_RETURN(auto samples, load_samples(a, *fp32, &preprocess));
    if (samples.empty()) return invalid_argument("no inputs to compare on");
    if (fp32->outputs().size() != low->outputs().size())
        return invalid_argument(a.quantized + " has " + std::to_string(low->outputs().size()) + " outputs, " + a.model +
                                " has " + std::to_string(fp32->outputs().size()));
    std::vector<OutputReport> outs(fp32->outputs().size());
    for (size_t k = 0; k < outs.size(); ++k) outs[k].name = fp32->outputs()[k].name;
    for (const Sample& s : samples) {
        auto ra = fp32->run(s.tensors);
        if (!ra.is_ok()) return ra.status().with_context(s.label);
        auto rb = low->run(s.tensors);
        if (!rb.is_ok()) return rb.status().with_context(s.label);
        for (size_t k = 0; k < outs.size(); ++k) {
            const Tensor &x = (*ra)[k].tensor, &y = (*rb)[k].tensor;
            if (x.dtype() != DataType::kFloat32 || y.dtype() != DataType::kFloat32) continue;
            if (x.dims() != y.dims())
                return internal_error("output '" + outs[k].name + "' has shape " + shape_to_string(y.dims()) + " in " +
                                      a.precision + " and " + shape_to_string(x.dims()) + " in fp32 (" + s.label + ")");
            outs[k].error.add(x, y);
            add_agreement(x, y, outs[k]);
        }
    }
    std::vector<Sample> first(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(
                                                                     samples.size(), a.layer_samples)));
    std::vector<LayerRow> rows;
    if (!first.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(
            rows, layer_table(std::move(base), quantized ? &*quantized : nullptr, p, a.keep_fp32, first, a.threads));
    }
    return report_json(a, outs, rows, samples.size(), first.size(), preprocess);
}

}  // namespace

int run_precision_compare(const PrecisionCompareArgs& args) {
    auto j = compare_precision(args);
    if (!j.is_ok()) {
        std::cerr << "edgeinfer compare: " << j.status().to_string() << "\n";
        return 1;
    }
    if (args.json)
        std::cout << j->dump(2) << "\n";
    else
        print_report(*j, args.layers);
    return 0;
}

}  // namespace edgeinfer::cli

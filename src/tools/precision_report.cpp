// tools::precision_report: a model in fp32 against bf16 or int8 on a set of inputs: output error
// statistics, top-1/top-5 agreement for classifier scores, argmax agreement per pixel for segmentation
// maps, and a per-layer table of where the error grows (by node name, for keep_fp32 or quantize's
// exclude list).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "model/onnx_model.hpp"
#include "passes/pipelines.hpp"
#include "runtime/graph_optimizer.hpp"
#include "runtime/session_internal.hpp"
#include "tools/input_files.hpp"
#include "tools/value_matching.hpp"
#include "vision/preprocess.hpp"

namespace edgeinfer::tools {
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

Result<std::vector<Sample>> load_samples(const std::string& model, const PrecisionReportOptions& a, const Session& s,
                                         std::string* preprocess) {
    std::vector<Sample> out;
    if (a.data.empty()) {
        const int n = std::max(1, a.samples);
        for (int k = 0; k < n; ++k) {
            const uint32_t seed = a.seed + static_cast<uint32_t>(k);
            EDGEINFER_ASSIGN_OR_RETURN(auto t, make_inputs(s.inputs(), a.input_files, a.shapes, seed));
            out.push_back({"random input (seed " + std::to_string(seed) + ")", std::move(t)});
        }
        return out;
    }
    if (!a.input_files.empty()) return invalid_argument("give --inputs or -i NAME=FILE.npy, not both");
    if (s.inputs().size() != 1)
        return unsupported(model + ": --inputs needs a model with one input, it has " +
                           std::to_string(s.inputs().size()) + " (use -i NAME=FILE.npy for each)");
    EDGEINFER_ASSIGN_OR_RETURN(auto files, list_input_files(a.data, "--inputs"));
    std::optional<vision::ResolvedPreprocess> pre;
    for (const fs::path& f : files) {
        if (a.samples > 0 && static_cast<int>(out.size()) >= a.samples) break;
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, read_input_file(f, model, s.inputs()[0], pre));
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
Result<std::vector<LayerError>> layer_table(ir::Model base, const ir::Model* quantized, Precision p,
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
    std::vector<LayerError> rows;
    for (const ir::Node& n : base.graph.nodes) {
        auto out =
            std::find_if(n.outputs.begin(), n.outputs.end(), [&](const std::string& o) { return stats.count(o); });
        if (out == n.outputs.end()) continue;
        LayerError r{n.name, n.op_type, *out, stats[*out].rel_l2(), stats[*out].cosine(), {}, {}};
        if (auto l = local.find(*out); l != local.end()) {
            r.local_rel_l2 = l->second.rel_l2();
            r.local_cosine = l->second.cosine();
        }
        rows.push_back(r);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const LayerError& x, const LayerError& y) {
        const double lx = x.local_rel_l2.value_or(0), ly = y.local_rel_l2.value_or(0);
        return lx != ly ? lx > ly : x.rel_l2 > y.rel_l2;
    });
    return rows;
}

Status check_options(const std::string& model, const PrecisionReportOptions& a, const ir::Model& base) {
    const std::string name(to_string(a.precision));
    if (a.precision == Precision::kFp32)
        return invalid_argument("--precision " + name + ": expected bf16 or int8 (the reference is fp32)");
    if (a.precision == Precision::kBf16 && !a.quantized.empty())
        return invalid_argument("--quantized goes with --precision int8");
    if (a.precision == Precision::kInt8 && a.quantized.empty()) {
        if (runtime::has_quantized_nodes(base))
            return invalid_argument(model +
                                    " is already quantized (QuantizeLinear/DequantizeLinear nodes): compare "
                                    "needs the float model as the fp32 reference: edgeinfer compare FLOAT.onnx "
                                    "--precision int8 --quantized " +
                                    model);
        return invalid_argument(
            "--precision int8 needs the quantized model: --quantized QDQ.onnx (written by "
            "`edgeinfer quantize " +
            model + " QDQ.onnx --calib DIR`)");
    }
    if (a.samples < 0 || a.layer_samples < 0) return invalid_argument("--samples and --layer-samples must be >= 0");
    return Status::ok();
}

PrecisionOutput output_row(const OutputReport& o) {
    const ErrorStats& e = o.error;
    return {o.name,     e.dims,      e.max_abs, e.mean_abs(), e.cosine(), e.worst_cosine,
            e.rel_l2(), e.nonfinite, o.top1,    o.top5,       o.pixels};
}

}  // namespace

Result<PrecisionReport> precision_report(const std::string& model, const PrecisionReportOptions& a) {
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model base, load_with_shapes(model));
    EDGEINFER_RETURN_IF_ERROR(check_options(model, a, base));
    const Precision p = a.precision;
    const std::string pname(to_string(p));
    std::optional<ir::Model> quantized;
    if (p == Precision::kInt8) {
        EDGEINFER_ASSIGN_OR_RETURN(quantized, load_with_shapes(a.quantized));
        if (!runtime::has_quantized_nodes(*quantized))
            return invalid_argument("--quantized " + a.quantized +
                                    ": the model has no QuantizeLinear/DequantizeLinear "
                                    "nodes (write one with `edgeinfer quantize`)");
    }
    EDGEINFER_RETURN_IF_ERROR(
        check_node_names(quantized ? *quantized : base, a.keep_fp32, quantized ? a.quantized : model));
    // The outputs as a user gets them: full optimization, fused int8 kernels.
    SessionOptions fo;
    fo.num_threads = a.threads;
    EDGEINFER_ASSIGN_OR_RETURN(auto fp32, Session::create(model, fo));
    SessionOptions lo_opts = fo;
    lo_opts.precision = p;
    lo_opts.keep_fp32_nodes = a.keep_fp32;
    EDGEINFER_ASSIGN_OR_RETURN(auto low, Session::create(quantized ? a.quantized : model, lo_opts));
    PrecisionReport report{model, pname, a.quantized, a.keep_fp32, 0, 0, "", {}, {}};
    EDGEINFER_ASSIGN_OR_RETURN(auto samples, load_samples(model, a, *fp32, &report.preprocess));
    if (samples.empty()) return invalid_argument("no inputs to compare on");
    if (fp32->outputs().size() != low->outputs().size())
        return invalid_argument(a.quantized + " has " + std::to_string(low->outputs().size()) + " outputs, " + model +
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
                                      pname + " and " + shape_to_string(x.dims()) + " in fp32 (" + s.label + ")");
            outs[k].error.add(x, y);
            add_agreement(x, y, outs[k]);
        }
    }
    const size_t n_layer = std::min<size_t>(samples.size(), static_cast<size_t>(a.layer_samples));
    std::vector<Sample> first(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(n_layer));
    if (!first.empty()) {
        EDGEINFER_ASSIGN_OR_RETURN(report.layers, layer_table(std::move(base), quantized ? &*quantized : nullptr, p,
                                                              a.keep_fp32, first, a.threads));
    }
    report.samples = samples.size();
    report.layer_samples = first.size();
    for (const OutputReport& o : outs) report.outputs.push_back(output_row(o));
    return report;
}

}  // namespace edgeinfer::tools

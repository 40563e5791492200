// quantize_model: calibration (activation ranges from running the model) and QDQ insertion.
#include "quant/quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "base/status.hpp"
#include "model/onnx_model.hpp"
#include "passes/graph_util.hpp"
#include "passes/pipelines.hpp"
#include "runtime/graph_optimizer.hpp"
#include "runtime/session_internal.hpp"

namespace edgeinfer::quant {
namespace {

constexpr int kBins = 2048;
constexpr int kLevels = 128;

// One node to quantize: its index, the activation it reads and its weight's output-channel axis.
struct Target {
    size_t node = 0;
    std::string activation, weight;
    int64_t channel_axis = 0;
};

bool has_input(const ir::Node& n, size_t i) { return n.inputs.size() > i && !n.inputs[i].empty(); }

// Conv/Gemm/MatMul nodes with a constant float32 weight and a computed float input.
std::vector<Target> find_targets(const ir::Graph& g, const std::set<std::string>& exclude) {
    std::vector<Target> out;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        const bool conv = passes::is_op(n, "Conv"), gemm = passes::is_op(n, "Gemm"), mm = passes::is_op(n, "MatMul");
        if (!(conv || gemm || mm) || !has_input(n, 0) || !has_input(n, 1) || exclude.count(n.name)) continue;
        const Tensor* w = passes::constant_value(g, n.inputs[1]);
        if (!w || w->dtype() != DataType::kFloat32 || passes::constant_value(g, n.inputs[0])) continue;
        if ((conv && w->rank() < 3) || (!conv && w->rank() != 2)) continue;
        if (gemm && n.attr_int("transA", 0) != 0) continue;
        DataType in = passes::value_dtype(g, n.inputs[0]);
        if (in != DataType::kFloat32 && in != DataType::kUndefined) continue;
        Target t;
        t.node = i;
        t.activation = n.inputs[0];
        t.weight = n.inputs[1];
        t.channel_axis = conv ? 0 : gemm ? (n.attr_int("transB", 0) != 0 ? 0 : 1) : 1;
        out.push_back(t);
    }
    return out;
}

// Value statistics over all calibration samples.
struct Stats {
    float lo = std::numeric_limits<float>::max();
    float hi = std::numeric_limits<float>::lowest();
    std::vector<double> hist;  // kBins over [lo, hi] (percentile) or [0, max |x|] (entropy)
    bool finite = true;
};

// Runs the model with the activations as extra outputs and feeds each value to `fn`.
template <typename F>
Status run_calibration(const ir::Model& model, const std::vector<std::string>& names,
                       const std::vector<Sample>& samples, int threads, F&& fn) {
    ir::Model probe = model;
    std::set<std::string> outputs;
    for (const ir::ValueInfo& v : probe.graph.outputs) outputs.insert(v.name);
    for (const std::string& n : names)
        if (!outputs.count(n)) probe.graph.outputs.push_back(ir::ValueInfo{n, DataType::kFloat32, {}, {}});
    SessionOptions so;
    so.num_threads = threads;
    so.optimization_level = GraphOptimizationLevel::kNone;  // already optimized; keep every value
    EDGEINFER_ASSIGN_OR_RETURN(auto session, runtime::create_session(std::move(probe), so));
    for (size_t s = 0; s < samples.size(); ++s) {
        auto outs = session->run(samples[s]);
        if (!outs.is_ok()) return outs.status().with_context("calibration sample " + std::to_string(s));
        for (const NamedTensor& nt : *outs) fn(nt.name, nt.tensor);
    }
    return Status::ok();
}

// Histogram index of v in [lo, hi] with kBins bins.
int bin_of(float v, float lo, float hi) {
    if (hi <= lo) return 0;
    int b = static_cast<int>((v - lo) / (hi - lo) * kBins);
    return std::clamp(b, 0, kBins - 1);
}

// Value below which `q` (0..1) of the histogram's mass lies.
float histogram_quantile(const Stats& s, double q) {
    double total = 0;
    for (double h : s.hist) total += h;
    double want = q * total, acc = 0;
    for (int b = 0; b < kBins; ++b) {
        acc += s.hist[b];
        if (acc >= want) return s.lo + (s.hi - s.lo) * static_cast<float>(b + 1) / kBins;
    }
    return s.hi;
}

// TensorRT's entropy calibration on a histogram of |x| over [0, amax]: the threshold bin count i
// (>= kLevels) minimizing KL(P_i || Q_i), P the clipped reference and Q its kLevels-bin quantization.
float entropy_threshold(const std::vector<double>& hist, float amax) {
    double best_kl = std::numeric_limits<double>::max();
    int best = kBins;
    std::vector<double> p(kBins), q(kBins);
    for (int i = kLevels; i <= kBins; i += 8) {
        double outliers = 0;
        for (int b = i; b < kBins; ++b) outliers += hist[b];
        for (int b = 0; b < i; ++b) p[b] = hist[b];
        p[i - 1] += outliers;
        // Quantize the first i bins into kLevels levels, spreading each level over its non-empty bins.
        std::fill(q.begin(), q.begin() + i, 0.0);
        const double per = static_cast<double>(i) / kLevels;
        for (int l = 0; l < kLevels; ++l) {
            int b0 = static_cast<int>(l * per), b1 = std::min(i, static_cast<int>((l + 1) * per));
            double sum = 0;
            int nonzero = 0;
            for (int b = b0; b < b1; ++b) {
                sum += hist[b];
                nonzero += hist[b] > 0;
            }
            for (int b = b0; b < b1; ++b)
                if (hist[b] > 0) q[b] = sum / nonzero;
        }
        double ps = 0, qs = 0;
        for (int b = 0; b < i; ++b) {
            ps += p[b];
            qs += q[b];
        }
        if (ps <= 0 || qs <= 0) continue;
        double kl = 0;
        for (int b = 0; b < i; ++b) {
            if (p[b] <= 0) continue;
            double pn = p[b] / ps, qn = q[b] / qs;
            kl += qn > 0 ? pn * std::log(pn / qn) : pn * 20.0;  // empty Q bin: large penalty
        }
        if (kl < best_kl) {
            best_kl = kl;
            best = i;
        }
    }
    return amax * static_cast<float>(best) / kBins;
}

// Chooses [lo, hi] (containing 0) for every activation from the samples.
Result<std::map<std::string, std::pair<float, float>>> calibrate(const ir::Model& model,
                                                                 const std::vector<std::string>& names,
                                                                 const std::vector<Sample>& samples,
                                                                 const QuantizeOptions& o, QuantizeReport& report) {
    std::map<std::string, Stats> stats;
    for (const std::string& n : names) stats[n];
    EDGEINFER_RETURN_IF_ERROR(
        run_calibration(model, names, samples, o.num_threads, [&](const std::string& n, const Tensor& t) {
            auto it = stats.find(n);
            if (it == stats.end() || t.dtype() != DataType::kFloat32) return;
            Stats& s = it->second;
            const float* d = t.data_as<float>();
            for (int64_t i = 0; i < t.numel(); ++i) {
                if (!std::isfinite(d[i])) {
                    s.finite = false;
                    continue;
                }
                s.lo = std::min(s.lo, d[i]);
                s.hi = std::max(s.hi, d[i]);
            }
        }));
    if (o.method != CalibrationMethod::kMinMax) {
        for (auto& [n, s] : stats) s.hist.assign(kBins, 0.0);
        const bool entropy = o.method == CalibrationMethod::kEntropy;
        EDGEINFER_RETURN_IF_ERROR(
            run_calibration(model, names, samples, o.num_threads, [&](const std::string& n, const Tensor& t) {
                auto it = stats.find(n);
                if (it == stats.end() || t.dtype() != DataType::kFloat32) return;
                Stats& s = it->second;
                const float amax = std::max(std::abs(s.lo), std::abs(s.hi));
                const float* d = t.data_as<float>();
                for (int64_t i = 0; i < t.numel(); ++i) {
                    if (!std::isfinite(d[i])) continue;
                    s.hist[entropy ? bin_of(std::abs(d[i]), 0.0f, amax) : bin_of(d[i], s.lo, s.hi)] += 1;
                }
            }));
    }
    std::map<std::string, std::pair<float, float>> ranges;
    for (auto& [n, s] : stats) {
        if (!s.finite)
            report.warnings.push_back("activation '" + n + "' had non-finite values (ignored for its range)");
        if (s.lo > s.hi) s.lo = s.hi = 0.0f;  // never observed (empty tensors)
        float lo = s.lo, hi = s.hi;
        if (o.method == CalibrationMethod::kPercentile) {
            lo = histogram_quantile(s, 1.0 - o.percentile / 100.0);
            hi = histogram_quantile(s, o.percentile / 100.0);
        } else if (o.method == CalibrationMethod::kEntropy) {
            float amax = std::max(std::abs(s.lo), std::abs(s.hi));
            float t = entropy_threshold(s.hist, amax);
            hi = t;
            lo = s.lo >= 0.0f ? 0.0f : -t;
        }
        lo = std::min(lo, 0.0f);
        hi = std::max(hi, 0.0f);
        if (hi - lo <= 0.0f)
            report.warnings.push_back("activation '" + n + "' was constant 0 on every sample; using scale 1");
        ranges[n] = {lo, hi};
    }
    return ranges;
}

// Scale and zero point of an asymmetric uint8 range (scale 1 for an empty range).
std::pair<float, uint8_t> uint8_params(float lo, float hi) {
    float scale = (hi - lo) / 255.0f;
    if (!(scale > 0.0f) || !std::isfinite(scale)) return {1.0f, 0};
    float zp = std::nearbyint(-lo / scale);
    return {scale, static_cast<uint8_t>(std::clamp(zp, 0.0f, 255.0f))};
}

// Symmetric int8 weights, per tensor or per `axis` channel. Returns {int8 W, scales}.
std::pair<Tensor, Tensor> quantize_weight(const Tensor& w, bool per_channel, int64_t axis) {
    const std::vector<int64_t>& d = w.dims();
    int64_t channels = per_channel ? d[axis] : 1, inner = 1;
    for (size_t k = static_cast<size_t>(axis) + 1; k < d.size(); ++k) inner *= d[k];
    auto channel = [&](int64_t i) { return per_channel ? (i / inner) % channels : 0; };
    std::vector<float> amax(static_cast<size_t>(channels), 0.0f);
    const float* src = w.data_as<float>();
    for (int64_t i = 0; i < w.numel(); ++i) amax[channel(i)] = std::max(amax[channel(i)], std::abs(src[i]));
    Tensor scales =
        Tensor::allocate(DataType::kFloat32, per_channel ? std::vector<int64_t>{channels} : std::vector<int64_t>{});
    for (int64_t c = 0; c < channels; ++c) scales.data_as<float>()[c] = amax[c] > 0.0f ? amax[c] / 127.0f : 1.0f;
    Tensor q = Tensor::allocate(DataType::kInt8, d);
    for (int64_t i = 0; i < w.numel(); ++i) {
        float v = std::nearbyint(src[i] / scales.data_as<float>()[channel(i)]);
        q.data_as<int8_t>()[i] = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
    }
    return {q, scales};
}

ir::Node make_node(const std::string& op, std::string name, std::vector<std::string> in, std::string out) {
    ir::Node n;
    n.op_type = op;
    n.name = std::move(name);
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    return n;
}

}  // namespace

Result<CalibrationMethod> parse_method(const std::string& name) {
    if (name == "minmax") return CalibrationMethod::kMinMax;
    if (name == "percentile") return CalibrationMethod::kPercentile;
    if (name == "entropy") return CalibrationMethod::kEntropy;
    return invalid_argument("unknown calibration method '" + name + "' (expected minmax, percentile or entropy)");
}

Result<ir::Model> quantize_model(ir::Model model, const std::vector<Sample>& samples, const QuantizeOptions& o,
                                 QuantizeReport* report_out) {
    QuantizeReport report;
    const std::string name = model.source_path.empty() ? "<model>" : model.source_path;
    if (samples.empty()) return invalid_argument(name + ": no calibration samples");
    if (!(o.percentile > 50.0 && o.percentile <= 100.0))
        return invalid_argument("percentile must be in (50, 100], got " + std::to_string(o.percentile));
    const int64_t opset = model.opset_version("");
    if (opset < 10)
        return unsupported(name + ": opset " + std::to_string(opset) + " has no QuantizeLinear (needs >= 10)");
    if (o.per_channel && opset < 13)
        return unsupported(name + ": per-channel weight scales need opset >= 13, the model has " +
                           std::to_string(opset));
    // Fold BatchNormalization and constants first: the weights quantized are the ones that run.
    passes::PipelineOptions po;
    po.evaluator = runtime::cpu_node_evaluator();
    passes::make_pass_manager(passes::Level::kExtended, po).run(model);

    ir::Graph& g = model.graph;
    std::set<std::string> exclude(o.exclude.begin(), o.exclude.end());
    for (const std::string& e : o.exclude) {
        bool found = false;
        for (const ir::Node& n : g.nodes) found = found || n.name == e;
        if (!found) return invalid_argument(name + ": --exclude names '" + e + "', which is not a node of the model");
    }
    std::vector<Target> targets = find_targets(g, exclude);
    if (targets.empty())
        return invalid_argument(name + ": nothing to quantize (no Conv/Gemm/MatMul with constant weights)");
    std::vector<std::string> acts;
    for (const Target& t : targets)
        if (std::find(acts.begin(), acts.end(), t.activation) == acts.end()) acts.push_back(t.activation);
    EDGEINFER_ASSIGN_OR_RETURN(auto ranges, calibrate(model, acts, samples, o, report));
    report.samples = static_cast<int64_t>(samples.size());

    // Rebuild the node list: Q/DQ of an activation just before its first quantized reader, a
    // weight's DQ just before its node.
    std::vector<ir::Node> nodes;
    std::map<std::string, std::string> dequantized;  // activation -> its DequantizeLinear output
    std::vector<bool> is_target(g.nodes.size(), false);
    std::vector<const Target*> target_of(g.nodes.size(), nullptr);
    for (const Target& t : targets) target_of[t.node] = &t;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        ir::Node n = g.nodes[i];
        if (const Target* t = target_of[i]) {
            auto it = dequantized.find(t->activation);
            if (it == dequantized.end()) {
                auto [lo, hi] = ranges[t->activation];
                auto [scale, zp] = uint8_params(lo, hi);
                std::string s = passes::unique_value_name(g, t->activation + "_scale");
                g.add_initializer(s, Tensor::from_vector(DataType::kFloat32, {}, std::vector<float>{scale}));
                std::string z = passes::unique_value_name(g, t->activation + "_zero_point");
                g.add_initializer(z, Tensor::from_vector(DataType::kUInt8, {}, std::vector<uint8_t>{zp}));
                std::string q = passes::unique_value_name(g, t->activation + "_quantized");
                nodes.push_back(make_node("QuantizeLinear", q, {t->activation, s, z}, q));
                g.value_info.push_back(ir::ValueInfo{q, DataType::kUInt8, {}, {}});  // reserves the name
                std::string dq = passes::unique_value_name(g, t->activation + "_dequantized");
                nodes.push_back(make_node("DequantizeLinear", dq, {q, s, z}, dq));
                g.value_info.push_back(ir::ValueInfo{dq, DataType::kFloat32, {}, {}});
                it = dequantized.emplace(t->activation, dq).first;
                report.activations++;
            }
            n.inputs[0] = it->second;
            auto [wq, ws] = quantize_weight(*passes::constant_value(g, t->weight), o.per_channel, t->channel_axis);
            std::string base = n.name.empty() ? t->weight : n.name + ".weight";
            std::string wq_name = passes::unique_value_name(g, base + "_quantized");
            g.add_initializer(wq_name, std::move(wq));
            std::string ws_name = passes::unique_value_name(g, base + "_scale");
            g.add_initializer(ws_name, std::move(ws));
            std::string wdq = passes::unique_value_name(g, base + "_dequantized");
            ir::Node d = make_node("DequantizeLinear", wdq, {wq_name, ws_name}, wdq);
            if (o.per_channel) d.attributes.push_back(passes::make_int_attr("axis", t->channel_axis));
            nodes.push_back(std::move(d));
            g.value_info.push_back(ir::ValueInfo{wdq, DataType::kFloat32, {}, {}});
            n.inputs[1] = wdq;
            report.weights++;
            report.quantized_nodes++;
        } else if (n.op_type == "Add" && (n.domain.empty() || n.domain == "ai.onnx") && n.inputs.size() == 2 &&
                   !passes::constant_value(g, n.inputs[0]) && !passes::constant_value(g, n.inputs[1])) {
            // A residual Add reads an activation already quantized for a convolution through its
            // DequantizeLinear: the skip connection then carries the same int8 values (and a runtime
            // can add them in int8, as edgeinfer:QConv's quantized Z does).
            for (std::string& in : n.inputs)
                if (auto it = dequantized.find(in); it != dequantized.end()) in = it->second;
        }
        nodes.push_back(std::move(n));
    }
    g.nodes = std::move(nodes);
    // Float weights nothing reads any more.
    passes::UseMap uses(g);
    for (const Target& t : targets)
        if (!uses.is_used(t.weight) && !g.is_graph_input(t.weight)) g.remove_initializer(t.weight);
    // Drop the placeholder annotations (their shapes are unknown; the checker infers them).
    std::erase_if(g.value_info, [](const ir::ValueInfo& v) { return !v.shape.has_rank; });
    if (report_out) *report_out = report;
    return model;
}

}  // namespace edgeinfer::quant

// tools::format_text: the text renderings of the model tools' reports (what `edgeinfer inspect|
// optimize|compare|bench` print without --json).
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "edgeinfer/tools.hpp"

namespace edgeinfer::tools {
namespace {

// 1234567 -> "1.23M".
std::string human(double v) {
    const char* units[] = {"", "K", "M", "G", "T"};
    int u = 0;
    for (; v >= 1000.0 && u < 4; ++u) v /= 1000.0;
    std::ostringstream o;
    o << std::fixed << std::setprecision(u == 0 ? 0 : 2) << v << units[u];
    return o.str();
}

void print_values(std::ostream& out, const char* title, const std::vector<ValueInfo>& values) {
    out << title;
    for (const ValueInfo& v : values)
        out << "  " << v.name << "  " << dtype_name(v.dtype) << "  [" << v.shape_text << "]\n";
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

void pass_row(std::ostream& out, const std::string& name, int64_t n0, int64_t n1, int64_t b0, int64_t b1, double ms,
              const std::string& diff, const std::string& note) {
    std::ostringstream t;
    t << std::fixed << std::setprecision(1) << ms;
    out << std::left << std::setw(30) << name << std::right << std::setw(14)
        << (std::to_string(n0) + " -> " + std::to_string(n1)) << std::setw(26)
        << (bytes_text(b0) + " -> " + bytes_text(b1)) << std::setw(11) << t.str() << std::setw(11) << diff << "  "
        << note << "\n";
}

void stats_list(std::ostream& out, const std::vector<NamedStats>& list, const std::string& side) {
    out << "  inputs in " << side << ":\n";
    if (list.empty()) out << "    (none)\n";
    for (const auto& e : list) {
        out << "    " << std::left << std::setw(32) << e.name;
        if (!e.stats)
            out << " (not available)\n";
        else
            out << " [" << shape_to_string(e.stats->shape) << "]  " << format_stats(e.stats->stats) << "\n";
    }
}

std::string percent(const Agreement& a) {
    std::ostringstream s;
    s << a.agree << "/" << a.total << " (" << std::fixed << std::setprecision(2) << 100.0 * a.rate() << "%)";
    return s.str();
}

// `v` with `digits` decimals, then `suffix`: the time and share columns of the profile tables.
std::string fixed(double v, int digits, const char* suffix = "") {
    std::ostringstream o;
    o << std::fixed << std::setprecision(digits) << v << suffix;
    return o.str();
}

}  // namespace

std::string format_text(const ModelInfo& m) {
    std::ostringstream out;
    out << "model:      " << m.path << "\n";
    out << "producer:   " << m.producer_name << (m.producer_version.empty() ? "" : " " + m.producer_version) << "\n";
    out << "ir version: " << m.ir_version << "\n";
    out << "opsets:    ";
    for (const auto& [domain, version] : m.opsets) out << " " << domain << "=" << version;
    print_values(out, "\n\ninputs:\n", m.inputs);
    print_values(out, "outputs:\n", m.outputs);
    out << "\nparameters: " << m.parameter_count << " (" << human(static_cast<double>(m.parameter_count)) << ")";
    if (m.batchnorm_statistics > 0) out << ", plus " << m.batchnorm_statistics << " BatchNorm statistics";
    out << ", initializers " << human(static_cast<double>(m.initializer_bytes)) << "B\n";
    if (!m.denormal_weights.empty()) {
        int64_t total = 0;
        for (const auto& [name, count] : m.denormal_weights) total += count;
        out << "denormal weights: " << total << " values in " << m.denormal_weights.size()
            << " initializers (optimize flushes float32 ones: flush-denormals):";
        for (size_t k = 0; k < m.denormal_weights.size() && k < 10; ++k)
            out << " " << m.denormal_weights[k].first << "=" << m.denormal_weights[k].second;
        if (m.denormal_weights.size() > 10) out << " ...";
        out << "\n";
    }
    out << "compute:    " << human(static_cast<double>(m.macs)) << " MACs, " << human(static_cast<double>(2 * m.macs))
        << " FLOPs";
    if (m.nodes_without_shapes > 0) out << " (" << m.nodes_without_shapes << " nodes with unknown shapes not counted)";
    if (m.symbolic_dims_as_one) out << " (symbolic dims such as batch counted as 1)";
    out << "\n\nnodes: " << m.node_count << "\n";
    out << "  " << std::left << std::setw(28) << "op" << std::right << std::setw(7) << "count" << std::setw(12)
        << "MACs"
        << "  runs\n";
    for (const OpInfo& op : m.ops)
        out << "  " << std::left << std::setw(28) << op.op << std::right << std::setw(7) << op.count << std::setw(12)
            << (op.macs ? human(static_cast<double>(op.macs)) : "-") << "  " << (op.supported ? "yes" : "no") << "\n";
    out << "\n";
    if (m.registered_kernels == 0) {
        out << "support: this build of edgeinfer has no kernels registered yet, so it cannot run any op\n";
    } else if (m.unsupported_ops.empty()) {
        out << "support: edgeinfer can run every op in this model\n";
    } else {
        out << "support: edgeinfer cannot run these ops:";
        for (const std::string& op : m.unsupported_ops) out << " " << op;
        out << "\n";
    }
    out << "cpu:     " << format_text(m.cpu) << "\n";
    for (const ModelInfo::Check& c : m.checks) {
        out << "check " << c.check << ": " << c.result << " (" << c.nodes.size() << " nodes";
        for (size_t k = 0; k < c.nodes.size() && k < 12; ++k) out << (k ? ", " : ": ") << c.nodes[k];
        if (c.nodes.size() > 12) out << ", ... (--json lists all)";
        out << ")\n";
    }
    return out.str();
}

std::string format_text(const OptimizeReport& r, const OptimizeOptions& options) {
    std::ostringstream out;
    out << std::left << std::setw(30) << "pass" << std::right << std::setw(14) << "nodes" << std::setw(26)
        << "parameter bytes" << std::setw(11) << "time ms" << std::setw(11) << "max diff"
        << "  note\n";
    for (const PassRow& p : r.passes)
        pass_row(out, p.name, p.nodes_before, p.nodes_after, p.bytes_before, p.bytes_after, p.ms,
                 p.verified ? diff_text(p.max_abs_diff) : "-", p.changed ? p.note : "no change");
    pass_row(out, "total", r.nodes_before, r.nodes_after, r.bytes_before, r.bytes_after, r.total_ms,
             r.final_check ? diff_text(r.final_check->max_abs_diff) : "-", "");
    for (const std::string& name : r.reverted) out << "reverted: " << name << " changed the outputs\n";
    if (r.final_check)
        out << "final max abs diff vs the original: " << r.final_check->max_abs_diff << " ("
            << (r.final_check->ok ? "within" : "BEYOND") << " atol " << options.atol << " + rtol " << options.rtol
            << " x max|output|; " << r.final_check->detail << ")\n";
    out << "ONNX checker: " << r.onnx_checker << "\n";
    return out.str();
}

std::string format_text(const CompareReport& r) {
    std::ostringstream out;
    const std::string& bl = r.b_label;
    out << std::setprecision(6) << "compared " << r.compared << " values of A=" << r.a << " and " << bl << "=" << r.b
        << " (" << r.runs << " runs; tolerance atol " << r.atol << " + rtol " << r.rtol << " x max|A|)\n";
    for (const auto& o : r.outputs)
        out << "output " << o.a << ": max abs diff " << o.max_abs_diff << (o.ok ? "  ok" : "  MISMATCH") << "\n";
    if (r.match()) {
        out << "no value differs beyond tolerance\n";
        return out.str();
    }
    const FirstMismatch& f = *r.first_mismatch;
    out << "\nFIRST MISMATCH: value '" << f.value << "' produced by " << f.node_label;
    if (f.value_b != f.value) out << " (" << bl << ": value '" << f.value_b << "')";
    out << "\n  " << bl << " node: " << f.node_b_label << "\n";
    if (!f.why.empty()) out << "  " << f.why << "\n";
    out << "  max abs diff " << f.max_abs_diff << " (limit " << f.limit << "), " << f.mismatched_elements
        << " elements beyond tolerance; " << r.mismatched_values << " values differ in all\n";
    stats_list(out, f.inputs_a, "A");
    stats_list(out, f.inputs_b, bl);
    out << "  largest differences (index: A, " << bl << ", |diff|):\n";
    for (const auto& e : f.top) {
        std::string idx = "[";
        for (size_t i = 0; i < e.index.size(); ++i) {
            if (i) idx += ',';
            idx += std::to_string(e.index[i]);
        }
        out << "    " << idx << "]: " << e.a << ", " << e.b << ", " << e.diff << "\n";
    }
    return out.str();
}

std::string format_text(const PrecisionReport& r, int max_layers) {
    std::ostringstream out;
    const bool int8 = r.precision == "int8";
    out << std::setprecision(6) << r.precision << " vs fp32: " << r.model
        << (int8 ? " quantized as " + r.quantized : "") << ", " << r.samples << " inputs";
    if (!r.preprocess.empty()) out << " (images: " << r.preprocess << ")";
    out << "\n";
    if (!r.keep_fp32.empty()) out << "kept in fp32: " << nlohmann::json(r.keep_fp32).dump() << "\n";
    for (const PrecisionOutput& o : r.outputs) {
        out << "output " << o.name << " [" << shape_to_string(o.shape) << "]: max abs " << o.max_abs_diff
            << ", mean abs " << o.mean_abs_diff << ", cosine " << o.cosine << " (worst input " << o.worst_cosine
            << "), rel L2 " << o.rel_l2 << "\n";
        if (o.top1.total) out << "  top-1 agreement " << percent(o.top1) << "\n";
        if (o.top5.total) out << "  top-5 agreement (same 5 classes) " << percent(o.top5) << "\n";
        if (o.pixels.total) out << "  per-pixel argmax agreement " << percent(o.pixels) << "\n";
        if (o.nonfinite_mismatches > 0) out << "  " << o.nonfinite_mismatches << " elements NaN/Inf on one side only\n";
    }
    out << "\nlayers adding the most error (on " << r.layer_samples
        << " inputs; own: the node alone on its fp32 inputs, total: its output in the whole " << r.precision
        << " run; rel L2 = |" << r.precision << " - fp32| / |fp32|"
        << (int8 ? "; int8 measured on the QDQ model's float reference path" : "") << "):\n";
    out << "  " << std::left << std::setw(44) << "node" << std::setw(16) << "op" << std::right << std::setw(13)
        << "own rel L2" << std::setw(13) << "total rel L2" << std::setw(14) << "total cosine"
        << "\n";
    for (size_t i = 0; i < r.layers.size() && static_cast<int>(i) < max_layers; ++i) {
        const LayerError& l = r.layers[i];
        std::ostringstream own;
        if (!l.local_rel_l2)
            own << "-";
        else
            own << std::scientific << std::setprecision(3) << *l.local_rel_l2;
        out << "  " << std::left << std::setw(44) << l.node + " " << std::setw(16) << l.op_type + " " << std::right
            << std::setw(13) << own.str() << std::scientific << std::setprecision(3) << std::setw(13) << l.rel_l2
            << std::fixed << std::setprecision(6) << std::setw(14) << l.cosine << std::defaultfloat << "\n";
    }
    return out.str();
}

std::string format_text(const BenchReport& r, const std::string& model, const BenchOptions& o,
                        size_t max_profile_rows) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(2);
    out << "model:       " << model << "\n";
    out << "inputs:     ";
    for (const BenchInput& in : r.inputs)
        out << " " << in.name << " " << dtype_name(in.dtype) << " " << shape_to_string(in.shape) << " ("
            << (in.from_file ? "file" : "random") << ")";
    out << "\nsettings:    " << edgeinfer::to_string(o.precision) << ", optimization "
        << edgeinfer::to_string(o.optimization) << ", " << r.threads << " thread(s) x " << o.concurrency
        << " session(s), " << r.input_sets << " input set(s), " << o.warmup << " warmup run(s)\n";
    out << "session:     created in " << r.session_create_ms << " ms"
        << (r.engine_loaded ? " (from the engine file)" : "") << ", first run " << r.first_run_ms << " ms\n";
    out << "latency ms:  min " << r.min_ms << "  mean " << r.mean_ms << "  median " << r.median_ms << "  p90 "
        << r.p90_ms << "  p95 " << r.p95_ms << "  p99 " << r.p99_ms << "  max " << r.max_ms << "  ("
        << r.latencies_ms.size() << " runs in " << r.wall_s << " s)\n";
    out << "throughput:  " << r.inferences_per_s << " inferences/s, " << r.images_per_s << " images/s (batch "
        << r.batch << ")\n";
    out << "peak RSS:    " << r.peak_rss_mb << " MB\n";
    out << "cpu time:    " << r.cpu_ms_per_run << " ms per run (user + system, all threads)"
        << (r.omp_wait.empty() ? "" : ", " + r.omp_wait) << "\n";
    out << "cpu:         " << format_text(r.cpu) << "\n";
    if (!o.profile) return out.str();
    out << "\nprofile (time per run, timed runs only; " << std::setprecision(3) << r.profile_total_ms
        << " ms in nodes):\n";
    out << std::left << std::setw(10) << "  ms" << std::setw(8) << "share" << std::setw(22) << "op type"
        << std::setw(40) << "node" << std::setw(30) << "input shapes"
        << "implementation\n";
    for (size_t i = 0; i < r.profile.size(); ++i) {
        if (i == max_profile_rows) {
            out << "  ... " << r.profile.size() - max_profile_rows << " more nodes (all of them with --json)\n";
            break;
        }
        const ProfileRow& n = r.profile[i];
        std::string shapes;
        for (const auto& s : n.input_shapes) {
            if (!shapes.empty()) shapes += ',';
            shapes += shape_to_string(s);
        }
        out << "  " << std::setw(8) << fixed(n.ms, 3) << std::setw(8) << fixed(100 * n.share, 1, "%") << std::setw(22)
            << n.op_type << std::setw(40) << n.name + " " << std::setw(30) << (shapes.empty() ? "-" : shapes) + " "
            << n.kernel << (n.tactic.empty() ? "" : " [" + n.tactic + "]") << "\n";
    }
    out << "\nper op type:\n";
    for (const OpTypeRow& t : r.op_types)
        out << "  " << std::setw(8) << fixed(t.ms, 3) << std::setw(8) << fixed(100 * t.share, 1, "%") << std::setw(22)
            << t.op_type << t.nodes << " nodes\n";
    return out.str();
}

}  // namespace edgeinfer::tools

// tools::to_json: the JSON documents of the model tools' reports (what `edgeinfer inspect|optimize|
// compare|bench --json` print), built with nlohmann internally.
#include <nlohmann/json.hpp>

#include "edgeinfer/tools.hpp"

namespace edgeinfer::tools {
namespace {

using nlohmann::json;

json optional_json(const std::optional<double>& v) { return v ? json(*v) : json(); }

json values_json(const std::vector<ValueInfo>& values) {
    json out = json::array();
    for (const ValueInfo& v : values) {
        json dims = json::array();
        for (const DimInfo& d : v.dims)
            dims.push_back(d.value >= 0 ? json(d.value) : (d.symbol.empty() ? json() : json(d.symbol)));
        out.push_back({{"name", v.name}, {"dtype", dtype_name(v.dtype)}, {"shape", v.has_rank ? dims : json()}});
    }
    return out;
}

json stats_json(const std::optional<ValueStats>& v) {
    if (!v) return nullptr;
    const TensorStats& s = v->stats;
    return {{"shape", v->shape}, {"min", s.min}, {"max", s.max},    {"mean", s.mean},
            {"nan", s.nan},      {"inf", s.inf}, {"zeros", s.zero}, {"count", s.count}};
}

json inputs_json(const std::vector<NamedStats>& list) {
    json arr = json::array();
    for (const auto& e : list) arr.push_back({{"name", e.name}, {"stats", stats_json(e.stats)}});
    return arr;
}

json agreement_json(const Agreement& a) { return {{"agree", a.agree}, {"total", a.total}, {"rate", a.rate()}}; }

json cpu_json(const CpuInfo& c) {
    return {
        {"architecture", c.architecture}, {"features", c.features}, {"onednn_isa", c.onednn_isa}, {"cores", c.cores}};
}

}  // namespace

std::string to_json(const ModelInfo& m, int indent) {
    json j = {{"model", m.path},
              {"producer", {{"name", m.producer_name}, {"version", m.producer_version}}},
              {"ir_version", m.ir_version},
              {"graph_name", m.graph_name},
              {"opset_imports", json::array()},
              {"inputs", values_json(m.inputs)},
              {"outputs", values_json(m.outputs)},
              {"node_count", m.node_count},
              {"ops", json::object()}};
    for (const auto& [domain, version] : m.opsets)
        j["opset_imports"].push_back({{"domain", domain}, {"version", version}});
    j["parameters"] = {{"count", m.parameter_count},
                       {"batchnorm_statistics", m.batchnorm_statistics},
                       {"other_initializer_elements", m.other_initializer_elements},
                       {"initializer_bytes", m.initializer_bytes}};
    for (const OpInfo& op : m.ops)
        j["ops"][op.op] = {{"count", op.count}, {"macs", op.macs}, {"flops", 2 * op.macs}, {"supported", op.supported}};
    j["compute"] = {{"macs", m.macs},
                    {"flops", 2 * m.macs},
                    {"effective_macs", m.effective_macs},
                    {"nodes_without_shapes", m.nodes_without_shapes},
                    {"symbolic_dims_as_one", m.symbolic_dims_as_one}};
    j["support"] = {{"registered_kernels", m.registered_kernels},
                    {"unsupported_ops", m.unsupported_ops},
                    {"runnable", m.unsupported_ops.empty()}};
    j["denormal_weights"] = json::object();
    for (const auto& [name, count] : m.denormal_weights) j["denormal_weights"][name] = count;
    j["cpu"] = cpu_json(m.cpu);
    if (!m.checks.empty()) {
        j["checks"] = json::array();
        for (const ModelInfo::Check& c : m.checks)
            j["checks"].push_back({{"check", c.check}, {"result", c.result}, {"nodes", c.nodes}});
    }
    return j.dump(indent);
}

std::string to_json(const OptimizeReport& r, int indent) {
    json j = {{"nodes_before", r.nodes_before}, {"nodes_after", r.nodes_after}, {"bytes_before", r.bytes_before},
              {"bytes_after", r.bytes_after},   {"reverted", r.reverted},       {"onnx_checker", r.onnx_checker}};
    j["passes"] = json::array();
    for (const PassRow& p : r.passes)
        j["passes"].push_back({{"name", p.name},
                               {"changed", p.changed},
                               {"reverted", p.reverted},
                               {"ms", p.ms},
                               {"nodes_before", p.nodes_before},
                               {"nodes_after", p.nodes_after},
                               {"bytes_before", p.bytes_before},
                               {"bytes_after", p.bytes_after},
                               {"max_abs_diff", optional_json(p.max_abs_diff)},
                               {"note", p.note}});
    if (r.final_check)
        j["final"] = {{"ok", r.final_check->ok},
                      {"max_abs_diff", r.final_check->max_abs_diff},
                      {"detail", r.final_check->detail}};
    return j.dump(indent);
}

std::string to_json(const CompareReport& r, int indent) {
    json j = {{"mode", r.mode},
              {"a", r.a},
              {"b", r.b},
              {"compared", r.compared},
              {"mismatched_values", r.mismatched_values},
              {"runs", r.runs},
              {"match", r.match()},
              {"tolerance", {{"atol", r.atol}, {"rtol", r.rtol}}},
              {"outputs", json::array()}};
    for (const auto& o : r.outputs)
        j["outputs"].push_back({{"name", o.a}, {"max_abs_diff", o.max_abs_diff}, {"ok", o.ok}});
    if (r.first_mismatch) {
        const FirstMismatch& m = *r.first_mismatch;
        json top = json::array();
        for (const auto& e : m.top) top.push_back({{"index", e.index}, {"a", e.a}, {"b", e.b}, {"diff", e.diff}});
        j["first_mismatch"] = {{"value", m.value},
                               {"value_b", m.value_b},
                               {"node", m.node},
                               {"node_label", m.node_label},
                               {"op_type", m.op_type},
                               {"node_b", m.node_b},
                               {"node_b_label", m.node_b_label},
                               {"max_abs_diff", m.max_abs_diff},
                               {"limit", m.limit},
                               {"mismatched_elements", m.mismatched_elements},
                               {"why", m.why},
                               {"stats_a", stats_json(m.stats_a)},
                               {"stats_b", stats_json(m.stats_b)},
                               {"inputs_a", inputs_json(m.inputs_a)},
                               {"inputs_b", inputs_json(m.inputs_b)},
                               {"top", top}};
    }
    return j.dump(indent);
}

std::string to_json(const PrecisionReport& r, int indent) {
    json j = {{"mode", "precision"},
              {"model", r.model},
              {"precision", r.precision},
              {"quantized", r.quantized},
              {"keep_fp32", r.keep_fp32},
              {"samples", r.samples},
              {"layer_samples", r.layer_samples},
              {"preprocess", r.preprocess}};
    json jo = json::array();
    for (const PrecisionOutput& o : r.outputs) {
        json x = {{"name", o.name},
                  {"shape", o.shape},
                  {"max_abs_diff", o.max_abs_diff},
                  {"mean_abs_diff", o.mean_abs_diff},
                  {"cosine", o.cosine},
                  {"worst_cosine", o.worst_cosine},
                  {"rel_l2", o.rel_l2},
                  {"nonfinite_mismatches", o.nonfinite_mismatches}};
        if (o.top1.total) x["top1"] = agreement_json(o.top1);
        if (o.top5.total) x["top5"] = agreement_json(o.top5);
        if (o.pixels.total) x["pixels"] = agreement_json(o.pixels);
        jo.push_back(x);
    }
    j["outputs"] = jo;
    j["layers"] = json::array();
    for (const LayerError& l : r.layers)
        j["layers"].push_back({{"node", l.node},
                               {"op_type", l.op_type},
                               {"value", l.value},
                               {"rel_l2", l.rel_l2},
                               {"cosine", l.cosine},
                               {"local_rel_l2", optional_json(l.local_rel_l2)},
                               {"local_cosine", optional_json(l.local_cosine)}});
    return j.dump(indent);
}

std::string to_json(const BenchReport& r, const std::string& model, const BenchOptions& o, bool latencies, int indent) {
    json j = {{"model", model},
              {"precision", edgeinfer::to_string(o.precision)},
              {"tactics", edgeinfer::to_string(o.tactics)},
              {"optimization", edgeinfer::to_string(o.optimization)},
              {"threads", r.threads},
              {"concurrency", o.concurrency},
              {"batch", r.batch},
              {"inputs", json::array()},
              {"input_sets", r.input_sets},
              {"warmup", o.warmup},
              {"session_create_ms", r.session_create_ms},
              {"first_run_ms", r.first_run_ms},
              {"engine_loaded", r.engine_loaded},
              {"iterations", static_cast<int64_t>(r.latencies_ms.size())},
              {"wall_s", r.wall_s},
              {"peak_rss_mb", r.peak_rss_mb},
              {"cpu_ms_per_run", r.cpu_ms_per_run},
              {"omp_wait", r.omp_wait}};
    for (const BenchInput& in : r.inputs)
        j["inputs"].push_back({{"name", in.name},
                               {"dtype", dtype_name(in.dtype)},
                               {"shape", in.shape},
                               {"source", in.from_file ? "file" : "random"}});
    j["latency_ms"] = {{"min", r.min_ms}, {"mean", r.mean_ms}, {"median", r.median_ms}, {"p90", r.p90_ms},
                       {"p95", r.p95_ms}, {"p99", r.p99_ms},   {"max", r.max_ms}};
    j["throughput"] = {{"inferences_per_s", r.inferences_per_s}, {"images_per_s", r.images_per_s}};
    j["cpu"] = cpu_json(r.cpu);
    if (latencies) j["latencies_ms"] = r.latencies_ms;
    if (o.profile) {
        json nodes = json::array(), op_types = json::array();
        for (const ProfileRow& p : r.profile)
            nodes.push_back({{"name", p.name},
                             {"op_type", p.op_type},
                             {"kernel", p.kernel},
                             {"tactic", p.tactic},
                             {"input_shapes", p.input_shapes},
                             {"time_ms", p.ms},
                             {"share", p.share}});
        for (const OpTypeRow& t : r.op_types)
            op_types.push_back({{"op_type", t.op_type}, {"nodes", t.nodes}, {"time_ms", t.ms}, {"share", t.share}});
        j["profile"] = {{"total_ms", r.profile_total_ms}, {"nodes", nodes}, {"op_types", op_types}};
    }
    return j.dump(indent);
}

}  // namespace edgeinfer::tools

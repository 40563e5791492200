// edgeinfer::tools for Python: optimize, compare, quantize and inspect as functions whose reports come back as
// nested dicts (edgeinfer/tools.py wraps them for attribute access and to_dict()), errors as edgeinfer.Error.
#include "edgeinfer/tools.hpp"

#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"

namespace edgeinfer::python {
namespace {

using namespace pybind11::literals;

py::object opt(const std::optional<double>& v) { return v ? py::object(py::float_(*v)) : py::object(py::none()); }

py::dict stats_dict(const tools::TensorStats& s) {
    return py::dict("count"_a = s.count, "nan"_a = s.nan, "inf"_a = s.inf, "zero"_a = s.zero, "min"_a = s.min,
                    "max"_a = s.max, "mean"_a = s.mean);
}
py::object value_stats(const std::optional<tools::ValueStats>& v) {
    if (!v) return py::none();
    return py::dict("shape"_a = v->shape, "stats"_a = stats_dict(v->stats));
}
py::list element_diffs(const std::vector<tools::ElementDiff>& diffs) {
    py::list out;
    for (const auto& d : diffs) out.append(py::dict("index"_a = d.index, "a"_a = d.a, "b"_a = d.b, "diff"_a = d.diff));
    return out;
}

py::dict optimize_dict(const tools::OptimizeReport& r) {
    py::list passes;
    for (const auto& p : r.passes)
        passes.append(py::dict("name"_a = p.name, "changed"_a = p.changed, "verified"_a = p.verified,
                               "reverted"_a = p.reverted, "max_abs_diff"_a = opt(p.max_abs_diff), "ms"_a = p.ms,
                               "nodes_before"_a = p.nodes_before, "nodes_after"_a = p.nodes_after,
                               "bytes_before"_a = p.bytes_before, "bytes_after"_a = p.bytes_after, "note"_a = p.note));
    py::object check = py::none();
    if (r.final_check)
        check = py::dict("ok"_a = r.final_check->ok, "max_abs_diff"_a = r.final_check->max_abs_diff,
                         "detail"_a = r.final_check->detail);
    return py::dict("passes"_a = passes, "nodes_before"_a = r.nodes_before, "nodes_after"_a = r.nodes_after,
                    "bytes_before"_a = r.bytes_before, "bytes_after"_a = r.bytes_after, "total_ms"_a = r.total_ms,
                    "reverted"_a = r.reverted, "final_check"_a = check, "onnx_checker"_a = r.onnx_checker,
                    "io_names_changed"_a = r.io_names_changed, "ok"_a = r.ok());
}

py::list value_diffs(const std::vector<tools::ValueDiff>& values) {
    py::list out;
    for (const auto& v : values)
        out.append(py::dict("a"_a = v.a, "b"_a = v.b, "max_abs_diff"_a = v.max_abs_diff, "limit"_a = v.limit,
                            "mismatched_elements"_a = v.mismatched_elements, "ok"_a = v.ok));
    return out;
}
py::list named_stats(const std::vector<tools::NamedStats>& v) {
    py::list out;
    for (const auto& n : v) out.append(py::dict("name"_a = n.name, "stats"_a = value_stats(n.stats)));
    return out;
}

py::dict compare_dict(const tools::CompareReport& r) {
    py::object first = py::none();
    if (const auto& f = r.first_mismatch)
        first = py::dict("value"_a = f->value, "value_b"_a = f->value_b, "node"_a = f->node,
                         "node_label"_a = f->node_label, "op_type"_a = f->op_type, "node_b"_a = f->node_b,
                         "node_b_label"_a = f->node_b_label, "max_abs_diff"_a = f->max_abs_diff, "limit"_a = f->limit,
                         "mismatched_elements"_a = f->mismatched_elements, "why"_a = f->why,
                         "stats_a"_a = value_stats(f->stats_a), "stats_b"_a = value_stats(f->stats_b),
                         "inputs_a"_a = named_stats(f->inputs_a), "inputs_b"_a = named_stats(f->inputs_b),
                         "top"_a = element_diffs(f->top));
    return py::dict("mode"_a = r.mode, "a"_a = r.a, "b"_a = r.b, "b_label"_a = r.b_label, "compared"_a = r.compared,
                    "mismatched_values"_a = r.mismatched_values, "runs"_a = r.runs, "atol"_a = r.atol,
                    "rtol"_a = r.rtol, "outputs"_a = value_diffs(r.outputs), "values"_a = value_diffs(r.values),
                    "first_mismatch"_a = first, "match"_a = r.match());
}

py::dict quantize_dict(const tools::QuantizeReport& r) {
    return py::dict("quantized_nodes"_a = r.quantized_nodes, "weights"_a = r.weights, "activations"_a = r.activations,
                    "samples"_a = r.samples, "preprocess"_a = r.preprocess, "warnings"_a = r.warnings,
                    "onnx_checker"_a = r.onnx_checker);
}

py::list value_infos(const std::vector<tools::ValueInfo>& values) {
    py::list out;
    for (const auto& v : values) {
        py::list shape;
        for (const auto& d : v.dims) {
            if (d.value >= 0)
                shape.append(d.value);
            else if (!d.symbol.empty())
                shape.append(d.symbol);
            else
                shape.append(py::none());
        }
        out.append(py::dict("name"_a = v.name, "dtype"_a = std::string(dtype_name(v.dtype)),
                            "shape"_a = v.has_rank ? py::object(shape) : py::object(py::none()),
                            "shape_text"_a = v.shape_text));
    }
    return out;
}

py::dict inspect_dict(const tools::ModelInfo& m) {
    py::list opsets, ops;
    for (const auto& [domain, version] : m.opsets) opsets.append(py::dict("domain"_a = domain, "version"_a = version));
    for (const auto& o : m.ops)
        ops.append(py::dict("op"_a = o.op, "count"_a = o.count, "macs"_a = o.macs, "supported"_a = o.supported));
    return py::dict(
        "path"_a = m.path, "producer_name"_a = m.producer_name, "producer_version"_a = m.producer_version,
        "graph_name"_a = m.graph_name, "ir_version"_a = m.ir_version, "opsets"_a = opsets,
        "inputs"_a = value_infos(m.inputs), "outputs"_a = value_infos(m.outputs), "node_count"_a = m.node_count,
        "parameter_count"_a = m.parameter_count, "batchnorm_statistics"_a = m.batchnorm_statistics,
        "other_initializer_elements"_a = m.other_initializer_elements, "initializer_bytes"_a = m.initializer_bytes,
        "ops"_a = ops, "macs"_a = m.macs, "effective_macs"_a = m.effective_macs,
        "nodes_without_shapes"_a = m.nodes_without_shapes, "symbolic_dims_as_one"_a = m.symbolic_dims_as_one,
        "registered_kernels"_a = m.registered_kernels, "unsupported_ops"_a = m.unsupported_ops);
}

}  // namespace

void bind_tools(py::module_& m) {
    m.def(
        "inspect",
        [](const std::string& model, bool check) {
            return inspect_dict(nogil([&] { return tools::inspect(model, check); }));
        },
        py::arg("model"), py::arg("check") = false);
    m.def(
        "optimize",
        [](const std::string& input, const std::string& output, const std::string& level,
           const std::vector<std::string>& passes, const std::vector<std::string>& skip,
           const tools::ShapeMap& static_shapes, bool dynamic_batch, int64_t opset, const std::string& verify,
           double rtol, double atol, uint32_t seed, int threads) {
            tools::OptimizeOptions o;
            o.level = value_or_raise(parse_optimization_level(level));
            o.passes = passes;
            o.skip = skip;
            o.static_shapes = static_shapes;
            o.dynamic_batch = dynamic_batch;
            o.opset = opset;
            o.verify = value_or_raise(tools::parse_verify_mode(verify));
            o.rtol = rtol;
            o.atol = atol;
            o.seed = seed;
            o.threads = threads;
            return optimize_dict(nogil([&] { return tools::optimize(input, output, o); }));
        },
        py::arg("input"), py::arg("output"), py::kw_only(), py::arg("level") = "all",
        py::arg("passes") = std::vector<std::string>{}, py::arg("skip") = std::vector<std::string>{},
        py::arg("static_shapes") = tools::ShapeMap{}, py::arg("dynamic_batch") = false, py::arg("opset") = 0,
        py::arg("verify") = "each", py::arg("rtol") = 1e-4, py::arg("atol") = 1e-5, py::arg("seed") = 0,
        py::arg("threads") = 0);
    m.def(
        "compare",
        [](const std::string& a, const std::string& b, const std::vector<std::string>& references,
           const std::map<std::string, std::string>& inputs, const tools::ShapeMap& shapes, uint32_t seed, double rtol,
           double atol, int threads, bool bisect) {
            tools::CompareOptions o;
            o.references = references;
            o.input_files = inputs;
            o.shapes = shapes;
            o.seed = seed;
            o.rtol = rtol;
            o.atol = atol;
            o.threads = threads;
            o.bisect = bisect;
            return compare_dict(nogil([&] { return tools::compare(a, b, o); }));
        },
        py::arg("a"), py::arg("b") = "", py::kw_only(), py::arg("references") = std::vector<std::string>{},
        py::arg("inputs") = std::map<std::string, std::string>{}, py::arg("shapes") = tools::ShapeMap{},
        py::arg("seed") = 0, py::arg("rtol") = 1e-4, py::arg("atol") = 1e-5, py::arg("threads") = 0,
        py::arg("bisect") = false);
    m.def(
        "quantize",
        [](const std::string& model, const std::string& output, const std::vector<std::string>& calibration,
           const std::string& method, double percentile, bool per_channel, int samples,
           const std::vector<std::string>& exclude, int threads) {
            tools::QuantizeOptions o;
            o.calibration = calibration;
            o.method = method;
            o.percentile = percentile;
            o.per_channel = per_channel;
            o.samples = samples;
            o.exclude = exclude;
            o.threads = threads;
            return quantize_dict(nogil([&] { return tools::quantize(model, output, o); }));
        },
        py::arg("model"), py::arg("output"), py::kw_only(), py::arg("calibration") = std::vector<std::string>{},
        py::arg("method") = "minmax", py::arg("percentile") = 99.99, py::arg("per_channel") = false,
        py::arg("samples") = 0, py::arg("exclude") = std::vector<std::string>{}, py::arg("threads") = 0);
}

}  // namespace edgeinfer::python

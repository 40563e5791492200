// tools::compare: runs both sides on the same inputs with every intermediate value exposed, matches
// values (value_matching.hpp) and reports the FIRST value, in A's topological order, that differs
// beyond tolerance: the node that produced it, its inputs' statistics on both sides and the largest
// element differences. With `bisect` only one exposed value per run: both graphs are cut at a
// midpoint value, narrowed down, then walked up through inputs until the producing node's inputs agree.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "base/status.hpp"
#include "edgeinfer/tools.hpp"
#include "ir/npy.hpp"
#include "tools/opencv_reference.hpp"
#include "tools/value_matching.hpp"

namespace edgeinfer::tools {
namespace {
namespace fs = std::filesystem;

// One side: a model (absent for references) and the values computed or given for it.
struct Side {
    const ir::Model* model = nullptr;
    std::map<std::string, Tensor> values;
};

struct Mismatch {
    Pair pair;
    Difference diff;
};

struct Outcome {
    size_t compared = 0, mismatched = 0, runs = 0;
    std::optional<Mismatch> first;
    std::vector<ValueDiff> outputs, values;
};

// Inputs for a model: A's tensors by name, else by position.
std::vector<NamedTensor> inputs_for(const Session& s, const std::vector<NamedTensor>& given) {
    std::vector<NamedTensor> out;
    for (size_t k = 0; k < s.inputs().size(); ++k) {
        const std::string& name = s.inputs()[k].name;
        const NamedTensor* t = nullptr;
        for (const NamedTensor& g : given)
            if (g.name == name) t = &g;
        if (!t && k < given.size()) t = &given[k];
        if (t) out.push_back({name, t->tensor});
    }
    return out;
}

// Runs `m` exposing `names`; fills `side.values` with them plus inputs and initializers.
Status run_side(const ir::Model& m, const std::vector<std::string>& names, const std::vector<NamedTensor>& inputs,
                int threads, Side& side, size_t& runs) {
    ir::Model exposed = with_outputs(m, names, true);
    EDGEINFER_ASSIGN_OR_RETURN(auto session, session_for(exposed, threads));
    std::vector<NamedTensor> feed = inputs_for(*session, inputs);
    EDGEINFER_ASSIGN_OR_RETURN(auto outs, session->run(feed));
    ++runs;
    side.values.clear();
    for (const NamedTensor& t : feed) side.values[t.name] = t.tensor;
    for (const auto& [name, t] : m.graph.initializers) side.values[name] = t;
    for (NamedTensor& t : outs) side.values[t.name] = std::move(t.tensor);
    return Status::ok();
}

ValueDiff value_diff(const Pair& p, const Difference& d, const CompareOptions& o) {
    return {p.a, p.b, d.max_abs, o.atol + o.rtol * d.scale, d.mismatched, d.within(o.atol, o.rtol)};
}

void compare_pairs(const std::vector<Pair>& pairs, const Side& a, const Side& b, const CompareOptions& o,
                   Outcome& out) {
    for (const Pair& p : pairs) {
        auto ia = a.values.find(p.a);
        auto ib = b.values.find(p.b);
        if (ia == a.values.end() || ib == b.values.end()) continue;
        Difference d = compare_tensors(ia->second, ib->second, o.atol, o.rtol, 5);
        ++out.compared;
        out.values.push_back(value_diff(p, d, o));
        if (d.within(o.atol, o.rtol)) continue;
        ++out.mismatched;
        if (!out.first) out.first = Mismatch{p, d};
    }
    if (!a.model) return;
    for (const ir::ValueInfo& v : a.model->graph.outputs)
        for (const Pair& p : pairs)
            if (p.a == v.name && a.values.count(p.a) && b.values.count(p.b))
                out.outputs.push_back(
                    value_diff(p, compare_tensors(a.values.at(p.a), b.values.at(p.b), o.atol, o.rtol, 0), o));
}

std::optional<ValueStats> stats_of(const Side& side, const std::string& name) {
    auto it = side.values.find(name);
    if (it == side.values.end()) return std::nullopt;
    return ValueStats{it->second.dims(), tensor_stats(it->second)};
}

// Stats of a node's inputs on one side ("" names omitted inputs).
std::vector<NamedStats> inputs_stats(const ir::Node* node, const Side& side) {
    std::vector<NamedStats> out;
    if (!node) return out;
    for (const std::string& in : node->inputs)
        if (!in.empty()) out.push_back({in, stats_of(side, in)});
    return out;
}

const ir::Node* producer_of(const Side& side, const std::string& value, size_t* index) {
    if (!side.model) return nullptr;
    const auto& nodes = side.model->graph.nodes;
    for (size_t i = 0; i < nodes.size(); ++i)
        for (const std::string& o : nodes[i].outputs)
            if (o == value) {
                *index = i;
                return &nodes[i];
            }
    return nullptr;
}

FirstMismatch describe(const Mismatch& m, const Side& a, const Side& b, const CompareOptions& o) {
    size_t ai = 0, bi = 0;
    const ir::Node* na = producer_of(a, m.pair.a, &ai);
    const ir::Node* nb = producer_of(b, m.pair.b, &bi);
    FirstMismatch f;
    f.value = m.pair.a;
    f.value_b = m.pair.b;
    f.node = na ? na->name : "";
    f.node_label = na ? na->describe(ai) : "";
    f.op_type = na ? na->op_type : "";
    f.node_b = nb ? nb->name : "";
    f.node_b_label = nb ? nb->describe(bi) : (b.model ? "initializer" : "reference");
    f.max_abs_diff = m.diff.max_abs;
    f.limit = o.atol + o.rtol * m.diff.scale;
    f.mismatched_elements = m.diff.mismatched;
    f.why = m.diff.why;
    f.stats_a = stats_of(a, m.pair.a);
    f.stats_b = stats_of(b, m.pair.b);
    f.inputs_a = inputs_stats(na, a);
    // The reference side has no graph: its values for A's input names where it has them.
    f.inputs_b = inputs_stats(nb ? nb : (b.model ? nullptr : na), b);
    f.top = m.diff.top;
    return f;
}

// Reference values by value name from a directory of NAME.npy, FILE.npy (first output) or
// NAME=FILE.npy specs.
Result<std::map<std::string, Tensor>> load_refs(const std::vector<std::string>& specs, const ir::Model& m) {
    std::map<std::string, std::string> safe_to_name;
    for (const std::string& v : all_node_outputs(m.graph)) safe_to_name[file_safe(v)] = v;
    for (const auto& o : m.graph.outputs) safe_to_name[file_safe(o.name)] = o.name;
    std::map<std::string, Tensor> refs;
    for (const std::string& spec : specs) {
        auto eq = spec.find('=');
        if (eq != std::string::npos) {
            EDGEINFER_ASSIGN_OR_RETURN(refs[spec.substr(0, eq)], ir::read_npy(spec.substr(eq + 1)));
        } else if (std::error_code ec; fs::is_directory(spec, ec)) {
            for (const auto& e : fs::directory_iterator(spec, ec)) {
                if (e.path().extension() != ".npy") continue;
                auto it = safe_to_name.find(e.path().stem().string());
                if (it == safe_to_name.end()) continue;
                EDGEINFER_ASSIGN_OR_RETURN(refs[it->second], ir::read_npy(e.path().string()));
            }
        } else {
            if (m.graph.outputs.empty()) return invalid_argument("--ref " + spec + ": the model has no output");
            EDGEINFER_ASSIGN_OR_RETURN(refs[m.graph.outputs[0].name], ir::read_npy(spec));
        }
    }
    if (refs.empty()) return invalid_argument("--ref: no reference file matches a value of the model");
    return refs;
}

// Narrows a failing output down to one value by cutting both graphs, then walks up through the
// producing node's inputs until they all agree.
Status bisect(const ir::Model& ma, const ir::Model& mb, const std::vector<Pair>& pairs,
              const std::vector<NamedTensor>& inputs, const CompareOptions& opts, Side& a, Side& b, Outcome& out) {
    auto probe = [&](const std::vector<Pair>& ps) -> Result<Outcome> {
        std::vector<std::string> na, nb;
        for (const Pair& p : ps) {
            na.push_back(p.a);
            nb.push_back(p.b);
        }
        EDGEINFER_RETURN_IF_ERROR(run_side(with_outputs(ma, na, false), na, inputs, opts.threads, a, out.runs));
        EDGEINFER_RETURN_IF_ERROR(run_side(with_outputs(mb, nb, false), nb, inputs, opts.threads, b, out.runs));
        Outcome o;
        compare_pairs(ps, a, b, opts, o);
        out.values.insert(out.values.end(), o.values.begin(), o.values.end());
        return o;
    };
    std::vector<Pair> final_pairs;
    for (const auto& o : ma.graph.outputs)
        for (const Pair& p : pairs)
            if (p.a == o.name) final_pairs.push_back(p);
    EDGEINFER_ASSIGN_OR_RETURN(Outcome fin, probe(final_pairs));
    out.outputs = fin.outputs;
    out.compared = fin.compared;
    if (!fin.first) return Status::ok();
    size_t lo = 0, hi = 0;
    while (pairs[hi].a != fin.first->pair.a) ++hi;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        EDGEINFER_ASSIGN_OR_RETURN(Outcome o, probe({pairs[mid]}));
        ++out.compared;
        if (o.first)
            hi = mid;
        else
            lo = mid + 1;
    }
    std::map<std::string, const Pair*> by_a;
    for (const Pair& p : pairs) by_a[p.a] = &p;
    const Pair* target = &pairs[hi];
    for (;;) {  // walk up: the node is at fault only when its matched inputs agree
        std::vector<Pair> ps;
        for (const std::string& in : ma.graph.nodes[target->a_node].inputs)
            if (by_a.count(in)) ps.push_back(*by_a[in]);
        ps.push_back(*target);
        EDGEINFER_ASSIGN_OR_RETURN(Outcome o, probe(ps));
        out.compared += ps.size();
        if (!o.first) return internal_error("bisect: value '" + target->a + "' no longer differs");
        if (o.first->pair.a == target->a) {
            out.first = o.first;
            out.mismatched = 1;
            return Status::ok();
        }
        target = by_a[o.first->pair.a];
    }
}

// A against reference values (files or OpenCV DNN).
Status compare_with_references(const ir::Model& ma, const std::vector<NamedTensor>& inputs, const CompareOptions& opts,
                               CompareReport& r, Side& a, Side& b, Outcome& out) {
    r.mode = "ref";
    r.b_label = "reference";
    const bool opencv = opts.references.size() == 1 && opts.references[0] == "opencv";
    if (opencv) {
        r.mode = "ref-opencv";
        r.b_label = "OpenCV DNN";
        EDGEINFER_ASSIGN_OR_RETURN(b.values, opencv_reference(ma, inputs));
    } else {
        EDGEINFER_ASSIGN_OR_RETURN(b.values, load_refs(opts.references, ma));
    }
    for (const NamedTensor& t : inputs) b.values.emplace(t.name, t.tensor);
    std::vector<Pair> pairs;
    for (const auto& [name, idx] : producer_map(ma.graph))
        if (b.values.count(name)) pairs.push_back({name, name, idx});
    std::sort(pairs.begin(), pairs.end(), [](const Pair& p, const Pair& q) { return p.a_node < q.a_node; });
    EDGEINFER_RETURN_IF_ERROR(run_side(ma, all_node_outputs(ma.graph), inputs, opts.threads, a, out.runs));
    if (opencv) {  // OpenCV drops or adds unit dims on some layers: same elements, A's shape
        for (auto& [name, t] : b.values) {
            auto ia = a.values.find(name);
            if (ia != a.values.end() && ia->second.dims() != t.dims() && ia->second.numel() == t.numel())
                t = Tensor::copy_of(t.dtype(), ia->second.dims(), t.data());
        }
    }
    compare_pairs(pairs, a, b, opts, out);
    return Status::ok();
}

}  // namespace

Result<CompareReport> compare(const std::string& a_path, const std::string& b_path, const CompareOptions& opts) {
    if (b_path.empty() == opts.references.empty())
        return invalid_argument("give either a second model B.onnx or --ref reference values, not both");
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model ma, load_with_shapes(a_path));
    std::vector<NamedTensor> inputs;
    {
        EDGEINFER_ASSIGN_OR_RETURN(auto session, session_for(ma, opts.threads));
        EDGEINFER_ASSIGN_OR_RETURN(inputs, make_inputs(session->inputs(), opts.input_files, opts.shapes, opts.seed));
    }
    CompareReport r;
    r.mode = "full";
    r.a = a_path;
    r.b = b_path.empty() ? "reference" : b_path;
    r.b_label = "B";
    r.atol = opts.atol;
    r.rtol = opts.rtol;
    Side a{&ma, {}}, b;
    Outcome out;
    std::optional<ir::Model> mb;
    if (b_path.empty()) {
        EDGEINFER_RETURN_IF_ERROR(compare_with_references(ma, inputs, opts, r, a, b, out));
    } else {
        EDGEINFER_ASSIGN_OR_RETURN(mb, load_with_shapes(b_path));
        b.model = &*mb;
        std::vector<Pair> pairs = match_values(ma, *mb);
        if (opts.bisect) {
            r.mode = "bisect";
            EDGEINFER_RETURN_IF_ERROR(bisect(ma, *mb, pairs, inputs, opts, a, b, out));
        } else {
            EDGEINFER_RETURN_IF_ERROR(run_side(ma, all_node_outputs(ma.graph), inputs, opts.threads, a, out.runs));
            EDGEINFER_RETURN_IF_ERROR(run_side(*mb, all_node_outputs(mb->graph), inputs, opts.threads, b, out.runs));
            compare_pairs(pairs, a, b, opts, out);
        }
    }
    r.compared = out.compared;
    r.mismatched_values = out.mismatched;
    r.runs = out.runs;
    r.outputs = std::move(out.outputs);
    r.values = std::move(out.values);
    if (out.first) r.first_mismatch = describe(*out.first, a, b, opts);
    return r;
}

}  // namespace edgeinfer::tools

// `edgeinfer compare A.onnx B.onnx` / `edgeinfer compare A.onnx --ref DIR|FILE.npy|NAME=FILE.npy|opencv`:
// runs both sides on the same inputs with every intermediate value exposed as an output, matches
// values by name (then by producing node name, then graph outputs by position) and reports the
// FIRST value, in A's topological order, that differs beyond tolerance: the node that produced
// it, its inputs' statistics on both sides and the five largest element differences.
// --bisect needs only one exposed value per run: it cuts both graphs at a midpoint value,
// narrows down, then walks up through inputs until the producing node's inputs all agree.
// Exit code: 0 all compared values agree, 2 a mismatch was found, 1 error.
// `--precision bf16|int8` compares A in fp32 with A in that precision instead (compare_precision.hpp).
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/status.hpp"
#include "cli/commands.hpp"
#include "cli/compare_opencv.hpp"
#include "cli/compare_precision.hpp"
#include "cli/compare_values.hpp"
#include "cli/keep_fp32.hpp"
#include "cli/model_exec.hpp"
#include "ir/npy.hpp"
#include "model/onnx_model.hpp"
#include "passes/dead_node_elimination.hpp"

namespace edgeinfer::cli {

std::map<std::string, size_t> producer_map(const ir::Graph& g) {
    std::map<std::string, size_t> m;
    for (size_t i = 0; i < g.nodes.size(); ++i)
        for (const std::string& o : g.nodes[i].outputs)
            if (!o.empty()) m[o] = i;
    return m;
}

std::vector<Pair> match_values(const ir::Model& ma, const ir::Model& mb) {
    const ir::Graph &a = ma.graph, &b = mb.graph;
    std::map<std::string, size_t> b_prod = producer_map(b);
    std::map<std::string, size_t> b_node_by_name;
    for (size_t i = 0; i < b.nodes.size(); ++i)
        if (!b.nodes[i].name.empty()) b_node_by_name.emplace(b.nodes[i].name, i);
    struct AValue {
        std::string name;
        size_t node, k;
    };
    std::vector<AValue> av;
    for (size_t i = 0; i < a.nodes.size(); ++i)
        for (size_t k = 0; k < a.nodes[i].outputs.size(); ++k)
            if (!a.nodes[i].outputs[k].empty()) av.push_back({a.nodes[i].outputs[k], i, k});
    std::vector<std::string> match(av.size());
    std::set<std::string> claimed;
    for (size_t j = 0; j < av.size(); ++j)  // 1: same value name
        if (b_prod.count(av[j].name) || b.find_initializer(av[j].name)) {
            match[j] = av[j].name;
            claimed.insert(av[j].name);
        }
    for (size_t j = 0; j < av.size(); ++j) {  // 2: same producing node name and output index
        if (!match[j].empty()) continue;
        auto it = b_node_by_name.find(a.nodes[av[j].node].name);
        if (it == b_node_by_name.end() || av[j].k >= b.nodes[it->second].outputs.size()) continue;
        const std::string& cand = b.nodes[it->second].outputs[av[j].k];
        if (!cand.empty() && !claimed.count(cand)) {
            match[j] = cand;
            claimed.insert(cand);
        }
    }
    for (size_t k = 0; k < a.outputs.size() && k < b.outputs.size(); ++k) {  // 3: graph outputs by position
        for (size_t j = 0; j < av.size(); ++j)
            if (av[j].name == a.outputs[k].name && match[j].empty() && !claimed.count(b.outputs[k].name)) {
                match[j] = b.outputs[k].name;
                claimed.insert(match[j]);
            }
    }
    std::vector<Pair> pairs;
    for (size_t j = 0; j < av.size(); ++j)
        if (!match[j].empty()) pairs.push_back({av[j].name, match[j], av[j].node});
    return pairs;
}

// A copy of `m` whose graph outputs are `names` (node outputs only); with `keep_outputs` the
// original outputs stay first. Nodes not needed for them are dropped.
ir::Model with_outputs(const ir::Model& m, const std::vector<std::string>& names, bool keep_outputs) {
    ir::Model c = m;
    std::set<std::string> have;
    if (!keep_outputs) c.graph.outputs.clear();
    for (const auto& o : c.graph.outputs) have.insert(o.name);
    auto prod = producer_map(m.graph);
    for (const std::string& n : names) {
        if (have.count(n) || !prod.count(n)) continue;
        const ir::ValueInfo* vi = m.graph.find_value_info(n);
        c.graph.outputs.push_back(vi ? *vi : ir::ValueInfo{n, DataType::kUndefined, {}, {}});
        have.insert(n);
    }
    passes::eliminate_dead_nodes(c);
    return c;
}

std::vector<std::string> all_node_outputs(const ir::Graph& g) {
    std::vector<std::string> out;
    for (const ir::Node& n : g.nodes)
        for (const std::string& o : n.outputs)
            if (!o.empty()) out.push_back(o);
    return out;
}

namespace {
namespace fs = std::filesystem;

struct CompareArgs {
    std::string a, b;
    std::vector<std::string> refs;    // DIR, FILE.npy or NAME=FILE.npy
    std::vector<std::string> inputs;  // NAME=FILE.npy
    std::vector<std::string> shapes;  // NAME=DIMS
    uint32_t seed = 0;
    double rtol = 1e-4, atol = 1e-5;
    int threads = 0;
    bool bisect = false, json = false;
    PrecisionCompareArgs precision;  // --precision mode (model in .model, flags shared with the others)
};

// One side: a model (absent for --ref) and the values computed or given for it.
struct Side {
    std::string label;
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
    std::vector<std::pair<std::string, Difference>> outputs;  // A's graph outputs
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

void compare_pairs(const std::vector<Pair>& pairs, const Side& a, const Side& b, const CompareArgs& args,
                   Outcome& out) {
    for (const Pair& p : pairs) {
        auto ia = a.values.find(p.a);
        auto ib = b.values.find(p.b);
        if (ia == a.values.end() || ib == b.values.end()) continue;
        Difference d = compare_tensors(ia->second, ib->second, args.atol, args.rtol, 5);
        ++out.compared;
        if (d.within(args.atol, args.rtol)) continue;
        ++out.mismatched;
        if (!out.first) out.first = Mismatch{p, d};
    }
    if (!a.model) return;
    for (const ir::ValueInfo& o : a.model->graph.outputs)
        for (const Pair& p : pairs)
            if (p.a == o.name && a.values.count(p.a) && b.values.count(p.b))
                out.outputs.emplace_back(o.name,
                                         compare_tensors(a.values.at(p.a), b.values.at(p.b), args.atol, args.rtol, 0));
}

nlohmann::json stats_json(const Tensor& t) {
    TensorStats s = tensor_stats(t);
    return {{"shape", t.dims()}, {"min", s.min}, {"max", s.max},    {"mean", s.mean},
            {"nan", s.nan},      {"inf", s.inf}, {"zeros", s.zero}, {"count", s.count}};
}

// Stats of a node's inputs on one side ("" names omitted inputs).
nlohmann::json inputs_json(const ir::Node* node, const Side& side) {
    nlohmann::json arr = nlohmann::json::array();
    if (!node) return arr;
    for (const std::string& in : node->inputs) {
        if (in.empty()) continue;
        auto it = side.values.find(in);
        arr.push_back({{"name", in}, {"stats", it == side.values.end() ? nlohmann::json() : stats_json(it->second)}});
    }
    return arr;
}

const ir::Node* producer_of(const Side& side, const std::string& value, size_t* index = nullptr) {
    if (!side.model) return nullptr;
    const auto& nodes = side.model->graph.nodes;
    for (size_t i = 0; i < nodes.size(); ++i)
        for (const std::string& o : nodes[i].outputs)
            if (o == value) {
                if (index) *index = i;
                return &nodes[i];
            }
    return nullptr;
}

nlohmann::json outcome_json(const Outcome& o, const Side& a, const Side& b, const CompareArgs& args,
                            const std::string& mode) {
    nlohmann::json j;
    j["mode"] = mode;
    j["a"] = args.a;
    j["b"] = args.b.empty() ? "reference" : args.b;
    j["compared"] = o.compared;
    j["mismatched_values"] = o.mismatched;
    j["runs"] = o.runs;
    j["match"] = !o.first.has_value();
    j["tolerance"] = {{"atol", args.atol}, {"rtol", args.rtol}};
    nlohmann::json outs = nlohmann::json::array();
    for (const auto& [name, d] : o.outputs)
        outs.push_back({{"name", name}, {"max_abs_diff", d.max_abs}, {"ok", d.within(args.atol, args.rtol)}});
    j["outputs"] = outs;
    if (!o.first) return j;
    const Mismatch& m = *o.first;
    size_t ai = 0, bi = 0;
    const ir::Node* na = producer_of(a, m.pair.a, &ai);
    const ir::Node* nb = producer_of(b, m.pair.b, &bi);
    nlohmann::json f;
    f["value"] = m.pair.a;
    f["value_b"] = m.pair.b;
    f["node"] = na ? na->name : "";
    f["node_label"] = na ? na->describe(ai) : "";
    f["op_type"] = na ? na->op_type : "";
    f["node_b"] = nb ? nb->name : "";
    f["node_b_label"] = nb ? nb->describe(bi) : (b.model ? "initializer" : "reference");
    f["max_abs_diff"] = m.diff.max_abs;
    f["limit"] = args.atol + args.rtol * m.diff.scale;
    f["mismatched_elements"] = m.diff.mismatched;
    f["why"] = m.diff.why;
    f["stats_a"] = a.values.count(m.pair.a) ? stats_json(a.values.at(m.pair.a)) : nlohmann::json();
    f["stats_b"] = b.values.count(m.pair.b) ? stats_json(b.values.at(m.pair.b)) : nlohmann::json();
    f["inputs_a"] = inputs_json(na, a);
    // The reference side has no graph: show its values for A's input names where it has them.
    f["inputs_b"] = inputs_json(nb ? nb : (b.model ? nullptr : na), b);
    nlohmann::json top = nlohmann::json::array();
    for (const ElementDiff& e : m.diff.top)
        top.push_back({{"index", e.index}, {"a", e.a}, {"b", e.b}, {"diff", e.diff}});
    f["top"] = top;
    j["first_mismatch"] = f;
    return j;
}

std::string index_text(const std::vector<int64_t>& idx) {
    std::string s = "[";
    for (size_t i = 0; i < idx.size(); ++i) s += (i ? "," : "") + std::to_string(idx[i]);
    return s + "]";
}

void print_stats_list(const nlohmann::json& list, const std::string& side) {
    std::cout << "  inputs in " << side << ":\n";
    if (list.empty()) std::cout << "    (none)\n";
    for (const auto& e : list) {
        std::cout << "    " << std::left << std::setw(32) << e["name"].get<std::string>();
        if (e["stats"].is_null()) {
            std::cout << " (not available)\n";
            continue;
        }
        const auto& s = e["stats"];
        TensorStats t;
        t.min = s["min"];
        t.max = s["max"];
        t.mean = s["mean"];
        t.nan = s["nan"];
        t.inf = s["inf"];
        t.zero = s["zeros"];
        t.count = s["count"];
        std::vector<int64_t> dims = s["shape"];
        std::cout << " [" << shape_to_string(dims) << "]  " << format_stats(t) << "\n";
    }
}

void print_text(const nlohmann::json& j, const std::string& b_label) {
    std::cout << std::setprecision(6);
    std::cout << "compared " << j["compared"].get<size_t>() << " values of A=" << j["a"].get<std::string>() << " and "
              << b_label << "=" << j["b"].get<std::string>() << " (" << j["runs"].get<size_t>()
              << " runs; tolerance atol " << j["tolerance"]["atol"].get<double>() << " + rtol "
              << j["tolerance"]["rtol"].get<double>() << " x max|A|)\n";
    for (const auto& o : j["outputs"])
        std::cout << "output " << o["name"].get<std::string>() << ": max abs diff " << o["max_abs_diff"].get<double>()
                  << (o["ok"].get<bool>() ? "  ok" : "  MISMATCH") << "\n";
    if (j["match"].get<bool>()) {
        std::cout << "no value differs beyond tolerance\n";
        return;
    }
    const auto& f = j["first_mismatch"];
    std::cout << "\nFIRST MISMATCH: value '" << f["value"].get<std::string>() << "' produced by "
              << f["node_label"].get<std::string>();
    if (f["value_b"] != f["value"])
        std::cout << " (" << b_label << ": value '" << f["value_b"].get<std::string>() << "')";
    std::cout << "\n  " << b_label << " node: " << f["node_b_label"].get<std::string>() << "\n";
    if (!f["why"].get<std::string>().empty()) std::cout << "  " << f["why"].get<std::string>() << "\n";
    std::cout << "  max abs diff " << f["max_abs_diff"].get<double>() << " (limit " << f["limit"].get<double>() << "), "
              << f["mismatched_elements"].get<int64_t>() << " elements beyond tolerance; "
              << j["mismatched_values"].get<size_t>() << " values differ in all\n";
    print_stats_list(f["inputs_a"], "A");
    print_stats_list(f["inputs_b"], b_label);
    std::cout << "  largest differences (index: A, " << b_label << ", |diff|):\n";
    for (const auto& e : f["top"])
        std::cout << "    " << index_text(e["index"]) << ": " << e["a"].get<double>() << ", " << e["b"].get<double>()
                  << ", " << e["diff"].get<double>() << "\n";
}

// --ref: reference values by value name from a directory of NAME.npy, FILE.npy (first output)
// or NAME=FILE.npy arguments.
Result<std::map<std::string, Tensor>> load_refs(const std::vector<std::string>& specs, const ir::Model& m) {
    std::map<std::string, std::string> safe_to_name;
    for (const std::string& v : all_node_outputs(m.graph)) safe_to_name[file_safe(v)] = v;
    for (const auto& o : m.graph.outputs) safe_to_name[file_safe(o.name)] = o.name;
    std::map<std::string, Tensor> refs;
    for (const std::string& spec : specs) {
        auto eq = spec.find('=');
        if (eq != std::string::npos) {
            EDGEINFER_ASSIGN_OR_RETURN(refs[spec.substr(0, eq)], ir::read_npy(spec.substr(eq + 1)));
        } else if (fs::is_directory(spec)) {
            for (const auto& e : fs::directory_iterator(spec)) {
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

Result<ir::Model> load(const std::string& path) {
    model::LoadOptions lo;
    lo.infer_shapes = true;
    return model::load_model(path, lo);
}

Result<std::vector<NamedTensor>> seeded_inputs(const ir::Model& m, const CompareArgs& args) {
    EDGEINFER_ASSIGN_OR_RETURN(auto session, session_for(m, args.threads));
    EDGEINFER_ASSIGN_OR_RETURN(auto files, parse_file_options(args.inputs, "--input"));
    EDGEINFER_ASSIGN_OR_RETURN(auto shapes, parse_shape_options(args.shapes, "--shape"));
    return make_inputs(session->inputs(), files, shapes, args.seed);
}

// Narrows a failing output down to one value by cutting both graphs, then walks up through the
// producing node's inputs until they all agree.
Status bisect(const ir::Model& ma, const ir::Model& mb, const std::vector<Pair>& pairs,
              const std::vector<NamedTensor>& inputs, const CompareArgs& args, Side& a, Side& b, Outcome& out) {
    auto probe = [&](const std::vector<Pair>& ps) -> Result<Outcome> {
        std::vector<std::string> na, nb;
        for (const Pair& p : ps) {
            na.push_back(p.a);
            nb.push_back(p.b);
        }
        EDGEINFER_RETURN_IF_ERROR(run_side(with_outputs(ma, na, false), na, inputs, args.threads, a, out.runs));
        EDGEINFER_RETURN_IF_ERROR(run_side(with_outputs(mb, nb, false), nb, inputs, args.threads, b, out.runs));
        Outcome o;
        compare_pairs(ps, a, b, args, o);
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

int fail(const Status& st) {
    std::cerr << "edgeinfer compare: " << st.to_string() << "\n";
    return 1;
}

int run_compare(const CompareArgs& args) {
    if (!args.precision.precision.empty() || !args.precision.quantized.empty()) {
        if (!args.b.empty() || !args.refs.empty() || args.bisect)
            return fail(
                invalid_argument("--precision compares one model with itself in another precision: give no "
                                 "second model, --ref or --bisect"));
        PrecisionCompareArgs p = args.precision;
        p.model = args.a;
        if (p.precision.empty()) p.precision = "int8";  // --quantized alone
        p.input_files = args.inputs;
        p.shapes = args.shapes;
        p.seed = args.seed;
        p.threads = args.threads;
        p.json = args.json;
        return run_precision_compare(p);
    }
    if (!args.precision.data.empty() || !args.precision.keep_fp32.empty())
        return fail(invalid_argument("--inputs and --keep-fp32 go with --precision bf16|int8"));
    if (args.b.empty() == args.refs.empty())
        return fail(invalid_argument("give either a second model B.onnx or --ref reference values, not both"));
    auto ma = load(args.a);
    if (!ma.is_ok()) return fail(ma.status());
    auto inputs = seeded_inputs(ma.value(), args);
    if (!inputs.is_ok()) return fail(inputs.status());
    Side a{"A", &ma.value(), {}}, b{"B", nullptr, {}};
    Outcome out;
    std::string mode = "full";
    std::optional<ir::Model> mb;
    if (!args.refs.empty()) {
        mode = "ref";
        b.label = "reference";
        bool opencv = args.refs.size() == 1 && args.refs[0] == "opencv";
        if (opencv) {
            mode = "ref-opencv";
            b.label = "OpenCV DNN";
            auto refs = opencv_reference(ma.value(), inputs.value());
            if (!refs.is_ok()) return fail(refs.status());
            b.values = std::move(refs).value();
        } else {
            auto refs = load_refs(args.refs, ma.value());
            if (!refs.is_ok()) return fail(refs.status());
            b.values = std::move(refs).value();
        }
        for (const NamedTensor& t : inputs.value()) b.values.emplace(t.name, t.tensor);
        std::vector<Pair> pairs;
        auto prod = producer_map(ma->graph);
        for (const auto& [name, idx] : prod)
            if (b.values.count(name)) pairs.push_back({name, name, idx});
        std::sort(pairs.begin(), pairs.end(), [](const Pair& p, const Pair& q) { return p.a_node < q.a_node; });
        Status st = run_side(ma.value(), all_node_outputs(ma->graph), inputs.value(), args.threads, a, out.runs);
        if (!st.is_ok()) return fail(st);
        if (opencv) {  // OpenCV drops or adds unit dims on some layers: same elements, A's shape
            for (auto& [name, t] : b.values) {
                auto ia = a.values.find(name);
                if (ia != a.values.end() && ia->second.dims() != t.dims() && ia->second.numel() == t.numel())
                    t = Tensor::copy_of(t.dtype(), ia->second.dims(), t.data());
            }
        }
        compare_pairs(pairs, a, b, args, out);
    } else {
        auto loaded = load(args.b);
        if (!loaded.is_ok()) return fail(loaded.status());
        mb = std::move(loaded).value();
        b.model = &*mb;
        std::vector<Pair> pairs = match_values(ma.value(), *mb);
        Status st;
        if (args.bisect) {
            mode = "bisect";
            st = bisect(ma.value(), *mb, pairs, inputs.value(), args, a, b, out);
        } else {
            st = run_side(ma.value(), all_node_outputs(ma->graph), inputs.value(), args.threads, a, out.runs);
            if (st.is_ok()) st = run_side(*mb, all_node_outputs(mb->graph), inputs.value(), args.threads, b, out.runs);
            if (st.is_ok()) compare_pairs(pairs, a, b, args, out);
        }
        if (!st.is_ok()) return fail(st);
    }
    nlohmann::json j = outcome_json(out, a, b, args, mode);
    if (args.json)
        std::cout << j.dump(2) << "\n";
    else
        print_text(j, b.label);
    return out.first ? 2 : 0;
}

}  // namespace

void add_compare_command(CLI::App& app, int* exit_code) {
    auto args = std::make_shared<CompareArgs>();
    CLI::App* cmd = app.add_subcommand(
        "compare", "Run two models (or a model and reference .npy values) and name the first layer that differs");
    cmd->add_option("a", args->a, "Model A (the reference side when comparing two models)")->required();
    cmd->add_option("b", args->b, "Model B, with the same inputs as A");
    cmd->add_option("--ref", args->refs,
                    "Reference values: DIR of VALUE.npy, FILE.npy (first output), VALUE=FILE.npy, or "
                    "`opencv` (run A in OpenCV DNN and compare every layer it exposes)")
        ->allow_extra_args(false);
    cmd->add_option("-i,--input", args->inputs, "NAME=FILE.npy input (others are seeded random)")
        ->allow_extra_args(false);
    cmd->add_option("--shape", args->shapes, "NAME=1x3x224x224 for random inputs with dynamic dims")
        ->allow_extra_args(false);
    cmd->add_option("--seed", args->seed, "Seed for random inputs")->capture_default_str();
    cmd->add_option("--rtol", args->rtol, "Tolerance relative to max |A| of each value")->capture_default_str();
    cmd->add_option("--atol", args->atol, "Absolute tolerance")->capture_default_str();
    cmd->add_option("-t,--threads", args->threads, "Threads (0: all cores)");
    cmd->add_flag("--bisect", args->bisect, "Expose one value per run and narrow down (graphs too big to expose)");
    cmd->add_flag("--json", args->json, "Print one JSON document");
    PrecisionCompareArgs& p = args->precision;
    const char* group = "Precision (fp32 against bf16 or int8: output errors, agreement, layers losing the most)";
    cmd->add_option("--precision", p.precision, "bf16 or int8: compare the model in fp32 with this precision")
        ->check(CLI::IsMember({"bf16", "int8"}))
        ->group(group);
    cmd->add_option("--quantized", p.quantized, "int8: the QDQ model of A (from `edgeinfer quantize`)")->group(group);
    cmd->add_option("--inputs", p.data,
                    "Directories or files of inputs: .npy, or images preprocessed as A's sidecar says")
        ->allow_extra_args(false)
        ->group(group);
    cmd->add_option("--samples", p.samples, "At most N of --inputs; without --inputs, N seeded random inputs")
        ->group(group);
    cmd->add_option("--layer-samples", p.layer_samples, "Inputs the per-layer table is measured on")
        ->capture_default_str()
        ->group(group);
    cmd->add_option("--layers", p.layers, "Rows of the layer table printed")->capture_default_str()->group(group);
    add_keep_fp32_option(cmd, p.keep_fp32);
    cmd->callback([args, exit_code] { *exit_code = run_compare(*args); });
}

}  // namespace edgeinfer::cli

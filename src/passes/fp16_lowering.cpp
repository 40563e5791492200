// has_fp16 and lower_fp16_to_fp32.
#include "passes/fp16_lowering.hpp"

#include <bit>
#include <cstdint>
#include <set>
#include <string>

#include "passes/graph_util.hpp"

namespace edgeinfer::passes {
namespace {

constexpr int64_t kOnnxFloat = 1;
constexpr int64_t kOnnxFloat16 = 10;

// IEEE half bits to float (exact: every half is a float).
float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf / nan
    if (exp == 0) {
        if (mant == 0) return std::bit_cast<float>(sign);
        int shift = 0;  // subnormal half: normalize
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            ++shift;
        }
        mant &= 0x3ffu;
        return std::bit_cast<float>(sign | (static_cast<uint32_t>(113 - shift) << 23) | (mant << 13));
    }
    return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

Tensor to_float32(const Tensor& t) {
    Tensor out = Tensor::allocate(DataType::kFloat32, t.dims());
    const uint16_t* src = static_cast<const uint16_t*>(t.data());
    float* dst = out.data_as<float>();
    for (int64_t i = 0; i < t.numel(); ++i) dst[i] = half_to_float(src[i]);
    return out;
}

bool is_dtype_attr(const ir::Node& n, const ir::Attribute& a) {
    if (a.kind != ir::Attribute::Kind::kInt || a.i != kOnnxFloat16) return false;
    return (a.name == "to" && n.op_type == "Cast") || a.name == "dtype";
}

template <typename Fn>
void for_each_graph(ir::Graph& g, const Fn& fn) {
    fn(g);
    for (ir::Node& n : g.nodes)
        for (ir::Attribute& a : n.attributes) {
            if (a.g) for_each_graph(*a.g, fn);
            for (auto& sub : a.graphs)
                if (sub) for_each_graph(*sub, fn);
        }
}

bool graph_has_fp16(const ir::Graph& g) {
    for (const auto& [name, t] : g.initializers)
        if (t.dtype() == DataType::kFloat16) return true;
    for (const auto* list : {&g.inputs, &g.outputs, &g.value_info})
        for (const ir::ValueInfo& v : *list)
            if (v.dtype == DataType::kFloat16) return true;
    for (const ir::Node& n : g.nodes)
        for (const ir::Attribute& a : n.attributes) {
            if (is_dtype_attr(n, a) || (a.kind == ir::Attribute::Kind::kTensor && a.t.dtype() == DataType::kFloat16))
                return true;
            if (a.g && graph_has_fp16(*a.g)) return true;
            for (const auto& sub : a.graphs)
                if (sub && graph_has_fp16(*sub)) return true;
        }
    return false;
}

// Everything inside one graph (no boundary casts): initializers, annotations, attributes.
void lower_graph(ir::Graph& g) {
    for (auto& [name, t] : g.initializers)
        if (t.dtype() == DataType::kFloat16) t = to_float32(t);
    for (auto* list : {&g.inputs, &g.outputs, &g.value_info})
        for (ir::ValueInfo& v : *list)
            if (v.dtype == DataType::kFloat16) v.dtype = DataType::kFloat32;
    for (ir::Node& n : g.nodes)
        for (ir::Attribute& a : n.attributes) {
            if (is_dtype_attr(n, a)) a.i = kOnnxFloat;
            if (a.kind == ir::Attribute::Kind::kTensor && a.t.dtype() == DataType::kFloat16) a.t = to_float32(a.t);
            for (Tensor& t : a.tensors)
                if (t.dtype() == DataType::kFloat16) t = to_float32(t);
        }
}

void rename_reads(ir::Graph& g, const std::string& from, const std::string& to) {
    for_each_graph(g, [&](ir::Graph& sub) {
        for (ir::Node& n : sub.nodes)
            for (std::string& in : n.inputs)
                if (in == from) in = to;
    });
}

ir::Node make_cast(const std::string& name, const std::string& in, const std::string& out, int64_t to) {
    ir::Node n;
    n.op_type = "Cast";
    n.name = name;
    n.inputs = {in};
    n.outputs = {out};
    n.attributes.push_back(make_int_attr("to", to));
    return n;
}

std::string fresh_name(const ir::Graph& g, const std::string& base) {
    std::set<std::string> used;
    for (const ir::Node& n : g.nodes)
        for (const auto* list : {&n.inputs, &n.outputs}) used.insert(list->begin(), list->end());
    for (const ir::ValueInfo& v : g.inputs) used.insert(v.name);
    for (const auto& [name, t] : g.initializers) used.insert(name);
    std::string name = base;
    for (int k = 2; used.count(name); ++k) name = base + "_" + std::to_string(k);
    return name;
}

}  // namespace

bool has_fp16(const ir::Model& model) { return graph_has_fp16(model.graph); }

bool lower_fp16_to_fp32(ir::Model& model) {
    ir::Graph& g = model.graph;
    if (!graph_has_fp16(g)) return false;
    // The boundary as declared, before annotations change.
    std::vector<ir::ValueInfo> fp16_inputs, fp16_outputs;
    std::set<std::string> input_names;
    for (const ir::ValueInfo* v : g.runtime_inputs()) {
        input_names.insert(v->name);
        if (v->dtype == DataType::kFloat16) fp16_inputs.push_back(*v);
    }
    for (const ir::ValueInfo& v : g.outputs)
        if (v.dtype == DataType::kFloat16 && !input_names.count(v.name)) fp16_outputs.push_back(v);

    for_each_graph(g, lower_graph);
    for (ir::ValueInfo& v : g.inputs)  // runtime inputs keep their declared dtype
        for (const ir::ValueInfo& f : fp16_inputs)
            if (v.name == f.name) v.dtype = DataType::kFloat16;
    for (ir::ValueInfo& v : g.outputs)
        for (const ir::ValueInfo& f : fp16_outputs)
            if (v.name == f.name) v.dtype = DataType::kFloat16;

    std::vector<ir::Node> front;
    for (const ir::ValueInfo& in : fp16_inputs) {
        std::string inner = fresh_name(g, in.name + "__fp32");
        rename_reads(g, in.name, inner);
        front.push_back(make_cast(in.name + "/fp16_to_fp32", in.name, inner, kOnnxFloat));
        g.value_info.push_back({inner, DataType::kFloat32, in.shape, {}});
    }
    g.nodes.insert(g.nodes.begin(), front.begin(), front.end());

    for (const ir::ValueInfo& out : fp16_outputs) {
        std::string inner = fresh_name(g, out.name + "__fp32");
        bool produced = false;
        for (ir::Node& n : g.nodes)
            for (std::string& o : n.outputs)
                if (o == out.name) {
                    o = inner;
                    produced = true;
                }
        if (!produced) {  // a constant output: the initializer takes the inner name
            auto it = g.initializers.find(out.name);
            if (it == g.initializers.end()) continue;
            Tensor t = it->second;
            g.remove_initializer(out.name);
            g.add_initializer(inner, std::move(t));
        }
        rename_reads(g, out.name, inner);
        for (ir::ValueInfo& v : g.value_info)
            if (v.name == out.name) v.name = inner;
        g.nodes.push_back(make_cast(out.name + "/fp32_to_fp16", inner, out.name, kOnnxFloat16));
        g.value_info.push_back({inner, DataType::kFloat32, out.shape, {}});
    }
    return true;
}

}  // namespace edgeinfer::passes

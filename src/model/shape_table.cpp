// The table of shape rules for operator versions libonnx 1.12 lacks, and the loop that alternates them
// with ONNX's shape inference.
#include "model/shape_table.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "base/status.hpp"
#include "model/onnx_inference.hpp"
#include "model/onnx_model.hpp"
#include "model/proto_convert.hpp"
#include "model/shape_rule.hpp"

namespace edgeinfer::model {
namespace {

// Default-domain operators whose schema changed in opsets 18-21 in a way that changes their outputs'
// shapes or types (ONNX's Changelog): op -> versions. ONNX's inference would apply the older schema
// wrongly (Reduce* 18 reads axes from an input, Split 18 has num_outputs, Cast 19 casts to float8).
// Operators new in 18-21 go to the table too (libonnx has no schema for them at all).
const std::map<std::string, std::vector<int64_t>>& changed_ops() {
    static const std::map<std::string, std::vector<int64_t>> table = {
        {"AveragePool", {19}},
        {"Cast", {19, 21}},
        {"CastLike", {19, 21}},
        {"DFT", {20}},
        {"DequantizeLinear", {19, 21}},
        {"GridSample", {20}},
        {"GroupNormalization", {21}},
        {"LpPool", {18}},
        {"Pad", {18}},
        {"QuantizeLinear", {19, 21}},
        {"ReduceL1", {18}},
        {"ReduceL2", {18}},
        {"ReduceLogSum", {18}},
        {"ReduceLogSumExp", {18}},
        {"ReduceMax", {18}},
        {"ReduceMean", {18}},
        {"ReduceMin", {18}},
        {"ReduceProd", {18}},
        {"ReduceSumSquare", {18}},
        {"Resize", {18}},
        {"Split", {18}},
    };
    return table;
}

// Operators whose 18-21 versions only add element types (or attribute values that keep shapes):
// ONNX's inference applies the older schema with the same shapes; when it leaves a node's outputs
// unknown (new element types such as float8 or int4 fail its type checks), the table's rule fills them.
const std::set<std::string>& type_only_changes() {
    static const std::set<std::string> ops = {
        "Constant", "ConstantOfShape", "Equal",     "Flatten",         "Identity",
        "IsInf",    "IsNaN",           "Reshape",   "Shape",           "Size",
        "Squeeze",  "Transpose",       "Unsqueeze", "ScatterElements", "ScatterND"};
    return ops;
}

using In = ShapeRuleInput;
using Out = ShapeRuleOutputs;
using Rule = ShapeRule;

const In* input(const std::vector<In>& in, size_t i) { return i < in.size() && in[i].info ? &in[i] : nullptr; }

bool norm_axis(int64_t& a, int64_t rank) {
    if (a < -rank || a >= rank) return false;
    if (a < 0) a += rank;
    return true;
}

// Output i = input 0's shape with `dtype` (kUndefined: input 0's type).
Rule like_input(DataType dtype = DataType::kUndefined, size_t outputs = 1) {
    return [dtype, outputs](const ir::Node&, const std::string&, const std::vector<In>& in) -> Result<Out> {
        if (in.empty() || !in[0].known()) return Out{};
        return Out{std::vector<ir::ValueInfo>(
            outputs, rule_output(dtype == DataType::kUndefined ? in[0].info->dtype : dtype, in[0].info->shape))};
    };
}

Rule broadcast(DataType dtype = DataType::kUndefined) {
    return [dtype](const ir::Node&, const std::string& label, const std::vector<In>& in) -> Result<Out> {
        if (in.size() < 2 || !in[0].known() || !in[1].known()) return Out{};
        const auto &a = in[0].info->shape.dims, &b = in[1].info->shape.dims;
        const size_t r = std::max(a.size(), b.size());
        ir::Shape s;
        s.has_rank = true;
        for (size_t i = 0; i < r; ++i) {
            const ir::Dim da = i < r - a.size() ? ir::Dim::known(1) : a[i - (r - a.size())];
            const ir::Dim db = i < r - b.size() ? ir::Dim::known(1) : b[i - (r - b.size())];
            if (da == db || (db.is_known() && db.value == 1))
                s.dims.push_back(da);
            else if (da.is_known() && da.value == 1)
                s.dims.push_back(db);
            else if (da.is_known() && db.is_known())
                return rule_error(label, "shapes " + in[0].info->shape.to_string() + " and " +
                                             in[1].info->shape.to_string() + " do not broadcast");
            else
                s.dims.push_back(da.is_known() ? da : db);
        }
        return Out{{rule_output(dtype == DataType::kUndefined ? in[0].info->dtype : dtype, s)}};
    };
}

// A shape from a constant 1-D int64 input; nullopt when it is not constant.
std::optional<ir::Shape> shape_value(const In* in) {
    auto v = shape_rule_ints(in);
    if (!v) return std::nullopt;
    ir::Shape s;
    s.has_rank = true;
    for (int64_t d : *v) s.dims.push_back(d >= 0 ? ir::Dim::known(d) : ir::Dim::unknown());
    return s;
}

Result<Out> cast_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    DataType to = DataType::kUndefined;
    if (n.op_type == "CastLike") {
        const In* t = input(in, 1);
        if (!t || t->info->dtype == DataType::kUndefined) return Out{};
        to = t->info->dtype;
    } else {
        const int64_t code = n.attr_int("to", 0);
        if (code <= 0 || code > kMaxDataTypeCode)
            return rule_error(label, "attribute 'to' " + std::to_string(code) + " is not a data type");
        to = static_cast<DataType>(code);
    }
    return Out{{rule_output(to, in[0].info->shape)}};
}

Result<Out> quantize_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    DataType out = DataType::kUInt8;
    const int64_t od = n.attr_int("output_dtype", 0);
    if (od > 0 && od <= kMaxDataTypeCode) out = static_cast<DataType>(od);
    if (const In* z = input(in, 2)) {
        if (z->info->dtype == DataType::kUndefined) return Out{};
        if (od != 0 && z->info->dtype != out)
            return rule_error(label, "output_dtype differs from the zero point's type");
        out = z->info->dtype;
    }
    return Out{{rule_output(out, in[0].info->shape)}};
}

Result<Out> dequantize_rule(const ir::Node&, const std::string&, const std::vector<In>& in) {
    const In* s = input(in, 1);
    if (in.empty() || !in[0].known() || !s || s->info->dtype == DataType::kUndefined) return Out{};
    return Out{{rule_output(s->info->dtype, in[0].info->shape)}};
}

// Reduce* of opset 18 (axes as input 1), keepdims, noop_with_empty_axes.
Result<Out> reduce_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    const ir::Shape& x = in[0].info->shape;
    const int64_t rank = static_cast<int64_t>(x.dims.size());
    std::vector<int64_t> axes;
    const bool keep = n.attr_int("keepdims", 1) != 0;
    if (const In* a = input(in, 1)) {
        auto v = shape_rule_ints(a);
        if (!v && !keep) return Out{};  // axes not constant: rank known only at run time
        if (!v) {                       // keepdims: the rank stays; a dim of 1 stays 1 whether reduced or not
            ir::Shape s = x;
            for (ir::Dim& d : s.dims)
                if (!(d.is_known() && d.value == 1)) d = ir::Dim::unknown();
            return Out{{rule_output(in[0].info->dtype, s)}};
        }
        axes = *v;
    }
    if (axes.empty() && n.attr_int("noop_with_empty_axes", 0) != 0) return Out{{rule_output(in[0].info->dtype, x)}};
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
    for (int64_t a : axes) {
        if (!norm_axis(a, rank))
            return rule_error(label, "axis " + std::to_string(a) + " is out of range for rank " + std::to_string(rank));
        reduced[static_cast<size_t>(a)] = true;
    }
    ir::Shape s;
    s.has_rank = true;
    for (int64_t i = 0; i < rank; ++i) {
        if (!reduced[i])
            s.dims.push_back(x.dims[i]);
        else if (keep)
            s.dims.push_back(ir::Dim::known(1));
    }
    return Out{{rule_output(in[0].info->dtype, s)}};
}

Result<Out> split_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    const ir::Shape& x = in[0].info->shape;
    int64_t axis = n.attr_int("axis", 0);
    if (!norm_axis(axis, static_cast<int64_t>(x.dims.size()))) return rule_error(label, "axis is out of range");
    const size_t k = n.outputs.size();
    std::vector<ir::ValueInfo> outs(k, rule_output(in[0].info->dtype, x));
    std::vector<int64_t> sizes;
    if (const In* s = input(in, 1)) {
        auto v = shape_rule_ints(s);
        if (v) sizes = *v;  // not constant: the outputs' split dims are known only when running
    } else if (x.dims[axis].is_known()) {
        const int64_t d = x.dims[axis].value;
        const int64_t num = n.attr_int("num_outputs", static_cast<int64_t>(k));
        if (num <= 0) return rule_error(label, "num_outputs must be positive");
        const int64_t part = (d + num - 1) / num;  // opset 18: ceil(d / n) each, the last smaller
        for (int64_t i = 0; i < num; ++i) sizes.push_back(std::max<int64_t>(0, std::min(part, d - i * part)));
    }
    if (!sizes.empty() && sizes.size() != k)
        return rule_error(label, std::to_string(sizes.size()) + " split sizes for " + std::to_string(k) + " outputs");
    for (size_t i = 0; i < k; ++i)
        outs[i].shape.dims[axis] = sizes.empty() ? ir::Dim::unknown() : ir::Dim::known(sizes[i]);
    return Out{outs};
}

Result<Out> reshape_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    auto target = shape_rule_ints(input(in, 1));
    if (!target) return Out{};
    const ir::Shape& x = in[0].info->shape;
    const bool allowzero = n.attr_int("allowzero", 0) != 0;
    ir::Shape s;
    s.has_rank = true;
    int64_t known = 1, infer_at = -1;
    for (size_t i = 0; i < target->size(); ++i) {
        int64_t d = (*target)[i];
        if (d == 0 && !allowzero) {
            if (i >= x.dims.size())
                return rule_error(label, "shape copies dim " + std::to_string(i) + " the input lacks");
            s.dims.push_back(x.dims[i]);
            if (x.dims[i].is_known())
                known *= x.dims[i].value;
            else
                known = -1;
            continue;
        }
        if (d == -1) {
            if (infer_at >= 0) return rule_error(label, "shape has more than one -1");
            infer_at = static_cast<int64_t>(i);
            s.dims.push_back(ir::Dim::unknown());
            continue;
        }
        if (d < 0) return rule_error(label, "shape holds " + std::to_string(d));
        s.dims.push_back(ir::Dim::known(d));
        if (known >= 0) known *= d;
    }
    if (auto xd = x.static_dims(); xd && known >= 0) {
        const int64_t total = shape_numel(*xd);
        const bool fits = infer_at >= 0 ? known > 0 && total % known == 0 : total == known;
        if (!fits) return rule_error(label, "input " + x.to_string() + " cannot be reshaped to " + s.to_string());
        if (infer_at >= 0) s.dims[infer_at] = ir::Dim::known(total / known);
    }
    return Out{{rule_output(in[0].info->dtype, s)}};
}

Result<Out> shape_rule(const ir::Node& n, const std::string&, const std::vector<In>& in) {
    if (in.empty() || !in[0].info || !in[0].info->shape.has_rank) return Out{};
    const int64_t rank = in[0].info->shape.rank();
    if (n.op_type == "Size") return Out{{rule_output(DataType::kInt64, ir::Shape::of({}))}};
    int64_t start = n.attr_int("start", 0), end = n.attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    return Out{{rule_output(DataType::kInt64, ir::Shape::of({std::max<int64_t>(0, end - start)}))}};
}

Result<Out> constant_of_shape_rule(const ir::Node& n, const std::string&, const std::vector<In>& in) {
    auto s = shape_value(input(in, 0));
    if (!s) return Out{};
    const ir::Attribute* v = n.find_attribute("value");
    return Out{{rule_output(v ? v->t.dtype() : DataType::kFloat32, *s)}};
}

Result<Out> constant_rule(const ir::Node& n, const std::string& label, const std::vector<In>&) {
    for (const ir::Attribute& a : n.attributes) {
        if (a.name == "value" || a.name == "sparse_value")
            return Out{{rule_output(a.t.dtype(), ir::Shape::of(a.t.dims()))}};
        if (a.name == "value_float") return Out{{rule_output(DataType::kFloat32, ir::Shape::of({}))}};
        if (a.name == "value_int") return Out{{rule_output(DataType::kInt64, ir::Shape::of({}))}};
        if (a.name == "value_string") return Out{{rule_output(DataType::kString, ir::Shape::of({}))}};
        if (a.name == "value_floats")
            return Out{{rule_output(DataType::kFloat32, ir::Shape::of({int64_t(a.floats.size())}))}};
        if (a.name == "value_ints")
            return Out{{rule_output(DataType::kInt64, ir::Shape::of({int64_t(a.ints.size())}))}};
        if (a.name == "value_strings")
            return Out{{rule_output(DataType::kString, ir::Shape::of({int64_t(a.strings.size())}))}};
    }
    return rule_error(label, "Constant has no value attribute");
}

Result<Out> transpose_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    const ir::Shape& x = in[0].info->shape;
    std::vector<int64_t> perm = n.attr_ints("perm");
    if (perm.empty())
        for (int64_t i = x.rank() - 1; i >= 0; --i) perm.push_back(i);
    if (static_cast<int64_t>(perm.size()) != x.rank()) return rule_error(label, "perm does not match the input's rank");
    ir::Shape s;
    s.has_rank = true;
    for (int64_t p : perm) {
        if (!norm_axis(p, x.rank())) return rule_error(label, "perm holds " + std::to_string(p));
        s.dims.push_back(x.dims[p]);
    }
    return Out{{rule_output(in[0].info->dtype, s)}};
}

Result<Out> flatten_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    const ir::Shape& x = in[0].info->shape;
    int64_t axis = n.attr_int("axis", 1);
    if (axis < 0) axis += x.rank();
    if (axis < 0 || axis > x.rank()) return rule_error(label, "axis is out of range");
    auto product = [&](int64_t b, int64_t e) {
        int64_t p = 1;
        for (int64_t i = b; i < e; ++i) {
            if (!x.dims[i].is_known()) return ir::Dim::unknown();
            p *= x.dims[i].value;
        }
        return ir::Dim::known(p);
    };
    ir::Shape s;
    s.has_rank = true;
    s.dims = {product(0, axis), product(axis, x.rank())};
    return Out{{rule_output(in[0].info->dtype, s)}};
}

Result<Out> squeeze_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    const ir::Shape& x = in[0].info->shape;
    const bool unsqueeze = n.op_type == "Unsqueeze";
    std::vector<int64_t> axes;
    if (const In* a = input(in, 1)) {
        auto v = shape_rule_ints(a);
        if (!v) return Out{};
        axes = *v;
    }
    ir::Shape s;
    s.has_rank = true;
    if (unsqueeze) {
        const int64_t rank = x.rank() + static_cast<int64_t>(axes.size());
        std::vector<bool> added(static_cast<size_t>(rank), false);
        for (int64_t a : axes) {
            if (!norm_axis(a, rank)) return rule_error(label, "axis " + std::to_string(a) + " is out of range");
            added[a] = true;
        }
        size_t next = 0;
        for (int64_t i = 0; i < rank; ++i) s.dims.push_back(added[i] ? ir::Dim::known(1) : x.dims[next++]);
        return Out{{rule_output(in[0].info->dtype, s)}};
    }
    std::vector<bool> removed(x.dims.size(), false);
    for (int64_t a : axes) {
        if (!norm_axis(a, x.rank())) return rule_error(label, "axis " + std::to_string(a) + " is out of range");
        removed[a] = true;
    }
    for (size_t i = 0; i < x.dims.size(); ++i) {
        if (axes.empty() && !x.dims[i].is_known()) return Out{};  // which dims are 1 is unknown
        if (axes.empty() ? x.dims[i].value == 1 : removed[i]) continue;
        s.dims.push_back(x.dims[i]);
    }
    return Out{{rule_output(in[0].info->dtype, s)}};
}

// Pad 18 (axes as input 3). Pads or axes that are not constant leave the padded dims unknown, the rank known.
Result<Out> pad_rule(const ir::Node& n, const std::string& label, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    const ir::Shape& x = in[0].info->shape;
    const auto pads = in.size() > 1 ? shape_rule_ints(&in[1]) : std::nullopt;
    std::optional<std::vector<int64_t>> axes = std::vector<int64_t>{};
    if (n.inputs.size() > 3 && !n.inputs[3].empty())
        axes = shape_rule_ints(&in[3]);
    else
        for (int64_t i = 0; i < x.rank(); ++i) axes->push_back(i);
    ir::Shape s = x;
    if (!axes) {  // which axes are padded is known only when running
        for (ir::Dim& d : s.dims) d = ir::Dim::unknown();
        return Out{{rule_output(in[0].info->dtype, s)}};
    }
    if (pads && pads->size() != 2 * axes->size())
        return rule_error(label, "pads has " + std::to_string(pads->size()) + " values for " +
                                     std::to_string(axes->size()) + " axes");
    for (size_t k = 0; k < axes->size(); ++k) {
        int64_t a = (*axes)[k];
        if (!norm_axis(a, x.rank()))
            return rule_error(label, "axis " + std::to_string((*axes)[k]) + " is out of range");
        int64_t grow = 0, padded = 0;
        if (pads && __builtin_add_overflow((*pads)[k], (*pads)[k + axes->size()], &grow))
            return rule_error(label, "pads of axis " + std::to_string(a) + " overflow");
        if (!pads || (!s.dims[a].is_known() && grow != 0)) {
            s.dims[a] = ir::Dim::unknown();
        } else if (s.dims[a].is_known()) {
            if (__builtin_add_overflow(s.dims[a].value, grow, &padded) || padded < 0)
                return rule_error(label, "pads " + std::to_string((*pads)[k]) + ", " +
                                             std::to_string((*pads)[k + axes->size()]) + " of axis " +
                                             std::to_string(a) + " leave no valid size of dim " +
                                             std::to_string(s.dims[a].value));
            s.dims[a] = ir::Dim::known(padded);
        }
    }
    return Out{{rule_output(in[0].info->dtype, s)}};
}

Result<Out> string_split_rule(const ir::Node&, const std::string&, const std::vector<In>& in) {
    if (in.empty() || !in[0].known()) return Out{};
    ir::Shape y = in[0].info->shape;
    y.dims.push_back(ir::Dim::unknown());  // the most parts of any element: known when running
    return Out{{rule_output(DataType::kString, y), rule_output(DataType::kInt64, in[0].info->shape)}};
}

Result<Out> image_decoder_rule(const ir::Node& n, const std::string&, const std::vector<In>&) {
    const std::string format = n.attr_string("pixel_format", "RGB");
    ir::Shape s;
    s.has_rank = true;
    s.dims = {ir::Dim::unknown(), ir::Dim::unknown(), ir::Dim::known(format == "Grayscale" ? 1 : 3)};
    return Out{{rule_output(DataType::kUInt8, s)}};
}

const std::map<std::string, Rule>& rules() {
    static const std::map<std::string, Rule> table = [] {
        std::map<std::string, Rule> r;
        for (const char* op :
             {"Mish", "Gelu", "BitwiseNot", "Identity", "GroupNormalization", "ScatterElements", "ScatterND"})
            r[op] = like_input();
        for (const char* op : {"IsInf", "IsNaN", "RegexFullMatch"}) r[op] = like_input(DataType::kBool);
        for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor", "StringConcat"}) r[op] = broadcast();
        r["Equal"] = broadcast(DataType::kBool);
        r["Cast"] = r["CastLike"] = cast_rule;
        r["QuantizeLinear"] = quantize_rule;
        r["DequantizeLinear"] = dequantize_rule;
        for (const char* op : {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                               "ReduceMin", "ReduceProd", "ReduceSumSquare"})
            r[op] = reduce_rule;
        r["Split"] = split_rule;
        r["Reshape"] = reshape_rule;
        r["Shape"] = r["Size"] = shape_rule;
        r["ConstantOfShape"] = constant_of_shape_rule;
        r["Constant"] = constant_rule;
        r["Transpose"] = transpose_rule;
        r["Flatten"] = flatten_rule;
        r["Squeeze"] = r["Unsqueeze"] = squeeze_rule;
        r["Pad"] = pad_rule;
        r["StringSplit"] = string_split_rule;
        r["ImageDecoder"] = image_decoder_rule;
        add_spatial_shape_rules(r);
        return r;
    }();
    return table;
}

// The table's nodes sit in this domain when ONNX's inference runs: one schema per rule, whose inference
// function is the rule (one topological pass, however the table's and ONNX's nodes interleave).
constexpr const char* kTableDomain = "edgeinfer.shape_table";
// For ONNX's checker: a domain without schemas (the checker accepts its nodes as custom operators).
constexpr const char* kSetApartDomain = "edgeinfer.newer_schema";
// The node's index, added to each table node of the copy ONNX's inference sees.
constexpr const char* kNodeAttr = "__edgeinfer_node";

void info_to(const ir::ValueInfo& v, onnx::ValueInfoProto* p) {
    p->set_name(v.name);
    type_to_proto(v, p->mutable_type());
}

void run_onnx(onnx::ModelProto& proto, bool& ran) {
    if (!run_onnx_shape_inference(proto, true) && !run_onnx_shape_inference(proto, false)) ran = false;
}

// What the table's inference functions read while ONNX's inference runs on this thread.
struct TableRun {
    const ir::Graph* graph = nullptr;
    const std::map<std::string, const Tensor*>* constants = nullptr;
    std::set<size_t> done;
    Status error;
};
thread_local TableRun* g_table_run = nullptr;

Out apply_rule(TableRun& run, size_t index, const std::vector<const onnx::TypeProto*>& types, Status& error);

void table_inference(onnx::InferenceContext& ctx) {
    TableRun* run = g_table_run;
    const onnx::AttributeProto* at = ctx.getAttribute(kNodeAttr);
    if (!run || !at || at->i() < 0 || at->i() >= static_cast<int64_t>(run->graph->nodes.size())) return;
    const size_t index = static_cast<size_t>(at->i());
    std::vector<const onnx::TypeProto*> types;
    for (size_t i = 0; i < ctx.getNumInputs(); ++i) types.push_back(ctx.getInputType(i));
    Status error;
    Out outs = apply_rule(*run, index, types, error);
    if (!error.is_ok()) {
        if (run->error.is_ok()) run->error = error;
        fail_shape_inference(error.message());
    }
    if (!outs) return;
    for (size_t k = 0; k < outs->size() && k < ctx.getNumOutputs(); ++k)
        type_to_proto((*outs)[k], ctx.getOutputType(k));
}

Out apply_rule(TableRun& run, size_t index, const std::vector<const onnx::TypeProto*>& types, Status& error) {
    const ir::Node& n = run.graph->nodes[index];
    auto rule = rules().find(n.op_type);
    if (rule == rules().end()) return Out{};
    std::vector<ir::ValueInfo> infos(n.inputs.size());
    std::vector<In> ins(n.inputs.size());
    for (size_t i = 0; i < n.inputs.size(); ++i) {
        if (n.inputs[i].empty()) continue;
        if (i < types.size() && types[i]) {
            infos[i] = tensor_info_of_type(*types[i]);
            if (infos[i].dtype != DataType::kUndefined) ins[i].info = &infos[i];
        }
        if (auto it = run.constants->find(n.inputs[i]); it != run.constants->end()) ins[i].value = it->second;
    }
    auto outs = rule->second(n, n.describe(index), ins);
    if (!outs.is_ok()) {
        error = outs.status();
        return Out{};
    }
    if (*outs) run.done.insert(index);
    return *outs;
}

void register_table_schemas() {
    onnx::OpSchemaRegistry::DomainToVersionRange::Instance().AddDomainToVersion(kTableDomain, 1, 1);
    for (const auto& [op, rule] : rules()) {
        onnx::OpSchema schema;
        schema.SetName(op)
            .SetDomain(kTableDomain)
            .SinceVersion(1)
            .AllowUncheckedAttributes()
            .Input(0, "inputs", "", "T", onnx::OpSchema::Variadic, false, 0)
            .Output(0, "outputs", "", "T", onnx::OpSchema::Variadic, false, 0)
            .TypeConstraint("T", onnx::OpSchema::all_tensor_types(), "")
            .TypeAndShapeInferenceFunction(table_inference);
        onnx::OpSchemaRegistry::OpSchemaRegisterOnce once(schema);
    }
}

// What libonnx 1.12 can look at: a copy where the table's nodes sit in `domain`, the default opset at
// most 17 and the IR version at most 8.
onnx::ModelProto libonnx_view(const onnx::ModelProto& proto, const std::vector<size_t>& table_nodes,
                              const char* domain) {
    onnx::ModelProto work = proto;
    for (size_t i : table_nodes) {
        auto* node = work.mutable_graph()->mutable_node(static_cast<int>(i));
        node->set_domain(domain);
        if (std::strcmp(domain, kTableDomain) != 0) continue;
        auto* attr = node->add_attribute();
        attr->set_name(kNodeAttr);
        attr->set_type(onnx::AttributeProto::INT);
        attr->set_i(static_cast<int64_t>(i));
    }
    for (auto& o : *work.mutable_opset_import())
        if ((o.domain().empty() || o.domain() == "ai.onnx") && o.version() > 17) o.set_version(17);
    auto* table_opset = work.add_opset_import();
    table_opset->set_domain(domain);
    table_opset->set_version(1);
    if (work.ir_version() > 8) work.set_ir_version(8);
    return work;
}

std::vector<size_t> table_nodes(const ir::Model& model) {
    std::vector<size_t> out;
    const int64_t opset = model.opset_version("");
    for (size_t i = 0; i < model.graph.nodes.size(); ++i)
        if (ir::is_onnx_domain(model.graph.nodes[i].domain) && shape_table_takes(model.graph.nodes[i].op_type, opset))
            out.push_back(i);
    return out;
}

}  // namespace

ir::ValueInfo rule_output(DataType dtype, ir::Shape shape) {
    ir::ValueInfo v;
    v.dtype = dtype;
    v.shape = std::move(shape);
    return v;
}

Status rule_error(const std::string& label, const std::string& what) { return invalid_model(label + ": " + what); }

std::optional<std::vector<int64_t>> shape_rule_ints(const ShapeRuleInput* in) {
    if (!in || !in->value) return std::nullopt;
    const Tensor& t = *in->value;
    std::vector<int64_t> v(static_cast<size_t>(t.numel()));
    if (t.dtype() == DataType::kInt64) {
        if (!v.empty()) std::memcpy(v.data(), t.data(), v.size() * 8);  // both may be null when empty
    } else if (t.dtype() == DataType::kInt32)
        for (size_t i = 0; i < v.size(); ++i) v[i] = t.data_as<int32_t>()[i];
    else
        return std::nullopt;
    return v;
}

bool shape_table_takes(const std::string& op_type, int64_t opset) {
    auto it = changed_ops().find(op_type);
    if (it != changed_ops().end())
        for (int64_t v : it->second)
            if (v > 17 && v <= opset) return true;
    return opset > 17 && !onnx::OpSchemaRegistry::Schema(op_type, static_cast<int>(std::min<int64_t>(opset, 17)), "");
}

Status infer_shapes_with_table(onnx::ModelProto& proto, const ir::Model& model, ShapeInferenceReport* report) {
    ShapeInferenceReport local;
    ShapeInferenceReport& rep = report ? *report : local;
    const ir::Graph& g = model.graph;
    const int64_t opset = model.opset_version("");
    // taken: the table's from the start; fallback: ONNX's unless it leaves the outputs unknown.
    std::vector<size_t> taken, fallback;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        if (!ir::is_onnx_domain(n.domain)) continue;
        if (shape_table_takes(n.op_type, opset))
            taken.push_back(i);
        else if (opset > 17 && type_only_changes().count(n.op_type))
            fallback.push_back(i);
    }
    if ((taken.empty() && fallback.empty()) || static_cast<int>(g.nodes.size()) != proto.graph().node_size()) {
        run_onnx(proto, rep.onnx_ran);
        for (size_t i = 0; i < g.nodes.size(); ++i) rep.onnx_nodes.push_back(g.nodes[i].describe(i));
        return Status::ok();
    }
    static std::once_flag registered;
    std::call_once(registered, register_table_schemas);
    onnx::ModelProto work = libonnx_view(proto, taken, kTableDomain);

    std::map<std::string, const Tensor*> constants;
    for (const auto& [name, t] : g.initializers) constants[name] = &t;
    for (const ir::Node& n : g.nodes)
        if (n.op_type == "Constant" && n.outputs.size() == 1)
            if (const ir::Attribute* a = n.find_attribute("value"); a && !a->t.empty()) constants[n.outputs[0]] = &a->t;

    // The taken nodes are inferred inside ONNX's pass (their schemas run the rules). A fallback node whose
    // outputs ONNX leaves unknown gets its rule afterwards, and ONNX runs again for the nodes after it.
    TableRun run;
    run.graph = &g;
    run.constants = &constants;
    struct Scope {
        explicit Scope(TableRun* r) { g_table_run = r; }
        ~Scope() { g_table_run = nullptr; }
    } scope(&run);
    const std::set<size_t> taken_set(taken.begin(), taken.end());
    const auto& table = rules();
    std::set<size_t> by_onnx;
    for (size_t round = 0; round <= fallback.size(); ++round) {
        run_onnx(work, rep.onnx_ran);
        EDGEINFER_RETURN_IF_ERROR(run.error);
        std::map<std::string, const onnx::TypeProto*> known;
        for (const auto* list : {&work.graph().input(), &work.graph().value_info(), &work.graph().output()})
            for (const auto& p : *list)
                if (p.type().has_tensor_type() && p.type().tensor_type().elem_type() != 0) known[p.name()] = &p.type();
        std::vector<onnx::TypeProto> init_types;
        init_types.reserve(g.initializers.size());
        for (const auto& [name, t] : g.initializers) {
            if (known.count(name)) continue;
            init_types.emplace_back();
            type_to_proto({name, t.dtype(), ir::Shape::of(t.dims()), {}}, &init_types.back());
            known[name] = &init_types.back();
        }
        std::vector<ir::ValueInfo> learned;
        for (size_t i : fallback) {
            if (run.done.count(i) || by_onnx.count(i)) continue;
            const ir::Node& n = g.nodes[i];
            const bool inferred = std::all_of(n.outputs.begin(), n.outputs.end(), [&](const std::string& o) {
                return o.empty() || (known.count(o) && known[o]->tensor_type().has_shape());
            });
            if (inferred) {
                by_onnx.insert(i);
                continue;
            }
            std::vector<const onnx::TypeProto*> types;
            for (const std::string& name : n.inputs) types.push_back(known.count(name) ? known[name] : nullptr);
            Status error;
            Out outs = apply_rule(run, i, types, error);
            EDGEINFER_RETURN_IF_ERROR(error);
            if (!outs) continue;
            for (size_t k = 0; k < outs->size() && k < n.outputs.size(); ++k)
                if (!n.outputs[k].empty()) {
                    (*outs)[k].name = n.outputs[k];
                    learned.push_back((*outs)[k]);
                }
        }
        if (learned.empty()) break;
        for (const ir::ValueInfo& v : learned) info_to(v, work.mutable_graph()->add_value_info());
    }
    const std::set<size_t>& done = run.done;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        const ir::Node& n = g.nodes[i];
        const std::string label = n.describe(i);
        if (done.count(i))
            rep.table_nodes.push_back(taken_set.count(i) ? label : label + " (ONNX left its outputs unknown)");
        else if (!taken_set.count(i))
            rep.onnx_nodes.push_back(label);
        else if (!table.count(n.op_type))
            rep.uncovered.push_back(label + ": no rule for " + n.op_type + " at opset " + std::to_string(opset));
        else
            rep.uncovered.push_back(label + ": input shapes unknown (or not constant where the rule needs values)");
    }
    // The results go back into the caller's proto: value_info, and the types of outputs declared without one.
    *proto.mutable_graph()->mutable_value_info() = work.graph().value_info();
    for (int k = 0; k < proto.graph().output_size() && k < work.graph().output_size(); ++k) {
        auto* out = proto.mutable_graph()->mutable_output(k);
        if (!out->has_type() || !out->type().tensor_type().has_shape())
            *out->mutable_type() = work.graph().output(k).type();
    }
    return Status::ok();
}

}  // namespace edgeinfer::model

namespace edgeinfer::model {

Result<std::vector<CheckResult>> check_model_with_table(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return not_found(path + ": cannot open model file");
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    onnx::ModelProto proto;
    google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                  static_cast<int>(bytes.size()));
    stream.SetTotalBytesLimit(INT_MAX);
    if (!proto.ParseFromCodedStream(&stream)) return invalid_model(path + ": not an ONNX protobuf file");
    onnx::ModelProto original = proto;
    LoadOptions lo;
    lo.load_external_data = false;
    EDGEINFER_ASSIGN_OR_RETURN(ir::Model m, model_from_proto(proto, path, "", lo));
    const std::vector<size_t> table = table_nodes(m);
    std::vector<std::string> all;
    for (size_t i = 0; i < m.graph.nodes.size(); ++i) all.push_back(m.graph.nodes[i].describe(i));
    int64_t max_opset = 0;
    for (const ir::OpsetId& o : m.opset_imports)
        if (ir::is_onnx_domain(o.domain)) max_opset = std::max(max_opset, o.version);
    std::vector<CheckResult> out;
    if (table.empty() && m.ir_version <= 8 && max_opset <= 17) {
        EDGEINFER_RETURN_IF_ERROR(check_model_file(path));
        out.push_back({"onnx-checker", "ok (libonnx 1.12's checker on the file)", all});
        return out;
    }
    const std::string view = "IR version " + std::to_string(std::min<int64_t>(m.ir_version, 8)) + ", opset " +
                             std::to_string(std::min<int64_t>(max_opset, 17));
    try {
        onnx::checker::check_model(libonnx_view(original, table, kSetApartDomain));
    } catch (const std::exception& e) {
        return invalid_model(path + ": ONNX checker (libonnx 1.12, " + view + " view): " + e.what());
    }
    ShapeInferenceReport rep;
    EDGEINFER_RETURN_IF_ERROR(infer_shapes_with_table(original, m, &rep));
    std::vector<std::string> table_labels;
    for (size_t i : table) table_labels.push_back(m.graph.nodes[i].describe(i));
    out.push_back({"onnx-checker",
                   "ok on the nodes libonnx 1.12 knows (file seen as " + view + "; the " +
                       std::to_string(table.size()) + " nodes of newer schemas are outside its reach)",
                   rep.onnx_nodes});
    out.push_back(
        {"onnx-shape-inference", rep.onnx_ran ? "ran" : "failed on this file (libonnx threw)", rep.onnx_nodes});
    out.push_back({"edgeinfer-shape-table", "inferred", rep.table_nodes});
    if (!rep.uncovered.empty()) out.push_back({"not-covered", "no check inferred these nodes' outputs", rep.uncovered});
    return out;
}

}  // namespace edgeinfer::model

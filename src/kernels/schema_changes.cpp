// The operators whose schemas changed in opsets 18-21 (ONNX's Changelog), and which nodes of the newer
// versions the older kernels still compute correctly.
#include "kernels/schema_changes.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <vector>

namespace edgeinfer::kernels {
namespace {

using Check = std::function<std::string(const CreateContext&)>;

struct Change {
    int64_t version;
    Check same_as_before;  // "" when the node uses only what the older schema had
};

std::string attr_is(const CreateContext& ctx, const char* name, int64_t allowed, int64_t version) {
    const int64_t v = ctx.node.attr_int(name, allowed);
    if (v == allowed) return "";
    return std::string("attribute ") + name + "=" + std::to_string(v) + " (opset " + std::to_string(version) + ")";
}

std::string string_attr_in(const CreateContext& ctx, const char* name, std::vector<std::string> allowed,
                           int64_t version) {
    const ir::Attribute* a = ctx.node.find_attribute(name);
    if (!a || std::find(allowed.begin(), allowed.end(), a->s) != allowed.end()) return "";
    return std::string("attribute ") + name + "='" + a->s + "' (opset " + std::to_string(version) + ")";
}

std::string input_absent(const CreateContext& ctx, size_t index, const char* name, int64_t version) {
    if (ctx.node.inputs.size() <= index || ctx.node.inputs[index].empty()) return "";
    return std::string("input ") + name + " (opset " + std::to_string(version) + ")";
}

std::string all_ones(const CreateContext& ctx, const char* name, int64_t version) {
    for (int64_t v : ctx.node.attr_ints(name))
        if (v != 1) return std::string("attribute ") + name + " other than 1 (opset " + std::to_string(version) + ")";
    return "";
}

std::string first_of(std::initializer_list<std::string> reasons) {
    for (const std::string& r : reasons)
        if (!r.empty()) return r;
    return "";
}

const std::multimap<std::string, Change>& changes() {
    static const std::multimap<std::string, Change> table = {
        {"Pad", {18, [](const CreateContext& c) { return input_absent(c, 3, "axes", 18); }}},
        {"Pad",
         {19,
          [](const CreateContext& c) {
              return string_attr_in(c, "mode", {"constant", "reflect", "edge"}, 19);
          }}},
        {"Resize",
         {18,
          [](const CreateContext& c) {
              return first_of({attr_is(c, "antialias", 0, 18),
                               c.node.find_attribute("axes") ? std::string("attribute axes (opset 18)") : std::string(),
                               string_attr_in(c, "keep_aspect_ratio_policy", {"stretch"}, 18)});
          }}},
        {"Resize",
         {19,
          [](const CreateContext& c) {
              return string_attr_in(
                  c, "coordinate_transformation_mode",
                  {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize"}, 19);
          }}},
        {"ScatterElements",
         {18,
          [](const CreateContext& c) {
              return string_attr_in(c, "reduction", {"none", "add", "mul"}, 18);
          }}},
        {"ScatterND",
         {18,
          [](const CreateContext& c) {
              return string_attr_in(c, "reduction", {"none", "add", "mul"}, 18);
          }}},
        {"LpPool", {18, [](const CreateContext& c) { return attr_is(c, "ceil_mode", 0, 18); }}},
        {"AveragePool", {19, [](const CreateContext& c) { return all_ones(c, "dilations", 19); }}},
        {"DFT", {20, [](const CreateContext&) { return std::string("axis as an input (opset 20)"); }}},
        {"GridSample",
         {20,
          [](const CreateContext&) { return std::string("opset 20's N-d sampling and mode names (linear, cubic)"); }}},
        {"GroupNormalization",
         {21, [](const CreateContext&) { return std::string("per-channel scale and bias (opset 21)"); }}},
    };
    return table;
}

}  // namespace

int64_t schema_change_version(const std::string& op_type, int64_t opset) {
    int64_t latest = 0;
    auto [begin, end] = changes().equal_range(op_type);
    for (auto it = begin; it != end; ++it)
        if (it->second.version <= opset) latest = std::max(latest, it->second.version);
    return latest;
}

std::string newer_schema_reason(const CreateContext& ctx) {
    auto [begin, end] = changes().equal_range(ctx.node.op_type);
    for (auto it = begin; it != end; ++it) {
        if (it->second.version > ctx.opset) continue;
        std::string why = it->second.same_as_before(ctx);
        if (!why.empty()) return why;
    }
    return "";
}

}  // namespace edgeinfer::kernels

// The form of edgeinfer's shape rules (model/shape_table.cpp runs them inside ONNX's inference pass) and the
// rule families kept in files of their own.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::model {

// An input of a rule: its type and shape when known, its value when constant.
struct ShapeRuleInput {
    const ir::ValueInfo* info = nullptr;
    const Tensor* value = nullptr;
    bool known() const { return info && info->dtype != DataType::kUndefined && info->shape.has_rank; }
};

// A rule's outputs, or nullopt when an input it needs is still unknown. A rule gives the rank and every dim
// it can tell from what is known (unknown dims stay ir::Dim::unknown()); inputs that contradict the
// operator's definition are an error whose message starts with `label` (the node).
using ShapeRuleOutputs = std::optional<std::vector<ir::ValueInfo>>;
using ShapeRule = std::function<Result<ShapeRuleOutputs>(const ir::Node&, const std::string& label,
                                                         const std::vector<ShapeRuleInput>&)>;

// One output of a rule: its type and shape (the node's output gives the name).
ir::ValueInfo rule_output(DataType dtype, ir::Shape shape);

// A rule's error: inputs or attributes that contradict the operator (an invalid model), the message
// starting with `label` (the node).
Status rule_error(const std::string& label, const std::string& what);

// The values of a constant 1-D (or scalar) int32/int64 input; nullopt when it is absent or not constant.
std::optional<std::vector<int64_t>> shape_rule_ints(const ShapeRuleInput* in);

// The rules of the spatial operators (shape_rules_spatial.cpp): Resize 18/19, LpPool 18, AveragePool 19,
// DFT 20, GridSample 20, Col2Im 18, CenterCropPad 18, DeformConv 19 and AffineGrid 20.
void add_spatial_shape_rules(std::map<std::string, ShapeRule>& rules);

}  // namespace edgeinfer::model

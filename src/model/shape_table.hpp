// edgeinfer's own table-driven shape inference for the operator versions libonnx 1.12 does not know
// (new operators and new schema versions of opsets 18-21), run together with ONNX's shape inference.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::model {

// Which nodes each inference covered (labels as ir::Node::describe gives them).
struct ShapeInferenceReport {
    std::vector<std::string> onnx_nodes;   // ONNX's inference (schemas libonnx 1.12 has)
    std::vector<std::string> table_nodes;  // edgeinfer's table inferred their outputs
    std::vector<std::string> uncovered;    // "label: why" (no rule, or inputs of unknown shape)
    bool onnx_ran = true;                  // false when ONNX's inference threw on the file
};

// Whether a node of `op_type` at default-domain `opset` is left to the table from the start: the op is
// new in 18-21 (libonnx 1.12 has no schema) or its schema changed in (17, opset] in a way that changes
// output shapes or types (Reduce* 18, Split 18, Cast 19, ...). Ops whose newer versions only add element
// types stay with ONNX's inference (older schema, same shapes); the table fills what it leaves unknown.
bool shape_table_takes(const std::string& op_type, int64_t opset);

// ONNX's shape inference on `proto` (value_info written into it), the table's nodes inferred by
// edgeinfer's rules within the same pass (registered as schemas of a domain of edgeinfer's). `model` is `proto`
// decoded (same node order). A rule that finds inconsistent inputs returns an error naming the node;
// `report` (optional) says which nodes each covered.
Status infer_shapes_with_table(onnx::ModelProto& proto, const ir::Model& model, ShapeInferenceReport* report);

// One check `inspect --check` ran: its name, its result, the nodes it covered.
struct CheckResult {
    std::string check;  // "onnx-checker", "onnx-shape-inference", "edgeinfer-shape-table", "not-covered"
    std::string result;
    std::vector<std::string> nodes;
};

// The checks of `inspect --check`. A file within libonnx 1.12's range (IR version <= 8, opsets <= 17, no
// node of a newer schema) gets ONNX's checker, as before. Otherwise ONNX's checker runs on the file seen
// within that range (the nodes of newer schemas set apart as custom ops), ONNX's shape inference covers
// the nodes it knows and edgeinfer's table the rest; nodes neither covered are listed. A failed check is
// an error naming the file (or the node).
Result<std::vector<CheckResult>> check_model_with_table(const std::string& path);

}  // namespace edgeinfer::model

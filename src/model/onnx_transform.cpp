// ONNX shape inference and version conversion applied to an ir::Model (through its protobuf).
#include "model/onnx_transform.hpp"

#include <onnx/defs/schema.h>
#include <onnx/version_converter/convert.h>

#include "base/status.hpp"
#include "model/onnx_inference.hpp"
#include "model/onnx_model.hpp"
#include "model/proto_convert.hpp"
#include "model/shape_table.hpp"

namespace edgeinfer::model {

ir::ValueInfo tensor_info_of_type(const onnx::TypeProto& type) {
    ir::ValueInfo out;
    if (!type.has_tensor_type()) return out;
    const auto& tt = type.tensor_type();
    if (tt.elem_type() < 0 || tt.elem_type() > kMaxDataTypeCode) return out;
    out.dtype = static_cast<DataType>(tt.elem_type());
    if (!tt.has_shape()) return out;
    out.shape.has_rank = true;
    for (const auto& d : tt.shape().dim()) {
        if (d.has_dim_value() && d.dim_value() >= 0)
            out.shape.dims.push_back(ir::Dim::known(d.dim_value()));
        else if (d.has_dim_param())
            out.shape.dims.push_back(ir::Dim::symbolic(d.dim_param()));
        else
            out.shape.dims.push_back(ir::Dim::unknown());
    }
    return out;
}

namespace {

// Only tensor types are kept; anything else (sequences, maps) stays unknown.
ir::ValueInfo value_info_of(const onnx::ValueInfoProto& vi) {
    ir::ValueInfo out = tensor_info_of_type(vi.type());
    out.name = vi.name();
    out.doc_string = vi.doc_string();
    return out;
}

}  // namespace

Result<size_t> infer_shapes(ir::Model& model) {
    onnx::ModelProto proto;
    model_to_proto(model, &proto);
    proto.mutable_graph()->clear_value_info();  // stale after rewrites: derive everything again
    bool table = false;  // nodes of opsets 18-21 libonnx 1.12 lacks schemas for: edgeinfer's shape table
    for (const ir::Node& n : model.graph.nodes)
        table = table || (ir::is_onnx_domain(n.domain) && shape_table_takes(n.op_type, model.opset_version("")));
    if (table) {
        if (!infer_shapes_with_table(proto, model, nullptr).is_ok()) return model.graph.value_info.size();
    } else if (!run_onnx_shape_inference(proto, true)) {
        proto.mutable_graph()->clear_value_info();
        if (!run_onnx_shape_inference(proto, false)) return model.graph.value_info.size();
    }
    std::vector<ir::ValueInfo> infos;
    for (const auto& vi : proto.graph().value_info()) {
        ir::ValueInfo v = value_info_of(vi);
        if (v.dtype != DataType::kUndefined) infos.push_back(std::move(v));
    }
    model.graph.value_info = std::move(infos);
    // Outputs declared without a shape (or type) get the inferred one: the ONNX checker wants it. A declared
    // symbolic dim that inference now knows (fixed inputs, folded shape chains) takes the known value.
    for (const auto& vi : proto.graph().output()) {
        for (ir::ValueInfo& out : model.graph.outputs) {
            if (out.name != vi.name()) continue;
            ir::ValueInfo inferred = value_info_of(vi);
            if (inferred.dtype == DataType::kUndefined || !inferred.shape.has_rank) continue;
            if (out.dtype != DataType::kUndefined && out.dtype != inferred.dtype) continue;
            if (!out.shape.has_rank) {
                out.dtype = inferred.dtype;
                out.shape = inferred.shape;
                continue;
            }
            if (out.shape.dims.size() != inferred.shape.dims.size()) continue;
            for (size_t d = 0; d < out.shape.dims.size(); ++d)
                if (!out.shape.dims[d].is_known() && inferred.shape.dims[d].is_known())
                    out.shape.dims[d] = inferred.shape.dims[d];
        }
    }
    return model.graph.value_info.size();
}

Status convert_opset(ir::Model& model, int64_t target) {
    const std::string name = model.source_path.empty() ? std::string("<model>") : model.source_path;
    if (target < kMinSupportedOpset || target > kMaxSupportedOpset)
        return invalid_argument(name + ": opset " + std::to_string(target) + " is outside the supported range " +
                                std::to_string(kMinSupportedOpset) + ".." + std::to_string(kMaxSupportedOpset));
    int64_t current = model.opset_version("");
    if (current == target) return Status::ok();
    // Debian's libonnx (1.12) has the adapters up to opset 17; edgeinfer runs 18-21 but cannot convert there.
    constexpr int64_t kMaxConverterOpset = 17;
    if (target > kMaxConverterOpset || current > kMaxConverterOpset)
        return unsupported(name + ": cannot convert from opset " + std::to_string(current) + " to " +
                           std::to_string(target) + ": the ONNX version converter edgeinfer links (libonnx 1.12) " +
                           "knows opsets up to " + std::to_string(kMaxConverterOpset) +
                           "; the model runs at its own opset without conversion");
    onnx::ModelProto proto;
    model_to_proto(model, &proto);
    onnx::ModelProto converted;
    try {
        converted = onnx::version_conversion::ConvertVersion(proto, static_cast<int>(target));
    } catch (const std::exception& e) {
        return unsupported(name + ": cannot convert from opset " + std::to_string(current) + " to " +
                           std::to_string(target) + ": " + e.what());
    }
    LoadOptions lo;
    lo.infer_shapes = false;
    auto back = model_from_proto(converted, name, "", lo);
    if (!back.is_ok()) return back.status().with_context("after opset conversion");
    std::string path = model.source_path;
    model = std::move(back).value();
    model.source_path = path;
    return Status::ok();
}

}  // namespace edgeinfer::model

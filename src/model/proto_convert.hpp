// Conversions between ONNX's generated protobuf classes and ir (internal to model/).
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "ir/graph.hpp"
#include "model/onnx_model.hpp"

namespace edgeinfer::model {

Result<Tensor> tensor_from_proto(const onnx::TensorProto& tp, const std::string& model_name,
                                 const std::string& base_dir, bool load_external);
void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* out);
// May modify `proto` (shape inference writes value_info into it).
Result<ir::Model> model_from_proto(onnx::ModelProto& proto, const std::string& model_name,
                                   const std::string& base_dir, const LoadOptions& options);
void model_to_proto(const ir::Model& m, onnx::ModelProto* out);
// kind/dtype/shape as a TypeProto (sequence_type and optional_type around the tensor type); dims already in
// `type` are replaced (onnx_save.cpp).
void type_to_proto(const ir::ValueInfo& v, onnx::TypeProto* type);
// A tensor TypeProto's dtype and shape (kind kTensor, no name); any other type, or an element type edgeinfer
// does not know, gives an unknown type (onnx_transform.cpp). For types ONNX's inference wrote, not for
// validating a file's (the loader does that, naming the value).
ir::ValueInfo tensor_info_of_type(const onnx::TypeProto& type);

}  // namespace edgeinfer::model

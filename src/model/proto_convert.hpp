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

}  // namespace edgeinfer::model

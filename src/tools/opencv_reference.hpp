// OpenCV DNN as the reference side of `edgeinfer compare`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "edgeinfer/session.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::tools {

// Runs `model` in OpenCV DNN on `inputs` and returns, by ONNX value name, the first output of every
// node OpenCV exposes as a layer (OpenCV 4.6 names layers "onnx_node!" + node name), with the dims
// OpenCV gives them. Identity/Dropout nodes are removed first: OpenCV 4.6 cannot import an
// Identity of a weight, which torch.onnx emits for shared parameters.
Result<std::map<std::string, Tensor>> opencv_reference(const ir::Model& model, const std::vector<NamedTensor>& inputs);

}  // namespace edgeinfer::tools

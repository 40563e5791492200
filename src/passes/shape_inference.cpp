// infer_shapes: a thin pass over model::infer_shapes (ONNX's own inference).
#include "passes/shape_inference.hpp"

#include "model/onnx_transform.hpp"

namespace edgeinfer::passes {

bool infer_shapes(ir::Model& model) {
    std::vector<ir::ValueInfo> before = model.graph.value_info;
    auto n = model::infer_shapes(model);
    if (!n.is_ok()) return false;
    return model.graph.value_info != before;
}

}  // namespace edgeinfer::passes

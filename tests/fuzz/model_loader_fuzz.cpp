// libFuzzer target: arbitrary bytes into the ONNX model loader must give a Status, never a crash.
#include <cstddef>
#include <cstdint>

#include "model/onnx_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    edgeinfer::model::LoadOptions options;
    options.infer_shapes = (size % 2) == 0;  // also exercise ONNX shape inference on half the inputs
    auto r = edgeinfer::model::load_model_from_bytes(data, size, options, "fuzz");
    if (r.is_ok()) {
        auto bytes = edgeinfer::model::serialize_model(r.value());
        (void)bytes;
    }
    return 0;
}

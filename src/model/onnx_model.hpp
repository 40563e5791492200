// Loading ONNX files into ir::Model and saving ir::Model back to ONNX files.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/status.hpp"
#include "ir/graph.hpp"

namespace edgeinfer::model {

// Highest default-domain opset this build of edgeinfer understands (ONNX 1.12).
inline constexpr int64_t kMaxSupportedOpset = 21;
inline constexpr int64_t kMinSupportedOpset = 1;

struct LoadOptions {
    // Annotate intermediate value shapes with ONNX's shape inference (symbolic dims kept).
    bool infer_shapes = false;
    // Read external-data tensors. When false they stay empty (for quick inspection).
    bool load_external_data = true;
};

// Loads an ONNX model file. External data is resolved relative to the file's directory.
Result<ir::Model> load_model(const std::string& path, const LoadOptions& options = {});

// Decodes model bytes. `display_name` names the model in messages; `base_dir` resolves
// external data ("" disallows external data).
Result<ir::Model> load_model_from_bytes(const void* data, size_t size, const LoadOptions& options = {},
                                        std::string_view display_name = "<memory>", std::string base_dir = "");

// The distinct external-data file names (`location`, relative to the model's folder) that the model's
// tensors name, sorted; without decoding any tensor. Engine caches hash those files with the model.
Result<std::vector<std::string>> external_data_locations(const void* data, size_t size,
                                                         std::string_view display_name = "<memory>");

struct SaveOptions {
    // Write initializers of at least `external_threshold` bytes to `external_file` (relative
    // to the model's directory) instead of inline. Needed for models over protobuf's 2 GB.
    bool external_data = false;
    std::string external_file;  // default: "<model file name>.data"
    size_t external_threshold = 1024;
};

Status save_model(const ir::Model& model, const std::string& path, const SaveOptions& options = {});
// Serializes to ONNX protobuf bytes (all tensors inline).
Result<std::string> serialize_model(const ir::Model& model);

// Reads a serialized TensorProto file (the ONNX test-data format, input_0.pb). `name_out`
// receives the tensor's name when not null.
Result<Tensor> load_tensor_file(const std::string& path, std::string* name_out = nullptr);

// Reads a test-data value file of `kind`: a TensorProto (kTensor), SequenceProto (kSequence) or
// OptionalProto (the optional kinds). `dtype` is the element type the model declares, kept by empty
// sequences and empty optionals.
Result<ir::Value> load_value_file(const std::string& path, ValueKind kind, DataType dtype);

// Runs ONNX's own checker on a model file (full check with shape inference).
Status check_model_file(const std::string& path);

// Structural checks done at every load: every value a node reads is defined before it (no
// dangling inputs, topological order), names are unique, opsets are in the supported range.
Status validate_model(const ir::Model& model);

}  // namespace edgeinfer::model

// serve::InferRequest / InferResponse and the KServe v2 (Open Inference Protocol) REST codec: JSON tensors
// and the binary tensor data extension (Inference-Header-Content-Length). A pure parser over bytes from the
// network: every length, shape, datatype and element count is validated here, before anything is allocated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgeinfer/session.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer::serve {

// The protocol's datatype names ("FP32", "INT64", "BYTES", ...); kUndefined for an unknown name.
DataType parse_v2_datatype(std::string_view name);
// "" for a dtype the protocol has no name for.
std::string_view v2_datatype_name(DataType dtype);

struct RequestedOutput {
    std::string name;
    bool binary = false;  // parameters.binary_data
};

struct InferRequest {
    std::string id;
    std::vector<NamedTensor> inputs;       // in request order, each with its dtype and shape
    std::vector<RequestedOutput> outputs;  // empty: every model output
    bool binary_outputs = false;           // parameters.binary_data_output: all outputs as binary
};

struct CodecLimits {
    size_t max_json_depth = 64;  // nesting of arrays/objects in the JSON header
    size_t max_tensors = 1024;   // inputs or outputs named by one request
};

// Parses a POST .../infer body. `header_length`: the Inference-Header-Content-Length header when present
// (the first bytes of `body` are JSON, the rest binary tensor data in input order). kInvalidArgument
// naming the input and what is wrong for: malformed JSON, a missing or mistyped field, an unknown
// datatype, negative dims, data whose element count or byte size disagrees with the shape, binary sizes
// that overrun or leave unused bytes in the body.
Result<InferRequest> parse_infer_request(std::string_view body, std::optional<size_t> header_length,
                                         const CodecLimits& limits = {});

struct EncodedResponse {
    std::string body;
    std::optional<size_t> header_length;  // set when binary output data follows the JSON
};

// The infer response: model_name, model_version, id, outputs (JSON data, or binary when `request` asked for
// it). Only the outputs the request named (all when it named none); kNotFound naming an unknown output.
Result<EncodedResponse> encode_infer_response(std::string_view model, std::string_view version,
                                              const InferRequest& request, const std::vector<NamedTensor>& outputs);

// A tensor from packed bytes (row-major little-endian; BYTES: a 4-byte little-endian length before each
// element), as binary data and gRPC raw contents carry it. kInvalidArgument naming `name` when the byte count
// disagrees with `dims` (negative or overflowing dims included).
Result<Tensor> decode_raw_tensor(const std::string& name, DataType dtype, std::vector<int64_t> dims,
                                 std::string_view bytes);
// Appends `tensor` packed as decode_raw_tensor reads it.
void append_raw_tensor(const Tensor& tensor, std::string& out);

// {"error": "<message>"}, JSON-escaped.
std::string error_json(std::string_view message);

}  // namespace edgeinfer::serve

// The v2 REST codec: JSON header (nlohmann) plus the binary tensor data extension. Every size from the wire
// is checked against the bytes actually present before a tensor is allocated.
#include "serve/codec.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

namespace edgeinfer::serve {
namespace {

using nlohmann::json;

struct DatatypeName {
    DataType dtype;
    std::string_view name;
};

constexpr DatatypeName kDatatypes[] = {
    {DataType::kBool, "BOOL"},     {DataType::kUInt8, "UINT8"},   {DataType::kUInt16, "UINT16"},
    {DataType::kUInt32, "UINT32"}, {DataType::kUInt64, "UINT64"}, {DataType::kInt8, "INT8"},
    {DataType::kInt16, "INT16"},   {DataType::kInt32, "INT32"},   {DataType::kInt64, "INT64"},
    {DataType::kFloat16, "FP16"},  {DataType::kFloat32, "FP32"},  {DataType::kFloat64, "FP64"},
    {DataType::kString, "BYTES"},  {DataType::kBFloat16, "BF16"},
};

// Deepest nesting of [ and { outside strings; stops counting past `limit`.
size_t json_depth(std::string_view text, size_t limit) {
    size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

// Flattens nested arrays of `data` into `out` (row-major), refusing more than `limit` elements.
bool flatten(const json& data, std::vector<const json*>& out, size_t limit) {
    if (!data.is_array()) {
        if (out.size() >= limit) return false;
        out.push_back(&data);
        return true;
    }
    for (const json& item : data) {
        if (!flatten(item, out, limit)) return false;
    }
    return true;
}

// numel of `dims` or nullopt when it overflows int64.
std::optional<int64_t> checked_numel(const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (int64_t d : dims) {
        if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return std::nullopt;
        n *= d;
    }
    return n;
}

template <typename T>
bool store_integer(const json& v, void* dst) {
    if (!v.is_number_integer()) return false;
    if (v.is_number_unsigned()) {
        uint64_t u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
        *static_cast<T*>(dst) = static_cast<T>(u);
        return true;
    }
    int64_t i = v.get<int64_t>();
    if constexpr (std::is_signed_v<T>) {
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            i > static_cast<int64_t>(std::numeric_limits<T>::max()))
            return false;
    } else {
        if (i < 0 || static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    }
    *static_cast<T*>(dst) = static_cast<T>(i);
    return true;
}

// Writes element `v` at `dst` as `dtype`; false when its JSON type or range does not fit.
bool store_element(DataType dtype, const json& v, void* dst) {
    switch (dtype) {
        case DataType::kBool:
            if (!v.is_boolean()) return false;
            *static_cast<uint8_t*>(dst) = v.get<bool>() ? 1 : 0;
            return true;
        case DataType::kFloat32:
            if (!v.is_number()) return false;
            *static_cast<float*>(dst) = static_cast<float>(v.get<double>());
            return true;
        case DataType::kFloat64:
            if (!v.is_number()) return false;
            *static_cast<double*>(dst) = v.get<double>();
            return true;
        case DataType::kUInt8:
            return store_integer<uint8_t>(v, dst);
        case DataType::kUInt16:
            return store_integer<uint16_t>(v, dst);
        case DataType::kUInt32:
            return store_integer<uint32_t>(v, dst);
        case DataType::kUInt64:
            return store_integer<uint64_t>(v, dst);
        case DataType::kInt8:
            return store_integer<int8_t>(v, dst);
        case DataType::kInt16:
            return store_integer<int16_t>(v, dst);
        case DataType::kInt32:
            return store_integer<int32_t>(v, dst);
        case DataType::kInt64:
            return store_integer<int64_t>(v, dst);
        default:
            return false;
    }
}

Status bad_input(const std::string& name, const std::string& what) {
    return invalid_argument("input '" + name + "': " + what);
}

// BYTES elements from binary data: each a 4-byte little-endian length and that many bytes.
Result<Tensor> decode_binary_strings(const std::string& name, std::vector<int64_t> dims, int64_t numel,
                                     std::string_view bytes) {
    std::vector<std::string> values;
    size_t pos = 0;
    while (pos < bytes.size()) {
        if (bytes.size() - pos < 4) return bad_input(name, "BYTES element length cut short in binary data");
        uint32_t len = 0;
        for (int b = 3; b >= 0; --b) len = (len << 8) | static_cast<uint8_t>(bytes[pos + b]);
        pos += 4;
        if (len > bytes.size() - pos)
            return bad_input(name, "BYTES element of " + std::to_string(len) + " bytes overruns its binary data");
        if (static_cast<int64_t>(values.size()) >= numel)
            return bad_input(name, "binary data holds more BYTES elements than shape " + shape_to_string(dims));
        values.emplace_back(bytes.substr(pos, len));
        pos += len;
    }
    if (static_cast<int64_t>(values.size()) != numel)
        return bad_input(name, "binary data holds " + std::to_string(values.size()) + " BYTES elements, shape " +
                                   shape_to_string(dims) + " needs " + std::to_string(numel));
    return Tensor::strings(std::move(dims), std::move(values));
}

Result<Tensor> decode_json_data(const std::string& name, DataType dtype, std::vector<int64_t> dims, int64_t numel,
                                const json& data, size_t body_size) {
    if (dtype == DataType::kFloat16 || dtype == DataType::kBFloat16)
        return bad_input(name, "FP16/BF16 data must be sent as binary data (parameters.binary_data_size)");
    std::vector<const json*> elements;
    // A JSON element takes at least one byte of the body: more than body_size cannot be there.
    if (!flatten(data, elements, body_size + 1) || static_cast<int64_t>(elements.size()) != numel)
        return bad_input(name, "data holds " + std::to_string(elements.size()) + " elements, shape " +
                                   shape_to_string(dims) + " needs " + std::to_string(numel));
    if (dtype == DataType::kString) {
        std::vector<std::string> values;
        values.reserve(elements.size());
        for (const json* e : elements) {
            if (!e->is_string()) return bad_input(name, "BYTES data must be strings");
            values.push_back(e->get<std::string>());
        }
        return Tensor::strings(std::move(dims), std::move(values));
    }
    Tensor t = Tensor::allocate(dtype, std::move(dims));
    auto* dst = static_cast<uint8_t*>(t.data());
    size_t size = dtype_size(dtype);
    for (size_t i = 0; i < elements.size(); ++i) {
        if (!store_element(dtype, *elements[i], dst + i * size))
            return bad_input(name, "element " + std::to_string(i) + " (" + elements[i]->dump() + ") is not a valid " +
                                       std::string(v2_datatype_name(dtype)));
    }
    return t;
}

// One entry of "inputs"; consumes its binary data from `binary` at `*offset`.
Result<NamedTensor> decode_input(const json& in, size_t index, std::string_view binary, size_t* offset,
                                 size_t body_size) {
    std::string label = "inputs[" + std::to_string(index) + "]";
    if (!in.is_object()) return invalid_argument(label + " is not an object");
    auto name_it = in.find("name");
    if (name_it == in.end() || !name_it->is_string()) return invalid_argument(label + " has no string 'name'");
    std::string name = name_it->get<std::string>();
    auto type_it = in.find("datatype");
    if (type_it == in.end() || !type_it->is_string()) return bad_input(name, "no string 'datatype'");
    DataType dtype = parse_v2_datatype(type_it->get<std::string>());
    if (dtype == DataType::kUndefined) return bad_input(name, "unknown datatype '" + type_it->get<std::string>() + "'");
    auto shape_it = in.find("shape");
    if (shape_it == in.end() || !shape_it->is_array()) return bad_input(name, "no 'shape' array");
    std::vector<int64_t> dims;
    for (const json& d : *shape_it) {
        if (!d.is_number_integer() || (!d.is_number_unsigned() && d.get<int64_t>() < 0) ||
            (d.is_number_unsigned() && d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)))
            return bad_input(name, "shape " + shape_it->dump() + " has a dim that is not a non-negative integer");
        dims.push_back(d.get<int64_t>());
    }
    auto numel = checked_numel(dims);
    if (!numel) return bad_input(name, "shape " + shape_it->dump() + " overflows");

    std::optional<uint64_t> binary_size;
    if (auto p = in.find("parameters"); p != in.end()) {
        if (!p->is_object()) return bad_input(name, "'parameters' is not an object");
        if (auto b = p->find("binary_data_size"); b != p->end()) {
            if (!b->is_number_unsigned()) return bad_input(name, "binary_data_size is not a non-negative integer");
            binary_size = b->get<uint64_t>();
        }
    }
    if (!binary_size) {
        auto data_it = in.find("data");
        if (data_it == in.end()) return bad_input(name, "no 'data' and no parameters.binary_data_size");
        auto t = decode_json_data(name, dtype, std::move(dims), *numel, *data_it, body_size);
        if (!t.is_ok()) return t.status();
        return NamedTensor{name, std::move(t.value())};
    }
    if (in.contains("data")) return bad_input(name, "both 'data' and parameters.binary_data_size");
    if (*binary_size > binary.size() - *offset)
        return bad_input(name, "binary_data_size " + std::to_string(*binary_size) + " overruns the " +
                                   std::to_string(binary.size() - *offset) + " binary bytes left in the body");
    std::string_view bytes = binary.substr(*offset, *binary_size);
    *offset += *binary_size;
    auto t = decode_raw_tensor(name, dtype, std::move(dims), bytes);
    if (!t.is_ok()) return t.status();
    return NamedTensor{name, std::move(t.value())};
}

Status decode_outputs(const json& j, InferRequest& request, size_t max_tensors) {
    if (auto p = j.find("parameters"); p != j.end()) {
        if (!p->is_object()) return invalid_argument("request 'parameters' is not an object");
        if (auto b = p->find("binary_data_output"); b != p->end()) {
            if (!b->is_boolean()) return invalid_argument("parameters.binary_data_output is not a boolean");
            request.binary_outputs = b->get<bool>();
        }
    }
    auto outs = j.find("outputs");
    if (outs == j.end()) return Status::ok();
    if (!outs->is_array()) return invalid_argument("'outputs' is not an array");
    if (outs->size() > max_tensors) return invalid_argument("more than " + std::to_string(max_tensors) + " outputs");
    for (const json& o : *outs) {
        if (!o.is_object() || !o.contains("name") || !o["name"].is_string())
            return invalid_argument("an entry of 'outputs' has no string 'name'");
        RequestedOutput r{o["name"].get<std::string>(), request.binary_outputs};
        if (auto p = o.find("parameters"); p != o.end()) {
            if (!p->is_object()) return invalid_argument("output '" + r.name + "': 'parameters' is not an object");
            if (auto b = p->find("binary_data"); b != p->end()) {
                if (!b->is_boolean()) return invalid_argument("output '" + r.name + "': binary_data is not a boolean");
                r.binary = b->get<bool>();
            }
        }
        request.outputs.push_back(std::move(r));
    }
    return Status::ok();
}

}  // namespace

void append_raw_tensor(const Tensor& t, std::string& out) {
    if (t.dtype() == DataType::kString) {
        for (const std::string& s : t.string_data()) {
            uint32_t len = static_cast<uint32_t>(s.size());
            for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((len >> (8 * b)) & 0xff));
            out += s;
        }
        return;
    }
    out.append(static_cast<const char*>(t.data()), t.nbytes());
}

namespace {

template <typename T>
json array_of(const Tensor& t) {
    const T* p = t.data_as<T>();
    return json(std::vector<T>(p, p + t.numel()));
}

json json_data(const Tensor& t) {
    switch (t.dtype()) {
        case DataType::kBool: {
            json a = json::array();
            const uint8_t* p = t.data_as<uint8_t>();
            for (int64_t i = 0; i < t.numel(); ++i) a.push_back(p[i] != 0);
            return a;
        }
        case DataType::kFloat32:
            return array_of<float>(t);
        case DataType::kFloat64:
            return array_of<double>(t);
        case DataType::kUInt8:
            return array_of<uint8_t>(t);
        case DataType::kUInt16:
            return array_of<uint16_t>(t);
        case DataType::kUInt32:
            return array_of<uint32_t>(t);
        case DataType::kUInt64:
            return array_of<uint64_t>(t);
        case DataType::kInt8:
            return array_of<int8_t>(t);
        case DataType::kInt16:
            return array_of<int16_t>(t);
        case DataType::kInt32:
            return array_of<int32_t>(t);
        case DataType::kInt64:
            return array_of<int64_t>(t);
        case DataType::kString:
            return json(t.string_data());
        default:
            return json::array();
    }
}

}  // namespace

Result<Tensor> decode_raw_tensor(const std::string& name, DataType dtype, std::vector<int64_t> dims,
                                 std::string_view bytes) {
    for (int64_t d : dims)
        if (d < 0) return bad_input(name, "shape " + shape_to_string(dims) + " has a negative dim");
    auto numel = checked_numel(dims);
    if (!numel) return bad_input(name, "shape " + shape_to_string(dims) + " overflows");
    if (dtype == DataType::kString) return decode_binary_strings(name, std::move(dims), *numel, bytes);
    uint64_t elem = dtype_size(dtype);
    if (elem == 0) return bad_input(name, "datatype has no packed form");
    if (static_cast<uint64_t>(*numel) > std::numeric_limits<uint64_t>::max() / elem ||
        static_cast<uint64_t>(*numel) * elem != bytes.size())
        return bad_input(name, std::to_string(bytes.size()) + " bytes of data do not match shape " +
                                   shape_to_string(dims) + " of " + std::string(v2_datatype_name(dtype)) + " (" +
                                   std::to_string(*numel) + " x " + std::to_string(elem) + " bytes)");
    return Tensor::copy_of(dtype, std::move(dims), bytes.data());
}

DataType parse_v2_datatype(std::string_view name) {
    for (const auto& d : kDatatypes)
        if (d.name == name) return d.dtype;
    return DataType::kUndefined;
}

std::string_view v2_datatype_name(DataType dtype) {
    for (const auto& d : kDatatypes)
        if (d.dtype == dtype) return d.name;
    return "";
}

Result<InferRequest> parse_infer_request(std::string_view body, std::optional<size_t> header_length,
                                         const CodecLimits& limits) {
    std::string_view header = body, binary;
    if (header_length) {
        if (*header_length > body.size())
            return invalid_argument("Inference-Header-Content-Length " + std::to_string(*header_length) +
                                    " exceeds the body's " + std::to_string(body.size()) + " bytes");
        header = body.substr(0, *header_length);
        binary = body.substr(*header_length);
    }
    if (json_depth(header, limits.max_json_depth) > limits.max_json_depth)
        return invalid_argument("request JSON nests deeper than " + std::to_string(limits.max_json_depth));
    json j = json::parse(header.begin(), header.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return invalid_argument("malformed JSON in the request body");
    if (!j.is_object()) return invalid_argument("the request body is not a JSON object");

    InferRequest request;
    if (auto id = j.find("id"); id != j.end()) {
        if (!id->is_string()) return invalid_argument("'id' is not a string");
        request.id = id->get<std::string>();
    }
    auto inputs = j.find("inputs");
    if (inputs == j.end() || !inputs->is_array() || inputs->empty())
        return invalid_argument("the request has no 'inputs' array");
    if (inputs->size() > limits.max_tensors)
        return invalid_argument("more than " + std::to_string(limits.max_tensors) + " inputs");
    size_t offset = 0;
    for (size_t i = 0; i < inputs->size(); ++i) {
        auto t = decode_input((*inputs)[i], i, binary, &offset, body.size());
        if (!t.is_ok()) return t.status();
        for (const NamedTensor& seen : request.inputs)
            if (seen.name == t->name) return invalid_argument("input '" + t->name + "' is given twice");
        request.inputs.push_back(std::move(t.value()));
    }
    if (offset != binary.size())
        return invalid_argument(std::to_string(binary.size() - offset) +
                                " bytes of binary data after the JSON header belong to no input");
    Status s = decode_outputs(j, request, limits.max_tensors);
    if (!s.is_ok()) return s;
    return request;
}

Result<EncodedResponse> encode_infer_response(std::string_view model, std::string_view version,
                                              const InferRequest& request, const std::vector<NamedTensor>& outputs) {
    std::vector<RequestedOutput> wanted = request.outputs;
    if (wanted.empty())
        for (const NamedTensor& o : outputs) wanted.push_back({o.name, request.binary_outputs});
    json j = {{"model_name", model}, {"model_version", version}};
    if (!request.id.empty()) j["id"] = request.id;
    json outs = json::array();
    std::string binary;
    for (const RequestedOutput& w : wanted) {
        const NamedTensor* found = nullptr;
        for (const NamedTensor& o : outputs)
            if (o.name == w.name) found = &o;
        if (!found) return not_found("model '" + std::string(model) + "' has no output '" + w.name + "'");
        const Tensor& t = found->tensor;
        json o = {{"name", w.name}, {"datatype", v2_datatype_name(t.dtype())}, {"shape", t.dims()}};
        // FP16/BF16 have no JSON form: they always go as binary data.
        bool as_binary = w.binary || t.dtype() == DataType::kFloat16 || t.dtype() == DataType::kBFloat16;
        if (as_binary) {
            size_t before = binary.size();
            append_raw_tensor(t, binary);
            o["parameters"] = {{"binary_data_size", binary.size() - before}};
        } else {
            o["data"] = json_data(t);
        }
        outs.push_back(std::move(o));
    }
    j["outputs"] = std::move(outs);
    EncodedResponse r;
    r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
    if (!binary.empty() ||
        std::any_of(wanted.begin(), wanted.end(), [](const RequestedOutput& w) { return w.binary; })) {
        r.header_length = r.body.size();
        r.body += binary;
    }
    return r;
}

std::string error_json(std::string_view message) {
    return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace edgeinfer::serve

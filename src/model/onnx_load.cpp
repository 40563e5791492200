// ONNX protobuf → ir::Model: decoding with ONNX's generated classes, tensors (inline and
// external data), attributes, subgraphs, shapes.
#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx-data_pb.h>  // SequenceProto, OptionalProto (includes onnx_pb.h first)
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "base/status.hpp"
#include "ir/float8.hpp"
#include "ir/memory.hpp"
#include "model/onnx_inference.hpp"
#include "model/onnx_model.hpp"
#include "model/proto_convert.hpp"
#include "model/shape_table.hpp"

namespace edgeinfer::model {
namespace fs = std::filesystem;

namespace {

// Protobuf nesting the loader accepts: each subgraph level (GraphProto -> NodeProto -> AttributeProto) takes 3.
constexpr int kRecursionLimit = 200;

struct Ctx {
    std::string model_name;
    std::string base_dir;
    bool load_external = true;
};

Status tensor_error(const Ctx& ctx, const std::string& tensor_name, const std::string& what) {
    return invalid_model(ctx.model_name + ": tensor '" + tensor_name + "': " + what);
}

Result<Tensor> read_external(const onnx::TensorProto& tp, DataType dtype, const std::vector<int64_t>& dims,
                             const Ctx& ctx) {
    std::string location;
    int64_t offset = 0;
    int64_t length = -1;
    for (const auto& kv : tp.external_data()) {
        try {
            if (kv.key() == "location") location = kv.value();
            if (kv.key() == "offset") offset = std::stoll(kv.value());
            if (kv.key() == "length") length = std::stoll(kv.value());
        } catch (const std::exception&) {
            return tensor_error(ctx, tp.name(), "external_data '" + kv.key() + "' is not a number: " + kv.value());
        }
    }
    if (location.empty()) return tensor_error(ctx, tp.name(), "external data has no 'location'");
    if (ctx.base_dir.empty() && !ctx.load_external)
        return Tensor::allocate(dtype, {0});  // placeholder, not loaded
    fs::path rel(location);
    if (rel.is_absolute() || location.find("..") != std::string::npos)
        return tensor_error(ctx, tp.name(), "external data location '" + location +
                                                "' must be a relative path inside the model's directory");
    if (ctx.base_dir.empty())
        return tensor_error(ctx, tp.name(), "external data '" + location + "' cannot be resolved for in-memory model");
    fs::path full = fs::path(ctx.base_dir) / rel;
    // The real path (symlinks resolved, files and folders alike) must stay inside the model's real folder.
    std::error_code canon_ec;
    const fs::path real_dir = fs::weakly_canonical(fs::path(ctx.base_dir), canon_ec);
    const fs::path real = fs::weakly_canonical(full, canon_ec);
    const auto [dir_end, unused] = std::mismatch(real_dir.begin(), real_dir.end(), real.begin(), real.end());
    (void)unused;
    if (canon_ec || dir_end != real_dir.end())
        return tensor_error(ctx, tp.name(), "external data location '" + location + "' resolves to '" + real.string() +
                                                "', outside the model's directory '" + real_dir.string() +
                                                "' (symbolic links may not leave it)");
    full = real;
    auto counted = ir::checked_bytes(dtype, dims, ctx.model_name + ": tensor '" + tp.name() + "'",
                                     ir::effective_memory_limit(0));
    if (!counted.is_ok()) return counted.status();
    const bool int4 = dtype_is_int4(dtype);  // stored packed, two per byte
    size_t expected = int4 ? (*counted + 1) / 2 : *counted;
    if (length >= 0 && static_cast<size_t>(length) != expected)
        return tensor_error(ctx, tp.name(), "external data length " + std::to_string(length) + " but shape " +
                                                shape_to_string(dims) + " needs " + std::to_string(expected) +
                                                " bytes");
    if (offset < 0) return tensor_error(ctx, tp.name(), "negative external data offset");
    std::error_code ec;
    if (!fs::is_regular_file(full, ec))
        return tensor_error(ctx, tp.name(), "external data file '" + full.string() + "' is missing");
    auto file_size = fs::file_size(full, ec);
    if (ec || file_size < static_cast<uintmax_t>(offset) + expected)
        return tensor_error(ctx, tp.name(), "external data file '" + full.string() + "' has " +
                                                std::to_string(file_size) + " bytes, needs " +
                                                std::to_string(offset + expected) + " (offset " +
                                                std::to_string(offset) + " + " + std::to_string(expected) + ")");
    if (!ctx.load_external) return Tensor::allocate(dtype, {0});
    EDGEINFER_ASSIGN_OR_RETURN(Tensor t, ir::allocate_checked(dtype, dims, ctx.model_name + ": tensor '" + tp.name() + "'"));
    std::ifstream in(full, std::ios::binary);
    in.seekg(offset);
    std::vector<uint8_t> packed(int4 ? expected : 0);
    in.read(int4 ? reinterpret_cast<char*>(packed.data()) : static_cast<char*>(t.data()),
            static_cast<std::streamsize>(expected));
    if (!in) return io_error(ctx.model_name + ": cannot read external data file '" + full.string() + "'");
    if (int4) ir::unpack_int4(packed.data(), t.numel(), dtype == DataType::kInt4, t.data_as<uint8_t>());
    return t;
}

template <typename Src, typename Dst>
void copy_cast(const google::protobuf::RepeatedField<Src>& src, Dst* dst) {
    for (int i = 0; i < src.size(); ++i) dst[i] = static_cast<Dst>(src[i]);
}

// int4/uint4: packed two per byte in raw_data, and two per int32_data value (the low nibble first);
// unpacked here to one per byte, as a Tensor holds them.
Result<Tensor> int4_from_proto(const onnx::TensorProto& tp, DataType dtype, const std::vector<int64_t>& dims,
                               int64_t numel, const Ctx& ctx) {
    const int64_t packed_bytes = (numel + 1) / 2;
    std::vector<uint8_t> packed;
    if (tp.has_raw_data()) {
        if (static_cast<int64_t>(tp.raw_data().size()) != packed_bytes)
            return tensor_error(ctx, tp.name(),
                                "raw_data has " + std::to_string(tp.raw_data().size()) + " bytes, shape " +
                                    shape_to_string(dims) + " of " + std::string(dtype_name(dtype)) + " needs " +
                                    std::to_string(packed_bytes) + " (two per byte)");
        packed.assign(tp.raw_data().begin(), tp.raw_data().end());
    } else {
        if (tp.int32_data_size() != packed_bytes)
            return tensor_error(ctx, tp.name(),
                                "has " + std::to_string(tp.int32_data_size()) + " int32_data values, shape " +
                                    shape_to_string(dims) + " of " + std::string(dtype_name(dtype)) + " needs " +
                                    std::to_string(packed_bytes) + " (two per value)");
        for (int32_t v : tp.int32_data()) packed.push_back(static_cast<uint8_t>(v));
    }
    Tensor t = Tensor::allocate(dtype, dims);
    ir::unpack_int4(packed.data(), numel, dtype == DataType::kInt4, t.data_as<uint8_t>());
    return t;
}

}  // namespace

Result<Tensor> tensor_from_proto(const onnx::TensorProto& tp, const std::string& model_name,
                                 const std::string& base_dir, bool load_external) {
    Ctx ctx{model_name, base_dir, load_external};
    // Checked against edgeinfer's own list: ONNX 1.12's generated enum lacks float8 (17-20) and int4 (21-22).
    if (tp.data_type() <= 0 || tp.data_type() > kMaxDataTypeCode)
        return tensor_error(ctx, tp.name(), "unknown data type " + std::to_string(tp.data_type()));
    auto dtype = static_cast<DataType>(tp.data_type());
    std::vector<int64_t> dims(tp.dims().begin(), tp.dims().end());
    int64_t numel = 1;
    for (int64_t d : dims) {
        if (d < 0) return tensor_error(ctx, tp.name(), "negative dimension " + std::to_string(d));
        if (d > 0 && numel > (int64_t{1} << 40) / d) return tensor_error(ctx, tp.name(), "too many elements");
        numel *= d;
    }
    if (tp.has_segment()) return tensor_error(ctx, tp.name(), "segmented tensors are not supported");
    if (dtype == DataType::kString) {
        if (tp.string_data_size() != numel)
            return tensor_error(ctx, tp.name(), "has " + std::to_string(tp.string_data_size()) +
                                                    " strings, shape needs " + std::to_string(numel));
        return Tensor::strings(dims, std::vector<std::string>(tp.string_data().begin(), tp.string_data().end()));
    }
    if (tp.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) return read_external(tp, dtype, dims, ctx);
    const size_t esize = dtype_size(dtype);
    if (esize == 0) return tensor_error(ctx, tp.name(), "unsupported data type " + std::string(dtype_name(dtype)));
    if (dtype_is_int4(dtype)) return int4_from_proto(tp, dtype, dims, numel, ctx);
    if (tp.has_raw_data()) {
        if (tp.raw_data().size() != static_cast<size_t>(numel) * esize)
            return tensor_error(ctx, tp.name(), "raw_data has " + std::to_string(tp.raw_data().size()) +
                                                    " bytes, shape " + shape_to_string(dims) + " of " +
                                                    std::string(dtype_name(dtype)) + " needs " +
                                                    std::to_string(numel * static_cast<int64_t>(esize)));
        return Tensor::copy_of(dtype, dims, tp.raw_data().data());
    }
    // The typed field's value count is checked before anything is allocated or copied: a shape with
    // many elements and few values is an error, not a large allocation.
    int have = 0;
    switch (dtype) {
        case DataType::kFloat32: have = tp.float_data_size(); break;
        case DataType::kFloat64: have = tp.double_data_size(); break;
        case DataType::kInt64: have = tp.int64_data_size(); break;
        case DataType::kUInt32:
        case DataType::kUInt64: have = tp.uint64_data_size(); break;
        case DataType::kInt32:
        case DataType::kInt16:
        case DataType::kInt8:
        case DataType::kUInt16:
        case DataType::kUInt8:
        case DataType::kBool:
        case DataType::kFloat16:
        case DataType::kBFloat16:
        case DataType::kFloat8E4M3FN:
        case DataType::kFloat8E4M3FNUZ:
        case DataType::kFloat8E5M2:
        case DataType::kFloat8E5M2FNUZ:
            have = tp.int32_data_size();
            break;
        default: return tensor_error(ctx, tp.name(), "unsupported data type " + std::string(dtype_name(dtype)));
    }
    if (have != numel)
        return tensor_error(ctx, tp.name(), "has " + std::to_string(have) + " values, shape " + shape_to_string(dims) +
                                                " needs " + std::to_string(numel));
    Tensor t = Tensor::allocate(dtype, dims);
    switch (dtype) {
        case DataType::kFloat32: copy_cast(tp.float_data(), t.data_as<float>()); break;
        case DataType::kFloat64: copy_cast(tp.double_data(), t.data_as<double>()); break;
        case DataType::kInt64: copy_cast(tp.int64_data(), t.data_as<int64_t>()); break;
        case DataType::kUInt32: copy_cast(tp.uint64_data(), t.data_as<uint32_t>()); break;
        case DataType::kUInt64: copy_cast(tp.uint64_data(), t.data_as<uint64_t>()); break;
        case DataType::kInt32: copy_cast(tp.int32_data(), t.data_as<int32_t>()); break;
        default: {  // 8- and 16-bit types: one value per int32 (float16/bfloat16 as their bits)
            auto* out = static_cast<uint8_t*>(t.data());
            for (int64_t i = 0; i < numel; ++i) {
                int32_t v = tp.int32_data(static_cast<int>(i));
                if (esize == 1) out[i] = static_cast<uint8_t>(v);
                else {
                    uint16_t h = static_cast<uint16_t>(v);
                    std::memcpy(out + i * 2, &h, 2);
                }
            }
            break;
        }
    }
    return t;
}

namespace {

// Element type and shape of a tensor type into `out`.
Status tensor_type_from_proto(const onnx::TypeProto::Tensor& tt, const std::string& what, const Ctx& ctx,
                              ir::ValueInfo& out) {
    int et = tt.elem_type();
    if (et < 0 || et > kMaxDataTypeCode)
        return invalid_model(ctx.model_name + ": " + what + " has unknown element type " + std::to_string(et));
    out.dtype = static_cast<DataType>(et);
    if (!tt.has_shape()) return Status::ok();
    out.shape.has_rank = true;
    for (const auto& d : tt.shape().dim()) {
        if (d.has_dim_value()) {
            if (d.dim_value() < 0)
                return invalid_model(ctx.model_name + ": " + what + " has negative dimension " +
                                     std::to_string(d.dim_value()));
            out.shape.dims.push_back(ir::Dim::known(d.dim_value()));
        } else if (d.has_dim_param()) {
            out.shape.dims.push_back(ir::Dim::symbolic(d.dim_param()));
        } else {
            out.shape.dims.push_back(ir::Dim::unknown());
        }
    }
    return Status::ok();
}

// The kinds edgeinfer carries: tensors, sequences of tensors, optionals of either. Anything else (maps,
// sparse tensors, sequences of sequences) is Unsupported naming `what`.
Status type_from_proto(const onnx::TypeProto& type, const std::string& what, const Ctx& ctx, ir::ValueInfo& out) {
    const std::string not_carried = " (edgeinfer carries tensors, sequences of tensors and optionals of either)";
    const onnx::TypeProto* inner = &type;
    out.kind = ValueKind::kTensor;
    if (type.has_optional_type()) {
        if (!type.optional_type().has_elem_type())
            return invalid_model(ctx.model_name + ": " + what + " is an optional with no element type");
        inner = &type.optional_type().elem_type();
        out.kind = ValueKind::kOptionalTensor;
    }
    if (inner->has_sequence_type()) {
        if (!inner->sequence_type().has_elem_type())
            return invalid_model(ctx.model_name + ": " + what + " is a sequence with no element type");
        inner = &inner->sequence_type().elem_type();
        out.kind = out.kind == ValueKind::kOptionalTensor ? ValueKind::kOptionalSequence : ValueKind::kSequence;
        if (!inner->has_tensor_type())
            return unsupported(ctx.model_name + ": " + what + " is a sequence whose elements are not tensors" +
                               not_carried);
    }
    if (!inner->has_tensor_type())
        return unsupported(ctx.model_name + ": " + what + " is " +
                           (inner->has_map_type()             ? "a map"
                            : inner->has_sparse_tensor_type() ? "a sparse tensor"
                                                              : "of a type edgeinfer does not know") +
                           not_carried);
    return tensor_type_from_proto(inner->tensor_type(), what, ctx, out);
}

Result<ir::ValueInfo> value_info_from_proto(const onnx::ValueInfoProto& vi, const Ctx& ctx, bool require_type) {
    ir::ValueInfo out;
    out.name = vi.name();
    out.doc_string = vi.doc_string();
    if (!vi.has_type()) {
        if (require_type) return invalid_model(ctx.model_name + ": value '" + vi.name() + "' has no type");
        return out;
    }
    Status st = type_from_proto(vi.type(), "value '" + vi.name() + "'", ctx, out);
    if (st.is_ok()) return out;
    if (require_type || st.code() != StatusCode::kUnsupported) return st;
    ir::ValueInfo untyped;  // an intermediate value of a kind edgeinfer does not carry: its node says so
    untyped.name = out.name;
    untyped.doc_string = out.doc_string;
    return untyped;
}

Result<ir::Graph> graph_from_proto(const onnx::GraphProto& gp, const Ctx& ctx, int depth);

Result<ir::Attribute> attribute_from_proto(const onnx::AttributeProto& ap, const Ctx& ctx, int depth) {
    using K = ir::Attribute::Kind;
    ir::Attribute a;
    a.name = ap.name();
    a.doc_string = ap.doc_string();
    a.ref_attr_name = ap.ref_attr_name();
    switch (ap.type()) {
        case onnx::AttributeProto::FLOAT: a.kind = K::kFloat; a.f = ap.f(); break;
        case onnx::AttributeProto::INT: a.kind = K::kInt; a.i = ap.i(); break;
        case onnx::AttributeProto::STRING: a.kind = K::kString; a.s = ap.s(); break;
        case onnx::AttributeProto::TENSOR: {
            a.kind = K::kTensor;
            EDGEINFER_ASSIGN_OR_RETURN(a.t, tensor_from_proto(ap.t(), ctx.model_name, ctx.base_dir, ctx.load_external));
            break;
        }
        case onnx::AttributeProto::GRAPH: {
            a.kind = K::kGraph;
            EDGEINFER_ASSIGN_OR_RETURN(ir::Graph g, graph_from_proto(ap.g(), ctx, depth + 1));
            a.g = std::make_shared<ir::Graph>(std::move(g));
            break;
        }
        case onnx::AttributeProto::FLOATS: a.kind = K::kFloats; a.floats.assign(ap.floats().begin(), ap.floats().end()); break;
        case onnx::AttributeProto::INTS: a.kind = K::kInts; a.ints.assign(ap.ints().begin(), ap.ints().end()); break;
        case onnx::AttributeProto::STRINGS:
            a.kind = K::kStrings;
            a.strings.assign(ap.strings().begin(), ap.strings().end());
            break;
        case onnx::AttributeProto::TENSORS:
            a.kind = K::kTensors;
            for (const auto& t : ap.tensors()) {
                EDGEINFER_ASSIGN_OR_RETURN(Tensor tt, tensor_from_proto(t, ctx.model_name, ctx.base_dir, ctx.load_external));
                a.tensors.push_back(std::move(tt));
            }
            break;
        case onnx::AttributeProto::GRAPHS:
            a.kind = K::kGraphs;
            for (const auto& g : ap.graphs()) {
                EDGEINFER_ASSIGN_OR_RETURN(ir::Graph gg, graph_from_proto(g, ctx, depth + 1));
                a.graphs.push_back(std::make_shared<ir::Graph>(std::move(gg)));
            }
            break;
        case onnx::AttributeProto::TYPE_PROTO:
            a.kind = K::kType;
            EDGEINFER_RETURN_IF_ERROR(type_from_proto(ap.tp(), "attribute '" + ap.name() + "'", ctx, a.type));
            break;
        default:
            return unsupported(ctx.model_name + ": attribute '" + ap.name() + "' has unsupported type " +
                               std::to_string(static_cast<int>(ap.type())));
    }
    return a;
}

Result<ir::Graph> graph_from_proto(const onnx::GraphProto& gp, const Ctx& ctx, int depth) {
    if (depth > 64) return invalid_model(ctx.model_name + ": subgraphs nested deeper than 64 levels");
    ir::Graph g;
    g.name = gp.name();
    g.doc_string = gp.doc_string();
    for (const auto& t : gp.initializer()) {
        if (t.name().empty()) return invalid_model(ctx.model_name + ": graph '" + gp.name() + "' has an unnamed initializer");
        if (g.find_initializer(t.name()))
            return invalid_model(ctx.model_name + ": initializer '" + t.name() + "' is defined twice");
        EDGEINFER_ASSIGN_OR_RETURN(Tensor tensor, tensor_from_proto(t, ctx.model_name, ctx.base_dir, ctx.load_external));
        g.add_initializer(t.name(), std::move(tensor));
    }
    for (const auto& s : gp.sparse_initializer()) g.sparse_initializer_names.push_back(s.values().name());
    for (const auto& vi : gp.input()) {
        EDGEINFER_ASSIGN_OR_RETURN(ir::ValueInfo v, value_info_from_proto(vi, ctx, depth == 0));
        g.inputs.push_back(std::move(v));
    }
    for (const auto& vi : gp.output()) {
        EDGEINFER_ASSIGN_OR_RETURN(ir::ValueInfo v, value_info_from_proto(vi, ctx, false));
        g.outputs.push_back(std::move(v));
    }
    for (const auto& vi : gp.value_info()) {
        EDGEINFER_ASSIGN_OR_RETURN(ir::ValueInfo v, value_info_from_proto(vi, ctx, false));
        g.value_info.push_back(std::move(v));
    }
    g.nodes.reserve(gp.node_size());
    for (const auto& np : gp.node()) {
        ir::Node n;
        n.name = np.name();
        n.op_type = np.op_type();
        n.domain = np.domain();
        n.doc_string = np.doc_string();
        n.inputs.assign(np.input().begin(), np.input().end());
        n.outputs.assign(np.output().begin(), np.output().end());
        for (const auto& ap : np.attribute()) {
            auto a = attribute_from_proto(ap, ctx, depth);
            if (!a.is_ok()) return a.status().with_context("node " + n.describe(g.nodes.size()));
            n.attributes.push_back(std::move(a).value());
        }
        g.nodes.push_back(std::move(n));
    }
    return g;
}

// Data propagation has known failure modes: retry without it; failing both, shapes stay as annotated.
void infer_shapes(onnx::ModelProto& proto) {
    if (!run_onnx_shape_inference(proto, true)) run_onnx_shape_inference(proto, false);
}

}  // namespace

Result<ir::Model> model_from_proto(onnx::ModelProto& proto, const std::string& model_name, const std::string& base_dir,
                                   const LoadOptions& options) {
    if (!proto.has_graph())
        return invalid_model(model_name + ": not an ONNX model (the file decodes, but has no graph)");
    if (proto.ir_version() <= 0)
        return invalid_model(model_name + ": not an ONNX model (ir_version is missing)");
    if (proto.opset_import_size() == 0 && proto.ir_version() >= 3)
        return invalid_model(model_name + ": model imports no opset");
    Ctx ctx{model_name, base_dir, options.load_external_data};
    ir::Model m;
    m.ir_version = proto.ir_version();
    m.producer_name = proto.producer_name();
    m.producer_version = proto.producer_version();
    m.domain = proto.domain();
    m.model_version = proto.model_version();
    m.doc_string = proto.doc_string();
    for (const auto& o : proto.opset_import()) m.opset_imports.push_back({o.domain(), o.version()});
    if (proto.opset_import_size() == 0) m.opset_imports.push_back({"", 1});
    for (const auto& kv : proto.metadata_props()) m.metadata_props.emplace_back(kv.key(), kv.value());
    EDGEINFER_ASSIGN_OR_RETURN(m.graph, graph_from_proto(proto.graph(), ctx, 0));
    m.source_path = model_name;
    EDGEINFER_RETURN_IF_ERROR(validate_model(m));
    // ONNX's shape inference trusts its input; it only ever sees models that passed the checks above.
    if (options.infer_shapes) {
        // Nodes of opsets 18-21 that libonnx 1.12 lacks schemas for go to edgeinfer's shape table.
        if (!infer_shapes_with_table(proto, m, nullptr).is_ok()) infer_shapes(proto);
        m.graph.value_info.clear();
        for (const auto& vi : proto.graph().value_info()) {
            auto v = value_info_from_proto(vi, ctx, false);
            if (v.is_ok()) m.graph.value_info.push_back(std::move(v).value());
        }
    }
    return m;
}

Result<ir::Model> load_model_from_bytes(const void* data, size_t size, const LoadOptions& options,
                                        std::string_view display_name, std::string base_dir) {
    std::string name(display_name);
    if (size == 0) return invalid_model(name + ": file is empty (0 bytes)");
    if (size > static_cast<size_t>(INT_MAX))
        return unsupported(name + ": model protobuf is larger than 2 GB; store weights as external data");
    onnx::ModelProto proto;
    google::protobuf::io::CodedInputStream stream(static_cast<const uint8_t*>(data), static_cast<int>(size));
    stream.SetTotalBytesLimit(INT_MAX);
    stream.SetRecursionLimit(kRecursionLimit);
    if (!proto.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
        // Tell a model nested deeper than the limit (If/Loop/Scan bodies inside each other) from a bad file.
        onnx::ModelProto deep;
        google::protobuf::io::CodedInputStream again(static_cast<const uint8_t*>(data), static_cast<int>(size));
        again.SetTotalBytesLimit(INT_MAX);
        again.SetRecursionLimit(1 << 20);
        if (deep.ParseFromCodedStream(&again) && again.ConsumedEntireMessage())
            return unsupported(name + ": subgraphs (If/Loop/Scan bodies) are nested deeper than edgeinfer loads: " +
                               "the model's protobuf nesting exceeds the limit of " + std::to_string(kRecursionLimit) +
                               " levels, about " + std::to_string(kRecursionLimit / 3) + " nested subgraphs");
        return invalid_model(name + ": not a valid ONNX protobuf (" + std::to_string(size) +
                             " bytes; truncated or not a model file)");
    }
    return model_from_proto(proto, name, std::move(base_dir), options);
}

Result<Tensor> load_tensor_file(const std::string& path, std::string* name_out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found(path + ": cannot open tensor file");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    onnx::TensorProto tp;
    if (!tp.ParseFromString(bytes)) return invalid_argument(path + ": not a serialized ONNX TensorProto");
    if (name_out) *name_out = tp.name();
    std::string dir = fs::path(path).parent_path().string();
    return tensor_from_proto(tp, path, dir, true);
}

namespace {

Result<std::vector<Tensor>> sequence_from_proto(const onnx::SequenceProto& sp, const std::string& path,
                                                const std::string& dir) {
    if (sp.elem_type() != onnx::SequenceProto::TENSOR && sp.elem_type() != onnx::SequenceProto::UNDEFINED)
        return unsupported(path + ": a sequence of elements of type " + std::to_string(sp.elem_type()) +
                           " (edgeinfer's sequences hold tensors)");
    std::vector<Tensor> items;
    for (const auto& tp : sp.tensor_values()) {
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(tp, path, dir, true));
        items.push_back(std::move(t));
    }
    return items;
}

}  // namespace

Result<ir::Value> load_value_file(const std::string& path, ValueKind kind, DataType dtype) {
    if (kind == ValueKind::kTensor) {
        EDGEINFER_ASSIGN_OR_RETURN(Tensor t, load_tensor_file(path));
        return ir::Value::of_tensor(std::move(t));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found(path + ": cannot open value file");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string dir = fs::path(path).parent_path().string();
    if (kind == ValueKind::kSequence) {
        onnx::SequenceProto sp;
        if (!sp.ParseFromString(bytes)) return invalid_argument(path + ": not a serialized ONNX SequenceProto");
        EDGEINFER_ASSIGN_OR_RETURN(std::vector<Tensor> items, sequence_from_proto(sp, path, dir));
        return ir::Value::sequence(dtype, std::move(items));
    }
    onnx::OptionalProto op;
    if (!op.ParseFromString(bytes)) return invalid_argument(path + ": not a serialized ONNX OptionalProto");
    switch (op.elem_type()) {
        case onnx::OptionalProto::UNDEFINED:
            return ir::Value::none(kind, dtype);
        case onnx::OptionalProto::TENSOR: {
            if (kind != ValueKind::kOptionalTensor)
                return invalid_argument(path + ": an optional tensor where the model expects " +
                                        std::string(value_kind_name(kind)));
            EDGEINFER_ASSIGN_OR_RETURN(Tensor t, tensor_from_proto(op.tensor_value(), path, dir, true));
            return ir::Value::optional_of(ir::Value::of_tensor(std::move(t)));
        }
        case onnx::OptionalProto::SEQUENCE: {
            if (kind != ValueKind::kOptionalSequence)
                return invalid_argument(path + ": an optional sequence where the model expects " +
                                        std::string(value_kind_name(kind)));
            EDGEINFER_ASSIGN_OR_RETURN(std::vector<Tensor> items, sequence_from_proto(op.sequence_value(), path, dir));
            return ir::Value::optional_of(ir::Value::sequence(dtype, std::move(items)));
        }
        default:
            return unsupported(path + ": an optional of element type " + std::to_string(op.elem_type()) +
                               " (edgeinfer's optionals hold a tensor or a sequence of tensors)");
    }
}

Result<ir::Model> load_model(const std::string& path, const LoadOptions& options) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return not_found(path + ": no such file");
    if (fs::is_directory(st)) return invalid_argument(path + ": is a directory, expected an .onnx model file");
    if (!fs::is_regular_file(st)) return invalid_argument(path + ": not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) return io_error(path + ": cannot open for reading");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return io_error(path + ": read failed");
    std::string dir = fs::absolute(fs::path(path), ec).parent_path().string();
    return load_model_from_bytes(bytes.data(), bytes.size(), options, path, dir);
}

namespace {

void collect_locations(const onnx::GraphProto& g, std::vector<std::string>& out);

void collect_locations(const onnx::TensorProto& t, std::vector<std::string>& out) {
    if (t.data_location() != onnx::TensorProto_DataLocation_EXTERNAL) return;
    for (const auto& kv : t.external_data())
        if (kv.key() == "location") out.push_back(kv.value());
}

void collect_locations(const onnx::GraphProto& g, std::vector<std::string>& out) {
    for (const auto& t : g.initializer()) collect_locations(t, out);
    for (const auto& n : g.node())
        for (const auto& a : n.attribute()) {
            if (a.has_t()) collect_locations(a.t(), out);
            for (const auto& t : a.tensors()) collect_locations(t, out);
            if (a.has_g()) collect_locations(a.g(), out);
            for (const auto& sg : a.graphs()) collect_locations(sg, out);
        }
}

}  // namespace

Result<std::vector<std::string>> external_data_locations(const void* data, size_t size, std::string_view display_name) {
    const std::string name(display_name);
    if (size > static_cast<size_t>(INT_MAX))
        return unsupported(name + ": model protobuf is larger than 2 GB; store weights as external data");
    onnx::ModelProto proto;
    google::protobuf::io::CodedInputStream stream(static_cast<const uint8_t*>(data), static_cast<int>(size));
    stream.SetTotalBytesLimit(INT_MAX);
    stream.SetRecursionLimit(kRecursionLimit);
    if (!proto.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
        return invalid_model(name + ": not a valid ONNX protobuf (" + std::to_string(size) + " bytes)");
    std::vector<std::string> out;
    collect_locations(proto.graph(), out);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace edgeinfer::model

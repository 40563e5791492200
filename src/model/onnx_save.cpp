// ir::Model → ONNX protobuf, written inline or with external data.
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>

#include "base/status.hpp"
#include "ir/float8.hpp"
#include "model/onnx_model.hpp"
#include "model/proto_convert.hpp"

namespace edgeinfer::model {
namespace fs = std::filesystem;

void tensor_to_proto(const Tensor& t, const std::string& name, onnx::TensorProto* out) {
    out->set_name(name);
    out->set_data_type(static_cast<int>(t.dtype()));
    for (int64_t d : t.dims()) out->add_dims(d);
    if (t.dtype() == DataType::kString) {
        for (const std::string& s : t.string_data()) out->add_string_data(s);
        return;
    }
    if (dtype_is_int4(t.dtype())) {  // ONNX packs two per byte; a Tensor holds one per byte
        std::string packed(static_cast<size_t>((t.numel() + 1) / 2), '\0');
        ir::pack_int4(t.data_as<uint8_t>(), t.numel(), reinterpret_cast<uint8_t*>(packed.data()));
        out->set_raw_data(std::move(packed));
        return;
    }
    out->set_raw_data(std::string(static_cast<const char*>(t.data()), t.nbytes()));
}

void type_to_proto(const ir::ValueInfo& v, onnx::TypeProto* type) {
    if (v.kind == ValueKind::kOptionalTensor || v.kind == ValueKind::kOptionalSequence)
        type = type->mutable_optional_type()->mutable_elem_type();
    if (v.kind == ValueKind::kSequence || v.kind == ValueKind::kOptionalSequence)
        type = type->mutable_sequence_type()->mutable_elem_type();
    auto* tt = type->mutable_tensor_type();
    tt->set_elem_type(static_cast<int>(v.dtype));
    if (!v.shape.has_rank) return;
    auto* shape = tt->mutable_shape();
    shape->clear_dim();
    for (const ir::Dim& d : v.shape.dims) {
        auto* dp = shape->add_dim();
        if (d.is_known())
            dp->set_dim_value(d.value);
        else if (!d.symbol.empty())
            dp->set_dim_param(d.symbol);
    }
}

namespace {

void value_info_to_proto(const ir::ValueInfo& v, onnx::ValueInfoProto* out) {
    out->set_name(v.name);
    if (!v.doc_string.empty()) out->set_doc_string(v.doc_string);
    if (v.dtype == DataType::kUndefined && !v.shape.has_rank && v.kind == ValueKind::kTensor) return;
    type_to_proto(v, out->mutable_type());
}

void graph_to_proto(const ir::Graph& g, onnx::GraphProto* out);

void attribute_to_proto(const ir::Attribute& a, onnx::AttributeProto* out) {
    using K = ir::Attribute::Kind;
    out->set_name(a.name);
    if (!a.doc_string.empty()) out->set_doc_string(a.doc_string);
    if (!a.ref_attr_name.empty()) out->set_ref_attr_name(a.ref_attr_name);
    switch (a.kind) {
        case K::kFloat: out->set_type(onnx::AttributeProto::FLOAT); out->set_f(a.f); break;
        case K::kInt: out->set_type(onnx::AttributeProto::INT); out->set_i(a.i); break;
        case K::kString: out->set_type(onnx::AttributeProto::STRING); out->set_s(a.s); break;
        case K::kTensor: out->set_type(onnx::AttributeProto::TENSOR); tensor_to_proto(a.t, "", out->mutable_t()); break;
        case K::kGraph: out->set_type(onnx::AttributeProto::GRAPH); graph_to_proto(*a.g, out->mutable_g()); break;
        case K::kFloats:
            out->set_type(onnx::AttributeProto::FLOATS);
            for (float f : a.floats) out->add_floats(f);
            break;
        case K::kInts:
            out->set_type(onnx::AttributeProto::INTS);
            for (int64_t i : a.ints) out->add_ints(i);
            break;
        case K::kStrings:
            out->set_type(onnx::AttributeProto::STRINGS);
            for (const auto& s : a.strings) out->add_strings(s);
            break;
        case K::kTensors:
            out->set_type(onnx::AttributeProto::TENSORS);
            for (const auto& t : a.tensors) tensor_to_proto(t, "", out->add_tensors());
            break;
        case K::kType:
            out->set_type(onnx::AttributeProto::TYPE_PROTO);
            type_to_proto(a.type, out->mutable_tp());
            break;
        case K::kGraphs:
            out->set_type(onnx::AttributeProto::GRAPHS);
            for (const auto& g : a.graphs) graph_to_proto(*g, out->add_graphs());
            break;
        case K::kUndefined: break;
    }
}

void graph_to_proto(const ir::Graph& g, onnx::GraphProto* out) {
    out->set_name(g.name);
    if (!g.doc_string.empty()) out->set_doc_string(g.doc_string);
    for (const ir::Node& n : g.nodes) {
        auto* np = out->add_node();
        np->set_name(n.name);
        np->set_op_type(n.op_type);
        if (!n.domain.empty()) np->set_domain(n.domain);
        if (!n.doc_string.empty()) np->set_doc_string(n.doc_string);
        for (const auto& i : n.inputs) np->add_input(i);
        for (const auto& o : n.outputs) np->add_output(o);
        for (const auto& a : n.attributes) attribute_to_proto(a, np->add_attribute());
    }
    for (const auto& name : g.initializer_order) tensor_to_proto(g.initializers.at(name), name, out->add_initializer());
    for (const auto& v : g.inputs) value_info_to_proto(v, out->add_input());
    for (const auto& v : g.outputs) value_info_to_proto(v, out->add_output());
    for (const auto& v : g.value_info) value_info_to_proto(v, out->add_value_info());
}

Status write_file(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return io_error(path + ": cannot open for writing");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    if (!f) return io_error(path + ": write failed");
    return Status::ok();
}

// Moves large raw_data initializers of the top-level graph into one side file.
Status externalize(onnx::GraphProto* g, const std::string& model_path, const SaveOptions& options) {
    fs::path mp(model_path);
    std::string file = options.external_file.empty() ? mp.filename().string() + ".data" : options.external_file;
    fs::path data_path = mp.parent_path() / file;
    std::ofstream f(data_path, std::ios::binary | std::ios::trunc);
    if (!f) return io_error(data_path.string() + ": cannot open for writing");
    int64_t offset = 0;
    for (auto& t : *g->mutable_initializer()) {
        if (!t.has_raw_data() || t.raw_data().size() < options.external_threshold) continue;
        const std::string& raw = t.raw_data();
        f.write(raw.data(), static_cast<std::streamsize>(raw.size()));
        auto add = [&](const std::string& k, const std::string& v) {
            auto* e = t.add_external_data();
            e->set_key(k);
            e->set_value(v);
        };
        add("location", file);
        add("offset", std::to_string(offset));
        add("length", std::to_string(raw.size()));
        offset += static_cast<int64_t>(raw.size());
        t.clear_raw_data();
        t.set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
    }
    f.close();
    if (!f) return io_error(data_path.string() + ": write failed");
    return Status::ok();
}

}  // namespace

void model_to_proto(const ir::Model& m, onnx::ModelProto* out) {
    out->set_ir_version(m.ir_version);
    if (!m.producer_name.empty()) out->set_producer_name(m.producer_name);
    if (!m.producer_version.empty()) out->set_producer_version(m.producer_version);
    if (!m.domain.empty()) out->set_domain(m.domain);
    if (m.model_version) out->set_model_version(m.model_version);
    if (!m.doc_string.empty()) out->set_doc_string(m.doc_string);
    for (const auto& o : m.opset_imports) {
        auto* op = out->add_opset_import();
        op->set_domain(o.domain);
        op->set_version(o.version);
    }
    for (const auto& [k, v] : m.metadata_props) {
        auto* e = out->add_metadata_props();
        e->set_key(k);
        e->set_value(v);
    }
    graph_to_proto(m.graph, out->mutable_graph());
}

Result<std::string> serialize_model(const ir::Model& model) {
    onnx::ModelProto proto;
    model_to_proto(model, &proto);
    if (proto.ByteSizeLong() > static_cast<size_t>(INT32_MAX))
        return unsupported("model is larger than protobuf's 2 GB limit; save with external data");
    std::string bytes;
    if (!proto.SerializeToString(&bytes)) return internal_error("protobuf serialization failed");
    return bytes;
}

Status save_model(const ir::Model& model, const std::string& path, const SaveOptions& options) {
    onnx::ModelProto proto;
    model_to_proto(model, &proto);
    if (options.external_data) EDGEINFER_RETURN_IF_ERROR(externalize(proto.mutable_graph(), path, options));
    if (proto.ByteSizeLong() > static_cast<size_t>(INT32_MAX))
        return unsupported(path + ": model is larger than protobuf's 2 GB limit; save with external data");
    std::string bytes;
    if (!proto.SerializeToString(&bytes)) return internal_error(path + ": protobuf serialization failed");
    return write_file(path, bytes);
}

Status check_model_file(const std::string& path) {
    try {
        onnx::checker::check_model(path);
    } catch (const std::exception& e) {
        return invalid_model(path + ": ONNX checker: " + e.what());
    }
    return Status::ok();
}

}  // namespace edgeinfer::model

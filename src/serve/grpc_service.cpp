// GrpcFrontend: a synchronous grpc::Server with the generated GRPCInferenceService::Service. ModelInfer takes
// typed contents or raw_input_contents (validated like the REST binary extension) and always answers with
// raw_output_contents; errors map to gRPC codes (bad input INVALID_ARGUMENT, unknown NOT_FOUND, overload
// UNAVAILABLE).
#include "serve/grpc_service.hpp"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <limits>
#include <mutex>

#include "grpc_service.grpc.pb.h"
#include "serve/codec.hpp"

namespace edgeinfer::serve {
namespace {

grpc::Status to_grpc(const Status& s) {
    grpc::StatusCode code = grpc::StatusCode::INTERNAL;
    switch (s.code()) {
        case StatusCode::kOk:
            return grpc::Status::OK;
        case StatusCode::kInvalidArgument:
        case StatusCode::kOutOfRange:
        case StatusCode::kUnsupported:
        case StatusCode::kInvalidModel:
            code = grpc::StatusCode::INVALID_ARGUMENT;
            break;
        case StatusCode::kNotFound:
            code = grpc::StatusCode::NOT_FOUND;
            break;
        case StatusCode::kResourceExhausted:
        case StatusCode::kCancelled:
            code = grpc::StatusCode::UNAVAILABLE;
            break;
        default:
            break;
    }
    return grpc::Status(code, s.message());
}

template <typename T, typename Field>
Result<Tensor> from_field(const std::string& name, DataType dtype, std::vector<int64_t> dims, int64_t numel,
                          const Field& field) {
    if (static_cast<int64_t>(field.size()) != numel)
        return invalid_argument("input '" + name + "': contents hold " + std::to_string(field.size()) +
                                " elements, shape " + shape_to_string(dims) + " needs " + std::to_string(numel));
    Tensor t = Tensor::allocate(dtype, std::move(dims));
    T* dst = t.data_as<T>();
    for (int64_t i = 0; i < numel; ++i) {
        auto v = field.Get(static_cast<int>(i));
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            if (v < static_cast<decltype(v)>(std::numeric_limits<T>::min()) ||
                v > static_cast<decltype(v)>(std::numeric_limits<T>::max()))
                return invalid_argument("input '" + name + "': element " + std::to_string(i) + " (" +
                                        std::to_string(v) + ") does not fit " +
                                        std::string(v2_datatype_name(t.dtype())));
        }
        dst[i] = static_cast<T>(v);
    }
    return t;
}

Result<Tensor> from_contents(const std::string& name, DataType dtype, std::vector<int64_t> dims,
                             const inference::InferTensorContents& c) {
    int64_t numel = 1;
    for (int64_t d : dims) {
        if (d < 0 || (d != 0 && numel > std::numeric_limits<int32_t>::max() / d))
            return invalid_argument("input '" + name + "': shape " + shape_to_string(dims) +
                                    " is negative or too large");
        numel *= d;
    }
    switch (dtype) {
        case DataType::kFloat32:
            return from_field<float>(name, dtype, std::move(dims), numel, c.fp32_contents());
        case DataType::kFloat64:
            return from_field<double>(name, dtype, std::move(dims), numel, c.fp64_contents());
        case DataType::kInt8:
            return from_field<int8_t>(name, dtype, std::move(dims), numel, c.int_contents());
        case DataType::kInt16:
            return from_field<int16_t>(name, dtype, std::move(dims), numel, c.int_contents());
        case DataType::kInt32:
            return from_field<int32_t>(name, dtype, std::move(dims), numel, c.int_contents());
        case DataType::kInt64:
            return from_field<int64_t>(name, dtype, std::move(dims), numel, c.int64_contents());
        case DataType::kUInt8:
            return from_field<uint8_t>(name, dtype, std::move(dims), numel, c.uint_contents());
        case DataType::kUInt16:
            return from_field<uint16_t>(name, dtype, std::move(dims), numel, c.uint_contents());
        case DataType::kUInt32:
            return from_field<uint32_t>(name, dtype, std::move(dims), numel, c.uint_contents());
        case DataType::kUInt64:
            return from_field<uint64_t>(name, dtype, std::move(dims), numel, c.uint64_contents());
        case DataType::kBool:
            return from_field<uint8_t>(name, dtype, std::move(dims), numel, c.bool_contents());
        case DataType::kString: {
            if (static_cast<int64_t>(c.bytes_contents_size()) != numel)
                return invalid_argument("input '" + name + "': contents hold " +
                                        std::to_string(c.bytes_contents_size()) + " elements, shape " +
                                        shape_to_string(dims) + " needs " + std::to_string(numel));
            return Tensor::strings(std::move(dims), {c.bytes_contents().begin(), c.bytes_contents().end()});
        }
        default:
            return invalid_argument("input '" + name + "': " + std::string(v2_datatype_name(dtype)) +
                                    " needs raw_input_contents");
    }
}

Result<std::vector<NamedTensor>> decode_inputs(const inference::ModelInferRequest& request) {
    bool raw = request.raw_input_contents_size() > 0;
    if (raw && request.raw_input_contents_size() != request.inputs_size())
        return invalid_argument(std::to_string(request.raw_input_contents_size()) + " raw_input_contents for " +
                                std::to_string(request.inputs_size()) + " inputs");
    std::vector<NamedTensor> out;
    for (int i = 0; i < request.inputs_size(); ++i) {
        const auto& in = request.inputs(i);
        DataType dtype = parse_v2_datatype(in.datatype());
        if (dtype == DataType::kUndefined)
            return invalid_argument("input '" + in.name() + "': unknown datatype '" + in.datatype() + "'");
        std::vector<int64_t> dims(in.shape().begin(), in.shape().end());
        if (raw && in.has_contents())
            return invalid_argument("input '" + in.name() + "': both contents and raw_input_contents");
        auto t = raw ? decode_raw_tensor(in.name(), dtype, std::move(dims), request.raw_input_contents(i))
                     : from_contents(in.name(), dtype, std::move(dims), in.contents());
        if (!t.is_ok()) return t.status();
        for (const NamedTensor& seen : out)
            if (seen.name == in.name()) return invalid_argument("input '" + in.name() + "' is given twice");
        out.push_back({in.name(), std::move(t.value())});
    }
    if (out.empty()) return invalid_argument("the request has no inputs");
    return out;
}

void describe(const std::vector<ValueDescription>& values,
              google::protobuf::RepeatedPtrField<inference::ModelMetadataResponse::TensorMetadata>* out) {
    for (const ValueDescription& v : values) {
        auto* t = out->Add();
        t->set_name(v.name);
        std::string_view type = v2_datatype_name(v.dtype);
        t->set_datatype(std::string(type.empty() ? dtype_name(v.dtype) : type));
        for (int64_t d : v.dims) t->add_shape(d);
    }
}

class Service final : public inference::GRPCInferenceService::Service {
  public:
    explicit Service(Repository& repo) : repo_(repo) {}

    grpc::Status ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*,
                            inference::ServerLiveResponse* r) override {
        r->set_live(true);
        return grpc::Status::OK;
    }
    grpc::Status ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*,
                             inference::ServerReadyResponse* r) override {
        r->set_ready(true);
        return grpc::Status::OK;
    }
    grpc::Status ModelReady(grpc::ServerContext*, const inference::ModelReadyRequest* q,
                            inference::ModelReadyResponse* r) override {
        r->set_ready(repo_.find(q->name(), q->version()).is_ok());
        return grpc::Status::OK;
    }
    grpc::Status ServerMetadata(grpc::ServerContext*, const inference::ServerMetadataRequest*,
                                inference::ServerMetadataResponse* r) override {
        r->set_name("edgeinfer");
        r->set_version(EDGEINFER_VERSION);
        r->add_extensions("model_repository");
        return grpc::Status::OK;
    }
    grpc::Status ModelMetadata(grpc::ServerContext*, const inference::ModelMetadataRequest* q,
                               inference::ModelMetadataResponse* r) override {
        auto runner = repo_.find(q->name(), q->version());
        if (!runner.is_ok()) return to_grpc(runner.status());
        r->set_name(q->name());
        if (!q->version().empty())
            r->add_versions(q->version());
        else
            for (const auto& v : repo_.ready_versions(q->name())) r->add_versions(v->version());
        r->set_platform("edgeinfer_onnx");
        describe(runner.value()->inputs(), r->mutable_inputs());
        describe(runner.value()->outputs(), r->mutable_outputs());
        return grpc::Status::OK;
    }
    grpc::Status ModelInfer(grpc::ServerContext*, const inference::ModelInferRequest* q,
                            inference::ModelInferResponse* r) override {
        auto runner = repo_.find(q->model_name(), q->model_version());
        if (!runner.is_ok()) return to_grpc(runner.status());
        auto inputs = decode_inputs(*q);
        if (!inputs.is_ok()) return to_grpc(inputs.status().with_context("model '" + q->model_name() + "'"));
        ImageModel* image = runner.value()->image_model();
        auto outputs = image && ImageModel::is_image_request(inputs.value())
                           ? image->run(inputs.value()[0])
                           : runner.value()->infer(std::move(inputs.value()));
        if (!outputs.is_ok()) return to_grpc(outputs.status());
        r->set_model_name(q->model_name());
        r->set_model_version(runner.value()->version());
        r->set_id(q->id());
        std::vector<std::string> wanted;
        for (const auto& o : q->outputs()) wanted.push_back(o.name());
        if (wanted.empty())
            for (const NamedTensor& o : outputs.value()) wanted.push_back(o.name);
        for (const std::string& name : wanted) {
            const NamedTensor* found = nullptr;
            for (const NamedTensor& o : outputs.value())
                if (o.name == name) found = &o;
            if (!found)
                return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    "model '" + q->model_name() + "' has no output '" + name + "'");
            auto* t = r->add_outputs();
            t->set_name(name);
            t->set_datatype(std::string(v2_datatype_name(found->tensor.dtype())));
            for (int64_t d : found->tensor.dims()) t->add_shape(d);
            append_raw_tensor(found->tensor, *r->add_raw_output_contents());
        }
        return grpc::Status::OK;
    }
    grpc::Status RepositoryIndex(grpc::ServerContext*, const inference::RepositoryIndexRequest* q,
                                 inference::RepositoryIndexResponse* r) override {
        for (const ModelState& m : repo_.index()) {
            if (q->ready() && m.state != "READY") continue;
            auto* e = r->add_models();
            e->set_name(m.name);
            e->set_version(m.version);
            e->set_state(m.state);
            e->set_reason(m.reason);
        }
        return grpc::Status::OK;
    }
    grpc::Status RepositoryModelLoad(grpc::ServerContext*, const inference::RepositoryModelLoadRequest* q,
                                     inference::RepositoryModelLoadResponse*) override {
        Status s = repo_.load(q->model_name());
        if (s.code() == StatusCode::kNotFound || s.is_ok()) return to_grpc(s);
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, s.message());
    }
    grpc::Status RepositoryModelUnload(grpc::ServerContext*, const inference::RepositoryModelUnloadRequest* q,
                                       inference::RepositoryModelUnloadResponse*) override {
        return to_grpc(repo_.unload(q->model_name()));
    }

  private:
    Repository& repo_;
};

}  // namespace

class GrpcFrontend::Impl {
  public:
    explicit Impl(Repository& repo) : service(repo) {}
    Service service;
    std::unique_ptr<grpc::Server> server;
    int port = -1;
    std::once_flag stopped;
};

GrpcFrontend::GrpcFrontend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcFrontend::~GrpcFrontend() { stop(); }

Result<std::unique_ptr<GrpcFrontend>> GrpcFrontend::start(Repository& repository, const std::string& address, int port,
                                                          size_t max_message_bytes) {
    auto impl = std::make_unique<Impl>(repository);
    grpc::ServerBuilder builder;
    std::string where = address + ":" + std::to_string(port);
    builder.AddListeningPort(where, grpc::InsecureServerCredentials(), &impl->port);
    builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(max_message_bytes, INT32_MAX)));
    builder.SetMaxSendMessageSize(INT32_MAX);
    builder.RegisterService(&impl->service);
    impl->server = builder.BuildAndStart();
    if (!impl->server || impl->port <= 0) return io_error("cannot bind gRPC on " + where + " (in use?)");
    return std::unique_ptr<GrpcFrontend>(new GrpcFrontend(std::move(impl)));
}

int GrpcFrontend::port() const { return impl_->port; }

void GrpcFrontend::stop() {
    std::call_once(impl_->stopped, [this] {
        impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(30));
        impl_->server->Wait();
    });
}

}  // namespace edgeinfer::serve

// The C API (include/edgeinfer.h) over edgeinfer::Session and edgeinfer::Tensor: sessions, tensors,
// metadata, engine files and runs into new or caller-owned output tensors.
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"

// The C enums carry the C++ values unchanged (fail() and the dtype casts rely on it).
static_assert(EDGEINFER_INVALID_ARGUMENT == static_cast<int>(edgeinfer::StatusCode::kInvalidArgument));
static_assert(EDGEINFER_NOT_FOUND == static_cast<int>(edgeinfer::StatusCode::kNotFound));
static_assert(EDGEINFER_UNSUPPORTED == static_cast<int>(edgeinfer::StatusCode::kUnsupported));
static_assert(EDGEINFER_CANCELLED == static_cast<int>(edgeinfer::StatusCode::kCancelled));
static_assert(EDGEINFER_RESOURCE_EXHAUSTED == static_cast<int>(edgeinfer::StatusCode::kResourceExhausted));
static_assert(EDGEINFER_INT64 == static_cast<int>(edgeinfer::DataType::kInt64));
static_assert(EDGEINFER_FLOAT64 == static_cast<int>(edgeinfer::DataType::kFloat64));

namespace edgeinfer::capi {

namespace {

thread_local std::string g_last_error;

}  // namespace

edgeinfer_status fail(const Status& s) {
    g_last_error = s.to_string();
    return static_cast<edgeinfer_status>(s.code());
}

edgeinfer_status fail(edgeinfer_status code, const std::string& message) {
    g_last_error = message;
    return code;
}

edgeinfer_status ok() {
    g_last_error.clear();
    return EDGEINFER_OK;
}

edgeinfer_session* make_session_handle(std::unique_ptr<Session> session) {
    auto symbols = [](const std::vector<ValueDescription>& list) {
        std::vector<std::vector<const char*>> out;
        for (const ValueDescription& d : list) {
            std::vector<const char*> s;
            for (size_t i = 0; i < d.dims.size(); ++i) s.push_back(i < d.symbols.size() ? d.symbols[i].c_str() : "");
            out.push_back(std::move(s));
        }
        return out;
    };
    auto* h = new edgeinfer_session{std::move(session), {}, {}};
    h->input_symbols = symbols(h->session->inputs());
    h->output_symbols = symbols(h->session->outputs());
    return h;
}

namespace {

SessionOptions to_options(const edgeinfer_session_options* o) {
    SessionOptions opts;
    if (!o) return opts;
    opts.num_threads = o->num_threads;
    opts.optimization_level = static_cast<GraphOptimizationLevel>(o->optimization_level);
    opts.precision = static_cast<Precision>(o->precision);
    opts.enable_profiling = o->enable_profiling != 0;
    return opts;
}

edgeinfer_status check_options(const edgeinfer_session_options* o) {
    if (!o) return EDGEINFER_OK;
    if (o->num_threads < 0) return fail(EDGEINFER_INVALID_ARGUMENT, "num_threads must be >= 0");
    if (o->optimization_level < 0 || o->optimization_level > 3)
        return fail(EDGEINFER_INVALID_ARGUMENT, "optimization_level must be 0..3");
    if (o->precision < 0 || o->precision > 2) return fail(EDGEINFER_INVALID_ARGUMENT, "precision must be 0, 1 or 2");
    return EDGEINFER_OK;
}

edgeinfer_status create_session(const char* model_path, const SessionOptions& options, edgeinfer_session** out) {
    if (!model_path || !out) return fail(EDGEINFER_INVALID_ARGUMENT, "model_path and out must not be NULL");
    return guarded([&] {
        auto r = Session::create(model_path, options);
        if (!r.is_ok()) return fail(r.status());
        *out = make_session_handle(std::move(r).value());
        return ok();
    });
}

edgeinfer_status create_session_from_bytes(const void* data, size_t size, const SessionOptions& options,
                                           edgeinfer_session** out) {
    if ((!data && size) || !out) return fail(EDGEINFER_INVALID_ARGUMENT, "data and out must not be NULL");
    return guarded([&] {
        auto r = Session::create_from_bytes(data, size, options);
        if (!r.is_ok()) return fail(r.status());
        *out = make_session_handle(std::move(r).value());
        return ok();
    });
}

edgeinfer_status value_info(const std::vector<ValueDescription>& list, size_t index, const char* what,
                            const char** name, int* dtype, const int64_t** dims, size_t* rank) {
    if (index >= list.size())
        return fail(EDGEINFER_OUT_OF_RANGE, std::string(what) + " index " + std::to_string(index) + " out of range (" +
                                                std::to_string(list.size()) + ")");
    const auto& d = list[index];
    if (name) *name = d.name.c_str();
    if (dtype) *dtype = static_cast<int>(d.dtype);
    if (dims) *dims = d.dims.data();
    if (rank) *rank = d.dims.size();
    return ok();
}

edgeinfer_status value_symbols(const edgeinfer_session* session, bool input, size_t index, const char* const** symbols,
                               size_t* rank) {
    if (!session) return fail(EDGEINFER_INVALID_ARGUMENT, "session must not be NULL");
    const auto& table = input ? session->input_symbols : session->output_symbols;
    if (index >= table.size())
        return fail(EDGEINFER_OUT_OF_RANGE, std::string(input ? "input" : "output") + " index " +
                                                std::to_string(index) + " out of range (" +
                                                std::to_string(table.size()) + ")");
    if (symbols) *symbols = table[index].data();
    if (rank) *rank = table[index].size();
    return ok();
}

edgeinfer_status value_index(const edgeinfer_session* session, bool input, const char* name, size_t* index) {
    if (!session || !name || !index)
        return fail(EDGEINFER_INVALID_ARGUMENT, "session, name and index must not be NULL");
    const auto& list = input ? session->session->inputs() : session->session->outputs();
    std::string known;
    for (size_t k = 0; k < list.size(); ++k) {
        if (list[k].name == name) {
            *index = k;
            return ok();
        }
        known += (k ? ", " : "") + list[k].name;
    }
    return fail(EDGEINFER_NOT_FOUND, std::string("the model has no ") + (input ? "input" : "output") + " '" + name +
                                         "' (its " + (input ? "inputs" : "outputs") + ": " + known + ")");
}

edgeinfer_status check_dtype(int dtype) {
    auto t = static_cast<DataType>(dtype);
    if (dtype <= 0 || dtype > 16 || dtype_size(t) == 0)
        return fail(EDGEINFER_INVALID_ARGUMENT, "unsupported dtype " + std::to_string(dtype));
    return EDGEINFER_OK;
}

edgeinfer_status make_dims(const int64_t* dims, size_t rank, std::vector<int64_t>& out) {
    if (rank > 0 && !dims) return fail(EDGEINFER_INVALID_ARGUMENT, "dims is NULL but rank is " + std::to_string(rank));
    if (rank > 16) return fail(EDGEINFER_INVALID_ARGUMENT, "rank " + std::to_string(rank) + " is larger than 16");
    out.assign(dims, dims + rank);
    for (int64_t d : out)
        if (d < 0) return fail(EDGEINFER_INVALID_ARGUMENT, "negative dimension " + std::to_string(d));
    return EDGEINFER_OK;
}

edgeinfer_status named_inputs(const char* const* input_names, const edgeinfer_tensor* const* inputs, size_t input_count,
                              std::vector<NamedTensor>& in) {
    if (input_count && (!input_names || !inputs)) return fail(EDGEINFER_INVALID_ARGUMENT, "inputs must not be NULL");
    for (size_t i = 0; i < input_count; ++i) {
        if (!input_names[i] || !inputs[i])
            return fail(EDGEINFER_INVALID_ARGUMENT, "input " + std::to_string(i) + " or its name is NULL");
        in.push_back({input_names[i], inputs[i]->tensor});
    }
    return EDGEINFER_OK;
}

}  // namespace

}  // namespace edgeinfer::capi

using namespace edgeinfer::capi;  // NOLINT(google-build-using-namespace): the C functions below use its helpers

extern "C" {

const char* edgeinfer_last_error(void) { return g_last_error.c_str(); }
const char* edgeinfer_version(void) { return EDGEINFER_VERSION; }

void edgeinfer_session_options_init(edgeinfer_session_options* options) {
    if (!options) return;
    options->num_threads = 0;
    options->optimization_level = 3;
    options->precision = 0;
    options->enable_profiling = 0;
}

edgeinfer_status edgeinfer_session_create(const char* model_path, const edgeinfer_session_options* options,
                                          edgeinfer_session** out) {
    if (edgeinfer_status s = check_options(options)) return s;
    return create_session(model_path, to_options(options), out);
}

edgeinfer_status edgeinfer_session_create_from_bytes(const void* data, size_t size,
                                                     const edgeinfer_session_options* options,
                                                     edgeinfer_session** out) {
    if (edgeinfer_status s = check_options(options)) return s;
    return create_session_from_bytes(data, size, to_options(options), out);
}

edgeinfer_status edgeinfer_session_create_with_options(const char* model_path, const edgeinfer_options* options,
                                                       edgeinfer_session** out) {
    return create_session(model_path, options ? options->session : edgeinfer::SessionOptions{}, out);
}

edgeinfer_status edgeinfer_session_create_from_bytes_with_options(const void* data, size_t size,
                                                                  const edgeinfer_options* options,
                                                                  edgeinfer_session** out) {
    return create_session_from_bytes(data, size, options ? options->session : edgeinfer::SessionOptions{}, out);
}

void edgeinfer_session_destroy(edgeinfer_session* session) { delete session; }

edgeinfer_status edgeinfer_session_engine_status(const edgeinfer_session* session, int* requested, int* loaded,
                                                 const char** message) {
    if (!session) return fail(EDGEINFER_INVALID_ARGUMENT, "session must not be NULL");
    const edgeinfer::EngineReport& r = session->session->engine_report();
    if (requested) *requested = r.requested ? 1 : 0;
    if (loaded) *loaded = r.loaded ? 1 : 0;
    if (message) *message = r.message.c_str();
    return ok();
}

edgeinfer_status edgeinfer_session_engine_cache_entry(const edgeinfer_session* session, const char** path,
                                                      int* written) {
    if (!session) return fail(EDGEINFER_INVALID_ARGUMENT, "session must not be NULL");
    const edgeinfer::EngineReport& r = session->session->engine_report();
    if (path) *path = r.cache_entry.c_str();
    if (written) *written = r.cache_written ? 1 : 0;
    return ok();
}

edgeinfer_status edgeinfer_session_save_engine(const edgeinfer_session* session, const char* path) {
    if (!session || !path) return fail(EDGEINFER_INVALID_ARGUMENT, "session and path must not be NULL");
    return guarded([&] {
        edgeinfer::Status s = session->session->save_engine(path);
        return s.is_ok() ? ok() : fail(s);
    });
}

edgeinfer_status edgeinfer_session_input_count(const edgeinfer_session* session, size_t* out) {
    if (!session || !out) return fail(EDGEINFER_INVALID_ARGUMENT, "session and out must not be NULL");
    *out = session->session->inputs().size();
    return ok();
}

edgeinfer_status edgeinfer_session_output_count(const edgeinfer_session* session, size_t* out) {
    if (!session || !out) return fail(EDGEINFER_INVALID_ARGUMENT, "session and out must not be NULL");
    *out = session->session->outputs().size();
    return ok();
}

edgeinfer_status edgeinfer_session_input_info(const edgeinfer_session* session, size_t index, const char** name,
                                              int* dtype, const int64_t** dims, size_t* rank) {
    if (!session) return fail(EDGEINFER_INVALID_ARGUMENT, "session must not be NULL");
    return value_info(session->session->inputs(), index, "input", name, dtype, dims, rank);
}

edgeinfer_status edgeinfer_session_output_info(const edgeinfer_session* session, size_t index, const char** name,
                                               int* dtype, const int64_t** dims, size_t* rank) {
    if (!session) return fail(EDGEINFER_INVALID_ARGUMENT, "session must not be NULL");
    return value_info(session->session->outputs(), index, "output", name, dtype, dims, rank);
}

edgeinfer_status edgeinfer_session_input_symbols(const edgeinfer_session* session, size_t index,
                                                 const char* const** symbols, size_t* rank) {
    return value_symbols(session, true, index, symbols, rank);
}

edgeinfer_status edgeinfer_session_output_symbols(const edgeinfer_session* session, size_t index,
                                                  const char* const** symbols, size_t* rank) {
    return value_symbols(session, false, index, symbols, rank);
}

edgeinfer_status edgeinfer_session_input_index(const edgeinfer_session* session, const char* name, size_t* index) {
    return value_index(session, true, name, index);
}

edgeinfer_status edgeinfer_session_output_index(const edgeinfer_session* session, const char* name, size_t* index) {
    return value_index(session, false, name, index);
}

edgeinfer_status edgeinfer_tensor_create(int dtype, const int64_t* dims, size_t rank, edgeinfer_tensor** out) {
    if (!out) return fail(EDGEINFER_INVALID_ARGUMENT, "out must not be NULL");
    if (edgeinfer_status s = check_dtype(dtype)) return s;
    std::vector<int64_t> d;
    if (edgeinfer_status s = make_dims(dims, rank, d)) return s;
    return guarded([&] {
        *out = new edgeinfer_tensor{edgeinfer::Tensor::allocate(static_cast<edgeinfer::DataType>(dtype), d)};
        return ok();
    });
}

edgeinfer_status edgeinfer_tensor_wrap(int dtype, const int64_t* dims, size_t rank, void* data, size_t byte_size,
                                       edgeinfer_tensor** out) {
    if (!out) return fail(EDGEINFER_INVALID_ARGUMENT, "out must not be NULL");
    if (edgeinfer_status s = check_dtype(dtype)) return s;
    std::vector<int64_t> d;
    if (edgeinfer_status s = make_dims(dims, rank, d)) return s;
    auto t = static_cast<edgeinfer::DataType>(dtype);
    size_t need = static_cast<size_t>(edgeinfer::shape_numel(d)) * edgeinfer::dtype_size(t);
    if (byte_size != need)
        return fail(EDGEINFER_INVALID_ARGUMENT, "buffer has " + std::to_string(byte_size) + " bytes but a " +
                                                    std::string(edgeinfer::dtype_name(t)) + " tensor of shape " +
                                                    edgeinfer::shape_to_string(d) + " needs " + std::to_string(need));
    if (!data && need > 0) return fail(EDGEINFER_INVALID_ARGUMENT, "data is NULL");
    *out = new edgeinfer_tensor{edgeinfer::Tensor::wrap(t, d, data)};
    return ok();
}

void edgeinfer_tensor_destroy(edgeinfer_tensor* tensor) { delete tensor; }

edgeinfer_status edgeinfer_tensor_data(edgeinfer_tensor* tensor, void** data, size_t* byte_size) {
    if (!tensor) return fail(EDGEINFER_INVALID_ARGUMENT, "tensor must not be NULL");
    if (data) *data = tensor->tensor.data();
    if (byte_size) *byte_size = tensor->tensor.nbytes();
    return ok();
}

edgeinfer_status edgeinfer_tensor_shape(const edgeinfer_tensor* tensor, int* dtype, const int64_t** dims,
                                        size_t* rank) {
    if (!tensor) return fail(EDGEINFER_INVALID_ARGUMENT, "tensor must not be NULL");
    if (dtype) *dtype = static_cast<int>(tensor->tensor.dtype());
    if (dims) *dims = tensor->tensor.dims().data();
    if (rank) *rank = tensor->tensor.dims().size();
    return ok();
}

edgeinfer_status edgeinfer_session_run(edgeinfer_session* session, const char* const* input_names,
                                       const edgeinfer_tensor* const* inputs, size_t input_count,
                                       edgeinfer_tensor** outputs, size_t output_count) {
    if (!session) return fail(EDGEINFER_INVALID_ARGUMENT, "session must not be NULL");
    size_t expected = session->session->outputs().size();
    if (output_count != expected || (expected && !outputs))
        return fail(EDGEINFER_INVALID_ARGUMENT, "the model has " + std::to_string(expected) +
                                                    " outputs but output_count is " + std::to_string(output_count));
    return guarded([&] {
        std::vector<edgeinfer::NamedTensor> in;
        if (edgeinfer_status s = named_inputs(input_names, inputs, input_count, in)) return s;
        auto r = session->session->run(in);
        if (!r.is_ok()) return fail(r.status());
        for (const edgeinfer::NamedTensor& o : *r)
            if (o.kind != edgeinfer::ValueKind::kTensor)
                return fail(EDGEINFER_UNSUPPORTED, "output '" + o.name + "' is a " +
                                                       std::string(edgeinfer::value_kind_name(o.kind)) +
                                                       "; the C API returns tensors only (use the C++ API)");
        for (size_t k = 0; k < expected; ++k) outputs[k] = new edgeinfer_tensor{std::move((*r)[k].tensor)};
        return ok();
    });
}

edgeinfer_status edgeinfer_session_run_into(edgeinfer_session* session, const char* const* input_names,
                                            const edgeinfer_tensor* const* inputs, size_t input_count,
                                            const char* const* output_names, edgeinfer_tensor* const* outputs,
                                            size_t output_count) {
    if (!session) return fail(EDGEINFER_INVALID_ARGUMENT, "session must not be NULL");
    if (output_count && (!output_names || !outputs))
        return fail(EDGEINFER_INVALID_ARGUMENT, "output_names and outputs must not be NULL");
    return guarded([&] {
        std::vector<edgeinfer::NamedTensor> in;
        if (edgeinfer_status s = named_inputs(input_names, inputs, input_count, in)) return s;
        std::vector<edgeinfer::NamedTensor> out;
        for (size_t j = 0; j < output_count; ++j) {
            if (!output_names[j] || !outputs[j])
                return fail(EDGEINFER_INVALID_ARGUMENT, "output " + std::to_string(j) + " or its name is NULL");
            for (const edgeinfer::NamedTensor& o : out)
                if (o.name == output_names[j])
                    return fail(EDGEINFER_INVALID_ARGUMENT,
                                "output '" + o.name + "' is given twice (" + std::to_string(j) + ")");
            // A copy of the handle's Tensor shares its memory, so the session writes into the caller's buffer.
            out.push_back({output_names[j], outputs[j]->tensor});
        }
        edgeinfer::Status s = session->session->run(in, out);
        return s.is_ok() ? ok() : fail(s);
    });
}

}  // extern "C"

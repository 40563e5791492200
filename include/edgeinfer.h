/* edgeinfer C API: opaque handles and status codes over the C++ Session, for Rust, Go, Python
 * and C callers (FFI). Every call returns an edgeinfer_status; on failure out-parameters are left
 * untouched and edgeinfer_last_error() returns a message for the calling thread. Destroy
 * functions accept NULL and return nothing. */
#ifndef EDGEINFER_H_
#define EDGEINFER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edgeinfer_status {
    EDGEINFER_OK = 0,
    EDGEINFER_INVALID_ARGUMENT = 1,
    EDGEINFER_NOT_FOUND = 2,
    EDGEINFER_INVALID_MODEL = 3,
    EDGEINFER_UNSUPPORTED = 4,
    EDGEINFER_IO_ERROR = 5,
    EDGEINFER_OUT_OF_RANGE = 6,
    EDGEINFER_INTERNAL = 7,
    EDGEINFER_END_OF_STREAM = 8,
    EDGEINFER_SOURCE_LOST = 9,
    EDGEINFER_CANCELLED = 10
} edgeinfer_status;

/* Values equal ONNX TensorProto.DataType. */
typedef enum edgeinfer_dtype {
    EDGEINFER_FLOAT32 = 1,
    EDGEINFER_UINT8 = 2,
    EDGEINFER_INT8 = 3,
    EDGEINFER_INT32 = 6,
    EDGEINFER_INT64 = 7,
    EDGEINFER_BOOL = 9,
    EDGEINFER_FLOAT16 = 10,
    EDGEINFER_FLOAT64 = 11
} edgeinfer_dtype;

typedef struct edgeinfer_session edgeinfer_session;
typedef struct edgeinfer_tensor edgeinfer_tensor;

typedef struct edgeinfer_session_options {
    int num_threads;        /* 0: all cores */
    int optimization_level; /* 0 none .. 3 all */
    int precision;          /* 0 fp32, 1 bf16, 2 int8 */
    int enable_profiling;   /* 0 or 1 */
} edgeinfer_session_options;

/* Message of the last failed call on this thread ("" if none). Valid until the next call. */
const char* edgeinfer_last_error(void);
const char* edgeinfer_version(void);
void edgeinfer_session_options_init(edgeinfer_session_options* options);

/* options may be NULL for defaults. */
edgeinfer_status edgeinfer_session_create(const char* model_path, const edgeinfer_session_options* options,
                                          edgeinfer_session** out);
edgeinfer_status edgeinfer_session_create_from_bytes(const void* data, size_t size,
                                                     const edgeinfer_session_options* options,
                                                     edgeinfer_session** out);
void edgeinfer_session_destroy(edgeinfer_session* session);

edgeinfer_status edgeinfer_session_input_count(const edgeinfer_session* session, size_t* out);
edgeinfer_status edgeinfer_session_output_count(const edgeinfer_session* session, size_t* out);
/* Name, dtype and dims of input/output `index`; dynamic dims are -1. Pointers stay valid for the
 * session's lifetime. */
edgeinfer_status edgeinfer_session_input_info(const edgeinfer_session* session, size_t index, const char** name,
                                              int* dtype, const int64_t** dims, size_t* rank);
edgeinfer_status edgeinfer_session_output_info(const edgeinfer_session* session, size_t index, const char** name,
                                               int* dtype, const int64_t** dims, size_t* rank);

/* A tensor that owns zero-filled memory. */
edgeinfer_status edgeinfer_tensor_create(int dtype, const int64_t* dims, size_t rank, edgeinfer_tensor** out);
/* A tensor over caller memory (no copy); byte_size must equal the element count times the dtype size. */
edgeinfer_status edgeinfer_tensor_wrap(int dtype, const int64_t* dims, size_t rank, void* data, size_t byte_size,
                                       edgeinfer_tensor** out);
void edgeinfer_tensor_destroy(edgeinfer_tensor* tensor);
edgeinfer_status edgeinfer_tensor_data(edgeinfer_tensor* tensor, void** data, size_t* byte_size);
edgeinfer_status edgeinfer_tensor_shape(const edgeinfer_tensor* tensor, int* dtype, const int64_t** dims,
                                        size_t* rank);

/* Runs the session. inputs[i] is bound to input_names[i]. On success outputs[0..output_count) receive
 * new tensors in model output order (output_count must equal the model's output count); the caller
 * destroys them. */
edgeinfer_status edgeinfer_session_run(edgeinfer_session* session, const char* const* input_names,
                                       const edgeinfer_tensor* const* inputs, size_t input_count,
                                       edgeinfer_tensor** outputs, size_t output_count);

#ifdef __cplusplus
}
#endif

#endif /* EDGEINFER_H_ */

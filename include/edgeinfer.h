/* edgeinfer C API: opaque handles and status codes over the C++ API (Session, Classifier, Detector,
 * Image), for Rust, Go, Python and C callers (FFI). Link libedgeinfer.so (pkg-config edgeinfer, or
 * CMake's find_package(edgeinfer) target edgeinfer::edgeinfer).
 *
 * Conventions: every call returns an edgeinfer_status; on failure out-parameters (and caller
 * buffers) are left untouched and edgeinfer_last_error() returns a message for the calling thread.
 * Destroy functions accept NULL and return nothing. Names are edgeinfer_<object>_<verb>.
 *
 * ABI: structs in this header never grow. New settings arrive as setter functions on the opaque
 * edgeinfer_options object, so a program built against an older header keeps working with a newer
 * library. (edgeinfer_session_options, the first options struct, stays as it is for old callers.) */
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
    EDGEINFER_CANCELLED = 10,
    EDGEINFER_RESOURCE_EXHAUSTED = 11 /* a byte count overflows, exceeds the memory limit, or an allocation failed */
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
                                                     const edgeinfer_session_options* options, edgeinfer_session** out);
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
edgeinfer_status edgeinfer_tensor_shape(const edgeinfer_tensor* tensor, int* dtype, const int64_t** dims, size_t* rank);

/* Runs the session. inputs[i] is bound to input_names[i]. On success outputs[0..output_count) receive
 * new tensors in model output order (output_count must equal the model's output count); the caller
 * destroys them. */
edgeinfer_status edgeinfer_session_run(edgeinfer_session* session, const char* const* input_names,
                                       const edgeinfer_tensor* const* inputs, size_t input_count,
                                       edgeinfer_tensor** outputs, size_t output_count);

/* ---- options (opaque; grows by new setters, never by struct fields) ----
 * One options object serves sessions and the vision tasks; settings a task does not use are ignored.
 * Defaults: all cores, optimization level 3, fp32, no profiling, no engine file, no keep-fp32 nodes,
 * the sidecar MODEL.json next to the model, the task's own thresholds. */
typedef struct edgeinfer_options edgeinfer_options;

edgeinfer_status edgeinfer_options_create(edgeinfer_options** out);
void edgeinfer_options_destroy(edgeinfer_options* options);
edgeinfer_status edgeinfer_options_set_num_threads(edgeinfer_options* options, int num_threads);  /* 0: all cores */
edgeinfer_status edgeinfer_options_set_optimization_level(edgeinfer_options* options, int level); /* 0..3 */
/* "fp32", "bf16" or "int8" (the names edgeinfer's CLI and configs use). */
edgeinfer_status edgeinfer_options_set_precision(edgeinfer_options* options, const char* precision);
edgeinfer_status edgeinfer_options_set_profiling(edgeinfer_options* options, int enable);
/* How convolutions with more than one implementation pick one (docs/tactics.md): "fast" (the default, a
 * shape heuristic), "timed" (each candidate timed when a plan is built) or "direct-only". */
edgeinfer_status edgeinfer_options_set_tactics(edgeinfer_options* options, const char* tactics);
/* Limits (docs/security.md): bytes for any one value and a run's intermediate values together (0: the
 * machine's physical memory), and milliseconds for one run or building the session (0: none, at most
 * 2^53). Over either, a call fails with EDGEINFER_RESOURCE_EXHAUSTED naming the node. */
edgeinfer_status edgeinfer_options_set_max_memory(edgeinfer_options* options, uint64_t bytes);
edgeinfer_status edgeinfer_options_set_time_limit_ms(edgeinfer_options* options, int64_t milliseconds);
/* Engine file (docs/engine.md) to load the prepared session from; NULL or "" for none. A missing or
 * stale file is not an error: the session is built from the model (see edgeinfer_session_engine_status). */
edgeinfer_status edgeinfer_options_set_engine_path(edgeinfer_options* options, const char* path);
/* Engine cache folder (docs/engine.md); NULL or "" for none. The entry for the model and these options is
 * loaded when present and valid, else the session is built and the entry written (created folder, atomic
 * write); a stale or corrupt entry is rebuilt and the engine status message says why. Set this or the
 * engine path, not both (session creation fails). */
edgeinfer_status edgeinfer_options_set_engine_cache_dir(edgeinfer_options* options, const char* dir);
/* Node names that stay fp32 whatever the precision says; replaces the previous list (count 0 clears it). */
edgeinfer_status edgeinfer_options_set_keep_fp32_nodes(edgeinfer_options* options, const char* const* names,
                                                       size_t count);
/* Vision tasks: sidecar and labels files ("" or NULL: the defaults), how many classes a classifier
 * returns (top_k >= 1, default 5), the minimum score of a class or a detection (default: the task's,
 * 0 for classifiers, 0.25 for detectors), the detector's NMS IoU threshold (default 0.45), its
 * output format ("yolo", "yolov5", "yolov8", "detr", "ssd", "torchvision"; "" : from the outputs)
 * and its maximum number of detections (default 300). */
edgeinfer_status edgeinfer_options_set_sidecar_path(edgeinfer_options* options, const char* path);
edgeinfer_status edgeinfer_options_set_labels_path(edgeinfer_options* options, const char* path);
edgeinfer_status edgeinfer_options_set_top_k(edgeinfer_options* options, int top_k);
edgeinfer_status edgeinfer_options_set_score_threshold(edgeinfer_options* options, double threshold);
edgeinfer_status edgeinfer_options_set_iou_threshold(edgeinfer_options* options, double threshold);
edgeinfer_status edgeinfer_options_set_detector_format(edgeinfer_options* options, const char* format);
edgeinfer_status edgeinfer_options_set_max_detections(edgeinfer_options* options, int64_t max_detections);

/* ---- sessions with options, engine files ---- */
/* options may be NULL for defaults. */
edgeinfer_status edgeinfer_session_create_with_options(const char* model_path, const edgeinfer_options* options,
                                                       edgeinfer_session** out);
edgeinfer_status edgeinfer_session_create_from_bytes_with_options(const void* data, size_t size,
                                                                  const edgeinfer_options* options,
                                                                  edgeinfer_session** out);
/* What creation did with the engine path: requested (a path was set), loaded (the session came from
 * the file) and why not / which kernels differ (message, "" if nothing to say; valid for the session's
 * lifetime). Any out-parameter may be NULL. */
edgeinfer_status edgeinfer_session_engine_status(const edgeinfer_session* session, int* requested, int* loaded,
                                                 const char** message);
/* With an engine cache folder: the entry file for this model and these options (valid for the session's
 * lifetime; "" without a cache) and whether this session built and wrote it. Either may be NULL. */
edgeinfer_status edgeinfer_session_engine_cache_entry(const edgeinfer_session* session, const char** path,
                                                      int* written);
/* Writes the prepared session to an engine file for a later edgeinfer_options_set_engine_path. */
edgeinfer_status edgeinfer_session_save_engine(const edgeinfer_session* session, const char* path);

/* ---- input/output metadata ---- */
/* The symbol of each dim of input/output `index` ("x" for a dim named x in the model, "" for a fixed or
 * unnamed dim; edgeinfer_session_input_info gives -1 for every dynamic dim). The array has `rank`
 * entries and stays valid for the session's lifetime. */
edgeinfer_status edgeinfer_session_input_symbols(const edgeinfer_session* session, size_t index,
                                                 const char* const** symbols, size_t* rank);
edgeinfer_status edgeinfer_session_output_symbols(const edgeinfer_session* session, size_t index,
                                                  const char* const** symbols, size_t* rank);
/* Index of the input/output called `name`; EDGEINFER_NOT_FOUND naming it (and the model's names) otherwise. */
edgeinfer_status edgeinfer_session_input_index(const edgeinfer_session* session, const char* name, size_t* index);
edgeinfer_status edgeinfer_session_output_index(const edgeinfer_session* session, const char* name, size_t* index);

/* ---- IO binding: run into caller-owned outputs ----
 * Runs the session and writes output output_names[j] into outputs[j] (usually a tensor from
 * edgeinfer_tensor_wrap over the caller's memory; no output tensor is allocated). Any subset of the
 * model's outputs may be asked for, each once. The dtype and shape of every outputs[j] must equal
 * what the model computes, else EDGEINFER_INVALID_ARGUMENT naming the output and both shapes, and no
 * output buffer is written; an unknown or repeated output name is EDGEINFER_INVALID_ARGUMENT naming it. */
edgeinfer_status edgeinfer_session_run_into(edgeinfer_session* session, const char* const* input_names,
                                            const edgeinfer_tensor* const* inputs, size_t input_count,
                                            const char* const* output_names, edgeinfer_tensor* const* outputs,
                                            size_t output_count);

/* ---- images ---- */
/* Interleaved 8-bit pixels; values equal edgeinfer::PixelFormat. */
typedef enum edgeinfer_pixel_format {
    EDGEINFER_PIXEL_BGR8 = 0,
    EDGEINFER_PIXEL_RGB8 = 1,
    EDGEINFER_PIXEL_GRAY8 = 2,
    EDGEINFER_PIXEL_BGRA8 = 3,
    EDGEINFER_PIXEL_RGBA8 = 4
} edgeinfer_pixel_format;

typedef struct edgeinfer_image edgeinfer_image;
/* Decodes an image file (JPEG, PNG, BMP, ...) into BGR8 pixels that the image owns. */
edgeinfer_status edgeinfer_image_read(const char* path, edgeinfer_image** out);
void edgeinfer_image_destroy(edgeinfer_image* image);
/* The image's pixels (valid until it is destroyed), size, bytes per row and edgeinfer_pixel_format.
 * Any out-parameter may be NULL. */
edgeinfer_status edgeinfer_image_pixels(const edgeinfer_image* image, const uint8_t** data, int* width, int* height,
                                        size_t* stride, int* format);

/* ---- vision tasks on HWC uint8 pixels ----
 * pixels: height rows of width * channels bytes each, rows `stride` bytes apart (0: packed); format
 * an edgeinfer_pixel_format. Preprocessing follows the model's sidecar (MODEL.json next to it).
 * Results are written best first into the caller's arrays, at most `capacity` of them; *count gets
 * how many were written. Any result array may be NULL. Label strings are "" when the model has no
 * labels and stay valid until the next call on the same handle. A handle is used by one thread at
 * a time. */
typedef struct edgeinfer_classifier edgeinfer_classifier;
edgeinfer_status edgeinfer_classifier_create(const char* model_path, const edgeinfer_options* options,
                                             edgeinfer_classifier** out);
void edgeinfer_classifier_destroy(edgeinfer_classifier* classifier);
/* classes[i]: class index, scores[i]: its score (softmax probability unless the model gives them). */
edgeinfer_status edgeinfer_classifier_classify(edgeinfer_classifier* classifier, const uint8_t* pixels, int width,
                                               int height, size_t stride, int format, int64_t* classes, float* scores,
                                               const char** labels, size_t capacity, size_t* count);

typedef struct edgeinfer_detector edgeinfer_detector;
edgeinfer_status edgeinfer_detector_create(const char* model_path, const edgeinfer_options* options,
                                           edgeinfer_detector** out);
void edgeinfer_detector_destroy(edgeinfer_detector* detector);
/* boxes[4 * i .. 4 * i + 3]: x1, y1, x2, y2 of detection i in image pixels (boxes holds 4 * capacity floats). */
edgeinfer_status edgeinfer_detector_detect(edgeinfer_detector* detector, const uint8_t* pixels, int width, int height,
                                           size_t stride, int format, float* boxes, int64_t* classes, float* scores,
                                           const char** labels, size_t capacity, size_t* count);

#ifdef __cplusplus
}
#endif

#endif /* EDGEINFER_H_ */

/* edgeinfer custom pipeline elements: the C ABI a shared library implements so that a pipeline's
 * `custom` element runs user code on every frame without rebuilding edgeinfer (docs/pipeline.md).
 *
 * The library exports four functions with these names. The runtime calls them from one thread
 * (the element's), frames of each source in order:
 *
 *   void* edgeinfer_element_create(const char* config_json, char* error, size_t error_size);
 *       The element's "config" object as JSON. Returns the element's state, or NULL after writing a
 *       NUL-terminated message into error (at most error_size bytes).
 *   int edgeinfer_element_process(void* state, const edgeinfer_element_frame* frame,
 *                                 const char* metadata_json, char** result_json);
 *       metadata_json is the frame's metadata as the metadata sink writes it ({"source_id", ...,
 *       "objects": [{"box": [x1, y1, x2, y2], "label", "confidence", "track_id", ...}],
 *       "ended_objects": [...]}; schema: docs/pipeline-metadata.schema.json). "ended_objects" (a tracker's
 *       tracks that ended at this frame) is not part of "objects", and the result's "objects" never refer
 *       to it.
 *       On success returns 0 and sets *result_json to a JSON document allocated with malloc (or
 *       NULL for no change): {"frame": {"key": value, ...}, "objects": [{"key": value}, ...]} whose
 *       "objects" entries match the input objects by position; values are numbers or strings and
 *       are added to the frame's and objects' keys (declare them under "produces" in the config so
 *       rules may read them). A non-zero return is an error for this frame; *result_json may then
 *       hold a message (malloc'ed) that the runtime logs. The runtime frees *result_json with free().
 *   void edgeinfer_element_destroy(void* state);
 *   int edgeinfer_element_abi_version(void);   returns EDGEINFER_ELEMENT_ABI_VERSION
 */
#ifndef EDGEINFER_ELEMENT_H
#define EDGEINFER_ELEMENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDGEINFER_ELEMENT_ABI_VERSION 1

typedef struct edgeinfer_element_frame {
    const uint8_t* pixels; /* BGR, 8 bits per channel, row after row */
    int width;
    int height;
    int channels;  /* 3 */
    size_t stride; /* bytes from one row to the next */
    const char* source_id;
    uint64_t frame_number;
    int64_t timestamp_us; /* microseconds since the Unix epoch */
} edgeinfer_element_frame;

typedef void* (*edgeinfer_element_create_fn)(const char* config_json, char* error, size_t error_size);
typedef int (*edgeinfer_element_process_fn)(void* state, const edgeinfer_element_frame* frame,
                                            const char* metadata_json, char** result_json);
typedef void (*edgeinfer_element_destroy_fn)(void* state);
typedef int (*edgeinfer_element_abi_version_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* EDGEINFER_ELEMENT_H */

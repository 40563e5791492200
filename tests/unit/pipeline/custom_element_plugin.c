/* A custom pipeline element for the tests and the example of docs/pipeline.md, written against
 * include/edgeinfer_element.h only. It reads the whole metadata document (docs/pipeline-metadata.schema.json):
 *   frame key  "brightness"   the mean of all pixel values
 *   frame key  "ended_tracks" how many tracks ended at this frame (the tracker's "ended_objects" list)
 *   object key "box_area"     from each entry of "objects" (never of "ended_objects": the result's
 *                             "objects" match the input "objects" by position)
 *   object key "tag"          the config's "tag" string
 * Config {"fail": true} makes create fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeinfer_element.h"

typedef struct {
    char tag[64];
} state_t;

int edgeinfer_element_abi_version(void) { return EDGEINFER_ELEMENT_ABI_VERSION; }

void* edgeinfer_element_create(const char* config_json, char* error, size_t error_size) {
    if (strstr(config_json, "\"fail\":true")) {
        snprintf(error, error_size, "asked to fail by its config");
        return NULL;
    }
    state_t* s = calloc(1, sizeof(state_t));
    const char* t = strstr(config_json, "\"tag\":\"");
    if (t) sscanf(t + 7, "%63[^\"]", s->tag);
    return s;
}

/* The top-level array `key` of the metadata document: *begin points after its '[', the return value at
 * its ']' (NULL when absent). Strings are skipped, so brackets in labels or custom keys do not count. */
static const char* find_array(const char* json, const char* key, const char** begin) {
    int depth = 0;
    for (const char* p = json; *p; ++p) {
        if (*p == '"') {
            const char* start = p + 1;
            for (++p; *p && *p != '"'; ++p)
                if (*p == '\\' && p[1]) ++p;
            if (!*p) return NULL;
            const size_t n = strlen(key);
            if (depth == 1 && (size_t)(p - start) == n && strncmp(start, key, n) == 0 && p[1] == ':' && p[2] == '[') {
                *begin = p + 3;
                int inner = 1;
                for (p += 3; *p && inner > 0; ++p) {
                    if (*p == '"') {
                        for (++p; *p && *p != '"'; ++p)
                            if (*p == '\\' && p[1]) ++p;
                    } else if (*p == '[' || *p == '{') {
                        ++inner;
                    } else if (*p == ']' || *p == '}') {
                        --inner;
                    }
                }
                return inner == 0 ? p - 1 : NULL;
            }
        } else if (*p == '{' || *p == '[') {
            ++depth;
        } else if (*p == '}' || *p == ']') {
            --depth;
        }
    }
    return NULL;
}

/* How many "box" entries lie in [begin, end). */
static int count_boxes(const char* begin, const char* end) {
    int n = 0;
    for (const char* p = begin; p && (p = strstr(p, "\"box\":[")) != NULL && p < end; p += 7) ++n;
    return n;
}

int edgeinfer_element_process(void* state, const edgeinfer_element_frame* frame, const char* metadata_json,
                              char** result_json) {
    state_t* s = state;
    double sum = 0;
    for (int y = 0; y < frame->height; ++y) {
        const uint8_t* row = frame->pixels + (size_t)y * frame->stride;
        for (int x = 0; x < frame->width * frame->channels; ++x) sum += row[x];
    }
    const double brightness = sum / ((double)frame->width * frame->height * frame->channels);
    const char* ended_begin = NULL;
    const char* ended_end = find_array(metadata_json, "ended_objects", &ended_begin);
    const int ended = ended_end ? count_boxes(ended_begin, ended_end) : 0;

    size_t cap = 256, len = 0;
    char* out = malloc(cap);
    len += (size_t)snprintf(out, cap, "{\"frame\":{\"brightness\":%.4f,\"ended_tracks\":%d},\"objects\":[", brightness,
                            ended);
    const char* begin = NULL;
    const char* end = find_array(metadata_json, "objects", &begin);
    int first = 1;
    for (const char* p = begin; end && (p = strstr(p, "\"box\":[")) != NULL && p < end; p += 7) {
        double x1, y1, x2, y2;
        if (sscanf(p + 7, "%lf,%lf,%lf,%lf", &x1, &y1, &x2, &y2) != 4) break;
        if (cap - len < 128) {
            cap *= 2;
            out = realloc(out, cap);
        }
        len += (size_t)snprintf(out + len, cap - len, "%s{\"box_area\":%.1f,\"tag\":\"%s\"}", first ? "" : ",",
                                (x2 - x1) * (y2 - y1), s->tag);
        first = 0;
    }
    if (cap - len < 4) out = realloc(out, cap + 4);
    strcat(out, "]}");
    *result_json = out;
    return 0;
}

void edgeinfer_element_destroy(void* state) { free(state); }

/* A custom pipeline element for the tests, written against include/edgeinfer_element.h only:
 * frame key "brightness" (mean of all pixel values), object key "box_area" (from the metadata JSON)
 * and "tag" (the config's "tag" string). Config {"fail": true} makes create fail. */
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

int edgeinfer_element_process(void* state, const edgeinfer_element_frame* frame, const char* metadata_json,
                              char** result_json) {
    state_t* s = state;
    double sum = 0;
    for (int y = 0; y < frame->height; ++y) {
        const uint8_t* row = frame->pixels + (size_t)y * frame->stride;
        for (int x = 0; x < frame->width * frame->channels; ++x) sum += row[x];
    }
    const double brightness = sum / ((double)frame->width * frame->height * frame->channels);
    size_t cap = 256, len = 0;
    char* out = malloc(cap);
    len += (size_t)snprintf(out, cap, "{\"frame\":{\"brightness\":%.4f},\"objects\":[", brightness);
    const char* p = metadata_json;
    int first = 1;
    while ((p = strstr(p, "\"box\":[")) != NULL) {
        double x1, y1, x2, y2;
        if (sscanf(p + 7, "%lf,%lf,%lf,%lf", &x1, &y1, &x2, &y2) != 4) break;
        p += 7;
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

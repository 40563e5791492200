/* A plain C program over include/edgeinfer.h: runs a model on a seeded input (.npy) and compares
 * with PyTorch's output (.npy), then checks the error paths of the C API.
 * Usage: capi_parity MODEL.onnx INPUT.npy EXPECTED.npy */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeinfer.h"

static int failures = 0;
#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) {                                    \
            fprintf(stderr, "FAILED %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                 \
            fprintf(stderr, "\n");                        \
            failures++;                                   \
        }                                                 \
    } while (0)

/* Reads a little-endian float32 .npy written by numpy (format 1.0); returns the element count. */
static float* read_npy(const char* path, size_t* count) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char* bytes = malloc((size_t)size);
    if (fread(bytes, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        free(bytes);
        return NULL;
    }
    fclose(f);
    size_t header = 10 + (size_t)(bytes[8] | (bytes[9] << 8));
    *count = ((size_t)size - header) / sizeof(float);
    float* data = malloc(*count * sizeof(float));
    memcpy(data, bytes + header, *count * sizeof(float));
    free(bytes);
    return data;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL.onnx INPUT.npy EXPECTED.npy\n", argv[0]);
        return 2;
    }
    size_t in_count = 0, ref_count = 0;
    float* input = read_npy(argv[2], &in_count);
    float* expected = read_npy(argv[3], &ref_count);
    if (!input || !expected) {
        fprintf(stderr, "cannot read %s or %s\n", argv[2], argv[3]);
        return 2;
    }

    edgeinfer_session_options opts;
    edgeinfer_session_options_init(&opts);
    opts.num_threads = 2;
    edgeinfer_session* session = NULL;
    edgeinfer_status st = edgeinfer_session_create(argv[1], &opts, &session);
    if (st != EDGEINFER_OK) {
        fprintf(stderr, "create failed: %s\n", edgeinfer_last_error());
        return 1;
    }
    size_t n_in = 0, n_out = 0;
    CHECK(edgeinfer_session_input_count(session, &n_in) == EDGEINFER_OK && n_in == 1, "one input");
    CHECK(edgeinfer_session_output_count(session, &n_out) == EDGEINFER_OK && n_out == 1, "one output");
    const char* in_name = NULL;
    int dtype = 0;
    const int64_t* model_dims = NULL;
    size_t rank = 0;
    CHECK(edgeinfer_session_input_info(session, 0, &in_name, &dtype, &model_dims, &rank) == EDGEINFER_OK, "info");
    CHECK(dtype == EDGEINFER_FLOAT32 && rank == 4, "float32 NCHW input");

    int64_t dims[4] = {1, 3, 0, 0};
    size_t hw = in_count / 3;
    dims[2] = dims[3] = (int64_t)(sqrt((double)hw) + 0.5);
    edgeinfer_tensor* x = NULL;
    CHECK(edgeinfer_tensor_wrap(EDGEINFER_FLOAT32, dims, 4, input, in_count * sizeof(float), &x) == EDGEINFER_OK,
          "wrap: %s", edgeinfer_last_error());

    /* Parity with PyTorch. */
    edgeinfer_tensor* y = NULL;
    const edgeinfer_tensor* inputs[1] = {x};
    const char* names[1] = {in_name};
    st = edgeinfer_session_run(session, names, inputs, 1, &y, 1);
    CHECK(st == EDGEINFER_OK, "run: %s", edgeinfer_last_error());
    if (st == EDGEINFER_OK) {
        float* out = NULL;
        size_t bytes = 0;
        edgeinfer_tensor_data(y, (void**)&out, &bytes);
        CHECK(bytes == ref_count * sizeof(float), "output has %zu bytes, expected %zu", bytes, ref_count * 4);
        float lo = expected[0], hi = expected[0], max_diff = 0;
        for (size_t i = 0; i < ref_count && bytes == ref_count * 4; ++i) {
            if (expected[i] < lo) lo = expected[i];
            if (expected[i] > hi) hi = expected[i];
            float d = fabsf(out[i] - expected[i]);
            if (d > max_diff) max_diff = d;
        }
        CHECK(max_diff <= 1e-4f * (hi - lo), "max diff %g exceeds 1e-4 of range %g", max_diff, hi - lo);
        printf("capi parity: max abs diff %g, output range %g\n", max_diff, hi - lo);
        edgeinfer_tensor_destroy(y);
    }

    /* Errors: each a status and a message; out-parameters untouched; the session stays usable. */
    edgeinfer_tensor* bad = (edgeinfer_tensor*)0x1;
    CHECK(edgeinfer_tensor_wrap(EDGEINFER_FLOAT32, dims, 4, input, 7, &bad) == EDGEINFER_INVALID_ARGUMENT,
          "wrong buffer size accepted");
    CHECK(bad == (edgeinfer_tensor*)0x1, "out-parameter touched on failure");
    CHECK(strstr(edgeinfer_last_error(), "needs") != NULL, "message: %s", edgeinfer_last_error());

    const char* wrong[1] = {"not_an_input"};
    edgeinfer_tensor* y2 = NULL;
    CHECK(edgeinfer_session_run(session, wrong, inputs, 1, &y2, 1) == EDGEINFER_INVALID_ARGUMENT, "wrong name");
    CHECK(strstr(edgeinfer_last_error(), "not_an_input") != NULL, "message: %s", edgeinfer_last_error());
    CHECK(y2 == NULL, "output set on failure");
    CHECK(edgeinfer_session_run(session, names, inputs, 1, &y2, 3) == EDGEINFER_INVALID_ARGUMENT, "output count");

    edgeinfer_session* none = NULL;
    CHECK(edgeinfer_session_create("/nonexistent.onnx", NULL, &none) == EDGEINFER_NOT_FOUND, "missing file");
    CHECK(none == NULL, "session set on failure");
    CHECK(edgeinfer_session_create_from_bytes("garbage", 7, NULL, &none) == EDGEINFER_INVALID_MODEL, "garbage");

    st = edgeinfer_session_run(session, names, inputs, 1, &y2, 1);
    CHECK(st == EDGEINFER_OK, "session unusable after errors: %s", edgeinfer_last_error());
    edgeinfer_tensor_destroy(y2);

    edgeinfer_tensor_destroy(x);
    edgeinfer_session_destroy(session);
    edgeinfer_session_destroy(NULL);
    free(input);
    free(expected);
    if (failures) fprintf(stderr, "%d checks failed\n", failures);
    return failures ? 1 : 0;
}

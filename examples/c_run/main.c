/* c_run: a C program over edgeinfer.h. It loads a model, prints its inputs and outputs (with the names
 * of symbolic dims), fills every input with a fixed pattern (dynamic dims set to 1, or to BATCH for the
 * first one) and runs the model into output buffers it allocated itself (edgeinfer_session_run_into).
 * It then checks the outputs: equal to a run into library-allocated tensors, finite, and a buffer of
 * the wrong shape is refused without being written.
 *
 * Usage: c_run MODEL.onnx [BATCH]       exit 0 when every check passes */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeinfer.h"

#define MAX_VALUES 16
#define MAX_RANK 8

static int failures = 0;
#define CHECK(cond, ...)                                           \
    do {                                                           \
        if (!(cond)) {                                             \
            fprintf(stderr, "check failed (line %d): ", __LINE__); \
            fprintf(stderr, __VA_ARGS__);                          \
            fprintf(stderr, "\n");                                 \
            failures++;                                            \
        }                                                          \
    } while (0)

/* One model input or output: its metadata and the caller-owned buffer it is bound to. */
typedef struct value {
    const char* name;
    int dtype;
    int64_t dims[MAX_RANK];
    size_t rank;
    size_t count; /* elements */
    float* data;
    edgeinfer_tensor* tensor; /* wraps data */
} value;

static size_t numel(const int64_t* dims, size_t rank) {
    size_t n = 1;
    for (size_t i = 0; i < rank; ++i) n *= (size_t)dims[i];
    return n;
}

static void print_value(const char* kind, size_t index, const char* name, int dtype, const int64_t* dims,
                        const char* const* symbols, size_t rank) {
    printf("%s %zu: %s dtype %d [", kind, index, name, dtype);
    for (size_t d = 0; d < rank; ++d) {
        if (dims[d] < 0)
            printf("%s%s", d ? ", " : "", symbols[d][0] ? symbols[d] : "?");
        else
            printf("%s%lld", d ? ", " : "", (long long)dims[d]);
    }
    printf("]\n");
}

static int fail_with(const char* what) {
    fprintf(stderr, "%s failed: %s\n", what, edgeinfer_last_error());
    return 1;
}

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s MODEL.onnx [BATCH]\n", argv[0]);
        return 2;
    }
    int64_t batch = argc == 3 ? atoll(argv[2]) : 1;

    edgeinfer_options* options = NULL;
    if (edgeinfer_options_create(&options) != EDGEINFER_OK) return fail_with("options");
    edgeinfer_options_set_num_threads(options, 1);
    edgeinfer_options_set_precision(options, "fp32");
    edgeinfer_session* session = NULL;
    if (edgeinfer_session_create_with_options(argv[1], options, &session) != EDGEINFER_OK)
        return fail_with("session_create");
    edgeinfer_options_destroy(options);

    size_t n_in = 0, n_out = 0;
    edgeinfer_session_input_count(session, &n_in);
    edgeinfer_session_output_count(session, &n_out);
    if (n_in > MAX_VALUES || n_out > MAX_VALUES) {
        fprintf(stderr, "too many inputs or outputs\n");
        return 1;
    }
    value in[MAX_VALUES], out[MAX_VALUES];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);

    /* Inputs: metadata, concrete dims, a fixed pattern in caller memory. */
    int first_dynamic = 1;
    for (size_t i = 0; i < n_in; ++i) {
        value* v = &in[i];
        const int64_t* dims = NULL;
        const char* const* symbols = NULL;
        if (edgeinfer_session_input_info(session, i, &v->name, &v->dtype, &dims, &v->rank) != EDGEINFER_OK ||
            edgeinfer_session_input_symbols(session, i, &symbols, &v->rank) != EDGEINFER_OK)
            return fail_with("input_info");
        print_value("input", i, v->name, v->dtype, dims, symbols, v->rank);
        if (v->dtype != EDGEINFER_FLOAT32 || v->rank > MAX_RANK) {
            fprintf(stderr, "input '%s': this example feeds float32 inputs of rank <= %d only\n", v->name, MAX_RANK);
            return 1;
        }
        for (size_t d = 0; d < v->rank; ++d) {
            v->dims[d] = dims[d] >= 0 ? dims[d] : (first_dynamic ? batch : 1);
            if (dims[d] < 0) first_dynamic = 0;
        }
        v->count = numel(v->dims, v->rank);
        v->data = malloc(v->count * sizeof(float) + 1);
        for (size_t k = 0; k < v->count; ++k) v->data[k] = (float)((k * 7 + i * 3) % 17) / 8.0f - 1.0f;
        if (edgeinfer_tensor_wrap(EDGEINFER_FLOAT32, v->dims, v->rank, v->data, v->count * sizeof(float), &v->tensor) !=
            EDGEINFER_OK)
            return fail_with("tensor_wrap");
    }
    const char* in_names[MAX_VALUES];
    const edgeinfer_tensor* in_tensors[MAX_VALUES];
    for (size_t i = 0; i < n_in; ++i) {
        in_names[i] = in[i].name;
        in_tensors[i] = in[i].tensor;
    }

    /* A first run into library-allocated tensors gives each output's shape (dynamic dims resolved). */
    edgeinfer_tensor* reference[MAX_VALUES] = {0};
    if (edgeinfer_session_run(session, in_names, in_tensors, n_in, reference, n_out) != EDGEINFER_OK)
        return fail_with("session_run");

    /* Outputs: caller-owned buffers of the computed shapes, bound with tensor_wrap. */
    const char* out_names[MAX_VALUES];
    edgeinfer_tensor* out_tensors[MAX_VALUES];
    for (size_t j = 0; j < n_out; ++j) {
        value* v = &out[j];
        const int64_t* model_dims = NULL;
        const char* const* symbols = NULL;
        const int64_t* dims = NULL;
        edgeinfer_session_output_info(session, j, &v->name, &v->dtype, &model_dims, &v->rank);
        edgeinfer_session_output_symbols(session, j, &symbols, &v->rank);
        print_value("output", j, v->name, v->dtype, model_dims, symbols, v->rank);
        edgeinfer_tensor_shape(reference[j], &v->dtype, &dims, &v->rank);
        if (v->dtype != EDGEINFER_FLOAT32 || v->rank > MAX_RANK) {
            fprintf(stderr, "output '%s': this example reads float32 outputs of rank <= %d only\n", v->name, MAX_RANK);
            return 1;
        }
        memcpy(v->dims, dims, v->rank * sizeof(int64_t));
        v->count = numel(v->dims, v->rank);
        v->data = malloc(v->count * sizeof(float) + 1);
        for (size_t k = 0; k < v->count; ++k) v->data[k] = NAN;
        if (edgeinfer_tensor_wrap(EDGEINFER_FLOAT32, v->dims, v->rank, v->data, v->count * sizeof(float), &v->tensor) !=
            EDGEINFER_OK)
            return fail_with("tensor_wrap");
        out_names[j] = v->name;
        out_tensors[j] = v->tensor;
    }

    /* The run into caller-owned buffers: the outputs are written in place. */
    if (edgeinfer_session_run_into(session, in_names, in_tensors, n_in, out_names, out_tensors, n_out) != EDGEINFER_OK)
        return fail_with("session_run_into");
    for (size_t j = 0; j < n_out; ++j) {
        const float* expected = NULL;
        edgeinfer_tensor_data(reference[j], (void**)&expected, NULL);
        size_t differ = 0, not_finite = 0;
        double sum = 0;
        for (size_t k = 0; k < out[j].count; ++k) {
            if (out[j].data[k] != expected[k]) differ++;
            if (!isfinite(out[j].data[k])) not_finite++;
            sum += out[j].data[k];
        }
        CHECK(differ == 0, "output '%s': %zu of %zu values differ from session_run's", out[j].name, differ,
              out[j].count);
        CHECK(not_finite == 0, "output '%s': %zu values are not finite", out[j].name, not_finite);
        printf("output %s: %zu values, sum %.6g, first %.6g\n", out[j].name, out[j].count, sum, out[j].data[0]);
    }

    /* A buffer with one element too many in its last dim: refused, naming the output; nothing written. */
    if (n_out > 0 && out[0].rank > 0) {
        value* v = &out[0];
        int64_t wrong_dims[MAX_RANK];
        memcpy(wrong_dims, v->dims, v->rank * sizeof(int64_t));
        wrong_dims[v->rank - 1] += 1;
        size_t wrong_count = numel(wrong_dims, v->rank);
        float* wrong_data = malloc(wrong_count * sizeof(float));
        for (size_t k = 0; k < wrong_count; ++k) wrong_data[k] = 42.0f;
        edgeinfer_tensor* wrong = NULL;
        edgeinfer_tensor_wrap(EDGEINFER_FLOAT32, wrong_dims, v->rank, wrong_data, wrong_count * sizeof(float), &wrong);
        edgeinfer_tensor* const wrong_outputs[1] = {wrong};
        edgeinfer_status st =
            edgeinfer_session_run_into(session, in_names, in_tensors, n_in, &v->name, wrong_outputs, 1);
        CHECK(st == EDGEINFER_INVALID_ARGUMENT, "a wrong output shape gave status %d", (int)st);
        CHECK(strstr(edgeinfer_last_error(), v->name) != NULL, "the message does not name '%s': %s", v->name,
              edgeinfer_last_error());
        size_t touched = 0;
        for (size_t k = 0; k < wrong_count; ++k) touched += wrong_data[k] != 42.0f;
        CHECK(touched == 0, "%zu values of the refused buffer were written", touched);
        printf("wrong shape refused: %s\n", edgeinfer_last_error());
        edgeinfer_tensor_destroy(wrong);
        free(wrong_data);
    }

    for (size_t i = 0; i < n_in; ++i) {
        edgeinfer_tensor_destroy(in[i].tensor);
        free(in[i].data);
    }
    for (size_t j = 0; j < n_out; ++j) {
        edgeinfer_tensor_destroy(out[j].tensor);
        edgeinfer_tensor_destroy(reference[j]);
        free(out[j].data);
    }
    edgeinfer_session_destroy(session);
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}

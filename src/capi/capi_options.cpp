// The C API's opaque options object (include/edgeinfer.h): SessionOptions plus the vision tasks' settings,
// each set by its own function so that new settings never change a struct's layout.
#include <limits>
#include <string>

#include "capi/capi_internal.hpp"
#include "edgeinfer/precision.hpp"

using namespace edgeinfer::capi;  // NOLINT(google-build-using-namespace): the C functions below use its helpers

namespace {

edgeinfer_status null_options() { return fail(EDGEINFER_INVALID_ARGUMENT, "options must not be NULL"); }

}  // namespace

extern "C" {

edgeinfer_status edgeinfer_options_create(edgeinfer_options** out) {
    if (!out) return fail(EDGEINFER_INVALID_ARGUMENT, "out must not be NULL");
    return guarded([&] {
        *out = new edgeinfer_options{};
        return ok();
    });
}

void edgeinfer_options_destroy(edgeinfer_options* options) { delete options; }

edgeinfer_status edgeinfer_options_set_num_threads(edgeinfer_options* options, int num_threads) {
    if (!options) return null_options();
    if (num_threads < 0)
        return fail(EDGEINFER_INVALID_ARGUMENT, "num_threads must be >= 0, not " + std::to_string(num_threads));
    options->session.num_threads = num_threads;
    return ok();
}

edgeinfer_status edgeinfer_options_set_optimization_level(edgeinfer_options* options, int level) {
    if (!options) return null_options();
    if (level < 0 || level > 3)
        return fail(EDGEINFER_INVALID_ARGUMENT, "optimization level must be 0..3, not " + std::to_string(level));
    options->session.optimization_level = static_cast<edgeinfer::GraphOptimizationLevel>(level);
    return ok();
}

edgeinfer_status edgeinfer_options_set_precision(edgeinfer_options* options, const char* precision) {
    if (!options || !precision) return fail(EDGEINFER_INVALID_ARGUMENT, "options and precision must not be NULL");
    return guarded([&] {
        auto p = edgeinfer::parse_precision(precision);
        if (!p.is_ok()) return fail(p.status());
        options->session.precision = *p;
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_tactics(edgeinfer_options* options, const char* tactics) {
    if (!options || !tactics) return fail(EDGEINFER_INVALID_ARGUMENT, "options and tactics must not be NULL");
    return guarded([&] {
        auto t = edgeinfer::parse_tactic_mode(tactics);
        if (!t.is_ok()) return fail(t.status());
        options->session.tactics = *t;
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_profiling(edgeinfer_options* options, int enable) {
    if (!options) return null_options();
    options->session.enable_profiling = enable != 0;
    return ok();
}

edgeinfer_status edgeinfer_options_set_max_memory(edgeinfer_options* options, uint64_t bytes) {
    if (!options) return null_options();
    if (bytes > std::numeric_limits<size_t>::max())
        return fail(EDGEINFER_INVALID_ARGUMENT,
                    "max_memory of " + std::to_string(bytes) + " bytes does not fit size_t");
    options->session.max_memory_bytes = static_cast<size_t>(bytes);
    return ok();
}

edgeinfer_status edgeinfer_options_set_time_limit_ms(edgeinfer_options* options, int64_t milliseconds) {
    if (!options) return null_options();
    if (milliseconds < 0 || milliseconds > (int64_t{1} << 53))
        return fail(EDGEINFER_INVALID_ARGUMENT,
                    "time limit must be 0 (none) to 2^53 ms, not " + std::to_string(milliseconds));
    options->session.run_time_limit_ms = milliseconds;
    return ok();
}

edgeinfer_status edgeinfer_options_set_engine_path(edgeinfer_options* options, const char* path) {
    if (!options) return null_options();
    return guarded([&] {
        options->session.engine_path = path ? path : "";
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_engine_cache_dir(edgeinfer_options* options, const char* dir) {
    if (!options) return null_options();
    return guarded([&] {
        options->session.engine_cache_dir = dir ? dir : "";
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_keep_fp32_nodes(edgeinfer_options* options, const char* const* names,
                                                       size_t count) {
    if (!options) return null_options();
    if (count && !names) return fail(EDGEINFER_INVALID_ARGUMENT, "names is NULL but count is " + std::to_string(count));
    for (size_t i = 0; i < count; ++i)
        if (!names[i] || !*names[i])
            return fail(EDGEINFER_INVALID_ARGUMENT, "keep-fp32 node name " + std::to_string(i) + " is NULL or empty");
    return guarded([&] {
        options->session.keep_fp32_nodes.assign(names, names + count);
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_sidecar_path(edgeinfer_options* options, const char* path) {
    if (!options) return null_options();
    return guarded([&] {
        options->sidecar_path = path ? path : "";
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_labels_path(edgeinfer_options* options, const char* path) {
    if (!options) return null_options();
    return guarded([&] {
        options->labels_path = path ? path : "";
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_top_k(edgeinfer_options* options, int top_k) {
    if (!options) return null_options();
    if (top_k < 1) return fail(EDGEINFER_INVALID_ARGUMENT, "top_k must be >= 1, not " + std::to_string(top_k));
    options->top_k = top_k;
    return ok();
}

edgeinfer_status edgeinfer_options_set_score_threshold(edgeinfer_options* options, double threshold) {
    if (!options) return null_options();
    if (!(threshold >= 0.0 && threshold <= 1.0))
        return fail(EDGEINFER_INVALID_ARGUMENT, "score threshold must be in [0, 1], not " + std::to_string(threshold));
    options->score_threshold = threshold;
    return ok();
}

edgeinfer_status edgeinfer_options_set_iou_threshold(edgeinfer_options* options, double threshold) {
    if (!options) return null_options();
    if (!(threshold >= 0.0 && threshold <= 1.0))
        return fail(EDGEINFER_INVALID_ARGUMENT, "IoU threshold must be in [0, 1], not " + std::to_string(threshold));
    options->iou_threshold = threshold;
    return ok();
}

edgeinfer_status edgeinfer_options_set_detector_format(edgeinfer_options* options, const char* format) {
    if (!options) return null_options();
    return guarded([&] {
        options->detector_format = format ? format : "";
        return ok();
    });
}

edgeinfer_status edgeinfer_options_set_max_detections(edgeinfer_options* options, int64_t max_detections) {
    if (!options) return null_options();
    if (max_detections < 1)
        return fail(EDGEINFER_INVALID_ARGUMENT, "max_detections must be >= 1, not " + std::to_string(max_detections));
    options->max_detections = max_detections;
    return ok();
}

}  // extern "C"

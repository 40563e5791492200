// The C API's images and vision tasks (include/edgeinfer.h) over edgeinfer::Image, Classifier and Detector.
// Built without EDGEINFER_CAPI_VISION, the functions exist and return EDGEINFER_UNSUPPORTED.
#include <algorithm>
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"

#ifdef EDGEINFER_CAPI_VISION
#include "edgeinfer/frame.hpp"
#include "edgeinfer/vision.hpp"

struct edgeinfer_image {
    edgeinfer::Image image;
};

struct edgeinfer_classifier {
    std::unique_ptr<edgeinfer::Classifier> classifier;
    edgeinfer::Classification last;  // keeps the label strings of the last call alive
};

struct edgeinfer_detector {
    std::unique_ptr<edgeinfer::Detector> detector;
    std::vector<edgeinfer::Detection> last;
};

static_assert(EDGEINFER_PIXEL_BGR8 == static_cast<int>(edgeinfer::PixelFormat::kBgr8));
static_assert(EDGEINFER_PIXEL_RGB8 == static_cast<int>(edgeinfer::PixelFormat::kRgb8));
static_assert(EDGEINFER_PIXEL_GRAY8 == static_cast<int>(edgeinfer::PixelFormat::kGray8));
static_assert(EDGEINFER_PIXEL_BGRA8 == static_cast<int>(edgeinfer::PixelFormat::kBgra8));
static_assert(EDGEINFER_PIXEL_RGBA8 == static_cast<int>(edgeinfer::PixelFormat::kRgba8));

using namespace edgeinfer::capi;  // NOLINT(google-build-using-namespace): the C functions below use its helpers

namespace {

void fill_vision_options(const edgeinfer_options* o, edgeinfer::VisionOptions& v) {
    if (!o) return;
    v.session = o->session;
    v.sidecar_path = o->sidecar_path;
    v.labels_path = o->labels_path;
}

// Checks the pixel arguments and makes the view the C++ API takes.
edgeinfer_status make_view(const uint8_t* pixels, int width, int height, size_t stride, int format,
                           edgeinfer::ImageView& view) {
    if (!pixels) return fail(EDGEINFER_INVALID_ARGUMENT, "pixels must not be NULL");
    if (width <= 0 || height <= 0)
        return fail(EDGEINFER_INVALID_ARGUMENT,
                    "image size " + std::to_string(width) + "x" + std::to_string(height) + " is not positive");
    if (format < EDGEINFER_PIXEL_BGR8 || format > EDGEINFER_PIXEL_RGBA8)
        return fail(EDGEINFER_INVALID_ARGUMENT, "unknown pixel format " + std::to_string(format) +
                                                    " (EDGEINFER_PIXEL_BGR8..EDGEINFER_PIXEL_RGBA8)");
    auto f = static_cast<edgeinfer::PixelFormat>(format);
    size_t row = static_cast<size_t>(width) * static_cast<size_t>(edgeinfer::channels_of(f));
    if (stride != 0 && stride < row)
        return fail(EDGEINFER_INVALID_ARGUMENT, "stride " + std::to_string(stride) + " is less than a row of " +
                                                    std::to_string(width) + " " + std::string(edgeinfer::to_string(f)) +
                                                    " pixels (" + std::to_string(row) + " bytes)");
    view = {pixels, width, height, f, stride == 0 ? row : stride};
    return EDGEINFER_OK;
}

edgeinfer_status check_results(const void* handle, const char* what, size_t* count) {
    if (!handle || !count) return fail(EDGEINFER_INVALID_ARGUMENT, std::string(what) + " and count must not be NULL");
    return EDGEINFER_OK;
}

}  // namespace

extern "C" {

edgeinfer_status edgeinfer_image_read(const char* path, edgeinfer_image** out) {
    if (!path || !out) return fail(EDGEINFER_INVALID_ARGUMENT, "path and out must not be NULL");
    return guarded([&] {
        auto r = edgeinfer::Image::read(path);
        if (!r.is_ok()) return fail(r.status());
        *out = new edgeinfer_image{std::move(r).value()};
        return ok();
    });
}

void edgeinfer_image_destroy(edgeinfer_image* image) { delete image; }

edgeinfer_status edgeinfer_image_pixels(const edgeinfer_image* image, const uint8_t** data, int* width, int* height,
                                        size_t* stride, int* format) {
    if (!image) return fail(EDGEINFER_INVALID_ARGUMENT, "image must not be NULL");
    const edgeinfer::Image& im = image->image;
    if (data) *data = im.data();
    if (width) *width = im.width();
    if (height) *height = im.height();
    if (stride) *stride = im.stride();
    if (format) *format = static_cast<int>(im.format());
    return ok();
}

edgeinfer_status edgeinfer_classifier_create(const char* model_path, const edgeinfer_options* options,
                                             edgeinfer_classifier** out) {
    if (!model_path || !out) return fail(EDGEINFER_INVALID_ARGUMENT, "model_path and out must not be NULL");
    return guarded([&] {
        edgeinfer::ClassifierOptions o;
        fill_vision_options(options, o);
        if (options && options->top_k) o.top_k = *options->top_k;
        if (options && options->score_threshold) o.threshold = *options->score_threshold;
        auto r = edgeinfer::Classifier::create(model_path, o);
        if (!r.is_ok()) return fail(r.status());
        *out = new edgeinfer_classifier{std::move(r).value(), {}};
        return ok();
    });
}

void edgeinfer_classifier_destroy(edgeinfer_classifier* classifier) { delete classifier; }

edgeinfer_status edgeinfer_classifier_classify(edgeinfer_classifier* classifier, const uint8_t* pixels, int width,
                                               int height, size_t stride, int format, int64_t* classes, float* scores,
                                               const char** labels, size_t capacity, size_t* count) {
    if (edgeinfer_status s = check_results(classifier, "classifier", count)) return s;
    edgeinfer::ImageView view;
    if (edgeinfer_status s = make_view(pixels, width, height, stride, format, view)) return s;
    return guarded([&] {
        auto r = classifier->classifier->classify(view);
        if (!r.is_ok()) return fail(r.status());
        classifier->last = std::move(r).value();
        const auto& top = classifier->last.top;
        size_t n = std::min(capacity, top.size());
        for (size_t i = 0; i < n; ++i) {
            if (classes) classes[i] = top[i].index;
            if (scores) scores[i] = static_cast<float>(top[i].score);
            if (labels) labels[i] = top[i].label.c_str();
        }
        *count = n;
        return ok();
    });
}

edgeinfer_status edgeinfer_detector_create(const char* model_path, const edgeinfer_options* options,
                                           edgeinfer_detector** out) {
    if (!model_path || !out) return fail(EDGEINFER_INVALID_ARGUMENT, "model_path and out must not be NULL");
    return guarded([&] {
        edgeinfer::DetectorOptions o;
        fill_vision_options(options, o);
        if (options) {
            o.format = options->detector_format;
            if (options->score_threshold) o.confidence_threshold = static_cast<float>(*options->score_threshold);
            if (options->iou_threshold) o.iou_threshold = static_cast<float>(*options->iou_threshold);
            if (options->max_detections) o.max_detections = *options->max_detections;
        }
        auto r = edgeinfer::Detector::create(model_path, o);
        if (!r.is_ok()) return fail(r.status());
        *out = new edgeinfer_detector{std::move(r).value(), {}};
        return ok();
    });
}

void edgeinfer_detector_destroy(edgeinfer_detector* detector) { delete detector; }

edgeinfer_status edgeinfer_detector_detect(edgeinfer_detector* detector, const uint8_t* pixels, int width, int height,
                                           size_t stride, int format, float* boxes, int64_t* classes, float* scores,
                                           const char** labels, size_t capacity, size_t* count) {
    if (edgeinfer_status s = check_results(detector, "detector", count)) return s;
    edgeinfer::ImageView view;
    if (edgeinfer_status s = make_view(pixels, width, height, stride, format, view)) return s;
    return guarded([&] {
        auto r = detector->detector->detect(view);
        if (!r.is_ok()) return fail(r.status());
        detector->last = std::move(r).value();
        const auto& found = detector->last;
        size_t n = std::min(capacity, found.size());
        for (size_t i = 0; i < n; ++i) {
            const edgeinfer::Detection& d = found[i];
            if (boxes) {
                boxes[4 * i] = d.box.x1;
                boxes[4 * i + 1] = d.box.y1;
                boxes[4 * i + 2] = d.box.x2;
                boxes[4 * i + 3] = d.box.y2;
            }
            if (classes) classes[i] = d.class_id;
            if (scores) scores[i] = d.score;
            if (labels) labels[i] = d.label.c_str();
        }
        *count = n;
        return ok();
    });
}

}  // extern "C"

#else  // !EDGEINFER_CAPI_VISION

struct edgeinfer_image {};
struct edgeinfer_classifier {};
struct edgeinfer_detector {};

namespace {

edgeinfer_status no_vision() {
    return edgeinfer::capi::fail(EDGEINFER_UNSUPPORTED,
                                 "this libedgeinfer was built without the vision C API (EDGEINFER_CAPI_VISION=OFF)");
}

}  // namespace

extern "C" {

edgeinfer_status edgeinfer_image_read(const char*, edgeinfer_image**) { return no_vision(); }
void edgeinfer_image_destroy(edgeinfer_image* image) { delete image; }
edgeinfer_status edgeinfer_image_pixels(const edgeinfer_image*, const uint8_t**, int*, int*, size_t*, int*) {
    return no_vision();
}
edgeinfer_status edgeinfer_classifier_create(const char*, const edgeinfer_options*, edgeinfer_classifier**) {
    return no_vision();
}
void edgeinfer_classifier_destroy(edgeinfer_classifier* classifier) { delete classifier; }
edgeinfer_status edgeinfer_classifier_classify(edgeinfer_classifier*, const uint8_t*, int, int, size_t, int, int64_t*,
                                               float*, const char**, size_t, size_t*) {
    return no_vision();
}
edgeinfer_status edgeinfer_detector_create(const char*, const edgeinfer_options*, edgeinfer_detector**) {
    return no_vision();
}
void edgeinfer_detector_destroy(edgeinfer_detector* detector) { delete detector; }
edgeinfer_status edgeinfer_detector_detect(edgeinfer_detector*, const uint8_t*, int, int, size_t, int, float*, int64_t*,
                                           float*, const char**, size_t, size_t*) {
    return no_vision();
}

}  // extern "C"

#endif  // EDGEINFER_CAPI_VISION

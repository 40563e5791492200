// Python pipeline elements: this module also implements the custom-element C ABI (edgeinfer_element.h), so a
// config's {"type": "python", "module", "class"} runs as a custom element whose library is this module. The
// Python side (edgeinfer/pipeline.py) rewrites such entries before building the pipeline; each call takes the
// GIL and goes through edgeinfer.pipeline._create_element / _process_frame, which import the user's class,
// call process(frame, meta) and turn an exception into a logged traceback and an error for that frame.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "edgeinfer_element.h"

namespace py = pybind11;

namespace {

void write_error(char* error, size_t size, const std::string& message) {
    if (!error || size == 0) return;
    const size_t n = std::min(size - 1, message.size());
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}

char* malloc_copy(const std::string& s) {
    char* out = static_cast<char*>(std::malloc(s.size() + 1));
    if (out) std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

}  // namespace

#define EDGEINFER_EXPORT extern "C" __attribute__((visibility("default")))

EDGEINFER_EXPORT int edgeinfer_element_abi_version(void) { return EDGEINFER_ELEMENT_ABI_VERSION; }

EDGEINFER_EXPORT void* edgeinfer_element_create(const char* config_json, char* error, size_t error_size) {
    if (!Py_IsInitialized()) {
        write_error(error, error_size,
                    "a python element runs only inside Python: python3 -m edgeinfer pipeline CONFIG");
        return nullptr;
    }
    py::gil_scoped_acquire gil;
    try {
        py::object element = py::module_::import("edgeinfer.pipeline").attr("_create_element")(config_json);
        return new py::object(std::move(element));
    } catch (py::error_already_set& e) {
        write_error(error, error_size, e.what());
        return nullptr;
    }
}

EDGEINFER_EXPORT int edgeinfer_element_process(void* state, const edgeinfer_element_frame* frame,
                                               const char* metadata_json, char** result_json) {
    *result_json = nullptr;
    py::gil_scoped_acquire gil;
    try {
        // A read-only view of the runtime's pixels, valid during this call.
        py::array pixels(
            py::dtype::of<uint8_t>(), {frame->height, frame->width, frame->channels},
            {static_cast<py::ssize_t>(frame->stride), static_cast<py::ssize_t>(frame->channels), py::ssize_t{1}},
            frame->pixels, py::capsule(frame->pixels, [](void*) {}));
        pixels.attr("setflags")(py::arg("write") = false);
        py::tuple r = py::module_::import("edgeinfer.pipeline")
                          .attr("_process_frame")(*static_cast<py::object*>(state), pixels, frame->source_id,
                                                  frame->frame_number, frame->timestamp_us, metadata_json);
        const int rc = r[0].cast<int>();
        if (!r[1].is_none()) *result_json = malloc_copy(r[1].cast<std::string>());
        return rc;
    } catch (py::error_already_set& e) {
        *result_json = malloc_copy(std::string("python element: ") + e.what());
        return 1;
    }
}

EDGEINFER_EXPORT void edgeinfer_element_destroy(void* state) {
    if (!state) return;
    if (!Py_IsInitialized()) return;  // the interpreter is gone: nothing to release
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(state);
}

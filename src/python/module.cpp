// The _edgeinfer extension module: the C++ API (include/edgeinfer/*.hpp) for the edgeinfer Python package.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "convert.hpp"

#ifndef EDGEINFER_VERSION
#define EDGEINFER_VERSION "unknown"
#endif

PYBIND11_MODULE(_edgeinfer, m) {
    m.doc() = "edgeinfer C++ API (use the edgeinfer package, not this module)";
    m.attr("__version__") = EDGEINFER_VERSION;
    m.def("status_code_name",
          [](int code) { return std::string(edgeinfer::status_code_name(static_cast<edgeinfer::StatusCode>(code))); });
    edgeinfer::python::register_errors();
    edgeinfer::python::bind_session(m);
    edgeinfer::python::bind_vision(m);
    edgeinfer::python::bind_pipeline(m);
    edgeinfer::python::bind_tools(m);
}

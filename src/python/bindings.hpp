// The parts of the _edgeinfer extension module, each adding its classes to the module.
#pragma once

#include <pybind11/pybind11.h>

namespace edgeinfer::python {

void bind_session(pybind11::module_& m);
void bind_vision(pybind11::module_& m);
void bind_pipeline(pybind11::module_& m);
void bind_tools(pybind11::module_& m);

}  // namespace edgeinfer::python

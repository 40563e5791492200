// Conversions shared by the Python bindings: Status to the edgeinfer.Error subclass of its code (also for a call
// run with the GIL released), DataType to numpy dtypes, Tensor to ndarray without a copy, numpy images to ImageView.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "edgeinfer/frame.hpp"
#include "edgeinfer/status.hpp"
#include "edgeinfer/tensor.hpp"

namespace edgeinfer::python {

namespace py = pybind11;

// A non-OK Status on its way to Python; the registered translator raises edgeinfer.<Code>(message).
class StatusError : public std::exception {
  public:
    explicit StatusError(Status status) : status_(std::move(status)) {}
    const char* what() const noexcept override { return status_.message().c_str(); }
    const Status& status() const { return status_; }

  private:
    Status status_;
};

inline void check(const Status& status) {
    if (!status.is_ok()) throw StatusError(status);
}
template <typename T>
T value_or_raise(Result<T>&& result) {
    if (!result.is_ok()) throw StatusError(result.status());
    return std::move(result).value();
}
// Runs `call` (returning a Result) with the GIL released and returns its value, or raises its status.
template <typename F>
auto nogil(F&& call) {
    std::optional<decltype(call())> r;
    {
        py::gil_scoped_release release;
        r.emplace(call());
    }
    return value_or_raise(std::move(*r));
}
[[noreturn]] inline void raise_invalid(std::string message) { throw StatusError(invalid_argument(std::move(message))); }

// Installs the translator for StatusError (the classes live in edgeinfer/_errors.py).
void register_errors();

// The numpy dtype of `t`; Unsupported for bfloat16 and undefined types, object for strings.
py::dtype numpy_dtype(DataType t);
// The DataType of a numpy dtype; kUndefined when edgeinfer has none.
DataType data_type_of(const py::dtype& d);
// An ndarray over the tensor's memory, which it keeps alive (string tensors become object arrays).
py::array to_numpy(const Tensor& t);

// An HxWxC (or HxW) uint8 array as an image; `rgb` for RGB order. The array must stay alive while the view
// is used; a non-contiguous array is copied into `keep`.
ImageView image_view(const py::handle& image, bool rgb, py::object& keep, const char* what = "image");
// A copy of a frame's pixels as an HxWx3 BGR uint8 array (or a view that keeps `image` alive).
py::array image_to_numpy(const Image& image);

}  // namespace edgeinfer::python

// Conversions shared by the Python bindings (convert.hpp).
#include "convert.hpp"

#include <cstring>

namespace edgeinfer::python {

void register_errors() {
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const StatusError& e) {
            const Status& s = e.status();
            py::object cls;
            try {
                cls = py::module_::import("edgeinfer._errors").attr("error_class")(static_cast<int>(s.code()));
            } catch (py::error_already_set&) {
                PyErr_Clear();
                cls = py::reinterpret_borrow<py::object>(PyExc_RuntimeError);
            }
            py::object exc = cls(s.message());
            PyErr_SetObject(cls.ptr(), exc.ptr());
        }
    });
}

py::dtype numpy_dtype(DataType t) {
    switch (t) {
        case DataType::kFloat32:
            return py::dtype::of<float>();
        case DataType::kFloat64:
            return py::dtype::of<double>();
        case DataType::kFloat16:
            return py::dtype("float16");
        case DataType::kUInt8:
            return py::dtype::of<uint8_t>();
        case DataType::kInt8:
            return py::dtype::of<int8_t>();
        case DataType::kUInt16:
            return py::dtype::of<uint16_t>();
        case DataType::kInt16:
            return py::dtype::of<int16_t>();
        case DataType::kInt32:
            return py::dtype::of<int32_t>();
        case DataType::kInt64:
            return py::dtype::of<int64_t>();
        case DataType::kUInt32:
            return py::dtype::of<uint32_t>();
        case DataType::kUInt64:
            return py::dtype::of<uint64_t>();
        case DataType::kBool:
            return py::dtype::of<bool>();
        case DataType::kComplex64:
            return py::dtype("complex64");
        case DataType::kComplex128:
            return py::dtype("complex128");
        case DataType::kString:
            return py::dtype("O");
        default:
            break;
    }
    throw StatusError(unsupported("numpy has no dtype for edgeinfer type " + std::string(dtype_name(t))));
}

DataType data_type_of(const py::dtype& d) {
    const char kind = d.kind();
    const auto size = d.itemsize();
    switch (kind) {
        case 'f':
            return size == 4   ? DataType::kFloat32
                   : size == 8 ? DataType::kFloat64
                   : size == 2 ? DataType::kFloat16
                               : DataType::kUndefined;
        case 'u':
            return size == 1   ? DataType::kUInt8
                   : size == 2 ? DataType::kUInt16
                   : size == 4 ? DataType::kUInt32
                   : size == 8 ? DataType::kUInt64
                               : DataType::kUndefined;
        case 'i':
            return size == 1   ? DataType::kInt8
                   : size == 2 ? DataType::kInt16
                   : size == 4 ? DataType::kInt32
                   : size == 8 ? DataType::kInt64
                               : DataType::kUndefined;
        case 'b':
            return DataType::kBool;
        case 'c':
            return size == 8 ? DataType::kComplex64 : size == 16 ? DataType::kComplex128 : DataType::kUndefined;
        case 'U':
        case 'O':
            return DataType::kString;
        default:
            return DataType::kUndefined;
    }
}

py::array to_numpy(const Tensor& t) {
    std::vector<py::ssize_t> shape(t.dims().begin(), t.dims().end());
    if (t.dtype() == DataType::kString) {
        py::array out(py::dtype("O"), shape);
        auto* cells = static_cast<PyObject**>(out.mutable_data());
        const auto& values = t.string_data();
        for (size_t i = 0; i < values.size(); ++i) cells[i] = py::str(values[i]).release().ptr();
        return out;
    }
    // A wrapped tensor points at memory someone else may reuse: take a copy; an owned one is shared.
    auto* keep = new Tensor(t.owns_data() ? t : t.clone());
    py::capsule owner(keep, [](void* p) { delete static_cast<Tensor*>(p); });
    return py::array(numpy_dtype(t.dtype()), shape, {}, keep->data(), owner);
}

ImageView image_view(const py::handle& image, bool rgb, py::object& keep, const char* what) {
    if (!py::isinstance<py::array>(image))
        raise_invalid(std::string(what) + ": expected a numpy array (HxWx3 uint8), got " +
                      std::string(py::str(py::type::of(image).attr("__name__"))));
    auto arr = py::reinterpret_borrow<py::array>(image);
    if (arr.dtype().kind() != 'u' || arr.itemsize() != 1)
        raise_invalid(std::string(what) + ": expected dtype uint8, got " + std::string(py::str(arr.dtype())));
    PixelFormat format;
    if (arr.ndim() == 2 || (arr.ndim() == 3 && arr.shape(2) == 1)) {
        format = PixelFormat::kGray8;
    } else if (arr.ndim() == 3 && arr.shape(2) == 3) {
        format = rgb ? PixelFormat::kRgb8 : PixelFormat::kBgr8;
    } else if (arr.ndim() == 3 && arr.shape(2) == 4) {
        format = rgb ? PixelFormat::kRgba8 : PixelFormat::kBgra8;
    } else {
        std::string shape;
        for (py::ssize_t i = 0; i < arr.ndim(); ++i) shape += (i ? "x" : "") + std::to_string(arr.shape(i));
        raise_invalid(std::string(what) + ": expected an HxW, HxWx1, HxWx3 or HxWx4 array, got shape " +
                      (shape.empty() ? "scalar" : shape));
    }
    const int channels = channels_of(format);
    // Rows may be apart (a crop of a bigger image); pixels within a row must be packed.
    const bool packed_row = arr.strides(1) == channels && (arr.ndim() == 2 || arr.strides(2) == 1);
    if (!packed_row || arr.strides(0) < arr.shape(1) * channels) {
        arr = py::array::ensure(arr, py::array::c_style | py::array::forcecast);
    }
    keep = arr;
    ImageView view;
    view.data = static_cast<const uint8_t*>(arr.data());
    view.height = static_cast<int>(arr.shape(0));
    view.width = static_cast<int>(arr.shape(1));
    view.format = format;
    view.stride = static_cast<size_t>(arr.strides(0));
    return view;
}

py::array image_to_numpy(const Image& image) {
    const int channels = channels_of(image.format());
    auto* keep = new Image(image);
    py::capsule owner(keep, [](void* p) { delete static_cast<Image*>(p); });
    std::vector<py::ssize_t> shape{image.height(), image.width(), channels};
    std::vector<py::ssize_t> strides{static_cast<py::ssize_t>(image.stride()), channels, 1};
    return py::array(py::dtype::of<uint8_t>(), shape, strides, keep->data(), owner);
}

}  // namespace edgeinfer::python

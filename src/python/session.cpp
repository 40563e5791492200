// edgeinfer::Session for Python: inputs read in place when they can be, outputs as ndarrays sharing the
// engine's result memory or written into caller arrays, the GIL released while the engine runs.
#include "edgeinfer/session.hpp"

#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "edgeinfer/precision.hpp"

namespace edgeinfer::python {
namespace {

const ValueDescription* find_value(const std::vector<ValueDescription>& values, const std::string& name) {
    for (const auto& v : values)
        if (v.name == name) return &v;
    return nullptr;
}

// The inputs of one run: tensors over the callers' arrays (or over copies kept here).
struct Feed {
    std::vector<NamedTensor> tensors;
    std::vector<py::object> keep;
    std::vector<std::string> copied;  // inputs that could not be read in place
};

Feed make_feed(const Session& session, const py::dict& feed) {
    Feed out;
    py::module_ np = py::module_::import("numpy");
    for (const auto& [key, value] : feed) {
        if (!py::isinstance<py::str>(key))
            raise_invalid("input names must be str, got " + std::string(py::str(py::type::of(key).attr("__name__"))));
        std::string name = py::cast<std::string>(key);
        const ValueDescription* desc = find_value(session.inputs(), name);
        py::array arr;
        if (py::isinstance<py::array>(value)) {
            arr = py::reinterpret_borrow<py::array>(value);
        } else {  // lists and scalars take the model's dtype
            try {
                arr = desc && desc->dtype != DataType::kString
                          ? py::array(np.attr("asarray")(value, numpy_dtype(desc->dtype)))
                          : py::array(np.attr("asarray")(value));
            } catch (py::error_already_set& e) {
                raise_invalid("input '" + name + "': cannot convert to an array: " + std::string(e.what()));
            }
            out.copied.push_back(name);
        }
        DataType dtype = data_type_of(arr.dtype());
        if (dtype == DataType::kUndefined)
            raise_invalid("input '" + name + "': numpy dtype " + std::string(py::str(arr.dtype())) +
                          " has no edgeinfer type");
        std::vector<int64_t> dims(arr.shape(), arr.shape() + arr.ndim());
        if (dtype == DataType::kString) {
            std::vector<std::string> values;
            for (const auto& item : np.attr("ravel")(arr)) values.push_back(py::str(item));
            out.tensors.push_back({name, Tensor::strings(std::move(dims), std::move(values))});
            continue;
        }
        if (!(arr.flags() & py::array::c_style) || !arr.dtype().attr("isnative").cast<bool>()) {
            arr = py::array(np.attr("ascontiguousarray")(arr, arr.dtype().attr("newbyteorder")("=")));
            if (out.copied.empty() || out.copied.back() != name) out.copied.push_back(name);
        }
        out.tensors.push_back({name, Tensor::wrap(dtype, std::move(dims), const_cast<void*>(arr.data()))});
        out.keep.push_back(arr);
    }
    return out;
}

SessionOptions make_options(int threads, const std::string& precision, const std::vector<std::string>& keep_fp32,
                            const std::string& engine, size_t max_memory, const std::string& optimization,
                            bool profiling, const std::string& engine_cache, int64_t time_limit_ms,
                            const std::string& tactics) {
    SessionOptions o;
    if (time_limit_ms < 0) raise_invalid("time_limit_ms must be >= 0 (0: none), got " + std::to_string(time_limit_ms));
    o.run_time_limit_ms = time_limit_ms;
    o.tactics = value_or_raise(parse_tactic_mode(tactics));
    if (threads < 0) raise_invalid("threads must be >= 0 (0: all cores), got " + std::to_string(threads));
    o.num_threads = threads;
    o.precision = value_or_raise(parse_precision(precision));
    o.keep_fp32_nodes = keep_fp32;
    o.engine_path = engine;
    o.engine_cache_dir = engine_cache;
    o.max_memory_bytes = max_memory;
    o.optimization_level = value_or_raise(parse_optimization_level(optimization));
    o.enable_profiling = profiling;
    return o;
}

py::list describe(const std::vector<ValueDescription>& values) {
    py::list out;
    for (const auto& v : values) {
        py::list shape;
        for (size_t i = 0; i < v.dims.size(); ++i) {
            const std::string symbol = i < v.symbols.size() ? v.symbols[i] : "";
            if (v.dims[i] >= 0)
                shape.append(v.dims[i]);
            else if (!symbol.empty())
                shape.append(symbol);
            else
                shape.append(py::none());
        }
        out.append(py::make_tuple(v.name, shape, std::string(dtype_name(v.dtype))));
    }
    return out;
}

class PySession {
  public:
    PySession(const py::object& model, int threads, const std::string& precision,
              const std::vector<std::string>& keep_fp32, const std::string& engine, size_t max_memory,
              const std::string& optimization, bool profiling, const std::string& engine_cache, int64_t time_limit_ms,
              const std::string& tactics) {
        SessionOptions options = make_options(threads, precision, keep_fp32, engine, max_memory, optimization,
                                              profiling, engine_cache, time_limit_ms, tactics);
        if (py::isinstance<py::bytes>(model)) {
            std::string bytes = py::cast<std::string>(model);
            py::gil_scoped_release nogil;
            session_ = value_or_raise(Session::create_from_bytes(bytes.data(), bytes.size(), options));
        } else {
            std::string path = py::str(py::module_::import("os").attr("fspath")(model));
            py::gil_scoped_release nogil;
            session_ = value_or_raise(Session::create(path, options));
        }
    }

    py::list inputs() const { return describe(session_->inputs()); }
    py::list outputs() const { return describe(session_->outputs()); }

    // Every output in model order, as (name, array).
    py::list run(const py::dict& feed) {
        Feed f = make_feed(*session_, feed);
        last_copied_ = f.copied;
        std::optional<Result<std::vector<NamedTensor>>> r;
        {
            py::gil_scoped_release nogil;
            r.emplace(session_->run(f.tensors));
        }
        std::vector<NamedTensor> results = value_or_raise(std::move(*r));
        py::list out;
        for (const auto& nt : results) {
            if (nt.kind == ValueKind::kTensor) {
                out.append(py::make_tuple(nt.name, to_numpy(nt.tensor)));
            } else if (!nt.has_value) {
                out.append(py::make_tuple(nt.name, py::none()));  // an empty optional
            } else if (nt.kind == ValueKind::kOptionalTensor) {
                out.append(py::make_tuple(nt.name, to_numpy(nt.tensor)));
            } else {  // a sequence: a list of arrays
                py::list items;
                for (const Tensor& t : nt.sequence) items.append(to_numpy(t));
                out.append(py::make_tuple(nt.name, items));
            }
        }
        return out;
    }

    void run_into(const py::dict& feed, const py::dict& outputs) {
        Feed f = make_feed(*session_, feed);
        last_copied_ = f.copied;
        std::vector<NamedTensor> targets;
        std::vector<py::array> keep;
        for (const auto& [key, value] : outputs) {
            std::string name = py::str(key);
            if (!py::isinstance<py::array>(value))
                raise_invalid("output '" + name + "': expected a numpy array to write into, got " +
                              std::string(py::str(py::type::of(value).attr("__name__"))));
            auto arr = py::reinterpret_borrow<py::array>(value);
            if (!(arr.flags() & py::array::c_style) || !arr.writeable())
                raise_invalid("output '" + name + "': the array must be C-contiguous and writeable");
            DataType dtype = data_type_of(arr.dtype());
            if (dtype == DataType::kUndefined || dtype == DataType::kString)
                raise_invalid("output '" + name + "': numpy dtype " + std::string(py::str(arr.dtype())) +
                              " cannot receive an output");
            std::vector<int64_t> dims(arr.shape(), arr.shape() + arr.ndim());
            targets.push_back({name, Tensor::wrap(dtype, std::move(dims), arr.mutable_data())});
            keep.push_back(arr);
        }
        Status status;
        {
            py::gil_scoped_release nogil;
            status = session_->run(f.tensors, targets);
        }
        check(status);
    }

    const std::vector<std::string>& last_copied() const { return last_copied_; }
    size_t plan_count() const { return session_->plan_count(); }
    void save_engine(const std::string& path) const { check(session_->save_engine(path)); }
    py::dict engine_report() const {
        const EngineReport& r = session_->engine_report();
        py::dict d;
        d["requested"] = r.requested;
        d["loaded"] = r.loaded;
        d["message"] = r.message;
        d["cache_entry"] = r.cache_entry;
        d["cache_written"] = r.cache_written;
        return d;
    }
    py::list profile() const {
        py::list out;
        for (const NodeProfile& p : session_->profile()) {
            py::dict d;
            d["node_name"] = p.node_name;
            d["op_type"] = p.op_type;
            d["kernel"] = p.kernel;
            d["input_shapes"] = p.input_shapes;
            d["total_us"] = p.total_us;
            d["runs"] = p.runs;
            out.append(d);
        }
        return out;
    }

  private:
    std::unique_ptr<Session> session_;
    std::vector<std::string> last_copied_;
};

}  // namespace

void bind_session(py::module_& m) {
    py::class_<PySession>(m, "Session")
        .def(py::init<const py::object&, int, const std::string&, const std::vector<std::string>&, const std::string&,
                      size_t, const std::string&, bool, const std::string&, int64_t, const std::string&>(),
             py::arg("model"), py::kw_only(), py::arg("threads") = 0, py::arg("precision") = "fp32",
             py::arg("keep_fp32") = std::vector<std::string>{}, py::arg("engine") = "", py::arg("max_memory") = 0,
             py::arg("optimization") = "all", py::arg("profiling") = false, py::arg("engine_cache") = "",
             py::arg("time_limit_ms") = 0, py::arg("tactics") = "fast")
        .def("inputs", &PySession::inputs)
        .def("outputs", &PySession::outputs)
        .def("run", &PySession::run, py::arg("feed"))
        .def("run_into", &PySession::run_into, py::arg("feed"), py::arg("outputs"))
        .def_property_readonly("last_copied_inputs", &PySession::last_copied)
        .def_property_readonly("plan_count", &PySession::plan_count)
        .def("save_engine", &PySession::save_engine, py::arg("path"))
        .def("engine_report", &PySession::engine_report)
        .def("profile", &PySession::profile);
}

}  // namespace edgeinfer::python

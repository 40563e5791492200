// edgeinfer::Pipeline for Python: built from a config document (the Python side turns "python" elements into
// custom elements served by this module, element.cpp), run with the GIL released, events and per-frame
// metadata handed to Python callbacks under the GIL.
#include "edgeinfer/pipeline.hpp"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"

namespace edgeinfer::python {
namespace {

py::dict fields_dict(const std::vector<Field>& fields) {
    py::dict d;
    for (const Field& f : fields) {
        if (const auto* n = std::get_if<double>(&f.value))
            d[py::str(f.key)] = *n;
        else
            d[py::str(f.key)] = std::get<std::string>(f.value);
    }
    return d;
}

// The Python callbacks; owned by PyPipeline, reached from the C++ callbacks through a plain pointer so that
// copying the std::functions (done without the GIL) never touches Python reference counts.
struct Callbacks {
    py::object on_event;
    py::object on_frame;
};

class PyPipeline {
  public:
    PyPipeline(const std::string& document, const std::string& base_directory, int threads,
               const std::string& precision, int64_t max_frames, int metrics_port, double drain_seconds,
               py::object on_event, py::object on_frame)
        : callbacks_(std::make_unique<Callbacks>(Callbacks{std::move(on_event), std::move(on_frame)})) {
        PipelineOptions o;
        o.session.num_threads = threads;
        o.session.precision = value_or_raise(parse_precision(precision));
        o.max_frames = max_frames;
        o.metrics_port = metrics_port;
        o.drain_seconds = drain_seconds;
        Callbacks* cb = callbacks_.get();
        if (!cb->on_event.is_none())
            o.on_event = [cb](const PipelineEvent& e) {
                py::gil_scoped_acquire gil;
                call(cb->on_event, py::cast(e, py::return_value_policy::copy));
            };
        if (!cb->on_frame.is_none())
            o.on_frame = [cb](const FrameMetadata& m) {
                py::gil_scoped_acquire gil;
                call(cb->on_frame, py::cast(m, py::return_value_policy::copy));
            };
        // Python elements are created while the pipeline is built: they take the GIL themselves.
        std::optional<Result<std::unique_ptr<Pipeline>>> r;
        {
            py::gil_scoped_release release;
            r.emplace(Pipeline::from_json(document, std::move(o), base_directory));
        }
        pipeline_ = value_or_raise(std::move(*r));
    }

    ~PyPipeline() {
        {
            py::gil_scoped_release release;  // elements' threads may still want the GIL while they end
            pipeline_.reset();
        }
        callbacks_.reset();
    }

    PipelineSummary run() {
        std::optional<Result<PipelineSummary>> r;
        {
            py::gil_scoped_release release;
            r.emplace(pipeline_->run());
        }
        return value_or_raise(std::move(*r));
    }
    void stop() { pipeline_->stop(); }
    bool drain_events(double seconds) {
        py::gil_scoped_release release;
        return pipeline_->drain_events(std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
    }
    std::vector<std::string> source_ids() const { return pipeline_->source_ids(); }
    int metrics_port() const { return pipeline_->metrics_port(); }
    std::string metrics_text() const { return pipeline_->metrics_text(); }

  private:
    // A callback that raises is reported by the Python wrapper (edgeinfer/pipeline.py); this only keeps an
    // exception from crossing into the pipeline.
    static void call(const py::object& fn, const py::object& arg) {
        try {
            fn(arg);
        } catch (py::error_already_set& e) {
            e.discard_as_unraisable("edgeinfer pipeline callback");
        }
    }

    std::unique_ptr<Callbacks> callbacks_;
    std::unique_ptr<Pipeline> pipeline_;
};

void bind_metadata(py::module_& m) {
    py::class_<PipelineObject, Detection>(m, "PipelineObject")
        .def_property_readonly("fields", [](const PipelineObject& o) { return fields_dict(o.fields); })
        .def("__repr__", [](const PipelineObject& o) {
            return "PipelineObject(label=" + std::string(py::repr(py::str(o.label))) +
                   ", track_id=" + std::to_string(o.track_id) +
                   ", fields=" + std::string(py::repr(fields_dict(o.fields))) + ")";
        });
    py::class_<FrameMetadata>(m, "FrameMetadata")
        .def_readonly("source_id", &FrameMetadata::source_id)
        .def_readonly("frame_number", &FrameMetadata::frame_number)
        .def_readonly("timestamp_us", &FrameMetadata::timestamp_us)
        .def_readonly("width", &FrameMetadata::width)
        .def_readonly("height", &FrameMetadata::height)
        .def_readonly("objects", &FrameMetadata::objects)
        .def_readonly("ended_objects", &FrameMetadata::ended_objects)
        .def_property_readonly("fields", [](const FrameMetadata& f) { return fields_dict(f.fields); });
    py::class_<PipelineEvent>(m, "PipelineEvent")
        .def_readonly("event_id", &PipelineEvent::event_id)
        .def_readonly("rule_name", &PipelineEvent::rule_name)
        .def_property_readonly(
            "action", [](const PipelineEvent& e) { return e.action == RuleAction::kRecord ? "record" : "publish"; })
        .def_readonly("source_id", &PipelineEvent::source_id)
        .def_readonly("frame_number", &PipelineEvent::frame_number)
        .def_readonly("timestamp_us", &PipelineEvent::timestamp_us)
        .def_readonly("object", &PipelineEvent::object)
        .def_readonly("object_count", &PipelineEvent::object_count)
        .def_readonly("width", &PipelineEvent::width)
        .def_readonly("height", &PipelineEvent::height)
        .def_property_readonly("frame_fields", [](const PipelineEvent& e) { return fields_dict(e.frame_fields); })
        .def_readonly("clip", &PipelineEvent::clip)
        .def_readonly("clip_error", &PipelineEvent::clip_error)
        .def("__repr__", [](const PipelineEvent& e) {
            return "PipelineEvent(event_id=" + std::string(py::repr(py::str(e.event_id))) + ")";
        });
    py::class_<PipelineSourceError>(m, "PipelineSourceError")
        .def_readonly("source_id", &PipelineSourceError::source_id)
        .def_readonly("dataspec", &PipelineSourceError::dataspec)
        .def_property_readonly(
            "code", [](const PipelineSourceError& e) { return std::string(status_code_name(e.status.code())); })
        .def_readonly("message", &PipelineSourceError::message);
    py::class_<PipelineSummary>(m, "PipelineSummary")
        .def_readonly("frames", &PipelineSummary::frames)
        .def_readonly("dropped", &PipelineSummary::dropped)
        .def_readonly("events", &PipelineSummary::events)
        .def_readonly("source_errors", &PipelineSummary::source_errors)
        .def_readonly("lines", &PipelineSummary::lines)
        .def_readonly("clips_lost", &PipelineSummary::clips_lost)
        .def_readonly("events_refused", &PipelineSummary::events_refused)
        .def_readonly("incomplete_clips_removed", &PipelineSummary::incomplete_clips_removed)
        .def_readonly("events_pending", &PipelineSummary::events_pending)
        .def_readonly("stopped", &PipelineSummary::stopped);
}

}  // namespace

void bind_pipeline(py::module_& m) {
    bind_metadata(m);
    py::class_<PyPipeline>(m, "Pipeline")
        .def(py::init<const std::string&, const std::string&, int, const std::string&, int64_t, int, double, py::object,
                      py::object>(),
             py::arg("document"), py::kw_only(), py::arg("base_directory") = ".", py::arg("threads") = 0,
             py::arg("precision") = "fp32", py::arg("max_frames") = 0, py::arg("metrics_port") = -1,
             py::arg("drain_seconds") = 0.0, py::arg("on_event") = py::none(), py::arg("on_frame") = py::none())
        .def("run", &PyPipeline::run)
        .def("stop", &PyPipeline::stop)
        .def("drain_events", &PyPipeline::drain_events, py::arg("timeout_seconds"))
        .def_property_readonly("source_ids", &PyPipeline::source_ids)
        .def_property_readonly("metrics_port", &PyPipeline::metrics_port)
        .def("metrics_text", &PyPipeline::metrics_text);
}

}  // namespace edgeinfer::python

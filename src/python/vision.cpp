// edgeinfer vision tasks and frame sources for Python: numpy HxWxC uint8 images in (BGR unless rgb=True),
// typed results with attribute access out, frames from any DATASPEC as numpy arrays.
#include "edgeinfer/vision.hpp"

#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "convert.hpp"
#include "edgeinfer/source.hpp"

namespace edgeinfer::python {
namespace {

using namespace pybind11::literals;

// Session keys and the sidecar's preprocessing keys, as every task takes them.
void fill_vision_options(VisionOptions& o, const py::dict& kw) {
    for (const auto& [k, v] : kw) {
        const std::string key = py::str(k);
        if (key == "threads") {
            o.session.num_threads = v.cast<int>();
        } else if (key == "precision") {
            o.session.precision = value_or_raise(parse_precision(v.cast<std::string>()));
        } else if (key == "engine") {
            o.session.engine_path = py::str(v);
        } else if (key == "engine_cache") {
            o.session.engine_cache_dir = py::str(v);
        } else if (key == "max_memory") {
            o.session.max_memory_bytes = v.cast<size_t>();
        } else if (key == "keep_fp32") {
            o.session.keep_fp32_nodes = v.cast<std::vector<std::string>>();
        } else if (key == "sidecar") {
            o.sidecar_path = py::str(v);
        } else if (key == "labels") {
            o.labels_path = py::str(v);
        } else if (key == "width") {
            o.preprocess.width = v.cast<int>();
        } else if (key == "height") {
            o.preprocess.height = v.cast<int>();
        } else if (key == "resize") {
            o.preprocess.resize = value_or_raise(parse_resize_mode(v.cast<std::string>()));
        } else if (key == "interpolation") {
            o.preprocess.interpolation = value_or_raise(parse_interpolation(v.cast<std::string>()));
        } else if (key == "mean") {
            o.preprocess.mean = v.cast<std::vector<double>>();
        } else if (key == "std") {
            o.preprocess.std = v.cast<std::vector<double>>();
        } else if (key == "scale") {
            o.preprocess.scale = v.cast<double>();
        } else if (key == "color") {
            o.preprocess.color = value_or_raise(parse_color_order(v.cast<std::string>()));
        } else if (key == "layout") {
            o.preprocess.layout = value_or_raise(parse_layout(v.cast<std::string>()));
        } else {
            raise_invalid(
                "unknown option '" + key +
                "' (threads, precision, engine, engine_cache, max_memory, keep_fp32, sidecar, labels, width, height, "
                "resize, interpolation, mean, std, scale, color, layout)");
        }
    }
}

// Pops the task's own keys from `kw` and returns them; the rest are VisionOptions keys.
template <typename T>
std::optional<T> pop(py::dict& kw, const char* key) {
    if (!kw.contains(key)) return std::nullopt;
    T value = kw[key].cast<T>();
    PyDict_DelItemString(kw.ptr(), key);
    return value;
}

// Images held as views for one call (arrays kept alive in `keep`).
struct Views {
    std::vector<ImageView> views;
    std::vector<py::object> keep;
};
Views views_of(const py::handle& images, bool rgb) {
    Views v;
    for (const auto& item : images) {
        v.keep.emplace_back();
        v.views.push_back(image_view(item, rgb, v.keep.back()));
    }
    return v;
}

std::string quoted(const std::string& s) { return py::repr(py::str(s)); }

template <typename Task>
std::unique_ptr<Task> create_task(const std::string& model, const auto& options) {
    return nogil([&] { return Task::create(model, options); });
}

void bind_results(py::module_& m) {
    py::class_<ClassScore>(m, "ClassScore")
        .def_readonly("index", &ClassScore::index)
        .def_readonly("label", &ClassScore::label)
        .def_readonly("score", &ClassScore::score)
        .def(
            "to_dict",
            [](const ClassScore& c) { return py::dict("index"_a = c.index, "label"_a = c.label, "score"_a = c.score); })
        .def("__repr__", [](const ClassScore& c) {
            return "ClassScore(index=" + std::to_string(c.index) + ", label=" + quoted(c.label) +
                   ", score=" + std::string(py::repr(py::float_(c.score))) + ")";
        });
    // The best class's index, label and score directly on the result (None when nothing passed the threshold).
    auto best = [](const Classification& c) -> const ClassScore* { return c.top.empty() ? nullptr : &c.top[0]; };
    py::class_<Classification>(m, "Classification")
        .def_readonly("top", &Classification::top)
        .def_property_readonly("label",
                               [best](const Classification& c) -> py::object {
                                   return best(c) ? py::object(py::str(best(c)->label)) : py::object(py::none());
                               })
        .def_property_readonly("score",
                               [best](const Classification& c) -> py::object {
                                   return best(c) ? py::object(py::float_(best(c)->score)) : py::object(py::none());
                               })
        .def_property_readonly("index",
                               [best](const Classification& c) -> py::object {
                                   return best(c) ? py::object(py::int_(best(c)->index)) : py::object(py::none());
                               })
        .def("__repr__", [](const Classification& c) {
            return c.top.empty() ? std::string("Classification(top=[])")
                                 : "Classification(label=" + quoted(c.top[0].label) +
                                       ", score=" + std::string(py::repr(py::float_(c.top[0].score))) +
                                       ", top=" + std::to_string(c.top.size()) + ")";
        });

    py::class_<Box>(m, "Box")
        .def_readonly("x1", &Box::x1)
        .def_readonly("y1", &Box::y1)
        .def_readonly("x2", &Box::x2)
        .def_readonly("y2", &Box::y2)
        .def_property_readonly("width", [](const Box& b) { return b.x2 - b.x1; })
        .def_property_readonly("height", [](const Box& b) { return b.y2 - b.y1; })
        .def("__iter__", [](const Box& b) { return py::iter(py::make_tuple(b.x1, b.y1, b.x2, b.y2)); })
        .def("__repr__",
             [](const Box& b) { return "Box(" + std::string(py::repr(py::make_tuple(b.x1, b.y1, b.x2, b.y2))) + ")"; });
    py::class_<Detection>(m, "Detection")
        .def_readonly("box", &Detection::box)
        .def_readonly("class_id", &Detection::class_id)
        .def_readonly("label", &Detection::label)
        .def_readonly("score", &Detection::score)
        .def_readonly("track_id", &Detection::track_id)
        .def("__repr__", [](const Detection& d) {
            return "Detection(label=" + quoted(d.label) + ", score=" + std::string(py::repr(py::float_(d.score))) +
                   ", box=(" + std::to_string(d.box.x1) + ", " + std::to_string(d.box.y1) + ", " +
                   std::to_string(d.box.x2) + ", " + std::to_string(d.box.y2) +
                   "), track_id=" + std::to_string(d.track_id) + ")";
        });

    py::class_<ClassShare>(m, "ClassShare")
        .def_readonly("index", &ClassShare::index)
        .def_readonly("label", &ClassShare::label)
        .def_readonly("share", &ClassShare::share)
        .def_readonly("pixels", &ClassShare::pixels);
    py::class_<Segmentation>(m, "Segmentation")
        .def_readonly("width", &Segmentation::width)
        .def_readonly("height", &Segmentation::height)
        .def_readonly("num_classes", &Segmentation::num_classes)
        .def_readonly("classes", &Segmentation::classes)
        .def_property_readonly("mask", [](const Segmentation& s) {
            py::array_t<int32_t> a({s.height, s.width});
            std::copy(s.mask.begin(), s.mask.end(), a.mutable_data());
            return a;
        });

    py::class_<CharScore>(m, "CharScore")
        .def_readonly("text", &CharScore::text)
        .def_readonly("confidence", &CharScore::confidence)
        .def_readonly("index", &CharScore::index)
        .def_readonly("step", &CharScore::step);
    py::class_<RecognizedText>(m, "RecognizedText")
        .def_readonly("text", &RecognizedText::text)
        .def_readonly("confidence", &RecognizedText::confidence)
        .def_readonly("chars", &RecognizedText::chars)
        .def("__repr__", [](const RecognizedText& r) {
            return "RecognizedText(text=" + quoted(r.text) +
                   ", confidence=" + std::string(py::repr(py::float_(r.confidence))) + ")";
        });
}

void bind_tasks(py::module_& m) {
    py::class_<Classifier>(m, "Classifier")
        .def(py::init([](const std::string& model, py::kwargs kw) {
                 ClassifierOptions o;
                 py::dict d(kw);
                 if (auto v = pop<int>(d, "top_k")) o.top_k = *v;
                 if (auto v = pop<double>(d, "threshold")) o.threshold = *v;
                 if (auto v = pop<std::string>(d, "output")) o.output = *v;
                 fill_vision_options(o, d);
                 return create_task<Classifier>(model, o);
             }),
             py::arg("model"))
        .def(
            "classify",
            [](Classifier& c, const py::handle& image, bool rgb) {
                py::object keep;
                ImageView v = image_view(image, rgb, keep);
                return nogil([&] { return c.classify(v); });
            },
            py::arg("image"), py::kw_only(), py::arg("rgb") = false)
        .def(
            "classify_batch",
            [](Classifier& c, const py::list& images, bool rgb) {
                Views v = views_of(images, rgb);
                return nogil([&] { return c.classify(v.views); });
            },
            py::arg("images"), py::kw_only(), py::arg("rgb") = false)
        .def_property_readonly("labels", &Classifier::labels)
        .def_property_readonly("preprocess_description", &Classifier::preprocess_description);

    py::class_<Detector>(m, "Detector")
        .def(py::init([](const std::string& model, py::kwargs kw) {
                 DetectorOptions o;
                 py::dict d(kw);
                 if (auto v = pop<std::string>(d, "format")) o.format = *v;
                 if (auto v = pop<float>(d, "confidence")) o.confidence_threshold = *v;
                 if (auto v = pop<float>(d, "iou")) o.iou_threshold = *v;
                 if (auto v = pop<int64_t>(d, "max_detections")) o.max_detections = *v;
                 fill_vision_options(o, d);
                 return create_task<Detector>(model, o);
             }),
             py::arg("model"))
        .def(
            "detect",
            [](Detector& det, const py::handle& image, bool rgb) {
                py::object keep;
                ImageView v = image_view(image, rgb, keep);
                return nogil([&] { return det.detect(v); });
            },
            py::arg("image"), py::kw_only(), py::arg("rgb") = false)
        .def(
            "detect_batch",
            [](Detector& det, const py::list& images, bool rgb) {
                Views v = views_of(images, rgb);
                return nogil([&] { return det.detect(v.views); });
            },
            py::arg("images"), py::kw_only(), py::arg("rgb") = false)
        .def_property_readonly("labels", &Detector::labels)
        .def_property_readonly("preprocess_description", &Detector::preprocess_description);

    py::class_<Segmenter>(m, "Segmenter")
        .def(py::init([](const std::string& model, py::kwargs kw) {
                 SegmenterOptions o;
                 py::dict d(kw);
                 if (auto v = pop<std::string>(d, "output")) o.output = *v;
                 fill_vision_options(o, d);
                 return create_task<Segmenter>(model, o);
             }),
             py::arg("model"))
        .def(
            "segment",
            [](Segmenter& s, const py::handle& image, bool rgb) {
                py::object keep;
                ImageView v = image_view(image, rgb, keep);
                return nogil([&] { return s.segment(v); });
            },
            py::arg("image"), py::kw_only(), py::arg("rgb") = false)
        .def_property_readonly("labels", &Segmenter::labels)
        .def_property_readonly("preprocess_description", &Segmenter::preprocess_description);

    py::class_<TextRecognizer>(m, "TextRecognizer")
        .def(py::init([](const std::string& model, py::kwargs kw) {
                 TextRecognizerOptions o;
                 py::dict d(kw);
                 if (auto v = pop<std::string>(d, "charset")) o.charset_path = *v;
                 if (auto v = pop<int64_t>(d, "blank")) o.blank = *v;
                 fill_vision_options(o, d);
                 return create_task<TextRecognizer>(model, o);
             }),
             py::arg("model"))
        .def(
            "recognize",
            [](TextRecognizer& t, const py::handle& image, bool rgb) {
                py::object keep;
                ImageView v = image_view(image, rgb, keep);
                return nogil([&] { return t.recognize(v); });
            },
            py::arg("image"), py::kw_only(), py::arg("rgb") = false);

    py::class_<ClipClassifier>(m, "ClipClassifier")
        .def(py::init([](const std::string& model, py::kwargs kw) {
                 ClipClassifierOptions o;
                 py::dict d(kw);
                 if (auto v = pop<int>(d, "top_k")) o.top_k = *v;
                 if (auto v = pop<double>(d, "threshold")) o.threshold = *v;
                 if (auto v = pop<std::string>(d, "output")) o.output = *v;
                 if (auto v = pop<int64_t>(d, "clip_frames")) o.clip_frames = *v;
                 fill_vision_options(o, d);
                 return create_task<ClipClassifier>(model, o);
             }),
             py::arg("model"))
        .def_property_readonly("clip_frames", &ClipClassifier::clip_frames)
        .def(
            "classify",
            [](ClipClassifier& c, const py::list& clip, bool rgb) {
                Views v = views_of(clip, rgb);
                return nogil([&] { return c.classify(v.views); });
            },
            py::arg("clip"), py::kw_only(), py::arg("rgb") = false)
        .def_property_readonly("labels", &ClipClassifier::labels);
}

// A frame as Python sees it: pixels as an HxWx3 BGR array over the source's buffer.
struct PyFrame {
    py::array image;
    uint64_t seq = 0;
    int64_t timestamp_us = 0;
    std::string source_id;
};

void bind_sources(py::module_& m) {
    py::class_<PyFrame>(m, "Frame")
        .def_readonly("image", &PyFrame::image)
        .def_readonly("seq", &PyFrame::seq)
        .def_readonly("timestamp_us", &PyFrame::timestamp_us)
        .def_property_readonly("timestamp", [](const PyFrame& f) { return f.timestamp_us / 1e6; })
        .def_readonly("source_id", &PyFrame::source_id)
        .def("__repr__", [](const PyFrame& f) {
            return "Frame(source_id=" + quoted(f.source_id) + ", seq=" + std::to_string(f.seq) +
                   ", timestamp_us=" + std::to_string(f.timestamp_us) +
                   ", shape=" + std::string(py::repr(f.image.attr("shape"))) + ")";
        });
    py::class_<FrameSource>(m, "FrameSource")
        .def(py::init([](const std::string& dataspec, double rate, int64_t limit, bool loop, bool recursive, int width,
                         int height, double fps) {
                 SourceOptions o;
                 o.rate = rate;
                 o.limit = limit;
                 o.loop = loop;
                 o.recursive = recursive;
                 o.width = width;
                 o.height = height;
                 o.fps = fps;
                 return nogil([&] { return FrameSource::open(dataspec, o); });
             }),
             py::arg("dataspec"), py::kw_only(), py::arg("rate") = 0.0, py::arg("limit") = 0, py::arg("loop") = false,
             py::arg("recursive") = false, py::arg("width") = 0, py::arg("height") = 0, py::arg("fps") = 0.0)
        .def("__iter__", [](py::object self) { return self; })
        .def("__next__",
             [](FrameSource& s) {
                 std::optional<Result<Frame>> r;
                 {
                     py::gil_scoped_release release;
                     r.emplace(s.next());
                 }
                 if (!r->is_ok() && r->status().code() == StatusCode::kEndOfStream) throw py::stop_iteration();
                 Frame f = value_or_raise(std::move(*r));
                 return PyFrame{image_to_numpy(f.image), f.seq, f.timestamp_us, f.source_id};
             })
        .def("describe", &FrameSource::describe)
        .def_property_readonly("nominal_fps", &FrameSource::nominal_fps);
}

}  // namespace

void bind_vision(py::module_& m) {
    bind_results(m);
    bind_tasks(m);
    bind_sources(m);
}

}  // namespace edgeinfer::python

"""Pipelines (docs/pipeline.md) from Python, with Python custom elements.

    pipeline = edgeinfer.Pipeline.from_file("pipeline.json", on_event=print)
    summary = pipeline.run()          # until the sources end, or pipeline.stop() / Ctrl-C

A config element {"type": "python", "module": "my_elements", "class": "Counter", "config": {...},
"produces": {...}} runs `Counter(config)` (or `Counter()`) and calls its `process(frame, meta)` for every
frame on the element's thread: `frame` is a read-only HxWx3 BGR uint8 view of the pixels, valid during
the call (copy it to keep it), `meta` the frame's metadata as the metadata sink writes it (source_id,
frame_number, timestamp, objects with box, label, confidence, track_id and keys). process returns None,
a dict of frame keys, a list with one dict of keys per input object (by position), or
{"frame": {...}, "objects": [...]}; values are numbers or strings and rules, overlay and sinks see them
(declare them under "produces" so rules may read them). An exception is logged with its traceback
(logger "edgeinfer") and the frame goes on unchanged. The module is imported from the config's folder,
the folders in the entry's "path" and sys.path.
"""
import copy
import importlib
import inspect
import json
import logging
import numbers
import os
import sys
import threading
import traceback
import weakref

from . import _edgeinfer
from ._errors import Error, InvalidArgument, NotFound, error_class

_log = logging.getLogger("edgeinfer")
_PYTHON_KEYS = ("type", "name", "module", "class", "config", "produces", "path")


def _rewrite_python_elements(document, base_directory):
    """The document with each "python" (or "empycustom") element turned into a custom element served by
    _edgeinfer."""
    if not isinstance(document, dict):
        raise InvalidArgument(f"a pipeline config is a JSON object, got {type(document).__name__}")
    doc = copy.deepcopy(document)
    elements = doc.get("elements")
    if not isinstance(elements, list):
        return doc
    for i, e in enumerate(elements):
        # "empycustom" is EDGEMATRIX Stream's name for its Python element (docs/pipeline.md, Accepted spellings).
        if not isinstance(e, dict) or e.get("type") not in ("python", "empycustom"):
            continue
        where = f"/elements/{i}"
        for key in e:
            if key not in _PYTHON_KEYS:
                raise InvalidArgument(f"{where}/{key}: unknown key \"{key}\", expected one of "
                                      + ", ".join(_PYTHON_KEYS))
        for key in ("module", "class"):
            if not isinstance(e.get(key), str) or not e[key]:
                raise InvalidArgument(f"{where}: \"{key}\" must name the Python {key} of the element")
        paths = e.get("path", [])
        paths = [paths] if isinstance(paths, str) else list(paths)
        paths = [os.path.abspath(os.path.join(base_directory, p)) for p in paths]
        paths.append(os.path.abspath(base_directory))
        custom = {"type": "custom", "name": e.get("name", f"python{i}"), "library": _edgeinfer.__file__,
                  "config": {"module": e["module"], "class": e["class"], "config": e.get("config", {}),
                             "path": paths, "name": e.get("name", f"python{i}")}}
        if "produces" in e:
            custom["produces"] = e["produces"]
        elements[i] = custom
    return doc


def _with_context(error, context):
    """The same Error class with "<context>: " before the message."""
    return type(error)(f"{context}: {error}")


class Pipeline:
    """A pipeline built from a config document (a dict) or file; see the module's docs."""

    def __init__(self, document, base_directory=".", *, threads=0, precision="fp32", max_frames=0,
                 metrics_port=-1, drain_seconds=0.0, on_event=None, on_frame=None):
        self._event_callbacks = [on_event] if on_event else []
        self._frame_callbacks = [on_frame] if on_frame else []
        doc = _rewrite_python_elements(document, base_directory)
        me = weakref.ref(self)  # the native pipeline holds these; no cycle through self

        def dispatch_event(event):
            p = me()
            if p is not None:
                p._dispatch(p._event_callbacks, event)

        def dispatch_frame(meta):
            p = me()
            if p is not None:
                p._dispatch(p._frame_callbacks, meta)

        self._native = _edgeinfer.Pipeline(json.dumps(doc), base_directory=os.fspath(base_directory),
                                           threads=int(threads), precision=str(precision),
                                           max_frames=int(max_frames), metrics_port=int(metrics_port),
                                           drain_seconds=float(drain_seconds), on_event=dispatch_event,
                                           on_frame=dispatch_frame)
        self._ran = False

    @classmethod
    def from_file(cls, path, **kwargs):
        """A config file; relative paths resolve against its folder; errors start with the file name."""
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                document = json.load(f)
        except FileNotFoundError:
            raise NotFound(f"{path}: no such config file") from None
        except (OSError, ValueError) as e:
            raise InvalidArgument(f"{path}: cannot read the config: {e}") from None
        try:
            return cls(document, os.path.dirname(os.path.abspath(path)), **kwargs)
        except Error as e:
            raise _with_context(e, path) from None

    @classmethod
    def from_dict(cls, document, base_directory=".", **kwargs):
        """A config document as a dict (the JSON format of docs/pipeline.md)."""
        return cls(document, base_directory, **kwargs)

    def on_event(self, callback):
        """Adds a callback for each rule firing (a PipelineEvent); usable as a decorator."""
        self._event_callbacks.append(callback)
        return callback

    def on_frame(self, callback):
        """Adds a callback for each frame's metadata (a FrameMetadata); usable as a decorator."""
        self._frame_callbacks.append(callback)
        return callback

    @staticmethod
    def _dispatch(callbacks, value):
        for cb in callbacks:
            try:
                cb(value)
            except Exception:  # a callback's bug must not stop the pipeline
                _log.error("pipeline callback %r raised:\n%s", cb, traceback.format_exc())

    def run(self):
        """Runs until every source has ended or stop(); returns a PipelineSummary. The pipeline runs on a
        helper thread without the GIL while this one waits, so Ctrl-C (KeyboardInterrupt) stops it, waits
        for the frames already read and is raised again. Callbacks run on that helper thread, in order (a
        frame's events before its metadata); one that raises is logged and the pipeline goes on."""
        if self._ran:
            raise InvalidArgument("a pipeline runs once; build a new one")
        self._ran = True
        result = {}

        def work():
            try:
                result["summary"] = self._native.run()
            except BaseException as e:  # noqa: BLE001 - handed to the caller's thread
                result["error"] = e

        t = threading.Thread(target=work, name="edgeinfer-pipeline", daemon=True)
        t.start()
        interrupted = None
        while t.is_alive():
            try:
                t.join(0.1)
            except KeyboardInterrupt as e:
                interrupted = e
                self.stop()
        if "error" in result:
            raise result["error"]
        if interrupted is not None:
            raise interrupted
        return result["summary"]

    def stop(self):
        """Asks the sources to stop; frames already read still go through. Any thread."""
        self._native.stop()

    def drain_events(self, timeout_seconds=5.0):
        return self._native.drain_events(float(timeout_seconds))

    @property
    def source_ids(self):
        return list(self._native.source_ids)

    @property
    def metrics_port(self):
        return self._native.metrics_port

    def metrics_text(self):
        return self._native.metrics_text()


# ---- the Python element, called from element.cpp ----

class _Element:
    __slots__ = ("name", "instance")

    def __init__(self, name, instance):
        self.name = name
        self.instance = instance


def _create_element(config_json):
    cfg = json.loads(config_json)
    for p in reversed(cfg.get("path", [])):
        if p not in sys.path:
            sys.path.insert(0, p)
    name = cfg.get("name", "python")
    try:
        module = importlib.import_module(cfg["module"])
    except Exception as e:
        raise ImportError(f"python element {name}: cannot import module '{cfg['module']}': "
                          f"{type(e).__name__}: {e}") from None
    cls = getattr(module, cfg["class"], None)
    if cls is None:
        raise AttributeError(f"python element {name}: module '{cfg['module']}' has no class '{cfg['class']}'")
    if not callable(getattr(cls, "process", None)):
        raise TypeError(f"python element {name}: class '{cfg['class']}' has no process(frame, meta) method")
    try:
        takes_config = len(inspect.signature(cls).parameters) > 0
    except (TypeError, ValueError):
        takes_config = False
    instance = cls(cfg.get("config", {})) if takes_config else cls()
    return _Element(name, instance)


def _scalars(values):
    out = {}
    if not isinstance(values, dict):
        raise TypeError(f"expected a dict of keys, got {type(values).__name__}")
    for k, v in values.items():
        if isinstance(v, bool):
            out[str(k)] = int(v)
        elif isinstance(v, numbers.Real):
            out[str(k)] = float(v)
        elif isinstance(v, str):
            out[str(k)] = v
        # lists, dicts and None (e.g. an input object's own box) are not keys: left out
    return out


def _result_json(result):
    if result is None:
        return None
    if isinstance(result, dict) and result and set(result) <= {"frame", "objects"}:
        frame, objects = result.get("frame"), result.get("objects")
    elif isinstance(result, dict):
        frame, objects = result, None
    elif isinstance(result, (list, tuple)):
        frame, objects = None, result
    else:
        raise TypeError(f"process returned {type(result).__name__}; expected None, a dict of frame keys, "
                        "a list of per-object dicts or {\"frame\": ..., \"objects\": ...}")
    out = {}
    if frame:
        out["frame"] = _scalars(frame)
    if objects:
        out["objects"] = [_scalars(o or {}) for o in objects]
    return json.dumps(out)


def _process_frame(element, pixels, source_id, frame_number, timestamp_us, metadata_json):
    """(0, result JSON or None), or (1, message) after logging the traceback."""
    try:
        meta = json.loads(metadata_json)
        return 0, _result_json(element.instance.process(pixels, meta))
    except Exception as e:
        _log.error("python element %s: error on %s frame %d:\n%s", element.name, source_id, frame_number,
                   traceback.format_exc().rstrip())
        return 1, f"{type(e).__name__}: {e} (traceback logged)"


__all__ = ["Pipeline", "error_class"]

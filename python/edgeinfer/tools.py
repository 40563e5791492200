"""The model tools as functions (the calls behind `edgeinfer inspect|optimize|compare|quantize`).

Each returns a report: attribute access to its fields (report.passes[0].name, report.first_mismatch.node),
`to_dict()` for the plain data; errors are edgeinfer.Error subclasses with the messages the CLI prints.

    inspect(model, check=False)
    optimize(input, output, level="all", passes=(), skip=(), static_shapes={}, dynamic_batch=False, opset=0,
             verify="each"|"end"|"none", rtol=1e-4, atol=1e-5, seed=0, threads=0)
    compare(a, b="", references=(), inputs={name: file.npy}, shapes={name: dims}, seed=0, rtol=1e-4,
            atol=1e-5, threads=0, bisect=False)
    quantize(model, output, calibration=(), method="minmax", percentile=99.99, per_channel=False, samples=0,
             exclude=(), threads=0)
"""
import copy
import os

from . import _edgeinfer


class Report:
    """A tool's report: fields as attributes (nested records and lists of records too), to_dict()."""

    __slots__ = ("_kind", "_data")

    def __init__(self, kind, data):
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name):
        try:
            return _wrap(self._kind, self._data[name])
        except KeyError:
            raise AttributeError(f"{self._kind} has no field '{name}' (fields: {', '.join(self._data)})") from None

    def __setattr__(self, name, value):
        raise AttributeError(f"{self._kind} is read-only")

    def __dir__(self):
        return list(self._data) + ["to_dict"]

    def __eq__(self, other):
        return isinstance(other, Report) and self._data == other._data

    def to_dict(self):
        return copy.deepcopy(self._data)

    def __repr__(self):
        shown = ", ".join(f"{k}={v!r}" for k, v in self._data.items() if not isinstance(v, (list, dict)))
        return f"{self._kind}({shown})"


def _wrap(kind, value):
    if isinstance(value, dict):
        return Report(kind, value)
    if isinstance(value, list):
        return [_wrap(kind, v) for v in value]
    return value


def _paths(values):
    return [os.fspath(v) for v in values]


def inspect(model, check=False):
    """What a model is, what it costs (MACs), whether edgeinfer runs it: a ModelInfo report."""
    return Report("ModelInfo", _edgeinfer.inspect(os.fspath(model), bool(check)))


def optimize(input, output, *, level="all", passes=(), skip=(), static_shapes=None, dynamic_batch=False, opset=0,
             verify="each", rtol=1e-4, atol=1e-5, seed=0, threads=0):
    """Runs the pass pipeline on `input`, verifying each pass, and writes `output`: an OptimizeReport."""
    return Report("OptimizeReport", _edgeinfer.optimize(
        os.fspath(input), os.fspath(output), level=str(level), passes=list(passes), skip=list(skip),
        static_shapes={k: list(v) for k, v in (static_shapes or {}).items()}, dynamic_batch=bool(dynamic_batch),
        opset=int(opset), verify=str(verify), rtol=float(rtol), atol=float(atol), seed=int(seed),
        threads=int(threads)))


def compare(a, b="", *, references=(), inputs=None, shapes=None, seed=0, rtol=1e-4, atol=1e-5, threads=0,
            bisect=False):
    """The first value that differs between models `a` and `b` (or `a` and `references`): a CompareReport."""
    return Report("CompareReport", _edgeinfer.compare(
        os.fspath(a), os.fspath(b), references=_paths(references),
        inputs={k: os.fspath(v) for k, v in (inputs or {}).items()},
        shapes={k: list(v) for k, v in (shapes or {}).items()}, seed=int(seed), rtol=float(rtol), atol=float(atol),
        threads=int(threads), bisect=bool(bisect)))


def quantize(model, output, *, calibration=(), method="minmax", percentile=99.99, per_channel=False, samples=0,
             exclude=(), threads=0):
    """Post-training static int8 quantization of `model` to a QDQ model `output`: a QuantizeReport."""
    return Report("QuantizeReport", _edgeinfer.quantize(
        os.fspath(model), os.fspath(output), calibration=_paths(calibration), method=str(method),
        percentile=float(percentile), per_channel=bool(per_channel), samples=int(samples), exclude=list(exclude),
        threads=int(threads)))


__all__ = ["Report", "inspect", "optimize", "compare", "quantize"]

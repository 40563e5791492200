"""InferenceSession: an edgeinfer::Session shaped like onnxruntime.InferenceSession."""
import os

import numpy as np

from . import _edgeinfer
from ._errors import InvalidArgument

# ONNX Runtime's type strings, by edgeinfer dtype name.
_ORT_TYPES = {"float32": "tensor(float)", "float64": "tensor(double)", "float16": "tensor(float16)",
              "bfloat16": "tensor(bfloat16)", "bool": "tensor(bool)", "string": "tensor(string)"}


class NodeArg:
    """A model input or output: `name`, `shape` (ints; symbolic dims as their name, unnamed ones None),
    `type` (ONNX Runtime's spelling, "tensor(float)") and `dtype` (the numpy dtype)."""

    __slots__ = ("name", "shape", "type", "dtype")

    def __init__(self, name, shape, dtype_name):
        self.name = name
        self.shape = shape
        self.type = _ORT_TYPES.get(dtype_name, f"tensor({dtype_name})")
        try:
            self.dtype = np.dtype(dtype_name) if dtype_name != "string" else np.dtype(object)
        except TypeError:
            self.dtype = None  # bfloat16: numpy has none

    def __repr__(self):
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape!r})"


class InferenceSession:
    """Loads a model once and runs it many times.

    InferenceSession(path_or_bytes, threads=0, precision="fp32", keep_fp32=(), engine="", max_memory=0,
                     engine_cache="", time_limit_ms=0, tactics="fast")

    threads: 0 uses every core; precision: "fp32", "bf16" or "int8"; keep_fp32: node names that stay fp32;
    engine: an engine file to load from (and build when missing, see save_engine); engine_cache: an engine
    cache folder (built on first use, reused after; engine_report() has cache_entry and cache_written; give
    engine or engine_cache); max_memory: a byte limit
    for one run (0: physical memory); time_limit_ms: a time limit for one run, 0 for none (a Loop that runs
    longer raises ResourceExhausted); tactics: "fast", "timed" or "direct-only" (docs/tactics.md). `sess_options` and `providers` are accepted for ONNX Runtime
    compatibility and ignored.
    """

    def __init__(self, path_or_bytes, sess_options=None, providers=None, provider_options=None, *, threads=0,
                 precision="fp32", keep_fp32=(), engine="", max_memory=0, optimization="all", profiling=False,
                 engine_cache="", time_limit_ms=0, tactics="fast", **kwargs):
        del sess_options, providers, provider_options, kwargs
        if not isinstance(path_or_bytes, (bytes, bytearray)):
            path_or_bytes = os.fspath(path_or_bytes)
        else:
            path_or_bytes = bytes(path_or_bytes)
        self._model_path = path_or_bytes if isinstance(path_or_bytes, str) else None
        self._session = _edgeinfer.Session(path_or_bytes, threads=int(threads), precision=str(precision),
                                           keep_fp32=list(keep_fp32), engine=os.fspath(engine),
                                           max_memory=int(max_memory), optimization=str(optimization),
                                           profiling=bool(profiling), engine_cache=os.fspath(engine_cache),
                                           time_limit_ms=int(time_limit_ms), tactics=str(tactics))
        self._inputs = [NodeArg(*v) for v in self._session.inputs()]
        self._outputs = [NodeArg(*v) for v in self._session.outputs()]

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def get_providers(self):
        return ["CPUExecutionProvider"]

    def run(self, output_names, input_feed, run_options=None):
        """Runs the model on `input_feed` ({name: array}); returns the outputs named in `output_names`
        (None: all, in model order) as numpy arrays. Inputs that are C-contiguous arrays of the model's
        dtype are read in place; others are copied first."""
        del run_options
        if not isinstance(input_feed, dict):
            raise InvalidArgument(f"input_feed must be a dict of name -> array, got {type(input_feed).__name__}")
        results = self._session.run(input_feed)
        if output_names is None:
            return [array for _, array in results]
        by_name = dict(results)
        out = []
        for name in output_names:
            if name not in by_name:
                known = ", ".join(o.name for o in self._outputs)
                raise InvalidArgument(f"{self._model_path or 'model'}: unknown output '{name}' (outputs: {known})")
            out.append(by_name[name])
        return out

    def run_into(self, input_feed, outputs):
        """Runs the model, writing the outputs named in `outputs` ({name: array}) into those arrays, which
        must be C-contiguous, writeable and of the output's dtype and shape (ONNX Runtime's IO binding)."""
        if not isinstance(input_feed, dict) or not isinstance(outputs, dict):
            raise InvalidArgument("run_into takes two dicts: {input name: array}, {output name: array}")
        self._session.run_into(input_feed, outputs)

    @property
    def last_copied_inputs(self):
        """Names of the inputs the last run had to copy (not C-contiguous, not an array); [] when every
        input was read in place from the caller's memory."""
        return list(self._session.last_copied_inputs)

    def save_engine(self, path):
        self._session.save_engine(os.fspath(path))

    def engine_report(self):
        return self._session.engine_report()

    def profile(self):
        return self._session.profile()

    @property
    def plan_count(self):
        return self._session.plan_count

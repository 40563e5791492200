# Type stubs for the edgeinfer package (docs/api.md, "Python").
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, Union
import os

import numpy as np
import numpy.typing as npt

__version__: str

class Error(Exception):
    code: str
    code_value: int
    message: str
class InvalidArgument(Error, ValueError): ...
class NotFound(Error, LookupError): ...
class InvalidModel(Error): ...
class Unsupported(Error): ...
class IoError(Error, OSError): ...
class OutOfRange(Error): ...
class Internal(Error): ...
class EndOfStream(Error): ...
class SourceLost(Error): ...
class Cancelled(Error): ...
class ResourceExhausted(Error, MemoryError): ...

_Path = Union[str, os.PathLike[str]]
_Image = npt.NDArray[np.uint8]

class NodeArg:
    name: str
    shape: list[Union[int, str, None]]
    type: str
    dtype: Optional[np.dtype[Any]]

class InferenceSession:
    def __init__(self, path_or_bytes: Union[_Path, bytes], sess_options: Any = ..., providers: Any = ...,
                 provider_options: Any = ..., *, threads: int = 0, precision: str = "fp32",
                 keep_fp32: Sequence[str] = (), engine: _Path = "", max_memory: int = 0, optimization: str = "all",
                 profiling: bool = False, engine_cache: _Path = "", time_limit_ms: int = 0, tactics: str = "fast",
                 **kwargs: Any) -> None: ...
    def get_inputs(self) -> list[NodeArg]: ...
    def get_outputs(self) -> list[NodeArg]: ...
    def get_providers(self) -> list[str]: ...
    def run(self, output_names: Optional[Sequence[str]], input_feed: Mapping[str, Any],
            run_options: Any = ...) -> list[np.ndarray]: ...
    def run_into(self, input_feed: Mapping[str, Any], outputs: Mapping[str, np.ndarray]) -> None: ...
    @property
    def last_copied_inputs(self) -> list[str]: ...
    def save_engine(self, path: _Path) -> None: ...
    def engine_report(self) -> dict[str, Any]: ...
    def profile(self) -> list[dict[str, Any]]: ...
    @property
    def plan_count(self) -> int: ...

class ClassScore:
    index: int
    label: str
    score: float
    def to_dict(self) -> dict[str, Any]: ...
class Classification:
    top: list[ClassScore]
    label: Optional[str]
    score: Optional[float]
    index: Optional[int]
class Box:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    height: float
    def __iter__(self) -> Iterator[float]: ...
class Detection:
    box: Box
    class_id: int
    label: str
    score: float
    track_id: int
class ClassShare:
    index: int
    label: str
    share: float
    pixels: int
class Segmentation:
    width: int
    height: int
    num_classes: int
    classes: list[ClassShare]
    mask: npt.NDArray[np.int32]
class CharScore:
    text: str
    confidence: float
    index: int
    step: int
class RecognizedText:
    text: str
    confidence: float
    chars: list[CharScore]

class Classifier:
    def __init__(self, model: str, **options: Any) -> None: ...
    def classify(self, image: _Image, *, rgb: bool = False) -> Classification: ...
    def classify_batch(self, images: list[_Image], *, rgb: bool = False) -> list[Classification]: ...
    labels: list[str]
    preprocess_description: str
class Detector:
    def __init__(self, model: str, **options: Any) -> None: ...
    def detect(self, image: _Image, *, rgb: bool = False) -> list[Detection]: ...
    def detect_batch(self, images: list[_Image], *, rgb: bool = False) -> list[list[Detection]]: ...
    labels: list[str]
    preprocess_description: str
class Segmenter:
    def __init__(self, model: str, **options: Any) -> None: ...
    def segment(self, image: _Image, *, rgb: bool = False) -> Segmentation: ...
    labels: list[str]
    preprocess_description: str
class TextRecognizer:
    def __init__(self, model: str, **options: Any) -> None: ...
    def recognize(self, image: _Image, *, rgb: bool = False) -> RecognizedText: ...
class ClipClassifier:
    def __init__(self, model: str, **options: Any) -> None: ...
    clip_frames: int
    labels: list[str]
    def classify(self, clip: list[_Image], *, rgb: bool = False) -> Classification: ...

class Frame:
    image: _Image
    seq: int
    timestamp_us: int
    timestamp: float
    source_id: str
class FrameSource(Iterator[Frame]):
    def __next__(self) -> Frame: ...
    def describe(self) -> str: ...
    nominal_fps: float
def open_source(dataspec: _Path, rate: float = 0.0, limit: int = 0, *, loop: bool = False, recursive: bool = False,
                width: int = 0, height: int = 0, fps: float = 0.0) -> FrameSource: ...

class PipelineObject(Detection):
    fields: dict[str, Union[float, str]]
class FrameMetadata:
    source_id: str
    frame_number: int
    timestamp_us: int
    width: int
    height: int
    objects: list[PipelineObject]
    ended_objects: list[PipelineObject]
    fields: dict[str, Union[float, str]]
class PipelineEvent:
    event_id: str
    rule_name: str
    action: str
    source_id: str
    frame_number: int
    timestamp_us: int
    object: Optional[PipelineObject]
    object_count: int
    width: int
    height: int
    frame_fields: dict[str, Union[float, str]]
    clip: str
    clip_error: str
class PipelineSourceError:
    source_id: str
    dataspec: str
    code: str
    message: str
class PipelineSummary:
    frames: int
    dropped: int
    events: int
    source_errors: list[PipelineSourceError]
    lines: list[str]
    clips_lost: int
    events_refused: int
    incomplete_clips_removed: int
    stopped: bool

class Pipeline:
    def __init__(self, document: Mapping[str, Any], base_directory: _Path = ".", *, threads: int = 0,
                 precision: str = "fp32", max_frames: int = 0, metrics_port: int = -1,
                 on_event: Optional[Callable[[PipelineEvent], None]] = None,
                 on_frame: Optional[Callable[[FrameMetadata], None]] = None) -> None: ...
    @classmethod
    def from_file(cls, path: _Path, **kwargs: Any) -> "Pipeline": ...
    @classmethod
    def from_dict(cls, document: Mapping[str, Any], base_directory: _Path = ".", **kwargs: Any) -> "Pipeline": ...
    def on_event(self, callback: Callable[[PipelineEvent], None]) -> Callable[[PipelineEvent], None]: ...
    def on_frame(self, callback: Callable[[FrameMetadata], None]) -> Callable[[FrameMetadata], None]: ...
    def run(self) -> PipelineSummary: ...
    def stop(self) -> None: ...
    def drain_events(self, timeout_seconds: float = 5.0) -> bool: ...
    @property
    def source_ids(self) -> list[str]: ...
    @property
    def metrics_port(self) -> int: ...
    def metrics_text(self) -> str: ...

class Report:
    def __getattr__(self, name: str) -> Any: ...
    def to_dict(self) -> dict[str, Any]: ...
def inspect(model: _Path, check: bool = False) -> Report: ...
def optimize(input: _Path, output: _Path, *, level: str = "all", passes: Sequence[str] = (), skip: Sequence[str] = (),
             static_shapes: Optional[Mapping[str, Sequence[int]]] = None, dynamic_batch: bool = False, opset: int = 0,
             verify: str = "each", rtol: float = 1e-4, atol: float = 1e-5, seed: int = 0,
             threads: int = 0) -> Report: ...
def compare(a: _Path, b: _Path = "", *, references: Sequence[_Path] = (), inputs: Optional[Mapping[str, _Path]] = None,
            shapes: Optional[Mapping[str, Sequence[int]]] = None, seed: int = 0, rtol: float = 1e-4,
            atol: float = 1e-5, threads: int = 0, bisect: bool = False) -> Report: ...
def quantize(model: _Path, output: _Path, *, calibration: Sequence[_Path] = (), method: str = "minmax",
             percentile: float = 99.99, per_channel: bool = False, samples: int = 0, exclude: Sequence[str] = (),
             threads: int = 0) -> Report: ...

"""edgeinfer: ONNX inference, vision tasks and stream pipelines on CPUs (docs/api.md, "Python").

    import edgeinfer
    sess = edgeinfer.InferenceSession("model.onnx", threads=2)
    (logits,) = sess.run(None, {sess.get_inputs()[0].name: x})
"""
from . import _edgeinfer
from ._errors import (Cancelled, EndOfStream, Error, Internal, InvalidArgument, InvalidModel, IoError, NotFound,
                      OutOfRange, ResourceExhausted, SourceLost, Unsupported)
from ._edgeinfer import FrameMetadata, PipelineEvent, PipelineObject, PipelineSourceError, PipelineSummary
from .pipeline import Pipeline
from .session import InferenceSession, NodeArg
from .tools import Report, compare, inspect, optimize, quantize
from .vision import (Box, CharScore, Classification, ClassScore, ClassShare, ClipClassifier, Classifier, Detection,
                     Detector, Frame, FrameSource, RecognizedText, Segmentation, Segmenter, TextRecognizer,
                     open_source)

__version__ = _edgeinfer.__version__

__all__ = ["Error", "InvalidArgument", "NotFound", "InvalidModel", "Unsupported", "IoError", "OutOfRange",
           "Internal", "EndOfStream", "SourceLost", "Cancelled", "ResourceExhausted", "InferenceSession",
           "NodeArg", "Box", "CharScore", "Classification", "ClassScore", "ClassShare", "ClipClassifier",
           "Classifier", "Detection", "Detector", "Frame", "FrameSource", "RecognizedText", "Segmentation",
           "Segmenter", "TextRecognizer", "open_source", "Pipeline", "PipelineEvent", "PipelineObject", "FrameMetadata",
           "PipelineSourceError", "PipelineSummary", "Report", "inspect", "optimize", "compare", "quantize",
           "__version__"]

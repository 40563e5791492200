"""Vision tasks over numpy images (HxWx3 uint8, BGR as OpenCV gives them; rgb=True for RGB) and frame
sources yielding numpy frames.

Each task takes the model path and keyword options: its own (Classifier: top_k, threshold, output;
Detector: format, confidence, iou, max_detections; Segmenter: output; TextRecognizer: charset, blank;
ClipClassifier: top_k, threshold, output, clip_frames), the session's (threads, precision, engine,
engine_cache, max_memory, keep_fp32) and overrides of the sidecar's preprocessing (sidecar, labels, width, height,
resize, interpolation, mean, std, scale, color, layout)."""
from ._edgeinfer import (Box, Classification, ClassScore, ClassShare, CharScore, ClipClassifier, Classifier,
                         Detection, Detector, Frame, FrameSource, RecognizedText, Segmentation, Segmenter,
                         TextRecognizer)


def open_source(dataspec, rate=0.0, limit=0, *, loop=False, recursive=False, width=0, height=0, fps=0.0):
    """Frames from DATASPEC (folder, image, video file, /dev/videoN, v4l2:N, tcp://HOST:PORT, ipc://PATH,
    pattern:WxH), as an iterator of Frame (image: HxWx3 BGR uint8 array, seq, timestamp_us, timestamp in
    seconds, source_id). rate: at most this many frames a second; limit: stop after this many frames."""
    return FrameSource(str(dataspec), rate=float(rate), limit=int(limit), loop=loop, recursive=recursive,
                       width=int(width), height=int(height), fps=float(fps))


__all__ = ["Box", "Classification", "ClassScore", "ClassShare", "CharScore", "ClipClassifier", "Classifier",
           "Detection", "Detector", "Frame", "FrameSource", "RecognizedText", "Segmentation", "Segmenter",
           "TextRecognizer", "open_source"]

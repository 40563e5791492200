#!/usr/bin/python3
"""Detect, track and classify each tracked object, the edgeinfer way (EDGEMATRIX "Sample Torch Apps", app 2):
input -> detector -> tracker -> a Python element that classifies each tracked object's crop with a
classifier (squeezenet) -> overlay -> metadata, and a rule that publishes every newly classified object.

    track_classify.py DETECTOR.onnx CLASSIFIER.onnx INPUT OUTDIR [--max-frames N]

The classifier runs on a crop once per track (and again every --every frames); its answer becomes the
object keys crop_predicted_class (drawn by the overlay after the detector's label, like a classifier
element's <prefix>predicted_class) and crop_probability, which the metadata sink and rules see too.
"""
import argparse
import os
import sys

import numpy as np

import edgeinfer

IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "color": "rgb", "scale": 1.0}


class CropClassifier:
    """The Python element: process(frame, meta) gets the BGR pixels and the frame's tracked objects."""

    def __init__(self, config):
        self.classifier = edgeinfer.Classifier(config["model"], top_k=1, threads=config.get("threads", 1),
                                               **IMAGENET)
        self.every = config.get("every", 0)
        self.known = {}  # (source, track id) -> (frame number, class, probability)

    def process(self, frame, meta):
        keys = []
        h, w = frame.shape[:2]
        for obj in meta["objects"]:
            track = obj.get("track_id", -1)
            if track is None or track < 0:
                keys.append({})
                continue
            key = (meta["source_id"], track)
            seen = self.known.get(key)
            new = 0
            if seen is None or (self.every and meta["frame_number"] - seen[0] >= self.every):
                x1, y1, x2, y2 = (int(round(v)) for v in obj["box"])
                crop = frame[max(0, y1):min(h, y2), max(0, x1):min(w, x2)]
                if crop.size == 0:
                    keys.append({})
                    continue
                r = self.classifier.classify(np.ascontiguousarray(crop))
                label = r.label or f"class_{r.index}"
                seen = (meta["frame_number"], label, r.score)
                self.known[key] = seen
                new = 1
            keys.append({"crop_predicted_class": seen[1], "crop_probability": seen[2], "crop_new": new})
        return keys


def pipeline_config(detector, classifier, source, outdir, every):
    here = os.path.dirname(os.path.abspath(__file__))
    return {
        "sources": [{"id": "input", "uri": source}],
        "elements": [
            {"type": "infer", "name": "detector", "role": "detector", "model": os.path.abspath(detector),
             "confidence_threshold": 0.5},
            {"type": "tracker", "name": "tracker", "mode": "sort", "min_hits": 2, "max_age": 5},
            {"type": "python", "name": "crop_classifier", "module": "track_classify", "class": "CropClassifier",
             "path": [here], "config": {"model": os.path.abspath(classifier), "every": every},
             "produces": {"crop_predicted_class": {"scope": "object", "type": "string"},
                          "crop_probability": {"scope": "object", "type": "number"},
                          "crop_new": {"scope": "object", "type": "number"}}},
            {"type": "overlay", "name": "overlay"},
        ],
        "sinks": [
            {"id": "meta", "type": "metadata", "path": os.path.join(outdir, "metadata.jsonl")},
            {"id": "video", "type": "video", "path": os.path.join(outdir, "annotated.avi")},
            {"id": "events", "type": "file", "path": os.path.join(outdir, "events.jsonl")},
        ],
        "action_rules": [{
            "rule_name": "object_classified",
            "and": [{"key": "crop_new", "operator": "==", "value": 1}],
            "action": {"type": "publish", "sinks": ["events"]},
        }],
        "spool_directory": os.path.join(outdir, "spool"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("detector")
    ap.add_argument("classifier")
    ap.add_argument("input")
    ap.add_argument("outdir")
    ap.add_argument("--every", type=int, default=0, help="classify a track again every N frames (0: once)")
    ap.add_argument("--max-frames", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    config = pipeline_config(a.detector, a.classifier, a.input, a.outdir, a.every)

    def on_event(e):
        o = e.object
        print(f"{e.rule_name}: frame {e.frame_number} track {o.track_id} {o.fields.get('crop_predicted_class')} "
              f"p={o.fields.get('crop_probability', 0):.3f}", flush=True)

    try:
        p = edgeinfer.Pipeline.from_dict(config, threads=a.threads, max_frames=a.max_frames, on_event=on_event)
        summary = p.run()
        p.drain_events(5.0)
    except edgeinfer.Error as e:
        print(f"track_classify: {e.code}: {e}", file=sys.stderr)
        return 1
    print(f"{summary.frames} frames, {summary.events} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())

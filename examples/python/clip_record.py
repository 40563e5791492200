#!/usr/bin/python3
"""Action recognition with recording, the edgeinfer way (EDGEMATRIX "Sample Torch Apps", app 1):
input -> clip classifier (r3d_18, 16-frame clips at 112x112) -> overlay -> metadata, and a rule that records
a clip whenever the clip class's probability reaches a threshold.

    clip_record.py MODEL.onnx INPUT OUTDIR [--threshold P] [--stride S] [--max-frames N]

MODEL.json next to the model gives its preprocessing, e.g. for torchvision's r3d_18:
{"task": "video", "layout": "NCTHW", "frames": 16, "input_shape": [1, 3, 16, 112, 112], "color_order": "RGB",
 "scale": 0.00392156862745098, "mean": [0.43216, 0.394666, 0.37645], "std": [0.22803, 0.22145, 0.216989],
 "labels": [...]}. INPUT is any DATASPEC (video file, camera, tcp://...). OUTDIR receives metadata.jsonl,
events.jsonl, annotated.avi and clips/. Prints one line per event.
"""
import argparse
import os
import sys

import edgeinfer


def pipeline_config(model, source, outdir, threshold, stride):
    return {
        "sources": [{"id": "input", "uri": source}],
        "elements": [
            {"type": "clip_classifier", "name": "action", "model": os.path.abspath(model), "window": 16,
             "stride": stride, "key_prefix": "clip_"},
            {"type": "overlay", "name": "overlay"},
        ],
        "sinks": [
            {"id": "meta", "type": "metadata", "path": os.path.join(outdir, "metadata.jsonl")},
            {"id": "video", "type": "video", "path": os.path.join(outdir, "annotated.avi")},
            {"id": "events", "type": "file", "path": os.path.join(outdir, "events.jsonl")},
        ],
        "action_rules": [{
            "rule_name": "confident_action",
            "and": [{"key": "clip_probability", "operator": ">=", "value": threshold}],
            "action": {"type": "record", "pre_seconds": 1, "duration_in_seconds": 1, "max_duration_in_seconds": 10,
                       "directory": os.path.join(outdir, "clips"), "sinks": ["events"]},
        }],
        "spool_directory": os.path.join(outdir, "spool"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("input")
    ap.add_argument("outdir")
    ap.add_argument("--threshold", type=float, default=0.5, help="record when clip_probability >= this")
    ap.add_argument("--stride", type=int, default=8, help="classify every S frames")
    ap.add_argument("--max-frames", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)

    def on_event(e):
        print(f"{e.rule_name}: frame {e.frame_number} {e.frame_fields.get('clip_class')} "
              f"p={e.frame_fields.get('clip_probability', 0):.3f} clip={e.clip or e.clip_error}", flush=True)

    try:
        p = edgeinfer.Pipeline.from_dict(pipeline_config(a.model, a.input, a.outdir, a.threshold, a.stride),
                                         threads=a.threads, max_frames=a.max_frames, on_event=on_event)
        summary = p.run()
        p.drain_events(5.0)
    except edgeinfer.Error as e:
        print(f"clip_record: {e.code}: {e}", file=sys.stderr)
        return 1
    print(f"{summary.frames} frames, {summary.events} events")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Test models for the vision commands (CTest fixture `classify_models`), written into OUTDIR:

  shapes_b4.onnx   the bundled models/shapes.onnx with its batch fixed at 4 (the runner batches frames)
  trend.onnx       a video "classifier" over N x 3 x T=4 x 32 x 32 clips with a known answer: logits
                   (brightening, darkening, steady) from the mean brightness of the clip's last frame
                   minus its first; trend.json is its sidecar (layout NCTHW, frames 4, labels)
  shapes_nosidecar.onnx  a copy of shapes.onnx without a sidecar (default preprocessing path)
  mlp.onnx         a model whose input is no image (1 x 10), for the error test

    /usr/bin/python3 make_classify_models.py models/shapes.onnx OUTDIR
"""
import json
import os
import shutil
import sys

import onnx
import torch


class Trend(torch.nn.Module):
    def forward(self, x):
        first = x[:, :, 0].mean(dim=(1, 2, 3))
        last = x[:, :, -1].mean(dim=(1, 2, 3))
        d = (last - first) * 20.0
        return torch.stack([d, -d, torch.full_like(d, 0.5)], dim=1)


def main():
    shapes, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)

    m = onnx.load(shapes)
    for v in list(m.graph.input) + list(m.graph.output):
        v.type.tensor_type.shape.dim[0].ClearField("dim_param")
        v.type.tensor_type.shape.dim[0].dim_value = 4
    onnx.save(m, os.path.join(out, "shapes_b4.onnx"))
    shutil.copyfile(os.path.join(os.path.dirname(shapes), "shapes.json"), os.path.join(out, "shapes_b4.json"))
    shutil.copyfile(shapes, os.path.join(out, "shapes_nosidecar.onnx"))

    torch.onnx.export(Trend(), torch.zeros(1, 3, 4, 32, 32), os.path.join(out, "trend.onnx"), opset_version=13,
                      input_names=["input"], output_names=["logits"])
    sidecar = {"task": "video", "input": "input", "input_shape": [1, 3, 4, 32, 32], "layout": "NCTHW",
               "color_order": "RGB", "scale": 1.0 / 255.0, "mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0],
               "frames": 4, "num_classes": 3, "labels": ["brightening", "darkening", "steady"]}
    with open(os.path.join(out, "trend.json"), "w") as f:
        json.dump(sidecar, f, indent=1)
    torch.onnx.export(torch.nn.Linear(10, 3), torch.zeros(1, 10), os.path.join(out, "mlp.onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"])
    print("wrote shapes_b4.onnx, shapes_nosidecar.onnx, trend.onnx, mlp.onnx (+ sidecars) in " + out)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Exports torchvision architectures with seeded random weights to ONNX, for tests.

Usage: export_torchvision.py OUTDIR MODEL[:HxW] ... [--opset K] [--keep-batchnorm] [--reference]

Writes OUTDIR/MODEL.onnx and OUTDIR/MODEL.facts.json (PyTorch's own parameter count and
the input shape) so tests can compare edgeinfer against PyTorch. With --reference it also
writes MODEL.input.npy / MODEL.output.npy (seeded input, PyTorch's output) at batch 1 and
MODEL.b4.input.npy / MODEL.b4.output.npy at batch 4 (the export has a dynamic batch axis). Existing files are reused,
so one CTest run exports each model once. Never downloads weights.
"""
import argparse
import json
import os
import sys

import torch
import torchvision


def build(name):
    torch.manual_seed(0)
    factory = getattr(torchvision.models, name, None)
    if factory is None:
        sys.exit(f"export_torchvision: unknown torchvision model '{name}'")
    model = factory(weights=None)
    # Default init leaves BatchNorm at identity (weight 1, bias 0, mean 0, var 1), which tests
    # nothing and makes the exporter merge the identical tensors. Give it seeded random values.
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                m.weight.copy_(1.0 + 0.1 * torch.randn(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(1.0 + 0.2 * torch.rand(n, generator=g))
    model.eval()
    return model


def write_reference(model, outdir, stem, shape):
    import numpy as np
    g = torch.Generator().manual_seed(123)
    x = torch.randn(*shape, generator=g)
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(outdir, stem + ".input.npy"), x.numpy())
    np.save(os.path.join(outdir, stem + ".output.npy"), y.numpy())


def export(outdir, spec, opset, keep_bn, reference=False):
    name, _, res = spec.partition(":")
    h, w = (int(v) for v in res.split("x")) if res else (224, 224)
    suffix = "_bn" if keep_bn else ""
    path = os.path.join(outdir, f"{name}{suffix}.onnx")
    facts_path = os.path.join(outdir, f"{name}{suffix}.facts.json")
    ref_path = os.path.join(outdir, f"{name}{suffix}.b4.output.npy")
    if os.path.exists(path) and os.path.exists(facts_path) and (not reference or os.path.exists(ref_path)):
        return
    model = build(name)
    x = torch.randn(1, 3, h, w)
    mode = torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, training=mode,
                      do_constant_folding=True)
    os.replace(tmp, path)
    facts = {
        "model": name,
        "parameters": sum(p.numel() for p in model.parameters()),
        "batchnorm_statistics": sum(b.numel() for n, b in model.named_buffers() if n.endswith(("running_mean", "running_var"))),
        "input_shape": [1, 3, h, w],
        "opset": opset,
        "batchnorm_kept": keep_bn,
    }
    with open(facts_path, "w") as f:
        json.dump(facts, f, indent=1)
    if reference:
        write_reference(model, outdir, f"{name}{suffix}", [1, 3, h, w])
        write_reference(model, outdir, f"{name}{suffix}.b4", [4, 3, h, w])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("models", nargs="+")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--keep-batchnorm", action="store_true", help="export BatchNormalization nodes unfused")
    ap.add_argument("--reference", action="store_true", help="also write seeded inputs and PyTorch outputs (.npy)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for spec in args.models:
        export(args.outdir, spec, args.opset, args.keep_batchnorm, args.reference)


if __name__ == "__main__":
    main()

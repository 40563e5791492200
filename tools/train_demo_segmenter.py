#!/usr/bin/python3
"""Trains the bundled demo segmentation model (models/shapes_segmenter.onnx) on rendered scenes of shapes.

Scenes: 96x96, 1 to 4 non-overlapping shapes (the six classes of tools/train_demo_classifier.py, drawn
with its renderer) on gradient backgrounds with noise, some grayscale. Per-pixel labels: 0 background,
1 + the shape's class index (circle, square, triangle, star, cross, ring) where the anti-aliased shape
covers at least half of the pixel.
The network is MobileNet-like with an LRASPP-style head, so that it runs the operators of the zoo's
segmentation models: a strided conv-bn-hardswish stem, depthwise-separable blocks (depthwise 3x3 +
pointwise 1x1, BatchNorm, ReLU or HardSwish, residual Adds) down to stride 16, a global-average-pool
sigmoid gate on the stride-16 features, bilinear Resize to stride 4, Concat with the stride-4 features,
one more depthwise-separable block, a 1x1 classifier and a bilinear Resize of the logits to the input
size: output "out" [1, 7, 96, 96]; 30,431 parameters, 131 KB. It trains on 2,500 rendered scenes (flips
and quarter turns, batches of 16) for 12 epochs. Everything is seeded (numpy, torch). The bundled files:
1111 s (18.5 min) on 2 cores shared with about 7 other jobs (an epoch took 21 to 456 s as their load
varied; ~28 s each, ~6 min in all, at the lighter load of the last epochs); on 300 fresh validation
scenes pixel accuracy 0.9841, mean IoU 0.886 (background 0.983, circle 0.938, square 0.933, triangle
0.895, star 0.780, cross 0.822, ring 0.850).

    /usr/bin/python3 tools/train_demo_segmenter.py [--out models] [--epochs 12] [--threads 2]

--render-validation DIR writes scenes without training: the first --count scenes of the validation set
the training reported on (seed 12345), or of another seeded set with --seed, as DIR/NNNN.png (96x96 RGB)
and their ground-truth class maps as DIR/labels/NNNN.png (8-bit, one class index per pixel).

    /usr/bin/python3 tools/train_demo_segmenter.py --render-validation DIR [--count 200] [--seed 12345]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_demo_classifier import CLASSES, shape_mask  # noqa: E402  (the classifier's renderer)

SIZE = 96  # model input 1 x 3 x 96 x 96, output 1 x 7 x 96 x 96
LABELS = ["background"] + CLASSES
MEAN, STD = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]


# ---------------------------------------------------------------- scenes (numpy only)
def random_scene(rng, size=SIZE, supersample=2):
    """uint8 H x W x 3 RGB scene with 1-4 shapes and its uint8 H x W class map (0 = background)."""
    bg1, bg2 = rng.uniform(0, 255, size=3), rng.uniform(0, 255, size=3)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    g = rng.uniform(-math.pi, math.pi)
    t = math.cos(g) * xs + math.sin(g) * ys
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    t = t[..., None] * rng.uniform(0, 0.8)
    img = bg1 * (1 - t) + bg2 * t
    labels = np.zeros((size, size), np.uint8)
    placed = []
    for _ in range(int(rng.integers(1, 5))):
        for _attempt in range(20):
            r = rng.uniform(9, 24)
            cx, cy = rng.uniform(r, size - r), rng.uniform(r, size - r)
            if all(math.hypot(cx - px, cy - py) > r + pr + 3 for px, py, pr in placed):
                break
        else:
            continue
        k = int(rng.integers(0, len(CLASSES)))
        cls = CLASSES[k]
        angle = rng.uniform(-math.pi, math.pi) if cls != "square" else rng.uniform(-0.35, 0.35)
        fg = rng.uniform(0, 255, size=3)
        while np.abs(fg - bg1).max() < 90 or np.abs(fg - bg2).max() < 90:
            fg = rng.uniform(0, 255, size=3)
        x0, x1 = max(0, int(cx - r) - 1), min(size, int(cx + r) + 2)
        y0, y1 = max(0, int(cy - r) - 1), min(size, int(cy + r) + 2)
        sy, sx = np.mgrid[y0 * supersample:y1 * supersample, x0 * supersample:x1 * supersample].astype(np.float32)
        sy, sx = sy / supersample + 0.5 / supersample, sx / supersample + 0.5 / supersample
        m = shape_mask(cls, sx, sy, cx, cy, r, angle).astype(np.float32)
        m = m.reshape(y1 - y0, supersample, x1 - x0, supersample).mean(axis=(1, 3))
        img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - m[..., None]) + fg * m[..., None]
        labels[y0:y1, x0:x1][m >= 0.5] = k + 1
        placed.append((cx, cy, r))
    img += rng.normal(0, rng.uniform(0, 10), size=img.shape)
    if rng.uniform() < 0.1:
        img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)
    return np.clip(img, 0, 255).astype(np.uint8), labels


def scenes(rng, count):
    return [random_scene(rng) for _ in range(count)]


def render_validation(out, count, seed):
    """Writes the first `count` scenes of the seeded set as DIR/NNNN.png and DIR/labels/NNNN.png; no training."""
    from PIL import Image
    os.makedirs(os.path.join(out, "labels"), exist_ok=True)
    start = time.time()
    rng = np.random.default_rng(seed)
    for i in range(count):
        img, labels = random_scene(rng)
        Image.fromarray(img).save(os.path.join(out, f"{i:04d}.png"))
        Image.fromarray(labels, mode="L").save(os.path.join(out, "labels", f"{i:04d}.png"))
    print(f"rendered {count} scenes (seed {seed}) into {out} in {time.time() - start:.1f} s")


# ---------------------------------------------------------------- model and training (torch)
def build_model():
    import torch
    from torch import nn
    import torch.nn.functional as F

    def cbr(cin, cout, k=1, stride=1, groups=1, act=nn.ReLU):
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout),
                             act())

    class Separable(nn.Module):
        """Depthwise 3x3 (stride s) + pointwise 1x1, with a residual Add when the shapes allow it."""

        def __init__(self, cin, cout, stride=1, act=nn.ReLU):
            super().__init__()
            self.dw = cbr(cin, cin, 3, stride, cin, act)
            self.pw = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
            self.act = act()
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            y = self.pw(self.dw(x))
            return self.act(y + x if self.residual else y)

    class ShapesSegmenter(nn.Module):
        def __init__(self, classes=len(LABELS)):
            super().__init__()
            self.stem = cbr(3, 16, 3, 2, act=nn.Hardswish)                                         # /2
            self.low = nn.Sequential(Separable(16, 16), Separable(16, 24, 2), Separable(24, 24))  # /4
            self.high = nn.Sequential(Separable(24, 40, 2), Separable(40, 40),                    # /8
                                      Separable(40, 64, 2, nn.Hardswish), Separable(64, 64, 1, nn.Hardswish),
                                      Separable(64, 64, 1, nn.Hardswish))                         # /16
            self.cbr = cbr(64, 48)
            self.scale = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(64, 48, 1), nn.Sigmoid())
            self.low_proj = cbr(24, 24)
            self.fuse = Separable(72, 48)
            self.classifier = nn.Conv2d(48, classes, 1)

        def forward(self, x):
            low = self.low(self.stem(x))
            high = self.high(low)
            y = self.cbr(high) * self.scale(high)
            y = F.interpolate(y, size=low.shape[-2:], mode="bilinear", align_corners=False)
            y = self.classifier(self.fuse(torch.cat([y, self.low_proj(low)], 1)))
            return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)

    return ShapesSegmenter()


def to_tensor(images):
    import torch
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def evaluate(model, x, y, batch=100):
    """Pixel accuracy and mean IoU over the classes (background included) of a set."""
    import torch
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])
    acc = (pred == y).float().mean().item()
    ious = []
    for c in range(len(LABELS)):
        inter = ((pred == c) & (y == c)).sum().item()
        union = ((pred == c) | (y == c)).sum().item()
        if union:
            ious.append(inter / union)
    return acc, float(np.mean(ious)), ious


def train(a):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    start = time.time()
    train_set = scenes(np.random.default_rng(0), a.train_images)
    train_x = to_tensor([s[0] for s in train_set])
    train_y = torch.from_numpy(np.stack([s[1] for s in train_set])).long()
    val_set = scenes(np.random.default_rng(12345), 300)
    val_x, val_y = to_tensor([s[0] for s in val_set]), torch.from_numpy(np.stack([s[1] for s in val_set])).long()
    print(f"rendered {len(train_set)} training and {len(val_set)} validation scenes ({SIZE}x{SIZE}) "
          f"({time.time() - start:.0f} s)", flush=True)
    model = build_model()
    steps = a.epochs * ((len(train_set) + a.batch - 1) // a.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, pct_start=0.15)
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(len(train_set), generator=gen)
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            x, y = train_x[idx], train_y[idx]
            if torch.rand(1, generator=gen).item() < 0.5:
                x, y = x.flip(3), y.flip(2)
            k = int(torch.randint(0, 4, (1,), generator=gen).item())
            x, y = torch.rot90(x, k, dims=(2, 3)), torch.rot90(y, k, dims=(1, 2))
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc, miou, _ = evaluate(model, val_x[:100], val_y[:100])
        print(f"epoch {epoch}/{a.epochs} loss {loss.item():.4f} val (100 scenes) pixel accuracy {acc:.4f} "
              f"mean IoU {miou:.4f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    return model, val_x, val_y, time.time() - start


def export(model, a, val_x, val_y, seconds):
    import torch
    acc, miou, ious = evaluate(model, val_x, val_y)
    print(f"validation on {len(val_x)} fresh scenes: pixel accuracy {acc:.4f}, mean IoU {miou:.4f} (per class "
          + ", ".join(f"{n} {v:.3f}" for n, v in zip(LABELS, ious)) + f"); trained in {seconds:.0f} s")
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "shapes_segmenter.onnx")
    torch.onnx.export(model, val_x[:1], onnx_path, opset_version=13, input_names=["input"], output_names=["out"],
                      do_constant_folding=True)
    sidecar = {
        "model": "tools/train_demo_segmenter.py:build_model",
        "task": "segmentation",
        "onnx": "shapes_segmenter.onnx",
        "input": "input",
        "input_shape": [1, 3, SIZE, SIZE],
        "dynamic_axes": [],
        "layout": "NCHW",
        "color_order": "RGB",
        "scale": 1.0 / 255.0,
        "mean": MEAN,
        "std": STD,
        "resize": "stretch",
        "interpolation": "area",
        "outputs": [{"name": "out", "shape": [1, len(LABELS), SIZE, SIZE], "dtype": "float32"}],
        "num_classes": len(LABELS),
        "labels": LABELS,
        "opset": 13,
        "weights": f"trained by tools/train_demo_segmenter.py (seed 0, {a.train_images} scenes, {a.epochs} epochs, "
                   f"{seconds:.0f} s on 2 shared cores; validation on {len(val_x)} scenes: pixel accuracy {acc:.4f}, "
                   f"mean IoU {miou:.4f})",
    }
    with open(os.path.join(out, "shapes_segmenter.json"), "w") as f:
        json.dump(sidecar, f, indent=1)
    with open(os.path.join(out, "shapes_segmenter_labels.txt"), "w") as f:
        f.write("\n".join(LABELS) + "\n")
    params = sum(q.numel() for q in model.parameters())
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, {params} parameters), shapes_segmenter.json "
          f"and shapes_segmenter_labels.txt")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    p.add_argument("--train-images", type=int, default=2500)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--render-validation", metavar="DIR", help="only render scenes into DIR (no training)")
    p.add_argument("--count", type=int, default=200, help="scenes for --render-validation")
    p.add_argument("--seed", type=int, default=12345, help="set for --render-validation (12345: validation)")
    a = p.parse_args()
    if a.render_validation:
        if a.count <= 0:
            p.error("--count must be > 0")
        render_validation(a.render_validation, a.count, a.seed)
        return
    model, val_x, val_y, seconds = train(a)
    export(model, a, val_x, val_y, seconds)


if __name__ == "__main__":
    main()

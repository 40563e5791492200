#!/usr/bin/python3
"""Trains the bundled demo detector (models/shapes_detector.onnx) and writes the pipeline demo's video.

Training: synthetic scenes of 1 to 5 shapes (the six classes of tools/train_demo_classifier.py, drawn
with its renderer) on gradient backgrounds with noise. One class, "shape". A shape's box is the square
around its circumscribed circle with a 20% margin (side 2.4 r), so that the pipeline's square crops
frame a shape as the bundled classifier (models/shapes.onnx) saw shapes in training.
The network is tiny and anchor-free: three stride-2 conv-bn-relu blocks to a stride-8 grid, three
more 3x3 blocks (receptive field 63 px), and a 1x1 head with 5 maps per cell (objectness, box centre
offset, box size). Cells whose centre lies near an object's centre are positives, a band around them
is ignored, and the rest of the frame is background. It trains fully convolutionally on 112x112 scenes
(2,400 of them, 8 epochs, horizontal flips) and is exported for 256x192 frames with the decoding inside
the graph, as a YOLOv8-style output "output0" [1, 5, 768]: cx, cy, w, h in input pixels and the "shape"
score per grid cell, which edgeinfer's detection decoder reads (format yolov8) and filters with NMS.
66,773 parameters, 279 KB. The bundled files took 936 s (15.6 min) on 2 cores shared with about 7 other
jobs; on 300 fresh 256x192 frames (916 shapes) at score 0.5 and IoU 0.5: precision 0.9785, recall
0.9945, mean IoU 0.868. Everything is seeded (numpy, torch): a second run (487 s, fewer other jobs)
wrote byte-identical files.

    /usr/bin/python3 tools/train_demo_detector.py [--out models] [--epochs 8] [--threads 2]

Video: `--video OUT.avi` writes the pipeline demo's video instead (no training; a few seconds):
six shapes (one of each class) moving on straight paths over a noisy gradient, 256x192, 10 fps,
MJPEG in an AVI container (written here; OpenCV and ffmpeg read it), plus OUT.json with the ground
truth: every object's class, first and last frame, per-frame box, and the crossings of the line
"gate" (y = 100, drawn left to right: moving down the image is "in").

    /usr/bin/python3 tools/train_demo_detector.py --video build/demo/shapes.avi
"""
import argparse
import io
import json
import math
import os
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_demo_classifier import CLASSES, shape_mask  # noqa: E402  (the classifier's renderer)

WIDTH, HEIGHT = 256, 192  # video frames = detector input
STRIDE = 8
BOX_SCALE = 1.2  # box half-side = 1.2 r
MEAN, STD = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]
LINE_Y = 100  # the demo's counting line "gate": (0, 100) -> (256, 100)
FPS = 10
FRAMES = 150


# ---------------------------------------------------------------- scenes (numpy only)
def contrasting_color(rng, bg1, bg2):
    fg = rng.uniform(0, 255, size=3)
    while np.abs(fg - bg1).max() < 90 or np.abs(fg - bg2).max() < 90:
        fg = rng.uniform(0, 255, size=3)
    return fg


def background(rng, width, height):
    """Float H x W x 3 gradient background and its two end colours."""
    bg1, bg2 = rng.uniform(0, 255, size=3), rng.uniform(0, 255, size=3)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    g = rng.uniform(-math.pi, math.pi)
    t = math.cos(g) * xs + math.sin(g) * ys
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    t = t[..., None] * rng.uniform(0, 0.8)
    return bg1 * (1 - t) + bg2 * t, bg1, bg2


def paint(img, cls, cx, cy, r, angle, color, supersample=2):
    """Draws one anti-aliased shape into the float image (in place)."""
    height, width = img.shape[:2]
    x0, x1 = max(0, int(cx - r) - 1), min(width, int(cx + r) + 2)
    y0, y1 = max(0, int(cy - r) - 1), min(height, int(cy + r) + 2)
    if x0 >= x1 or y0 >= y1:
        return
    ys, xs = np.mgrid[y0 * supersample:y1 * supersample, x0 * supersample:x1 * supersample].astype(np.float32)
    ys, xs = ys / supersample + 0.5 / supersample, xs / supersample + 0.5 / supersample
    m = shape_mask(cls, xs, ys, cx, cy, r, angle).astype(np.float32)
    m = m.reshape(y1 - y0, supersample, x1 - x0, supersample).mean(axis=(1, 3))[..., None]
    img[y0:y1, x0:x1] = img[y0:y1, x0:x1] * (1 - m) + color * m


def shape_box(cx, cy, r):
    h = BOX_SCALE * r
    return [cx - h, cy - h, cx + h, cy + h]


def random_scene(rng, width, height):
    """uint8 H x W x 3 RGB image with 1-5 non-overlapping shapes, and their boxes [n, 4] (x1, y1, x2, y2)."""
    img, bg1, bg2 = background(rng, width, height)
    placed = []
    for _ in range(int(rng.integers(1, 6))):
        for _attempt in range(20):
            r = rng.uniform(8, 20)
            cx, cy = rng.uniform(r, width - r), rng.uniform(r, height - r)
            if all(math.hypot(cx - px, cy - py) > r + pr + 4 for px, py, pr in placed):
                break
        else:
            continue
        cls = CLASSES[int(rng.integers(0, len(CLASSES)))]
        angle = rng.uniform(-math.pi, math.pi) if cls != "square" else rng.uniform(-0.35, 0.35)
        paint(img, cls, cx, cy, r, angle, contrasting_color(rng, bg1, bg2))
        placed.append((cx, cy, r))
    img += rng.normal(0, rng.uniform(0, 10), size=img.shape)
    if rng.uniform() < 0.1:
        img = np.repeat(img.mean(axis=2, keepdims=True), 3, axis=2)
    boxes = np.array([shape_box(cx, cy, r) for cx, cy, r in placed], dtype=np.float32).reshape(-1, 4)
    return np.clip(img, 0, 255).astype(np.uint8), boxes


def box_iou(a, b):
    """IoU matrix of boxes a [n, 4] and b [m, 4]."""
    ix1, iy1 = np.maximum(a[:, None, 0], b[None, :, 0]), np.maximum(a[:, None, 1], b[None, :, 1])
    ix2, iy2 = np.minimum(a[:, None, 2], b[None, :, 2]), np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


def nms(boxes, scores, iou_threshold=0.45):
    order, keep = np.argsort(-scores, kind="stable"), []
    while len(order):
        i = order[0]
        keep.append(i)
        order = order[1:][box_iou(boxes[i:i + 1], boxes[order[1:]])[0] <= iou_threshold]
    return np.array(keep, dtype=np.int64)


# ---------------------------------------------------------------- the demo video
# Six objects, one per class: (class, radius, first frame, last frame, start centre, end centre, angle).
# Paths are straight at constant speed; no two objects come near each other (checked below).
OBJECTS = [
    ("circle", 14, 0, 44, (40, 30), (40, 170), 0.0),      # down across the gate: in
    ("square", 15, 12, 60, (128, 170), (128, 24), 0.2),   # up: out
    ("triangle", 16, 50, 106, (28, 40), (226, 40), 0.5),  # left to right above the gate: no crossing
    ("star", 16, 58, 100, (208, 28), (208, 168), 0.3),    # down: in
    ("cross", 15, 90, 136, (80, 172), (140, 26), 0.4),    # up and right: out
    ("ring", 14, 108, 149, (180, 30), (180, 166), 0.0),   # down: in
]


def object_state(obj, frame):
    cls, r, first, last, (x0, y0), (x1, y1), angle = obj
    t = (frame - first) / (last - first)
    spin = 0.0 if cls == "square" else 0.03  # squares stay upright, as in the classifier's training images
    return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, r, angle + spin * (frame - first)


def video_ground_truth():
    gt = {"width": WIDTH, "height": HEIGHT, "fps": FPS, "frames": FRAMES,
          "line": {"name": "gate", "points": [[0, LINE_Y], [WIDTH, LINE_Y]]}, "objects": [], "crossings": []}
    for k, obj in enumerate(OBJECTS):
        cls, r, first, last = obj[:4]
        boxes = {}
        for f in range(first, last + 1):
            cx, cy, _, _ = object_state(obj, f)
            boxes[f] = [round(v, 2) for v in shape_box(cx, cy, r)]
            for j, other in enumerate(OBJECTS[:k]):
                if other[2] <= f <= other[3]:
                    ox, oy, orr, _ = object_state(other, f)
                    gap = max(abs(cx - ox), abs(cy - oy)) - BOX_SCALE * (r + orr)
                    assert gap > 6, f"the boxes of objects {j} and {k} meet at frame {f}"
        gt["objects"].append({"class": cls, "first_frame": first, "last_frame": last,
                              "boxes": [boxes[f] for f in range(first, last + 1)]})
        # The pipeline's anchor is the bottom centre of the box; "in" = moving down across the line.
        start, end = boxes[first][3], boxes[last][3]
        if (start - LINE_Y) * (end - LINE_Y) < 0:
            frame = next(f for f in range(first, last + 1) if (boxes[f][3] - LINE_Y) * (start - LINE_Y) < 0)
            direction = "in" if end > start else "out"
            gt["crossings"].append({"object": k, "class": cls, "frame": frame, "direction": direction})
    gt["crossings"].sort(key=lambda c: c["frame"])
    return gt


def video_frame(rng, bg, frame):
    img = bg.copy()
    for obj in OBJECTS:
        if obj[2] <= frame <= obj[3]:
            cx, cy, r, angle = object_state(obj, frame)
            paint(img, obj[0], cx, cy, r, angle, np.array(obj_color(obj)))
    img += rng.normal(0, 6, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def obj_color(obj):
    return {"circle": (230, 40, 40), "square": (250, 140, 20), "triangle": (250, 230, 40),
            "star": (20, 20, 20), "cross": (240, 240, 240), "ring": (200, 40, 200)}[obj[0]]


def write_mjpeg_avi(path, jpegs, width, height, fps):
    """An AVI (RIFF) file holding one MJPEG video stream, with an idx1 index."""
    def chunk(fourcc, data):
        return fourcc + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")

    def lst(kind, payload):
        return b"LIST" + struct.pack("<I", len(payload) + 4) + kind + payload

    n, biggest = len(jpegs), max(len(j) for j in jpegs)
    avih = struct.pack("<14I", int(1e6 / fps), biggest * fps, 0, 0x10, n, 0, 1, biggest, width, height, 0, 0, 0, 0)
    strh = struct.pack("<4s4sIHHIIIIIIIIhhhh", b"vids", b"MJPG", 0, 0, 0, 0, 1, fps, 0, n, biggest, 0xFFFFFFFF, 0,
                       0, 0, width, height)
    strf = struct.pack("<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3, 0, 0, 0, 0)
    hdrl = lst(b"hdrl", chunk(b"avih", avih) + lst(b"strl", chunk(b"strh", strh) + chunk(b"strf", strf)))
    movi, index, offset = [], [], 4
    for j in jpegs:
        c = chunk(b"00dc", j)
        movi.append(c)
        index.append(struct.pack("<4sIII", b"00dc", 0x10, offset, len(j)))
        offset += len(c)
    body = b"AVI " + hdrl + lst(b"movi", b"".join(movi)) + chunk(b"idx1", b"".join(index))
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def write_video(path):
    from PIL import Image
    rng = np.random.default_rng(7)
    bg = background(np.random.default_rng(3), WIDTH, HEIGHT)[0]
    jpegs = []
    for f in range(FRAMES):
        buf = io.BytesIO()
        Image.fromarray(video_frame(rng, bg, f)).save(buf, format="JPEG", quality=92)
        jpegs.append(buf.getvalue())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_mjpeg_avi(path, jpegs, WIDTH, HEIGHT, FPS)
    gt = video_ground_truth()
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(gt, f, indent=1)
    dirs = [c["direction"] for c in gt["crossings"]]
    print(f"wrote {path} ({FRAMES} frames, {WIDTH}x{HEIGHT}, {FPS} fps, {os.path.getsize(path)} bytes) and its "
          f"ground truth: {len(gt['objects'])} objects, gate crossings in {dirs.count('in')} out {dirs.count('out')}")


# ---------------------------------------------------------------- model and training (torch)
def build_model():
    from torch import nn

    def block(cin, cout, stride):
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    layers = block(3, 16, 2) + block(16, 24, 2) + block(24, 32, 2) + block(32, 48, 1) + block(48, 48, 1) + \
        block(48, 48, 1)
    return nn.Sequential(*layers, nn.Conv2d(48, 5, 1))  # objectness logit, tx, ty, tw, th per cell


def decode_maps(raw, width, height):
    """Raw head maps [B, 5, h, w] -> boxes cx, cy, w, h (pixels) [B, 4, h, w] and scores [B, 1, h, w]."""
    import torch
    gh, gw = height // STRIDE, width // STRIDE
    gy, gx = torch.meshgrid(torch.arange(gh, dtype=torch.float32), torch.arange(gw, dtype=torch.float32),
                            indexing="ij")
    t = torch.sigmoid(raw[:, 1:5])
    cx = (gx + 0.5 + 3.0 * (t[:, 0] - 0.5)) * STRIDE
    cy = (gy + 0.5 + 3.0 * (t[:, 1] - 0.5)) * STRIDE
    size = 64.0 * t[:, 2:4]
    return torch.cat([cx[:, None], cy[:, None], size], 1), torch.sigmoid(raw[:, :1])


def exported(model, width, height):
    """The trained network with the decoding, for a fixed input size: one output [1, 5, cells]."""
    import torch

    class Decoded(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = model

        def forward(self, x):
            boxes, scores = decode_maps(self.net(x), width, height)
            return torch.cat([boxes, scores], 1).reshape(1, 5, (height // STRIDE) * (width // STRIDE))

    return Decoded().eval()


def targets(boxes_list, width, height):
    """Per-cell training targets: objectness [B,h,w], weight [B,h,w] (0 = ignored) and boxes [B,4,h,w]."""
    gh, gw = height // STRIDE, width // STRIDE
    n = len(boxes_list)
    obj, weight, box = np.zeros((n, gh, gw), np.float32), np.ones((n, gh, gw), np.float32), np.zeros((n, 4, gh, gw),
                                                                                                       np.float32)
    cy, cx = (np.mgrid[0:gh, 0:gw].astype(np.float32) + 0.5) * STRIDE
    for i, boxes in enumerate(boxes_list):
        for b in boxes:
            bcx, bcy, bw, bh = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2, b[2] - b[0], b[3] - b[1]
            d = np.hypot(cx - bcx, cy - bcy)
            weight[i][(d <= 0.35 * bw + 2) & (obj[i] == 0)] = 0  # a band around the positives is ignored
            pos = d <= max(0.2 * bw, 0.75 * STRIDE)
            pos[np.unravel_index(np.argmin(d), d.shape)] = True
            obj[i][pos], weight[i][pos] = 1, 1
            box[i][:, pos] = np.array([bcx, bcy, bw, bh], np.float32)[:, None]
    return obj, weight, box


def to_tensor(images):
    import torch
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def detect(model, images, threshold=0.5):
    """Decoded, NMS-filtered detections per image: list of (boxes [n, 4] x1y1x2y2, scores [n])."""
    import torch
    with torch.no_grad():
        x = to_tensor(images)
        boxes, scores = decode_maps(model(x), x.shape[3], x.shape[2])
    out = []
    for b, s in zip(boxes.flatten(2).numpy(), scores.flatten(1).numpy()):
        keep = s >= threshold
        b, s = b[:, keep].T, s[keep]
        xyxy = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)
        k = nms(xyxy, s)
        out.append((xyxy[k].reshape(-1, 4), s[k]))
    return out


def evaluate(model, images, gts, threshold=0.5):
    """Precision, recall (IoU >= 0.5, one-to-one greedy matching) and mean IoU of the matches."""
    model.eval()
    tp = fp = fn = 0
    ious = []
    for (boxes, _), gt in zip(detect(model, images, threshold), gts):
        iou = box_iou(boxes, gt) if len(boxes) and len(gt) else np.zeros((len(boxes), len(gt)))
        used = set()
        for i in range(len(boxes)):
            j = int(np.argmax(iou[i])) if len(gt) else -1
            if j >= 0 and iou[i, j] >= 0.5 and j not in used:
                used.add(j)
                tp += 1
                ious.append(iou[i, j])
            else:
                fp += 1
        fn += len(gt) - len(used)
    return tp / max(1, tp + fp), tp / max(1, tp + fn), float(np.mean(ious)) if ious else 0.0


def train(a):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    start = time.time()
    rng = np.random.default_rng(0)
    scenes = [random_scene(rng, a.train_size, a.train_size) for _ in range(a.train_images)]
    train_x = to_tensor([s[0] for s in scenes])
    t_obj, t_w, t_box = (torch.from_numpy(v) for v in targets([s[1] for s in scenes], a.train_size, a.train_size))
    vrng = np.random.default_rng(12345)
    val = [random_scene(vrng, WIDTH, HEIGHT) for _ in range(300)]
    print(f"rendered {len(scenes)} training scenes ({a.train_size}x{a.train_size}) and {len(val)} validation frames "
          f"({WIDTH}x{HEIGHT}) ({time.time() - start:.0f} s)", flush=True)
    model = build_model()
    steps = a.epochs * ((len(scenes) + a.batch - 1) // a.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps, pct_start=0.15)
    for epoch in range(1, a.epochs + 1):
        model.train()
        order = torch.randperm(len(scenes), generator=gen)
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            x, obj, w, box = train_x[idx], t_obj[idx], t_w[idx], t_box[idx]
            if torch.rand(1, generator=gen).item() < 0.5:  # horizontal flip of images and targets
                x, obj, w, box = x.flip(3), obj.flip(2), w.flip(2), box.flip(3)
                box = torch.cat([a.train_size - box[:, :1], box[:, 1:]], 1)
            raw = model(x)
            pred, _ = decode_maps(raw, a.train_size, a.train_size)
            obj_loss = (F.binary_cross_entropy_with_logits(raw[:, 0], obj, reduction="none") * w).sum() / w.sum()
            pos = obj > 0.5
            box_loss = (F.smooth_l1_loss(pred.permute(0, 2, 3, 1)[pos] / STRIDE, box.permute(0, 2, 3, 1)[pos] / STRIDE)
                        if pos.any() else raw.sum() * 0)
            loss = 5.0 * obj_loss + box_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        p, r, miou = evaluate(model, [v[0] for v in val[:60]], [v[1] for v in val[:60]])
        print(f"epoch {epoch}/{a.epochs} loss {loss.item():.3f} (objectness {obj_loss.item():.3f}, box "
              f"{box_loss.item():.3f}) val (60 frames) precision {p:.3f} recall {r:.3f} mean IoU {miou:.3f} "
              f"({time.time() - start:.0f} s)", flush=True)
    model.eval()
    return model, val, time.time() - start


def export(model, a, val, seconds):
    import torch
    p, r, miou = evaluate(model, [v[0] for v in val], [v[1] for v in val])
    objects = sum(len(v[1]) for v in val)
    print(f"validation at score 0.5, IoU 0.5: precision {p:.4f} recall {r:.4f} mean IoU {miou:.3f} "
          f"on {len(val)} fresh {WIDTH}x{HEIGHT} frames ({objects} shapes); trained in {seconds:.0f} s")
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "shapes_detector.onnx")
    wrapper = exported(model, WIDTH, HEIGHT)
    x = to_tensor([val[0][0]])
    torch.onnx.export(wrapper, x, onnx_path, opset_version=13, input_names=["images"], output_names=["output0"],
                      do_constant_folding=True)
    sidecar = {
        "model": "tools/train_demo_detector.py:build_model",
        "task": "detection",
        "onnx": "shapes_detector.onnx",
        "input": "images",
        "input_shape": [1, 3, HEIGHT, WIDTH],
        "dynamic_axes": [],
        "layout": "NCHW",
        "color_order": "RGB",
        "scale": 1.0 / 255.0,
        "mean": MEAN,
        "std": STD,
        "resize": "stretch",
        "interpolation": "area",
        "outputs": [{"name": "output0", "shape": [1, 5, (HEIGHT // STRIDE) * (WIDTH // STRIDE)], "dtype": "float32"}],
        "num_classes": 1,
        "labels": ["shape"],
        "opset": 13,
        "weights": f"trained by tools/train_demo_detector.py (seed 0, {a.train_images} scenes, {a.epochs} epochs, "
                   f"validation precision {p:.4f} recall {r:.4f} at score 0.5, IoU 0.5)",
    }
    with open(os.path.join(out, "shapes_detector.json"), "w") as f:
        json.dump(sidecar, f, indent=1)
    with open(os.path.join(out, "shapes_detector_labels.txt"), "w") as f:
        f.write("shape\n")
    params = sum(q.numel() for q in model.parameters())
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes, {params} parameters), shapes_detector.json and "
          f"shapes_detector_labels.txt")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
    p.add_argument("--video", help="write the demo video (MJPEG .avi) and its ground truth (.json) instead")
    p.add_argument("--train-images", type=int, default=2400)
    p.add_argument("--train-size", type=int, default=112)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    if a.video:
        write_video(a.video)
        return
    model, val, seconds = train(a)
    export(model, a, val, seconds)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the models, images and PyTorch answers of the detect/segment/recognize tests (task heads).

Usage: make_head_models.py OUTDIR {ssdlite,segmentation,crnn,tiny}...

ssdlite       torchvision ssdlite320_mobilenet_v3_large (3 classes + background, built-in post-processing)
              -> ssdlite.onnx + ssdlite.json (sidecar), ssdlite.png (320x320), ssdlite.ref.json
              (PyTorch's boxes, scores, labels on that image).
segmentation  torchvision lraspp_mobilenet_v3_large (6 classes) at 160x128
              -> lraspp.onnx + lraspp.json, lraspp.png (160x128), lraspp.input.npy (the tensor PyTorch saw),
              lraspp.mask.npy (PyTorch's argmax), lraspp.mask200x150.npy (argmax of the logits resized to
              200x150 by F.interpolate(bilinear, align_corners=False)), lraspp.ref.json (shares, margins).
tiny          constant-output models with known detections (onnx.helper, no torch): yolov8_tiny.onnx
              (output0 [1,6,8]: 2 classes, 8 anchors, on a 64x64 input), detr_tiny.onnx (logits [1,3,3] +
              boxes [1,3,4]), and tiny.png (128x64): see TINY_* below for the answers the tests expect.
crnn          tests/parity/crnn.py's CRNN (sharpened head) -> crnn.onnx + crnn.json, crnn.png (128x32 gray),
              crnn.ref.json (PyTorch's greedy CTC decode: text, classes, per-character confidences).

Seeded random weights give meaningless but deterministic answers. To make them testable:
- BatchNorm statistics are calibrated on seeded images (one train-mode pass), so activations keep their
  spread through the network instead of collapsing to the same value everywhere; with plain random
  statistics ssdlite scored hundreds of anchors identically (tests/parity/zoo_parity.py) and NMS order
  among exact ties is arbitrary, and the CRNN predicted one class at every step.
- The ssdlite image is picked from a fixed list of seeds so that every kept detection's score is at
  least 1e-3 away from every other candidate's score and from the score threshold; the CRNN image so that
  every time step's best class wins by more than 1e-3.
Existing outputs are reused. Runs on Debian's /usr/bin/python3 (python3-torch, python3-torchvision).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "parity"))
sys.path.insert(0, HERE)

SSD_LABELS = ["__background__", "alpha", "beta", "gamma"]
SSD_SCORE_THRESH = 0.5
SEG_SIZE = (160, 128)  # W, H
SEG_LABELS = ["background", "sky", "road", "tree", "car", "person"]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def textured_image(seed, w, h, shapes=10):
    """Smooth colored noise with filled shapes and pixel noise: every region looks different."""
    import numpy as np
    from PIL import Image, ImageDraw
    rng = np.random.RandomState(seed)
    base = rng.randint(0, 256, (h // 8, w // 8, 3)).astype(np.uint8)
    img = Image.fromarray(base).resize((w, h), Image.BICUBIC)
    d = ImageDraw.Draw(img)
    for i in range(shapes):
        x, y = rng.randint(0, w - 20), rng.randint(0, h - 20)
        sw, sh = rng.randint(w // 10, w // 2), rng.randint(h // 10, h // 2)
        c = tuple(int(v) for v in rng.randint(0, 256, 3))
        (d.rectangle if i % 2 else d.ellipse)([x, y, x + sw, y + sh], fill=c)
    a = np.asarray(img).astype(np.int32) + rng.randint(-12, 13, (h, w, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def to_tensor(img):
    """RGB PIL image -> 1 x 3 x H x W float tensor in 0..1."""
    import numpy as np
    import torch
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)[None].contiguous()


def normalize(x):
    import torch
    return (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def gray_image(seed):
    import numpy as np
    return np.asarray(textured_image(seed, 128, 32, shapes=6).convert("L"))


def gray_tensor(gray):
    import numpy as np
    import torch
    return torch.from_numpy((gray.astype(np.float32) / 255.0 - 0.5) / 0.5)[None, None]


def calibrate_batchnorm(model, forward, batch):
    """Sets every BatchNorm's running statistics to those of `batch` (cumulative average, one pass)."""
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        forward(batch)
    model.eval()


# Factories for edgeinfer_export's `module:factory` form (the module is this file).

def ssdlite_factory():
    """ssdlite320_mobilenet_v3_large, 3 classes + background, BatchNorm calibrated on seeded images."""
    import torch
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.detection.ssdlite320_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=len(SSD_LABELS), score_thresh=SSD_SCORE_THRESH,
        detections_per_img=20, topk_candidates=50)
    calib = torch.cat([to_tensor(textured_image(1000 + s, 320, 320)) for s in range(8)])

    def forward(x):
        images, _ = model.transform(list(x))
        model.head(list(model.backbone(images.tensors).values()))

    calibrate_batchnorm(model, forward, calib)
    model.task = "detection"
    model.labels = SSD_LABELS
    return model


def lraspp_factory():
    import torch
    import torchvision
    torch.manual_seed(0)
    model = torchvision.models.segmentation.lraspp_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=len(SEG_LABELS))
    w, h = SEG_SIZE
    calib = torch.cat([to_tensor(textured_image(2000 + s, w, h)) for s in range(8)])
    calibrate_batchnorm(model, lambda x: model(x), normalize(calib))
    model.task = "segmentation"
    model.labels = SEG_LABELS
    return model


def crnn_factory():
    """tests/parity/crnn.py's CRNN with BatchNorm calibrated on seeded gray images and a 20x sharper head
    (with plain seeded weights it predicts one near-uniform class at every step)."""
    import torch
    from crnn import crnn
    model = crnn()
    calib = torch.cat([gray_tensor(gray_image(5000 + s)) for s in range(16)])
    calibrate_batchnorm(model, lambda x: model(x), calib)
    with torch.no_grad():
        model.head.weight.mul_(20.0)
        model.head.bias.zero_()
    return model


def write_json(path, doc):
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(path + ".tmp", path)


def export(spec, outdir, stem, resolution):
    """edgeinfer_export.export, renamed to STEM.onnx + STEM.json."""
    import edgeinfer_export as ex
    exp = ex.export(spec, outdir, 1, resolution, None, [], None, 13)
    if os.path.basename(exp.onnx_path) != stem + ".onnx":
        os.replace(exp.onnx_path, os.path.join(outdir, stem + ".onnx"))
        os.remove(exp.json_path)
        write_json(os.path.join(outdir, stem + ".json"), dict(exp.sidecar, onnx=stem + ".onnx"))
    return exp


def well_separated(scores, candidates, threshold, gap=1e-3):
    """Every kept score is `gap` above the threshold and `gap` away from every other candidate's score."""
    import numpy as np
    cand = np.asarray(candidates, dtype=np.float64)
    for s in scores:
        if s - threshold < gap or (np.abs(cand - s) < gap).sum() > 1:  # itself plus another
            return False
    return True


def make_ssdlite(outdir):
    import numpy as np
    import torch
    ref_path = os.path.join(outdir, "ssdlite.ref.json")
    if os.path.exists(ref_path):
        return
    exp = export("make_head_models:ssdlite_factory", outdir, "ssdlite", (320, 320))
    model = exp.module.model
    for seed in range(20):
        img = textured_image(seed, 320, 320)
        x = to_tensor(img)
        with torch.no_grad():
            boxes, scores, labels = exp.module(x)
            images, _ = model.transform([x[0]])
            head = model.head(list(model.backbone(images.tensors).values()))
            cand = torch.softmax(head["cls_logits"][0], -1)[:, 1:].flatten()
        cand = cand[cand > SSD_SCORE_THRESH - 0.01].numpy()
        if len(scores) >= 3 and well_separated(scores.numpy(), cand, SSD_SCORE_THRESH):
            break
    else:
        sys.exit("make_head_models: no seed gave well-separated ssdlite detections")
    img.save(os.path.join(outdir, "ssdlite.png"))
    write_json(ref_path, {"image_seed": seed, "score_threshold": SSD_SCORE_THRESH, "labels": SSD_LABELS,
                          "boxes": boxes.numpy().tolist(), "scores": scores.numpy().tolist(),
                          "labels_index": labels.numpy().tolist()})
    print(f"ssdlite: image seed {seed}, {len(scores)} detections, scores {np.round(scores.numpy(), 4).tolist()}")


def make_segmentation(outdir):
    import numpy as np
    import torch
    import torch.nn.functional as F
    ref_path = os.path.join(outdir, "lraspp.ref.json")
    if os.path.exists(ref_path):
        return
    w, h = SEG_SIZE
    exp = export("make_head_models:lraspp_factory", outdir, "lraspp", (w, h))
    img = textured_image(7, w, h)
    img.save(os.path.join(outdir, "lraspp.png"))
    x = normalize(to_tensor(img))
    with torch.no_grad():
        logits = exp.module(x)[0]
    big = F.interpolate(logits, size=(150, 200), mode="bilinear", align_corners=False)
    doc = {"labels": SEG_LABELS}
    for name, lg in {"mask": logits, "mask200x150": big}.items():
        top2 = torch.topk(lg[0], 2, dim=0).values
        mask = lg[0].argmax(0).numpy().astype(np.int64)
        np.save(os.path.join(outdir, f"lraspp.{name}.npy"), mask)
        counts = np.bincount(mask.flatten(), minlength=len(SEG_LABELS))
        doc[name] = {"min_margin": float((top2[0] - top2[1]).min()), "classes_present": int((counts > 0).sum()),
                     "share": (counts / mask.size).tolist()}
    np.save(os.path.join(outdir, "lraspp.input.npy"), x.numpy())
    write_json(ref_path, doc)
    print(f"segmentation: shares {np.round(doc['mask']['share'], 3).tolist()}, "
          f"min top-2 margin {doc['mask']['min_margin']:.3g}")


def greedy_ctc(logprobs, blank=0):
    """PyTorch-side greedy decode of [T, C] scores: (classes, confidences), as edgeinfer's vision/ctc.cpp."""
    import torch
    p = torch.softmax(logprobs, dim=-1)
    conf, best = p.max(dim=-1)
    out, confs, prev = [], [], -1
    for t in range(len(best)):
        b = int(best[t])
        if b != blank:
            if b == prev:
                confs[-1] = max(confs[-1], float(conf[t]))
            else:
                out.append(b)
                confs.append(float(conf[t]))
        prev = b
    return out, confs


def make_crnn(outdir):
    import numpy as np
    import torch
    from PIL import Image
    ref_path = os.path.join(outdir, "crnn.ref.json")
    if os.path.exists(ref_path):
        return
    exp = export("make_head_models:crnn_factory", outdir, "crnn", None)
    labels = exp.sidecar["labels"]
    for seed in range(50):
        gray = gray_image(300 + seed)
        with torch.no_grad():
            y = exp.module(gray_tensor(gray))[0]
        classes, confs = greedy_ctc(y)
        top2 = torch.topk(y, 2, dim=-1).values
        if len(set(classes)) >= 3 and float((top2[:, 0] - top2[:, 1]).min()) > 1e-3:
            break
    else:
        sys.exit("make_head_models: no seed gave a CRNN text of 3+ distinct characters with clear winners")
    Image.fromarray(gray, mode="L").save(os.path.join(outdir, "crnn.png"))
    text = "".join(labels[c] for c in classes)
    write_json(ref_path, {"image_seed": 300 + seed, "text": text, "classes": classes, "confidences": confs,
                          "labels": labels})
    print(f"crnn: '{text}' confidences {np.round(confs, 3).tolist()}")


# yolov8_tiny: columns (cx, cy, w, h, class 0, class 1) of 8 anchors in 64x64 input pixels. Anchor 0
# (class 1, 0.9) and anchor 1 (class 1, 0.8, IoU 0.88 with it) overlap: NMS keeps anchor 0. Anchor 2 is
# class 0 (0.7) on the same spot: kept (class-aware). Anchors 3..7 score below 0.25.
TINY_YOLO = [
    [32, 33, 32, 10, 10, 10, 10, 10],
    [32, 32, 32, 10, 10, 10, 10, 10],
    [16, 16, 16, 4, 4, 4, 4, 4],
    [16, 16, 16, 4, 4, 4, 4, 4],
    [0.1, 0.0, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1],
    [0.9, 0.8, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1],
]
# detr_tiny: query 0 class 1 (p = e^3 / (e^3 + 2)), query 1 no-object, query 2 class 0 (p = 0.5).
TINY_DETR_LOGITS = [[0.0, 3.0, 0.0], [0.0, 0.0, 6.0], [0.6931472, 0.0, 0.0]]
TINY_DETR_BOXES = [[0.5, 0.5, 0.5, 0.25], [0.1, 0.1, 0.1, 0.1], [0.25, 0.75, 0.5, 0.5]]


def constant_model(path, outputs):
    """A model with input [1,3,64,64] whose outputs are constants (plus 0 * mean(input), so they depend on it)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    nodes = [helper.make_node("ReduceMean", ["input"], ["m"], keepdims=0),
             helper.make_node("Mul", ["m", "zero"], ["z"])]
    inits = [numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    outs = []
    for name, value in outputs.items():
        a = np.asarray(value, np.float32)[None]
        inits.append(numpy_helper.from_array(a, name + "_value"))
        nodes.append(helper.make_node("Add", [name + "_value", "z"], [name]))
        outs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(a.shape)))
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 64, 64])],
                              outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, path)


def make_tiny(outdir):
    from PIL import Image
    constant_model(os.path.join(outdir, "yolov8_tiny.onnx"), {"output0": TINY_YOLO})
    constant_model(os.path.join(outdir, "detr_tiny.onnx"), {"logits": TINY_DETR_LOGITS, "boxes": TINY_DETR_BOXES})
    Image.new("RGB", (128, 64), (90, 120, 150)).save(os.path.join(outdir, "tiny.png"))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    makers = {"ssdlite": make_ssdlite, "segmentation": make_segmentation, "crnn": make_crnn, "tiny": make_tiny}
    for what in sys.argv[2:]:
        if what not in makers:
            sys.exit(f"make_head_models: unknown item '{what}' (choose {', '.join(makers)})")
        makers[what](outdir)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""edgeinfer-export: export a PyTorch model to ONNX for edgeinfer and check it runs the same.

Usage:
  edgeinfer-export [--bsize N] [--resolution WxH] [--channels C] [--dynamic batch,height,width]
                   [--weights state_dict.pt] [--opset K] [--frames T] [--mean M,M,M] [--std S,S,S]
                   [--name NAME] [--raw-head] [--tolerance R] MODEL [OUTDIR]

MODEL is a torchvision architecture name (resnet50, deeplabv3_mobilenet_v3_large,
ssdlite320_mobilenet_v3_large, r3d_18, ...) or `module.path:factory` for your own model
(the current directory is importable). Writes OUTDIR/NAME.onnx and the sidecar OUTDIR/NAME.json
(input name, layout, mean/std and where they came from, color order, labels when known, task, weights)
that later edgeinfer commands read; NAME is --name, else the torchvision name, else the module's class.
Then runs the exported file in edgeinfer (`edgeinfer run`) on one seeded input, compares every output
with PyTorch's and ends with a verdict: `check: PASS` (exit 0) or `check: FAIL` naming the worst output
(exit 4). Nothing is downloaded: without --weights the model gets seeded random weights.
--raw-head exports torchvision SSD/RetinaNet detectors as their raw heads (box regression + class logits
per anchor) with the anchor generator in the sidecar; `edgeinfer detect` decodes and suppresses them. The edgeinfer program used for the check is $EDGEINFER_BINARY, else the one
installed next to this script, else `edgeinfer` on PATH.

Runs on Debian's /usr/bin/python3 with python3-torch and python3-torchvision. The functions here
are also used by edgeinfer's parity suite (tests/parity/zoo_parity.py).
"""
import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

PROG = "edgeinfer-export"
SEED = 0
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
DYNAMIC_AXES = ("batch", "height", "width")


class ExportError(Exception):
    """A user-facing error: printed as one line `edgeinfer-export: MESSAGE`, exit status 2."""


# ---------------------------------------------------------------------------------------------
# Arguments


def parse_resolution(text):
    parts = text.lower().split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise ExportError(f"--resolution '{text}' is not WxH (two positive integers, e.g. 224x224)") from None
    if w <= 0 or h <= 0:
        raise ExportError(f"--resolution '{text}' is not WxH (two positive integers, e.g. 224x224)")
    return w, h


def parse_dynamic(text):
    axes = [a.strip() for a in text.split(",") if a.strip()] if text else []
    for a in axes:
        if a not in DYNAMIC_AXES:
            raise ExportError(f"--dynamic '{text}': unknown axis '{a}' (choose from batch,height,width)")
    return axes


# ---------------------------------------------------------------------------------------------
# Models


def torchvision_task(name):
    import torchvision.models as tvm
    for task, module in (("segmentation", tvm.segmentation), ("detection", tvm.detection), ("video", tvm.video),
                         ("optical_flow", tvm.optical_flow), ("quantization", tvm.quantization)):
        if name in tvm.list_models(module=module):
            return task
    if name in tvm.list_models(module=tvm):
        return "classification"
    return None


def randomize_batchnorm(model):
    """Default init leaves BatchNorm at identity, which tests nothing; give it seeded statistics."""
    import torch
    g = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.weight is not None:
                n = m.num_features
                m.weight.copy_(1.0 + 0.1 * torch.randn(n, generator=g))
                m.bias.copy_(0.1 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
                m.running_var.copy_(1.0 + 0.2 * torch.rand(n, generator=g))


def randomize_zero_weights(model):
    """Zero-initialized weights (ViT's class token and head) make every output equal; seed them too."""
    import torch
    g = torch.Generator().manual_seed(SEED + 2)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2 and not p.any():
                p.copy_(0.02 * torch.randn(p.shape, generator=g))


def replace_first_conv(model, channels):
    """Rebuilds the first 3-channel convolution for `channels` input channels (seeded weights)."""
    import torch
    for parent in model.modules():
        for child_name, child in parent.named_children():
            if isinstance(child, (torch.nn.Conv2d, torch.nn.Conv3d)) and child.in_channels == 3:
                cls = type(child)
                conv = cls(channels, child.out_channels, child.kernel_size, child.stride, child.padding,
                           child.dilation, child.groups if child.groups == 1 else channels, child.bias is not None,
                           child.padding_mode)
                setattr(parent, child_name, conv)
                return
    raise ExportError(f"--channels {channels}: found no 3-channel first convolution to adapt")


class DetectionWrapper:
    """Turns torchvision's list-of-images / list-of-dicts detection API into tensors in, tensors out."""

    @staticmethod
    def make(model):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.model = m

            def forward(self, images):
                out = self.model([images[0]])[0]
                return out["boxes"], out["scores"], out["labels"]

        return Wrapped(model)


class RawHeadWrapper:
    """torchvision SSD/RetinaNet without their post-processing: normalization, backbone and head, giving
    bbox_regression [1,N,4] and cls_logits [1,N,C] per anchor (decoded by edgeinfer with the sidecar's anchors)."""

    @staticmethod
    def make(model):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.model = m

            def features(self, images):
                x = self.model.transform.normalize(images[0])[None]
                feats = self.model.backbone(x)
                if isinstance(feats, torch.Tensor):
                    feats = {"0": feats}
                return list(feats.values())

            def forward(self, images):
                head = self.model.head(self.features(images))
                return head["bbox_regression"], head["cls_logits"]

        return Wrapped(model)


def anchor_sidecar(wrapped, x):
    """The sidecar's "anchors": torchvision's anchor generator, box coder and post-processing settings for
    the feature maps of input `x` (docs/export.md)."""
    import torch
    model = wrapped.model
    with torch.no_grad():
        feats = wrapped.features(x)
    h, w = int(x.shape[-2]), int(x.shape[-1])
    grids = [[int(f.shape[-2]), int(f.shape[-1])] for f in feats]
    ag = model.anchor_generator
    doc = {"image_size": [h, w], "box_coder_weights": [float(v) for v in model.box_coder.weights],
           "bbox_xform_clip": float(model.box_coder.bbox_xform_clip), "score_thresh": float(model.score_thresh),
           "nms_thresh": float(model.nms_thresh), "topk_candidates": int(model.topk_candidates),
           "detections_per_img": int(model.detections_per_img)}
    if type(ag).__name__ == "DefaultBoxGenerator":
        doc["type"] = "ssd"
        doc["scales"] = [float(v) for v in ag.scales]
        doc["clip"] = bool(ag.clip)
        levels = []
        for k, g in enumerate(grids):
            level = {"feature_map": g, "aspect_ratios": [float(r) for r in ag.aspect_ratios[k]]}
            if ag.steps is not None:
                level["step"] = float(ag.steps[k])
            levels.append(level)
        doc["levels"] = levels
    else:
        doc["type"] = "retinanet"
        doc["levels"] = [{"feature_map": g, "stride": [h // g[0], w // g[1]], "sizes": [int(v) for v in sizes],
                          "aspect_ratios": [float(r) for r in ratios]}
                         for g, sizes, ratios in zip(grids, ag.sizes, ag.aspect_ratios)]
    return doc


def parse_floats(text, flag):
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ExportError(f"{flag} '{text}' is not a comma list of numbers (e.g. 0.485,0.456,0.406)") from None
    if not values:
        raise ExportError(f"{flag} '{text}' is not a comma list of numbers (e.g. 0.485,0.456,0.406)")
    return values


class SegmentationWrapper:
    @staticmethod
    def make(model):
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.model = m

            def forward(self, x):
                out = self.model(x)
                return tuple(out[k] for k in sorted(out.keys(), key=lambda k: (k != "out", k)))

        return Wrapped(model)


def import_factory(spec):
    module_name, _, factory_name = spec.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ExportError(f"cannot import module '{module_name}' for MODEL '{spec}': {e}") from None
    factory = getattr(module, factory_name, None)
    if factory is None or not callable(factory):
        raise ExportError(f"module '{module_name}' has no callable '{factory_name}' (MODEL '{spec}')")
    return factory

def spread_ssd_scores(model):
    """Random SSD class heads put all ~91 class scores at the 1/91 prior, so hundreds of detections
    tie to 7 digits and NMS order among them is arbitrary: scale the class logits (seeded, still
    random) so scores spread and detections are well separated. Trained weights replace these."""
    import torch
    head = getattr(getattr(model, "head", None), "classification_head", None)
    if head is None:
        return
    with torch.no_grad():
        for block in getattr(head, "module_list", []):
            convs = [m for m in block.modules() if isinstance(m, torch.nn.Conv2d)]
            if convs:
                convs[-1].weight.mul_(40.0)


def make_model(spec, num_classes=None, resolution=None, extra=None):
    """Builds MODEL with seeded random weights. Returns (module, task, weights_enum_or_None)."""
    import torch
    import torchvision.models as tvm
    torch.manual_seed(SEED)
    kwargs = dict(extra or {})
    if num_classes is not None:
        kwargs["num_classes"] = num_classes
    if ":" in spec:
        model = import_factory(spec)(**kwargs)
        return model, getattr(model, "task", None), None
    task = torchvision_task(spec)
    if task is None:
        raise ExportError(f"unknown architecture '{spec}': not a torchvision model name nor module.path:factory "
                          f"(try e.g. resnet50, ssdlite320_mobilenet_v3_large, r3d_18)")
    if task in ("optical_flow", "quantization"):
        raise ExportError(f"architecture '{spec}' ({task}) is not supported by {PROG}")
    if task in ("segmentation", "detection"):
        kwargs["weights_backbone"] = None
    if task == "detection" and resolution and "ssd" not in spec:
        # The built-in transform resizes every image to min_size (800 by default); keep the given size.
        kwargs["min_size"] = min(resolution)
        kwargs["max_size"] = max(resolution)
    model = tvm.get_model(spec, weights=None, **kwargs)
    randomize_batchnorm(model)
    randomize_zero_weights(model)
    if task == "detection" and "ssd" in spec:
        spread_ssd_scores(model)
    try:
        weights = tvm.get_model_weights(spec).DEFAULT
    except Exception:  # noqa: BLE001 - some architectures have no published weights
        weights = None
    return model, task, weights


def load_weights(model, path, spec, rebuild):
    """Loads a state_dict; when only the classifier's size differs, rebuilds for that many classes."""
    import torch
    try:
        state = torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise ExportError(f"weights file '{path}' does not exist") from None
    except Exception as e:  # noqa: BLE001 - torch raises many kinds for a broken file
        raise ExportError(f"weights file '{path}' is not a PyTorch state_dict: {str(e).splitlines()[0]}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if isinstance(state, torch.nn.Module):
        state = state.state_dict()
    if not isinstance(state, dict):
        raise ExportError(f"weights file '{path}' holds a {type(state).__name__}, not a state_dict")
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [k for k in own if k in state and hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(own[k].shape)]
    if not missing and not unexpected and mismatched:
        # A model fine-tuned for another number of classes: the last layer's first dimension differs.
        classes = {int(state[k].shape[0]) for k in mismatched if state[k].dim() >= 1}
        tail = list(own.keys())[-len(mismatched) - 2:]
        if len(classes) == 1 and all(k in tail for k in mismatched):
            model = rebuild(classes.pop())
            own = model.state_dict()
            mismatched = [k for k in own if tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if mismatched:
            k = mismatched[0]
            parts.append(f"{len(mismatched)} of another shape (e.g. {k}: file {list(state[k].shape)}, "
                         f"model {list(own[k].shape)})")
        raise ExportError(f"weights file '{path}' does not match architecture '{spec}': " + ", ".join(parts) + " keys")
    model.load_state_dict(state)
    return model


# ---------------------------------------------------------------------------------------------
# Export


def default_resolution(task, spec):
    if task == "video":
        return (112, 112)
    if task == "segmentation" or "320" in spec:
        return (320, 320)
    return (224, 224)


def flatten_outputs(y):
    import torch
    if isinstance(y, torch.Tensor):
        return [y]
    if isinstance(y, dict):
        return [v for v in y.values()]
    out = []
    for v in y:
        out.extend(flatten_outputs(v))
    return out


def output_names(task, count):
    if task == "detection":
        return ["boxes", "scores", "labels"]
    if task == "segmentation":
        return ["out", "aux"][:count] if count <= 2 else [f"output{i}" for i in range(count)]
    return ["output"] if count == 1 else [f"output{i}" for i in range(count)]


def seeded_input(shape, seed=123):
    import torch
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g)


class Exported:
    """What export() produced: the wrapped eval-mode module, input shape, output names, sidecar."""

    def __init__(self, module, shape, outputs, sidecar, onnx_path, json_path):
        self.module, self.shape, self.outputs, self.sidecar = module, shape, outputs, sidecar
        self.onnx_path, self.json_path = onnx_path, json_path


def build(spec, channels=None, weights=None, resolution=None, extra=None):
    """Model in eval mode, its task and torchvision weights enum (for labels). `extra`: factory kwargs."""
    model, task, tv_weights = make_model(spec, resolution=resolution, extra=extra)
    if weights:
        model = load_weights(model, weights, spec,
                             lambda n: make_model(spec, num_classes=n, resolution=resolution, extra=extra)[0])
    if channels is not None and channels != 3 and ":" not in spec:
        replace_first_conv(model, channels)
    model.eval()
    return model, task, tv_weights


def count_classes(model, task, outputs):
    if task == "detection":
        head = getattr(getattr(model, "head", None), "classification_head", None)
        return getattr(head, "num_classes", getattr(head, "num_columns", None))  # SSD heads say num_columns
    if task == "text":
        return int(outputs[0].shape[-1])
    if outputs and outputs[0].dim() >= 2:
        return int(outputs[0].shape[1])
    return None


def infer_task(outputs):
    if len(outputs) == 1 and outputs[0].dim() == 2:
        return "classification"
    if len(outputs) >= 1 and outputs[0].dim() == 4:
        return "segmentation"
    return "classification"


def preprocessing(model, channels, task, tv_weights, mean=None, std=None):
    """(mean, std, sources): --mean/--std first, then the module's `mean`/`std` attributes, then the
    torchvision weights' transforms, then ImageNet's (3 channels) or 0.5 (other channel counts); detectors
    normalize inside the graph. `sources` says where each of mean and std came from."""
    def pick(given, attr, flag):
        if given is not None:
            return list(given), flag
        if task == "detection":
            return None, None
        value = getattr(model, attr, None)
        if value is not None:
            try:
                value = [float(v) for v in (value.tolist() if hasattr(value, "tolist") else value)]
            except TypeError:
                value = [float(value)]
            return value, f"module attribute '{attr}'"
        return None, None

    out, sources = {}, {}
    for attr, given, flag in (("mean", mean, "--mean"), ("std", std, "--std")):
        value, source = pick(given, attr, flag)
        if value is None:
            if task == "detection":
                value, source = ([0.0] if attr == "mean" else [1.0]) * channels, "in the graph (torchvision detector)"
            elif channels != 3:
                value, source = [0.5] * channels, "default for a non-RGB input"
            elif tv_weights is not None and hasattr(tv_weights.transforms(), attr):
                value, source = list(getattr(tv_weights.transforms(), attr)), f"torchvision weights {tv_weights}"
            else:
                value, source = list(IMAGENET_MEAN if attr == "mean" else IMAGENET_STD), "ImageNet default"
        if len(value) == 1 and channels > 1:
            value = value * channels
        if len(value) != channels:
            raise ExportError(f"{source} {attr} has {len(value)} values, the model takes {channels} channels")
        if attr == "std" and any(v == 0 for v in value):
            raise ExportError(f"{source} std holds a 0 (division by zero)")
        out[attr], sources[attr] = value, source
    return out["mean"], out["std"], sources


def export(spec, outdir, bsize=1, resolution=None, channels=None, dynamic=(), weights=None, opset=13, frames=16,
           extra=None, mean=None, std=None, name=None, raw_head=False):
    """Exports MODEL to OUTDIR/NAME.onnx + NAME.json (NAME: `name`, else the torchvision name, else the
    module's class). Returns an Exported."""
    import torch
    model, task, tv_weights = build(spec, channels, weights, resolution, extra)
    stem = name or (type(model).__name__ if ":" in spec else spec)
    if raw_head and not (task == "detection" and hasattr(model, "anchor_generator") and hasattr(model, "head")):
        raise ExportError(f"--raw-head: '{spec}' is not a torchvision SSD or RetinaNet detector")
    user_shape = getattr(model, "input_shape", None)  # user models may declare (C, H, W)
    if user_shape is not None and len(user_shape) == 3 and resolution is None:
        resolution = (user_shape[2], user_shape[1])
    if channels is None:
        channels = user_shape[0] if user_shape is not None else 3
    w, h = resolution or default_resolution(task, spec)
    if task == "video":
        shape = [bsize, channels, frames, h, w]
    else:
        shape = [bsize, channels, h, w]
    if task == "detection":
        if bsize != 1 or "batch" in dynamic:
            raise ExportError("detection models export one image at a time: use --bsize 1 without --dynamic batch")
        if raw_head and ("height" in dynamic or "width" in dynamic):
            raise ExportError("--raw-head exports one input size (its anchors are made for it): drop --dynamic")
        module = RawHeadWrapper.make(model) if raw_head else DetectionWrapper.make(model)
    elif task == "segmentation":
        module = SegmentationWrapper.make(model)
    else:
        module = model
    module.eval()
    x = seeded_input(shape)
    with torch.no_grad():
        ys = flatten_outputs(module(x))
    if task is None:
        task = infer_task(ys)
    names = ["bbox_regression", "cls_logits"] if raw_head else output_names(task, len(ys))
    layout = "NCTHW" if task == "video" else "NCHW"
    dyn_in, dyn_out = {}, {}
    if "batch" in dynamic:
        dyn_in[0] = "batch"
    if "height" in dynamic:
        dyn_in[len(shape) - 2] = "height"
    if "width" in dynamic:
        dyn_in[len(shape) - 1] = "width"
    for n, y in zip(names, ys):
        axes = {}
        if "batch" in dynamic:
            axes[0] = "batch"
        if task == "segmentation" and y.dim() == 4:
            axes.update({k: v for k, v in dyn_in.items() if k >= 2})
        if axes:
            dyn_out[n] = axes
    try:
        os.makedirs(outdir, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=outdir, prefix=".edgeinfer-export-", delete=True)
        probe.close()
    except OSError as e:
        raise ExportError(f"cannot write to output directory '{outdir}': {e.strerror}") from None
    onnx_path = os.path.join(outdir, stem + ".onnx")
    json_path = os.path.join(outdir, stem + ".json")
    tmp = onnx_path + ".tmp"
    dynamic_axes = {"input": dyn_in, **dyn_out} if (dyn_in or dyn_out) else None
    try:
        torch.onnx.export(module, x, tmp, opset_version=opset, input_names=["input"], output_names=names,
                          dynamic_axes=dynamic_axes, do_constant_folding=True)
    except Exception as e:  # noqa: BLE001 - report the exporter's own words
        if os.path.exists(tmp):
            os.remove(tmp)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ExportError(f"torch.onnx.export failed for '{spec}' at opset {opset}: {first}") from None
    os.replace(tmp, onnx_path)
    num_classes = count_classes(model, task, ys)
    labels = getattr(model, "labels", None)
    if labels is not None and num_classes is not None and len(labels) != num_classes:
        labels = None
    if tv_weights is not None:
        cats = tv_weights.meta.get("categories")
        if cats and (num_classes is None or len(cats) == num_classes):
            labels = list(cats)
    mean, std, sources = preprocessing(model, channels, task, tv_weights, mean, std)
    sidecar = {
        "model": spec,
        "task": task,
        "onnx": os.path.basename(onnx_path),
        "input": "input",
        "input_shape": shape,
        "dynamic_axes": list(dynamic),
        "layout": layout,
        "color_order": "RGB" if channels == 3 else ("GRAY" if channels == 1 else "NONE"),
        "scale": 1.0 / 255.0,
        "mean": mean,
        "std": std,
        "sources": sources,
        "outputs": [{"name": n, "shape": list(y.shape), "dtype": str(y.dtype).replace("torch.", "")}
                    for n, y in zip(names, ys)],
        "num_classes": num_classes,
        "labels": labels,
        "opset": opset,
        "weights": os.path.abspath(weights) if weights else "random",
    }
    if not weights:
        sidecar["random_seed"] = SEED
    if raw_head:
        sidecar["anchors"] = anchor_sidecar(module, x)
    if task == "video":
        sidecar["frames"] = frames
    with open(json_path, "w") as f:
        json.dump(sidecar, f, indent=1)
    return Exported(module, shape, names, sidecar, onnx_path, json_path)


# ---------------------------------------------------------------------------------------------
# Running in edgeinfer


def find_edgeinfer():
    env = os.environ.get("EDGEINFER_BINARY")
    if env:
        return env
    here = os.path.dirname(os.path.realpath(__file__))
    for candidate in (os.path.join(here, "edgeinfer"), os.path.join(here, "..", "bin", "edgeinfer")):
        if os.access(candidate, os.X_OK) and os.path.isfile(candidate):
            return candidate
    return shutil.which("edgeinfer")


def run_edgeinfer(binary, onnx_path, x, threads=0, timeout=1800):
    """Runs `edgeinfer run` on one input; returns {output name: np.ndarray} or raises RuntimeError(stderr)."""
    import numpy as np
    with tempfile.TemporaryDirectory(prefix="edgeinfer-export-") as tmp:
        xin = os.path.join(tmp, "input.npy")
        np.save(xin, x)
        outdir = os.path.join(tmp, "out")
        cmd = [binary, "run", onnx_path, "--input", "input=" + xin, "-o", outdir]
        if threads:
            cmd += ["--threads", str(threads)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            lines = [ln for ln in (p.stderr.strip() + "\n" + p.stdout.strip()).splitlines() if ln.strip()]
            raise RuntimeError(lines[0] if lines else f"edgeinfer run exited with {p.returncode}")
        out = {}
        for f in os.listdir(outdir):
            if f.endswith(".npy"):
                out[f[:-4]] = np.load(os.path.join(outdir, f))
        return out


def max_diff(got, want):
    """(max abs difference, range of the reference) over one output."""
    import numpy as np
    want = np.asarray(want)
    got = np.asarray(got)
    if want.size == 0:
        return 0.0, 0.0
    w = want.astype(np.float64)
    return float(np.max(np.abs(got.astype(np.float64) - w))), float(w.max() - w.min())


DEFAULT_TOLERANCE = 1e-3


class Verdict:
    """The check's outcome: passed, the worst output (largest diff relative to its tolerance), its diff."""

    def __init__(self, passed, worst_name, worst_diff, worst_tol, reason=""):
        self.passed, self.worst_name, self.worst_diff, self.worst_tol, self.reason = (
            passed, worst_name, worst_diff, worst_tol, reason)

    def line(self):
        if self.passed:
            return (f"check: PASS (edgeinfer vs PyTorch max abs diff {self.worst_diff:.3g}, worst output "
                    f"'{self.worst_name}', within tolerance {self.worst_tol:.3g})")
        if self.reason:
            return f"check: FAIL: {self.reason}"
        return (f"check: FAIL: output '{self.worst_name}' differs from PyTorch by {self.worst_diff:.3g} "
                f"(max abs diff), above its tolerance {self.worst_tol:.3g}")


def check(exp, x=None, binary=None, log=print, tolerance=DEFAULT_TOLERANCE):
    """Runs the export in PyTorch and edgeinfer on one seeded input and compares every output: each may
    differ by at most 1e-5 + tolerance * (its range in PyTorch). Returns a Verdict."""
    import torch
    binary = binary or find_edgeinfer()
    if binary is None:
        return Verdict(False, None, 0.0, 0.0, "cannot check: no edgeinfer program found (set EDGEINFER_BINARY)")
    x = seeded_input(exp.shape) if x is None else x
    with torch.no_grad():
        want = [y.numpy() for y in flatten_outputs(exp.module(x))]
    try:
        got = run_edgeinfer(binary, exp.onnx_path, x.numpy())
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return Verdict(False, None, 0.0, 0.0, f"edgeinfer cannot run the export: {e}")
    worst = None  # (diff / tol, name, diff, tol)
    for name, w in zip(exp.outputs, want):
        if name not in got:
            return Verdict(False, name, 0.0, 0.0, f"edgeinfer produced no output '{name}'")
        if got[name].shape != w.shape:
            return Verdict(False, name, 0.0, 0.0, f"output '{name}': edgeinfer shape {list(got[name].shape)}, "
                                                  f"PyTorch {list(w.shape)}")
        d, r = max_diff(got[name], w)
        tol = 1e-5 + tolerance * r
        log(f"  {name}: max abs diff {d:.3g} (output range {r:.3g}, tolerance {tol:.3g})")
        if d != d:  # NaN
            return Verdict(False, name, d, tol, f"output '{name}': edgeinfer gives NaN")
        if worst is None or d / tol > worst[0]:
            worst = (d / tol, name, d, tol)
    if worst is None:
        return Verdict(True, "(none)", 0.0, 0.0)
    return Verdict(worst[0] <= 1.0, worst[1], worst[2], worst[3])


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Export a PyTorch model to ONNX for edgeinfer and check it.")
    ap.add_argument("--bsize", type=int, default=1, help="batch size of the example input (default 1)")
    ap.add_argument("--resolution", help="input size WxH (default 224x224; 320x320 segmentation, 112x112 video)")
    ap.add_argument("--channels", type=int, help="input channels (default 3)")
    ap.add_argument("--dynamic", default="", help="comma list of dynamic input axes: batch,height,width")
    ap.add_argument("--weights", help="state_dict .pt file (default: seeded random weights)")
    ap.add_argument("--opset", type=int, default=13, help="ONNX opset (default 13)")
    ap.add_argument("--frames", type=int, default=16, help="frames per clip for video models (default 16)")
    ap.add_argument("--mean", help="per-channel mean, comma list (default: the module's `mean`, else the weights')")
    ap.add_argument("--std", help="per-channel std, comma list (default: the module's `std`, else the weights')")
    ap.add_argument("--name", help="output file name without extension (default: torchvision name or module class)")
    ap.add_argument("--raw-head", action="store_true",
                    help="torchvision SSD/RetinaNet: export the raw head (box regression + class logits per anchor) "
                         "with its anchors in the sidecar, decoded by `edgeinfer detect`")
    ap.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                    help="check: an output may differ from PyTorch by 1e-5 + R * its range (default 1e-3)")
    ap.add_argument("model", metavar="MODEL", help="torchvision architecture name or module.path:factory")
    ap.add_argument("outdir", metavar="OUTDIR", nargs="?", default=".", help="output directory (default .)")
    args = ap.parse_intermixed_args(argv)
    try:
        if args.bsize < 1:
            raise ExportError(f"--bsize {args.bsize} must be at least 1")
        if args.channels is not None and args.channels < 1:
            raise ExportError(f"--channels {args.channels} must be at least 1")
        if args.frames < 1:
            raise ExportError(f"--frames {args.frames} must be at least 1")
        resolution = parse_resolution(args.resolution) if args.resolution else None
        dynamic = parse_dynamic(args.dynamic)
        if not os.path.isdir(args.outdir) and os.path.exists(args.outdir):
            raise ExportError(f"cannot write to output directory '{args.outdir}': it is a file")
        import torch
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        mean = parse_floats(args.mean, "--mean") if args.mean is not None else None
        std = parse_floats(args.std, "--std") if args.std is not None else None
        if args.name is not None and (not args.name or os.sep in args.name):
            raise ExportError(f"--name '{args.name}' must be a file name without a directory")
        if not args.tolerance >= 0:
            raise ExportError(f"--tolerance {args.tolerance} must be >= 0")
        exp = export(args.model, args.outdir, args.bsize, resolution, args.channels, dynamic, args.weights,
                     args.opset, args.frames, mean=mean, std=std, name=args.name, raw_head=args.raw_head)
    except ExportError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    s = exp.sidecar
    shape = s["input_shape"]
    print(f"model: {args.model} ({s['task']})")
    if not args.weights:
        print(f"weights: none given, using seeded random weights (seed {SEED}); outputs are meaningless "
              "(the sidecar says \"weights\": \"random\")")
    else:
        print(f"weights: {args.weights}")
    print(f"batch size: {shape[0]}" + (" (dynamic)" if "batch" in dynamic else ""))
    print(f"image size: {shape[-1]}x{shape[-2]} (WxH)" + (f", {shape[2]} frames" if s["task"] == "video" else ""))
    print(f"channels: {shape[1]}")
    print(f"classes: {s['num_classes'] if s['num_classes'] is not None else 'unknown'}")
    print(f"wrote {exp.onnx_path}")
    print(f"wrote {exp.json_path}")
    src = s.get("sources", {})
    print(f"mean: {s['mean']} ({src.get('mean', '?')}); std: {s['std']} ({src.get('std', '?')})")
    verdict = check(exp, tolerance=args.tolerance)
    print(verdict.line())
    if verdict.passed:
        return 0
    if verdict.reason:
        print(f"{PROG}: the export was written but {verdict.reason}", file=sys.stderr)
        return 3
    print(f"{PROG}: the export was written but does not match PyTorch; see the check above", file=sys.stderr)
    return 4


if __name__ == "__main__":
    sys.exit(main())

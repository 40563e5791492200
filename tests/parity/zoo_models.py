"""Parity-zoo models that tools/edgeinfer_export.py's one-image wrappers do not cover (tests/parity/zoo_parity.py).

build(name) returns a Custom: the eval-mode module to export, its input and output names, the dynamic axes,
the opset, and one or more runs (label -> {input name: tensor}); the first run is the one traced. Each model has
seeded random weights (no download: weights=None, weights_backbone=None).

Two-stage detectors (Faster/Mask/Keypoint R-CNN) with random weights score every class near the 1/91 prior and
every anchor near objectness 0, so detections would tie to 7 digits and which of them survive NMS and the top-k
cuts would be decided by float noise (see expected_failures.txt on ssdlite). Three things make their comparison
meaningful:
  * BatchNorm statistics are estimated from the seeded image (_calibrate_batchnorm): with seeded statistics the
    random backbone's features become the same at every position, so every proposal got the same scores;
  * the box classifier's weights are scaled (_spread_class_scores), so class scores spread over about 0.2 to 0.9
    instead of sitting within 0.01 of each other, as trained weights would make them;
  * the box score threshold is 0, so detections exist at all (random weights never reach the default 0.05);
  * besides the detections (matched as sets, zoo_parity.compare_detections), the graph also outputs the backbone's
    FPN feature maps and the RPN head's objectness and box deltas, compared densely: a mismatch there points at
    the backbone/RPN rather than at the post-processing.
"""
import torch

SEED = 0


class Custom:
    def __init__(self, module, input_names, output_names, runs, opset=13, dynamic_axes=None, detections=None):
        self.module, self.input_names, self.output_names = module, input_names, output_names
        self.runs, self.opset, self.dynamic_axes = runs, opset, dynamic_axes
        # Output names of per-detection tensors, first boxes, scores, labels (compared as matched sets).
        self.detections = detections or []


def _seeded(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g)


def _image(shape, seed):
    """A seeded image in [0, 1], what torchvision detectors expect: coarse random blobs (10x10 cells upsampled)
    plus fine noise, so regions differ and proposals see different features (uniform noise looks alike everywhere)."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(shape[0], shape[1], 10, 10, generator=g)
    blobs = torch.nn.functional.interpolate(coarse, size=shape[2:], mode="bilinear", align_corners=False)
    return (0.8 * blobs + 0.2 * torch.rand(*shape, generator=g)).clamp(0, 1)


def _randomize(model):
    import edgeinfer_export as ex
    ex.randomize_batchnorm(model)
    ex.randomize_zero_weights(model)


# ---------------------------------------------------------------------------------------------------------------
# Two-stage detectors


class _RCNN(torch.nn.Module):
    """One image in, (boxes, scores, labels, <per-detection extras>, FPN maps..., objectness..., rpn deltas...) out."""

    def __init__(self, model, extras):
        super().__init__()
        self.model, self.extras = model, extras
        self._seen = {}
        model.backbone.register_forward_hook(lambda m, i, o: self._seen.__setitem__("features", list(o.values())))
        model.rpn.head.register_forward_hook(lambda m, i, o: self._seen.__setitem__("rpn", o))

    def forward(self, images):
        det = self.model([images[0]])[0]
        objectness, deltas = self._seen["rpn"]
        return (det["boxes"], det["scores"], det["labels"], *[det[k] for k in self.extras], *self._seen["features"],
                *objectness, *deltas)


def _calibrate_batchnorm(model, x):
    """Random convolutions shrink the spatial variation of activations layer after layer while seeded BatchNorm
    statistics do not follow, so by the last stage every position carries the same features (and every proposal
    the same scores). Estimate each BatchNorm's running statistics from the seeded image instead, as training
    would: the network then passes on what differs between image regions."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration passes
        m.train()
    with torch.no_grad():
        model.backbone(model.transform([x[0]])[0].tensors)
    for m in bns:
        m.eval()


def _spread_class_scores(model, x, target_std=1.5):
    """Scales the box classifier's seeded weights so its logits vary with a standard deviation of `target_std`
    over the classes (measured on `x`): random weights leave them within ~0.1 of each other (every score near
    1/91), a fixed factor saturates some backbones' scores at 0.999; 1.5 spreads scores over about 0.2 to 0.9."""
    seen = {}
    hook = model.roi_heads.box_predictor.cls_score.register_forward_hook(lambda m, i, o: seen.__setitem__("l", o))
    with torch.no_grad():
        model([x[0]])
        hook.remove()
        std = float(seen["l"].std(dim=1).mean())
        model.roi_heads.box_predictor.cls_score.weight.mul_(target_std / std)


def _rcnn(name, size, extras, second_size=None, **kwargs):
    """`size`: the square input traced (and torchvision's min/max resize size); `second_size` (h, w): a second run
    at another input size, the input's height and width then being dynamic axes of the export."""
    import torchvision.models as tvm
    torch.manual_seed(SEED)
    model = tvm.get_model(name, weights=None, weights_backbone=None, min_size=size, max_size=size,
                          box_score_thresh=0.0, **kwargs)
    _randomize(model)
    model.eval()
    x = _image([1, 3, size, size], 7)
    _calibrate_batchnorm(model, x)
    _spread_class_scores(model, x)
    wrapped = _RCNN(model, extras).eval()
    with torch.no_grad():
        n_out = len(wrapped(x))
    levels = (n_out - 3 - len(extras)) // 3
    names = (["boxes", "scores", "labels"] + list(extras) + [f"fpn{i}" for i in range(levels)] +
             [f"objectness{i}" for i in range(levels)] + [f"rpn_deltas{i}" for i in range(levels)])
    runs, dynamic = {"b1": {"input": x}}, None
    if second_size:
        h, w = second_size
        runs[f"{h}x{w}"] = {"input": _image([1, 3, h, w], 8)}
        dynamic = {"input": {2: "height", 3: "width"}}
        for i, n in enumerate(names[3 + len(extras):]):
            dynamic[n] = {2: f"h{i % levels}", 3: f"w{i % levels}"}
    return Custom(wrapped, ["input"], names, runs, opset=13, dynamic_axes=dynamic,
                  detections=["boxes", "scores", "labels"] + list(extras))


def fasterrcnn_mobilenet_v3_large_320_fpn():
    # Also run at 256x320 (torchvision's R-CNN transform keeps it: both sides within min/max size 320), so the
    # dynamic-size path (resize, padding to a multiple of 32, anchors from feature map sizes) is exercised.
    return _rcnn("fasterrcnn_mobilenet_v3_large_320_fpn", 320, [], second_size=(256, 320))


def maskrcnn_resnet50_fpn():
    # 20 detections keep the mask head (4 convs at 14x14 per detection) and the paste loop short on 2 cores.
    return _rcnn("maskrcnn_resnet50_fpn", 320, ["masks"], second_size=(256, 320), box_detections_per_img=20)


def keypointrcnn_resnet50_fpn():
    return _rcnn("keypointrcnn_resnet50_fpn", 320, ["keypoints", "keypoints_scores"], second_size=(256, 320),
                 box_detections_per_img=20)


# ---------------------------------------------------------------------------------------------------------------
# Optical flow


class _Raft(torch.nn.Module):
    def __init__(self, model, updates):
        super().__init__()
        self.model, self.updates = model, updates

    def forward(self, image1, image2):
        return tuple(self.model(image1, image2, num_flow_updates=self.updates))


def raft_small():
    import torchvision.models as tvm
    torch.manual_seed(SEED)
    model = tvm.get_model("raft_small", weights=None)
    _randomize(model)
    model.eval()
    # 128x128 (divisible by 8 as RAFT needs), 4 refinement iterations (each unrolled in the graph); every
    # iteration's upsampled flow is an output so a divergence shows where it starts. GridSample needs opset 16.
    x1, x2 = _seeded([1, 3, 128, 128], 11), _seeded([1, 3, 128, 128], 12)
    updates = 4
    return Custom(_Raft(model, updates).eval(), ["image1", "image2"], [f"flow{i}" for i in range(updates)],
                  {"b1": {"image1": x1, "image2": x2}}, opset=16)


# ---------------------------------------------------------------------------------------------------------------
# A small causal transformer encoder


class CausalEncoder(torch.nn.Module):
    """Linear in, 2 pre-norm encoder layers with a causal mask built in the graph from the sequence length
    (torch.triu -> ONNX Trilu), linear out. LayerNorm exports as LayerNormalization at opset 17."""

    def __init__(self, d_in=16, d_model=64, heads=4, layers=2, d_out=10):
        super().__init__()
        self.inp = torch.nn.Linear(d_in, d_model)
        layer = torch.nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=128, dropout=0.0, batch_first=True,
                                                 norm_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.out = torch.nn.Linear(d_model, d_out)

    def forward(self, x):
        n = x.shape[1]
        ones = torch.ones(n, n, dtype=x.dtype, device=x.device)
        mask = torch.triu(ones, diagonal=1) * -1e9  # additive causal mask
        return self.out(self.encoder(self.inp(x), mask=mask))


def causal_transformer():
    torch.manual_seed(SEED)
    model = CausalEncoder().eval()
    # Traced at 7 tokens, run at 7 and 19: the sequence length is a dynamic axis (batch 2 fixed).
    runs = {"s7": {"input": _seeded([2, 7, 16], 21)}, "s19": {"input": _seeded([2, 19, 16], 22)}}
    return Custom(model, ["input"], ["output"], runs, opset=17,
                  dynamic_axes={"input": {1: "sequence"}, "output": {1: "sequence"}})


FACTORIES = {
    "fasterrcnn_mobilenet_v3_large_320_fpn": fasterrcnn_mobilenet_v3_large_320_fpn,
    "maskrcnn_resnet50_fpn": maskrcnn_resnet50_fpn,
    "keypointrcnn_resnet50_fpn": keypointrcnn_resnet50_fpn,
    "raft_small": raft_small,
    "causal_transformer": causal_transformer,
}


def build(name):
    return FACTORIES[name]()

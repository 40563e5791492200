#!/usr/bin/python3
"""Models saved by ONNX Runtime's optimizer (with com.microsoft operators) run in edgeinfer.

  ort_optimized.py --edgeinfer BIN [--ort DIR] MODEL
      MODEL: bert | attention | resnet18 | mobilenet_v2 | qdq_extended | qdq_all | nchwc

The real use: a model exported from PyTorch (seeded random weights, at test time) is optimized by ONNX
Runtime 1.30 (Node: SessionOptions optimizedModelFilePath, graphOptimizationLevel 'extended'), which
saves it with contrib operators (FusedConv, FusedMatMul, Gelu/BiasGelu, SkipLayerNormalization, the
contrib LayerNormalization). The test checks that the saved file holds com.microsoft operators, runs it
in edgeinfer and compares with ONNX Runtime (on the same optimized file) and with PyTorch (the original
module): max |edgeinfer - reference| <= 1e-4 * range(reference) + 1e-3 * |reference| elementwise (the
zoo parity tolerance, tests/parity/zoo_parity.py).

  bert          a 2-layer BERT-like encoder (hidden 32, 4 heads, GELU FFN, additive attention mask from
                an input mask), static shapes (batch 2, sequence 8)
  attention     one encoder layer written with onnx.helper in the form ORT's C++ AttentionFusion matches (its
                optimizer found no Attention in the PyTorch export above), fused to com.microsoft:Attention with
                a raw 2-D mask; compared with ORT on the fused file and on the original
  resnet18      torchvision resnet18 at 1x3x64x64 (10 classes; BatchNorm statistics seeded as the parity zoo
                does, tools/edgeinfer_export.py)
  mobilenet_v2  torchvision mobilenet_v2 at 1x3x64x64 (ReLU6 fused as FusedConv's Clip)
  qdq_extended  a small QDQ network written with onnx.helper (uint8 activations, int8 weights), optimized at
                'extended': QLinearAdd, QLinearMul, QLinearSigmoid, QLinearGlobalAveragePool (compared with ORT)
  qdq_all       the same at level 'all': also NHWC com.microsoft:QLinearConv and NhwcMaxPool
  nchwc         resnet18 optimized at level 'all', whose com.microsoft.nchwc operators edgeinfer does not
                implement: loading must fail and list every such node with its domain

Exit 77 (CTest SKIP) when ONNX Runtime is not installed (bench/.ort: run bench/setup-ort).
"""
import argparse
import collections
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import contrib_ops  # noqa: E402

SKIP = 77
RTOL, ATOL_OF_RANGE = 1e-3, 1e-4


def bert_module():
    import torch
    import torch.nn as nn

    class Layer(nn.Module):
        def __init__(self, h, heads, ff):
            super().__init__()
            self.heads, self.h = heads, h
            self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
            self.ln1, self.ln2 = nn.LayerNorm(h, eps=1e-12), nn.LayerNorm(h, eps=1e-12)
            self.i, self.o2 = nn.Linear(h, ff), nn.Linear(ff, h)

        def split(self, x):
            b, s, _ = x.shape
            return x.view(b, s, self.heads, self.h // self.heads).permute(0, 2, 1, 3)

        def forward(self, x, mask):
            q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.h // self.heads) + mask
            ctx = torch.matmul(torch.softmax(scores, -1), v).permute(0, 2, 1, 3).contiguous()
            x = self.ln1(self.o(ctx.view(x.shape)) + x)
            return self.ln2(self.o2(nn.functional.gelu(self.i(x))) + x)

    class Encoder(nn.Module):
        def __init__(self, vocab=50, h=32, heads=4, ff=64, layers=2, max_len=16):
            super().__init__()
            self.words, self.positions = nn.Embedding(vocab, h), nn.Embedding(max_len, h)
            self.ln = nn.LayerNorm(h, eps=1e-12)
            self.layers = nn.ModuleList([Layer(h, heads, ff) for _ in range(layers)])

        def forward(self, input_ids, attention_mask):
            pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
            x = self.ln(self.words(input_ids) + self.positions(pos))
            mask = (1.0 - attention_mask.unsqueeze(1).unsqueeze(2).to(torch.float32)) * -10000.0
            for layer in self.layers:
                x = layer(x, mask)
            return x

    ids = torch.randint(0, 50, (2, 8))
    mask = torch.ones(2, 8, dtype=torch.int64)
    mask[1, 5:] = 0
    return Encoder(), {"input_ids": ids, "attention_mask": mask}


def torchvision_module(name):
    import torch
    import torchvision
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools"))
    import edgeinfer_export  # noqa: E402 - seeded BatchNorm statistics, as the parity zoo exports

    module = getattr(torchvision.models, name)(num_classes=10)
    edgeinfer_export.randomize_batchnorm(module)
    edgeinfer_export.randomize_zero_weights(module)
    return module, {"input": torch.randn(1, 3, 64, 64)}


def qdq_model(tmp):
    """A small QDQ network (Conv, MaxPool, Add, Mul, Sigmoid, GlobalAveragePool between Q/DQ pairs, uint8
    activations, int8 weights) written with onnx.helper; returns (path, {input: np})."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    nodes, init = [], {}

    def qdq(name, x, scale, zp):
        init[name + "_s"], init[name + "_z"] = np.array(scale, np.float32), np.array(zp, np.uint8)
        nodes.append(helper.make_node("QuantizeLinear", [x, name + "_s", name + "_z"], [name + "_q"]))
        nodes.append(helper.make_node("DequantizeLinear", [name + "_q", name + "_s", name + "_z"], [name]))
        return name

    def op(kind, inputs, **attrs):
        out = f"{kind.lower()}{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    x = qdq("xq", "x", 0.02, 128)
    init["w_q"] = rng.integers(-60, 60, (8, 3, 3, 3)).astype(np.int8)
    init["w_s"], init["w_z"] = np.array(0.01, np.float32), np.array(0, np.int8)
    init["b"] = (rng.standard_normal(8) * 0.1).astype(np.float32)
    nodes.append(helper.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"]))
    c = qdq("cq", op("Conv", [x, "w", "b"], pads=[1, 1, 1, 1]), 0.03, 120)
    mp = qdq("mpq", op("MaxPool", [c], kernel_shape=[2, 2], strides=[2, 2]), 0.03, 120)
    c2 = qdq("c2q", op("Conv", [x, "w", "b"], pads=[1, 1, 1, 1], strides=[2, 2]), 0.03, 128)
    a = qdq("aq", op("Add", [mp, c2]), 0.05, 128)
    mu = qdq("muq", op("Mul", [a, c2]), 0.05, 128)
    sg = qdq("sgq", op("Sigmoid", [mu]), 1 / 256, 0)
    gp = qdq("gpq", op("GlobalAveragePool", [sg]), 1 / 256, 0)
    nodes.append(helper.make_node("Identity", [gp], ["output"]))
    graph = helper.make_graph(nodes, "qdq", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 16, 16])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [2, 8, 1, 1])],
                              [numpy_helper.from_array(v, k) for k, v in init.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path = os.path.join(tmp, "qdq.onnx")
    onnx.save(model, path)
    return path, {"x": rng.standard_normal((2, 3, 16, 16)).astype(np.float32)}


def attention_layer_model(tmp):
    """One BERT encoder layer in the form ORT's C++ AttentionFusion matches (its own test models' form, opset 12:
    Unsqueeze/Softmax with attributes, the contrib LayerNormalization, constant [0, 0, heads, head size]
    reshapes, mask (1 - m) * -10000), written with onnx.helper; returns (path, {input: np})."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(1)
    hidden, heads = 32, 4
    init = {"split": np.array([0, 0, heads, hidden // heads], np.int64), "merge": np.array([0, 0, hidden], np.int64),
            "one": np.array(1.0, np.float32), "filter": np.array(-10000.0, np.float32),
            "sqrt": np.array(math.sqrt(hidden // heads), np.float32)}
    nodes = []

    def w(name, *shape, scale=0.2):
        init[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
        return name

    def op(kind, inputs, out=None, **attrs):
        out = out or f"{kind.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    ln = op("LayerNormalization", ["x", w("g0", hidden), w("b0", hidden)], axis=-1, epsilon=1e-5)
    m = op("Cast", [op("Unsqueeze", [op("Unsqueeze", ["mask"], axes=[1])], axes=[2])], to=TensorProto.FLOAT)
    mask = op("Mul", [op("Sub", ["one", m]), "filter"])

    def proj(name, perm):
        y = op("Add", [op("MatMul", [ln, w("w" + name, hidden, hidden)]), w("b" + name, hidden, scale=0.1)])
        return op("Transpose", [op("Reshape", [y, "split"])], perm=perm)

    q, k, v = proj("q", [0, 2, 1, 3]), proj("k", [0, 2, 3, 1]), proj("v", [0, 2, 1, 3])
    p = op("Softmax", [op("Add", [op("Div", [op("MatMul", [q, k]), "sqrt"]), mask])], axis=3)
    ctx = op("Reshape", [op("Transpose", [op("MatMul", [p, v])], perm=[0, 2, 1, 3]), "merge"])
    y = op("Add", [op("Add", [op("MatMul", [ctx, w("wo", hidden, hidden)]), w("bo", hidden, scale=0.1)]), ln])
    op("LayerNormalization", [y, w("g1", hidden), w("b1", hidden)], out="output", axis=-1, epsilon=1e-5)
    graph = helper.make_graph(
        nodes, "encoder_layer", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", hidden]),
                                 helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", "seq", hidden])],
        [numpy_helper.from_array(v, k) for k, v in init.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 7
    path = os.path.join(tmp, "encoder_layer.onnx")
    onnx.save(model, path)
    mask = np.ones((2, 8), np.int64)
    mask[1, 5:] = 0
    return path, {"x": rng.standard_normal((2, 8, hidden)).astype(np.float32), "mask": mask}


def check_attention(binary, ort_dir, tmp):
    """ORT fuses the layer into com.microsoft:Attention (raw 2-D mask) and SkipLayerNormalization; edgeinfer runs
    the optimized file and is compared with ORT on it and with ORT on the original (unfused) model."""
    src, feeds = attention_layer_model(tmp)
    for k, v in feeds.items():
        np.save(os.path.join(tmp, k + ".npy"), v)
    opt = os.path.join(tmp, "encoder_layer.ort.onnx")
    ort_optimize(ort_dir, src, opt, "extended")
    ops = contrib_ops_in(opt)
    print("encoder layer: ORT-optimized model holds " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    if "com.microsoft:Attention" not in ops:
        return ["ORT fused no Attention"]
    want = contrib_ops.run_ort(ort_dir, opt, feeds, tmp)["output"]
    orig = os.path.join(tmp, "orig")  # run_ort reads DIR/<input>.npy and writes DIR/ort/
    os.makedirs(orig)
    for k, v in feeds.items():
        np.save(os.path.join(orig, k + ".npy"), v)
    unfused = contrib_ops.run_ort(ort_dir, src, feeds, orig)["output"]
    got = contrib_ops.run_edgeinfer(binary, opt, feeds, tmp).get("output")
    if got is None:
        return ["edgeinfer produced no 'output'"]
    errors = [close(got, want, "edgeinfer vs ONNX Runtime"), close(got, unfused, "edgeinfer vs the unfused model in ORT")]
    # The original (opset 12 with ORT's contrib LayerNormalization in the ONNX domain) runs in edgeinfer too.
    got_orig = contrib_ops.run_edgeinfer(binary, src, feeds, orig).get("output")
    errors.append(close(got_orig, unfused, "edgeinfer on the unfused model vs ORT on it"))
    return [e for e in errors if e]


def check_qdq(level, binary, ort_dir, tmp):
    """ORT turns the QDQ pairs into QLinearAdd/Mul/Sigmoid/GlobalAveragePool (extended), at level 'all' also
    NHWC com.microsoft:QLinearConv and NhwcMaxPool. The output is uint8 dequantized by 1/256: edgeinfer may
    differ from ORT by 2 of those steps (an intermediate value rounding the other way at a .5 boundary)."""
    src, feeds = qdq_model(tmp)
    np.save(os.path.join(tmp, "x.npy"), feeds["x"])
    opt = os.path.join(tmp, f"qdq.{level}.onnx")
    ort_optimize(ort_dir, src, opt, level)
    ops = contrib_ops_in(opt)
    print(f"qdq at level '{level}': ORT-optimized model holds " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    if not ops:
        return ["the ORT-optimized model holds no com.microsoft operator"]
    want = contrib_ops.run_ort(ort_dir, opt, feeds, tmp)["output"]
    got = contrib_ops.run_edgeinfer(binary, opt, feeds, tmp).get("output")
    if got is None or got.shape != want.shape:
        return [f"edgeinfer output {None if got is None else got.shape}, ORT {want.shape}"]
    diff = float(np.abs(got.astype(np.float64) - want).max())
    print(f"  edgeinfer vs ONNX Runtime: max abs diff {diff:.3g} (step 1/256; {np.count_nonzero(got != want)} of "
          f"{want.size} values differ)")
    return [f"max abs diff {diff:.3g} > 2/256"] if diff > 2 / 256 + 1e-7 else []


def export(name, tmp):
    """Exports the module (seeded) to tmp/NAME.onnx; returns (path, {input: np}, {output: np from PyTorch})."""
    import torch
    torch.manual_seed(0)
    module, inputs = bert_module() if name == "bert" else torchvision_module(name)
    module.eval()
    path = os.path.join(tmp, name + ".onnx")
    with torch.no_grad():
        y = module(*inputs.values())
        torch.onnx.export(module, tuple(inputs.values()), path, input_names=list(inputs), output_names=["output"],
                          opset_version=13)
    return path, {k: v.numpy() for k, v in inputs.items()}, {"output": y.numpy()}


def ort_optimize(ort_dir, src, dst, level):
    r = subprocess.run(["node", os.path.join(HERE, "ort_oracle.js"), "--ort", ort_dir, "optimize", src, dst, level],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"ORT optimize failed: {r.stderr.strip()[-600:]}")


def contrib_ops_in(path):
    import onnx
    m = onnx.load(path)
    return collections.Counter(f"{n.domain}:{n.op_type}" for n in m.graph.node if n.domain.startswith("com.microsoft"))


def close(got, want, what):
    if got.shape != want.shape:
        return f"{what}: edgeinfer shape {list(got.shape)}, reference {list(want.shape)}"
    w, g = want.astype(np.float64), got.astype(np.float64)
    bound = ATOL_OF_RANGE * float(w.max() - w.min()) + RTOL * np.abs(w)
    diff = np.abs(g - w)
    if not np.isfinite(g).all() or (diff > bound).any():
        return f"{what}: max abs diff {diff.max():.3g} exceeds tolerance (range {float(w.max() - w.min()):.3g})"
    print(f"  {what}: max abs diff {diff.max():.3g} (range {float(w.max() - w.min()):.3g})")
    return None


def check_model(name, binary, ort_dir, tmp):
    src, feeds, torch_out = export(name, tmp)
    for k, v in feeds.items():
        np.save(os.path.join(tmp, k + ".npy"), v)
    opt = os.path.join(tmp, name + ".ort.onnx")
    ort_optimize(ort_dir, src, opt, "extended")
    ops = contrib_ops_in(opt)
    print(f"{name}: ORT-optimized model holds " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    if not ops:
        return ["the ORT-optimized model holds no com.microsoft operator"]
    want = contrib_ops.run_ort(ort_dir, opt, feeds, tmp)
    got = contrib_ops.run_edgeinfer(binary, opt, feeds, tmp)
    if "output" not in got:
        return [f"edgeinfer produced outputs {sorted(got)}, not 'output'"]
    errors = [close(got["output"], want["output"], "edgeinfer vs ONNX Runtime"),
              close(got["output"], torch_out["output"], "edgeinfer vs PyTorch")]
    return [e for e in errors if e]


def check_nchwc(binary, ort_dir, tmp):
    """Level 'all' writes com.microsoft.nchwc operators: loading must fail and name each with its domain."""
    src, feeds, _ = export("resnet18", tmp)
    np.save(os.path.join(tmp, "input.npy"), feeds["input"])
    opt = os.path.join(tmp, "resnet18.all.onnx")
    ort_optimize(ort_dir, src, opt, "all")
    ops = contrib_ops_in(opt)
    print("resnet18 at level 'all' holds " + ", ".join(f"{k} x{v}" for k, v in sorted(ops.items())))
    r = subprocess.run([binary, "run", opt, "--input", "input=" + os.path.join(tmp, "input.npy")],
                       capture_output=True, text=True, timeout=120)
    text = r.stderr + r.stdout
    errors = []
    if r.returncode == 0:
        errors.append("edgeinfer ran a model with com.microsoft.nchwc operators")
    for op in ops:
        if op.startswith("com.microsoft.nchwc:") and op not in text:
            errors.append(f"the load error does not name {op}")
    if not errors:
        print("  edgeinfer refused it naming " + ", ".join(sorted(ops)))
    else:
        print(text.strip()[-1500:])
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edgeinfer", required=True)
    ap.add_argument("--ort", default=contrib_ops.ort_dir_default())
    ap.add_argument("model",
                    choices=["bert", "attention", "resnet18", "mobilenet_v2", "qdq_extended", "qdq_all", "nchwc"])
    args = ap.parse_args()
    if not contrib_ops.have_ort(args.ort):
        print(f"SKIP: ONNX Runtime not installed in {args.ort} (run bench/setup-ort) or node missing")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="edgeinfer-ortopt-") as tmp:
        try:
            if args.model == "attention":
                errors = check_attention(args.edgeinfer, args.ort, tmp)
            elif args.model.startswith("qdq_"):
                errors = check_qdq(args.model[4:], args.edgeinfer, args.ort, tmp)
            elif args.model == "nchwc":
                errors = check_nchwc(args.edgeinfer, args.ort, tmp)
            else:
                errors = check_model(args.model, args.edgeinfer, args.ort, tmp)
        except Exception as e:  # noqa: BLE001 - reported with the model name
            errors = [f"{type(e).__name__}: {e}"]
    for e in errors:
        print(f"FAIL {args.model}: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

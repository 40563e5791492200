#!/usr/bin/python3
"""ONNX Runtime's com.microsoft operators in edgeinfer, checked against ONNX Runtime itself.

  contrib_ops.py --edgeinfer BIN [--ort DIR] [CASE ...]      run the named cases (all when none given)
  contrib_ops.py --list                                      print the case names

Each case builds a tiny model with onnx.helper (domain com.microsoft, opset 1; ONNX opset 13 beside it),
seeded inputs, runs it in ONNX Runtime 1.30 (tests/parity/ort_oracle.js through Node, optimizations off
so the contrib node runs as written) and in `edgeinfer run`, and compares every output.

Tolerances: float outputs must satisfy |edgeinfer - ORT| <= 1e-5 + 1e-4 * max|ORT| (the ops are a few
float32 operations per element; ORT uses MLAS/Eigen approximations of erf, tanh and exp whose errors are
~1e-6 relative). Quantized (uint8/int8) outputs may differ by 1 unit where the real value lies within
float rounding of a .5 boundary (ORT's MLAS requantizes with its own float arithmetic); max pooling and
shapes must match exactly.

The bad_* cases (malformed nodes, an unimplemented contrib op) need no ORT: edgeinfer must refuse them
with an error naming the node and what is wrong. Without ONNX Runtime (bench/.ort missing: run
bench/setup-ort) the other cases are skipped: exit code 77, which CTest reports as SKIP
(SKIP_RETURN_CODE).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
SKIP = 77
MS = "com.microsoft"
F = TensorProto.FLOAT


def ort_dir_default():
    return os.path.join(SOURCE, "bench", ".ort")


def have_ort(ort_dir):
    return os.path.isdir(os.path.join(ort_dir, "node_modules", "onnxruntime-node")) and shutil.which("node")


def make_model(nodes, inputs, outputs, initializers=(), opset=13):
    """inputs/outputs: [(name, elem_type, shape)]; initializers: {name: np.ndarray}."""
    graph = helper.make_graph(
        nodes, "contrib", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        [numpy_helper.from_array(v, k) for k, v in dict(initializers).items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    return model


def rnd(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# ---- cases: each returns (model, {input name: array}, quantized?) ---------------------------------------

def case_gelu(rng):
    n = helper.make_node("Gelu", ["x"], ["y"], domain=MS)
    return make_model([n], [("x", F, [2, 3, 8])], [("y", F, None)]), {"x": rnd(rng, 2, 3, 8, scale=2)}


def case_bias_gelu(rng):
    n = helper.make_node("BiasGelu", ["x", "b"], ["y"], domain=MS)
    return (make_model([n], [("x", F, [2, 3, 8])], [("y", F, None)], {"b": rnd(rng, 8)}),
            {"x": rnd(rng, 2, 3, 8, scale=2)})


def case_fast_gelu(rng):
    n1 = helper.make_node("FastGelu", ["x", "b"], ["y"], domain=MS)
    n2 = helper.make_node("FastGelu", ["x"], ["z"], domain=MS)
    return (make_model([n1, n2], [("x", F, [2, 3, 8])], [("y", F, None), ("z", F, None)], {"b": rnd(rng, 8)}),
            {"x": rnd(rng, 2, 3, 8, scale=2)})


def case_quick_gelu(rng):
    n1 = helper.make_node("QuickGelu", ["x"], ["y"], domain=MS, alpha=1.5)
    n2 = helper.make_node("QuickGelu", ["x"], ["z"], domain=MS)
    return (make_model([n1, n2], [("x", F, [4, 8])], [("y", F, None), ("z", F, None)]),
            {"x": rnd(rng, 4, 8, scale=3)})


def case_layer_norm(rng):
    # ORT's contrib LayerNormalization: the ONNX domain below opset 17 (what its optimizer writes there).
    n = helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=1e-5)
    return (make_model([n], [("x", F, [2, 5, 16])], [("y", F, None)], {"g": rnd(rng, 16), "b": rnd(rng, 16)}),
            {"x": rnd(rng, 2, 5, 16, scale=3) + 1.0})


def case_skip_layer_norm(rng):
    n1 = helper.make_node("SkipLayerNormalization", ["x", "s", "g", "beta", "bias"], ["y", "mean", "inv", "sum"],
                          domain=MS, epsilon=1e-5)
    n2 = helper.make_node("SkipLayerNormalization", ["x", "s", "g"], ["y2"], domain=MS)
    init = {"g": rnd(rng, 16), "beta": rnd(rng, 16), "bias": rnd(rng, 16)}
    return (make_model([n1, n2], [("x", F, [2, 5, 16]), ("s", F, [2, 5, 16])],
                       [("y", F, None), ("mean", F, None), ("inv", F, None), ("sum", F, None), ("y2", F, None)],
                       init),
            {"x": rnd(rng, 2, 5, 16), "s": rnd(rng, 2, 5, 16)})


def case_skip_layer_norm_broadcast_skip(rng):
    n = helper.make_node("SkipLayerNormalization", ["x", "s", "g", "beta"], ["y"], domain=MS, epsilon=1e-6)
    return (make_model([n], [("x", F, [3, 5, 16]), ("s", F, [1, 5, 16])], [("y", F, None)],
                       {"g": rnd(rng, 16), "beta": rnd(rng, 16)}),
            {"x": rnd(rng, 3, 5, 16), "s": rnd(rng, 1, 5, 16)})


def add_mask_and_attention_bias(rng, names, inputs, feeds, mask, mask_shape, attention_bias_shape):
    """Attention and MultiHeadAttention share their optional inputs: an int32 mask ("m", the 5th input) and an
    attention bias ("ab", the 6th); appends the ones asked for to the node's input names, graph inputs, feeds."""
    if mask is not None:
        names.append("m")
        inputs.append(("m", TensorProto.INT32, list(mask_shape)))
        feeds["m"] = mask.astype(np.int32)
    if attention_bias_shape:
        names += [""] * (5 - len(names)) + ["ab"]
        inputs.append(("ab", F, list(attention_bias_shape)))
        feeds["ab"] = rnd(rng, *attention_bias_shape)


def attention_case(rng, mask=None, unidirectional=0, mask_shape=None, bias=True, hidden_sizes=None,
                   attention_bias_shape=None):
    b, s, d, heads = 2, 5, 16, 4
    sizes = hidden_sizes or [d, d, d]
    inputs = [("x", F, [b, s, d])]
    feeds = {"x": rnd(rng, b, s, d)}
    names = ["x", "w", "bias" if bias else ""]
    init = {"w": rnd(rng, d, sum(sizes), scale=0.3)}
    if bias:
        init["bias"] = rnd(rng, sum(sizes), scale=0.1)
    add_mask_and_attention_bias(rng, names, inputs, feeds, mask, mask_shape, attention_bias_shape)
    attrs = dict(num_heads=heads, unidirectional=unidirectional)
    if hidden_sizes:
        attrs["qkv_hidden_sizes"] = hidden_sizes
    n = helper.make_node("Attention", names, ["y"], domain=MS, **attrs)
    return make_model([n], inputs, [("y", F, None)], init), feeds


def case_attention(rng):
    return attention_case(rng)


def case_attention_lengths(rng):
    return attention_case(rng, np.array([3, 5]), mask_shape=[2])


def case_attention_end_start(rng):
    return attention_case(rng, np.array([4, 5, 1, 0]), mask_shape=[4])


def case_attention_raw_mask(rng):
    m = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]])
    return attention_case(rng, m, mask_shape=[2, 5])


def case_attention_raw_mask_3d(rng):
    m = (rng.random((2, 5, 5)) > 0.3).astype(np.int32)
    m[:, :, 0] = 1
    return attention_case(rng, m, mask_shape=[2, 5, 5])


def case_attention_unidirectional(rng):
    m = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    return attention_case(rng, m, unidirectional=1, mask_shape=[2, 5])


def case_attention_qkv_sizes(rng):
    # (ORT 1.30's CPU Attention crashes without a bias, so every case has one.)
    return attention_case(rng, hidden_sizes=[16, 16, 8])


def case_attention_qkv_sizes_wide_v(rng):
    return attention_case(rng, hidden_sizes=[8, 8, 16])


def case_attention_bias(rng):
    return attention_case(rng, np.array([4, 5]), mask_shape=[2], attention_bias_shape=[1, 4, 5, 5])


def mha_case(rng, mask=None, mask_shape=None, bias=True, attention_bias_shape=None):
    b, s, l, d, dv, heads = 2, 4, 6, 16, 8, 4
    names = ["q", "k", "v", "bias" if bias else ""]
    inputs = [("q", F, [b, s, d]), ("k", F, [b, l, d]), ("v", F, [b, l, dv])]
    feeds = {"q": rnd(rng, b, s, d), "k": rnd(rng, b, l, d), "v": rnd(rng, b, l, dv)}
    init = {"bias": rnd(rng, 2 * d + dv, scale=0.5)} if bias else {}
    add_mask_and_attention_bias(rng, names, inputs, feeds, mask, mask_shape, attention_bias_shape)
    n = helper.make_node("MultiHeadAttention", names, ["y"], domain=MS, num_heads=heads)
    return make_model([n], inputs, [("y", F, None)], init), feeds


def case_mha(rng):
    return mha_case(rng)


def case_mha_no_bias_raw_mask(rng):
    m = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 1, 1, 1]])
    return mha_case(rng, m, mask_shape=[2, 6], bias=False)


def case_mha_lengths(rng):
    return mha_case(rng, np.array([2, 6]), mask_shape=[2])


def case_mha_attention_bias(rng):
    return mha_case(rng, attention_bias_shape=[2, 1, 4, 6])


def case_fused_conv(rng):
    w, bias = rnd(rng, 4, 3, 3, 3, scale=0.5), rnd(rng, 4)
    acts = [("Relu", None), ("LeakyRelu", [0.1]), ("Clip", [-0.5, 0.7]), ("Sigmoid", None), ("Tanh", None),
            ("HardSigmoid", [0.3, 0.4])]
    nodes, outputs = [], []
    for i, (act, params) in enumerate(acts):
        attrs = dict(activation=act, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        if params:
            attrs["activation_params"] = params
        nodes.append(helper.make_node("FusedConv", ["x", "w", "b"], [f"y{i}"], domain=MS, **attrs))
        outputs.append((f"y{i}", F, None))
    # With the residual Z (input 3): act(conv + B + Z); stride 2, no padding.
    nodes.append(helper.make_node("FusedConv", ["x", "w", "b", "z"], ["yz"], domain=MS, activation="Relu",
                                  strides=[2, 2]))
    outputs.append(("yz", F, None))
    return (make_model(nodes, [("x", F, [1, 3, 8, 8]), ("z", F, [1, 4, 3, 3])], outputs, {"w": w, "b": bias}),
            {"x": rnd(rng, 1, 3, 8, 8), "z": rnd(rng, 1, 4, 3, 3)})


def case_fused_matmul(rng):
    nodes = [
        helper.make_node("FusedMatMul", ["a", "b"], ["y0"], domain=MS, alpha=0.5),
        helper.make_node("FusedMatMul", ["at", "b"], ["y1"], domain=MS, transA=1),
        helper.make_node("FusedMatMul", ["a", "bt"], ["y2"], domain=MS, transB=1, alpha=2.0),
        helper.make_node("FusedMatMul", ["at", "bt"], ["y3"], domain=MS, transA=1, transB=1, alpha=-1.5),
        helper.make_node("FusedMatMul", ["a", "w"], ["y4"], domain=MS, transB=1, alpha=0.25),  # constant B
    ]
    inputs = [("a", F, [2, 3, 4, 5]), ("at", F, [2, 3, 5, 4]), ("b", F, [2, 3, 5, 6]), ("bt", F, [2, 3, 6, 5])]
    feeds = {n: rnd(rng, *s) for n, _, s in inputs}
    return (make_model(nodes, inputs, [(f"y{i}", F, None) for i in range(5)], {"w": rnd(rng, 7, 5)}), feeds)


def qparams(prefix, scale, zp, qtype):
    np_t = np.uint8 if qtype == TensorProto.UINT8 else np.int8
    return {f"{prefix}_s": np.array(scale, np.float32), f"{prefix}_z": np.array(zp, np_t)}


def qlinear_binary_case(rng, op, qtype):
    np_t = np.uint8 if qtype == TensorProto.UINT8 else np.int8
    lo, hi = (0, 256) if qtype == TensorProto.UINT8 else (-128, 128)
    zp = 128 if qtype == TensorProto.UINT8 else 0
    init = {**qparams("a", 0.05, zp + 3, qtype), **qparams("b", 0.03, zp - 7, qtype),
            **qparams("c", 0.07 if op == "QLinearAdd" else 0.2, zp + 1, qtype)}
    n1 = helper.make_node(op, ["a", "a_s", "a_z", "b", "b_s", "b_z", "c_s", "c_z"], ["y"], domain=MS)
    n2 = helper.make_node(op, ["a", "a_s", "a_z", "bb", "b_s", "b_z", "c_s", "c_z"], ["y_bcast"], domain=MS)
    feeds = {"a": rng.integers(lo, hi, (2, 3, 4, 5)).astype(np_t), "b": rng.integers(lo, hi, (2, 3, 4, 5)).astype(np_t),
             "bb": rng.integers(lo, hi, (3, 1, 5)).astype(np_t)}
    return (make_model([n1, n2], [("a", qtype, [2, 3, 4, 5]), ("b", qtype, [2, 3, 4, 5]), ("bb", qtype, [3, 1, 5])],
                       [("y", qtype, None), ("y_bcast", qtype, None)], init), feeds)


def case_qlinear_add_u8(rng):
    return qlinear_binary_case(rng, "QLinearAdd", TensorProto.UINT8)


def case_qlinear_add_s8(rng):
    return qlinear_binary_case(rng, "QLinearAdd", TensorProto.INT8)


def case_qlinear_mul_u8(rng):
    return qlinear_binary_case(rng, "QLinearMul", TensorProto.UINT8)


def case_qlinear_mul_s8(rng):
    return qlinear_binary_case(rng, "QLinearMul", TensorProto.INT8)


def case_qlinear_sigmoid(rng):
    init = {**qparams("x", 0.06, 120, TensorProto.UINT8), **qparams("y", 1.0 / 256, 0, TensorProto.UINT8),
            **qparams("xs", 0.05, -5, TensorProto.INT8), **qparams("ys", 1.0 / 256, -128, TensorProto.INT8)}
    n1 = helper.make_node("QLinearSigmoid", ["x", "x_s", "x_z", "y_s", "y_z"], ["y"], domain=MS)
    n2 = helper.make_node("QLinearSigmoid", ["xs", "xs_s", "xs_z", "ys_s", "ys_z"], ["ys"], domain=MS)
    feeds = {"x": np.arange(256, dtype=np.uint8).reshape(4, 64),
             "xs": np.arange(-128, 128, dtype=np.int8).reshape(16, 16)}
    return (make_model([n1, n2], [("x", TensorProto.UINT8, [4, 64]), ("xs", TensorProto.INT8, [16, 16])],
                       [("y", TensorProto.UINT8, None), ("ys", TensorProto.INT8, None)], init), feeds)


def case_qlinear_global_average_pool(rng):
    init = {**qparams("x", 0.04, 100, TensorProto.UINT8), **qparams("y", 0.02, 90, TensorProto.UINT8)}
    n1 = helper.make_node("QLinearGlobalAveragePool", ["x", "x_s", "x_z", "y_s", "y_z"], ["y"], domain=MS)
    n2 = helper.make_node("QLinearGlobalAveragePool", ["xl", "x_s", "x_z", "y_s", "y_z"], ["yl"], domain=MS,
                          channels_last=1)
    feeds = {"x": rng.integers(0, 256, (2, 5, 6, 7)).astype(np.uint8),
             "xl": rng.integers(0, 256, (2, 6, 7, 5)).astype(np.uint8)}
    return (make_model([n1, n2], [("x", TensorProto.UINT8, [2, 5, 6, 7]), ("xl", TensorProto.UINT8, [2, 6, 7, 5])],
                       [("y", TensorProto.UINT8, None), ("yl", TensorProto.UINT8, None)], init), feeds)


def case_nhwc_max_pool(rng):
    n1 = helper.make_node("NhwcMaxPool", ["x"], ["y"], domain=MS, kernel_shape=[3, 3], strides=[2, 2],
                          pads=[1, 1, 1, 1])
    n2 = helper.make_node("NhwcMaxPool", ["xs"], ["ys"], domain=MS, kernel_shape=[2, 2], strides=[2, 2])
    feeds = {"x": rng.integers(0, 256, (2, 7, 7, 3)).astype(np.uint8),
             "xs": rng.integers(-128, 128, (1, 6, 8, 4)).astype(np.int8)}
    return (make_model([n1, n2], [("x", TensorProto.UINT8, [2, 7, 7, 3]), ("xs", TensorProto.INT8, [1, 6, 8, 4])],
                       [("y", TensorProto.UINT8, None), ("ys", TensorProto.INT8, None)]), feeds)


CASES = {name[len("case_"):]: fn for name, fn in globals().items() if name.startswith("case_")}


# ---- bad nodes: edgeinfer must refuse them naming what is wrong (no ORT needed) ---------------------------

def bad_attention_mask(rng):
    model, feeds = attention_case(rng, np.ones((2, 3), np.int32), mask_shape=[2, 3])
    return model, feeds, ["Attention", "mask of shape 2x3"]


def bad_attention_heads(rng):
    model, feeds = attention_case(rng)
    model.graph.node[0].attribute[0].i = 3  # num_heads 3 does not divide 16
    return model, feeds, ["Attention", "not divisible by num_heads 3"]


def bad_bias_gelu(rng):
    n = helper.make_node("BiasGelu", ["x", "b"], ["y"], domain=MS)
    return (make_model([n], [("x", F, [2, 8])], [("y", F, None)], {"b": rnd(rng, 5)}), {"x": rnd(rng, 2, 8)},
            ["BiasGelu", "bias of shape 5"])


def bad_unsupported_contrib(rng):
    # An operator edgeinfer lacks: the load error names it with its domain.
    n = helper.make_node("BiasSoftmax", ["x", "x"], ["y"], domain=MS)
    return (make_model([n], [("x", F, [2, 8])], [("y", F, None)]), {"x": rnd(rng, 2, 8)},
            ["com.microsoft:BiasSoftmax", "not implemented"])


ERROR_CASES = {name[len("bad_"):]: fn for name, fn in globals().items() if name.startswith("bad_")}


def run_error_case(name, binary):
    model, feeds, words = ERROR_CASES[name](np.random.default_rng(0))
    with tempfile.TemporaryDirectory(prefix="edgeinfer-contrib-") as tmp:
        path = os.path.join(tmp, name + ".onnx")
        onnx.save(model, path)
        for k, v in feeds.items():
            np.save(os.path.join(tmp, k + ".npy"), v)
        try:
            run_edgeinfer(binary, path, feeds, tmp)
        except RuntimeError as e:
            missing = [w for w in words if w not in str(e)]
            return [f"the error does not say {missing}: {e}"] if missing else []
    return ["edgeinfer ran a node it should refuse"]


# ---- running ----------------------------------------------------------------------------------------

def run_ort(ort_dir, model_path, feeds, tmp):
    outdir = os.path.join(tmp, "ort")
    args = ["node", os.path.join(HERE, "ort_oracle.js"), "--ort", ort_dir, "run", model_path, outdir]
    args += [f"{k}={os.path.join(tmp, k + '.npy')}" for k in feeds]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"ONNX Runtime failed: {r.stderr.strip()[-600:]}")
    return {f[:-4]: np.load(os.path.join(outdir, f)) for f in os.listdir(outdir)}


def run_edgeinfer(binary, model_path, feeds, tmp):
    outdir = os.path.join(tmp, "edgeinfer")
    args = [binary, "run", model_path, "-o", outdir, "--threads", "2"]
    for k in feeds:
        args += ["--input", f"{k}={os.path.join(tmp, k + '.npy')}"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"edgeinfer run failed: {(r.stderr or r.stdout).strip()[-600:]}")
    return {f[:-4]: np.load(os.path.join(outdir, f)) for f in os.listdir(outdir)}


def compare(name, got, want):
    """Returns an error string or None (tolerances in the module comment)."""
    if got.shape != want.shape:
        return f"{name}: edgeinfer shape {list(got.shape)}, ORT {list(want.shape)}"
    if got.dtype != want.dtype:
        return f"{name}: edgeinfer dtype {got.dtype}, ORT {want.dtype}"
    if want.size == 0:
        return None
    if np.issubdtype(want.dtype, np.integer):
        diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
        if diff.max() > 1:
            i = int(np.argmax(diff))
            return f"{name}: quantized values differ by {diff.max()} at flat index {i} ({got.flat[i]} vs {want.flat[i]})"
        return None
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bound = 1e-5 + 1e-4 * float(np.abs(want).max())
    if not np.isfinite(got).all() or diff.max() > bound:
        i = int(np.nanargmax(diff))
        return f"{name}: max abs diff {diff.max():.3g} > {bound:.3g} (at {i}: {got.flat[i]} vs {want.flat[i]})"
    return None


def run_case(name, binary, ort_dir):
    rng = np.random.default_rng(sum(map(ord, name)))
    model, feeds = CASES[name](rng)
    with tempfile.TemporaryDirectory(prefix="edgeinfer-contrib-") as tmp:
        path = os.path.join(tmp, name + ".onnx")
        onnx.save(model, path)
        for k, v in feeds.items():
            np.save(os.path.join(tmp, k + ".npy"), v)
        want = run_ort(ort_dir, path, feeds, tmp)
        got = run_edgeinfer(binary, path, feeds, tmp)
    errors = []
    for out, w in sorted(want.items()):
        if out not in got:
            errors.append(f"{out}: edgeinfer produced no such output")
            continue
        err = compare(out, got[out], w)
        if err:
            errors.append(err)
    return errors, sorted(want)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--edgeinfer", help="the edgeinfer program")
    ap.add_argument("--ort", default=ort_dir_default(), help="onnxruntime-node install (bench/setup-ort)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    if args.list:
        print("\n".join(list(CASES) + [f"bad_{c}" for c in ERROR_CASES]))
        return 0
    unknown = [c for c in args.cases if c not in CASES and not (c.startswith("bad_") and c[4:] in ERROR_CASES)]
    if unknown:
        print(f"contrib_ops: unknown case(s) {unknown}; --list names them", file=sys.stderr)
        return 2
    if not args.edgeinfer:
        print("contrib_ops: --edgeinfer is required", file=sys.stderr)
        return 2
    failed = 0
    chosen = args.cases or list(CASES) + [f"bad_{c}" for c in ERROR_CASES]
    for name in [c for c in chosen if c.startswith("bad_")]:
        errors = run_error_case(name[4:], args.edgeinfer)
        failed += bool(errors)
        print(f"FAIL {name}: {errors[0]}" if errors else f"ok   {name}: refused with a clear error")
    chosen = [c for c in chosen if not c.startswith("bad_")]
    if chosen and not have_ort(args.ort):
        print(f"SKIP: ONNX Runtime not installed in {args.ort} (run bench/setup-ort) or node missing")
        return 1 if failed else SKIP
    for name in chosen:
        try:
            errors, outputs = run_case(name, args.edgeinfer, args.ort)
        except Exception as e:  # noqa: BLE001 - any failure is reported with the case name
            errors, outputs = [str(e)], []
        if errors:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(errors))
        else:
            print(f"ok   {name}: {', '.join(outputs)} match ONNX Runtime")
    print(f"{len(args.cases) if args.cases else len(CASES) + len(ERROR_CASES)} cases, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

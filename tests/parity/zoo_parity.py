#!/usr/bin/python3
"""Parity suite over a zoo of real architectures: edgeinfer must compute what PyTorch computes.

  zoo_parity.py --cache DIR --edgeinfer BIN --expected FILE --results DIR MODEL   one model (one CTest)
  zoo_parity.py --reset --results DIR                                              fixture setup
  zoo_parity.py --summary --expected FILE --results DIR MODEL...                   fixture cleanup

Each model is exported with tools/edgeinfer_export.py (seeded random weights) into the cache once,
with seeded inputs and PyTorch's outputs saved next to it (.npy); later runs reuse those files and
need no PyTorch. Every output is compared: max |edgeinfer - PyTorch| <= 1e-4 * range(PyTorch) +
1e-3 * |PyTorch| elementwise (rtol 1e-3, atol 1e-4 of the output range). Classifiers are exported
with a dynamic batch and checked at batch 1 and 4.

Detection outputs (boxes, scores, labels after the built-in NMS) are compared as sets, matched by
label, box and score, because seeded random weights give near-tied scores whose order can flip on
a 1e-7 difference. Scores are probabilities, so their tolerance is absolute: 1e-4 on the [0, 1]
scale (1e-4 of the range a score can take; the spread of random-weight scores is so narrow that
1e-4 of it would be below float32 rounding through 50+ layers). Boxes use 1e-4 of the image size
plus rtol 1e-3. A detection may go unmatched only when its score is within that tolerance of the
lowest kept score, where the top-k / threshold cut is decided by float noise.

Models marked `custom` are built by zoo_models.py (several inputs, several runs such as two sequence lengths or
two image sizes, per-detection extras such as masks and keypoints compared over the matched detections, and
dense extra outputs such as an R-CNN's FPN maps and RPN head); bump an entry's `rev` when its factory changes.
The report gives max abs diff and max rel diff (max |diff| over max |PyTorch|, dense outputs).

Each model is also optimized (`edgeinfer optimize`, verified at the end) and the optimized file is
checked against PyTorch the same way; the summary lists node counts before and after.

The error Winograd adds (issue 20): the first run's inputs go through `edgeinfer run --tactics direct-only`
too, and the largest |default tactics - direct-only| over the direct output's range is printed (dense outputs;
0 where no Winograd convolution ran, since the rest is the same code) and must stay under 1e-4. Detections
are matched as sets against the direct-only ones with the PyTorch tolerances above.

A model listed in tests/parity/expected_failures.txt (`model: reason`) that fails is reported as
an expected failure with the reason and does not fail the test; one that passes fails the test
(as an unexpected pass) so the list is kept accurate. Any other failure fails the test.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
sys.path.insert(0, HERE)

import edgeinfer_export as ex  # noqa: E402

CLASSIFIER = dict(dynamic=["batch"], batches=[1, 4])
# name -> export arguments. Resolutions follow the issue; detection at 320x320 (retinanet's built-in
# resize is set to that size, its default 800 would take minutes per run on 2 cores).
ZOO = {
    "resnet50": CLASSIFIER,
    "mobilenet_v3_large": CLASSIFIER,
    "shufflenet_v2_x1_0": CLASSIFIER,
    "regnet_y_400mf": CLASSIFIER,
    "convnext_tiny": CLASSIFIER,
    "vit_b_16": CLASSIFIER,
    "deeplabv3_mobilenet_v3_large": dict(resolution=(320, 320)),
    "lraspp_mobilenet_v3_large": dict(resolution=(320, 320)),
    "fcn_resnet50": dict(resolution=(320, 320)),
    # Random weights put every score near the prior; thresholds low enough that detections come out.
    # (rev 2: the export spreads SSD class scores, see edgeinfer_export.spread_ssd_scores.)
    "ssdlite320_mobilenet_v3_large": dict(resolution=(320, 320), extra=dict(score_thresh=0.001), rev=2),
    "retinanet_resnet50_fpn": dict(resolution=(320, 320), extra=dict(score_thresh=0.005)),
    "r3d_18": dict(resolution=(112, 112), frames=16),
    "crnn": dict(spec="crnn:crnn", dynamic=["batch"], batches=[1, 4]),
    # Issue 23. Classifiers at batch 1 and 2 (dynamic batch); video models at 16x224x224 (s3d's final pooling
    # and mvit's position embeddings need 224). The rest are built by zoo_models.py (custom wrappers, see there).
    "swin_t": dict(dynamic=["batch"], batches=[1, 2]),
    "efficientnet_v2_s": dict(dynamic=["batch"], batches=[1, 2]),
    "maxvit_t": dict(dynamic=["batch"], batches=[1, 2]),
    "s3d": dict(resolution=(224, 224), frames=16),
    "mvit_v1_b": dict(resolution=(224, 224), frames=16),
    "fasterrcnn_mobilenet_v3_large_320_fpn": dict(custom=True, rev=2),
    "maskrcnn_resnet50_fpn": dict(custom=True, rev=3),
    "keypointrcnn_resnet50_fpn": dict(custom=True, rev=3),
    "raft_small": dict(custom=True, rev=2),
    "causal_transformer": dict(custom=True, rev=1),
}
RTOL, ATOL_OF_RANGE, SCORE_ATOL = 1e-3, 1e-4, 1e-4


def read_expected(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, reason = line.partition(":")
                out[name.strip()] = reason.strip()
    return out


def export_standard(name, cfg, cache, meta):
    """Exports NAME with tools/edgeinfer_export.py; saves seeded inputs and PyTorch outputs per batch."""
    import numpy as np
    import torch
    exp = ex.export(cfg.get("spec", name), cache, 1, cfg.get("resolution"), None, cfg.get("dynamic", []),
                    None, 13, cfg.get("frames", 16), cfg.get("extra"))
    if exp.onnx_path != meta["onnx"]:
        os.replace(exp.onnx_path, meta["onnx"])
    meta["task"] = exp.sidecar["task"]
    meta["outputs"] = exp.outputs
    for b in meta["batches"]:
        x = ex.seeded_input([b] + exp.shape[1:], seed=123 + b)
        with torch.no_grad():
            ys = ex.flatten_outputs(exp.module(x))
        np.save(os.path.join(cache, f"{name}.b{b}.input.npy"), x.numpy())
        for n, y in zip(exp.outputs, ys):
            np.save(os.path.join(cache, f"{name}.b{b}.{n}.npy"), y.numpy())


def export_custom(name, cfg, cache, meta):
    """Exports a zoo_models.py model; saves every run's inputs and PyTorch outputs."""
    import numpy as np
    import torch
    import zoo_models
    c = zoo_models.build(name)
    first = next(iter(c.runs.values()))
    args = tuple(first[n] for n in c.input_names)
    tmp = meta["onnx"] + ".tmp"
    try:
        torch.onnx.export(c.module, args, tmp, opset_version=c.opset, input_names=c.input_names,
                          output_names=c.output_names, dynamic_axes=c.dynamic_axes, do_constant_folding=True)
    except Exception as e:  # noqa: BLE001 - report the exporter's own words
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ex.ExportError(f"torch.onnx.export failed for '{name}' at opset {c.opset}: {first_line}") from None
    os.replace(tmp, meta["onnx"])
    meta.update(task="custom", outputs=c.output_names, inputs=c.input_names, runs=list(c.runs),
                detections=c.detections, opset=c.opset)
    for run, inputs in c.runs.items():
        with torch.no_grad():
            ys = ex.flatten_outputs(c.module(*(inputs[n] for n in c.input_names)))
        for n in c.input_names:
            np.save(os.path.join(cache, f"{name}.{run}.{n}.npy"), inputs[n].numpy())
        for n, y in zip(c.output_names, ys):
            np.save(os.path.join(cache, f"{name}.{run}.{n}.npy"), y.numpy())


def config_key(cfg):
    """What decides whether a cached export is current: the settings (a custom model's entry carries a `rev`
    to bump when its factory in zoo_models.py changes)."""
    return repr(cfg)


def prepare(name, cache):
    """Exports NAME into CACHE once, with seeded inputs and PyTorch outputs. Returns (meta, seconds)."""
    cfg = ZOO[name]
    meta_path = os.path.join(cache, name + ".zoo.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if meta.get("config") == config_key(cfg):  # exported with today's settings: reuse
            return meta, 0.0
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    t0 = time.time()
    meta = {"model": name, "config": config_key(cfg), "onnx": os.path.join(cache, name + ".onnx"),
            "batches": cfg.get("batches", [1])}
    try:
        (export_custom if cfg.get("custom") else export_standard)(name, cfg, cache, meta)
    except ex.ExportError as e:
        meta["export_error"] = str(e)
    except Exception as e:  # noqa: BLE001 - any exporter crash is a named failure
        meta["export_error"] = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
    meta["export_seconds"] = round(time.time() - t0, 1)
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1)
    return meta, meta["export_seconds"]


def compare_dense(got, want, what):
    import numpy as np
    if got.shape != want.shape:
        return f"{what}: edgeinfer shape {list(got.shape)}, PyTorch {list(want.shape)}", None
    if want.size == 0:
        return None, 0.0
    w = want.astype(np.float64)
    g = got.astype(np.float64)
    if not np.isfinite(g).all() and np.isfinite(w).all():
        return f"{what}: edgeinfer output has non-finite values", None
    rng = float(w.max() - w.min())
    diff = np.abs(g - w)
    bound = ATOL_OF_RANGE * rng + RTOL * np.abs(w)
    worst = float(diff.max())
    if (diff > bound).any():
        i = int(np.argmax(diff - bound))
        return (f"{what}: max abs diff {worst:.3g} exceeds tolerance (range {rng:.3g}; worst at flat index {i}: "
                f"edgeinfer {g.flat[i]:.6g}, PyTorch {w.flat[i]:.6g})"), worst
    return None, worst


def relative_diff(got, want):
    """max |edgeinfer - PyTorch| over max |PyTorch|: the error relative to the output's scale (dense outputs)."""
    import numpy as np
    w = want.astype(np.float64)
    return float(np.abs(got.astype(np.float64) - w).max() / max(float(np.abs(w).max()), 1e-30))


def compare_detections(got, want, what, extras=()):
    """Matches (boxes, scores, labels) as sets; see the module comment for the tolerance argument. `extras`
    names per-detection outputs (Mask R-CNN's masks, Keypoint R-CNN's keypoints) compared densely over the
    matched pairs."""
    import numpy as np
    gb, gs, gl = (np.asarray(got[k]) for k in ("boxes", "scores", "labels"))
    wb, ws, wl = (np.asarray(want[k]) for k in ("boxes", "scores", "labels"))
    if gb.ndim != 2 or gb.shape[1:] != (4,) or gs.shape != gl.shape or gs.shape[0] != gb.shape[0]:
        return f"{what}: edgeinfer detection outputs have shapes {gb.shape} {gs.shape} {gl.shape}", None
    if ws.size == 0:
        return (None, 0.0) if gs.size == 0 else (f"{what}: edgeinfer found {gs.size} detections, PyTorch none", None)
    box_tol = ATOL_OF_RANGE * float(wb.max() - wb.min() if wb.size else 1.0)
    cut = float(ws.min())
    used = np.zeros(len(gs), dtype=bool)
    worst = 0.0
    unmatched_want, pairs = [], []
    for i in np.argsort(-ws):
        cand = np.where(~used & (gl == wl[i]) & (np.abs(gs - ws[i]) <= SCORE_ATOL) &
                        (np.abs(gb - wb[i]) <= box_tol + RTOL * np.abs(wb[i])).all(axis=1))[0]
        if len(cand) == 0:
            unmatched_want.append(i)
            continue
        j = cand[np.argmin(np.abs(gs[cand] - ws[i]))]
        used[j] = True
        pairs.append((i, j))
        worst = max(worst, float(np.abs(gs[j] - ws[i])), float(np.abs(gb[j] - wb[i]).max()))
    bad_want = [i for i in unmatched_want if ws[i] - cut > SCORE_ATOL]
    bad_got = [j for j in np.where(~used)[0] if gs[j] - cut > SCORE_ATOL]
    if bad_want or bad_got:
        return (f"{what}: {len(bad_want)} of {len(ws)} PyTorch detections unmatched, {len(bad_got)} extra in "
                f"edgeinfer (away from the score cut {cut:.4g})"), worst
    for k in extras:
        w_idx, g_idx = [p[0] for p in pairs], [p[1] for p in pairs]
        err, d = compare_dense(np.asarray(got[k])[g_idx], np.asarray(want[k])[w_idx],
                               f"{what} '{k}' of {len(pairs)} matched detections")
        if err:
            return err, worst
        worst = max(worst, d)
    return None, worst


def run_edgeinfer(binary, onnx_path, inputs, timeout=1800, extra=()):
    """`edgeinfer run` on {input name: array} (`extra`: more options); returns {output name: array} or raises
    RuntimeError."""
    import subprocess
    import tempfile
    import numpy as np
    with tempfile.TemporaryDirectory(prefix="zoo-parity-") as tmp:
        cmd = [binary, "run", onnx_path, "-o", os.path.join(tmp, "out"), *extra]
        for n, x in inputs.items():
            np.save(os.path.join(tmp, f"in.{n}.npy"), x)
            cmd += ["--input", f"{n}={os.path.join(tmp, f'in.{n}.npy')}"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            lines = [ln for ln in (p.stderr.strip() + "\n" + p.stdout.strip()).splitlines() if ln.strip()]
            raise RuntimeError(lines[0] if lines else f"edgeinfer run exited with {p.returncode}")
        out = os.path.join(tmp, "out")
        return {f[:-4]: np.load(os.path.join(out, f)) for f in os.listdir(out) if f.endswith(".npy")}


WINOGRAD_BOUND = 1e-4  # of the output range (issue 20)


def winograd_error(binary, model_path, xs, got, outputs, dets):
    """(error message or None, the largest |default - direct-only| over the direct output's range on the dense
    outputs, a note for the log): the same inputs through `--tactics direct-only`."""
    import numpy as np
    direct = run_edgeinfer(binary, model_path, xs, extra=["--tactics", "direct-only"])
    worst, dense, note = 0.0, 0, ""
    if dets:
        err, d = compare_detections(got, direct, "default tactics against direct-only", dets[3:])
        if err:
            return err, None, ""
        note = f"; detections match direct-only's (max abs diff {d:.3g})"
    for n in outputs:
        if n in dets or got[n].shape != direct[n].shape or direct[n].size == 0:
            continue
        d = direct[n].astype(np.float64)
        rng = max(float(d.max() - d.min()), 1e-30)
        worst = max(worst, float(np.abs(got[n].astype(np.float64) - d).max()) / rng)
        dense += 1
    if worst >= WINOGRAD_BOUND:
        return f"Winograd adds {worst:.3g} of the output range (bound {WINOGRAD_BOUND:g})", worst, ""
    if dense and worst == 0.0:
        note += " (no Winograd convolution ran)"
    return None, worst, (f"{worst:.3g} of the output range" if dense else "no dense output") + note


def optimize(binary, src, dst):
    """Runs `edgeinfer optimize` (every pass verified) and returns (nodes before, nodes after)."""
    import subprocess
    r = subprocess.run([binary, "optimize", src, dst, "--verify", "end", "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"edgeinfer optimize failed: {(r.stderr or r.stdout).strip()[-400:]}")
    import onnx
    count = lambda p: len(onnx.load(p, load_external_data=False).graph.node)  # noqa: E731
    return count(src), count(dst)


def check(name, cache, binary, log, optimized=False):
    """Returns (status, reason, details) with status 'pass' or 'fail'. With `optimized`, the model
    `edgeinfer optimize` writes is checked against PyTorch too (node counts in details)."""
    import numpy as np
    meta, export_s = prepare(name, cache)
    details = {"export_seconds": export_s if export_s else meta.get("export_seconds"), "cached": export_s == 0.0}
    if "export_error" in meta:
        return "fail", "export failed: " + meta["export_error"], details
    t0 = time.time()
    worst, worst_rel = 0.0, 0.0
    model_path = os.path.join(cache, name + ".onnx")
    if optimized:
        opt_path = os.path.join(cache, name + ".optimized.onnx")
        try:
            details["nodes_before"], details["nodes_after"] = optimize(binary, model_path, opt_path)
        except Exception as e:  # noqa: BLE001
            return "fail", str(e), details
        model_path = opt_path
        log(f"  optimized: {details['nodes_before']} -> {details['nodes_after']} nodes")
    inputs = meta.get("inputs", ["input"])
    for run in meta.get("runs") or [f"b{b}" for b in meta["batches"]]:
        xs = {n: np.load(os.path.join(cache, f"{name}.{run}.{n}.npy")) for n in inputs}
        want = {n: np.load(os.path.join(cache, f"{name}.{run}.{n}.npy")) for n in meta["outputs"]}
        try:
            got = run_edgeinfer(binary, model_path, xs)
        except Exception as e:  # noqa: BLE001
            details["run_seconds"] = round(time.time() - t0, 1)
            return "fail", f"edgeinfer run ({run}{', optimized model' if optimized else ''}): {e}", details
        missing = [n for n in meta["outputs"] if n not in got]
        if missing:
            return "fail", f"edgeinfer produced no output {missing[0]}", details
        dets = meta.get("detections") or (["boxes", "scores", "labels"] if meta["task"] == "detection" else [])
        errs = [compare_detections(got, want, run, dets[3:])] if dets else []
        errs += [compare_dense(got[n], want[n], f"{run} output '{n}'") for n in meta["outputs"] if n not in dets]
        for n in meta["outputs"]:
            if n not in dets and got[n].shape == want[n].shape and want[n].size:
                worst_rel = max(worst_rel, relative_diff(got[n], want[n]))
        for err, d in errs:
            if d is not None:
                worst = max(worst, d)
            if err:
                details["run_seconds"] = round(time.time() - t0, 1)
                return "fail", err, details
        log(f"  {run}: " + ", ".join(f"{n} {list(want[n].shape)}" for n in meta["outputs"]) + " match")
        if not optimized and "winograd_error" not in details:
            try:
                err, w, note = winograd_error(binary, model_path, xs, got, meta["outputs"], dets)
            except Exception as e:  # noqa: BLE001
                return "fail", f"edgeinfer run --tactics direct-only ({run}): {e}", details
            if err:
                return "fail", f"{run}: {err}", details
            details["winograd_error"] = w
            details["winograd_note"] = note
            log(f"  {run}: default tactics against direct-only: {note}")
    details["run_seconds"] = round(time.time() - t0, 1)
    details["max_abs_diff"] = worst
    details["max_rel_diff"] = worst_rel
    if not optimized:
        status, reason, opt = check(name, cache, binary, log, optimized=True)
        for k in ("nodes_before", "nodes_after"):
            if k in opt:
                details[k] = opt[k]
        details["run_seconds"] = round(time.time() - t0, 1)
        if status != "pass":
            return status, "optimized model: " + reason, details
        details["max_abs_diff"] = max(worst, opt["max_abs_diff"])
        details["max_rel_diff"] = max(worst_rel, opt["max_rel_diff"])
    return "pass", "", details


def run_one(args):
    expected = read_expected(args.expected)
    name = args.models[0]
    if name not in ZOO:
        print(f"zoo_parity: unknown model '{name}' (known: {', '.join(ZOO)})")
        return 2
    os.makedirs(args.cache, exist_ok=True)
    t0 = time.time()
    status, reason, details = check(name, args.cache, args.edgeinfer, print)
    details["seconds"] = round(time.time() - t0, 1)
    timing = (f"export {details.get('export_seconds')} s{' (cached)' if details.get('cached') else ''}, "
              f"edgeinfer+compare {details.get('run_seconds', 0)} s")
    if status == "pass" and name in expected:
        outcome, rc = "unexpected-pass", 1
        print(f"UNEXPECTED PASS {name}: now matches PyTorch (max abs diff {details['max_abs_diff']:.3g}); "
              f"remove it from {args.expected} (it said: {expected[name]}) [{timing}]")
    elif status == "pass":
        outcome, rc = "pass", 0
        print(f"PASS {name}: max abs diff {details['max_abs_diff']:.3g}, max rel diff (of max |PyTorch|) "
              f"{details['max_rel_diff']:.3g}; default tactics against direct-only: {details.get('winograd_note')} "
              f"[{timing}]")
    elif name in expected:
        outcome, rc = "expected-failure", 0
        print(f"EXPECTED FAILURE {name}: {reason}\n  listed because: {expected[name]} [{timing}]")
    else:
        outcome, rc = "fail", 1
        print(f"FAIL {name}: {reason} [{timing}]")
    if args.results:
        os.makedirs(args.results, exist_ok=True)
        with open(os.path.join(args.results, name + ".json"), "w") as f:
            json.dump({"model": name, "outcome": outcome, "reason": reason, **details}, f, indent=1)
    return rc


def summary(args):
    counts = {"pass": 0, "expected-failure": 0, "unexpected-pass": 0, "fail": 0, "not run": 0}
    total = 0.0
    for name in args.models:
        path = os.path.join(args.results, name + ".json")
        if not os.path.exists(path):
            counts["not run"] += 1
            continue
        with open(path) as f:
            r = json.load(f)
        counts[r["outcome"]] += 1
        total += r.get("seconds", 0.0)
        nodes = f"{r['nodes_before']:5d} -> {r['nodes_after']:5d} nodes" if "nodes_after" in r else " " * 20
        print(f"  {r['outcome']:17s} {name:30s} {r.get('seconds', 0):7.1f} s  {nodes}  {r.get('reason', '')}")
    print(f"parity zoo: {counts['pass']} passed, {counts['expected-failure']} expected failures, "
          f"{counts['unexpected-pass']} unexpected passes, {counts['fail']} failed, {counts['not run']} not run "
          f"(of {len(args.models)}) in {total:.0f} s")
    return 1 if counts["fail"] or counts["unexpected-pass"] else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache")
    ap.add_argument("--edgeinfer")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected_failures.txt"))
    ap.add_argument("--results")
    ap.add_argument("--reset", action="store_true")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    if args.reset:
        os.makedirs(args.results, exist_ok=True)
        for f in os.listdir(args.results):
            if f.endswith(".json"):
                os.remove(os.path.join(args.results, f))
        return 0
    if args.summary:
        return summary(args)
    if len(args.models) != 1 or not args.cache or not args.edgeinfer:
        ap.error("give --cache, --edgeinfer and one MODEL")
    return run_one(args)


if __name__ == "__main__":
    sys.exit(main())

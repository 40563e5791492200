#!/usr/bin/python3
"""edgeinfer against ONNX Runtime, OpenCV DNN and PyTorch eager on issues 4 and 20's models; writes bench/RESULTS.md's
performance section.

  /usr/bin/python3 bench/run_suite.py [--models a,b] [--threads 1,2] [--repeat N] [--seconds S] [--quick]
                                      [--runtimes edgeinfer,ort,opencv,pytorch] [--tactics MODE] [--ort DIR]
                                      [--build DIR] [--cache DIR] [--results FILE] [--strict]

Each model is exported once into the cache (seeded random weights, tools/edgeinfer_export.py's builder) at
opset 13, with a few seeded input tensors saved as .npy; OpenCV DNN gets an opset-11 copy when it cannot load
the opset-13 file. For every model and thread count the runtimes take turns (edgeinfer, ORT, OpenCV,
PyTorch, edgeinfer, ...; --repeat rounds of --seconds each) on the same input files, rotated between runs, so
machine noise hits all alike; medians are taken over every timed run of all rounds.

- edgeinfer: `edgeinfer bench --json --latencies` (BUILD/edgeinfer; --tactics passed on when given).
- ONNX Runtime: bench/ort_bench.js under node, onnxruntime-node 1.30.0 from bench/setup-ort (bench/.ort):
  intraOpNumThreads = the thread count, sequential execution, graphOptimizationLevel 'all' (ORT_ENABLE_ALL), the
  same timing loop. Without bench/.ort (or node) the column is left out (named in --runtimes: reported as failed).
- OpenCV DNN: BUILD/bench/opencv_dnn_bench (cv::dnn, default backend, the same timing loop).
- PyTorch eager: this script with --torch-worker in a subprocess, torch.inference_mode(), with Debian's
  OpenBLAS (LD_LIBRARY_PATH to its openblas-pthread directory, OPENBLAS_CORETYPE=SkylakeX) instead of the
  reference BLAS that Debian's libblas.so.3 alternative points to by default.
- fp32 peak: BUILD/bench/fp32_peak (AVX-512 FMA loop) at each thread count; achieved GFLOP/s = 2 x MACs
  (from `edgeinfer inspect --json`) / median latency.

The driver itself never imports torch (exports and PyTorch timing run in subprocesses), so no idle
PyTorch/OpenMP threads compete with the runtimes being timed. A model that fails to export, load or run in
one runtime is reported as such in its row; the suite goes on (--strict: exit 1 afterwards).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"

# key -> how to build it and the target (0.9 x ONNX Runtime's fraction of OpenCV DNN's time).
MODELS = {
    "resnet18": dict(spec="resnet18", shape=[1, 3, 224, 224], target=0.243),
    "resnet50": dict(spec="resnet50", shape=[1, 3, 224, 224], target=0.216),
    "mobilenet_v2": dict(spec="mobilenet_v2", shape=[1, 3, 224, 224], target=0.279),
    "squeezenet1_1": dict(spec="squeezenet1_1", shape=[1, 3, 224, 224], target=0.27),
    "efficientnet_b0": dict(spec="efficientnet_b0", shape=[1, 3, 224, 224], target=0.162),
    "deeplabv3_mobilenet_v3_large": dict(spec="deeplabv3_mobilenet_v3_large", shape=[1, 3, 520, 520], target=0.162),
    "ssdlite320_no_postprocess": dict(spec="ssdlite320_mobilenet_v3_large", shape=[1, 3, 320, 320], target=0.198,
                                      wrap="head_only"),
    # Its target is against PyTorch. OpenCV 4.6 imports no NonMaxSuppression: only the opset-13 file is tried
    # (older opsets would only add exports of several minutes each).
    "ssdlite320": dict(spec="ssdlite320_mobilenet_v3_large", shape=[1, 3, 320, 320], wrap="detection",
                       opencv_fallbacks=[]),
    "r3d_18": dict(spec="r3d_18", shape=[1, 3, 16, 112, 112], target=0.189),
    # Throughput check: batch 8 against resnet50's batch 1 (not a model of its own in the table's targets).
    "resnet50_batch8": dict(spec="resnet50", shape=[8, 3, 224, 224]),
}
DEFAULT_MODELS = ["resnet18", "resnet50", "resnet50_batch8", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0",
                  "deeplabv3_mobilenet_v3_large", "ssdlite320_no_postprocess", "ssdlite320", "r3d_18"]
INPUT_SETS = 3
EXPORT_RECIPE = "2"  # bump when export_worker's output changes: cached exports with another stamp are redone
RUNTIMES = ("edgeinfer", "ort", "opencv", "pytorch")
# Issue 20: edgeinfer/ORT latency at most 0.8 everywhere; at 1 thread tighter for the dense ResNets.
ORT_TARGET = 0.8
ORT_TARGET_1T = {"resnet18": 0.65, "resnet50": 0.75}
ORT_MODELS = ["resnet18", "resnet50", "mobilenet_v2", "squeezenet1_1", "efficientnet_b0",
              "deeplabv3_mobilenet_v3_large", "ssdlite320", "ssdlite320_no_postprocess", "r3d_18"]


# ---------------------------------------------------------------------------------------------
# Subprocess workers (these import torch; the driver does not)


def build_module(key):
    """The eval-mode PyTorch module exactly as exported (seeded weights from tools/edgeinfer_export.py)."""
    import torch
    sys.path.insert(0, os.path.join(SOURCE, "tools"))
    import edgeinfer_export as ex
    cfg = MODELS[key]
    shape = cfg["shape"]
    model, task, _ = ex.build(cfg["spec"], resolution=(shape[-1], shape[-2]))
    wrap = cfg.get("wrap")
    if wrap == "detection":
        return ex.DetectionWrapper.make(model).eval()
    if wrap == "head_only":  # backbone + SSD head: box regressions and class logits, no anchors/NMS

        class HeadOnly(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, x):
                out = self.m.head(list(self.m.backbone(x).values()))
                return out["bbox_regression"], out["cls_logits"]

        return HeadOnly(model).eval()
    if task == "segmentation":
        return ex.SegmentationWrapper.make(model).eval()
    return model


def input_paths(cache, key):
    return [os.path.join(cache, f"{key}.input{k}.npy") for k in range(INPUT_SETS)]


def inline_identity_initializers(path):
    """torch.onnx.export shares equal weights (e.g. zero biases) through Identity nodes of one initializer, which
    OpenCV 4.6 cannot import; give each such output its own copy of the initializer (same model)."""
    import onnx
    m = onnx.load(path)
    inits = {i.name: i for i in m.graph.initializer}
    keep = []
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[n.input[0]])
            copy.name = n.output[0]
            m.graph.initializer.append(copy)
        else:
            keep.append(n)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    onnx.save(m, path)


def opencv_rewrites(path):
    """For the OpenCV copies (opset < 13) only: OpenCV 4.6 pools 5-D tensors (r3d_18's GlobalAveragePool)
    only through ReduceMean; the same mean over the spatial axes."""
    import onnx
    m = onnx.load(path)
    inferred = onnx.shape_inference.infer_shapes(m)
    ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in list(inferred.graph.value_info) + list(m.graph.input)}
    for n in m.graph.node:
        if n.op_type == "GlobalAveragePool" and ranks.get(n.input[0], 0) > 4:
            n.op_type = "ReduceMean"
            n.attribute.extend([onnx.helper.make_attribute("axes", list(range(2, ranks[n.input[0]]))),
                                onnx.helper.make_attribute("keepdims", 1)])
    onnx.save(m, path)


def export_worker(key, opset, cache):
    import numpy as np
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    cfg = MODELS[key]
    os.makedirs(cache, exist_ok=True)
    module = build_module(key)
    rng = np.random.default_rng(1000)
    for path in input_paths(cache, key):
        if not os.path.exists(path):
            x = rng.standard_normal(cfg["shape"], dtype=np.float32)
            if cfg.get("wrap") == "detection":  # an image in [0, 1]: the model normalizes it itself
                x = rng.random(cfg["shape"], dtype=np.float32)
            np.save(path, x)
    x = torch.from_numpy(np.load(input_paths(cache, key)[0]))
    with torch.no_grad():
        y = module(x)
    count = 1 if isinstance(y, torch.Tensor) else len(y)
    names = ["output"] if count == 1 else [f"output{i}" for i in range(count)]
    out = os.path.join(cache, f"{key}.opset{opset}.onnx")
    torch.onnx.export(module, x, out + ".tmp", opset_version=opset, input_names=["input"], output_names=names,
                      do_constant_folding=True)
    inline_identity_initializers(out + ".tmp")
    if opset < 13:
        opencv_rewrites(out + ".tmp")
    os.replace(out + ".tmp", out)
    with open(out + ".recipe", "w") as f:
        f.write(EXPORT_RECIPE)


def torch_worker(key, threads, warmup, iterations, seconds, files):
    import numpy as np
    import torch
    torch.set_num_threads(threads)
    module = build_module(key)
    xs = [torch.from_numpy(np.load(f)) for f in files]
    with torch.inference_mode():
        t0 = time.perf_counter()
        module(xs[0])
        first = (time.perf_counter() - t0) * 1e3
        for i in range(warmup):
            module(xs[(i + 1) % len(xs)])
        lat = []
        start = time.perf_counter()
        i = 0
        while i < iterations or time.perf_counter() - start < seconds:
            t0 = time.perf_counter()
            module(xs[i % len(xs)])
            lat.append((time.perf_counter() - t0) * 1e3)
            i += 1
    blas = "reference"
    if any("openblas" in line for line in open("/proc/self/maps")):
        import ctypes
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        blas = "openblas " + lib.openblas_get_corename().decode()  # e.g. SkylakeX (AVX-512 kernels)
    print(json.dumps({"runtime": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(), "blas": blas,
                      "first_run_ms": first, "latencies_ms": lat}))


# ---------------------------------------------------------------------------------------------
# Driver


def first_line(text, limit=200):
    # OpenCV's messages nest "OpenCV(4.6.0) file:line: error: (-2:...) in function '...' >" several times.
    text = re.sub(r"OpenCV\([\d.]+\) \S+:\d+: error: \([^)]*\) in function '[^']*'\s*>?\s*", "", text)
    text = re.sub(r"\s*>\s*>\s*|\s+>\s*$", " ", text).replace("dnn4_v20220524::", "")
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip() and not ln.startswith("[ERROR:")]
    for ln in lines:  # the line that says what went wrong, not a traceback header
        if re.search(r"error|Error|failed|unsupported|Unsupported|cannot|Exception", ln) and "Traceback" not in ln:
            return ln[:limit]
    return (lines[-1] if lines else "no output")[:limit]


def run_json(cmd, env=None, timeout=900):
    """Runs a worker; returns (json, None) or (None, error line)."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"
    if p.returncode != 0:
        return None, first_line(p.stderr + "\n" + p.stdout)
    for text in (p.stdout, (p.stdout.strip().splitlines() or [""])[-1]):  # one document, or the last line
        try:
            return json.loads(text), None
        except ValueError:
            pass
    return None, "no JSON in output: " + first_line(p.stdout + p.stderr)


class Suite:
    def __init__(self, args):
        self.args = args
        self.cache = os.path.abspath(args.cache)
        os.makedirs(self.cache, exist_ok=True)
        self.edgeinfer = os.path.join(args.build, "edgeinfer")
        self.opencv = os.path.join(args.build, "bench", "opencv_dnn_bench")
        self.peak_bin = os.path.join(args.build, "bench", "fp32_peak")
        # Callers with their own flags (precision_bench.py) time edgeinfer alone.
        for name, default in (("runtimes", ["edgeinfer"]), ("tactics", None), ("ort", os.path.join(HERE, ".ort"))):
            if not hasattr(args, name):
                setattr(args, name, default)
        self.runtimes = list(args.runtimes)
        self.ort_missing = None
        if "ort" in self.runtimes:
            pkg = os.path.join(args.ort, "node_modules", "onnxruntime-node", "package.json")
            if not os.path.exists(pkg):
                self.ort_missing = f"onnxruntime-node not in {args.ort}: run bench/setup-ort"
            elif not shutil.which("node"):
                self.ort_missing = "node not found (apt-get install nodejs)"
        self.torch_env = dict(os.environ)
        self.blas_note = "reference BLAS (Debian's OpenBLAS not installed: scripts/install-deps)"
        if os.path.isdir(OPENBLAS_DIR):
            self.torch_env["LD_LIBRARY_PATH"] = OPENBLAS_DIR + (":" + os.environ["LD_LIBRARY_PATH"]
                                                                if os.environ.get("LD_LIBRARY_PATH") else "")
            self.torch_env["OPENBLAS_CORETYPE"] = "SkylakeX"
            self.blas_note = f"OpenBLAS ({OPENBLAS_DIR}, OPENBLAS_CORETYPE=SkylakeX)"
        self.log = print

    def export(self, key, opset):
        path = os.path.join(self.cache, f"{key}.opset{opset}.onnx")
        try:
            with open(path + ".recipe") as f:
                fresh = f.read() == EXPORT_RECIPE and os.path.exists(path)
        except OSError:
            fresh = False
        if fresh and all(os.path.exists(p) for p in input_paths(self.cache, key)):
            return path, None
        self.log(f"  exporting {key} (opset {opset}) ...", flush=True)
        t0 = time.time()
        try:
            cmd = [sys.executable, os.path.abspath(__file__), "--export-worker", key, "--opset", str(opset),
                   "--cache", self.cache]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except subprocess.TimeoutExpired:
            return None, "export timed out after 1800 s"
        if p.returncode != 0:
            return None, "export failed: " + first_line(p.stderr + p.stdout)
        self.log(f"  exported {key} (opset {opset}) in {time.time() - t0:.0f} s", flush=True)
        return path, None

    def macs(self, onnx):
        j, err = run_json([self.edgeinfer, "inspect", "--json", onnx], timeout=300)
        c = (j or {}).get("compute", {})
        if err or not c.get("macs") or c.get("symbolic_dims_as_one") or c.get("nodes_without_shapes"):
            return None  # shapes not all known (e.g. the detection post-processing's resize): no honest count
        return c.get("effective_macs") or c["macs"]  # without conv taps on padding (atrous convs)

    def fp32_peak(self, threads):
        seconds = 0.3 if self.args.quick else 1.0
        j, err = run_json([self.peak_bin, "--threads", str(threads), "--seconds", str(seconds), "--json"])
        return (j["gflops"], j["isa"]) if j else (None, err)

    def round_cmd(self, runtime, key, onnx, threads, files):
        a = self.args
        if runtime == "edgeinfer":
            cmd = [self.edgeinfer, "bench", onnx, "--json", "--latencies", "--threads", str(threads),
                   "--warmup", str(a.warmup), "--duration", str(a.seconds), "-n", str(a.min_iterations)]
            for f in files:
                cmd += ["-i", "input=" + f]
            if a.tactics:
                cmd += ["--tactics", a.tactics]
            return cmd, None
        if runtime == "ort":
            cmd = ["node", os.path.join(HERE, "ort_bench.js"), onnx, "--json", "--threads", str(threads),
                   "--warmup", str(a.warmup), "--seconds", str(a.seconds), "--iterations", str(a.min_iterations),
                   "--ort", a.ort]
            for f in files:
                cmd += ["--input", f]
            return cmd, None
        if runtime == "opencv":
            cmd = [self.opencv, onnx, "--json", "--threads", str(threads), "--warmup", str(a.warmup),
                   "--seconds", str(a.seconds), "--iterations", str(a.min_iterations)]
            for f in files:
                cmd += ["--input", f]
            return cmd, None
        env = dict(self.torch_env, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
        cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", key, "--threads", str(threads),
               "--warmup", str(a.warmup), "--seconds", str(a.seconds), "--min-iterations", str(a.min_iterations),
               "--cache", self.cache]
        return cmd, env

    def run_model(self, key, threads_list):
        """Returns the model's result row(s): one per thread count."""
        cfg = MODELS[key]
        onnx, err = self.export(key, 13)
        files = input_paths(self.cache, key)
        rows = []
        if err:
            for t in threads_list:
                rows.append(dict(model=key, threads=t, shape=cfg["shape"], errors={r: err for r in self.runtimes}))
            return rows
        macs = self.macs(onnx)
        opencv_onnx = {"path": onnx, "opset": 13, "fallbacks": list(cfg.get("opencv_fallbacks", [11, 10]))}
        for t in threads_list:
            samples = {r: [] for r in self.runtimes}
            errors = {"ort": self.ort_missing} if self.ort_missing else {}
            extra = {}
            for rnd in range(self.args.repeat):
                for runtime in self.runtimes:
                    if runtime in errors:
                        continue
                    path = opencv_onnx["path"] if runtime == "opencv" else onnx
                    cmd, env = self.round_cmd(runtime, key, path, t, files)
                    j, e = run_json(cmd, env=env)
                    tried = [f"opset {opencv_onnx['opset']}: {e}"] if e else []
                    while e and runtime == "opencv" and opencv_onnx["fallbacks"]:
                        # OpenCV 4.6 reads some exports only at opset 10-11 (e.g. Clip with min/max inputs
                        # since opset 11): retry with such a copy, and keep the first one that loads.
                        opset = opencv_onnx["fallbacks"].pop(0)
                        path, e = self.export(key, opset)
                        if path:
                            opencv_onnx.update(path=path, opset=opset)
                            cmd, env = self.round_cmd(runtime, key, path, t, files)
                            j, e = run_json(cmd, env=env)
                        if e:
                            tried.append(f"opset {opset}: {e}")
                    if e and len(tried) > 1:
                        e = "; ".join(tried)
                    if e:
                        errors[runtime] = e
                        continue
                    samples[runtime] += j["latencies_ms"]
                    if runtime == "pytorch":
                        extra["blas"] = j.get("blas")
                    if runtime == "edgeinfer" and rnd == 0:
                        extra["edgeinfer_create_ms"] = j.get("session_create_ms")
                        extra["edgeinfer_first_run_ms"] = j.get("first_run_ms")
            med = {r: statistics.median(s) for r, s in samples.items() if s and r not in errors}
            mins = {r: min(s) for r, s in samples.items() if s and r not in errors}  # results.json only
            row = dict(model=key, threads=t, shape=cfg["shape"], medians=med, mins=mins, errors=errors,
                       runs={r: len(s) for r, s in samples.items()}, macs=macs, opencv_opset=opencv_onnx["opset"],
                       **extra)
            self.log(f"  {key} @{t}t: " + ", ".join(
                f"{r} {med[r]:.2f} ms" if r in med else f"{r} FAILED ({errors.get(r)})" for r in self.runtimes),
                flush=True)
            rows.append(row)
        return rows

    def profile(self, key, threads):
        """Per-op-type shares of edgeinfer's time (edgeinfer bench --profile), for the table's explanation."""
        onnx = os.path.join(self.cache, f"{key}.opset13.onnx")
        if not os.path.exists(onnx):
            return None
        cmd = [self.edgeinfer, "bench", onnx, "--json", "--profile", "--threads", str(threads), "--warmup", "1",
               "-n", str(self.args.min_iterations)]
        for f in input_paths(self.cache, key):
            cmd += ["--inputs", "input=" + f]
        j, err = run_json(cmd)
        if err:
            return None
        with open(os.path.join(self.cache, f"{key}.profile.{threads}t.json"), "w") as f:
            json.dump(j, f, indent=1)
        return j["profile"]["op_types"]


# ---------------------------------------------------------------------------------------------
# Report


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


def machine_facts():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", SOURCE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    # bench/RESULTS.md itself does not count: the bench scripts rewrite it one section after another.
    dirty = subprocess.run(["git", "-C", SOURCE, "status", "--porcelain", "--untracked-files=no", "--", ".",
                            ":!bench/RESULTS.md"], capture_output=True, text=True)
    rev = commit.stdout.strip() or "unknown"
    if dirty.stdout.strip():
        rev += " + uncommitted changes"
    return dict(cpu=cpu, cores=os.cpu_count(), kernel=platform.release(), commit=rev)


def timed(row, runtime):
    """Whether RUNTIME was part of the run for ROW (timed or failed; not left out by --runtimes)."""
    return runtime in row.get("medians", {}) or runtime in row.get("errors", {})


def assess(rows, peaks):
    """Adds ratios, GFLOP/s and target verdicts to rows; returns the list of target checks."""
    by = {(r["model"], r["threads"]): r for r in rows}
    checks = []
    for r in rows:
        m = r.get("medians", {})
        ei, cv, pt, ort = m.get("edgeinfer"), m.get("opencv"), m.get("pytorch"), m.get("ort")
        r["ratio_ort"] = ei / ort if ei and ort else None
        r["ratio_opencv"] = ei / cv if ei and cv else None
        r["ratio_pytorch"] = ei / pt if ei and pt else None
        if ei and r.get("macs") and peaks.get(r["threads"]):  # exports have static shapes: MACs of the whole batch
            r["gflops"] = 2 * r["macs"] / (ei / 1e3) / 1e9
            r["peak_share"] = r["gflops"] / peaks[r["threads"]]
        target = MODELS[r["model"]].get("target")
        if target is not None and r["threads"] == 2 and timed(r, "opencv"):
            ok = r["ratio_opencv"] is not None and r["ratio_opencv"] <= target
            r["met"] = ok
            checks.append((f"{r['model']}: edgeinfer/OpenCV at 2 threads <= {target}", fmt(r["ratio_opencv"], 3), ok))
    for r in rows:
        if r["threads"] == 1 and r["model"] != "resnet50_batch8" and timed(r, "pytorch"):
            ok = r["ratio_pytorch"] is not None and r["ratio_pytorch"] <= 1.0
            checks.append((f"{r['model']}: 1 thread, edgeinfer not slower than PyTorch (ratio <= 1)",
                           fmt(r["ratio_pytorch"], 3), ok))
    for r in rows:  # issue 20
        if r["model"] not in ORT_MODELS or "ort" not in r.get("medians", {}):
            continue
        target = ORT_TARGET_1T.get(r["model"], ORT_TARGET) if r["threads"] == 1 else ORT_TARGET
        ok = r["ratio_ort"] is not None and r["ratio_ort"] <= target
        checks.append((f"{r['model']}: edgeinfer/ORT at {r['threads']} thread(s) <= {target}",
                       fmt(r["ratio_ort"], 3), ok))
        one = by.get((r["model"], 1))
        if r["threads"] > 1 and one:
            e1, o1 = one.get("medians", {}).get("edgeinfer"), one.get("medians", {}).get("ort")
            en, on = r["medians"].get("edgeinfer"), r["medians"].get("ort")
            if e1 and o1 and en and on:
                se, so = e1 / en, o1 / on
                checks.append((f"{r['model']}: speedup 1 -> {r['threads']} threads at least ORT's",
                               f"{se:.2f}x vs ORT {so:.2f}x", se >= so))
    ssd = by.get(("ssdlite320", 2))
    if ssd and timed(ssd, "pytorch"):
        ok = ssd["ratio_pytorch"] is not None and ssd["ratio_pytorch"] <= 0.5
        checks.append(("ssdlite320 with post-processing: edgeinfer/PyTorch at 2 threads <= 0.5",
                       fmt(ssd["ratio_pytorch"], 3), ok))
    r50 = by.get(("resnet50", 2))
    if r50:
        share = r50.get("peak_share")
        checks.append(("resnet50: share of the fp32 FMA peak at 2 threads >= 75%",
                       "-" if share is None else f"{100 * share:.1f}%", share is not None and share >= 0.75))
    b8 = by.get(("resnet50_batch8", 2))
    if r50 and b8:
        e1, e8 = r50.get("medians", {}).get("edgeinfer"), b8.get("medians", {}).get("edgeinfer")
        gain = (e1 * 8 / e8) if e1 and e8 else None
        b8["batch_gain"] = gain
        checks.append(("resnet50: batch-8 images/s over batch-1 images/s at 2 threads >= 1.3", fmt(gain, 2),
                       gain is not None and gain >= 1.3))
    return checks


def render(rows, checks, peaks, profiles, facts, command, blas_note, started, load):
    out = ["## Performance: edgeinfer, ONNX Runtime, OpenCV DNN, PyTorch (bench/run_suite.py)", ""]
    out += ["```sh", command, "```", ""]
    out.append(f"Run {started} on {facts['cpu']} ({facts['cores']} cores visible), Linux {facts['kernel']}, "
               f"edgeinfer at {facts['commit']}; load average {load[0]} before, {load[1]} after the run "
               "(above the core count means other work shared the cores: compare ratios, not absolute times). "
               "fp32 FMA peak (best of before and after): " +
               ", ".join(f"{t} thread(s) {fmt(g, 1)} GFLOP/s" for t, g in sorted(peaks.items())) +
               f". ORT: onnxruntime-node 1.30.0 (bench/setup-ort), ORT_ENABLE_ALL, sequential, intra-op threads = the "
               f"thread count. PyTorch eager with {blas_note}; OpenCV DNN with its default backend. Medians of every timed run "
               "(runtimes interleaved round by round, the same seeded inputs rotated), batch 1 unless the model "
               "says otherwise.")
    out += ["", "| model | input | threads | edgeinfer ms | ORT ms | OpenCV ms | PyTorch ms | edgeinfer/ORT "
            "| edgeinfer/OpenCV | target | met | edgeinfer/PyTorch | GFLOP/s | % of peak |", "| --- " * 14 + "|"]
    for r in rows:
        m, e = r.get("medians", {}), r.get("errors", {})

        def cell(rt):
            if rt in m:
                return fmt(m[rt])
            return "failed: " + e[rt].replace("|", "/")[:150] if rt in e else "-"

        target = MODELS[r["model"]].get("target")
        target_s = f"<= {target}" if target is not None and r["threads"] == 2 else "-"
        met = "-" if "met" not in r else ("yes" if r["met"] else "**no**")
        share = "-" if r.get("peak_share") is None else f"{100 * r['peak_share']:.0f}%"
        opset = f" (OpenCV: opset {r['opencv_opset']})" if r.get("opencv_opset", 13) != 13 and "opencv" in m else ""
        out.append(f"| {r['model']}{opset} | {'x'.join(map(str, r['shape']))} | {r['threads']} | {cell('edgeinfer')} "
                   f"| {cell('ort')} | {cell('opencv')} | {cell('pytorch')} | {fmt(r.get('ratio_ort'), 3)} "
                   f"| {fmt(r.get('ratio_opencv'), 3)} | {target_s} | {met} "
                   f"| {fmt(r.get('ratio_pytorch'), 3)} | {fmt(r.get('gflops'), 1)} | {share} |")
    met = sum(1 for c in checks if c[2])
    out += ["", f"Targets (issues 4 and 20): {met} of {len(checks)} met.", "", "| target | measured | met |",
            "| --- | --- | --- |"]
    out += [f"| {name} | {val} | {'yes' if ok else '**no**'} |" for name, val, ok in checks]
    if profiles:
        out += ["", "Where edgeinfer's time goes (`edgeinfer bench --profile`, 2 threads or the highest run; share of "
                "the time spent in nodes, top op types; every node in CACHE/MODEL.profile.Nt.json):", "",
                "| model | top op types |", "| --- | --- |"]
        for key, ops in profiles.items():
            top = ", ".join(f"{o['op_type']} {100 * o['share']:.0f}%" for o in ops[:5])
            out.append(f"| {key} | {top} |")
    return "\n".join(out) + "\n"


def replace_section(path, heading, section, first=False):
    """Replaces the section of PATH whose heading line starts like HEADING (up to " (") with SECTION, keeping the
    rest; without one, SECTION goes before the first other section (first=True) or at the end."""
    text = open(path).read() if os.path.exists(path) else "# edgeinfer benchmark results\n\n"
    lines = text.splitlines(keepends=True)
    prefix = heading.split(" (")[0]
    start = next((i for i, ln in enumerate(lines) if ln.startswith(prefix)), None)
    if start is not None:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [section + ("\n" if end < len(lines) else "")]
    elif first:
        at = next((i for i, ln in enumerate(lines) if ln.startswith("## ")), len(lines))
        lines[at:at] = [section + "\n"]
    else:
        if lines and lines[-1].strip():
            lines.append("\n")
        lines.append(section)
    with open(path + ".tmp", "w") as f:
        f.write("".join(lines))
    os.replace(path + ".tmp", path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", help="comma-separated subset of: " + ",".join(DEFAULT_MODELS))
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--repeat", type=int, default=3, help="rounds per runtime, interleaved (default 3)")
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per round (default 2)")
    ap.add_argument("--min-iterations", type=int, default=5, help="timed runs per round at least (default 5)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs per round after the first (default 3)")
    ap.add_argument("--runtimes", help="comma-separated runtimes to time, interleaved (default: " + ",".join(RUNTIMES) +
                    "; ort only when bench/setup-ort has run)")
    ap.add_argument("--tactics", help="edgeinfer's --tactics (fast, timed, direct-only; default: edgeinfer's)")
    ap.add_argument("--ort", default=os.path.join(HERE, ".ort"), help="bench/setup-ort's directory (default bench/.ort)")
    ap.add_argument("--quick", action="store_true", help="one short round per runtime (smoke test, not numbers)")
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"), help="build directory (default build/)")
    ap.add_argument("--cache", default=os.path.join(HERE, ".cache"), help="exports and inputs (default bench/.cache)")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"), help="markdown file to update")
    ap.add_argument("--strict", action="store_true", help="exit 1 when any runtime failed on any model")
    ap.add_argument("--export-worker", help=argparse.SUPPRESS)
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    ap.add_argument("--opset", type=int, default=13, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.export_worker:
        export_worker(args.export_worker, args.opset, args.cache)
        return 0
    if args.torch_worker:
        torch_worker(args.torch_worker, int(args.threads), args.warmup, args.min_iterations, args.seconds,
                     input_paths(args.cache, args.torch_worker))
        return 0
    if args.quick:
        args.repeat, args.seconds, args.min_iterations, args.warmup = 1, 0.2, 3, 1
    keys = args.models.split(",") if args.models else DEFAULT_MODELS
    unknown = [k for k in keys if k not in MODELS]
    if unknown:
        ap.error(f"unknown model '{unknown[0]}' (known: {', '.join(DEFAULT_MODELS)})")
    try:
        threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        ap.error(f"--threads '{args.threads}' is not a comma-separated list of integers")
    if any(t < 1 for t in threads) or args.repeat < 1 or args.seconds <= 0:
        ap.error("--threads must be >= 1, --repeat >= 1 and --seconds > 0")
    args.build = os.path.abspath(args.build)
    args.ort = os.path.abspath(args.ort)
    explicit_runtimes = args.runtimes is not None
    args.runtimes = [r for r in (args.runtimes or ",".join(RUNTIMES)).split(",") if r]
    bad = [r for r in args.runtimes if r not in RUNTIMES]
    if bad or "edgeinfer" not in args.runtimes:
        ap.error(f"--runtimes must name edgeinfer and any of {', '.join(RUNTIMES)} (got '{','.join(args.runtimes)}')")
    args.runtimes = [r for r in RUNTIMES if r in args.runtimes]
    suite = Suite(args)
    if suite.ort_missing and not explicit_runtimes:  # not asked for by name: leave the column out
        print(f"run_suite: no ORT column ({suite.ort_missing})", flush=True)
        args.runtimes.remove("ort")
        suite.runtimes.remove("ort")
        suite.ort_missing = None
    for b in [suite.edgeinfer, suite.peak_bin] + ([suite.opencv] if "opencv" in args.runtimes else []):
        if not os.access(b, os.X_OK):
            ap.error(f"{b} not found: build it (cmake --build {args.build} --target edgeinfer_cli opencv_dnn_bench "
                     "fp32_peak) or give --build")
    command = "/usr/bin/python3 bench/run_suite.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_before = f"{os.getloadavg()[0]:.1f}"
    print(f"run_suite: {len(keys)} model(s) at {threads} thread(s), {args.repeat} round(s) of {args.seconds} s; "
          f"cache {suite.cache}", flush=True)
    peaks = {}

    def measure_peaks(when):  # before and after the models; the higher one counts (less disturbed by others)
        for t in threads:
            g, info = suite.fp32_peak(t)
            if g:
                peaks[t] = max(g, peaks.get(t, 0.0))
            print(f"  fp32 peak {when}, {t} thread(s): " + (f"{g:.1f} GFLOP/s ({info})" if g else f"failed: {info}"),
                  flush=True)

    measure_peaks("before")
    rows = []
    for key in keys:
        rows += suite.run_model(key, threads)
    measure_peaks("after")
    prof_threads = 2 if 2 in threads else max(threads)
    profiles = {}
    for key in keys:
        ops = suite.profile(key, prof_threads)
        if ops:
            profiles[key] = ops
    checks = assess(rows, peaks)
    load_after = f"{os.getloadavg()[0]:.1f}"
    section = render(rows, checks, peaks, profiles, machine_facts(), command, suite.blas_note, started,
                     (load_before, load_after))
    replace_section(args.results, "## Performance", section, first=True)
    with open(os.path.join(suite.cache, "results.json"), "w") as f:
        json.dump(dict(command=command, started=started, peaks=peaks, rows=rows, checks=checks), f, indent=1)
    print(section)
    print(f"run_suite: wrote {args.results} and {os.path.join(suite.cache, 'results.json')}")
    failed = [(r["model"], rt, e) for r in rows for rt, e in r.get("errors", {}).items()]
    if args.strict and failed:
        for m, rt, e in failed:
            print(f"run_suite: {m}: {rt} failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

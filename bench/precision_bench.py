#!/usr/bin/python3
"""edgeinfer fp32 against bf16 and int8 on issue 10's models; writes bench/RESULTS.md's precision section.

  /usr/bin/python3 bench/precision_bench.py [--models a,b] [--threads 1,2] [--batches 1,8] [--repeat N]
                                            [--seconds S] [--quick] [--build DIR] [--cache DIR] [--results FILE]

Models come from bench/run_suite.py's cache (same exports: seeded random weights, opset 13, exported on
first use). Each gets a copy with a dynamic batch dimension (for --batch 8) and a QDQ copy of that from
`edgeinfer quantize --per-channel` calibrated on the cached input tensors (random weights and inputs: this
measures speed, not accuracy; accuracy is precision_gates_test's and quantize_parity_test's). For every
model, thread count and batch the three precisions take turns (fp32, bf16, int8, fp32, ...; --repeat rounds
of --seconds each) with `edgeinfer bench --json --latencies`, so machine noise hits all alike; medians are
taken over every timed run of all rounds. The report gives each precision's median and its ratio to fp32,
images per second, and the oneDNN implementations the heaviest nodes chose (one profiled run each), so a
reader can see whether bf16/int8 kernels (AMX, AVX-512 BF16/VNNI) ran.
"""
import argparse
import datetime
import os
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_suite  # noqa: E402  (exports, JSON runner, machine facts, RESULTS.md sections)

DEFAULT_MODELS = ["resnet18", "resnet50", "mobilenet_v2", "efficientnet_b0", "deeplabv3_mobilenet_v3_large"]
PRECISIONS = ("fp32", "bf16", "int8")
TARGETS = {"bf16": 0.35, "int8": 0.3}  # issue 10: latency at most this fraction of fp32's, 2 threads, batch 1
SECTION = "## Reduced precision: fp32, bf16, int8 (bench/precision_bench.py)"


def dynamic_batch_copy(src, dst):
    """SRC with its inputs' and outputs' first dimension named 'N' and inferred shapes dropped (re-inferred
    on load), so `edgeinfer bench --batch 8` can run it."""
    import onnx
    m = onnx.load(src)
    for v in list(m.graph.input) + list(m.graph.output):
        dims = v.type.tensor_type.shape.dim
        if len(dims):
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "N"
    del m.graph.value_info[:]
    onnx.save(m, dst + ".tmp")
    os.replace(dst + ".tmp", dst)


class Bench:
    def __init__(self, args):
        self.args = args
        self.suite = run_suite.Suite(args)
        self.cache = self.suite.cache
        self.edgeinfer = self.suite.edgeinfer

    def models(self, key):
        """(fp32 path, int8 QDQ path) with a dynamic batch, or raises RuntimeError."""
        onnx, err = self.suite.export(key, 13)
        if err:
            raise RuntimeError(err)
        dyn = os.path.join(self.cache, f"{key}.dynbatch.onnx")
        if not os.path.exists(dyn) or os.path.getmtime(dyn) < os.path.getmtime(onnx):
            dynamic_batch_copy(onnx, dyn)
        qdq = os.path.join(self.cache, f"{key}.dynbatch.int8.onnx")
        # Quantized again after each build: the QDQ layout `quantize` writes may have changed.
        newest_input = max(os.path.getmtime(dyn), os.path.getmtime(self.edgeinfer))
        if not os.path.exists(qdq) or os.path.getmtime(qdq) < newest_input:
            cmd = [self.edgeinfer, "quantize", dyn, qdq, "--per-channel", "--calib"] + \
                run_suite.input_paths(self.cache, key)
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
            if p.returncode != 0:
                raise RuntimeError("quantize failed: " + run_suite.first_line(p.stderr + p.stdout))
        return dyn, qdq

    def bench_cmd(self, key, path, precision, threads, batch, profile=False):
        a = self.args
        cmd = [self.edgeinfer, "bench", path, "--json", "-p", precision, "--threads", str(threads),
               "--batch", str(batch)]
        if profile:
            return cmd + ["--profile", "--warmup", "1", "-n", "3"]
        cmd += ["--latencies", "--warmup", str(a.warmup), "--duration", str(a.seconds), "-n", str(a.min_iterations)]
        if batch == 1:  # the suite's seeded inputs; other batches use bench's own seeded random sets
            for f in run_suite.input_paths(self.cache, key):
                cmd += ["--inputs", "input=" + f]
        return cmd

    def heaviest_kernels(self, key, path, precision, threads, batch):
        """The implementations of the nodes taking most of the time, e.g. 'onednn:brgconv:avx512_core_bf16'."""
        j, err = run_suite.run_json(self.bench_cmd(key, path, precision, threads, batch, profile=True))
        if err:
            return "profile failed: " + err
        shares = {}
        for n in j["profile"]["nodes"]:
            k = n.get("kernel") or n.get("op_type", "?")
            shares[k] = shares.get(k, 0.0) + n.get("share", 0.0)
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{k} {100 * s:.0f}%" for k, s in top)

    def run(self, key, threads_list, batches):
        rows = []
        try:
            fp32, qdq = self.models(key)
        except RuntimeError as e:
            return [dict(model=key, threads=t, batch=b, errors={p: str(e) for p in PRECISIONS})
                    for t in threads_list for b in batches]
        paths = {"fp32": fp32, "bf16": fp32, "int8": qdq}
        for b in batches:
            for t in threads_list:
                if b > 1 and t != max(threads_list):
                    continue  # batch throughput at the highest thread count only
                samples = {p: [] for p in PRECISIONS}
                errors = {}
                for _ in range(self.args.repeat):
                    for p in PRECISIONS:
                        if p in errors:
                            continue
                        j, e = run_suite.run_json(self.bench_cmd(key, paths[p], p, t, b))
                        if e:
                            errors[p] = e
                        else:
                            samples[p] += j["latencies_ms"]
                med = {p: statistics.median(s) for p, s in samples.items() if s}
                kernels = {p: self.heaviest_kernels(key, paths[p], p, t, b) for p in PRECISIONS if p in med}
                row = dict(model=key, threads=t, batch=b, medians=med, errors=errors, kernels=kernels,
                           runs={p: len(s) for p, s in samples.items()})
                print(f"  {key} b{b} @{t}t: " + ", ".join(
                    f"{p} {med[p]:.2f} ms" if p in med else f"{p} FAILED ({errors.get(p)})" for p in PRECISIONS),
                    flush=True)
                rows.append(row)
        return rows


def render(rows, facts, command, started, load):
    out = [SECTION, "", "```sh", command, "```", "",
           f"Run {started} on {facts['cpu']} ({facts['cores']} cores visible), Linux {facts['kernel']}, edgeinfer at "
           f"{facts['commit']}; load average {load[0]} before, {load[1]} after the run (above the core count means "
           "other work shared the cores). Random weights and inputs; int8 = `edgeinfer quantize --per-channel` QDQ "
           "model (minmax, calibrated on the 3 cached inputs). Medians of every timed run, precisions interleaved "
           "round by round.", "",
           "| model | batch | threads | fp32 ms | bf16 ms | int8 ms | bf16/fp32 | int8/fp32 | images/s fp32, bf16, int8 |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    checks = []
    for r in rows:
        m = r.get("medians", {})
        ratio = {p: (m[p] / m["fp32"] if p in m and "fp32" in m else None) for p in ("bf16", "int8")}
        ips = ", ".join(f"{1000.0 * r['batch'] / m[p]:.1f}" if p in m else "-" for p in PRECISIONS)
        cells = [f"{m[p]:.2f}" if p in m else "failed: " + r.get("errors", {}).get(p, "?") for p in PRECISIONS]
        out.append(f"| {r['model']} | {r['batch']} | {r['threads']} | " + " | ".join(cells) + " | " +
                   " | ".join(run_suite.fmt(ratio[p], 3) for p in ("bf16", "int8")) + f" | {ips} |")
        if r["batch"] == 1 and r["threads"] == 2:
            for p, limit in TARGETS.items():
                if ratio[p] is not None:
                    checks.append((f"{r['model']}: {p}/fp32 at 2 threads, batch 1 <= {limit}", f"{ratio[p]:.3f}",
                                   ratio[p] <= limit))
    if checks:
        met = sum(1 for c in checks if c[2])
        out += ["", f"Targets (issue 10): {met} of {len(checks)} met.", "", "| target | measured | met |",
                "| --- | --- | --- |"]
        out += [f"| {name} | {val} | {'yes' if ok else '**no**'} |" for name, val, ok in checks]
    out += ["", "Kernels that ran (`edgeinfer bench --profile`: each implementation's share of the node time, "
            "top 3):", "", "| model | batch | threads | precision | kernels |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        for p, k in r.get("kernels", {}).items():
            out.append(f"| {r['model']} | {r['batch']} | {r['threads']} | {p} | {k} |")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", help="comma-separated subset of: " + ",".join(DEFAULT_MODELS))
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    ap.add_argument("--batches", default="1,8", help="comma-separated batch sizes (default 1,8; >1 at the "
                    "highest thread count only)")
    ap.add_argument("--repeat", type=int, default=2, help="rounds per precision, interleaved (default 2)")
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per round (default 2)")
    ap.add_argument("--min-iterations", type=int, default=5, help="timed runs per round at least (default 5)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs per round after the first (default 3)")
    ap.add_argument("--quick", action="store_true", help="one short round (smoke test, not numbers)")
    ap.add_argument("--build", default=os.path.join(run_suite.SOURCE, "build"), help="build directory")
    ap.add_argument("--cache", default=os.path.join(HERE, ".cache"), help="exports (default bench/.cache)")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"), help="markdown file to update")
    ap.add_argument("--no-results", action="store_true", help="print the section only")
    args = ap.parse_args(argv)
    if args.quick:
        args.repeat, args.seconds, args.min_iterations, args.warmup = 1, 0.2, 3, 1
    keys = args.models.split(",") if args.models else DEFAULT_MODELS
    unknown = [k for k in keys if k not in run_suite.MODELS]
    if unknown:
        ap.error(f"unknown model '{unknown[0]}' (known: {', '.join(DEFAULT_MODELS)})")
    try:
        threads = [int(t) for t in args.threads.split(",")]
        batches = [int(b) for b in args.batches.split(",")]
    except ValueError:
        ap.error("--threads and --batches are comma-separated lists of integers")
    if min(threads + batches) < 1 or args.repeat < 1 or args.seconds <= 0:
        ap.error("--threads and --batches must be >= 1, --repeat >= 1 and --seconds > 0")
    args.build = os.path.abspath(args.build)
    bench = Bench(args)
    if not os.access(bench.edgeinfer, os.X_OK):
        ap.error(f"{bench.edgeinfer} not found: build it or give --build")
    command = "/usr/bin/python3 bench/precision_bench.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_before = f"{os.getloadavg()[0]:.1f}"
    rows = []
    for key in keys:
        rows += bench.run(key, threads, batches)
    section = render(rows, run_suite.machine_facts(), command, started, (load_before, f"{os.getloadavg()[0]:.1f}"))
    print(section)
    if not args.no_results:
        run_suite.replace_section(args.results, SECTION, section)
        print(f"precision_bench: wrote {args.results}")
    return 1 if any(r.get("errors") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

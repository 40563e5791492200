#!/usr/bin/python3
"""edgeinfer against ONNX Runtime, interleaved, with wall-clock and CPU time per run (issue 20).

  /usr/bin/python3 bench/ort_compare.py [--models resnet18,resnet50,mobilenet_v2] [--threads 1,2] [--rounds 3]
                                        [--seconds 2] [--tactics fast] [--env NAME=VALUE ...] [--build DIR]
                                        [--baseline OTHER_EDGEINFER]

On a shared machine wall-clock latency follows the scheduler; CPU time per run (user + system of the whole
process, every thread, over the timed runs only: `edgeinfer bench --json`'s cpu_ms_per_run, bench/ort_bench.js's
process.cpuUsage()) follows the work done, so at 1 thread it is the steadier comparison. (At 2 threads CPU time
also counts threads spinning at barriers, so compare wall clock there, on a quiet machine.)

Runtimes take turns round by round on the same model file and seeded inputs (bench/run_suite.py's cache:
run it once, or `run_suite.py --export-worker KEY`, to export). Prints one markdown table with the medians over
the rounds, edgeinfer/ORT ratios, the CPU model and the load average before and after. --baseline runs a second
edgeinfer program (e.g. main's build) in the same rounds, so a change is measured against ORT and against the
code before it under the same load.
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_suite  # noqa: E402  (MODELS, input_paths, run_json, machine facts)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def load():
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="resnet18,resnet50,mobilenet_v2")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--iterations", type=int, default=5, help="timed runs per round at least")
    ap.add_argument("--tactics", help="edgeinfer --tactics")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for both runtimes' processes")
    ap.add_argument("--build", default=os.path.join(run_suite.SOURCE, "build"))
    ap.add_argument("--edgeinfer", help="edgeinfer program (default BUILD/edgeinfer)")
    ap.add_argument("--baseline", help="a second edgeinfer program timed in the same rounds (e.g. main's build)")
    ap.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    ap.add_argument("--ort", default=os.path.join(HERE, ".ort"))
    a = ap.parse_args()
    env = dict(os.environ)
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    edgeinfer = a.edgeinfer or os.path.join(a.build, "edgeinfer")
    print(f"cpu: {cpu_model()}, {os.cpu_count()} cores; load average before: {load()}; env: {' '.join(a.env) or '-'}",
          flush=True)
    rows = []
    for key in a.models.split(","):
        onnx = os.path.join(a.cache, f"{key}.opset13.onnx")
        files = run_suite.input_paths(a.cache, key)
        if not os.path.exists(onnx):
            print(f"{key}: {onnx} missing (run_suite.py --export-worker {key})", file=sys.stderr)
            continue
        for t in [int(x) for x in a.threads.split(",")]:
            ei = [edgeinfer, "bench", onnx, "--json", "--threads", str(t), "--warmup", "3", "--duration",
                  str(a.seconds), "-n", str(a.iterations)] + sum((["-i", "input=" + f] for f in files), [])
            if a.tactics:
                ei += ["--tactics", a.tactics]
            ort = ["node", os.path.join(HERE, "ort_bench.js"), onnx, "--json", "--threads", str(t), "--warmup", "3",
                   "--seconds", str(a.seconds), "--iterations", str(a.iterations), "--ort", a.ort]
            ort += sum((["--input", f] for f in files), [])
            runs = [("edgeinfer", ei), ("ort", ort)]
            if a.baseline:
                runs.insert(1, ("baseline", [a.baseline] + ei[1:]))
            got = {name: [] for name, _ in runs}
            for r in range(a.rounds):
                for name, cmd in runs:
                    j, err = run_suite.run_json(cmd, env=env)
                    if err:
                        print(f"{key} {t}t {name}: {err}", file=sys.stderr)
                        continue
                    wall = j["median_ms"] if name == "ort" else j["latency_ms"]["median"]
                    got[name].append((wall, j["cpu_ms_per_run"]))
                    print(f"  {key} {t}t round {r + 1} {name}: median {wall:.2f} ms, cpu {j['cpu_ms_per_run']:.2f} "
                          f"ms/run (load {load()})", flush=True)
            if not all(got.values()):
                continue
            med = {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for n, v in got.items()}
            rows.append((key, t, med["edgeinfer"], med["ort"], med.get("baseline")))
    print(f"\nload average after: {load()}\n")
    base = " baseline ms | baseline cpu ms/run | baseline cpu ratio |" if a.baseline else ""
    print("| model | threads | edgeinfer ms | ORT ms | wall ratio | edgeinfer cpu ms/run | ORT cpu ms/run | cpu ratio |"
          + base)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |" + (" --- | --- | --- |" if a.baseline else ""))
    for key, t, e, o, b in rows:
        extra = f" {b[0]:.2f} | {b[1]:.2f} | {b[1] / o[1]:.3f} |" if b else ""
        print(f"| {key} | {t} | {e[0]:.2f} | {o[0]:.2f} | {e[0] / o[0]:.3f} | {e[1]:.2f} | {o[1]:.2f} | "
              f"{e[1] / o[1]:.3f} |" + extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())

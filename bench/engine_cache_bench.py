#!/usr/bin/python3
"""Time to first result of `edgeinfer classify`, cold (no engine cache, or an empty one that gets written)
versus warm (the cache entry exists), for issue 19.

Usage: bench/engine_cache_bench.py BUILD/edgeinfer MODEL [MODEL ...] [--runs N] [--threads T]

Each run is a fresh process: `edgeinfer classify MODEL models/samples -l 1 --json --no-progress -t T
[--engine-cache DIR]`; the time is from the process start to its first JSON line on stdout (the first
result), and the whole process's wall time. Prints a Markdown table (median and min..max of N runs) and
the load average before and after, since the machine may be shared.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_run(binary, model, threads, cache):
    cmd = [binary, "classify", model, os.path.join(ROOT, "models", "samples"), "-l", "1", "--json", "--no-progress",
           "-t", str(threads)]
    if cache:
        cmd += ["--engine-cache", cache]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = None
    for line in p.stdout:
        if line.startswith("{") and first is None:
            first = time.perf_counter() - t0
    err = p.stderr.read()
    rc = p.wait()
    total = time.perf_counter() - t0
    if rc != 0 or first is None:
        sys.exit(f"{' '.join(cmd)} failed ({rc}): {err}")
    return first * 1000, total * 1000, " ".join(cmd)


def summary(values):
    return f"{statistics.median(values):.0f} ({min(values):.0f}..{max(values):.0f})"


def main():
    args = sys.argv[1:]
    runs, threads = 5, 1
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    binary, models = args[0], args[1:]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    print()
    print("| model | no cache: first result / process ms | cold cache (entry written) | warm cache (entry loaded) |")
    print("| --- | --- | --- | --- |")
    commands = []
    for model in models:
        rows = {"none": [], "cold": [], "warm": []}
        for _ in range(runs):  # interleaved, so load changes hit every column alike
            rows["none"].append(one_run(binary, model, threads, None))
            d = tempfile.mkdtemp(prefix="edgeinfer_cache_bench_")
            try:
                rows["cold"].append(one_run(binary, model, threads, d))
                rows["warm"].append(one_run(binary, model, threads, d))
            finally:
                shutil.rmtree(d)
        commands.append(rows["warm"][0][2])
        cells = [summary([r[0] for r in rows[k]]) + " / " + summary([r[1] for r in rows[k]])
                 for k in ("none", "cold", "warm")]
        print(f"| {os.path.basename(model)} | " + " | ".join(cells) + " |")
    print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for c in commands:
        print(f"command (warm): `{c}`")


if __name__ == "__main__":
    main()

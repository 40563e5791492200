#!/usr/bin/python3
"""Load test of `edgeinfer serve` on loopback with wrk: resnet18 (torchvision architecture, seeded random weights,
exported at bench time with a dynamic batch dim), binary tensor data requests of 1x3x224x224, at concurrency
1, 4 and 16, dynamic batching off (max_batch_size 0) and on (max_batch_size 16, max_queue_delay_us 5000).
Prints a Markdown table (throughput, p50/p99 latency from wrk, non-200 answers, mean batch size from /metrics)
with the machine's facts, for bench/RESULTS.md. Not a CTest.

usage: bench/serve_load.py [--build build] [--seconds 15]"""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]

LUA = """
wrk.method = "POST"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
wrk.headers["Inference-Header-Content-Length"] = "{header_length}"
wrk.headers["Content-Type"] = "application/octet-stream"
"""


def ms(text):
    v = float(re.match(r"([\d.]+)", text).group(1))
    return v / 1000 if text.endswith("us") else v * 1000 if text.endswith("s") and not text.endswith("ms") else v


def metric(url, name):
    text = urllib.request.urlopen(f"{url}/metrics").read().decode()
    m = re.search(rf'^{name}{{model="resnet18",version="1"}} (\d+)$', text, re.M)
    return int(m.group(1)) if m else 0


def run_mode(binary, work, model, mode, seconds):
    repo = work / f"repo_{mode}"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "resnet18/1").mkdir(parents=True)
    shutil.copy(model, repo / "resnet18/1/model.onnx")
    config = {"max_batch_size": 0} if mode == "off" else {"max_batch_size": 16, "max_queue_delay_us": 5000}
    config["max_queue_size"] = 64
    (repo / "resnet18/config.json").write_text(json.dumps(config))
    proc = subprocess.Popen([str(binary), "serve", "--model-repository", str(repo), "--http-port", "0",
                             "--threads", "32"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    url = re.search(r"(http://\S+?:\d+)", proc.stdout.readline()).group(1)
    rows = []
    try:
        for c in (1, 4, 16):
            before = (metric(url, "nv_inference_count"), metric(url, "nv_inference_exec_count"))
            out = subprocess.run(["wrk", "-t", str(min(c, 2)), "-c", str(c), "-d", f"{seconds}s", "--latency",
                                  "--timeout", "10s", "-s", str(work / "infer.lua"), f"{url}/v2/models/resnet18/infer"],
                                 capture_output=True, text=True, check=True).stdout
            after = (metric(url, "nv_inference_count"), metric(url, "nv_inference_exec_count"))
            rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
            p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            execs = max(1, after[1] - before[1])
            rows.append((mode, c, rps, p50, p99, int(bad.group(1)) if bad else 0, (after[0] - before[0]) / execs))
            print(f"batching {mode}, concurrency {c}: {rps:.1f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                  file=sys.stderr, flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--seconds", type=int, default=15)
    args = ap.parse_args()
    build = pathlib.Path(args.build)
    binary = build / "edgeinfer"
    work = build / "serve_bench"
    work.mkdir(parents=True, exist_ok=True)
    model = work / "resnet18.onnx"
    if not model.exists():
        subprocess.run(["/usr/bin/python3", str(ROOT / "tests/tools/export_torchvision.py"), str(work), "resnet18"],
                       check=True)
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    header = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3, 224, 224],
                                     "parameters": {"binary_data_size": x.nbytes}}],
                         "outputs": [{"name": "output", "parameters": {"binary_data": True}}]}).encode()
    (work / "body.bin").write_bytes(header + x.tobytes())
    (work / "infer.lua").write_text(LUA.format(body=work / "body.bin", header_length=len(header)))
    load_before = os.getloadavg()
    rows = run_mode(binary, work, model, "off", args.seconds) + run_mode(binary, work, model, "on", args.seconds)
    load_after = os.getloadavg()
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    name = re.search(r"Model name:\s+(.*)", cpu).group(1).strip()
    cores = re.search(r"^CPU\(s\):\s+(\d+)", cpu, re.M).group(1)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {name} ({cores} CPUs), edgeinfer at {commit}; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after ({args.seconds} s per row).\n")
    print("| batching | concurrency | requests/s | p50 ms | p99 ms | non-200 | mean batch |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for mode, c, rps, p50, p99, bad, batch in rows:
        print(f"| {mode} | {c} | {rps:.1f} | {p50:.1f} | {p99:.1f} | {bad} | {batch:.2f} |")


if __name__ == "__main__":
    main()

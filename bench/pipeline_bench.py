#!/usr/bin/python3
"""Frames per second of the demo stream pipeline on 1 and 4 sources; writes bench/RESULTS.md's "Pipeline throughput".

  python3 bench/pipeline_bench.py [--sources 1,4] [--frames 300] [--repeat 3] [--threads 1] [--batch-size 1,4]
                                  [--detector MODEL] [--with-video] [--build DIR] [--video FILE]
                                  [--results FILE | --no-results]

The pipeline is models/demo_pipeline.json (the bundled shapes detector, a SORT tracker, the shapes classifier
on object crops, an overlay, a counting line, its publish and record rules, metadata and event sinks) with its
one source replaced by N copies of the same video file (non-live, looping, so no frame is dropped and each
source gives --frames frames). The annotated-video sink is left out unless --with-video. The video is the demo's
(build/demo/shapes.avi, made by tools/train_demo_detector.py --video when missing).

Each run is `edgeinfer pipeline CONFIG --limit FRAMES -t THREADS`; its exit summary gives frames/s through the
output stage (every element done) since the pipeline started reading, and the detector's mean busy time per
frame. The median over --repeat runs is reported; the wall time includes loading the models. Only the Python
standard library is used.
"""
import argparse
import datetime
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
HEADING = "## Pipeline throughput (bench/pipeline_bench.py)"
sys.path.insert(0, HERE)
import run_suite  # noqa: E402  (machine facts, RESULTS.md sections; imports no torch)


def make_config(demo, sources, video, out_dir, detector, batch_size, with_video):
    """The demo config with `sources` copies of `video`, paths made absolute, outputs under out_dir."""
    models = os.path.dirname(os.path.abspath(demo))
    with open(demo) as f:
        doc = json.load(f)
    doc["sources"] = [{"id": f"cam{i}", "uri": video, "loop": True, "live": False} for i in range(sources)]
    doc["spool_directory"] = os.path.join(out_dir, "spool")
    for e in doc["elements"]:
        if "model" in e:
            e["model"] = os.path.join(models, e["model"])
    det = next(e for e in doc["elements"] if e.get("type") == "infer" and e.get("role", "detector") == "detector")
    if detector:
        det["model"] = os.path.abspath(detector)
    det["batch_size"] = batch_size
    sinks = []
    for s in doc.get("sinks", []):
        if s["type"] == "video" and not with_video:
            continue
        if "path" in s:
            s["path"] = os.path.join(out_dir, os.path.basename(s["path"]))
        sinks.append(s)
    doc["sinks"] = sinks
    for r in doc.get("action_rules", []):
        if isinstance(r.get("action"), dict) and "directory" in r["action"]:
            r["action"]["directory"] = os.path.join(out_dir, "clips")
    path = os.path.join(out_dir, "pipeline.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path, det["name"] if "name" in det else "infer0"


def run_once(edgeinfer, config, frames, threads, detector_name):
    """Runs the pipeline; returns (output fps, detector mean ms, batch mean or None, wall seconds, frames)."""
    cmd = [edgeinfer, "pipeline", config, "--limit", str(frames), "-t", str(threads)]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"pipeline_bench: {shlex.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    total = re.search(r"^pipeline: (\d+) frames", r.stdout, re.M)
    out = re.search(r"element output\s+(\d+) frames\s+([\d.]+) fps", r.stdout)
    det = re.search(r"element " + re.escape(detector_name) + r"\s+\d+ frames\s+[\d.]+ fps\s+latency mean\s+([\d.]+) ms"
                    r".*$", r.stdout, re.M)
    if not (total and out and det):
        sys.exit(f"pipeline_bench: cannot read the summary of {shlex.join(cmd)}:\n{r.stdout}")
    batch_mean = re.search(r"batch mean ([\d.]+)", det.group(0))
    batch = float(batch_mean.group(1)) if batch_mean else None
    return float(out.group(2)), float(det.group(1)), batch, wall, int(total.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default="1,4", help="comma-separated source counts (default 1,4)")
    ap.add_argument("--frames", type=int, default=300, help="frames per source (default 300)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per source count; the median is reported")
    ap.add_argument("--threads", type=int, default=1, help="threads per model (edgeinfer pipeline -t; default 1)")
    ap.add_argument("--batch-size", default="1",
                    help="the detector's batch_size, comma-separated for several (default 1; the demo detector has a "
                         "fixed batch of 1, so above 1 it runs one frame at a time and says so)")
    ap.add_argument("--detector", help="another detector model instead of the demo's")
    ap.add_argument("--with-video", action="store_true", help="keep the annotated-video sink")
    ap.add_argument("--build", default=os.path.join(SOURCE, "build"), help="build folder holding edgeinfer")
    ap.add_argument("--config", default=os.path.join(SOURCE, "models", "demo_pipeline.json"))
    ap.add_argument("--video", default=os.path.join(SOURCE, "build", "demo", "shapes.avi"))
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"), help="markdown file to update")
    ap.add_argument("--no-results", action="store_true", help="print the section only")
    args = ap.parse_args()

    edgeinfer = os.path.join(args.build, "edgeinfer")
    if not os.access(edgeinfer, os.X_OK):
        sys.exit(f"pipeline_bench: {edgeinfer} not found; build edgeinfer_cli first (or pass --build)")
    video = os.path.abspath(args.video)
    if not os.path.exists(video):
        subprocess.run(["/usr/bin/python3", os.path.join(SOURCE, "tools", "train_demo_detector.py"), "--video", video],
                       check=True)
    counts = [int(c) for c in args.sources.split(",") if c]
    batch_sizes = [int(b) for b in args.batch_size.split(",") if b]
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()[0]
    rows = []
    for n, batch_size in [(n, b) for b in batch_sizes for n in counts]:
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="pipeline_bench_") as out:
                config, det = make_config(args.config, n, video, out, args.detector, batch_size, args.with_video)
                runs.append(run_once(edgeinfer, config, args.frames, args.threads, det))
        fps = statistics.median(r[0] for r in runs)
        batches = [r[2] for r in runs if r[2] is not None]
        rows.append({
            "sources": n,
            "batch_size": batch_size,
            "frames": runs[0][4],
            "fps": fps,
            "per_source": fps / n,
            "detector_ms": statistics.median(r[1] for r in runs),
            "batch": statistics.median(batches) if batches else 1.0,
            "wall": statistics.median(r[3] for r in runs),
            "all": [r[0] for r in runs],
        })
        each = ", ".join(f"{r[0]:.1f}" for r in runs)
        print(f"{n} source(s), batch_size {batch_size}: {fps:.1f} frames/s ({each})", flush=True)
    load_after = os.getloadavg()[0]

    argv = [a for a in sys.argv[1:] if a != "--no-results"]
    command = shlex.join(["python3", "bench/pipeline_bench.py"] + argv)
    detector = "models/shapes_detector.onnx"
    if args.detector:
        detector = os.path.relpath(os.path.abspath(args.detector), SOURCE)
    out = [HEADING, "", "```sh", command, "```", ""]
    facts = run_suite.machine_facts()
    out.append(
        f"Run {started:%Y-%m-%d %H:%M} UTC on {facts['cpu']} ({facts['cores']} cores visible), Linux {facts['kernel']}, "
        f"edgeinfer at {facts['commit']}; load average "
        f"{load_before:.1f} before, {load_after:.1f} after (above the core count means other work shared the cores "
        f"and the numbers are noisy). models/demo_pipeline.json on N copies of {os.path.relpath(video, SOURCE)} "
        f"(non-live, looping), {args.frames} frames per source, detector {detector}, "
        f"{args.threads} thread(s) per model, "
        f"{'with' if args.with_video else 'without'} the annotated-video sink; median of {args.repeat} runs. "
        "frames/s: all sources together through the output stage, from the pipeline's exit summary.")
    out += ["", "| sources | batch_size | frames | frames/s | frames/s per source | detector ms/frame | "
                "detector batch mean | wall s (with model load) | runs (frames/s) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        out.append(f"| {r['sources']} | {r['batch_size']} | {r['frames']} | {r['fps']:.1f} | {r['per_source']:.1f} | "
                   f"{r['detector_ms']:.2f} | {r['batch']:.2f} | {r['wall']:.2f} | "
                   f"{', '.join(f'{x:.1f}' for x in r['all'])} |")
    section = "\n".join(out) + "\n"
    print()
    print(section)
    if not args.no_results:
        run_suite.replace_section(args.results, HEADING, section)
        print(f"pipeline_bench: wrote the section into {args.results}")


if __name__ == "__main__":
    main()

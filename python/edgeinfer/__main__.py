"""python3 -m edgeinfer --version | pipeline CONFIG [options]

`pipeline` runs a pipeline config like `edgeinfer pipeline` (same options, output and exit codes), with
Python custom elements ({"type": "python", "module": ..., "class": ...}) running in this interpreter."""
import argparse
import signal
import sys

# Exit codes of `edgeinfer pipeline` (src/cli/pipeline.cpp).
EXIT_OK, EXIT_ERROR, EXIT_NO_FRAMES, EXIT_SOURCE_FAILED, EXIT_UNDELIVERED, EXIT_DATA_LOST, EXIT_INTERRUPTED = (
    0, 1, 2, 3, 4, 5, 130)


def main(argv=None):
    import edgeinfer

    parser = argparse.ArgumentParser(prog="python3 -m edgeinfer", description="edgeinfer from Python")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command")
    pipe = commands.add_parser("pipeline", help="run a pipeline config (Python elements included)",
                               epilog="Exit codes: 0 sources ended and every event delivered; 1 bad config, model "
                                      "or sink; 2 no source gave a frame; 3 a source failed mid-run; 4 events left "
                                      "queued on disk; 5 clips lost or events refused (disk full); 130 stopped by "
                                      "SIGINT/SIGTERM (summary printed).")
    pipe.add_argument("config")
    pipe.add_argument("--metrics-port", type=int, default=-1,
                      help="serve Prometheus metrics on this port (0: off; default: the config's metrics_port)")
    pipe.add_argument("-l", "--limit", "--max-frames", dest="limit", type=int, default=0,
                      help="stop each source after N frames (0: until it ends)")
    pipe.add_argument("--drain-timeout", type=float, default=10.0,
                      help="seconds to wait at exit for queued events to be delivered")
    pipe.add_argument("-t", "--threads", type=int, default=0, help="threads per model (0: all cores)")
    pipe.add_argument("--precision", choices=("fp32", "bf16", "int8"), default="fp32",
                      help="for every model; an element's \"precision\" key overrides it")
    args = parser.parse_args(argv)
    if args.version:
        print(f"edgeinfer {edgeinfer.__version__}")
        return EXIT_OK
    if args.command == "pipeline":
        return _run_pipeline(edgeinfer, args)
    parser.print_help()
    return 2


def _run_pipeline(edgeinfer, args):
    me = "edgeinfer pipeline: "
    try:
        pipeline = edgeinfer.Pipeline.from_file(args.config, threads=args.threads, precision=args.precision,
                                                max_frames=args.limit, metrics_port=args.metrics_port,
                                                drain_seconds=args.drain_timeout)
    except edgeinfer.Error as e:
        print(f"{me}{e}", file=sys.stderr)
        return EXIT_ERROR
    if pipeline.metrics_port > 0:
        print(f"{me}metrics at http://127.0.0.1:{pipeline.metrics_port}/metrics", file=sys.stderr)
    received = []

    def on_signal(signum, _frame):
        received.append(signum)
        pipeline.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        summary = pipeline.run()
    except edgeinfer.Error as e:
        print(f"{me}{e}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    drained = summary.events_pending == 0  # run() drained the sinks before it made the summary
    stopped = f", stopped by {signal.Signals(received[0]).name}" if received else ""
    print(f"pipeline: {summary.frames} frames, {summary.events} events, {summary.dropped} live frames dropped{stopped}")
    for line in summary.lines:
        print(f"  {line}")
    for err in summary.source_errors:
        print(f"  source error: {err.message}")
    if not drained:
        print(f"{me}{summary.events_pending} event(s) still queued on disk after {args.drain_timeout} s; "
              "they are delivered on the next run", file=sys.stderr)
    if received:
        return EXIT_INTERRUPTED
    if len(summary.source_errors) >= len(pipeline.source_ids) and summary.frames == 0:
        return EXIT_NO_FRAMES
    if summary.source_errors:
        return EXIT_SOURCE_FAILED
    if summary.clips_lost or summary.events_refused:
        return EXIT_DATA_LOST
    if not drained:
        return EXIT_UNDELIVERED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

"""python3 -m edgeinfer --version | pipeline CONFIG [--max-frames N]"""
import argparse
import sys


def main(argv=None):
    import edgeinfer

    parser = argparse.ArgumentParser(prog="python3 -m edgeinfer", description="edgeinfer from Python")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command")
    pipe = commands.add_parser("pipeline", help="run a pipeline config (Python elements included)")
    pipe.add_argument("config")
    pipe.add_argument("--max-frames", type=int, default=0, help="per source; 0: until the sources end")
    args = parser.parse_args(argv)
    if args.version:
        print(f"edgeinfer {edgeinfer.__version__}")
        return 0
    if args.command == "pipeline":
        return _run_pipeline(edgeinfer, args)
    parser.print_help()
    return 2


def _run_pipeline(edgeinfer, args):
    import signal

    try:
        pipeline = edgeinfer.Pipeline.from_file(args.config, max_frames=args.max_frames)
    except edgeinfer.Error as e:
        print(f"edgeinfer: {e.code}: {e}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGINT, lambda *_: pipeline.stop())
    signal.signal(signal.SIGTERM, lambda *_: pipeline.stop())
    try:
        summary = pipeline.run()
    except edgeinfer.Error as e:
        print(f"edgeinfer: {e.code}: {e}", file=sys.stderr)
        return 1
    for line in summary.lines:
        print(line)
    for err in summary.source_errors:
        print(err.message, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

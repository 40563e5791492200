#!/usr/bin/python3
"""edgeinfer against ONNX Runtime node by node: where does edgeinfer spend more time (issue 20)?

  /usr/bin/python3 bench/node_compare.py MODEL [--threads 1] [--iterations 200] [--rounds 3] [--top 25]
                                         [--build DIR] [--edgeinfer PROGRAM] [--cache DIR] [--ort DIR] [--json FILE]

MODEL is a key of bench/run_suite.py's cache (e.g. squeezenet1_1: CACHE/squeezenet1_1.opset13.onnx and its
seeded inputs; run run_suite.py once to export) or a path to an .onnx file with one float input (then
--input FILE.npy is needed). Runs `edgeinfer bench --profile --json` and `node bench/ort_bench.js --profile`
at --threads, taking turns for --rounds rounds (ORT first in each), each for --iterations timed runs, and prints
per node the smallest over the rounds of its mean kernel time per run (in ms), so a burst of load on a shared
machine in one round does not count:

  1. per group: each runtime's nodes are matched to the model's ONNX nodes by name, or, for the nodes a runtime
     renamed, by the longest prefix of the name that is an ONNX node or value name (ORT names a fused node after
     its last output, e.g. X_output_0_nchwc, or after the node plus a suffix, e.g. N/QuickGeluFusion/; edgeinfer
     keeps the first node's name). Both runtimes fuse activations into convolutions, so a group is a Conv, Gemm
     or MatMul with the chain the runtimes fold into it: single-consumer Relu, Clip, Sigmoid, HardSigmoid,
     HardSwish, LeakyRelu, Tanh, BatchNormalization, Add or Sum, and SiLU (Sigmoid then Mul of both); every other
     node is a group of its own. A group's time is the sum of the runtime nodes matched into it.
  2. per op type of the group's first ONNX node (Conv here means a convolution with whatever was folded into it).
  3. what could not be matched: nodes a runtime inserted (layout conversions such as ORT's ReorderInput/Output or
     edgeinfer's input_nhwc Transpose, matched to no ONNX node), listed per runtime with their times, and groups
     where one runtime reports no node (fused into another group, folded away, or run as part of a neighbour).

Profiling adds a little time per node to both; compare the ratios, not the sums with bench latencies. Load on
a shared machine moves everything: the load average before and after is printed.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDED = {"Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "LeakyRelu", "Tanh", "BatchNormalization", "Add",
          "Sum"}
ANCHORS = {"Conv", "ConvTranspose", "Gemm", "MatMul"}
INSERTED = "(inserted)"


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"node_compare: {' '.join(cmd[:3])} ...: exit {p.returncode}: {(p.stderr or p.stdout).strip()[-400:]}")
    return p.stdout


class Model:
    """The ONNX graph's nodes, their groups, and the name lookup for runtime node names."""

    def __init__(self, path):
        import onnx
        g = onnx.load(path, load_external_data=False).graph
        self.inputs = [i.name for i in g.input if i.name not in {t.name for t in g.initializer}]
        self.nodes = list(g.node)
        self.by_name = {n.name: n for n in self.nodes if n.name}
        self.producer = {o: n for n in self.nodes for o in n.output if o}
        consumers = collections.defaultdict(list)
        for n in self.nodes:
            for i in n.input:
                consumers[i].append(n)
        self.group = {}  # ONNX node name -> group name (the group's first node)
        for n in self.nodes:
            if n.name in self.group:
                continue
            self.group[n.name] = n.name
            if n.op_type not in ANCHORS:
                continue
            tail = n
            while True:
                cons = consumers[tail.output[0]]
                if len(cons) == 1 and cons[0].op_type in FOLDED:
                    tail = cons[0]
                elif len(cons) == 2 and {c.op_type for c in cons} == {"Sigmoid", "Mul"}:  # SiLU
                    sig, mul = sorted(cons, key=lambda c: c.op_type != "Sigmoid")
                    if consumers[sig.output[0]] != [mul] or set(mul.input) != {tail.output[0], sig.output[0]}:
                        break
                    self.group[sig.name] = n.name
                    tail = mul
                else:
                    break
                self.group[tail.name] = n.name

    def resolve(self, name):
        """The ONNX node a runtime's node name stands for, or None."""
        for end in range(len(name), 0, -1):
            prefix = name[:end]
            if prefix in self.by_name:
                return self.by_name[prefix]
            if prefix in self.producer:
                return self.producer[prefix]
        return None


def profile_ort(a, onnx_path, inputs):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ort.json")
        cmd = ["node", os.path.join(HERE, "ort_bench.js"), onnx_path, "--threads", str(a.threads), "--iterations",
               str(a.iterations), "--seconds", "0.1", "--ort", a.ort, "--profile", out]
        for f in inputs:
            cmd += ["--input", f]
        run(cmd)
        with open(out) as f:
            return [(n["name"], n["op_type"], n["mean_ms"]) for n in json.load(f)["nodes"]]


def profile_edgeinfer(a, onnx_path, input_name, inputs):
    cmd = [a.edgeinfer, "bench", onnx_path, "--json", "--profile", "--threads", str(a.threads), "-n",
           str(a.iterations)]
    for f in inputs:
        cmd += ["--inputs", f"{input_name}={f}"]
    j = json.loads(run(cmd))
    return [(n["name"], n["op_type"], n["time_ms"]) for n in j["profile"]["nodes"]]


def smallest(rounds):
    """[(name, op, ms)] per round -> per node the smallest ms over the rounds (first round's order)."""
    best = {}
    for nodes in rounds:
        for name, op, ms in nodes:
            best[name] = min(best.get(name, ms), ms)
    return [(name, op, best[name]) for name, op, _ in rounds[0]]


def attribute(model, nodes):
    """Runtime nodes -> ({group: ms}, {group: [runtime op types]}, [(inserted name, op type, ms)])."""
    times, ops, inserted = collections.defaultdict(float), collections.defaultdict(list), []
    for name, op, ms in nodes:
        onnx_node = model.by_name.get(name) or model.resolve(name)
        # A layout conversion named after the value it converts is not that value's producer.
        if onnx_node is None or (name not in model.by_name and op in {"Transpose", "ReorderInput", "ReorderOutput"}
                                 and onnx_node.op_type != op):
            inserted.append((name, op, ms))
            continue
        g = model.group[onnx_node.name]
        times[g] += ms
        ops[g].append(op)
    return times, ops, inserted


def ratio(e, o):
    return f"{e / o:.2f}" if o > 0 else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--top", type=int, default=25, help="groups listed, largest edgeinfer - ORT difference first")
    ap.add_argument("--input", action="append", default=[], help="FILE.npy for an .onnx path (repeatable)")
    ap.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"))
    ap.add_argument("--edgeinfer", help="edgeinfer program (default BUILD/edgeinfer)")
    ap.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    ap.add_argument("--ort", default=os.path.join(HERE, ".ort"))
    ap.add_argument("--json", help="also write the groups and op types here")
    a = ap.parse_args()
    a.edgeinfer = a.edgeinfer or os.path.join(a.build, "edgeinfer")
    if a.model.endswith(".onnx"):
        onnx_path, inputs = a.model, a.input
    else:
        onnx_path = os.path.join(a.cache, f"{a.model}.opset13.onnx")
        inputs = a.input or [os.path.join(a.cache, f"{a.model}.input{k}.npy") for k in range(3)]
    for f in [onnx_path, a.edgeinfer] + inputs:
        if not os.path.exists(f):
            sys.exit(f"node_compare: {f} does not exist (bench/run_suite.py exports the cache; build edgeinfer)")
    if not inputs:
        sys.exit("node_compare: no --input FILE.npy given")
    model = Model(onnx_path)
    if len(model.inputs) != 1:
        sys.exit(f"node_compare: {onnx_path} has {len(model.inputs)} inputs, only one is supported")

    load_before = load()
    ort_rounds, ei_rounds = [], []
    for _ in range(max(1, a.rounds)):
        ort_rounds.append(profile_ort(a, onnx_path, inputs))
        ei_rounds.append(profile_edgeinfer(a, onnx_path, model.inputs[0], inputs))
    load_after = load()
    ort_nodes, ei_nodes = smallest(ort_rounds), smallest(ei_rounds)
    ei, ei_ops, ei_ins = attribute(model, ei_nodes)
    ort, ort_ops, ort_ins = attribute(model, ort_nodes)

    print(f"# {os.path.basename(onnx_path)}, {a.threads} thread(s), {a.rounds} round(s) of {a.iterations} "
          f"profiled runs each, "
          f"load average {load_before} before, {load_after} after")
    print(f"total kernel time per run: edgeinfer {sum(t for *_, t in ei_nodes):.3f} ms, "
          f"ORT {sum(t for *_, t in ort_nodes):.3f} ms\n")

    groups = sorted(set(ei) | set(ort), key=lambda g: ort.get(g, 0) - ei.get(g, 0))
    print(f"## Groups, largest edgeinfer - ORT first (top {a.top} of {len(groups)})\n")
    print("| group (first ONNX node) | ONNX ops | edgeinfer ms | ORT ms | ratio | edgeinfer kernels | ORT kernels |")
    print("|---|---|---:|---:|---:|---|---|")
    members = collections.defaultdict(list)
    for n in model.nodes:
        members[model.group[n.name]].append(n.op_type)
    for g in groups[:a.top]:
        print(f"| {g} | {'+'.join(members[g])} | {ei.get(g, 0):.4f} | {ort.get(g, 0):.4f} | "
              f"{ratio(ei.get(g, 0), ort.get(g, 0))} | {'+'.join(ei_ops.get(g, ['-']))} | "
              f"{'+'.join(ort_ops.get(g, ['-']))} |")

    by_type = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for g in groups:
        t = by_type[model.by_name[g].op_type]
        t[0] += ei.get(g, 0)
        t[1] += ort.get(g, 0)
        t[2] += 1
    for name, op, ms in ei_ins:
        by_type[f"{INSERTED} {op}"][0] += ms
    for name, op, ms in ort_ins:
        by_type[f"{INSERTED} {op}"][1] += ms
    print("\n## Per op type of the group's first ONNX node (Conv: with what was folded into it)\n")
    print("| op type | groups | edgeinfer ms | ORT ms | edgeinfer - ORT ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for op, (e, o, n) in sorted(by_type.items(), key=lambda kv: kv[1][1] - kv[1][0]):
        print(f"| {op} | {n or '-'} | {e:.4f} | {o:.4f} | {e - o:+.4f} | {ratio(e, o)} |")

    print("\n## Not matched\n")
    for who, ins in (("edgeinfer", ei_ins), ("ORT", ort_ins)):
        listed = ", ".join(f"{name} ({op}) {ms:.4f} ms" for name, op, ms in ins) or "none"
        print(f"- {who}: inserted nodes matched to no ONNX node: {listed}")
    for who, mine, other in (("edgeinfer", ei, ort), ("ORT", ort, ei)):
        missing = [g for g in groups if g not in mine]
        listed = ", ".join(f"{g} ({'+'.join(members[g])}; other runtime {other[g]:.4f} ms)" for g in missing)
        print(f"- groups with no {who} node (fused into a neighbour or folded away): {listed or 'none'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"model": onnx_path, "threads": a.threads, "load_before": load_before, "load_after": load_after,
                       "groups": [{"group": g, "onnx_ops": members[g], "edgeinfer_ms": ei.get(g, 0),
                                   "ort_ms": ort.get(g, 0)} for g in groups],
                       "op_types": {op: {"groups": n, "edgeinfer_ms": e, "ort_ms": o}
                                    for op, (e, o, n) in by_type.items()},
                       "inserted": {"edgeinfer": ei_ins, "ort": ort_ins}}, f, indent=1)


if __name__ == "__main__":
    main()

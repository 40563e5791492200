#!/usr/bin/python3
"""Writes float16 ONNX models for the fp16 tests.

Usage: make_fp16_models.py OUTDIR [MODEL[:HxW] ...]

- fp16_tiny.onnx: Conv -> Relu -> MatMul -> Add made with onnx.helper, float16 weights and I/O.
- fp16_tiny_io32.onnx: the same with float32 I/O and Casts at the boundary ("keep IO in fp32").
- For each torchvision MODEL (seeded weights, see export_torchvision.py): MODEL_fp16.onnx (weights,
  activations and I/O float16, what `torch.onnx.export(model.half(), x.half())` produces) and
  MODEL_fp16io32.onnx (float32 I/O, Casts inside), with MODEL_fp16.input.npy (float32, seeded, batch 2)
  and MODEL_fp16.output.npy (PyTorch's float32 output on it).
  Debian's torch 1.13 cannot trace a .half() model on the CPU ("slow_conv2d_cpu not implemented for
  Half"), so the float32 export is converted: every float initializer and Constant becomes float16 and
  the graph's I/O is declared float16, which is the graph a CUDA .half() export gives.
Existing files are reused.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def to_fp16(model, keep_io_fp32):
    g = model.graph
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT:
            init.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name))
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    del g.value_info[:]
    ins = [i for i in g.input if i.type.tensor_type.elem_type == TensorProto.FLOAT]
    outs = [o for o in g.output if o.type.tensor_type.elem_type == TensorProto.FLOAT]
    if not keep_io_fp32:
        for v in ins + outs:
            v.type.tensor_type.elem_type = TensorProto.FLOAT16
        return model
    casts_in, casts_out = [], []
    for v in ins:
        inner = v.name + "_fp16"
        for n in g.node:
            n.input[:] = [inner if x == v.name else x for x in n.input]
        casts_in.append(helper.make_node("Cast", [v.name], [inner], name=v.name + "_cast", to=TensorProto.FLOAT16))
    for v in outs:
        inner = v.name + "_fp16"
        for n in g.node:
            n.output[:] = [inner if x == v.name else x for x in n.output]
        casts_out.append(helper.make_node("Cast", [inner], [v.name], name=v.name + "_cast", to=TensorProto.FLOAT))
    nodes = casts_in + list(g.node) + casts_out
    del g.node[:]
    g.node.extend(nodes)
    return model


def tiny(path, keep_io_fp32):
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b")
    m = numpy_helper.from_array((rng.standard_normal((6, 5)) * 0.3).astype(np.float32), "m")
    c = numpy_helper.from_array(rng.standard_normal(5).astype(np.float32), "c")
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["conv"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("MatMul", ["relu", "m"], ["mm"], name="matmul"),
        helper.make_node("Add", ["mm", "c"], ["y"], name="add"),
    ]
    g = helper.make_graph(nodes, "fp16_tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 6, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 6, 5])], [w, b, m, c])
    model = to_fp16(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), keep_io_fp32)
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def torchvision_fp16(outdir, spec):
    import torch
    from export_torchvision import build
    name, _, res = spec.partition(":")
    h, w = (int(v) for v in res.split("x")) if res else (112, 112)
    done = os.path.join(outdir, f"{name}_fp16.output.npy")
    if os.path.exists(done):
        return
    model = build(name)
    fp32 = os.path.join(outdir, f"{name}_fp16.fp32.onnx")
    torch.onnx.export(model, torch.randn(1, 3, h, w), fp32, opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      do_constant_folding=True)
    for suffix, keep in (("_fp16", False), ("_fp16io32", True)):
        onnx.save(to_fp16(onnx.load(fp32), keep), os.path.join(outdir, f"{name}{suffix}.onnx"))
    os.remove(fp32)
    x = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(123))
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(outdir, f"{name}_fp16.input.npy"), x.numpy())
    np.save(done + ".tmp.npy", y.numpy())
    os.replace(done + ".tmp.npy", done)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    tiny(os.path.join(outdir, "fp16_tiny.onnx"), False)
    tiny(os.path.join(outdir, "fp16_tiny_io32.onnx"), True)
    for spec in sys.argv[2:]:
        torchvision_fp16(outdir, spec)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes hostile ONNX files for tests/errors/hostile_model_test.cpp (issue 24): each must load or run
into one clear error, never a crash, an abort or a read outside the model's folder.

Usage: make_hostile_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, initializer=(), opset=13, name="hostile"):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializer))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def save(m, outdir, name):
    onnx.save(m, os.path.join(outdir, name))


def conv_zero_strides():
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    return model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv0", strides=[0, 0])],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])


def pool_negative_pads():
    return model([helper.make_node("MaxPool", ["x"], ["y"], name="pool0", kernel_shape=[2, 2], pads=[-1, 0, 0, 0])],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])


def external_symlink(outdir):
    """A weight stored as external data whose file is a symbolic link to a file outside the folder."""
    folder = os.path.join(outdir, "symlink_model")
    os.makedirs(folder, exist_ok=True)
    outside = os.path.join(outdir, "outside_secret.bin")
    with open(outside, "wb") as f:
        f.write(b"secret!!" * 16)  # 128 bytes: 32 floats
    link = os.path.join(folder, "weights.bin")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(outside, link)
    w = helper.make_tensor_value_info("w", TensorProto.FLOAT, [32])
    t = TensorProto()
    t.name = "w"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([32])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "weights.bin"), ("offset", "0"), ("length", "128")):
        e = t.external_data.add()
        e.key, e.value = k, v
    del w
    m = model([helper.make_node("Add", ["x", "w"], ["y"], name="add0")],
              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [32])],
              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [32])], [t])
    save(m, folder, "model.onnx")


def nested_if(depth):
    """If nodes nested `depth` deep, the innermost returning x."""
    inner = helper.make_graph([helper.make_node("Identity", ["x"], ["o0"])], "g0", [],
                              [helper.make_tensor_value_info("o0", TensorProto.FLOAT, [1])])
    for d in range(1, depth + 1):
        other = helper.make_graph([helper.make_node("Identity", ["x"], [f"e{d}"])], f"e{d}", [],
                                  [helper.make_tensor_value_info(f"e{d}", TensorProto.FLOAT, [1])])
        node = helper.make_node("If", ["c"], [f"o{d}"], name=f"if{d}", then_branch=inner, else_branch=other)
        inner = helper.make_graph([node], f"g{d}", [], [helper.make_tensor_value_info(f"o{d}", TensorProto.FLOAT, [1])])
    top = inner.node[0]
    return model([top], [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                         helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                 [helper.make_tensor_value_info(top.output[0], TensorProto.FLOAT, [1])])


def range_huge():
    """Range 0 .. 2^62: a count no machine holds, computed from constant inputs."""
    start = numpy_helper.from_array(np.array(0, np.int64), "start")
    limit = numpy_helper.from_array(np.array(1 << 62, np.int64), "limit")
    delta = numpy_helper.from_array(np.array(1, np.int64), "delta")
    return model([helper.make_node("Range", ["start", "limit", "delta"], ["r"], name="range0"),
                  helper.make_node("Add", ["r", "x"], ["y"], name="add0")],
                 [helper.make_tensor_value_info("x", TensorProto.INT64, [1])],
                 [helper.make_tensor_value_info("y", TensorProto.INT64, None)], [start, limit, delta])


def constant_of_shape_overflow():
    """ConstantOfShape of [2^40, 2^40, 2^40]: the element count overflows 64 bits."""
    shape = numpy_helper.from_array(np.array([1 << 40] * 3, np.int64), "shape")
    return model([helper.make_node("ConstantOfShape", ["shape"], ["c"], name="const0"),
                  helper.make_node("Add", ["c", "x"], ["y"], name="add0")],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [shape], opset=13)


def dynamic_relu():
    """Relu on a fully dynamic input: the plan's intermediate size comes from the caller's shape."""
    return model([helper.make_node("Relu", ["x"], ["r"], name="relu0"),
                  helper.make_node("Neg", ["r"], ["y"], name="neg0")],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["a", "b", "c"])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b", "c"])])


def endless_loop():
    """Loop with trip count 2^62 whose body only adds 1 to a scalar: it allocates nothing, so only a time
    limit stops it. The count comes from the input `n` so no pass can fold it away."""
    body = helper.make_graph(
        [helper.make_node("Add", ["v_in", "one"], ["v_out"], name="add1"),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="keep")],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [])],
        initializer=[numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one")])
    return model([helper.make_node("Loop", ["n", "", "v0"], ["v"], name="loop0", body=body)],
                 [helper.make_tensor_value_info("n", TensorProto.INT64, []),
                  helper.make_tensor_value_info("v0", TensorProto.FLOAT, [])],
                 [helper.make_tensor_value_info("v", TensorProto.FLOAT, [])])


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    save(conv_zero_strides(), outdir, "conv_zero_strides.onnx")
    save(pool_negative_pads(), outdir, "pool_negative_pads.onnx")
    external_symlink(outdir)
    save(nested_if(95), outdir, "nested_if_95.onnx")
    save(nested_if(20), outdir, "nested_if_20.onnx")
    save(range_huge(), outdir, "range_huge.onnx")
    save(constant_of_shape_overflow(), outdir, "constant_of_shape_overflow.onnx")
    save(dynamic_relu(), outdir, "dynamic_relu.onnx")
    save(endless_loop(), outdir, "endless_loop.onnx")


if __name__ == "__main__":
    main()

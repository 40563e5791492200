#!/usr/bin/python3
"""Writes the small models the C API tests (tests/api/) run, with answers a test can compute by hand.

Usage: make_capi_models.py OUTDIR
affine.onnx: inputs x float [batch, 4] (symbolic dim "batch") and b float [4];
outputs y = 2 * x + b [batch, 4] (nodes "double", "add_bias") and s = sum of x over dim 1 [batch, 1] ("row_sum").
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def affine():
    two = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["x2"], name="double"),
        helper.make_node("Add", ["x2", "b"], ["y"], name="add_bias"),
        helper.make_node("ReduceSum", ["x", "axes"], ["s"], name="row_sum", keepdims=1),
    ]
    graph = helper.make_graph(
        nodes, "affine",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4]),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, ["batch", 1])],
        [two, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    onnx.save(affine(), os.path.join(sys.argv[1], "affine.onnx"))


if __name__ == "__main__":
    main()

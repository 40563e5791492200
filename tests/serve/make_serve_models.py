#!/usr/bin/env python3
"""Writes a small model repository for the serve tests (Debian's python3-onnx):

  ROOT/linear/1/model.onnx   x FP32 [N,4] -> y = x @ W + b  [N,3], z = Relu(x) [N,4]
  ROOT/linear/config.json    dynamic batching (max_batch_size 8, 20 ms delay), 2 instances
  ROOT/twice/1/model.onnx    i INT64 [N,2] -> o = 2 * i; no config (defaults from the model)
  ROOT/twice/2/model.onnx    the same, o = 3 * i
  ROOT/broken/1/model.onnx   not a model: reported UNAVAILABLE, the server keeps going
W and b are written to ROOT/linear_weights.npz for the numpy reference."""
import json
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(model, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))


def linear(root):
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"]),
         helper.make_node("Relu", ["x"], ["z"])],
        "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 4])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), root / "linear/1/model.onnx")
    (root / "linear/config.json").write_text(json.dumps(
        {"max_batch_size": 8, "max_queue_delay_us": 20000, "instance_count": 2, "max_queue_size": 32}))
    np.savez(root / "linear_weights.npz", W=w, b=b)


def twice(root, version, factor):
    k = numpy_helper.from_array(np.array(factor, dtype=np.int64), "k")
    graph = helper.make_graph([helper.make_node("Mul", ["i", "k"], ["o"])], "twice",
                              [helper.make_tensor_value_info("i", TensorProto.INT64, ["N", 2])],
                              [helper.make_tensor_value_info("o", TensorProto.INT64, ["N", 2])], [k])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), root / f"twice/{version}/model.onnx")


def main_at(root):
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    linear(root)
    twice(root, 1, 2)
    twice(root, 2, 3)
    (root / "broken/1").mkdir(parents=True, exist_ok=True)
    (root / "broken/1/model.onnx").write_bytes(b"this is not an onnx model")


if __name__ == "__main__":
    main_at(sys.argv[1])

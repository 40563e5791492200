#!/usr/bin/python3
"""Writes the small ONNX files the unit and error tests load (good ones and broken ones).

Usage: make_test_models.py OUTDIR
Built with onnx.helper so each file is exactly what its name says; nothing is downloaded.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(model, outdir, name, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(outdir, name))


def small_cnn(opset=13):
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "conv.weight")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "conv.bias")
    fc_w = numpy_helper.from_array(rng.standard_normal((10, 4)).astype(np.float32), "fc.weight")
    fc_b = numpy_helper.from_array(rng.standard_normal(10).astype(np.float32), "fc.bias")
    shape = numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "flat_shape")
    nodes = [
        helper.make_node("Conv", ["input", "conv.weight", "conv.bias"], ["c"], name="conv", pads=[1, 1, 1, 1],
                         kernel_shape=[3, 3]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
        helper.make_node("Reshape", ["p", "flat_shape"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "small_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        initializer=[w, b, fc_w, fc_b, shape])
    m = helper.make_model(graph, producer_name="edgeinfer-tests", producer_version="1",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    helper.set_model_props(m, {"author": "tests"})
    return m


def with_subgraph():
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then_branch", [],
                               [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else_branch", [],
                               [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
    nodes = [helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then_g, else_branch=else_g)]
    graph = helper.make_graph(nodes, "with_if",
                              [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
                               helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


def opset21_ops():
    """Operators new or changed in opsets 18-21 in one opset-21 model (a seed for the loader fuzzer too):
    Resize 19 with antialias, CenterCropPad, Col2Im, DFT 20, blocked int4 Quantize/DequantizeLinear 21, Cast 19
    to float8 without saturation, SplitToSequence + ConcatFromSequence, AffineGrid + GridSample 20 and
    GroupNormalization 21."""
    def const(name, values, dtype):
        return numpy_helper.from_array(np.array(values, dtype=dtype), name)

    inits = [
        const("scales", [1, 1, 0.5, 0.5], np.float32),
        const("crop", [4, 4], np.int64), const("crop_axes", [2, 3], np.int64),
        const("image_shape", [3, 3], np.int64), const("block_shape", [2, 2], np.int64),
        const("q_scale", np.full((4, 2), 0.25), np.float32),
        const("theta", [[[1, 0, 0], [0, 1, 0]]], np.float32), const("grid_size", [1, 2, 6, 6], np.int64),
        const("gn_scale", [1, 1], np.float32), const("gn_bias", [0, 0], np.float32),
    ]
    nodes = [
        helper.make_node("Resize", ["x", "", "scales"], ["resized"], name="resize", mode="linear", antialias=1),
        helper.make_node("CenterCropPad", ["x", "crop"], ["cropped"], name="crop", axes=[2, 3]),
        helper.make_node("Col2Im", ["col", "image_shape", "block_shape"], ["image"], name="col2im"),
        helper.make_node("DFT", ["signal"], ["spectrum"], name="dft", onesided=1),
        helper.make_node("QuantizeLinear", ["m", "q_scale"], ["q"], name="quantize", axis=1, block_size=2,
                         output_dtype=22),  # INT4: ONNX 1.12 has no names for int4 and float8
        helper.make_node("DequantizeLinear", ["q", "q_scale"], ["dequantized"], name="dequantize", axis=1,
                         block_size=2),
        helper.make_node("Cast", ["m"], ["m8"], name="to_float8", to=17, saturate=0),  # FLOAT8E4M3FN
        helper.make_node("Cast", ["m8"], ["float8_back"], name="from_float8", to=TensorProto.FLOAT),
        helper.make_node("SplitToSequence", ["m"], ["rows"], name="split", axis=0),
        helper.make_node("ConcatFromSequence", ["rows"], ["joined"], name="join", axis=0),
        helper.make_node("AffineGrid", ["theta", "grid_size"], ["grid"], name="affine_grid"),
        helper.make_node("GridSample", ["x", "grid"], ["sampled"], name="grid_sample", mode="linear"),
        helper.make_node("GroupNormalization", ["x", "gn_scale", "gn_bias"], ["normalized"], name="group_norm",
                         num_groups=1),
    ]
    f = TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, "opset21_ops",
        [helper.make_tensor_value_info("x", f, [1, 2, 6, 6]), helper.make_tensor_value_info("col", f, [1, 8, 4]),
         helper.make_tensor_value_info("signal", f, [1, 8, 1]), helper.make_tensor_value_info("m", f, [4, 4])],
        [helper.make_tensor_value_info(n, f, shape) for n, shape in
         [("resized", [1, 2, 3, 3]), ("cropped", [1, 2, 4, 4]), ("image", [1, 2, 3, 3]), ("spectrum", [1, 5, 2]),
          ("dequantized", [4, 4]), ("float8_back", [4, 4]), ("joined", [4, 4]), ("sampled", [1, 2, 6, 6]),
          ("normalized", [1, 2, 6, 6])]],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    m.ir_version = 10
    return m


def external(outdir, name, data_name, truncate_to=None):
    m = small_cnn()
    from onnx.external_data_helper import convert_model_to_external_data
    convert_model_to_external_data(m, all_tensors_to_one_file=True, location=data_name, size_threshold=0)
    onnx.save(m, os.path.join(outdir, name))
    if truncate_to is not None:
        path = os.path.join(outdir, data_name)
        with open(path, "r+b") as f:
            f.truncate(truncate_to)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    save(small_cnn(), outdir, "small_cnn.onnx")
    save(with_subgraph(), outdir, "with_if.onnx")
    save(opset21_ops(), outdir, "opset21_ops.onnx", check=False)  # ONNX 1.12's checker stops at opset 17
    external(outdir, "external.onnx", "external.onnx.data")
    external(outdir, "external_short.onnx", "external_short.onnx.data", truncate_to=100)
    external(outdir, "external_missing.onnx", "external_missing.onnx.data")
    os.remove(os.path.join(outdir, "external_missing.onnx.data"))

    good = small_cnn().SerializeToString()
    with open(os.path.join(outdir, "truncated.onnx"), "wb") as f:
        f.write(good[: len(good) // 2])
    with open(os.path.join(outdir, "empty.onnx"), "wb"):
        pass
    rng = np.random.default_rng(42)
    with open(os.path.join(outdir, "random_bytes.onnx"), "wb") as f:
        f.write(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    # A valid protobuf of another kind: a TensorProto.
    with open(os.path.join(outdir, "tensor_not_model.onnx"), "wb") as f:
        f.write(numpy_helper.from_array(np.arange(16, dtype=np.float32), "t").SerializeToString())

    # Decodes as a ModelProto but is not a model: no graph.
    with open(os.path.join(outdir, "no_graph.onnx"), "wb") as f:
        f.write(onnx.ModelProto(ir_version=8, producer_name="not-a-model").SerializeToString())

    m = small_cnn()
    m.graph.node[1].input[0] = "does_not_exist"
    save(m, outdir, "dangling_input.onnx", check=False)

    # Three nodes edgeinfer cannot run, in two ops: all must be reported at once.
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="ok"),
             helper.make_node("FancyOp", ["a"], ["b"], name="fancy1"),
             helper.make_node("FancyOp", ["b"], ["c"], name="fancy2"),
             helper.make_node("OtherOp", ["c"], ["y"], name="other", domain="com.example")]
    graph = helper.make_graph(nodes, "unsupported", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)])
    m.ir_version = 8
    save(m, outdir, "unsupported_ops.onnx", check=False)

    # Reshape whose target shape is a runtime input: impossible shapes are caught at run time.
    nodes = [helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
             helper.make_node("Relu", ["r"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "reshape_input",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 6]),
                               helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["a", "b"])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    save(m, outdir, "reshape_input.onnx")

    # NonMaxSuppression with torchvision's "no limit" (INT64_MAX boxes per class).
    limit = numpy_helper.from_array(np.array([np.iinfo(np.int64).max], dtype=np.int64), "max_boxes")
    iou = numpy_helper.from_array(np.array([0.5], dtype=np.float32), "iou")
    nodes = [helper.make_node("NonMaxSuppression", ["boxes", "scores", "max_boxes", "iou"], ["selected"], name="nms")]
    graph = helper.make_graph(nodes, "nms_no_limit",
                              [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, "n", 4]),
                               helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 1, "n"])],
                              [helper.make_tensor_value_info("selected", TensorProto.INT64, ["k", 3])],
                              initializer=[limit, iou])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    save(m, outdir, "nms_no_limit.onnx")

    m = small_cnn()
    m.opset_import[0].version = 99
    save(m, outdir, "opset_too_new.onnx", check=False)

    m = small_cnn()
    m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:10]
    save(m, outdir, "bad_initializer.onnx", check=False)


if __name__ == "__main__":
    main()

"""bench/node_compare.py's matching of runtime node names to ONNX nodes and its groups, on a small graph made
with onnx.helper (no runtime runs): ORT's renamed fused nodes (X_output_0_nchwc, N/QuickGeluFusion/), inserted
layout nodes of both runtimes, the activations folded into a convolution (SiLU included) and the smallest time
over rounds."""
import os
import sys

import onnx
from onnx import TensorProto, helper

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SOURCE, "bench"))
import node_compare  # noqa: E402


def make_model(path):
    """x -> conv1 -> relu1 -> pool -> conv2 -> (sig2, silu2: SiLU) -> concat(silu2, pool) -> conv3 ->
    (relu3, add3: two consumers, not SiLU: conv3 stays alone)."""
    w = [helper.make_tensor(f"w{i}", TensorProto.FLOAT, [4, c, 1, 1], [0.1] * (4 * c)) for i, c in
         ((1, 3), (2, 4), (3, 8))]
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p"], name="pool", kernel_shape=[1, 1]),
        helper.make_node("Conv", ["p", "w2"], ["c2"], name="conv2"),
        helper.make_node("Sigmoid", ["c2"], ["s2"], name="sig2"),
        helper.make_node("Mul", ["c2", "s2"], ["m2"], name="silu2"),
        helper.make_node("Concat", ["m2", "p"], ["cat"], name="concat", axis=1),
        helper.make_node("Conv", ["cat", "w3"], ["c3"], name="conv3"),
        helper.make_node("Relu", ["c3"], ["r3"], name="relu3"),
        helper.make_node("Add", ["c3", "r3"], ["y"], name="add3"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 4])], w)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)
    return node_compare.Model(path)


def test_groups_fold_activations_and_silu_into_the_convolution(tmp_path):
    m = make_model(str(tmp_path / "m.onnx"))
    assert m.inputs == ["x"]
    assert {n: g for n, g in m.group.items() if g != n} == {"relu1": "conv1", "sig2": "conv2", "silu2": "conv2"}
    # conv3's output has two consumers that are not a SiLU: relu3 and add3 are groups of their own.
    assert m.group["relu3"] == "relu3" and m.group["add3"] == "add3" and m.group["pool"] == "pool"


def test_renamed_nodes_resolve_to_the_onnx_node_and_inserted_ones_to_none(tmp_path):
    m = make_model(str(tmp_path / "m.onnx"))
    assert m.resolve("r1_nchwc").name == "relu1"  # ORT: a fused Conv+Relu named after its output
    assert m.resolve("silu2/QuickGeluFusion/").name == "silu2"
    assert m.resolve("conv2").name == "conv2"
    assert m.resolve("ReorderInput_token_3") is None


def test_attribute_sums_into_groups_and_sets_inserted_nodes_apart(tmp_path):
    m = make_model(str(tmp_path / "m.onnx"))
    ei = [("x_nhwc", "Transpose", 0.25), ("conv1", "FusedConv", 1.0), ("pool", "MaxPool", 0.5),
          ("conv2", "FusedConv", 2.0), ("concat", "Concat", 0.125), ("r1_nhwc_to_nchw", "Transpose", 0.0625)]
    times, ops, inserted = node_compare.attribute(m, ei)
    assert dict(times) == {"conv1": 1.0, "pool": 0.5, "conv2": 2.0, "concat": 0.125}
    assert ops["conv2"] == ["FusedConv"]
    # x_nhwc names a graph input, r1_nhwc_to_nchw a Relu's output: both are layout conversions, no ONNX node's.
    assert inserted == [("x_nhwc", "Transpose", 0.25), ("r1_nhwc_to_nchw", "Transpose", 0.0625)]
    ort = [("ReorderInput", "ReorderInput", 0.5), ("r1_nchwc", "Conv", 0.75), ("c2_nchwc", "Conv", 1.0),
           ("silu2/QuickGeluFusion/", "QuickGelu", 0.5)]
    times, ops, inserted = node_compare.attribute(m, ort)
    assert dict(times) == {"conv1": 0.75, "conv2": 1.5}
    assert ops["conv2"] == ["Conv", "QuickGelu"]
    assert inserted == [("ReorderInput", "ReorderInput", 0.5)]


def test_smallest_takes_each_nodes_minimum_over_the_rounds():
    rounds = [[("a", "Conv", 2.0), ("b", "Relu", 1.0)], [("b", "Relu", 0.5), ("a", "Conv", 3.0)]]
    assert node_compare.smallest(rounds) == [("a", "Conv", 2.0), ("b", "Relu", 0.5)]

"""edgeinfer.inspect/optimize/compare/quantize: reports with attribute access and to_dict(), the same
answers as the library behind the CLI, and errors with the messages the CLI prints."""
import json
import os
import subprocess

import numpy as np
import pytest

import edgeinfer

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAPES = os.path.join(SOURCE, "models", "shapes.onnx")
SAMPLES = os.path.join(SOURCE, "models", "samples")


def test_inspect_reports_the_model():
    r = edgeinfer.inspect(SHAPES, check=True)
    assert r.inputs[0].name == "input" and r.inputs[0].shape == ["batch", 3, 32, 32]
    assert r.outputs[0].name == "logits"
    assert r.node_count == sum(o.count for o in r.ops) and r.macs == sum(o.macs for o in r.ops)
    assert all(o.supported for o in r.ops) and r.unsupported_ops == []
    d = r.to_dict()
    assert d["inputs"][0]["shape"] == ["batch", 3, 32, 32] and json.dumps(d)
    with pytest.raises(AttributeError, match="no field 'nodes'"):
        r.nodes


def test_optimize_then_compare(tmp_path):
    out = tmp_path / "opt.onnx"
    r = edgeinfer.optimize(SHAPES, out)
    assert r.ok and r.onnx_checker == "ok" and out.exists()
    assert r.passes and all(p.verified or not p.changed for p in r.passes)
    assert r.nodes_after <= r.nodes_before
    c = edgeinfer.compare(SHAPES, out)
    assert c.match and c.first_mismatch is None and c.outputs[0].ok
    # The optimized model gives the session's answers.
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    (a,) = edgeinfer.InferenceSession(SHAPES, threads=1).run(None, {"input": x})
    (b,) = edgeinfer.InferenceSession(str(out), threads=1).run(None, {"input": x})
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_quantize_and_find_the_first_int8_difference(tmp_path):
    q = tmp_path / "q.onnx"
    r = edgeinfer.quantize(SHAPES, q, calibration=[SAMPLES], samples=6)
    assert r.quantized_nodes > 0 and r.samples == 6 and r.onnx_checker == "ok"
    assert "shapes.json" in r.preprocess
    c = edgeinfer.compare(SHAPES, q, atol=1e-7, rtol=1e-7)
    assert not c.match
    assert c.first_mismatch.op_type and c.first_mismatch.max_abs_diff > c.first_mismatch.limit
    assert c.to_dict()["first_mismatch"]["node"] == c.first_mismatch.node


@pytest.mark.parametrize("call, cli", [
    (lambda tmp: edgeinfer.inspect(tmp / "missing.onnx"), lambda tmp: ["inspect", str(tmp / "missing.onnx")]),
    (lambda tmp: edgeinfer.optimize(SHAPES, tmp / "no" / "dir" / "o.onnx"),
     lambda tmp: ["optimize", SHAPES, str(tmp / "no" / "dir" / "o.onnx")]),
    (lambda tmp: edgeinfer.compare(SHAPES, tmp / "missing.onnx"),
     lambda tmp: ["compare", SHAPES, str(tmp / "missing.onnx")]),
])
def test_errors_carry_the_cli_message(tmp_path, edgeinfer_binary, call, cli):
    with pytest.raises(edgeinfer.Error) as e:
        call(tmp_path)
    p = subprocess.run([edgeinfer_binary, *cli(tmp_path)], capture_output=True, text=True, timeout=120)
    assert p.returncode != 0
    assert f"{e.value.code}: {e.value}" in p.stderr, (str(e.value), p.stderr)
    assert type(e.value).__name__ == e.value.code


def test_bad_options_are_invalid_arguments(tmp_path):
    with pytest.raises(edgeinfer.InvalidArgument, match="calibration method 'avg'"):
        edgeinfer.quantize(SHAPES, tmp_path / "q.onnx", calibration=[SAMPLES], method="avg")
    with pytest.raises(edgeinfer.InvalidArgument, match="verify must be one of each, end, none"):
        edgeinfer.optimize(SHAPES, tmp_path / "o.onnx", verify="sometimes")
    with pytest.raises(edgeinfer.InvalidArgument):
        edgeinfer.optimize(SHAPES, tmp_path / "o.onnx", level="max")

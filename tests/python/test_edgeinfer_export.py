"""edgeinfer-export (tools/edgeinfer_export.py) and `edgeinfer export`: one clear error per bad input,
and a real export of a small model checked in edgeinfer. Run by CTest with EDGEINFER_BINARY set."""
import json
import os
import subprocess
import sys

import pytest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(SOURCE, "tools", "edgeinfer_export.py")
PYTHON = "/usr/bin/python3"
EDGEINFER = os.environ.get("EDGEINFER_BINARY")


def export(*args, cwd=None):
    return subprocess.run([PYTHON, TOOL, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def one_error(p):
    """The tool failed with exit 2 and one `edgeinfer-export: ...` line, no traceback. Returns it."""
    assert p.returncode == 2, p.stdout + p.stderr
    assert "Traceback" not in p.stderr, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("edgeinfer-export:")]
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_unknown_architecture(tmp_path):
    msg = one_error(export("resnet_does_not_exist", str(tmp_path)))
    assert "unknown architecture 'resnet_does_not_exist'" in msg


def test_unknown_user_factory(tmp_path):
    msg = one_error(export("no_such_module_xyz:build", str(tmp_path)))
    assert "cannot import module 'no_such_module_xyz'" in msg


@pytest.mark.parametrize("res", ["224", "224x", "axb", "0x224", "224x224x3", "-3x4"])
def test_bad_resolution(tmp_path, res):
    msg = one_error(export(f"--resolution={res}", "squeezenet1_1", str(tmp_path)))
    assert f"--resolution '{res}' is not WxH" in msg


def test_bad_dynamic_axis(tmp_path):
    msg = one_error(export("--dynamic", "batch,depth", "squeezenet1_1", str(tmp_path)))
    assert "unknown axis 'depth'" in msg


def test_outdir_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    msg = one_error(export("squeezenet1_1", str(f)))
    assert f"cannot write to output directory '{f}'" in msg


def test_outdir_under_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    msg = one_error(export("squeezenet1_1", str(f / "sub")))
    assert f"cannot write to output directory '{f / 'sub'}'" in msg and "Not a directory" in msg


def test_weights_of_another_architecture(tmp_path):
    import torch
    w = tmp_path / "w.pt"
    torch.save({"conv1.weight": torch.zeros(64, 3, 7, 7), "fc.weight": torch.zeros(1000, 512)}, w)
    msg = one_error(export("--weights", str(w), "squeezenet1_1", str(tmp_path)))
    assert f"weights file '{w}' does not match architecture 'squeezenet1_1'" in msg
    assert "missing" in msg and "unexpected (e.g. conv1.weight)" in msg


def test_weights_with_a_wrong_shape(tmp_path):
    import torchvision
    import torch
    sd = torchvision.models.squeezenet1_1(weights=None).state_dict()
    sd["features.0.weight"] = torch.zeros(32, 3, 3, 3)
    w = tmp_path / "w.pt"
    torch.save(sd, w)
    msg = one_error(export("--weights", str(w), "squeezenet1_1", str(tmp_path)))
    assert "features.0.weight: file [32, 3, 3, 3], model [64, 3, 3, 3]" in msg


def test_weights_file_not_a_state_dict(tmp_path):
    w = tmp_path / "w.pt"
    w.write_text("not a pickle")
    msg = one_error(export("--weights", str(w), "squeezenet1_1", str(tmp_path)))
    assert "is not a PyTorch state_dict" in msg


@pytest.mark.skipif(not EDGEINFER, reason="needs EDGEINFER_BINARY (set by CTest)")
def test_export_through_edgeinfer_cli(tmp_path):
    """`edgeinfer export` finds the tool, exports, writes the sidecar and checks the model in edgeinfer."""
    p = subprocess.run([EDGEINFER, "export", "--resolution", "96x64", "--dynamic", "batch", "squeezenet1_1",
                        str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    assert "seeded random weights" in out
    assert "batch size: 1 (dynamic)" in out and "image size: 96x64 (WxH)" in out
    assert "channels: 3" in out and "classes: 1000" in out
    assert "check: edgeinfer vs PyTorch max abs diff" in out
    diff = float(out.split("check: edgeinfer vs PyTorch max abs diff")[1].split()[0])
    assert diff < 1e-3
    side = json.loads((tmp_path / "squeezenet1_1.json").read_text())
    assert side["input"] == "input" and side["layout"] == "NCHW" and side["color_order"] == "RGB"
    assert side["task"] == "classification" and len(side["labels"]) == 1000 and side["labels"][0] == "tench"
    assert side["mean"] == [0.485, 0.456, 0.406] and side["input_shape"] == [1, 3, 64, 96]
    assert (tmp_path / "squeezenet1_1.onnx").stat().st_size > 1000


@pytest.mark.skipif(not EDGEINFER, reason="needs EDGEINFER_BINARY (set by CTest)")
def test_user_model_and_finetuned_weights(tmp_path):
    """module.path:factory models, and a state_dict for 10 classes rebuilding the classifier."""
    import torch
    sys.path.insert(0, os.path.join(SOURCE, "tests", "parity"))
    from crnn import crnn
    w = tmp_path / "crnn10.pt"
    torch.save(crnn(num_classes=10).state_dict(), w)
    p = export("--weights", str(w), "crnn:crnn", str(tmp_path / "out"), cwd=os.path.join(SOURCE, "tests", "parity"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "model: crnn:crnn (text)" in p.stdout and "classes: 10" in p.stdout and "channels: 1" in p.stdout
    assert "image size: 128x32 (WxH)" in p.stdout and "max abs diff" in p.stdout
    side = json.loads((tmp_path / "out" / "crnn.json").read_text())
    assert side["task"] == "text" and side["color_order"] == "GRAY" and side["mean"] == [0.5]

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
    assert "check: PASS (edgeinfer vs PyTorch max abs diff" in out
    diff = float(out.split("check: PASS (edgeinfer vs PyTorch max abs diff")[1].split()[0].rstrip(","))
    assert diff < 1e-3
    side = json.loads((tmp_path / "squeezenet1_1.json").read_text())
    assert side["input"] == "input" and side["layout"] == "NCHW" and side["color_order"] == "RGB"
    assert side["task"] == "classification" and len(side["labels"]) == 1000 and side["labels"][0] == "tench"
    assert side["mean"] == [0.485, 0.456, 0.406] and side["input_shape"] == [1, 3, 64, 96]
    assert side["sources"]["mean"].startswith("torchvision weights") and side["weights"] == "random"
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
    assert "image size: 128x32 (WxH)" in p.stdout and "check: PASS" in p.stdout
    side = json.loads((tmp_path / "out" / "CRNN.json").read_text())  # named after the module's class
    assert side["task"] == "text" and side["color_order"] == "GRAY" and side["mean"] == [0.5]


USER_MODEL = """
import torch


class TinyNet(torch.nn.Module):
    mean = [0.1, 0.2, 0.3]
    std = [0.5, 0.25, 0.125]

    def __init__(self, num_classes=4, lie=False):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.fc = torch.nn.Linear(8, num_classes)
        self.lie = lie
        self.input_shape = (3, 16, 16)

    def forward(self, x):
        y = self.fc(self.conv(x).mean((2, 3)))
        # A model whose traced graph differs from its eager self: the check must catch it.
        return y * 3.0 if (self.lie and torch.jit.is_tracing()) else y


def make(**kwargs):
    return TinyNet(**kwargs)


def make_liar(**kwargs):
    return TinyNet(lie=True, **kwargs)
"""


@pytest.mark.skipif(not EDGEINFER, reason="needs EDGEINFER_BINARY (set by CTest)")
def test_user_mean_std_name_and_weights(tmp_path):
    """A 3-channel user model's declared mean/std are written with their source; the files are named after
    its class (not the factory `make`) or --name; the sidecar says the weights are random."""
    (tmp_path / "usermodel.py").write_text(USER_MODEL)
    p = export("usermodel:make", str(tmp_path / "a"), cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "check: PASS" in p.stdout
    assert not (tmp_path / "a" / "make.onnx").exists()
    side = json.loads((tmp_path / "a" / "TinyNet.json").read_text())
    assert side["onnx"] == "TinyNet.onnx" and (tmp_path / "a" / "TinyNet.onnx").exists()
    assert side["mean"] == [0.1, 0.2, 0.3] and side["std"] == [0.5, 0.25, 0.125]
    assert side["sources"] == {"mean": "module attribute 'mean'", "std": "module attribute 'std'"}
    assert side["weights"] == "random"
    # classify warns that the results of random weights mean nothing.
    from PIL import Image
    Image.new("RGB", (16, 16), (200, 30, 30)).save(tmp_path / "red.png")
    c = subprocess.run([EDGEINFER, "classify", str(tmp_path / "a" / "TinyNet.onnx"), str(tmp_path / "red.png"),
                        "--no-progress"], capture_output=True, text=True, timeout=120)
    assert c.returncode == 0, c.stdout + c.stderr
    assert "random weights" in c.stderr and "meaningless" in c.stderr, c.stderr
    # Flags win over the attributes, each recorded as such; --name names the files.
    p = export("--mean", "0.4,0.5,0.6", "--std", "0.2", "--name", "shapes", "usermodel:make", str(tmp_path / "b"),
               cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    side = json.loads((tmp_path / "b" / "shapes.json").read_text())
    assert side["mean"] == [0.4, 0.5, 0.6] and side["std"] == [0.2, 0.2, 0.2]
    assert side["sources"] == {"mean": "--mean", "std": "--std"}
    # Weights from a file: the sidecar names it.
    import torch
    sys.path.insert(0, str(tmp_path))
    import usermodel
    w = tmp_path / "w.pt"
    torch.save(usermodel.make().state_dict(), w)
    p = export("--weights", str(w), "usermodel:make", str(tmp_path / "c"), cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads((tmp_path / "c" / "TinyNet.json").read_text())["weights"] == str(w)


def test_bad_mean_is_one_error(tmp_path):
    (tmp_path / "usermodel.py").write_text(USER_MODEL)
    msg = one_error(export("--mean", "0.1,x", "usermodel:make", str(tmp_path), cwd=str(tmp_path)))
    assert "--mean '0.1,x' is not a comma list of numbers" in msg
    msg = one_error(export("--std", "0.1,0.2", "usermodel:make", str(tmp_path), cwd=str(tmp_path)))
    assert "--std std has 2 values, the model takes 3 channels" in msg


@pytest.mark.skipif(not EDGEINFER, reason="needs EDGEINFER_BINARY (set by CTest)")
def test_check_fails_with_the_worst_output_and_exit_4(tmp_path):
    """An export that edgeinfer runs but that differs from PyTorch ends with FAIL, not a diff and exit 0."""
    (tmp_path / "usermodel.py").write_text(USER_MODEL)
    p = export("usermodel:make_liar", str(tmp_path / "out"), cwd=str(tmp_path))
    assert p.returncode == 4, p.stdout + p.stderr
    assert "check: FAIL: output 'output' differs from PyTorch by" in p.stdout, p.stdout
    assert "check: PASS" not in p.stdout
    assert "does not match PyTorch" in p.stderr

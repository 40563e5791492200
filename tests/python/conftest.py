"""Fixtures for the Python package tests (test_session.py, test_vision.py, test_pipeline.py, ...).

CTest runs them with PYTHONPATH=BUILD/python (the package as the build assembles it), EDGEINFER_BINARY
(the CLI) and EDGEINFER_PY_MODELS (a folder where exported models are cached across runs)."""
import os
import subprocess

import pytest

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = "/usr/bin/python3"
# Small inputs keep export and runs quick on two cores; the exports have a dynamic batch axis.
EXPORTS = ("squeezenet1_1:96x96", "mobilenet_v2:96x96")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """squeezenet1_1 and mobilenet_v2 with seeded weights, exported once, with PyTorch's outputs on seeded
    inputs at batch 1 and 4 (MODEL.input.npy / MODEL.output.npy, MODEL.b4.*)."""
    out = os.environ.get("EDGEINFER_PY_MODELS") or str(tmp_path_factory.mktemp("models"))
    os.makedirs(out, exist_ok=True)
    p = subprocess.run([PYTHON, os.path.join(SOURCE, "tests", "tools", "export_torchvision.py"), out, *EXPORTS,
                        "--reference"], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout + p.stderr
    return out


@pytest.fixture(scope="session")
def edgeinfer_binary():
    path = os.environ.get("EDGEINFER_BINARY")
    if not path or not os.path.exists(path):
        pytest.skip("EDGEINFER_BINARY not set (run through CTest)")
    return path

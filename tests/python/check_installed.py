"""Checks the installed Python package: check_installed.py SITE_DIR MODEL VERSION (run with PYTHONPATH=SITE_DIR)."""
import os
import subprocess
import sys

site, model, version = sys.argv[1:4]
import edgeinfer  # noqa: E402

assert os.path.realpath(edgeinfer.__file__).startswith(os.path.realpath(site)), edgeinfer.__file__
assert edgeinfer.__version__ == version, edgeinfer.__version__
sess = edgeinfer.InferenceSession(model, threads=1)
import numpy as np  # noqa: E402

(out,) = sess.run(None, {sess.get_inputs()[0].name: np.zeros((1, 3, 32, 32), np.float32)})
assert out.shape[0] == 1, out.shape
p = subprocess.run([sys.executable, "-m", "edgeinfer", "--version"], capture_output=True, text=True)
assert p.returncode == 0 and p.stdout.strip() == f"edgeinfer {version}", p.stdout + p.stderr
print(f"installed edgeinfer {version} at {os.path.dirname(edgeinfer.__file__)}: ok")

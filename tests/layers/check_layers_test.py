#!/usr/bin/env python3
"""check_layers.py finds an include that runs up a layer and accepts the allowed ones (on a scratch tree)."""
import pathlib
import subprocess
import sys
import tempfile

CHECK = pathlib.Path(__file__).with_name("check_layers.py")


def run(files):
    with tempfile.TemporaryDirectory() as d:
        for name, text in files.items():
            p = pathlib.Path(d, "src", name)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        r = subprocess.run([sys.executable, str(CHECK), d], capture_output=True, text=True)
        return r.returncode, r.stdout


def main():
    code, out = run({"vision/a.cpp": '#include "io/frame.hpp"\n#include "edgeinfer/session.hpp"\n',
                     "io/frame.hpp": '#include "base/status.hpp"\n#include "edgeinfer/frame.hpp"\n'})
    assert code == 0, out
    code, out = run({"io/b.hpp": '#include "vision/frame.hpp"\n'})
    assert code == 1 and "io includes vision/frame.hpp" in out, out
    code, out = run({"kernels/k.hpp": '#include "edgeinfer/session.hpp"\n'})
    assert code == 1 and "public edgeinfer/session.hpp" in out, out
    code, out = run({"pipeline/p.cpp": '  #  include "cli/commands.hpp"\n'})
    assert code == 1 and "'cli' is not below 'pipeline'" in out, out
    code, out = run({"newlayer/x.cpp": "\n"})
    assert code == 1 and "not a known layer" in out, out
    print("check_layers_test: ok")


if __name__ == "__main__":
    main()

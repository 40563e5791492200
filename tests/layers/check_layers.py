#!/usr/bin/env python3
"""Checks that no #include in src/ runs up a layer (docs/architecture.md, "Layers").

Each folder under src/ may include only the project folders and public headers listed for it below.
Prints every violation as FILE:LINE: LAYER includes HEADER and exits 1 when there is one."""
import pathlib
import re
import sys

RUNTIME = {"base", "ir", "model", "passes", "kernels", "runtime"}
ALLOWED = {
    "base": {"base"},
    "ir": {"base", "ir"},
    "model": {"base", "ir", "model"},
    "passes": {"base", "ir", "model", "passes"},
    "kernels": {"base", "ir", "kernels"},
    "runtime": RUNTIME,
    "quant": RUNTIME | {"quant"},
    "io": {"base", "io"},
    "vision": RUNTIME | {"io", "vision"},
    "tools": RUNTIME | {"quant", "io", "vision", "tools"},
    "pipeline": RUNTIME | {"io", "vision", "pipeline"},
    "serve": RUNTIME | {"quant", "io", "vision", "pipeline", "serve"},
}
EVERYTHING = set(ALLOWED) | {"capi", "python"}
ALLOWED["capi"] = EVERYTHING - {"python"}
ALLOWED["python"] = EVERYTHING - {"capi"}
ALLOWED["cli"] = EVERYTHING | {"cli"}

# The lowest layer that may include each public header.
PUBLIC = {
    "edgeinfer/status.hpp": "base",
    "edgeinfer/tensor.hpp": "base",
    "edgeinfer/precision.hpp": "base",
    "edgeinfer/session.hpp": "runtime",
    "edgeinfer/frame.hpp": "io",
    "edgeinfer/source.hpp": "io",
    "edgeinfer/vision.hpp": "vision",
    "edgeinfer/ocr.hpp": "vision",
    "edgeinfer/tools.hpp": "tools",
    "edgeinfer/pipeline.hpp": "pipeline",
    "edgeinfer/serve.hpp": "serve",
    "edgeinfer_element.h": "pipeline",
    "edgeinfer.h": "capi",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def violations(src: pathlib.Path):
    for path in sorted(src.rglob("*")):
        if path.suffix not in {".hpp", ".cpp", ".h", ".c"}:
            continue
        layer = path.relative_to(src).parts[0]
        if layer not in ALLOWED:
            yield f"{path}: folder '{layer}' is not a known layer (add it to tests/layers/check_layers.py)"
            continue
        allowed = ALLOWED[layer]
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            header = m.group(1)
            if header in PUBLIC:
                if PUBLIC[header] not in allowed:
                    yield f"{path}:{number}: {layer} includes public {header} (allowed from {PUBLIC[header]} up)"
                continue
            target = header.split("/")[0]
            if "/" not in header:
                continue  # a header next to the file (or a generated one)
            if target not in ALLOWED and target not in {"cli"}:
                yield f"{path}:{number}: {layer} includes '{header}', which is in no layer"
            elif target not in allowed:
                yield f"{path}:{number}: {layer} includes {header}: '{target}' is not below '{layer}'"


def main() -> int:
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]
    found = list(violations(root / "src"))
    for v in found:
        print(v)
    print(f"check_layers: {len(found)} include(s) running up a layer" if found else "check_layers: ok")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""Export the Lambda layer's requirements from pyproject.toml (the one dependency source).

The layer (``SharedLayer`` in template.yaml, built by ``sam build`` from ``shared/``) needs the core
dependencies plus the ``aws`` extra; the ``local`` extra (rapidocr, onnxruntime, uvicorn) stays out.

    python tools/export_layer_requirements.py          # write shared/requirements.txt
    python tools/export_layer_requirements.py --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
REQUIREMENTS = ROOT / "shared" / "requirements.txt"
LAYER_EXTRAS = ("aws",)
HEADER = (
    "# Lambda layer requirements, exported from pyproject.toml "
    f"(dependencies + extras: {', '.join(LAYER_EXTRAS)}).\n"
    "# Do not edit: run `python tools/export_layer_requirements.py`.\n"
)


def layer_requirements(pyproject: Path = PYPROJECT) -> str:
    """The requirements.txt text the layer needs, derived from ``pyproject``."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements: list[str] = list(project["dependencies"])
    for extra in LAYER_EXTRAS:
        requirements += [
            r for r in project["optional-dependencies"][extra] if not r.startswith("receiptflow")
        ]
    unique = sorted(dict.fromkeys(requirements), key=str.lower)
    return HEADER + "".join(f"{requirement}\n" for requirement in unique)


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) shared/requirements.txt."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the file is out of date")
    args = parser.parse_args(argv)
    wanted = layer_requirements()
    current = REQUIREMENTS.read_text(encoding="utf-8") if REQUIREMENTS.exists() else ""
    if args.check:
        if current != wanted:
            print(f"{REQUIREMENTS} is out of date: run python tools/export_layer_requirements.py")
            return 1
        print(f"{REQUIREMENTS} is up to date")
        return 0
    REQUIREMENTS.write_text(wanted, encoding="utf-8")
    print(f"wrote {REQUIREMENTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""P5: import time of each Lambda handler module against ``import boto3``, each in fresh interpreters.

Each measurement is one new ``python`` process that times only the import (interpreter start-up is not
counted) and lists which heavy modules the import pulled in. The median of ``runs`` processes is kept.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = {"scan": "scan_image.app", "api": "api.app"}
HEAVY = (
    "openai",
    "onnxruntime",
    "rapidocr",
    "numpy",
    "cv2",
    "sklearn",
    "pypdfium2",
    "pillow_heif",
    "PIL.Image",
)

_PROBE = """
import json, sys, time
sys.path[:0] = [{functions!r}, {shared!r}]
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@dataclass(frozen=True)
class ImportTiming:
    """Median import seconds of one module and the heavy modules it loaded."""

    module: str
    seconds: float
    heavy: list[str]


def _probe(module: str) -> dict[str, object]:
    code = _PROBE.format(
        functions=str(ROOT / "functions"), shared=str(ROOT / "shared"), module=module, heavy=HEAVY
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECEIPTFLOW_", "AWS_"))}
    env.update(
        {"AWS_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true", "PYTHONDONTWRITEBYTECODE": "1"}
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"importing {module} failed: {out.stderr.strip()[-500:]}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def import_timings(runs: int = 5) -> dict[str, ImportTiming]:
    """``boto3`` and each handler module, ``runs`` fresh processes each (interleaved), medians."""
    modules = {"boto3": "boto3", **HANDLERS}
    seconds: dict[str, list[float]] = {name: [] for name in modules}
    heavy: dict[str, set[str]] = {name: set() for name in modules}
    for _ in range(runs):
        for name, module in modules.items():
            probe = _probe(module)
            seconds[name].append(float(probe["seconds"]))  # type: ignore[arg-type]
            heavy[name].update(probe["heavy"])  # type: ignore[arg-type]
    return {
        name: ImportTiming(module, statistics.median(seconds[name]), sorted(heavy[name]))
        for name, module in modules.items()
    }

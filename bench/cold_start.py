"""P5: import time of each Lambda handler module against ``import boto3``, each in fresh interpreters, and
the handler's ``warm()``: what SnapStart runs before the snapshot (so a restored environment does not), and
what the first invocation pays where SnapStart is off.

Each measurement is one new ``python`` process that times only the import (interpreter start-up is not
counted), then ``warm()`` with the template's environment (fake names and credentials: nothing is
called), and lists which heavy modules were loaded. The median of ``runs`` processes is kept.
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
import {module} as module
seconds = time.perf_counter() - start
heavy = [m for m in {heavy!r} if m in sys.modules]
warm = getattr(module, "warm", None)
start = time.perf_counter()
if warm is not None:
    warm()
warm_seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "heavy": heavy, "warm_seconds": warm_seconds}}))
"""
_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "PYTHONDONTWRITEBYTECODE": "1",
    "RECEIPTFLOW_PROVIDER": "auto",
    "RECEIPTFLOW_TABLE_NAME": "ReceiptflowTable-bench",
    "RECEIPTFLOW_CONNECTIONS_TABLE_NAME": "ConnectionsTable-bench",
    "RECEIPTFLOW_BUCKET_NAME": "receipts-bench",
    "RECEIPTFLOW_WEBSOCKET_ENDPOINT": "https://abc123.execute-api.us-east-1.amazonaws.com/v1",
    "RECEIPTFLOW_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:receiptflow-batch",
}


@dataclass(frozen=True)
class ImportTiming:
    """Median import seconds of one module, the heavy modules it loaded, and the median seconds of its
    ``warm()`` (0 for a module without one)."""

    module: str
    seconds: float
    heavy: list[str]
    warm_seconds: float = 0.0


def _probe(module: str) -> dict[str, object]:
    code = _PROBE.format(
        functions=str(ROOT / "functions"), shared=str(ROOT / "shared"), module=module, heavy=HEAVY
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECEIPTFLOW_", "AWS_"))}
    env.update(_ENVIRONMENT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"importing {module} failed: {out.stderr.strip()[-500:]}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def import_timings(runs: int = 5) -> dict[str, ImportTiming]:
    """``boto3`` and each handler module, ``runs`` fresh processes each (interleaved), medians."""
    modules = {"boto3": "boto3", **HANDLERS}
    seconds: dict[str, list[float]] = {name: [] for name in modules}
    warm: dict[str, list[float]] = {name: [] for name in modules}
    heavy: dict[str, set[str]] = {name: set() for name in modules}
    for _ in range(runs):
        for name, module in modules.items():
            probe = _probe(module)
            seconds[name].append(float(probe["seconds"]))  # type: ignore[arg-type]
            warm[name].append(float(probe["warm_seconds"]))  # type: ignore[arg-type]
            heavy[name].update(probe["heavy"])  # type: ignore[arg-type]
    return {
        name: ImportTiming(
            module, statistics.median(seconds[name]), sorted(heavy[name]), statistics.median(warm[name])
        )
        for name, module in modules.items()
    }

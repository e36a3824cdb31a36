"""Running ``receiptflow scan`` as a user does (a subprocess) and reading what it wrote."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.support.known_receipts import RECEIPTS, render

SCAN_TIMEOUT_S = 300


def scan_cmd(*args: str | Path) -> list[str]:
    """The command line of ``receiptflow scan ARGS``."""
    return [sys.executable, "-m", "receiptflow", "scan", *map(str, args)]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without AWS/OpenAI/receiptflow settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENAI_", "RECEIPTFLOW_"))}
    env.update(extra)
    return env


def run_scan(
    *args: str | Path, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a scan to the end; fails the test on a non-zero exit."""
    proc = subprocess.run(
        scan_cmd(*args), env=env, cwd=cwd, capture_output=True, text=True, timeout=SCAN_TIMEOUT_S
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def write_variants(folder: Path, count: int, variant: int) -> list[Path]:
    """``count`` legible receipts whose bytes differ from every other ``variant``'s."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        image = Image.open(io.BytesIO(render(RECEIPTS[i % len(RECEIPTS)], noise=i // len(RECEIPTS))))
        image.putpixel((0, 0), (variant % 256, variant // 256 % 256, 7))  # unique content per variant
        path = folder / f"v{variant}_{i:03d}.png"
        image.save(path, format="PNG")
        paths.append(path)
    return paths

"""Peak RSS of ``receiptflow scan`` on hostile PDFs beside a receipt: per worker and for the whole tree.

Generates a folder (a self-drawing form PDF, a nested-forms PDF drawing 10**7 objects, a slow tiling
pattern, one receipt), scans it with the local engine and the settings given as ``NAME=VALUE``
(``RECEIPTFLOW_`` environment variables), samples every process of the tree every 20 ms and prints the
peaks with each file's row. docs/performance.md ("Hostile inputs") quotes its output.

    .venv/bin/python -m tools.hostile_rss          # the defaults
    .venv/bin/python -m tools.hostile_rss RECEIPTFLOW_WORKER_MEMORY_LIMIT_MB=0 \
        RECEIPTFLOW_ITEM_TIMEOUT_SECONDS=20       # no memory cap (the time limit alone stops them)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.memory import MB, PeakTreeRss
from tests.support.hostile import fan_out_pdf, self_drawing_pdf, tiling_pdf
from tests.support.known_receipts import write_receipts
from tests.support.scanning import clean_env, scan_cmd


def main() -> None:
    """Scan the generated folder and print the peaks and the rows."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("settings", nargs="*", help="RECEIPTFLOW_NAME=VALUE settings for the scan")
    args = parser.parse_args()
    env = clean_env(RECEIPTFLOW_PROVIDER="local", **dict(s.split("=", 1) for s in args.settings))
    with tempfile.TemporaryDirectory(prefix="hostile-rss-") as tmp:
        folder = Path(tmp) / "in"
        write_receipts(folder, 1)
        (folder / "form_draws_itself.pdf").write_bytes(self_drawing_pdf(3))
        (folder / "forms_fan_out_1e7.pdf").write_bytes(fan_out_pdf(8, 10))
        (folder / "tiling_step_0.001.pdf").write_bytes(tiling_pdf("0.001"))
        out = Path(tmp) / "out.jsonl"
        started = time.monotonic()
        proc = subprocess.Popen(
            scan_cmd(folder, "--data-dir", Path(tmp) / "data", "--out", out, "--quiet"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        with PeakTreeRss(proc.pid) as rss:
            _, stderr = proc.communicate()
        if proc.returncode != 0:
            sys.exit(stderr)
        print(f"settings: {' '.join(args.settings) or '(defaults)'}")  # noqa: T201
        print(  # noqa: T201
            f"peak worker {rss.peak_single_bytes / MB:,.0f} MiB, peak tree {rss.peak_mb:,.0f} MiB, "
            f"{time.monotonic() - started:.0f} s"
        )
        for line in out.read_text().splitlines():
            row = json.loads(line)
            error = row.get("error") or {}
            print(f"  {Path(row['source']).name}: {error.get('code', 'ok')} {error.get('message', '')}")  # noqa: T201


if __name__ == "__main__":
    main()

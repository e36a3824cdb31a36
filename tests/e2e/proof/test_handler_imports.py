"""Functional: the Lambda handler modules stay light at import (P5): no OCR engine, no OpenAI SDK, no
numpy on the cold-start path of the scan and API handlers. Each import runs in a fresh interpreter."""

from __future__ import annotations

from bench.cold_start import HEAVY, import_timings


def test_handler_modules_import_no_heavy_module() -> None:
    timings = import_timings(runs=1)
    assert {"openai", "onnxruntime", "rapidocr", "numpy"} <= set(HEAVY)
    assert timings["scan"].heavy == []
    assert timings["api"].heavy == []
    assert all(t.seconds > 0 for t in timings.values())

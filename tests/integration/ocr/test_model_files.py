"""Which model files the engine loads: int8 copies when made, the wheel's fp32 models otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("rapidocr")

from receiptflow.adapters.ocr.model_files import RECIPE_VERSION, bundled_models, int8_path, resolve_models  # noqa: E402


def test_falls_back_to_fp32_when_no_int8_copy(tmp_path: Path) -> None:
    assert resolve_models(root=tmp_path) == bundled_models()
    assert resolve_models(quantized=False, root=tmp_path) == bundled_models()


def test_uses_the_int8_detector_when_made(tmp_path: Path) -> None:
    fp32 = bundled_models()
    det = int8_path(fp32.det, tmp_path)
    det.parent.mkdir(parents=True)
    det.write_bytes(b"stand-in")
    chosen = resolve_models(root=tmp_path)
    assert chosen.det == det and chosen.rec == fp32.rec
    assert resolve_models(quantized=False, root=tmp_path).det == fp32.det


def test_copies_are_keyed_by_source_and_recipe(tmp_path: Path) -> None:
    fp32 = bundled_models()
    det = int8_path(fp32.det, tmp_path)
    assert det.parent.name.startswith(f"r{RECIPE_VERSION}-")
    assert det.parent != int8_path(fp32.rec, tmp_path).parent  # keyed by the source model's hash
    assert det.name.endswith(".int8.onnx")

"""The real engine (fp32 and, when made, int8) on the bundled sample receipts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from receiptflow.intake import load_document
from receiptflow.settings import Settings

pytest.importorskip("rapidocr")

from receiptflow.adapters.ocr.engine import EngineConfig, OcrEngine, decode_page  # noqa: E402
from receiptflow.adapters.ocr.model_files import ModelPaths, bundled_models, make_int8  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _sample(name: str, settings: Settings) -> tuple[dict[str, str], object]:
    truth = json.loads((SAMPLES / "truth" / f"{name}.json").read_text(encoding="utf-8"))
    paths = [p for p in (SAMPLES / "receipts").iterdir() if p.stem == name]
    return truth, load_document(paths[0].read_bytes(), settings=settings)


@pytest.mark.parametrize("batch_lines", [1, 16])
def test_fp32_engine_reads_vendor_and_total(settings: Settings, batch_lines: int) -> None:
    truth, doc = _sample("us_grocery", settings)
    engine = OcrEngine(EngineConfig(rec_batch_lines=batch_lines), bundled_models())
    lines = engine.read(doc.pages[0])  # type: ignore[attr-defined]
    text = " ".join(line.text for line in lines)
    assert truth["vendor_name"] in text and truth["total"] in text
    assert [ln.y0 for ln in lines] == sorted(ln.y0 for ln in lines)
    width, height = doc.pages[0].width, doc.pages[0].height  # type: ignore[attr-defined]
    assert all(0 <= ln.x0 <= ln.x1 <= width and 0 <= ln.y0 <= ln.y1 <= height for ln in lines)


def test_a_page_with_one_thin_line_is_read(settings: Settings) -> None:
    """A strip of one line (padded above and below for the detector) keeps its box on the strip."""
    import cv2
    import numpy as np
    from receiptflow.document import PageImage

    _truth, doc = _sample("us_grocery", settings)
    page = decode_page(doc.pages[0])  # type: ignore[attr-defined]
    engine = OcrEngine(EngineConfig(), bundled_models())
    first = engine.read_image(page)[0]
    top, bottom = int(first.y0) - 2, int(first.y1) + 2
    strip = np.ascontiguousarray(page[top:bottom])
    ok, data = cv2.imencode(".png", strip)
    assert ok
    height, width = strip.shape[:2]
    strip_page = PageImage(data=data.tobytes(), media_type="image/png", width=width, height=height)
    (line,) = engine.read(strip_page)
    assert line.text == first.text
    assert 0 <= line.y0 < line.y1 <= strip.shape[0]


@pytest.mark.slow
def test_int8_detector_is_made_and_reads_like_fp32(settings: Settings, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    made = make_int8(SAMPLES / "receipts", root=tmp_path)
    assert made.is_file() and made.stat().st_size < bundled_models().det.stat().st_size / 2
    truth, doc = _sample("my_kedai_runcit", settings)
    fp32 = bundled_models()
    engine = OcrEngine(EngineConfig(), ModelPaths(det=made, rec=fp32.rec, cls=fp32.cls))
    text = " ".join(line.text for line in engine.read(doc.pages[0]))  # type: ignore[attr-defined]
    assert truth["vendor_name"] in text and truth["total"] in text


def test_model_command_reports_the_models() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "receiptflow.adapters.ocr.model_files", "show"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "det: " in out.stdout and ".onnx" in out.stdout

"""The engine configuration before issue 16, kept runnable so the bench measures against it in one run.

rapidocr's own pipeline with the bundled PP-OCRv6 fp32 models, no orientation classifier, detection
limited to 960 px on the longer side, one onnxruntime thread; the page decoded by Pillow and converted
again for OpenCV. Same ``read(page, page_index)`` as ``receiptflow.adapters.ocr.engine.OcrEngine``.
"""

from __future__ import annotations

import io
import math
import threading
from typing import Any

from receiptflow.adapters.ocr.model_files import bundled_models
from receiptflow.document import PageImage
from receiptflow.models.ocr_lines import OcrLine


def baseline_params(threads: int = 1, det_limit_side_len: int = 960) -> dict[str, Any]:
    """rapidocr parameters of the pre-issue-16 configuration."""
    models = bundled_models()
    return {
        "Global.use_cls": False,
        "Global.log_level": "error",
        "Det.limit_type": "max",
        "Det.limit_side_len": det_limit_side_len,
        "Det.model_path": str(models.det),
        "Rec.model_path": str(models.rec),
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


class DefaultEngine:
    """rapidocr with every default (orientation classifier, detection at least 736 px on the shorter
    side, onnxruntime's own thread count): P4's reference."""

    def __init__(self) -> None:
        self._engine: Any = None

    def warm_up(self) -> None:
        """Build the engine (rapidocr loads each model on its first call)."""
        import logging

        from rapidocr import RapidOCR

        self._engine = RapidOCR()
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)

    def read(self, page: PageImage, page_index: int = 0) -> list[OcrLine]:
        """OCR one page image into lines."""
        if self._engine is None:
            self.warm_up()
        return _lines(self._engine(_bgr(page)), page_index)


def _bgr(page: PageImage) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(page.data)) as im:
        return np.asarray(im.convert("RGB"))[:, :, ::-1]


def _lines(out: Any, page_index: int) -> list[OcrLine]:
    if out.txts is None or out.boxes is None:
        return []
    lines = []
    for text, quad, score in zip(out.txts, out.boxes, out.scores, strict=True):
        xs = [float(p[0]) for p in quad]
        ys = [float(p[1]) for p in quad]
        lines.append(
            OcrLine(
                text=str(text),
                box=(min(xs), min(ys), max(xs), max(ys)),
                confidence=float(score),
                page=page_index,
                angle=math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0])),
            )
        )
    lines.sort(key=lambda ln: (ln.y0, ln.x0))
    return lines


class BaselineEngine:
    """Thread-safe wrapper: one rapidocr instance, built on first use."""

    def __init__(self, threads: int = 1, det_limit_side_len: int = 960) -> None:
        self._params = baseline_params(threads, det_limit_side_len)
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._engine is None:
            from rapidocr import RapidOCR

            self._engine = RapidOCR(params=self._params)
        return self._engine

    def warm_up(self) -> None:
        """Load the models now."""
        with self._lock:
            self._get()

    def read(self, page: PageImage, page_index: int = 0) -> list[OcrLine]:
        """OCR one page image into lines sorted top-to-bottom, left-to-right."""
        rgb = _bgr(page)
        with self._lock:
            out = self._get()(rgb)
        return _lines(out, page_index)

"""The embedded OCR engine: rapidocr (PP-OCR models bundled in its wheel) on onnxruntime.

Configured as measured on real receipts: no orientation classifier (it breaks good lines),
detection limited to 960 px on the longest side, one onnxruntime thread per process (two
processes of one thread beat one process of two threads). Only the bundled models are used:
a missing model is a ``ProviderConfigError``, never a download attempt.
"""

from __future__ import annotations

import io
import math
import threading
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

from receiptflow.document import PageImage
from receiptflow.errors import ProviderConfigError
from receiptflow.ocr.lines import OcrLine

_MODEL_FILES = {"det": "PP-OCRv6_det_small.onnx", "rec": "PP-OCRv6_rec_small.onnx"}


def bundled_model_dir() -> Path:
    """Folder holding the models shipped inside the rapidocr wheel."""
    spec = importlib_util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        raise ProviderConfigError(
            "the local OCR engine is not installed: pip install 'receiptflow[local]'", provider="local"
        )
    return Path(spec.origin).parent / "models"


def engine_params(threads: int = 1, det_limit_side_len: int = 960) -> dict[str, Any]:
    """rapidocr parameters for the embedded configuration, pointing at bundled model files only."""
    models = bundled_model_dir()
    paths = {task: models / name for task, name in _MODEL_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise ProviderConfigError(f"bundled OCR model missing: {', '.join(missing)}", provider="local")
    return {
        "Global.use_cls": False,
        "Global.log_level": "error",
        "Det.limit_type": "max",
        "Det.limit_side_len": det_limit_side_len,
        "Det.model_path": str(paths["det"]),
        "Rec.model_path": str(paths["rec"]),
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


class OcrEngine:
    """Thread-safe wrapper: one rapidocr instance per process, built on first use."""

    def __init__(self, threads: int = 1, det_limit_side_len: int = 960) -> None:
        self._params = engine_params(threads, det_limit_side_len)
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        if self._engine is None:
            from rapidocr import RapidOCR  # heavy: onnxruntime + models, only when OCR is needed

            self._engine = RapidOCR(params=self._params)
        return self._engine

    def read(self, page: PageImage, page_index: int = 0) -> list[OcrLine]:
        """OCR one page image into lines sorted top-to-bottom, left-to-right."""
        import numpy as np
        from PIL import Image

        with Image.open(io.BytesIO(page.data)) as im:
            rgb = np.asarray(im.convert("RGB"))[:, :, ::-1]  # rapidocr expects BGR like OpenCV
        with self._lock:
            out = self._get()(rgb)
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

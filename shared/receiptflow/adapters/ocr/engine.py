"""The embedded OCR engine: the PP-OCR detection and recognition models bundled in the rapidocr wheel,
run on onnxruntime by our own lean pipeline (rapidocr's DB post-processing is reused).

Measured choices (``docs/performance.md`` has every option tried, with its speed and accuracy):

- the page is decoded once, straight to the BGR array both models read, and dropped before ``read``
  returns;
- pages photographed sideways or scanned upside down are read the right way round: each line is cut out
  along its long side, and the bundled angle classifier decides by a page-wide vote whether the lines
  read upside down (``orientation``); a line's own vote never turns it (that breaks good lines);
- the detector's input is sized from the page itself: scaled down when the longer side exceeds
  ``det_max_side`` or the shorter side exceeds ``det_short_side``, and a small page (a phone photo
  under 500 px wide) scaled up until its longer side reaches ``det_upscale_side`` (800): at native
  size the detector misses small print (+2 points of line recall on WildReceipt's small photos);
- each text line is cut out and resized to the recogniser's 48 px height in one warp, and read on its
  own, padded to the 320 px width the recogniser was trained at (batches of similar width, bounded in
  lines and padded pixels, are a knob; on CPU they were slower);
- the int8 copy of the detector (``receiptflow.adapters.ocr.model_files``) is used when present, the fp32
  original otherwise (the recogniser stays fp32); onnxruntime runs ``threads`` intra-op threads per process
  (the cores shared among the workers).

Only the bundled models are used: a missing model is a ``ProviderConfigError``, never a download.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from receiptflow.adapters.ocr.model_files import ModelPaths, resolve_models
from receiptflow.adapters.ocr.orientation import upside_down_groups
from receiptflow.document import PageImage
from receiptflow.errors import CorruptImageError
from receiptflow.models.ocr_lines import OcrLine

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from receiptflow.settings import Settings

    Image = npt.NDArray[np.uint8]

REC_HEIGHT = 48
_PAD_MIN_HEIGHT = 30
_PAD_WIDTH_HEIGHT_RATIO = 8
CROP_INTERPOLATION = 1  # cv2.INTER_LINEAR
_GRAPH_LEVELS = ("disable", "basic", "extended", "all")


@dataclass(frozen=True)
class EngineConfig:
    """Everything that shapes the engine's speed, memory and output."""

    threads: int = 1
    det_max_side: int = 960
    det_short_side: int = 0  # 0: no limit on the shorter side
    rec_batch_lines: int = 1  # measured: unpadded single lines beat every batch size on CPU
    rec_batch_width: int = 4800  # padded pixels of width per recognition batch (x 48 px height)
    rec_min_width: int = 320  # lines are padded to the width the recogniser was trained at (accuracy)
    quantized: bool = True  # use the int8 detector when it has been made
    graph_optimization: str = "all"
    mem_arena: bool = False
    mem_pattern: bool = False  # planned per input shape: pages vary, so it only raised the peak
    det_upscale_side: int = 800  # small pages: the detector's input scaled up to this longer side (0: no)
    det_thresh: float = 0.3  # rapidocr's DB post-processing (pixel, box score, box growth), as measured
    det_box_thresh: float = 0.5
    det_unclip_ratio: float = 1.6
    text_score_min: float = 0.5  # lines read with a lower mean confidence are dropped (as rapidocr does)
    page_orientation: bool = True  # read sideways and upside-down pages the right way round

    def describe(self, models: ModelPaths) -> dict[str, Any]:
        """What the output depends on: the knobs and the model files by name."""
        return {
            **{k: v for k, v in vars(self).items() if k not in ("threads", "mem_arena", "mem_pattern")},
            "det_model": models.det.name,
            "rec_model": models.rec.name,
            **({"cls_model": models.cls.name} if self.page_orientation else {}),
        }


def auto_threads(workers: int, cpus: int | None = None) -> int:
    """onnxruntime threads per worker: the cores this process may use, shared among the workers."""
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus // max(1, workers))


def engine_config(settings: Settings) -> EngineConfig:
    """The engine configuration the settings ask for (threads resolved from cores and workers)."""
    threads = settings.ocr_threads or auto_threads(settings.workers)
    return EngineConfig(
        threads=threads,
        det_max_side=settings.ocr_det_max_side,
        det_short_side=settings.ocr_det_short_side,
        rec_batch_lines=settings.ocr_rec_batch_lines,
        quantized=settings.ocr_quantized,
    )


def det_size(
    height: int, width: int, max_side: int, short_side: int = 0, upscale_side: int = 0
) -> tuple[int, int]:
    """The detector's input size (height, width) for a page: its own resolution, scaled up so the
    longer side reaches ``upscale_side`` (small pages, when set) and down so the longer side is at
    most ``max_side`` and the shorter at most ``short_side`` (when set), then rounded to the multiple
    of 32 the network needs (at least 32)."""
    longest = max(height, width)
    ratio = min(max(longest, upscale_side), max_side) / longest
    if short_side:
        ratio = min(ratio, short_side / min(height, width))
    return (
        max(32, int(round(height * ratio / 32)) * 32),
        max(32, int(round(width * ratio / 32)) * 32),
    )


def det_blob(image: Image, max_side: int, short_side: int = 0, upscale_side: int = 0) -> Any:
    """The detector's input for a BGR page: resized by :func:`det_size`, normalised to [-1, 1], NCHW."""
    import cv2

    height, width = image.shape[:2]
    det_h, det_w = det_size(height, width, max_side, short_side, upscale_side)
    resized = cv2.resize(image, (det_w, det_h))
    return cv2.dnn.blobFromImage(resized, 1 / 127.5, mean=(127.5, 127.5, 127.5))  # (x/255-.5)/.5


def decode_page(page: PageImage) -> Image:
    """The page's pixels as one BGR array (decoded once, no orientation applied: pages are upright)."""
    import cv2
    import numpy as np

    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    image = cv2.imdecode(np.frombuffer(page.data, dtype=np.uint8), flags)
    if image is None:
        raise CorruptImageError("the page image cannot be decoded")
    return np.asarray(image, dtype=np.uint8)


class OcrEngine:
    """Thread-safe: one pair of onnxruntime sessions per engine, built on first use."""

    def __init__(self, config: EngineConfig | None = None, models: ModelPaths | None = None) -> None:
        self.config = config or EngineConfig()
        self.models = models or resolve_models(quantized=self.config.quantized)
        self._lock = threading.Lock()
        self._sessions: tuple[Any, Any, Any] | None = None
        self._charset: list[str] = []
        self._db: Any = None

    def describe(self) -> dict[str, Any]:
        """The configuration and the model files (what the output depends on)."""
        return self.config.describe(self.models)

    def _session_options(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = max(1, self.config.threads)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.enable_cpu_mem_arena = self.config.mem_arena
        options.enable_mem_pattern = self.config.mem_pattern
        level = _GRAPH_LEVELS.index(self.config.graph_optimization)
        options.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
            ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
            ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
        )[level]
        # idle threads sleep instead of spinning: the other workers need the cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return options

    def _load(self) -> tuple[Any, Any, Any]:
        if self._sessions is None:
            import onnxruntime as ort
            from rapidocr.ch_ppocr_det.utils import DBPostProcess

            options = self._session_options()
            providers = ["CPUExecutionProvider"]
            det = ort.InferenceSession(str(self.models.det), options, providers=providers)
            rec = ort.InferenceSession(str(self.models.rec), options, providers=providers)
            cls = (
                ort.InferenceSession(str(self.models.cls), options, providers=providers)
                if self.config.page_orientation
                else None
            )
            characters = rec.get_modelmeta().custom_metadata_map["character"].splitlines()
            self._charset = ["", *characters, " "]  # CTC blank first, space last (as PaddleOCR trains)
            self._db = DBPostProcess(
                thresh=self.config.det_thresh,
                box_thresh=self.config.det_box_thresh,
                max_candidates=1000,
                unclip_ratio=self.config.det_unclip_ratio,
                use_dilation=True,
                score_mode="fast",
            )
            self._sessions = (det, rec, cls)
        return self._sessions

    def warm_up(self) -> None:
        """Load the models now (a worker does this before its first image)."""
        with self._lock:
            self._load()

    def read(self, page: PageImage, page_index: int = 0) -> list[OcrLine]:
        """OCR one page image into lines sorted top-to-bottom, left-to-right."""
        return self.read_image(decode_page(page), page_index)

    def read_image(self, image: Image, page_index: int = 0) -> list[OcrLine]:
        """OCR one BGR page array (as :func:`decode_page` returns it)."""
        with self._lock:
            det, rec, cls = self._load()
            image, top = _pad_thin(image)
            cuts = [reading_points(quad) for quad in self._detect(det, image)]
            crops = [_crop_line(image, points) for points, _ in cuts]
            del image
            if cls is not None:
                turned = upside_down_groups(cls, crops, [vertical for _, vertical in cuts])
                for i, (points, vertical) in enumerate(cuts):
                    if vertical in turned:
                        crops[i] = crops[i][::-1, ::-1]
                        cuts[i] = (points[[2, 3, 0, 1]], vertical)
            texts = self._recognise(rec, crops)
            del crops
            release_free_memory()
        lines = []
        for (points, _), (text, score) in zip(cuts, texts, strict=True):
            if score < self.config.text_score_min or not text.strip():
                continue
            xs = [float(p[0]) for p in points]
            ys = [float(p[1]) - top for p in points]
            lines.append(
                OcrLine(
                    text=text,
                    box=(min(xs), max(0.0, min(ys)), max(xs), max(ys)),
                    confidence=score,
                    page=page_index,
                    angle=math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0])),
                )
            )
        lines.sort(key=lambda ln: (ln.y0, ln.x0))
        return lines

    def _detect(self, session: Any, image: Image) -> list[Any]:
        """Text line quadrilaterals (4 x 2 float32, clockwise from top-left) in page pixels."""
        height, width = image.shape[:2]
        config = self.config
        blob = det_blob(image, config.det_max_side, config.det_short_side, config.det_upscale_side)
        (pred,) = session.run(None, {"x": blob})
        del blob
        boxes, _scores = self._db(pred, (height, width))
        return list(boxes)

    def _recognise(self, session: Any, crops: list[Image]) -> list[tuple[str, float]]:
        """Text and confidence of each line crop (48 px high), in the crops' order."""
        import numpy as np

        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1])
        start = 0
        while start < len(order):
            batch = [order[start]]
            while start + len(batch) < len(order) and len(batch) < self.config.rec_batch_lines:
                widest = max(crops[order[start + len(batch)]].shape[1], self.config.rec_min_width)
                if widest * (len(batch) + 1) > self.config.rec_batch_width:
                    break
                batch.append(order[start + len(batch)])
            start += len(batch)
            width = max(self.config.rec_min_width, max(crops[i].shape[1] for i in batch))
            blob = np.zeros((len(batch), 3, REC_HEIGHT, width), dtype=np.float32)
            for row, index in enumerate(batch):
                line = blob[row, :, :, : crops[index].shape[1]]
                line[...] = crops[index].transpose(2, 0, 1)
                line -= 127.5
            blob *= 1 / 127.5  # (x/255 - .5)/.5; the padding stays 0, as PaddleOCR pads
            (probs,) = session.run(None, {"x": blob})
            del blob
            for row, index in enumerate(batch):
                results[index] = self._ctc_decode(probs[row])
        return results

    def _ctc_decode(self, probs: Any) -> tuple[str, float]:
        """Greedy CTC: best class per step, repeats merged, blanks dropped; confidence = mean prob."""
        import numpy as np

        best = probs.argmax(axis=1)
        keep = np.ones(len(best), dtype=bool)
        keep[1:] = best[1:] != best[:-1]
        keep &= best != 0
        if not keep.any():
            return "", 0.0
        chosen = best[keep]
        confidence = float(np.round(probs[keep, chosen].mean(), 5))
        return "".join(self._charset[i] for i in chosen), confidence


@cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None elsewhere."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc keeps them otherwise: a worker would stay
    at its peak between images)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _pad_thin(image: Image) -> tuple[Image, int]:
    """Very flat pages (one line of text) get white space above and below, as rapidocr does, so the
    detector sees a line in context. Returns the image and the rows added on top."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    if height > _PAD_MIN_HEIGHT and width / height <= _PAD_WIDTH_HEIGHT_RATIO:
        return image, 0
    target = max(int(width / _PAD_WIDTH_HEIGHT_RATIO), _PAD_MIN_HEIGHT) * 2
    pad = max(1, (target - height) // 2)
    padded = cv2.copyMakeBorder(image, pad, pad, 0, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    return np.asarray(padded, dtype=np.uint8), pad


def reading_points(quad: Any) -> tuple[Any, bool]:
    """The detector's quadrilateral (clockwise from top left) in reading order, the first two points
    along the baseline's top edge, and whether the line is cut out vertically: a line taller than wide
    is read turned by 90 degrees, as PaddleOCR does (its first point then is the top right)."""
    import numpy as np

    points = np.asarray(quad, dtype=np.float32)
    width, height = _sides(points)
    vertical = height >= 1.5 * width
    return (points[[1, 2, 3, 0]] if vertical else points), vertical


def _sides(points: Any) -> tuple[float, float]:
    """The longer of each pair of opposite sides of ``points`` (in reading order): width along the text,
    height across it, at least 1 px each."""
    import numpy as np

    norm = np.linalg.norm
    width = max(1.0, float(norm(points[0] - points[1])), float(norm(points[2] - points[3])))
    height = max(1.0, float(norm(points[0] - points[3])), float(norm(points[1] - points[2])))
    return width, height


def _crop_line(image: Image, points: Any) -> Image:
    """The line under ``points`` (in reading order) straightened and scaled to the recogniser's height
    in one warp."""
    import cv2
    import numpy as np

    width, height = _sides(points)
    out_w = max(1, math.ceil(REC_HEIGHT * width / height))
    if height > 2 * REC_HEIGHT:  # large text: straighten at full size, then average down
        size = (max(1, round(width)), max(1, round(height)))
        interpolation = cv2.INTER_AREA
    else:
        size = (out_w, REC_HEIGHT)
        interpolation = CROP_INTERPOLATION
    target = np.array([[0, 0], [size[0], 0], [size[0], size[1]], [0, size[1]]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(points, target)
    crop = cv2.warpPerspective(image, matrix, size, flags=CROP_INTERPOLATION, borderMode=cv2.BORDER_REPLICATE)
    if size != (out_w, REC_HEIGHT):
        crop = cv2.resize(crop, (out_w, REC_HEIGHT), interpolation=interpolation)
    return np.asarray(crop, dtype=np.uint8)

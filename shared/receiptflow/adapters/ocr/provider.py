"""The embedded provider: rapidocr over every page, then the extractor. Free and offline."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from receiptflow.adapters.ocr.engine import EngineConfig, OcrEngine, engine_config
from receiptflow.document import Document, PageImage
from receiptflow.errors import NoReceiptFoundError
from receiptflow.extract import extract_receipt
from receiptflow.extract.geometry import locate_fields
from receiptflow.extract.orientation import page_turns, turn_boxes_back, upright
from receiptflow.models import Receipt
from receiptflow.models.ocr_lines import OcrLine
from receiptflow.ports import ProviderOutput
from receiptflow.settings import Settings

_lock = threading.Lock()


@lru_cache(maxsize=4)
def _engine(config: EngineConfig) -> OcrEngine:
    return OcrEngine(config)


def shared_engine(settings: Settings) -> OcrEngine:
    """The process-wide OCR engine for these settings, built once on first use."""
    with _lock:
        return _engine(engine_config(settings))


def read_document(engine: OcrEngine, doc: Document) -> list[OcrLine]:
    """OCR every page; each line keeps its page index (the extractor reads pages in order). A page whose
    pixels intake already decoded is read from them, not decoded again."""
    lines: list[OcrLine] = []
    for index, page in enumerate(doc.pages):
        if page.pixels is None:
            lines.extend(engine.read(page, page_index=index))
        else:
            lines.extend(engine.read_image(page_pixels(page), page_index=index))
    return lines


def page_pixels(page: PageImage) -> Any:
    """The BGR array over the pixels intake decoded (no copy; ``ValueError`` if their size is not the
    page's)."""
    import numpy as np

    if page.pixels is None:
        raise ValueError("the page carries no decoded pixels")
    return np.frombuffer(page.pixels, dtype=np.uint8).reshape(page.height, page.width, 3)


class LocalProvider:
    """``Provider`` over the local OCR engine and the rule/learned extractor."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def read(self, doc: Document) -> list[OcrLine]:
        """OCR step alone: every page's lines; ``NoReceiptFoundError`` when no page holds any text."""
        lines = read_document(shared_engine(self._settings), doc)
        if not any(ln.text.strip() for ln in lines):
            raise NoReceiptFoundError("no text found on any page", provider=self.name)
        return lines

    def extract(self, lines: list[OcrLine], doc: Document) -> Receipt:
        """Extraction step alone: the receipt read from ``lines`` of ``doc``, pages read sideways or
        upside down turned upright first (field boxes stay on the pages as stored)."""
        turns = page_turns(lines)
        lines, sizes = upright(lines, [(p.width, p.height) for p in doc.pages], turns)
        receipt = extract_receipt(lines, page_sizes=sizes)
        locate_fields(receipt, lines, sizes)
        turn_boxes_back(receipt, turns)
        receipt.provider = self.name
        return receipt

    def analyze(self, doc: Document) -> ProviderOutput:
        """OCR and extract ``doc``; low confidence is not an error (the chain decides on fallback)."""
        receipt = self.extract(self.read(doc), doc)
        return ProviderOutput(receipt=receipt, providers_tried=[self.name])

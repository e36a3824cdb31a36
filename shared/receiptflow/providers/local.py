"""The embedded provider: rapidocr over every page, then the extractor. Free and offline."""

from __future__ import annotations

import threading
from functools import lru_cache

from receiptflow.document import Document
from receiptflow.errors import NoReceiptFoundError
from receiptflow.extract import extract_receipt
from receiptflow.extract.geometry import locate_fields
from receiptflow.models import Receipt
from receiptflow.ocr.engine import OcrEngine
from receiptflow.ocr.lines import OcrLine
from receiptflow.ports import ProviderOutput
from receiptflow.settings import Settings

_lock = threading.Lock()


@lru_cache(maxsize=4)
def _engine(threads: int, det_limit_side_len: int) -> OcrEngine:
    return OcrEngine(threads=threads, det_limit_side_len=det_limit_side_len)


def shared_engine(settings: Settings) -> OcrEngine:
    """The process-wide OCR engine for these settings, built once on first use."""
    with _lock:
        return _engine(settings.ocr_threads, settings.ocr_det_limit_side_len)


def read_document(engine: OcrEngine, doc: Document) -> list[OcrLine]:
    """OCR every page; each line keeps its page index (the extractor reads pages in order)."""
    lines: list[OcrLine] = []
    for index, page in enumerate(doc.pages):
        lines.extend(engine.read(page, page_index=index))
    return lines


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
        """Extraction step alone: the receipt read from ``lines`` of ``doc``."""
        receipt = extract_receipt(lines, page_sizes=[(p.width, p.height) for p in doc.pages])
        locate_fields(receipt, lines, [(p.width, p.height) for p in doc.pages])
        receipt.provider = self.name
        return receipt

    def analyze(self, doc: Document) -> ProviderOutput:
        """OCR and extract ``doc``; low confidence is not an error (the chain decides on fallback)."""
        receipt = self.extract(self.read(doc), doc)
        return ProviderOutput(receipt=receipt, providers_tried=[self.name])

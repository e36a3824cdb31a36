"""Issue 16, decode once: the local provider reads a page intake passed through from the pixels intake
decoded, with the same lines as decoding the page's bytes again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from receiptflow.document import Document
from receiptflow.intake import load_document
from receiptflow.settings import Settings

pytest.importorskip("rapidocr")

from receiptflow.adapters.ocr.engine import decode_page  # noqa: E402
from receiptflow.adapters.ocr.provider import page_pixels, read_document, shared_engine  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "receipts"


def test_the_engine_reads_the_pixels_intake_decoded_with_the_same_result(settings: Settings) -> None:
    # GIVEN a sample receipt intake passes through (its decoded pixels ride along)
    doc = load_document((SAMPLES / "us_grocery.jpg").read_bytes(), settings=settings)
    (page,) = doc.pages
    assert page.pixels is not None
    # THEN they are the engine's own decode of the page
    assert np.array_equal(page_pixels(page), decode_page(page))
    # AND the provider's lines from them equal the lines from decoding the bytes again
    engine = shared_engine(settings)
    bare = Document(
        **{**vars(doc), "pages": (type(page)(page.data, page.media_type, page.width, page.height),)}
    )
    lines = read_document(engine, doc)
    assert lines and lines == read_document(engine, bare)

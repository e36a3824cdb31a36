"""The extractor: OCR lines with boxes and confidences → a ``Receipt`` (``checks.check_receipt`` checks it).

``EXTRACTOR_VERSION`` is part of the result-cache key: bump it whenever extraction output changes.
The extractor itself is imported on first use, so reading the version (every pipeline does, the Lambda
scan step included) does not load the extraction rules and their lexicon.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

EXTRACTOR_VERSION = "2.7.0"

if TYPE_CHECKING:
    from receiptflow.extract.extractor import extract_receipt


def __getattr__(name: str) -> Any:
    if name == "extract_receipt":
        from receiptflow.extract.extractor import extract_receipt

        return extract_receipt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["EXTRACTOR_VERSION", "extract_receipt"]

"""The extractor: OCR lines with boxes and confidences → a ``Receipt`` (``checks.check_receipt`` checks it).

``EXTRACTOR_VERSION`` is part of the result-cache key: bump it whenever extraction output changes.
"""

from receiptflow.extract.extractor import extract_receipt

EXTRACTOR_VERSION = "2.2.0"

__all__ = ["EXTRACTOR_VERSION", "extract_receipt"]

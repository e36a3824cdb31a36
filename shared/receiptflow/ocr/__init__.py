"""Local OCR: text lines with boxes and confidences."""

from receiptflow.ocr.lines import OcrLine

__all__ = ["OcrLine"]

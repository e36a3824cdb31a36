"""Intake: detect a file's type by content, enforce the limits, normalise it into page images."""

from receiptflow.intake.detect import SUPPORTED_TYPES, detect_type
from receiptflow.intake.load import load_document

__all__ = ["SUPPORTED_TYPES", "detect_type", "load_document"]

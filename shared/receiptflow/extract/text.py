"""Small text helpers shared by the field finders."""

from __future__ import annotations

import re

_WS = re.compile(r"\s+")


def clean(text: str) -> str:
    """Whitespace collapsed and trimmed."""
    return _WS.sub(" ", text).strip()


def letter_share(text: str) -> float:
    """Share of letters among the non-space characters."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c.isalpha() for c in chars) / len(chars)


def digit_share(text: str) -> float:
    """Share of digits among the non-space characters."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c.isdigit() for c in chars) / len(chars)

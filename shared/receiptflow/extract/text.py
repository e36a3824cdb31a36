"""Small text helpers shared by the field finders."""

from __future__ import annotations

import re
import unicodedata

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


def strip_stray_accents(text: str, context: str) -> str:
    """``text`` without diacritics when ``context`` (the whole receipt) is nearly all ASCII: then an
    accented letter is an OCR slip (``Selāngor``), not the language."""
    letters = [c for c in context if c.isalpha()]
    if not letters or sum(not c.isascii() for c in letters) > 0.01 * len(letters):
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))

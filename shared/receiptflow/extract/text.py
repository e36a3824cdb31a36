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


_SPECIAL_LETTERS = {"Ł": "L", "Ø": "O", "Đ": "D", "Ħ": "H", "İ": "I", "ı": "I"}


def fold(text: str) -> str:
    """Upper case with diacritics removed, one character for one (``zł`` → ``ZL``, ``Kč`` → ``KC``,
    ``Zurück`` → ``ZURUCK``), so positions in the folded text are positions in ``text``. Letters whose
    upper case is longer (``ß``) and characters that decompose into other letters (Hangul) are kept."""
    if text.isascii():
        return text.upper()
    return text.translate(_FOLDED)


class _FoldTable(dict[int, str]):
    """``str.translate`` table of ``fold``, filled in as characters are met."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        up = ch.upper()
        if len(up) != 1:
            out = ch
        elif up in _SPECIAL_LETTERS:
            out = _SPECIAL_LETTERS[up]
        else:
            parts = unicodedata.normalize("NFD", up)
            out = parts[0] if all(unicodedata.combining(c) for c in parts[1:]) else up
        self[code] = out
        return out


_FOLDED = _FoldTable()

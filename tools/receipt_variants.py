"""Other-language readings of labelled receipts, to measure and train total selection beyond English.

The shared receipts are Malaysian and mostly US. Two variants of each receipt's lines (same boxes,
same labels) stand in for receipts from elsewhere:

- ``foreign``: every cue word (TOTAL, CASH, CHANGE, TAX, GST SUMMARY …) replaced by a cue of the same
  role in another language of the cue table, and, for languages that write decimal commas, every
  amount rewritten ``1.234,50``; the receipt's own currency symbols kept.
- ``unknown``: every word replaced by a made-up word (a language the cue table does not know), so
  only arithmetic, layout and repetition are left to find the total.

Both are deterministic (seeded by the receipt key).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import replace

from receiptflow.extract import cue_table
from receiptflow.models.ocr_lines import OcrLine
from receiptflow.money import has_currency

VARIANTS = ("foreign", "unknown")
# target languages and whether they write decimal commas
LANGUAGES: dict[str, bool] = {
    "de": True, "fr": True, "es": True, "it": True, "nl": True, "pt": True, "pl": True, "cs": True,
    "tr": True, "sv": True, "da": True, "no": True, "ru": True, "uk": True, "bg": True, "th": False,
    "ms": False, "ja": False, "zh": False, "ko": False,
}  # fmt: skip
_PLAIN = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")
_WORD = re.compile(r"[^\W\d_]{2,}")
_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})(?![\d.])")


def _rng(key: str, variant: str) -> random.Random:
    return random.Random(int(hashlib.sha256(f"{variant}:{key}".encode()).hexdigest(), 16))


def _cues(lang: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for cue in cue_table.rows():
        if cue.lang == lang and _PLAIN.fullmatch(cue.text.strip("*")):
            out.setdefault(cue.role, []).append(cue.text.strip("*"))
    return out


def _translated(text: str, cues: dict[str, list[str]], rng: random.Random) -> str:
    """``text`` with each cue word found in it replaced by a cue of the same role from ``cues``."""
    spans = []
    for role in sorted(cue_table.roles(text)):
        m = cue_table.find(role, text)
        if m is not None and m.end() > m.start() and cues.get(role):
            start, end = m.start(), m.end()
            while start > 0 and text[start - 1].isalpha():  # whole words only
                start -= 1
            while end < len(text) and text[end].isalpha():
                end += 1
            spans.append((start, end, role))
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: s[0] - s[1]):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    for start, end, role in sorted(chosen, reverse=True):
        text = text[:start] + rng.choice(cues[role]) + text[end:]
    return text


def _comma(text: str) -> str:
    return _AMOUNT.sub(lambda m: f"{m.group(1).replace(',', '.')},{m.group(2)}", text)


def foreign(lines: Sequence[OcrLine], key: str) -> list[OcrLine]:
    """The receipt with its summary labels in another language (see the module docstring)."""
    rng = _rng(key, "foreign")
    lang = rng.choice(sorted(LANGUAGES))
    cues = _cues(lang)
    out = []
    for ln in lines:
        text = _translated(ln.text, cues, rng)
        out.append(replace(ln, text=_comma(text) if LANGUAGES[lang] else text))
    return out


def unknown(lines: Sequence[OcrLine], key: str) -> list[OcrLine]:
    """The receipt with every word made up (currency codes and symbols kept)."""
    rng = _rng(key, "unknown")
    made: dict[str, str] = {}

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        if has_currency(word):
            return word
        if word.upper() not in made:
            made[word.upper()] = "".join(rng.choice("QXZJKVWY") for _ in word)
        new = made[word.upper()]
        return new if word.isupper() else new.lower()

    return [replace(ln, text=_WORD.sub(swap, ln.text)) for ln in lines]


def variant(name: str, lines: Sequence[OcrLine], key: str) -> list[OcrLine]:
    """``lines`` as variant ``name`` reads them."""
    if name == "foreign":
        return foreign(lines, key)
    if name == "unknown":
        return unknown(lines, key)
    raise ValueError(f"unknown variant {name!r}")

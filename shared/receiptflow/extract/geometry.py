"""Field geometry for OCR-based providers: where on the page each extracted field was printed.

The extractor works on text rows and keeps each field's printed ``text``; this post-pass finds that
text again among the OCR lines it came from and stores the box (normalised to the page) on the field,
so a reviewer can see where a value was read. Rules:

- the printed text (or, without one, the value's usual printed forms) is searched with case and spaces
  ignored, inside one line or across up to ``_MAX_SPAN`` consecutive lines (an address over two lines);
  a match inside a longer line is narrowed to its characters' share of the line's width;
- when no exact match exists, the most similar line or run of lines (``difflib`` ratio ≥ ``_FUZZY_MIN``)
  is taken — the extractor may have repaired an OCR slip or punctuation;
- several matches (the same amount printed as subtotal and total) are told apart by the words on the
  same visual row (``TOTAL``, ``MwSt``, ``Tunai`` …), then by position: money and dates take the last
  match, header fields the first.

A field whose text cannot be found keeps ``box = None``; nothing is ever guessed from position alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from receiptflow.models import MONEY_FIELDS, SUMMARY_FIELDS, ExtractedField, FieldBox, Receipt
from receiptflow.models.ocr_lines import OcrLine

_MAX_SPAN = 8
_FUZZY_MIN = 0.8
_MIN_PART_CHARS = 2
_MIN_FUZZY_CHARS = 4
_HEADER_FIELDS = frozenset({"vendor_name", "vendor_address", "vendor_phone"})

# Words printed beside a field (same row), lower case, in several languages.
_CUES: dict[str, tuple[str, ...]] = {
    "total": ("total", "summe", "gesamt", "totale", "montant", "importe", "jumlah", "amount", "due",
              "bedrag", "totaal", "合計", "合计", "betrag", "à payer", "a pagar"),
    "subtotal": ("sub", "zwischensumme", "subtotale", "sous-total", "netto", "net"),
    "tax": ("tax", "vat", "gst", "mwst", "ust", "tva", "iva", "sst", "btw", "税", "steuer"),
    "tip": ("tip", "trinkgeld", "pourboire", "propina", "gratuity", "mancia", "fooi"),
    "discount": ("discount", "rabatt", "remise", "descuento", "sconto", "korting", "diskaun", "off"),
    "amount_paid": ("cash", "paid", "tender", "bar", "espèces", "efectivo", "contanti", "tunai", "card",
                    "kartu", "karte", "carte", "visa", "mastercard"),
    "date": ("date", "datum", "fecha", "data", "tarikh", "日期"),
    "time": ("time", "zeit", "heure", "hora", "ora", "masa"),
    "receipt_number": ("no", "nr", "#", "receipt", "invoice", "bon", "beleg", "ticket", "factura"),
}  # fmt: skip
_NOT_CUES: dict[str, tuple[str, ...]] = {
    "total": ("sub", "tax", "vat", "gst", "mwst", "change", "kembali", "rückgeld", "rendu", "cambio"),
    "amount_paid": ("change", "kembali", "rückgeld", "rendu", "cambio"),
}


@dataclass(frozen=True)
class _Match:
    lines: tuple[OcrLine, ...]
    start: int  # character span of the match inside the first/last line (original text indices)
    end: int
    order: int  # reading-order index of the first line
    exact: bool
    score: float


def locate_fields(receipt: Receipt, lines: Sequence[OcrLine], page_sizes: Sequence[tuple[int, int]]) -> None:
    """Set ``box`` on every present summary field of ``receipt`` whose printed text is found in ``lines``
    (page pixel boxes; ``page_sizes`` are the pages' ``(width, height)``). Fields already boxed are kept."""
    ordered = sorted((ln for ln in lines if ln.text.strip()), key=lambda ln: (ln.page, ln.cy, ln.x0))
    if not ordered:
        return
    for name in SUMMARY_FIELDS:
        field: ExtractedField[Any] = getattr(receipt, name)
        if field.box is not None or not field.present:
            continue
        match = _find(name, _printed_forms(name, field), ordered)
        if match is not None:
            field.box = _box(match, page_sizes)


def _norm(text: str) -> str:
    return _index_map(text)[0]


def _printed_forms(name: str, field: ExtractedField[Any]) -> list[str]:
    """The field's printed text, else the usual printed forms of its value."""
    if field.text and _norm(field.text):
        return [field.text]
    value = field.value
    if name in MONEY_FIELDS and isinstance(value, Decimal):
        plain = f"{abs(value):.2f}"
        return [plain, plain.replace(".", ",")]
    if name in ("date", "time", "currency"):
        return []  # a normalised date or currency code is rarely printed as such
    return [str(value)] if value is not None else []


def _find(name: str, forms: Sequence[str], lines: Sequence[OcrLine]) -> _Match | None:
    matches = [m for form in forms if (needle := _norm(form)) for m in _exact(needle, lines)]
    if not matches:
        matches = [m for form in forms if len(_norm(form)) >= _MIN_FUZZY_CHARS for m in _fuzzy(form, lines)]
        matches = [max(matches, key=lambda m: m.score)] if matches else []
    if not matches:
        return None
    cue_rank = {id(m): _cue_score(name, m, lines) for m in matches}
    last = name in MONEY_FIELDS or name in ("date", "time")
    return max(
        matches,
        key=lambda m: (m.exact, cue_rank[id(m)], m.order if last else -m.order, m.score),
    )


def _index_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index in ``text``."""
    chars: list[str] = []
    where: list[int] = []
    for index, ch in enumerate(text):
        if ch.isspace():
            continue
        folded = ch.casefold()
        chars.append(folded)
        where.extend([index] * len(folded))
    return "".join(chars), where


def _exact(needle: str, lines: Sequence[OcrLine]) -> list[_Match]:
    found: list[_Match] = []
    for first in range(len(lines)):
        joined = ""
        owners: list[tuple[int, int]] = []  # (line offset, index in that line's text) per joined char
        for offset in range(min(_MAX_SPAN, len(lines) - first)):
            line = lines[first + offset]
            if offset and line.page != lines[first].page:
                break
            norm, where = _index_map(line.text)
            joined += norm
            owners.extend((offset, i) for i in where)
            position = joined.find(needle)
            if position < 0:
                continue
            if len(needle) < _MIN_PART_CHARS and joined != needle:
                break  # a lone symbol ("$", "€") inside a longer line says nothing about where it was read
            start_owner, end_owner = owners[position], owners[position + len(needle) - 1]
            if start_owner[0] != 0 or end_owner[0] != offset:
                break  # the match does not need the first line (found on its own) or every line
            found.append(
                _Match(
                    lines=tuple(lines[first : first + offset + 1]),
                    start=start_owner[1],
                    end=end_owner[1] + 1,
                    order=first,
                    exact=True,
                    score=1.0,
                )
            )
            break
    return found


def _fuzzy(form: str, lines: Sequence[OcrLine]) -> list[_Match]:
    """Lines (a window of one line, or several whole consecutive lines) that read almost like ``form``."""
    needle = _norm(form)
    out: list[_Match] = []
    for order, line in enumerate(lines):
        hay, where = _index_map(line.text)
        block = difflib.SequenceMatcher(None, needle, hay, autojunk=False).find_longest_match()
        lo = max(block.b - block.a, 0)
        window = hay[lo : lo + len(needle)]
        score = _ratio(needle, window)
        if window and score >= _FUZZY_MIN:
            out.append(
                _Match((line,), where[lo], where[lo + len(window) - 1] + 1, order, exact=False, score=score)
            )
        joined = hay
        for offset in range(1, min(_MAX_SPAN, len(lines) - order)):
            following = lines[order + offset]
            if following.page != line.page or len(joined) > 2 * len(needle):
                break
            joined += _norm(following.text)
            score = _ratio(needle, joined)
            if score >= _FUZZY_MIN:
                span = tuple(lines[order : order + offset + 1])
                out.append(_Match(span, 0, len(following.text), order, exact=False, score=score))
    return out


def _ratio(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio() if matcher.real_quick_ratio() >= _FUZZY_MIN else 0.0


def _cue_score(name: str, match: _Match, lines: Sequence[OcrLine]) -> int:
    """+1 when the match's row (its own line and lines beside it) names the field, -1 when it names
    something else that prints the same kind of value, else 0."""
    cues, not_cues = _CUES.get(name, ()), _NOT_CUES.get(name, ())
    if not cues and not not_cues:
        return 0
    anchor = match.lines[-1]
    row = " ".join(
        ln.text.casefold()
        for ln in lines
        if ln.page == anchor.page and abs(ln.cy - anchor.cy) <= max(anchor.height, 1.0) * 0.6
    )
    if any(word in row for word in not_cues):
        return -1
    return 1 if any(word in row for word in cues) else 0


def _box(match: _Match, page_sizes: Sequence[tuple[int, int]]) -> FieldBox | None:
    first = match.lines[0]
    page = first.page
    if page >= len(page_sizes):
        return None
    x0 = min(ln.x0 for ln in match.lines)
    x1 = max(ln.x1 for ln in match.lines)
    if len(match.lines) == 1 and first.text:
        # narrow to the matched characters' share of the line
        width = first.x1 - first.x0
        length = len(first.text)
        x0 = first.x0 + width * match.start / length
        x1 = first.x0 + width * match.end / length
    y0 = min(ln.y0 for ln in match.lines)
    y1 = max(ln.y1 for ln in match.lines)
    return FieldBox.from_pixels(page, (x0, y0, x1, y1), page_sizes[page])

"""The issue-7 bad-input corpus plus a few good receipts in one folder, and what a full scan must give.

Intake outcomes come from ``tests.support.bad_inputs.make_bad_inputs``. Past intake, two "ok" files hold
no text at all (blank PDF pages, a photo of noise), so the local reader answers ``no_text_found`` for
them: that is their correct result, not a loss. Every other "ok" file is the corpus receipt, whose total
is 5.59.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tests.support.bad_inputs import TRAVERSAL_NAME, make_bad_inputs
from tests.support.known_receipts import write_receipts

NO_TEXT = frozenset({"two_pages.pdf", "large_photo_30mb.jpg"})
CORPUS_TOTAL = Decimal("5.59")
GOOD_RECEIPTS = 3


@dataclass(frozen=True)
class Expected:
    """What one file must end as: an error ``code``, or ``ok`` with this ``total``."""

    code: str | None
    total: Decimal | None = None


def build_corpus(folder: Path) -> dict[str, Expected]:
    """Write the bad-input corpus and ``GOOD_RECEIPTS`` rendered receipts; file name → expectation."""
    expected: dict[str, Expected] = {}
    for name, outcome in make_bad_inputs(folder).items():
        if outcome != "ok":
            expected[name] = Expected(outcome)
        elif name in NO_TEXT:
            expected[name] = Expected("no_text_found")
        else:
            expected[name] = Expected(None, CORPUS_TOTAL)
    for name, known in write_receipts(folder / "good", GOOD_RECEIPTS).items():
        expected[f"good/{name}"] = Expected(None, known.total)
    return expected


__all__ = ["CORPUS_TOTAL", "NO_TEXT", "TRAVERSAL_NAME", "Expected", "build_corpus"]

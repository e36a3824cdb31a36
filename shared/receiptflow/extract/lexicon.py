"""OCR repair of address text against a word list learned from training receipts.

Two unknown pieces that together make a known word are rejoined (``BAK ERIES``). A word the lexicon
does not know is replaced by the most frequent known word one OCR slip away
(a substituted, missing, extra or swapped character), keeping the printed letter case; letters glued
to a postcode are split off. Known words, short words and numbers are never touched.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

_TOKEN = re.compile(r"[A-Za-z0-9']+")
_POSTCODE_GLUE = re.compile(r"(?<![\d])(\d{5})(?=[A-Za-z]{3,})")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
_OCR_DIGITS = str.maketrans({"0": "O", "1": "L", "5": "S", "8": "B", "6": "G", "2": "Z"})
_LETTER_LIKE_DIGITS = "015862"
MIN_WORD_LENGTH = 5
MIN_CANDIDATE_COUNT = 5


@lru_cache(maxsize=1)
def lexicon() -> dict[str, int]:
    """Word → count, shipped as ``lexicon.json`` beside this module (built by tools/train_extractor.py)."""
    data = json.loads(
        resources.files("receiptflow.extract").joinpath("lexicon.json").read_text(encoding="utf-8")
    )
    words: dict[str, int] = data["words"]
    return words


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _ALPHABET}
    inserts = {a + c + b for a, b in splits for c in _ALPHABET}
    return deletes | swaps | replaces | inserts


def _with_case(word: str, like: str) -> str:
    if like.isupper() or not any(c.isalpha() for c in like):
        return word
    if like.islower():
        return word.lower()
    if like[:1].isupper() and like[1:].islower():
        return word.capitalize()
    return word


def correct_word(token: str) -> str:
    """``token`` or the known word it most likely is."""
    words = lexicon()
    upper = token.upper()
    if len(upper) < MIN_WORD_LENGTH or upper in words or upper.isdigit():
        return token
    # one digit may be an OCR'd letter (``5ELANGOR``); a digit no letter looks like (``UPTOWN3``) is printed
    digits = [c for c in upper if c.isdigit()]
    if len(digits) > 1 or (digits and digits[0] not in _LETTER_LIKE_DIGITS):
        return token
    letters = upper.translate(_OCR_DIGITS)
    if letters in words:
        return _with_case(letters, token)
    candidates = [w for w in _edits1(letters) if words.get(w, 0) >= MIN_CANDIDATE_COUNT]
    if not candidates:
        return token
    best = max(candidates, key=lambda w: (words[w], w))
    return _with_case(best, token)


_SPLIT_PAIR = re.compile(r"\b([A-Za-z]{2,}) (?=([A-Za-z]{2,})\b)")


def _join_split_words(text: str) -> str:
    """``BAK ERIES`` → ``BAKERIES``: two unknown pieces that together make a known word. Any known word
    will do (``SUL TAN`` → ``SULTAN``, seen 4 times): joining keeps every printed letter, so it is safer
    than a substitution (training: +1 on the downscaled reading, none broken)."""
    words = lexicon()

    def join(m: re.Match[str]) -> str:
        left, right = m.group(1).upper(), m.group(2).upper()
        if left + right in words and left not in words and right not in words:
            return m.group(1)
        return m.group(0)

    return _SPLIT_PAIR.sub(join, text)


def correct_text(text: str) -> str:
    """``text`` with unknown words repaired, words OCR split in two rejoined and postcodes unglued;
    other spacing and punctuation kept."""
    text = _join_split_words(_POSTCODE_GLUE.sub(r"\1 ", text))
    return _TOKEN.sub(lambda m: correct_word(m.group(0)), text)

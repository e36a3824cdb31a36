"""The fixed train/validation split of the shared SROIE training data.

Rule: among the keys that have an image, sort by ``sha256("receiptflow-val:" + key)`` (hex) and take the
first ``VAL_SIZE`` as validation. Everything else (the other keys with images, and every key without an
image) is training. The rule depends only on the key names, so it never changes with code or data order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

VAL_SIZE = 60
_SALT = "receiptflow-val:"


def _rank(key: str) -> str:
    return hashlib.sha256((_SALT + key).encode()).hexdigest()


def validation_keys(image_keys: Iterable[str], size: int = VAL_SIZE) -> frozenset[str]:
    """The validation keys among ``image_keys`` (keys that have an image)."""
    return frozenset(sorted(image_keys, key=_rank)[:size])


def select_keys(keys: Iterable[str], image_keys: Iterable[str], split: str) -> list[str]:
    """``keys`` filtered to ``split`` (all | val | train), sorted."""
    keys = sorted(keys)
    if split == "all":
        return keys
    val = validation_keys(image_keys)
    if split == "val":
        return [k for k in keys if k in val]
    if split == "train":
        return [k for k in keys if k not in val]
    raise ValueError(f"unknown split {split!r}; choose all, val or train")


FOLDS = 5
HELD_OUT_FOLD = 4
_FOLD_SALT = "receiptflow-fold:"


def fold_of(set_name: str, key: str) -> int:
    """The cross-validation fold (0..4) of ``key`` in the set ``set_name`` (``sroie`` or ``wild``):
    ``int(sha256("receiptflow-fold:{set}:{key}"), 16) % 5``. Folds 0-3 are for development, fold 4 is
    held out."""
    digest = hashlib.sha256(f"{_FOLD_SALT}{set_name}:{key}".encode()).hexdigest()
    return int(digest, 16) % FOLDS


def parse_folds(spec: str) -> frozenset[int]:
    """``"4"``, ``"0-3"`` or ``"0,2,3"`` as a set of folds; ValueError when out of 0..4."""
    folds: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        lo, sep, hi = part.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise ValueError(f"bad fold list {spec!r}: use e.g. 4, 0-3 or 0,2")
        first, last = int(lo), int(hi) if sep else int(lo)
        if not 0 <= first <= last < FOLDS:
            raise ValueError(f"folds run from 0 to {FOLDS - 1}, got {spec!r}")
        folds.update(range(first, last + 1))
    return frozenset(folds)


def set_name_of(folder_name: str) -> str:
    """The protocol's set name for a dataset folder: ``wild`` for WildReceipt folders, ``sroie`` for
    SROIE ones, else the folder name itself (lower case)."""
    name = folder_name.lower()
    if "wild" in name:
        return "wild"
    if "sroie" in name:
        return "sroie"
    return name

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

"""A labelled dataset folder: receipt images beside their ground-truth fields.

The shared layout is ``img/<key>.jpg`` + ``gt/<key>.json``. The other layouts SROIE-style data is
published in are read too: labels in ``gt/``, ``key/``, ``keys/``, ``entities/``, ``labels/`` or the
folder itself, as ``<key>.json`` or ``<key>.txt`` holding a JSON object with some of ``company``,
``date``, ``address``, ``total`` (WildReceipt's also ``date_iso`` and ``totals``); images in ``img/``,
``images/``, the label folder or the folder itself. A label file that is not such an object is not a
label (``box/`` text files, notes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from receiptflow.evaluation.scoring import Truth, truth_from_label

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".pdf")
LABEL_SUFFIXES = (".json", ".txt")
FIELDS = ("company", "date", "address", "total")
_IMAGE_DIRS = ("img", "images")
_LABEL_DIRS = ("gt", "key", "keys", "entities", "labels")


@dataclass(frozen=True)
class Sample:
    """One labelled receipt: its key, image path and ground-truth fields (``truth``: the four SROIE
    fields as text, ``""`` when absent; ``label``: everything the label gives, as scored)."""

    key: str
    image: Path
    truth: dict[str, str]
    label: Truth | None = None

    @property
    def scored(self) -> Truth:
        """The label as ``scoring.score`` reads it."""
        return self.label or truth_from_label(self.truth)


def _dirs(root: Path, names: tuple[str, ...]) -> list[Path]:
    return [root / n for n in names if (root / n).is_dir()] + [root]


def image_keys(root: Path) -> dict[str, Path]:
    """Image path by key for every image of the dataset (``img/`` first, then the other places)."""
    found: dict[str, Path] = {}
    for folder in _dirs(root, _IMAGE_DIRS) + [d for d in _dirs(root, _LABEL_DIRS) if d != root]:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                found.setdefault(path.stem, path)
    return found


def _read_label(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not any(f in data for f in FIELDS):
        return None
    return data


def labels(root: Path) -> dict[str, dict[str, Any]]:
    """Label objects by key (the first label folder that has a key wins)."""
    found: dict[str, dict[str, Any]] = {}
    for folder in _dirs(root, _LABEL_DIRS):
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in LABEL_SUFFIXES and path.stem not in found:
                truth = _read_label(path)
                if truth is not None:
                    found[path.stem] = truth
    return found


def load_samples(root: Path) -> list[Sample]:
    """Every key of ``root`` that has both an image and a ground truth, sorted by key."""
    images = image_keys(root)
    return [
        Sample(key, images[key], {f: str(data.get(f) or "") for f in FIELDS}, truth_from_label(data))
        for key, data in sorted(labels(root).items())
        if key in images
    ]

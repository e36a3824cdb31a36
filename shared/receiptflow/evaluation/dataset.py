"""A labelled dataset folder: ``img/<key>.jpg`` beside ``gt/<key>.json`` (the SROIE layout)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".pdf")


@dataclass(frozen=True)
class Sample:
    """One labelled receipt: its key, image path and ground-truth fields."""

    key: str
    image: Path
    truth: dict[str, str]


def _truth(data: dict[str, Any]) -> dict[str, str]:
    return {f: str(data.get(f) or "") for f in ("company", "date", "address", "total")}


def image_keys(root: Path) -> dict[str, Path]:
    """Image path by key for every image in ``root/img``."""
    img = root / "img"
    if not img.is_dir():
        return {}
    return {p.stem: p for p in sorted(img.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}


def load_samples(root: Path) -> list[Sample]:
    """Every key of ``root`` that has both an image and a ground truth, sorted by key."""
    images = image_keys(root)
    samples = []
    for gt_path in sorted((root / "gt").glob("*.json")):
        image = images.get(gt_path.stem)
        if image is not None:
            samples.append(
                Sample(gt_path.stem, image, _truth(json.loads(gt_path.read_text(encoding="utf-8"))))
            )
    return samples

"""Labelled dataset folders in the layouts SROIE-style data is published in."""

from __future__ import annotations

import json
from pathlib import Path

from receiptflow.evaluation.dataset import image_keys, load_samples

FIELDS = {"company": "ACME SDN BHD", "date": "01/02/2018", "address": "1 JALAN X", "total": "9.00"}


def _write(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def test_shared_layout_img_and_gt(tmp_path: Path) -> None:
    _write(tmp_path / "img" / "001.jpg", b"jpeg")
    _write(tmp_path / "gt" / "001.json", json.dumps({**FIELDS, "lines": []}))
    _write(tmp_path / "gt" / "002.json", json.dumps(FIELDS))  # no image: not a sample
    samples = load_samples(tmp_path)
    assert [(s.key, s.image.name, s.truth) for s in samples] == [("001", "001.jpg", FIELDS)]


def test_sroie_key_folder_with_txt_labels(tmp_path: Path) -> None:
    """The original release: ``img/X.jpg`` + ``key/X.txt`` holding JSON; ``box/`` text is not a label."""
    _write(tmp_path / "img" / "X51005200931.jpg", b"jpeg")
    _write(tmp_path / "key" / "X51005200931.txt", "\ufeff" + json.dumps({"company": "A", "total": "1.00"}))
    _write(tmp_path / "box" / "X51005200931.txt", "72,25,326,25,326,64,72,64,TAN WOON YANN\n")
    samples = load_samples(tmp_path)
    assert len(samples) == 1
    assert samples[0].truth == {"company": "A", "date": "", "address": "", "total": "1.00"}


def test_flat_folder_and_images_beside_labels(tmp_path: Path) -> None:
    _write(tmp_path / "a.png", b"png")
    _write(tmp_path / "a.json", json.dumps(FIELDS))
    _write(tmp_path / "notes.txt", "not a label")
    _write(tmp_path / "entities" / "b.txt", json.dumps(FIELDS))
    _write(tmp_path / "entities" / "b.jpg", b"jpeg")
    assert [s.key for s in load_samples(tmp_path)] == ["a", "b"]
    assert set(image_keys(tmp_path)) == {"a", "b"}

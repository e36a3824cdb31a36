"""Unit level: which files ``scan`` takes and how the batch is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from receiptflow.cli.scan import batch_id_for, collect_files


def test_folders_are_walked_recursively_skipping_hidden_folders_only(tmp_path: Path) -> None:
    for rel in (
        "a.jpg",
        "notes.txt",
        "sub/b.png",
        "sub/deeper/c.pdf",
        ".hidden.jpg",
        ".git/x.jpg",
        "sub/.d/y.jpg",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    files = collect_files([str(tmp_path)])
    # a dot-file is an item like any other (nothing vanishes); .git-style folders are not walked
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        ".hidden.jpg",
        "a.jpg",
        "notes.txt",
        "sub/b.png",
        "sub/deeper/c.pdf",
    ]
    # a file inside a hidden folder named explicitly is taken, and a file named twice counts once
    explicit = collect_files([str(tmp_path / ".git" / "x.jpg"), str(tmp_path), str(tmp_path / "a.jpg")])
    assert len(explicit) == 6 and explicit == sorted(explicit)


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        collect_files([str(tmp_path / "nope")])


def test_batch_identity_follows_files_provider_and_cache_mode(tmp_path: Path) -> None:
    files = [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    assert batch_id_for(files, "local") == batch_id_for(list(files), "local")
    assert batch_id_for(files, "local") != batch_id_for(files[:1], "local")
    assert batch_id_for(files, "local") != batch_id_for(files, "textract")
    assert batch_id_for(files, "local") != batch_id_for(files, "local", use_cache=False)

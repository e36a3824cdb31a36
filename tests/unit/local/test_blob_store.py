"""``FileBlobStore``: keys stay inside the root, writes are atomic, listing is by prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from receiptflow.adapters.embedded.blob_store import FileBlobStore
from receiptflow.errors import InvalidKeyError, NotFoundError


@pytest.fixture
def blobs(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


def test_put_get_exists_delete(blobs: FileBlobStore) -> None:
    blobs.put("t1/b1/a.jpg", b"abc", "image/jpeg")
    assert blobs.get("t1/b1/a.jpg") == b"abc"
    assert blobs.exists("t1/b1/a.jpg")
    blobs.put("t1/b1/a.jpg", b"new")
    assert blobs.get("t1/b1/a.jpg") == b"new"
    blobs.delete("t1/b1/a.jpg")
    blobs.delete("t1/b1/a.jpg")  # absent is fine
    assert not blobs.exists("t1/b1/a.jpg")
    with pytest.raises(NotFoundError):
        blobs.get("t1/b1/a.jpg")


def test_a_folder_is_not_a_blob(blobs: FileBlobStore) -> None:
    blobs.put("t1/b1/a.jpg", b"abc")
    assert not blobs.exists("t1/b1")
    with pytest.raises(NotFoundError):
        blobs.get("t1/b1")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../x.jpg",
        "a/../../x.jpg",
        "a/./b",
        "a//b",
        "a\\..\\b",
        "a/",
        "nul\x00.jpg",
        ".tmp-x",
    ],
)
def test_unsafe_keys_are_rejected_with_a_typed_error(blobs: FileBlobStore, key: str) -> None:
    for operation in (lambda: blobs.put(key, b"x"), lambda: blobs.get(key), lambda: blobs.exists(key)):
        with pytest.raises(InvalidKeyError) as raised:
            operation()
        assert raised.value.code == "invalid_key"
    assert not (blobs.root.parent / "x.jpg").exists()


def test_writes_leave_no_temp_files_even_when_they_fail(
    blobs: FileBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs.put("b/a.bin", b"1" * 1000)
    assert [p.name for p in (blobs.root / "b").iterdir()] == ["a.bin"]

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("receiptflow.adapters.embedded.blob_store.os.replace", broken_replace)
    with pytest.raises(OSError):
        blobs.put("b/a.bin", b"2" * 1000)
    assert [p.name for p in (blobs.root / "b").iterdir()] == ["a.bin"]
    assert blobs.get("b/a.bin") == b"1" * 1000  # the old object is intact


def test_list_keys_by_prefix_sorted(blobs: FileBlobStore) -> None:
    for key in ("t1/b2/z.jpg", "t1/b1/a.jpg", "t1/b10/c.jpg", "t2/b1/a.jpg", "top.txt"):
        blobs.put(key, b"x")
    assert blobs.list_keys("t1/b1/") == ["t1/b1/a.jpg"]
    assert blobs.list_keys("t1/b1") == ["t1/b1/a.jpg", "t1/b10/c.jpg"]
    assert blobs.list_keys("t1/") == ["t1/b1/a.jpg", "t1/b10/c.jpg", "t1/b2/z.jpg"]
    assert blobs.list_keys("") == ["t1/b1/a.jpg", "t1/b10/c.jpg", "t1/b2/z.jpg", "t2/b1/a.jpg", "top.txt"]
    assert blobs.list_keys("nothing/") == []

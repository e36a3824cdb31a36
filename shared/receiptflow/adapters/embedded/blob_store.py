"""``BlobStore`` on the filesystem: ``/``-separated keys under one root, atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from receiptflow.errors import InvalidKeyError, NotFoundError

_TMP_PREFIX = ".tmp-"


def check_key(key: str) -> tuple[str, ...]:
    """The key's parts; ``InvalidKeyError`` for empty, absolute, backslashed or traversing keys."""
    if not key or "\x00" in key or "\\" in key or key.startswith("/"):
        raise InvalidKeyError(f"invalid blob key {key!r}")
    parts = tuple(key.split("/"))
    if any(p in ("", ".", "..") or p.startswith(_TMP_PREFIX) for p in parts):
        raise InvalidKeyError(f"invalid blob key {key!r}")
    return parts


class FileBlobStore:
    """``ports.BlobStore`` rooted at ``root``. Writes go to a temp file in the target folder and are
    renamed into place, so a reader (or a crash) never sees half a file. The content type is not kept."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` (validated, always inside the root)."""
        return self.root.joinpath(*check_key(key))

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store ``data`` under ``key`` atomically (overwrites)."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        """Bytes under ``key``; ``NotFoundError`` when absent."""
        try:
            return self.path_for(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
            raise NotFoundError(f"blob {key!r} not found") from e

    def exists(self, key: str) -> bool:
        """True when ``key`` holds an object."""
        return self.path_for(key).is_file()

    def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are fine."""
        path = self.path_for(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def list_keys(self, prefix: str) -> list[str]:
        """All keys under ``prefix`` (a plain string prefix of the key), sorted."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.path_for(folder) if folder else self.root
        if not start.is_dir():
            return []
        keys = []
        for dirpath, _dirs, files in os.walk(start):
            rel = Path(dirpath).relative_to(self.root).parts
            for name in files:
                if name.startswith(_TMP_PREFIX):
                    continue
                key = "/".join((*rel, name))
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

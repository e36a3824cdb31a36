"""Reading a file named by a path safely: only regular files, never blocking, never past a size limit."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from urllib.parse import unquote_to_bytes

from receiptflow.errors import FileReadError, NotRegularFileError, TooLargeError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC
_CHUNK = 1 << 20
# A blob key naming a file whose path is not valid UTF-8: ``fs:`` + the path's bytes, percent-encoded.
FS_BYTES_PREFIX = "fs:"


def path_from_key(key: str) -> Path | None:
    """The filesystem path an item's blob key names (an absolute path, or ``fs:`` + encoded bytes);
    None for a key in a blob store."""
    if key.startswith(FS_BYTES_PREFIX):
        return Path(os.fsdecode(unquote_to_bytes(key[len(FS_BYTES_PREFIX) :])))
    path = Path(key)
    return path if path.is_absolute() else None


def file_kind(mode: int) -> str:
    """A human name for the file type in ``st_mode``."""
    for test, name in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "a special file"


def read_regular_file(path: Path, source: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path``.

    The path is ``lstat``-ed first (a device or FIFO is never opened, not even to look), then opened
    with ``O_NONBLOCK | O_NOFOLLOW`` and checked again on the descriptor, so a file swapped for a FIFO,
    a socket or a symlink meanwhile is refused instead of blocking or being followed. Raises
    ``NotRegularFileError`` for anything but a regular file, ``TooLargeError`` past ``max_bytes``
    (also when it grows while being read), ``FileReadError`` when it is missing or unreadable."""
    try:
        before = os.lstat(path)
        if not stat.S_ISREG(before.st_mode):
            raise NotRegularFileError(f"{file_kind(before.st_mode)}, not a regular file")
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENXIO):  # swapped for a symlink or a socket since the lstat
            raise NotRegularFileError("no longer a regular file") from e
        raise FileReadError(f"{source}: {e.strerror or e}") from e
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            raise NotRegularFileError(f"{file_kind(opened.st_mode)}, not a regular file")
        if opened.st_size > max_bytes:
            raise TooLargeError(f"{opened.st_size} bytes is over the {max_bytes} byte limit")
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise TooLargeError(f"over the {max_bytes} byte limit (it grew while being read)")
        return b"".join(chunks)
    except OSError as e:
        raise FileReadError(f"{source}: {e.strerror or e}") from e
    finally:
        os.close(fd)

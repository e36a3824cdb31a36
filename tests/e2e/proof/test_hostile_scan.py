"""End to end through ``receiptflow scan``: every directory entry is a row or a counted skip, names are
printed as text (never markup, never terminal escapes), usage errors are one line and exit 2, and a
file swapped for a FIFO while the batch runs cannot block it."""

from __future__ import annotations

import os
import random
import shutil
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from receiptflow.cli.text import safe
from receiptflow.models import ScanResult

from tests.support.hostile import nasty_names
from tests.support.known_receipts import write_receipts
from tests.support.scanning import SCAN_TIMEOUT_S, clean_env, scan_cmd

pytestmark = pytest.mark.e2e

ENV = clean_env(RECEIPTFLOW_PROVIDER="local", COLUMNS="400")


def _scan(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        scan_cmd(*args),
        env=ENV,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SCAN_TIMEOUT_S,
        errors="replace",
    )


def _rows(out: Path) -> dict[str, str | None]:
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    assert len({r.source for r in rows}) == len(rows)
    return {r.source: r.error.code if r.error else None for r in rows}


def _hostile_folder(root: Path, rng: random.Random) -> tuple[dict[str, str | None], int]:
    """Generated entries of every kind under ``root/in``: relative path -> expected code (None = ok),
    and how many skips the summary must count."""
    folder, outside = root / "in", root / "outside"
    good = write_receipts(folder / "docs", 2)
    (outside / "sub").mkdir(parents=True)
    shutil.copy(folder / "docs" / next(iter(good)), outside / "secret.png")
    expected: dict[str, str | None] = {f"docs/{name}": None for name in good}
    skips = 0
    for n in range(rng.randint(2, 4)):  # dangling links, relative and absolute
        missing = f"missing{n}.jpg" if n % 2 else str(root / f"gone{n}" / "x.jpg")
        (folder / f"dangling{n}.jpg").symlink_to(missing)
        expected[f"dangling{n}.jpg"] = "dangling_symlink"
    for n in range(1, rng.randint(2, 4) + 1):  # loops of length n
        names = [f"loop{n}_{k}" for k in range(n)]
        for k, name in enumerate(names):
            (folder / name).symlink_to(names[(k + 1) % n])
            expected[name] = "symlink_loop"
    for link, target in (
        ("out_file.png", outside / "secret.png"),
        ("out_dir", outside / "sub"),
        ("etc", Path("/etc")),
    ):
        (folder / link).symlink_to(target)
        expected[link] = "symlink_outside_root"
    (folder / "docs" / "up").symlink_to("../../outside")
    expected["docs/up"] = "symlink_outside_root"
    (folder / "inside_link.png").symlink_to(Path("docs") / next(iter(good)))
    expected["inside_link.png"] = None  # followed: its target is inside the folder
    (folder / "docs_again").symlink_to("docs")
    skips += 1  # a link to a folder already walked
    for n in range(rng.randint(1, 3)):
        os.mkfifo(folder / f"pipe{n}.jpg")
        expected[f"pipe{n}.jpg"] = "not_a_regular_file"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.jpg"))
    server.close()
    expected["sock.jpg"] = "not_a_regular_file"
    if os.geteuid() == 0:  # device files need root
        os.mknod(folder / "zero.jpg", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        expected["zero.jpg"] = "not_a_regular_file"
    (folder / "fifo_link.jpg").symlink_to("pipe0.jpg")
    expected["fifo_link.jpg"] = "not_a_regular_file"
    for hidden in (".git", ".cache"):
        (folder / hidden).mkdir()
        (folder / hidden / "x.jpg").write_bytes(b"hidden")
        skips += 1
    return expected, skips


def test_every_directory_entry_is_a_row_or_a_counted_skip(tmp_path: Path) -> None:
    # GIVEN generated folders holding links (dangling, loops, outside, inside), FIFOs, sockets, devices
    for seed in (1, 2):
        root = tmp_path / f"case{seed}"
        expected, skips = _hostile_folder(root, random.Random(seed))
        out = root / "out.jsonl"
        # WHEN the folder is scanned
        proc = _scan(
            root / "in",
            "--data-dir",
            root / "data",
            "--workers",
            "1",
            "--out",
            out,
            "--quiet",
            cwd=root / "in",
        )
        # THEN the batch completes with exactly one typed row per entry, and the summary counts the skips
        assert proc.returncode == 0, proc.stderr
        assert _rows(out) == expected
        assert f"{skips} skipped" in proc.stdout


def test_names_are_printed_as_text_never_markup_or_escapes(tmp_path: Path) -> None:
    # GIVEN receipts saved under generated names full of markup, escape sequences and bidi controls
    folder = tmp_path / "in"
    (source,) = write_receipts(tmp_path / "one", 1)
    names = [*nasty_names(30), "a[/b].jpg", "[red]x[/red].png", "[/]"]  # "/" makes a folder: a[ / b].jpg
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "one" / source, folder / name)
    out = tmp_path / "out.csv"
    # WHEN they are scanned with the summary table
    proc = _scan(folder, "--data-dir", tmp_path / "data", "--workers", "1", "--out", out, cwd=tmp_path)
    # THEN the scan completes and nothing reached the terminal raw
    assert proc.returncode == 0, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        assert not any(ch in stream for ch in "\x1b\x07\x7f\u202e\u2066\r"), repr(stream[:500])
        assert "Traceback" not in stream
    # AND every name is shown, in its escaped form
    for name in names:
        assert safe(name) in proc.stdout, name
    assert out.read_text().count("\n") == len(names) + 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--out", "{tmp}"), "is a folder"),
        (("--out", "{tmp}/file.txt/out.csv"), "not a folder"),
        (("--workers", "0"), "--workers"),
        (("--workers", "-3"), "--workers"),
        (("{tmp}/no\x1b[31msuch",), "no such file"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    write_receipts(tmp_path / "in", 1)
    argv = [a.format(tmp=tmp_path) for a in args]
    paths = [] if argv[0].startswith(str(tmp_path)) else [str(tmp_path / "in")]
    proc = _scan(*paths, *argv, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "\x1b" not in lines[0], proc.stderr
    assert not list(tmp_path.rglob(".*.tmp"))  # no temp file left behind


def test_a_file_swapped_for_a_fifo_mid_batch_cannot_block_it(tmp_path: Path) -> None:
    # GIVEN a folder of receipts; WHILE it is scanned, files are replaced by FIFOs one by one
    folder = tmp_path / "in"
    names = sorted(write_receipts(folder, 8))
    stop = threading.Event()

    def swap() -> None:
        for name in reversed(names[2:]):
            if stop.wait(0.3):
                return
            fifo = folder / f".swap-{name}"
            os.mkfifo(fifo)
            os.replace(fifo, folder / name)

    swapper = threading.Thread(target=swap)
    out = tmp_path / "out.jsonl"
    swapper.start()
    try:
        proc = _scan(
            folder, "--data-dir", tmp_path / "data", "--workers", "2", "--out", out, "--quiet", cwd=tmp_path
        )
    finally:
        stop.set()
        swapper.join()
    # THEN the batch completed (no open() blocked) with one row per file: read, or refused as a FIFO
    assert proc.returncode == 0, proc.stderr
    rows = _rows(out)
    assert sorted(Path(s).name for s in rows) == names
    assert set(rows.values()) <= {None, "not_a_regular_file"}
    assert all(rows[f"in/{name}"] is None for name in names[:2])


def _without_root_file_access() -> list[str]:
    """A command prefix under which permission bits apply (root reads everything otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits cannot be tested")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_unreadable_folders_and_files_are_rows(tmp_path: Path) -> None:
    # GIVEN a folder with a readable receipt, a file nobody may read and folders nobody may list
    folder = tmp_path / "in"
    (good,) = write_receipts(folder, 1)
    expected: dict[str, str | None] = {f"in/{good}": None}
    shutil.copy(folder / good, folder / "secret.png")
    (folder / "secret.png").chmod(0)
    expected["in/secret.png"] = "file_unreadable"
    for name in ("locked", "deeper/locked too"):
        locked = folder / name
        locked.mkdir(parents=True)
        shutil.copy(folder / good, locked / "hidden_inside.png")
        locked.chmod(0)
        expected[f"in/{name}"] = "folder_unreadable"
    out = tmp_path / "out.jsonl"
    try:
        # WHEN it is scanned where permission bits apply
        proc = subprocess.run(
            [
                *_without_root_file_access(),
                *scan_cmd(folder, "--data-dir", tmp_path / "data", "--out", out, "--quiet"),
            ],
            env=ENV,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=SCAN_TIMEOUT_S,
        )
    finally:
        for name in ("locked", "deeper/locked too"):
            (folder / name).chmod(0o755)
    # THEN each is a row with its typed error and the batch completed
    assert proc.returncode == 0, proc.stderr
    assert _rows(out) == expected

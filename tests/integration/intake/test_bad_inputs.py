"""Functional: the whole bad-input corpus through ``load_document`` — every file gets its typed outcome."""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from receiptflow.errors import IntakeError
from receiptflow.intake import load_document
from receiptflow.settings import Settings

from tests.support.bad_inputs import TRAVERSAL_NAME, make_bad_inputs, png_bomb

pytestmark = pytest.mark.filterwarnings("error")  # no Pillow/PDFium warning may leak

# Native (Pillow, libjpeg, PDFium) memory is invisible to tracemalloc, so the bomb's bound is also
# checked as the peak RSS of a fresh process against one that only imports the package. VmHWM, not
# ru_maxrss: Linux carries ru_maxrss over from the forking parent (here the test runner itself).
_PEAK_RSS_SCRIPT = """
import sys
from pathlib import Path
from receiptflow.errors import IntakeError
from receiptflow.intake import load_document
from receiptflow.settings import Settings
data = Path(sys.argv[1]).read_bytes() if len(sys.argv) > 1 else None
if data is not None:
    try:
        load_document(data, settings=Settings())
    except IntakeError as error:
        print(error.code, end=" ")
status = Path("/proc/self/status").read_text()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("bad-inputs")
    return folder, make_bad_inputs(folder)


def _outcome(data: bytes, settings: Settings) -> str:
    try:
        load_document(data, settings=settings)
    except IntakeError as error:
        return error.code
    return "ok"


def test_corpus_has_at_least_twenty_kinds(corpus: tuple[Path, dict[str, str]]) -> None:
    folder, expected = corpus
    assert len(expected) >= 20
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected)
    assert {"ok", "empty_file", "corrupt_image", "too_many_pixels", "encrypted_document"} <= set(
        expected.values()
    )


def test_every_file_gets_its_expected_outcome(
    corpus: tuple[Path, dict[str, str]], settings: Settings
) -> None:
    folder, expected = corpus
    actual = {name: _outcome((folder / name).read_bytes(), settings) for name in expected}
    assert actual == expected


def test_outcomes_are_the_same_under_concurrency(
    corpus: tuple[Path, dict[str, str]], settings: Settings
) -> None:
    # GIVEN the corpus loaded sequentially (PDFium is not thread-safe; Pillow images are per call)
    folder, expected = corpus
    names = [n for n in expected if not n.startswith(("large_photo", "oversize"))] * 3
    blobs = {name: (folder / name).read_bytes() for name in set(names)}

    def digest(name: str) -> str:
        try:
            return load_document(blobs[name], settings=settings).sha256
        except IntakeError as error:
            return error.code

    sequential = {name: digest(name) for name in blobs}
    # WHEN four threads load the same files at once THEN every result matches
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(digest, names))
    assert concurrent == [sequential[name] for name in names]


def test_duplicates_share_a_content_hash(corpus: tuple[Path, dict[str, str]], settings: Settings) -> None:
    folder, _ = corpus
    original = load_document((folder / "receipt.jpg").read_bytes(), settings=settings)
    duplicate = load_document((folder / "duplicate_of_receipt.jpg").read_bytes(), settings=settings)
    assert original.sha256 == duplicate.sha256
    assert original.source_sha256 == duplicate.source_sha256


def test_odd_file_name_is_just_a_name(corpus: tuple[Path, dict[str, str]]) -> None:
    folder, expected = corpus
    assert (folder / TRAVERSAL_NAME).is_file()
    assert (folder / TRAVERSAL_NAME).resolve().parent == folder.resolve()
    assert expected[TRAVERSAL_NAME] == "ok"


def test_bomb_is_rejected_fast_with_tiny_python_memory(settings: Settings) -> None:
    data = png_bomb()  # 50,000 x 50,000 pixels in ~300 KB
    tracemalloc.start()
    started = time.perf_counter()
    try:
        assert _outcome(data, settings) == "too_many_pixels"
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 2 * 1024 * 1024


def _peak_rss_kb(*args: str) -> tuple[str, int]:
    if not Path("/proc/self/status").is_file():
        pytest.skip("peak RSS is read from /proc (Linux)")
    out = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS_SCRIPT, *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    return (out[0] if len(out) == 2 else "ok"), int(out[-1])


def test_bomb_peak_rss_is_bounded(corpus: tuple[Path, dict[str, str]]) -> None:
    folder, _ = corpus
    _, baseline = _peak_rss_kb()
    code, peak = _peak_rss_kb(str(folder / "bomb_50000x50000.png"))
    assert code == "too_many_pixels"
    assert peak - baseline < 32 * 1024  # decoding it would need ~2.5 GB


def test_thirty_megabyte_photo_peak_rss_is_bounded(corpus: tuple[Path, dict[str, str]]) -> None:
    folder, _ = corpus
    _, baseline = _peak_rss_kb()
    code, peak = _peak_rss_kb(str(folder / "large_photo_30mb.jpg"))
    assert code == "ok"
    assert peak - baseline < 400 * 1024

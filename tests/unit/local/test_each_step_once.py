"""Issue 16: the local pool reads, hashes and asks the cache for a file's hash once, in the parent; the
worker takes that hash, decodes once, and asks the cache only about the normalised image, unless the file
changed after the parent read it.

The parent's step (``ParentPreparer``) and the worker's (``init_worker`` + ``scan_task``) run in this
process on a real SQLite cache; the provider is Textract behind a botocore ``Stubber`` with a recorded
AnalyzeExpense response (one queued response: a second provider call would fail the test)."""

from __future__ import annotations

import hashlib
import io
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from botocore.stub import Stubber
from PIL import Image, ImageDraw
from receiptflow.adapters.aws.textract import TextractProvider
from receiptflow.adapters.embedded.cache import SqliteResultCache
from receiptflow.intake import load_document
from receiptflow.models import BatchItem, ScanResult
from receiptflow.ports import PoolTask, ResultCache
from receiptflow.scanning import worker
from receiptflow.scanning.scanner import Scanner, result_cache_key, source_cache_key
from receiptflow.scanning.worker import ParentPreparer, init_worker
from receiptflow.settings import Settings

from tests.support.textract import MEGA_MARKET, analyze_expense_output, load_fixture, new_client

if TYPE_CHECKING:
    from mypy_boto3_textract import TextractClient


class AskedCache(SqliteResultCache):
    """The real SQLite cache, remembering every key it was asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked: list[str] = []

    def get(self, key: str) -> ScanResult | None:
        self.asked.append(key)
        return super().get(key)


def receipt_jpeg(text: str) -> bytes:
    """A small receipt-like JPEG that intake passes through as it is."""
    image = Image.new("RGB", (320, 480), "white")
    ImageDraw.Draw(image).text((10, 10), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def client(shared_dir: Path) -> Iterator[TextractClient]:
    """A Textract client answering ONE AnalyzeExpense call with the recorded MEGA MARKET receipt."""
    client = new_client()
    with Stubber(client) as stub:
        stub.add_response(
            "analyze_expense", analyze_expense_output(client, load_fixture(shared_dir, MEGA_MARKET))
        )
        yield client
        stub.assert_no_pending_responses()


@pytest.fixture
def cache(tmp_path: Path) -> AskedCache:
    return AskedCache(tmp_path / "cache.sqlite3")


@pytest.fixture
def worker_ready(
    settings: Settings, cache: AskedCache, client: TextractClient, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """This process set up as a pool worker whose scanner reads with the stubbed Textract client."""

    def build(name: str, settings: Settings, cache: ResultCache | None) -> Scanner:
        return Scanner(TextractProvider(settings, client_factory=lambda: client), cache, settings)

    monkeypatch.setattr(worker, "_state", None)
    handler = signal.getsignal(signal.SIGINT)
    init_worker(settings, cache, None, build)
    yield
    signal.signal(signal.SIGINT, handler)


def prepare(settings: Settings, cache: AskedCache, path: Path) -> PoolTask:
    item = BatchItem(batch_id="b", item_id="0", source=path.name, blob_key=str(path))
    task = ParentPreparer(settings, cache, None)(item, "textract", True)
    assert isinstance(task, PoolTask), "a cache miss goes to a worker"
    return task


def run(task: PoolTask) -> ScanResult:
    return ScanResult.model_validate_json(task.fn(*task.args))


def test_the_worker_takes_the_parents_hash_and_asks_only_about_the_normalised_image(
    tmp_path: Path, settings: Settings, cache: AskedCache, worker_ready: None
) -> None:
    # GIVEN a receipt file the parent has read, hashed and looked up (a miss)
    path = tmp_path / "receipt.jpg"
    path.write_bytes(data := receipt_jpeg("SHOP TOTAL 12.34"))
    sha = hashlib.sha256(data).hexdigest()
    task = prepare(settings, cache, path)
    assert task.key == sha
    assert cache.asked == [source_cache_key(sha, "textract")]
    # WHEN a worker scans it
    result = run(task)
    # THEN it is read by the provider once, under the parent's hash, and the worker asked the cache only
    # about the normalised image (this pass-through JPEG's pages hash differently from the file)
    normalised = result_cache_key(load_document(data, settings=settings).sha256, "textract")
    assert result.ok and result.sha256 == sha and not result.cached
    assert cache.asked == [source_cache_key(sha, "textract"), normalised]
    # AND both keys answer the next time
    assert cache.get(source_cache_key(sha, "textract")) is not None
    assert cache.get(normalised) is not None


def test_a_file_changed_after_the_parent_read_it_is_hashed_and_looked_up_again(
    tmp_path: Path, settings: Settings, cache: AskedCache, worker_ready: None
) -> None:
    # GIVEN the parent read and hashed a file
    path = tmp_path / "receipt.jpg"
    path.write_bytes(receipt_jpeg("FIRST SHOP 1.00"))
    task = prepare(settings, cache, path)
    # WHEN the file is replaced by another receipt before the worker reads it
    path.write_bytes(changed := receipt_jpeg("OTHER SHOP 99.00"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    result = run(task)
    # THEN the result is filed under the bytes the worker read, never under the parent's stale hash
    new_sha = hashlib.sha256(changed).hexdigest()
    assert result.ok and result.sha256 == new_sha
    assert source_cache_key(new_sha, "textract") in cache.asked
    assert cache.get(source_cache_key(task.key, "textract")) is None


def test_a_vouched_hash_is_taken_as_given(
    settings: Settings, cache: AskedCache, client: TextractClient
) -> None:
    # GIVEN a scanner and a caller that hashed the file and asked the cache itself
    scanner = Scanner(TextractProvider(settings, client_factory=lambda: client), cache, settings)
    data = receipt_jpeg("SHOP TOTAL 5.00")
    vouched = "ab" * 32
    # WHEN it scans with that hash
    result = scanner.process(data, "r.jpg", source_sha256=vouched)
    # THEN the hash is not computed again, nor the file's key read; the result is stored under both keys
    assert result.sha256 == vouched
    assert cache.asked == [result_cache_key(load_document(data, settings=settings).sha256, "textract")]
    assert cache.get(source_cache_key(vouched, "textract")) is not None

"""``Scanner`` on real images with the real local provider, real intake and a real SQLite cache."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from receiptflow.adapters.embedded.cache import SqliteResultCache
from receiptflow.adapters.ocr.provider import LocalProvider
from receiptflow.document import Document
from receiptflow.errors import EmptyFileError, ProviderThrottledError, UnsupportedTypeError
from receiptflow.intake import load_document
from receiptflow.models import ScanResult, ScanStatus
from receiptflow.ports import ProviderOutput
from receiptflow.scanning.scanner import Scanner, result_cache_key, source_cache_key
from receiptflow.settings import Settings

from tests.support.clock import FakeClock
from tests.support.known_receipts import RECEIPTS, render


class CountingProvider:
    """The real local provider, counting how often it is asked (so cache hits can be proven)."""

    def __init__(self, settings: Settings) -> None:
        self.inner = LocalProvider(settings)
        self.name = self.inner.name
        self.calls = 0

    def analyze(self, doc: Document) -> ProviderOutput:
        self.calls += 1
        return self.inner.analyze(doc)


class RaisingProvider:
    """A provider that fails the way a broken one would."""

    name = "broken"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def analyze(self, doc: Document) -> ProviderOutput:
        raise self.error


@pytest.fixture
def provider(settings: Settings) -> CountingProvider:
    return CountingProvider(settings)


def test_the_recorded_fixture_receipt_scans_into_a_checked_record(
    shared_dir: Path, settings: Settings, provider: CountingProvider, db_path: Path
) -> None:
    data = (shared_dir / "fixtures/textract/textractor__receipt.jpg").read_bytes()
    result = Scanner(provider, SqliteResultCache(db_path), settings).process(data, "receipt.jpg")
    assert result.status is ScanStatus.OK and result.receipt is not None
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert (result.provider, result.cached, result.attempts, result.providers_tried) == (
        "local",
        False,
        1,
        ["local"],
    )
    assert result.receipt.total.value is not None
    assert result.receipt.raw_text
    assert result.receipt.checks, "check_receipt ran"
    assert result.duration_ms > 0


def test_rendered_receipts_give_their_known_fields(settings: Settings, provider: CountingProvider) -> None:
    scanner = Scanner(provider, None, settings)
    for known in RECEIPTS[:2]:
        result = scanner.process(render(known), f"{known.vendor}.jpg")
        assert result.receipt is not None
        assert result.receipt.vendor_name.value == known.vendor
        assert str(result.receipt.date.value) == known.date
        assert result.receipt.total.value == known.total


def test_sroie_scans_are_ok(shared_dir: Path, settings: Settings, provider: CountingProvider) -> None:
    scanner = Scanner(provider, None, settings)
    images = sorted((shared_dir / "data/sroie-train/img").glob("*.jpg"))[:2]
    if not images:
        pytest.skip("no SROIE images")
    for image in images:
        result = scanner.scan(image.read_bytes(), image.name)
        assert result.status is ScanStatus.OK, result.error
        assert result.receipt is not None and result.receipt.total.value is not None


def test_a_repeat_is_served_from_the_cache_without_the_provider(
    settings: Settings, provider: CountingProvider, db_path: Path
) -> None:
    # GIVEN one scan of a receipt
    data = render(RECEIPTS[0])
    scanner = Scanner(provider, SqliteResultCache(db_path), settings)
    first = scanner.process(data, "a.jpg")
    # WHEN the same bytes come again under another name, from a scanner in another "process"
    again = Scanner(provider, SqliteResultCache(db_path), settings).process(data, "copy/a.jpg")
    # THEN the provider is not asked again; the stored record is served as this file's result
    assert provider.calls == 1
    assert again.cached and not first.cached
    assert (again.source, again.attempts, again.cost_usd) == ("copy/a.jpg", 0, 0.0)
    assert again.receipt == first.receipt


def test_the_normalised_image_key_is_consulted(
    settings: Settings, provider: CountingProvider, db_path: Path
) -> None:
    data = render(RECEIPTS[1])
    doc = load_document(data, settings=settings)
    cache = SqliteResultCache(db_path)
    planted = ScanResult(source="elsewhere.jpg", sha256="0" * 64, status=ScanStatus.OK, provider="local")
    cache.put(result_cache_key(doc.sha256, "local"), planted, ttl_seconds=100)
    served = Scanner(provider, cache, settings).process(data, "b.jpg")
    assert provider.calls == 0
    assert served.cached and (served.source, served.sha256) == ("b.jpg", doc.source_sha256)
    assert cache.get(source_cache_key(doc.source_sha256, "local")) is not None  # alias written


def test_expired_entries_are_rescanned(settings: Settings, provider: CountingProvider, db_path: Path) -> None:
    clock = FakeClock()
    scanner = Scanner(provider, SqliteResultCache(db_path, clock=clock), settings)
    data = render(RECEIPTS[2])
    scanner.process(data, "c.jpg")
    clock.advance(settings.cache_ttl_seconds + 1)
    again = scanner.process(data, "c.jpg")
    assert provider.calls == 2 and not again.cached


def test_use_cache_false_rescans_and_refreshes(
    settings: Settings, provider: CountingProvider, db_path: Path
) -> None:
    scanner = Scanner(provider, SqliteResultCache(db_path), settings)
    data = render(RECEIPTS[3])
    scanner.process(data, "d.jpg")
    fresh = scanner.process(data, "d.jpg", use_cache=False)
    assert provider.calls == 2 and not fresh.cached
    assert scanner.process(data, "d.jpg").cached


def test_process_raises_typed_errors_and_scan_turns_them_into_rows(settings: Settings) -> None:
    scanner = Scanner(LocalProvider(settings), None, settings)
    with pytest.raises(EmptyFileError):
        scanner.process(b"", "empty.jpg")
    with pytest.raises(UnsupportedTypeError):
        scanner.process(b"just some text\n", "note.txt")
    truncated = render(RECEIPTS[0])[:300]
    rows = {
        "empty.jpg": scanner.scan(b"", "empty.jpg"),
        "note.txt": scanner.scan(b"just some text\n", "note.txt"),
        "truncated.jpg": scanner.scan(truncated, "truncated.jpg"),
    }
    codes = {name: r.error.code if r.error else None for name, r in rows.items()}
    assert codes == {
        "empty.jpg": "empty_file",
        "note.txt": "unsupported_type",
        "truncated.jpg": "corrupt_image",
    }
    assert all(r.status is ScanStatus.ERROR and not r.error.retryable for r in rows.values() if r.error)
    assert rows["note.txt"].sha256 == hashlib.sha256(b"just some text\n").hexdigest()


def test_provider_errors_keep_their_code_and_unexpected_ones_become_internal(settings: Settings) -> None:
    data = render(RECEIPTS[0])
    throttled = Scanner(
        RaisingProvider(ProviderThrottledError("slow down", provider="textract")), None, settings
    )
    with pytest.raises(ProviderThrottledError):
        throttled.process(data, "a.jpg")
    row = throttled.scan(data, "a.jpg")
    assert row.error is not None
    assert (row.error.code, row.error.retryable, row.provider) == ("provider_throttled", True, "textract")

    crashed = Scanner(RaisingProvider(ZeroDivisionError("division by zero")), None, settings).scan(
        data, "a.jpg"
    )
    assert crashed.error is not None
    assert crashed.error.code == "internal_error"
    assert crashed.error.message == "ZeroDivisionError: division by zero"


def test_a_failed_chain_keeps_its_accounting_on_the_error_row(settings: Settings) -> None:
    # GIVEN a chain that gave up after three calls to two providers, having spent money
    error = ProviderThrottledError("every provider throttled", provider="openai")
    error.attempts, error.providers_tried, error.cost_usd = 3, ["textract", "openai"], 0.012
    # WHEN the pipeline turns it into a row
    row = Scanner(RaisingProvider(error), None, settings).scan(render(RECEIPTS[0]), "a.jpg")
    # THEN the row says what was tried and spent
    assert (row.attempts, row.providers_tried, row.cost_usd) == (3, ["textract", "openai"], 0.012)


def test_only_ok_results_are_cached(settings: Settings, db_path: Path) -> None:
    cache = SqliteResultCache(db_path)
    data = render(RECEIPTS[0])
    Scanner(RaisingProvider(ProviderThrottledError("x")), cache, settings).scan(data, "a.jpg")
    assert cache.get(source_cache_key(hashlib.sha256(data).hexdigest(), "broken")) is None


def test_money_is_decimal(settings: Settings, provider: CountingProvider) -> None:
    result = Scanner(provider, None, settings).process(render(RECEIPTS[0]), "a.jpg")
    assert result.receipt is not None and isinstance(result.receipt.total.value, Decimal)


def test_a_locked_cache_does_not_fail_a_finished_scan(
    settings: Settings, provider: CountingProvider, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from receiptflow.adapters.embedded import sqlite_db

    # GIVEN a cache whose database another connection keeps locked for writing
    monkeypatch.setattr(sqlite_db, "BUSY_TIMEOUT_MS", 10)
    monkeypatch.setattr(sqlite_db, "BUSY_RETRIES", 1)
    cache = SqliteResultCache(db_path)
    cache.purge_expired()  # creates the schema
    cache.db.close()
    holder = sqlite3.connect(str(db_path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # WHEN a receipt is scanned
        result = Scanner(provider, cache, settings).process(render(RECEIPTS[0]), "a.jpg")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # THEN the scan succeeds (the provider is not asked twice), only the caching was skipped
    assert result.status is ScanStatus.OK and provider.calls == 1
    assert cache.get(source_cache_key(hashlib.sha256(render(RECEIPTS[0])).hexdigest(), "local")) is None

"""The core: one image in, one checked ``ScanResult`` out.

intake (detect by content, limits, normalise, hash) → cache → provider → checks → cache put. The Lambda
scan handler calls :meth:`Scanner.process` (typed errors propagate, so Step Functions can Retry/Catch by
class name); the local runner calls :meth:`Scanner.scan`, which turns every per-item problem into an
error row so the batch goes on.

Two cache keys point at one result: the normalised-image key from the design
(``sha256(normalised pages):provider:extractor version``) and an alias on the file's own SHA-256, so a
repeat of the same file is answered by hashing and one read, without decoding the image. A caller that
has hashed the file and asked the cache for that alias already (the local pool's parent process) passes
the hash in, and neither is done again.
"""

from __future__ import annotations

import hashlib
import logging
import time

from receiptflow.deadline import Deadline, current_deadline, earliest
from receiptflow.document import BlobRef
from receiptflow.errors import StoreUnavailableError
from receiptflow.extract import EXTRACTOR_VERSION
from receiptflow.intake.limits import out_of_memory
from receiptflow.models import ScanResult, ScanStatus, error_result
from receiptflow.ports import Provider, ResultCache
from receiptflow.providers.chain import ProviderChain
from receiptflow.settings import Settings

logger = logging.getLogger(__name__)


def result_cache_key(doc_sha256: str, provider_name: str) -> str:
    """Cache key of a normalised document for one provider and extractor version."""
    return f"{doc_sha256}:{provider_name}:{EXTRACTOR_VERSION}"


def source_cache_key(source_sha256: str, provider_name: str) -> str:
    """Cache key of the file as received (an alias of :func:`result_cache_key`'s entry)."""
    return f"src:{source_sha256}:{provider_name}:{EXTRACTOR_VERSION}"


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def served_from_cache(stored: ScanResult, source: str, sha256: str, duration_ms: float) -> ScanResult:
    """A stored result as this call's answer: this file's source, hash and duration, ``cached``, and
    nothing billed."""
    update = {"source": source, "sha256": sha256, "cached": True, "duration_ms": duration_ms}
    return stored.model_copy(update={**update, "attempts": 0, "cost_usd": 0.0})


class Scanner:
    """Scans one image with ``provider``, consulting ``cache`` (None disables caching)."""

    def __init__(self, provider: Provider, cache: ResultCache | None, settings: Settings) -> None:
        self.provider = provider
        self.cache = cache
        self.settings = settings

    def process(
        self,
        data: bytes,
        source: str,
        *,
        blob_ref: BlobRef | None = None,
        use_cache: bool = True,
        source_sha256: str | None = None,
        deadline: Deadline | None = None,
    ) -> ScanResult:
        """Scan ``data``; raises ``ReceiptflowError`` subclasses for intake and provider failures.

        ``use_cache=False`` skips cache reads; a fresh ok result is still stored. ``source_sha256``: the
        SHA-256 of ``data`` when the caller computed it and already asked the cache under
        :func:`source_cache_key` (a miss): the file is not hashed, nor that key read, again.
        ``deadline`` (or the current one: ``receiptflow.deadline.deadline_scope``, set by the Lambda
        handlers) is checked before decoding, between pages and before each provider attempt
        (``ItemTimeoutError``). A ``MemoryError`` (the worker's memory cap) is a ``ResourceLimitError``
        naming the cap."""
        try:
            return self._process(
                data, source, blob_ref, use_cache, source_sha256, earliest(deadline, current_deadline())
            )
        except MemoryError as e:
            raise out_of_memory("scanning this file") from e

    def _process(
        self,
        data: bytes,
        source: str,
        blob_ref: BlobRef | None,
        use_cache: bool,
        source_sha256: str | None,
        deadline: Deadline | None,
    ) -> ScanResult:
        from receiptflow.extract.checks import check_receipt
        from receiptflow.intake import load_document

        start = time.perf_counter()
        name = self.provider.name
        source_sha = source_sha256 or sha256_hex(data)
        source_key = source_cache_key(source_sha, name)

        stored = self._cache_get(source_key) if use_cache and source_sha256 is None else None
        if stored is not None:
            return served_from_cache(stored, source, source_sha, (time.perf_counter() - start) * 1000)

        if deadline is not None:
            deadline.check("decoding started")
        doc = load_document(
            data, settings=self.settings, blob_ref=blob_ref, source_sha256=source_sha, deadline=deadline
        )
        key = result_cache_key(doc.sha256, name)
        stored = self._cache_get(key) if use_cache else None
        if stored is not None:
            self._cache_put(source_key, stored)
            return served_from_cache(stored, source, source_sha, (time.perf_counter() - start) * 1000)

        if deadline is not None:
            deadline.check("the provider was asked")
        if isinstance(self.provider, ProviderChain):
            out = self.provider.analyze(doc, deadline=deadline)
        else:
            out = self.provider.analyze(doc)
        receipt = check_receipt(out.receipt)
        result = ScanResult(
            source=source,
            sha256=doc.source_sha256,
            status=ScanStatus.OK,
            receipt=receipt,
            provider=receipt.provider or name,
            cached=False,
            attempts=out.attempts,
            providers_tried=out.providers_tried or [name],
            cost_usd=out.cost_usd,
            duration_ms=(time.perf_counter() - start) * 1000,
        )
        self._cache_put(key, result)
        self._cache_put(source_key, result)
        return result

    def _cache_get(self, key: str) -> ScanResult | None:
        """A cache read; an unavailable store counts as a miss (the cache only saves work)."""
        if self.cache is None:
            return None
        try:
            return self.cache.get(key)
        except StoreUnavailableError:
            logger.warning("result cache unavailable; scanning", extra={"key": key})
            return None

    def _cache_put(self, key: str, result: ScanResult) -> None:
        """A cache write; failing it must not fail (and so re-bill) a scan that already succeeded."""
        if self.cache is None:
            return
        try:
            self.cache.put(key, result, self.settings.cache_ttl_seconds)
        except StoreUnavailableError:
            logger.warning("result cache unavailable; result not cached", extra={"key": key})

    def scan(
        self,
        data: bytes,
        source: str,
        *,
        blob_ref: BlobRef | None = None,
        use_cache: bool = True,
        source_sha256: str | None = None,
        deadline: Deadline | None = None,
    ) -> ScanResult:
        """Like :meth:`process`, but never raises for a per-item problem: failures become error rows."""
        start = time.perf_counter()
        try:
            return self.process(
                data,
                source,
                blob_ref=blob_ref,
                use_cache=use_cache,
                source_sha256=source_sha256,
                deadline=deadline,
            )
        except Exception as e:  # one bad item must not stop the batch
            sha = source_sha256 or sha256_hex(data)
            return error_result(e, source, sha, (time.perf_counter() - start) * 1000)

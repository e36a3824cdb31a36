"""Fixtures for the provider tests (unit and integration import them into their conftest): small generated
documents, retries without real waiting, no real keys from the environment."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator

import pytest
from PIL import Image, ImageDraw
from receiptflow.document import BlobRef, Document, PageImage
from receiptflow.providers.retry import RetryPolicy
from receiptflow.wiring.providers import clear_provider_cache

DocFactory = Callable[..., Document]


def image_bytes(label: str, size: tuple[int, int] = (320, 480), fmt: str = "JPEG") -> bytes:
    """A small receipt-like image whose content depends on ``label``."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), f"SHOP {label}", fill="black")
    draw.text((10, 40), "TOTAL 12.34", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def make_document(
    label: str = "a",
    *,
    pages: int = 1,
    size: tuple[int, int] = (320, 480),
    fmt: str = "JPEG",
    blob_ref: BlobRef | None = None,
    original: bytes | None = None,
    source_bytes: int | None = None,
) -> Document:
    """A ``Document`` as intake would hand it over (pages already normalised)."""
    media = "image/jpeg" if fmt == "JPEG" else "image/png"
    page_images = tuple(
        PageImage(image_bytes(f"{label}-{n}", size, fmt), media, size[0], size[1]) for n in range(pages)
    )
    data = original if original is not None else page_images[0].data
    return Document(
        pages=page_images,
        source_type="jpeg" if fmt == "JPEG" else "png",
        sha256=hashlib.sha256(b"".join(p.data for p in page_images)).hexdigest(),
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_bytes=source_bytes if source_bytes is not None else len(data),
        blob_ref=blob_ref,
        original=data,
    )


@pytest.fixture
def make_doc() -> DocFactory:
    """``make_document`` as a fixture."""
    return make_document


@pytest.fixture
def no_wait() -> RetryPolicy:
    """Four attempts, backoff computed but not slept."""
    return RetryPolicy(attempts=4, deadline_seconds=60.0, sleep=lambda _: None)


@pytest.fixture(autouse=True)
def _fresh_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No real keys leak in from the environment; providers built per test."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    clear_provider_cache()
    yield
    clear_provider_cache()

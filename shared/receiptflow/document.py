"""A normalised document: what intake hands to providers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class BlobRef:
    """Where the original bytes already live (lets Textract read from S3 without a transfer)."""

    bucket: str
    key: str


@dataclass(frozen=True)
class PageImage:
    """One page, upright, downscaled, encoded as JPEG or PNG."""

    data: bytes
    media_type: str  # "image/jpeg" | "image/png"
    width: int
    height: int
    # The page decoded, when intake decoded ``data`` itself to check it (a file passed through as received):
    # packed 8-bit BGR rows, ``height`` x ``width`` x 3 (OpenCV's layout), so the local OCR engine does not
    # decode the same bytes again. Not part of the page's identity.
    pixels: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Document:
    """The normalised form of one input file.

    ``sha256`` hashes the normalised page bytes (the cache key's content part);
    ``source_sha256`` hashes the file as received.
    """

    pages: tuple[PageImage, ...]
    source_type: str  # detected from magic bytes: jpeg, png, tiff, webp, heif, pdf, ...
    sha256: str
    source_sha256: str
    source_bytes: int
    blob_ref: BlobRef | None = None
    original: bytes | None = field(default=None, repr=False)

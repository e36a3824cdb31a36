"""Domain errors. Each has a stable ``code`` and says whether retrying can help.

Class names matter: Step Functions Retry/Catch match on the exception's class name
(e.g. ``ProviderThrottledError``), so adapters must raise these, never wrap them.
"""

from __future__ import annotations

from typing import ClassVar


class ReceiptflowError(Exception):
    """Base of every error receiptflow reports per item or per request."""

    code: ClassVar[str] = "internal_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code)
        self.message = message or self.code


# --- intake: the file itself is unusable (never retryable) -------------------------------------
class IntakeError(ReceiptflowError):
    """The input file cannot be used as a receipt image."""

    code = "intake_error"


class EmptyFileError(IntakeError):
    code = "empty_file"


class UnsupportedTypeError(IntakeError):
    code = "unsupported_type"


class CorruptImageError(IntakeError):
    code = "corrupt_image"


class TooLargeError(IntakeError):
    code = "too_large"


class TooManyPixelsError(IntakeError):
    code = "too_many_pixels"


class TooSmallError(IntakeError):
    code = "too_small"


class TooManyPagesError(IntakeError):
    code = "too_many_pages"


class EmptyDocumentError(IntakeError):
    code = "empty_document"


class EncryptedDocumentError(IntakeError):
    code = "encrypted_document"


class FileReadError(IntakeError):
    code = "file_unreadable"


class NotRegularFileError(FileReadError):
    """A FIFO, socket, device or folder where a file was expected: never opened for reading."""

    code = "not_a_regular_file"


class DanglingSymlinkError(FileReadError):
    """A symbolic link whose target does not exist."""

    code = "dangling_symlink"


class SymlinkLoopError(FileReadError):
    """A symbolic link that resolves to itself (directly or through other links)."""

    code = "symlink_loop"


class SymlinkOutsideRootError(FileReadError):
    """A symbolic link in a scanned folder that points outside that folder: not followed."""

    code = "symlink_outside_root"


class FolderUnreadableError(FileReadError):
    """A folder inside a scanned folder that cannot be listed (permissions, I/O error)."""

    code = "folder_unreadable"


class ResourceLimitError(IntakeError):
    """Scanning this file would exceed (or exceeded) a per-item limit: the decode budget, the worker's
    memory limit or the item's time limit. The message names the limit."""

    code = "resource_limit"


class ItemTimeoutError(ResourceLimitError):
    """The item's time limit ran out (a local worker's per-item wall time, or a Lambda invocation's
    remaining time less a margin). Its own class name, so the state machine's Catch records it; never
    retried by it."""


# --- providers -----------------------------------------------------------------------------
class ProviderError(ReceiptflowError):
    """A provider failed to read an image."""

    code = "provider_error"

    def __init__(self, message: str = "", provider: str = "") -> None:
        super().__init__(message)
        self.provider = provider
        # filled in by the provider chain when every provider failed
        self.attempts = 0
        self.providers_tried: list[str] = []
        self.cost_usd = 0.0
        # what the fallbacks did when this (the primary provider's) error is the one reported
        self.fallbacks: list[dict[str, str | int]] = []


class ProviderThrottledError(ProviderError):
    code = "provider_throttled"
    retryable = True


class ProviderUnavailableError(ProviderError):
    code = "provider_unavailable"
    retryable = True


class ProviderTimeoutError(ProviderError):
    code = "provider_timeout"
    retryable = True


class CircuitOpenError(ProviderUnavailableError):
    code = "circuit_open"


class ProviderConfigError(ProviderError):
    """The provider is not usable as configured (missing model, credentials, key)."""

    code = "provider_not_configured"


class UnreadableDocumentError(ProviderError):
    """The provider looked at the image and could not read a receipt in it. Never retried."""

    code = "unreadable_document"


class NoReceiptFoundError(UnreadableDocumentError):
    code = "no_text_found"


class WorkerCrashedError(ReceiptflowError):
    """The worker process scanning this image died twice for no reason it could name (a crash in a C
    library, killed from outside); the image itself is the likely cause, so it is not retried again.
    A worker stopped at its memory or time limit is a ``ResourceLimitError`` instead."""

    code = "worker_crashed"


# --- stores and API --------------------------------------------------------------------------
class NotFoundError(ReceiptflowError):
    code = "not_found"


class ConflictError(ReceiptflowError):
    code = "conflict"


class InvalidKeyError(ReceiptflowError):
    """A storage key that is empty, absolute or escapes its root (``..``)."""

    code = "invalid_key"


class StoreUnavailableError(ReceiptflowError):
    code = "store_unavailable"
    retryable = True


class LimitExceededError(ReceiptflowError):
    code = "limit_exceeded"


class RateLimitedError(LimitExceededError):
    """Too many requests from one tenant; ``retry_after`` says how many seconds to wait."""

    code = "rate_limited"
    retryable = True

    def __init__(self, message: str = "", retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnauthorizedError(ReceiptflowError):
    """No credential, or one that names no tenant."""

    code = "unauthorized"


class InvalidRequestError(ReceiptflowError):
    """The request itself is malformed (bad field, bad cursor, wrong state for the action)."""

    code = "invalid_request"


class ScanCancelledError(ReceiptflowError):
    code = "cancelled"

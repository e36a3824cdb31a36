"""Amazon Textract AnalyzeExpense as a provider.

Input: ``S3Object`` when the original already lives in S3 and Textract accepts it as it is (JPEG/PNG/PDF/TIFF,
one page, at most 10 MB and 10,000 px a side: no byte transfer); otherwise the normalised page bytes (at most
5 MB, re-encoded as smaller JPEG when needed), one call per page, the pages merged into one receipt.
botocore errors become typed ``ProviderError``s; botocore itself does not retry (``retry.py`` does).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from receiptflow.adapters.aws import clients
from receiptflow.adapters.aws.textract_parser import merge_receipts, parse_expense, present_fields
from receiptflow.document import Document, PageImage
from receiptflow.errors import (
    NoReceiptFoundError,
    ProviderConfigError,
    ProviderError,
    ProviderThrottledError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnreadableDocumentError,
)
from receiptflow.models import ReceiptCheck
from receiptflow.ports import ProviderOutput
from receiptflow.providers import cost
from receiptflow.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_textract import TextractClient

    from receiptflow.models import Receipt

logger = logging.getLogger(__name__)

NAME = "textract"
S3_TYPES = frozenset({"jpeg", "png", "pdf", "tiff"})
S3_MAX_BYTES = 10 * 1024 * 1024
BYTES_MAX = 5 * 1024 * 1024
MAX_SIDE_PX = 10_000

THROTTLE_CODES = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "LimitExceededException"}
)
UNAVAILABLE_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "ServiceUnavailableException"})
UNREADABLE_CODES = frozenset(
    {
        "UnsupportedDocumentException",
        "BadDocumentException",
        "DocumentTooLargeException",
        "InvalidParameterException",
    }
)
CONFIG_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "SubscriptionRequiredException",
    }
)


class TextractProvider:
    """Reads receipts with Textract AnalyzeExpense."""

    name = NAME

    def __init__(
        self, settings: Settings, client_factory: Callable[[], TextractClient] = clients.textract_client
    ) -> None:
        self.settings = settings
        self._client_factory = client_factory

    def analyze(self, doc: Document) -> ProviderOutput:
        """One receipt for ``doc`` (several receipts in one image: the one with most summary fields)."""
        client = self._client()
        pages_billed = 0
        try:
            per_page: list[list[Receipt]] = []
            if use_s3_object(doc):
                assert doc.blob_ref is not None
                s3_input = {"S3Object": {"Bucket": doc.blob_ref.bucket, "Name": doc.blob_ref.key}}
                try:
                    raw = _call(client, s3_input)
                except _S3ObjectUnusable:
                    raw = None
                if raw is not None:
                    pages_billed += _pages(raw)
                    per_page.append(parse_expense(raw))
            if not per_page:
                for page in doc.pages:
                    raw = _call(client, {"Bytes": fit_bytes(page)})
                    pages_billed += _pages(raw)
                    per_page.append(parse_expense(raw))
            receipt = _pick(per_page)
        except ProviderError as error:
            error.cost_usd = cost.textract_cost(pages_billed)
            raise
        receipt.provider = NAME
        return ProviderOutput(
            receipt=receipt,
            cost_usd=cost.textract_cost(pages_billed),
            billed_units=pages_billed,
            providers_tried=[NAME],
        )

    def _client(self) -> TextractClient:
        from botocore.exceptions import BotoCoreError

        try:
            return self._client_factory()
        except BotoCoreError as error:
            raise _config_error(error) from error


class _S3ObjectUnusable(Exception):
    """Textract could not read the S3 object (permissions, region): send the bytes instead."""


def _call(client: TextractClient, document: dict[str, Any]) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response: dict[str, Any] = client.analyze_expense(Document=document)  # type: ignore[arg-type,assignment]
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code == "InvalidS3ObjectException" and "S3Object" in document:
            logger.warning("textract cannot read the S3 object, sending bytes", extra={"error": str(error)})
            raise _S3ObjectUnusable(code) from error
        raise map_client_error(error) from error
    except BotoCoreError as error:
        raise map_botocore_error(error) from error
    return response


def map_client_error(error: Any) -> ProviderError:
    """The typed error for a Textract ``ClientError``."""
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    message = f"Textract {code}: {error.response.get('Error', {}).get('Message', '')}".strip()
    if code in THROTTLE_CODES:
        return ProviderThrottledError(message, NAME)
    if code in UNREADABLE_CODES:
        return UnreadableDocumentError(message, NAME)
    if code in CONFIG_CODES or status in (401, 403):
        return ProviderConfigError(
            f"{message}. Check the AWS credentials and that they allow textract:AnalyzeExpense "
            "(and s3:GetObject on the bucket) in this region.",
            NAME,
        )
    if code in UNAVAILABLE_CODES or status >= 500:
        return ProviderUnavailableError(message, NAME)
    return ProviderError(message, NAME)


def map_botocore_error(error: Exception) -> ProviderError:
    """The typed error for a botocore failure outside an HTTP error response."""
    from botocore.exceptions import (
        ConnectTimeoutError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(error, ReadTimeoutError | ConnectTimeoutError):
        return ProviderTimeoutError(f"Textract timed out: {error}", NAME)
    if isinstance(error, NoCredentialsError | PartialCredentialsError | NoRegionError):
        return _config_error(error)
    return ProviderUnavailableError(f"Textract unreachable: {type(error).__name__}: {error}", NAME)


def _config_error(error: Exception) -> ProviderConfigError:
    from botocore.exceptions import NoRegionError

    if isinstance(error, NoRegionError):
        hint = "No AWS region: set AWS_REGION (e.g. us-east-1) or a region in ~/.aws/config."
    else:
        hint = (
            "No usable AWS credentials: configure the default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, SSO or an instance role)."
        )
    return ProviderConfigError(f"Textract is not configured: {hint} ({type(error).__name__})", NAME)


def _pages(raw: dict[str, Any]) -> int:
    return int((raw.get("DocumentMetadata") or {}).get("Pages") or 1)


def _pick(per_page: list[list[Receipt]]) -> Receipt:
    """The richest receipt of each page, pages merged; nothing found at all → ``NoReceiptFoundError``."""
    chosen: list[Receipt] = []
    found = 0
    for receipts in per_page:
        useful = [r for r in receipts if present_fields(r) or r.line_items]
        found += len(useful)
        if useful:
            chosen.append(max(useful, key=lambda r: (present_fields(r), len(r.line_items))))
    if not chosen:
        raise NoReceiptFoundError("Textract found no receipt fields or line items in the image", NAME)
    receipt = merge_receipts(chosen)
    if found > len(chosen):
        receipt.checks.append(
            ReceiptCheck(
                name="single_receipt",
                passed=False,
                detail=f"{found} receipts found in the document; kept the one with most fields per page",
            )
        )
    return receipt


def use_s3_object(doc: Document) -> bool:
    """True when Textract can read the original straight from S3 (no byte transfer)."""
    if doc.blob_ref is None or doc.source_type not in S3_TYPES or len(doc.pages) != 1:
        return False
    if doc.source_bytes > S3_MAX_BYTES:
        return False
    if doc.source_type == "pdf":
        return True
    size = _original_size(doc)
    return size is not None and max(size) <= MAX_SIDE_PX


def _original_size(doc: Document) -> tuple[int, int] | None:
    """Width and height from the original's header (no pixel decode); None when unknown."""
    if doc.original is None:
        return None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(doc.original)) as image:
            width, height = image.size
            return int(width), int(height)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def fit_bytes(page: PageImage, limit: int = BYTES_MAX) -> bytes:
    """The page as bytes Textract accepts inline: as they are when small enough, else a smaller JPEG."""
    if len(page.data) <= limit and page.media_type in ("image/jpeg", "image/png"):
        return page.data
    from PIL import Image

    with Image.open(io.BytesIO(page.data)) as opened:
        image = opened.convert("RGB")
    quality = 85
    while True:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True)
        if buffer.tell() <= limit:
            return buffer.getvalue()
        if quality > 60:
            quality -= 10
        else:
            image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)))

"""OpenAI vision as a provider: the Responses API with structured output (``openai_schema``).

The ``openai`` SDK is imported on first use, never at module import (it costs ~1.3 s of cold start). Pages are
sent as base64 JPEG data URLs downscaled to ``settings.openai_max_side_px`` with ``detail`` from settings
(``low`` by default: a small fixed token cost per image). The SDK does not retry (``retry.py`` does). The key
comes from ``secrets.openai_api_key``; ``OPENAI_BASE_URL`` is honoured by the SDK itself.
"""

from __future__ import annotations

import base64
import io
import threading
from typing import Any

from receiptflow.adapters.aws.secrets import openai_api_key
from receiptflow.adapters.aws.textract_parser import present_fields
from receiptflow.adapters.openai import schema as openai_schema
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
from receiptflow.ports import ProviderOutput
from receiptflow.providers import cost
from receiptflow.settings import Settings

NAME = "openai"
MAX_OUTPUT_TOKENS = 4000
_PROMPT = "Extract this receipt. Pages are in order; together they are one receipt."


class OpenAIVisionProvider:
    """Reads receipts with an OpenAI vision model."""

    name = NAME

    def __init__(self, settings: Settings, *, http_client: Any = None) -> None:
        self.settings = settings
        self._http_client = http_client
        self._client: Any = None
        self._lock = threading.Lock()

    def analyze(self, doc: Document) -> ProviderOutput:
        """One receipt for ``doc`` (all its pages in one request)."""
        client = self._openai()
        content: list[dict[str, Any]] = [{"type": "input_text", "text": _PROMPT}]
        content += [
            {
                "type": "input_image",
                "image_url": data_url(page, self.settings.openai_max_side_px),
                "detail": self.settings.openai_image_detail,
            }
            for page in doc.pages
        ]
        response = self._call(client, content)
        usage = getattr(response, "usage", None)
        input_tokens = int(getattr(usage, "input_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "output_tokens", 0) or 0)
        spent = cost.openai_cost(self.settings.openai_model, input_tokens, output_tokens)
        try:
            receipt = openai_schema.to_receipt(_parsed(response), NAME)
            if not present_fields(receipt) and not receipt.line_items:
                raise NoReceiptFoundError("OpenAI found no receipt in the image", NAME)
        except ProviderError as error:
            error.cost_usd = spent
            raise
        return ProviderOutput(
            receipt=receipt,
            cost_usd=spent,
            billed_units=input_tokens + output_tokens,
            providers_tried=[NAME],
        )

    def _openai(self) -> Any:
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(
                    api_key=openai_api_key(self.settings),
                    http_client=self._http_client,
                    max_retries=0,
                    timeout=self.settings.provider_deadline_seconds,
                )
            return self._client

    def _call(self, client: Any, content: list[dict[str, Any]]) -> Any:
        import openai
        import pydantic

        try:
            return client.responses.parse(
                model=self.settings.openai_model,
                instructions=openai_schema.INSTRUCTIONS,
                input=[{"role": "user", "content": content}],
                text_format=openai_schema.ReceiptExtraction,
                max_output_tokens=MAX_OUTPUT_TOKENS,
                store=False,
            )
        except openai.OpenAIError as error:
            raise map_openai_error(error) from error
        except (pydantic.ValidationError, ValueError) as error:
            raise UnreadableDocumentError(
                f"OpenAI returned output that is not a receipt: {error}", NAME
            ) from error


def _parsed(response: Any) -> Any:
    for output in getattr(response, "output", None) or []:
        for item in getattr(output, "content", None) or []:
            if getattr(item, "type", "") == "refusal":
                raise UnreadableDocumentError(f"OpenAI refused: {getattr(item, 'refusal', '')}", NAME)
    parsed = getattr(response, "output_parsed", None)
    if parsed is None:
        raise UnreadableDocumentError("OpenAI returned no structured output", NAME)
    return parsed


def map_openai_error(error: Exception) -> ProviderError:
    """The typed error for an ``openai`` SDK exception."""
    import openai

    message = f"OpenAI {type(error).__name__}: {error}"
    if isinstance(error, openai.APITimeoutError):
        return ProviderTimeoutError(message, NAME)
    if isinstance(error, openai.APIConnectionError):
        return ProviderUnavailableError(message, NAME)
    if isinstance(error, openai.RateLimitError):
        if getattr(error, "code", None) == "insufficient_quota":
            return ProviderConfigError(f"{message} (the account has no quota left)", NAME)
        return ProviderThrottledError(message, NAME)
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError | openai.NotFoundError):
        return ProviderConfigError(f"{message}. Check OPENAI_API_KEY and RECEIPTFLOW_OPENAI_MODEL.", NAME)
    if isinstance(error, openai.InternalServerError) or (
        isinstance(error, openai.APIStatusError) and error.status_code >= 500
    ):
        return ProviderUnavailableError(message, NAME)
    if isinstance(error, openai.ContentFilterFinishReasonError):
        return UnreadableDocumentError(message, NAME)
    if isinstance(error, openai.BadRequestError) and "image" in str(getattr(error, "code", "") or ""):
        return UnreadableDocumentError(message, NAME)
    return ProviderError(message, NAME)


def data_url(page: PageImage, max_side: int) -> str:
    """The page as a ``data:image/jpeg;base64,...`` URL, longest side at most ``max_side`` pixels."""
    from PIL import Image

    if page.media_type == "image/jpeg" and max(page.width, page.height) <= max_side:
        data = page.data
    else:
        with Image.open(io.BytesIO(page.data)) as opened:
            image = opened.convert("RGB")
        image.thumbnail((max_side, max_side))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        data = buffer.getvalue()
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")

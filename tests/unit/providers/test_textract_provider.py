"""Functional: TextractProvider against botocore's Stubber with the recorded responses."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from PIL import Image
from receiptflow.adapters.aws.clients import clear_clients
from receiptflow.adapters.aws.textract import TextractProvider, fit_bytes, use_s3_object
from receiptflow.document import BlobRef, PageImage
from receiptflow.errors import (
    NoReceiptFoundError,
    ProviderConfigError,
    ProviderError,
    ProviderThrottledError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnreadableDocumentError,
)
from receiptflow.settings import Settings

from tests.support.provider_fixtures import DocFactory, image_bytes
from tests.support.textract import MEGA_MARKET, add_error, analyze_expense_output, load_fixture, new_client
from tests.unit.providers.test_textract_parser import EXPECTED

BLOB = BlobRef(bucket="receipts-bucket", key="uploads/b1/receipt.jpg")


def _provider(settings: Settings, client: Any) -> TextractProvider:
    return TextractProvider(settings, client_factory=lambda: client)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_recorded_response_through_the_provider(
    shared_dir: Path, settings: Settings, make_doc: DocFactory, name: str
) -> None:
    # GIVEN a one-page document without an S3 copy, and Textract answering with the recorded response
    doc = make_doc(name)
    client = new_client()
    expected = EXPECTED[name]
    with Stubber(client) as stubber:
        stubber.add_response(
            "analyze_expense",
            analyze_expense_output(client, load_fixture(shared_dir, name)),
            expected_params={"Document": {"Bytes": doc.pages[0].data}},
        )
        provider = _provider(settings, client)
        if expected.vendor is None and expected.total is None and expected.line_items == 0:
            # THEN a response with nothing in it is an unreadable document, billed once
            with pytest.raises(NoReceiptFoundError) as caught:
                provider.analyze(doc)
            assert caught.value.cost_usd == pytest.approx(0.01)
        else:
            output = provider.analyze(doc)
            assert output.receipt.vendor_name.value == expected.vendor
            assert output.receipt.total.value == (Decimal(expected.total) if expected.total else None)
            assert len(output.receipt.line_items) == expected.line_items
            assert output.receipt.provider == "textract"
            pages = load_fixture(shared_dir, name)["DocumentMetadata"]["Pages"]
            assert output.billed_units == pages
            assert output.cost_usd == pytest.approx(0.01 * pages)
        stubber.assert_no_pending_responses()


def test_s3_object_used_when_the_original_is_in_s3(
    shared_dir: Path, settings: Settings, make_doc: DocFactory
) -> None:
    doc = make_doc("s3", blob_ref=BLOB)
    client = new_client()
    with Stubber(client) as stubber:
        stubber.add_response(
            "analyze_expense",
            analyze_expense_output(client, load_fixture(shared_dir, MEGA_MARKET)),
            expected_params={"Document": {"S3Object": {"Bucket": BLOB.bucket, "Name": BLOB.key}}},
        )
        output = _provider(settings, client).analyze(doc)
        stubber.assert_no_pending_responses()
    assert output.receipt.vendor_name.value == "MEGA MARKET PLUS"


@pytest.mark.parametrize(
    ("reason", "kwargs"),
    [
        ("too big for S3 input", {"source_bytes": 11 * 1024 * 1024}),
        ("wider than 10,000 px", {"original": image_bytes("wide", (10_001, 8), "PNG")}),
        ("two pages", {"pages": 2}),
    ],
)
def test_bytes_used_when_the_original_is_not_acceptable(
    make_doc: DocFactory, reason: str, kwargs: dict[str, Any]
) -> None:
    assert not use_s3_object(make_doc("x", blob_ref=BLOB, **kwargs)), reason


def test_unsupported_source_type_is_sent_as_bytes(make_doc: DocFactory) -> None:
    doc = make_doc("webp", blob_ref=BLOB)
    webp = type(doc)(**{**doc.__dict__, "source_type": "webp"})
    assert use_s3_object(doc)
    assert not use_s3_object(webp)


def test_multi_page_document_is_one_call_per_page_merged(
    shared_dir: Path, settings: Settings, make_doc: DocFactory
) -> None:
    # GIVEN a two-page document: page 1 holds items, page 2 the totals (as the multipage fixture's pages do)
    doc = make_doc("two-pages", pages=2, blob_ref=BLOB)
    raw = load_fixture(shared_dir, "trp__analyzeExpenseResponse-multipage.json")
    # each page, sent alone, comes back as expense document 1 of a one-page response
    page_one: dict[str, Any] = {
        "DocumentMetadata": {"Pages": 1},
        "ExpenseDocuments": [raw["ExpenseDocuments"][0]],
    }
    page_two: dict[str, Any] = {
        "DocumentMetadata": {"Pages": 1},
        "ExpenseDocuments": [{**raw["ExpenseDocuments"][1], "ExpenseIndex": 1}],
    }
    client = new_client()
    with Stubber(client) as stubber:
        for page, response in zip(doc.pages, (page_one, page_two), strict=True):
            stubber.add_response(
                "analyze_expense",
                analyze_expense_output(client, response),
                expected_params={"Document": {"Bytes": page.data}},
            )
        output = _provider(settings, client).analyze(doc)
        stubber.assert_no_pending_responses()
    # THEN one receipt: items of both pages, the total from page 2, two pages billed
    assert len(output.receipt.line_items) == 8
    assert output.receipt.total.value == Decimal("5715.00")
    assert output.billed_units == 2
    assert output.cost_usd == pytest.approx(0.02)


def test_several_receipts_in_one_image_keeps_the_richest_and_says_so(
    settings: Settings, make_doc: DocFactory
) -> None:
    def doc(index: int, fields: list[tuple[str, str]]) -> dict[str, Any]:
        return {
            "ExpenseIndex": index,
            "SummaryFields": [
                {"Type": {"Text": t}, "ValueDetection": {"Text": v, "Confidence": 99.0}, "PageNumber": 1}
                for t, v in fields
            ],
        }

    response = {
        "DocumentMetadata": {"Pages": 1},
        "ExpenseDocuments": [
            doc(1, [("TOTAL", "$3.00")]),
            doc(
                2, [("VENDOR_NAME", "BIG STORE"), ("TOTAL", "$45.10"), ("INVOICE_RECEIPT_DATE", "01/02/2024")]
            ),
        ],
    }
    client = new_client()
    with Stubber(client) as stubber:
        stubber.add_response("analyze_expense", response)
        output = _provider(settings, client).analyze(make_doc("two-receipts"))
    assert output.receipt.vendor_name.value == "BIG STORE"
    assert [c.name for c in output.receipt.checks if not c.passed] == ["single_receipt"]
    assert "2 receipts" in output.receipt.checks[0].detail


def test_unreadable_s3_object_falls_back_to_bytes(
    shared_dir: Path, settings: Settings, make_doc: DocFactory
) -> None:
    doc = make_doc("s3-denied", blob_ref=BLOB)
    client = new_client()
    with Stubber(client) as stubber:
        add_error(stubber, "InvalidS3ObjectException")
        stubber.add_response(
            "analyze_expense",
            analyze_expense_output(client, load_fixture(shared_dir, MEGA_MARKET)),
            expected_params={"Document": {"Bytes": doc.pages[0].data}},
        )
        output = _provider(settings, client).analyze(doc)
        stubber.assert_no_pending_responses()
    assert output.billed_units == 1


@pytest.mark.parametrize(
    ("code", "status", "error_type", "retryable"),
    [
        ("ThrottlingException", 400, ProviderThrottledError, True),
        ("ProvisionedThroughputExceededException", 400, ProviderThrottledError, True),
        ("LimitExceededException", 400, ProviderThrottledError, True),
        ("InternalServerError", 500, ProviderUnavailableError, True),
        ("ServiceUnavailable", 503, ProviderUnavailableError, True),
        ("UnsupportedDocumentException", 400, UnreadableDocumentError, False),
        ("BadDocumentException", 400, UnreadableDocumentError, False),
        ("DocumentTooLargeException", 400, UnreadableDocumentError, False),
        ("InvalidParameterException", 400, UnreadableDocumentError, False),
        ("AccessDeniedException", 400, ProviderConfigError, False),
        ("UnrecognizedClientException", 400, ProviderConfigError, False),
    ],
)
def test_service_errors_are_typed(
    settings: Settings,
    make_doc: DocFactory,
    code: str,
    status: int,
    error_type: type[ProviderError],
    retryable: bool,
) -> None:
    client = new_client()
    with Stubber(client) as stubber:
        add_error(stubber, code, status)
        with pytest.raises(error_type) as caught:
            _provider(settings, client).analyze(make_doc(code))
    assert type(caught.value) is error_type  # the class name is what Step Functions matches
    assert caught.value.retryable is retryable
    assert caught.value.provider == "textract"


@pytest.mark.parametrize(
    ("exception", "error_type"),
    [
        (ReadTimeoutError(endpoint_url="https://textract.us-east-1.amazonaws.com"), ProviderTimeoutError),
        (
            EndpointConnectionError(endpoint_url="https://textract.us-east-1.amazonaws.com"),
            ProviderUnavailableError,
        ),
    ],
)
def test_transport_failures_are_typed(
    settings: Settings, make_doc: DocFactory, exception: Exception, error_type: type[ProviderError]
) -> None:
    # GIVEN the HTTP send itself fails (the hook stands exactly where the request would leave)
    client = new_client()

    def fail(**_: Any) -> None:
        raise exception

    client.meta.events.register("before-send.textract.AnalyzeExpense", fail)
    with pytest.raises(error_type):
        _provider(settings, client).analyze(make_doc("net"))


def test_missing_credentials_and_region_are_config_errors(
    settings: Settings, make_doc: DocFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clear_clients()
    try:
        with pytest.raises(ProviderConfigError, match="AWS_REGION"):
            TextractProvider(settings).analyze(make_doc("no-region"))
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        clear_clients()
        with pytest.raises(ProviderConfigError, match="credentials"):
            TextractProvider(settings).analyze(make_doc("no-creds"))
    finally:
        clear_clients()


def test_large_page_is_reencoded_under_the_inline_limit() -> None:
    noise = Image.effect_noise((600, 600), 80).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    page = PageImage(buffer.getvalue(), "image/png", 600, 600)
    assert len(page.data) > 60_000
    fitted = fit_bytes(page, limit=60_000)
    assert len(fitted) <= 60_000
    assert fitted[:2] == b"\xff\xd8"  # JPEG
    small = PageImage(b"\xff\xd8small", "image/jpeg", 10, 10)
    assert fit_bytes(small) is small.data

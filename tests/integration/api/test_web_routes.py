"""The API additions the web app needs: images, thumbnails and page renders (tenant-checked), field
boxes in results, the reviewed flag (PATCH and accept), and Location on 201."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from receiptflow.api import ApiServices
from receiptflow.blob_keys import preview_key

from tests.integration.api.web_client import (
    ALPHA,
    BETA,
    TOTAL_BOX,
    failed_result,
    ok_result,
    uploaded_batch,
    web_app,
)
from tests.support.legible_receipts import corrupt_jpeg, render_receipt


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, ApiServices]]:
    with web_app(tmp_path / "data") as pair:
        yield pair


@pytest.fixture
def batch(app: tuple[TestClient, ApiServices]) -> dict[str, Any]:
    """Three items: a good receipt (finished with a result), a corrupt file (failed), one still pending."""
    client, services = app
    good = render_receipt(3)
    body = uploaded_batch(
        client,
        [("good.jpg", good, "image/jpeg"), ("bad.jpg", corrupt_jpeg(), "image/jpeg"),
         ("later.jpg", render_receipt(4), "image/jpeg")],
    )  # fmt: skip
    batch_id = body["batch"]["batch_id"]
    first, second, _ = (i["item_id"] for i in body["items"])
    services.store.finish_item(batch_id, first, ok_result("good.jpg"))
    services.store.finish_item(batch_id, second, failed_result("bad.jpg"))
    return {"batch_id": batch_id, "items": [i["item_id"] for i in body["items"]], "good": good}


def item_url(batch: dict[str, Any], n: int, suffix: str = "") -> str:
    return f"/v1/batches/{batch['batch_id']}/items/{batch['items'][n]}{suffix}"


def test_image_is_the_uploaded_file_with_its_detected_type(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any]
) -> None:
    client, _ = app
    answer = client.get(item_url(batch, 0, "/image"), headers=ALPHA)
    assert answer.status_code == 200
    assert answer.content == batch["good"]
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers["content-security-policy"]


def test_a_file_that_is_no_image_is_served_as_an_attachment(app: tuple[TestClient, ApiServices]) -> None:
    client, _ = app
    body = uploaded_batch(client, [("page.html", b"<html><script>alert(1)</script>", "text/html")])
    url = f"/v1/batches/{body['batch']['batch_id']}/items/{body['items'][0]['item_id']}/image"
    answer = client.get(url, headers=ALPHA)
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"] == "attachment"


@pytest.mark.parametrize("suffix", ["/image", "/thumbnail", "/pages/0", ""])
def test_another_tenants_item_is_404_exactly_like_a_missing_one(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any], suffix: str
) -> None:
    client, _ = app
    theirs = client.get(item_url(batch, 0, suffix), headers=BETA)
    missing = client.get(f"/v1/batches/{'0' * 32}/items/00001{suffix}", headers=ALPHA)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.headers["content-type"] == missing.headers["content-type"] == "application/problem+json"
    assert theirs.json()["code"] == missing.json()["code"] == "not_found"
    assert client.get(item_url(batch, 0, suffix)).status_code == 401


def test_thumbnail_is_a_small_jpeg_made_once_and_kept(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any]
) -> None:
    client, services = app
    first = client.get(item_url(batch, 0, "/thumbnail"), headers=ALPHA)
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(first.content)) as thumb, Image.open(io.BytesIO(batch["good"])) as original:
        assert max(thumb.size) == 320
        assert thumb.size[0] / thumb.size[1] == pytest.approx(original.size[0] / original.size[1], rel=0.02)
    item = services.store.get_item(batch["batch_id"], batch["items"][0])
    key = preview_key(item, "thumbnail.jpg")
    assert key.startswith("previews/") and services.blobs.get(key) == first.content
    services.blobs.put(key, b"kept", "image/jpeg")  # the second answer comes from the stored render
    assert client.get(item_url(batch, 0, "/thumbnail"), headers=ALPHA).content == b"kept"


def test_page_render_is_upright_full_page_and_past_the_last_page_is_404(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any]
) -> None:
    client, _ = app
    page = client.get(item_url(batch, 0, "/pages/0"), headers=ALPHA)
    assert page.status_code == 200
    with Image.open(io.BytesIO(page.content)) as rendered, Image.open(io.BytesIO(batch["good"])) as original:
        assert rendered.size == original.size  # under 1600 px: not scaled, not cropped
    past = client.get(item_url(batch, 0, "/pages/3"), headers=ALPHA)
    assert past.status_code == 404 and "page" in past.json()["detail"]


def test_a_corrupt_file_has_no_thumbnail_but_its_typed_problem(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any]
) -> None:
    client, _ = app
    answer = client.get(item_url(batch, 1, "/thumbnail"), headers=ALPHA)
    assert answer.status_code == 422
    assert answer.json()["code"] == "corrupt_image"


def test_results_carry_field_boxes(app: tuple[TestClient, ApiServices], batch: dict[str, Any]) -> None:
    client, _ = app
    items = client.get(f"/v1/batches/{batch['batch_id']}/results", headers=ALPHA).json()["items"]
    assert items[0]["result"]["receipt"]["total"]["box"] == TOTAL_BOX.model_dump()
    assert items[0]["reviewed"] is False and items[0]["reviewed_at"] is None


def test_correct_then_accept_marks_the_item_reviewed_and_exports_say_so(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any]
) -> None:
    client, _ = app
    corrected = client.patch(item_url(batch, 0), json={"total": "12.05"}, headers=ALPHA)
    assert corrected.status_code == 200
    assert corrected.json()["correction"] == {"total": "12.05"} and corrected.json()["reviewed"] is False
    accepted = client.post(item_url(batch, 0, "/accept"), headers=ALPHA)
    assert accepted.status_code == 200 and accepted.json()["reviewed"] is True
    assert accepted.json()["reviewed_at"] is not None
    export = client.get(f"/v1/batches/{batch['batch_id']}/results", params={"format": "csv"}, headers=ALPHA)
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert (rows[0]["total"], rows[0]["reviewed"], rows[1]["reviewed"]) == ("12.05", "true", "false")
    cleared = client.patch(item_url(batch, 0), json={"reviewed": False}, headers=ALPHA)
    assert cleared.status_code == 200 and cleared.json()["reviewed"] is False
    assert cleared.json()["correction"] == {"total": "12.05"}


def test_patch_can_correct_and_accept_in_one_request(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any]
) -> None:
    client, _ = app
    both = client.patch(item_url(batch, 0), json={"date": "2024-03-04", "reviewed": True}, headers=ALPHA)
    assert both.status_code == 200
    assert both.json()["correction"] == {"date": "2024-03-04"} and both.json()["reviewed"] is True


@pytest.mark.parametrize(
    ("patch", "needle"),
    [({"total": "twelve"}, "'total'"), ({"reviewed": "yes"}, "'reviewed'"), ({}, "at least one"),
     ({"date": "2024-13-45"}, "'date'"), ({"colour": "red"}, "not a correctable field")],
)  # fmt: skip
def test_invalid_corrections_are_refused_with_a_message(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any], patch: dict[str, Any], needle: str
) -> None:
    client, _ = app
    answer = client.patch(item_url(batch, 0), json=patch, headers=ALPHA)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_request" and needle in answer.json()["detail"]


def test_an_unfinished_item_cannot_be_accepted(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any]
) -> None:
    client, _ = app
    answer = client.post(item_url(batch, 2, "/accept"), headers=ALPHA)
    assert answer.status_code == 409 and answer.json()["code"] == "conflict"


def test_created_answers_carry_location(app: tuple[TestClient, ApiServices]) -> None:
    client, _ = app
    created = client.post("/v1/batches", json={"name": "x"}, headers=ALPHA)
    batch_id = created.json()["batch"]["batch_id"]
    assert created.headers["location"] == f"/v1/batches/{batch_id}"
    assert client.get(created.headers["location"], headers=ALPHA).status_code == 200
    files = [("files", ("a.jpg", render_receipt(1), "image/jpeg"))]
    uploaded = client.post(f"/v1/batches/{batch_id}/files", files=files, headers=ALPHA)
    assert uploaded.headers["location"] == f"/v1/batches/{batch_id}/items/00001"
    assert client.get(uploaded.headers["location"], headers=ALPHA).json()["source"] == "a.jpg"


@pytest.mark.parametrize(
    "patch",
    [{"vendor_name": "A" * 100_000}, {"vendor_address": "x " * 400}, {"total": "9" * 400},
     {"total": 10**4000}, {"tax": 1e308}, {"total": "1e999999999"}, {"tip": "1e-999999"},
     {"receipt_number": "7" * 501}],
)  # fmt: skip
def test_corrections_past_the_value_bounds_are_422_and_change_nothing(
    app: tuple[TestClient, ApiServices], batch: dict[str, Any], patch: dict[str, Any]
) -> None:
    client, _ = app
    before = client.get(item_url(batch, 0), headers=ALPHA).json()
    answer = client.patch(item_url(batch, 0), json=patch, headers=ALPHA)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "limit_exceeded"
    assert client.get(item_url(batch, 0), headers=ALPHA).json() == before


def test_an_amount_at_the_bound_is_kept(app: tuple[TestClient, ApiServices], batch: dict[str, Any]) -> None:
    client, _ = app
    answer = client.patch(item_url(batch, 0), json={"total": "9999999999999.99"}, headers=ALPHA)
    assert answer.status_code == 200, answer.text
    assert answer.json()["correction"]["total"] == "9999999999999.99"

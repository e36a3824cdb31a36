"""An in-process app (TestClient) over the real local wiring, and items finished straight in the store:
the route tests of the web app's API additions need results, not the OCR that makes them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from receiptflow.api import ApiServices, create_app
from receiptflow.models import (
    FieldBox,
    MoneyField,
    Receipt,
    ReceiptCheck,
    ScanError,
    ScanResult,
    ScanStatus,
    TextField,
)
from receiptflow.settings import Settings
from receiptflow.wiring.local import LocalRoot

KEYS = {"key-alpha": "alpha", "key-beta": "beta"}
ALPHA = {"Authorization": "Bearer key-alpha"}
BETA = {"Authorization": "Bearer key-beta"}
TOTAL_BOX = FieldBox(page=0, x0=0.6, y0=0.8, x1=0.9, y1=0.85)


@contextmanager
def web_app(data_dir: Path) -> Iterator[tuple[TestClient, ApiServices]]:
    """A TestClient on the local app over ``data_dir``."""
    settings = Settings(data_dir=data_dir, workers=1, provider="local")
    services = LocalRoot(settings).api_services(KEYS)
    with TestClient(create_app(services)) as client:
        yield client, services


def ok_result(source: str) -> ScanResult:
    """A result as the local provider makes it: fields with boxes, one failed check."""
    receipt = Receipt(
        vendor_name=TextField(value="CORNER GROCER", text="CORNER GROCER", confidence=0.95,
                              box=FieldBox(page=0, x0=0.1, y0=0.05, x1=0.7, y1=0.1)),
        total=MoneyField(value=Decimal("12.50"), text="12.50", confidence=0.42, box=TOTAL_BOX),
        checks=[ReceiptCheck(name="total_matches_items", passed=False, detail="items add up to 12.05")],
        provider="local",
    )  # fmt: skip
    return ScanResult(source=source, status=ScanStatus.OK, receipt=receipt, provider="local")


def failed_result(source: str) -> ScanResult:
    """A typed per-item error."""
    error = ScanError(code="corrupt_image", message="the image data is truncated")
    return ScanResult(source=source, status=ScanStatus.ERROR, error=error)


def uploaded_batch(client: TestClient, files: list[tuple[str, bytes, str]]) -> dict[str, Any]:
    """Create a batch and upload ``files`` (name, bytes, content type); returns the upload answer."""
    created = client.post("/v1/batches", json={"name": "web"}, headers=ALPHA)
    assert created.status_code == 201, created.text
    batch_id = created.json()["batch"]["batch_id"]
    parts = [("files", (name, data, kind)) for name, data, kind in files]
    uploaded = client.post(f"/v1/batches/{batch_id}/files", files=parts, headers=ALPHA)
    assert uploaded.status_code == 201, uploaded.text
    body: dict[str, Any] = uploaded.json()
    return body

"""Recorded Textract AnalyzeExpense responses (``../shared/fixtures/textract``) and ``Stubber`` helpers.

moto has no AnalyzeExpense, so tests stand a ``Stubber`` where the real call would go: the client is a real
botocore client (request parameters and responses are validated against the service model), only the HTTP
exchange is replaced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.stub import Stubber

if TYPE_CHECKING:
    from mypy_boto3_textract import TextractClient

FIXTURE_SUBDIR = Path("fixtures") / "textract"
MEGA_MARKET = "textractor__test_analyze_expense_from_path.json"

# A minimal one-page AnalyzeExpense answer (vendor and total only), for runs about the batch lifecycle,
# not extraction: the behavioural suite and the AWS benches.
MINIMAL_EXPENSE: dict[str, Any] = {
    "DocumentMetadata": {"Pages": 1},
    "ExpenseDocuments": [
        {
            "ExpenseIndex": 1,
            "SummaryFields": [
                {
                    "Type": {"Text": "VENDOR_NAME", "Confidence": 99.0},
                    "ValueDetection": {"Text": "MINIMAL MART", "Confidence": 99.0},
                    "PageNumber": 1,
                },
                {
                    "Type": {"Text": "TOTAL", "Confidence": 99.0},
                    "ValueDetection": {"Text": "12.50", "Confidence": 99.0},
                    "PageNumber": 1,
                },
            ],
            "LineItemGroups": [],
        }
    ],
}


def fixture_dir(shared_dir: Path) -> Path:
    """Folder of the recorded responses under the shared project material."""
    return shared_dir / FIXTURE_SUBDIR


def fixture_names(shared_dir: Path) -> list[str]:
    """File names of every recorded response, sorted."""
    return sorted(p.name for p in fixture_dir(shared_dir).glob("*.json"))


def load_fixture(shared_dir: Path, name: str) -> dict[str, Any]:
    """One recorded response exactly as stored."""
    data: dict[str, Any] = json.loads((fixture_dir(shared_dir) / name).read_text(encoding="utf-8"))
    return data


def new_client(region: str = "us-east-1") -> TextractClient:
    """A real Textract client with dummy credentials (use it only behind a ``Stubber``)."""
    client: TextractClient = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    ).client("textract", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    return client


def analyze_expense_output(client: TextractClient, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` keeping only AnalyzeExpense output members (drops e.g. a stray top-level ``Blocks`` key),
    so ``Stubber`` accepts it."""
    shape = client.meta.service_model.operation_model("AnalyzeExpense").output_shape
    members = set(shape.members) if shape is not None else set()  # type: ignore[attr-defined]
    return {key: value for key, value in raw.items() if key in members}


def stubbed_client(*responses: dict[str, Any]) -> tuple[TextractClient, Stubber]:
    """A client whose next AnalyzeExpense calls return ``responses`` in order (already filtered)."""
    client = new_client()
    stubber = Stubber(client)
    for raw in responses:
        stubber.add_response("analyze_expense", analyze_expense_output(client, raw))
    stubber.activate()
    return client, stubber


def add_error(stubber: Stubber, code: str, status: int = 400, message: str = "") -> None:
    """Queue one AnalyzeExpense error response as the service would send it."""
    stubber.add_client_error(
        "analyze_expense",
        service_error_code=code,
        service_message=message or f"simulated {code}",
        http_status_code=status,
    )

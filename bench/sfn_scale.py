"""P6 scale: a large batch through the Distributed Map under moto, with the execution's input and output
sizes, which must not grow with the batch (items travel by reference in an S3 manifest).

Runs the real batch service and Step Functions dispatcher (manifest + StartExecution), the real
``batch.asl.json`` and the real Scan Image / Finalize handlers; Textract is a botocore ``Stubber``
answering a minimal AnalyzeExpense response (the question here is payload size, not extraction).

    python bench/sfn_scale.py            # 10 and 1,000 items
    python bench/sfn_scale.py 10 200     # other sizes
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from botocore.stub import Stubber
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "shared", ROOT / "functions"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from tests.support.textract import MINIMAL_EXPENSE  # noqa: E402 - after the path set-up

TENANT = "bench"


@dataclass
class ScaleResult:
    """One run: how many items, the execution's input/output sizes in bytes, wall time, final status."""

    items: int
    input_bytes: int
    output_bytes: int
    seconds: float
    status: str
    succeeded: int


def _image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def run_batch(items: int, *, max_concurrency: int = 10) -> ScaleResult:
    """Scan ``items`` uploads as one batch under moto and measure the execution payloads."""
    from receiptflow.adapters.aws import clients
    from receiptflow.models import Batch, BatchItem
    from receiptflow.wiring.aws import batch_service

    from tests.support.serverless_stack import serverless_stack

    with TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        with serverless_stack(
            monkeypatch,
            Path(tmp),
            provider="textract",
            max_concurrency=max_concurrency,
            extra_env={"RECEIPTFLOW_CACHE_ENABLED": "false"},
        ) as stack:
            service = batch_service()
            batch = service.create(Batch(batch_id=f"scale-{items}", tenant_id=TENANT, name=f"{items} items"))
            data = _image()
            batch_items = []
            for n in range(1, items + 1):
                key = f"uploads/{TENANT}/{batch.batch_id}/{n:05d}"
                stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=data, ContentType="image/png")
                batch_items.append(
                    BatchItem(batch_id=batch.batch_id, item_id=f"{n:05d}", source=f"{n}.png", blob_key=key)
                )
            service.add_items(batch, batch_items)

            client = clients.textract_client()
            stubber = Stubber(client)
            for _ in range(items):
                stubber.add_response("analyze_expense", MINIMAL_EXPENSE)
            stubber.activate()

            start = time.perf_counter()
            arn = service.start(service.get(TENANT, batch.batch_id)).execution_arn
            assert arn is not None
            execution = stack.wait(arn, timeout=3600)
            seconds = time.perf_counter() - start
            final = service.get(TENANT, batch.batch_id)
            return ScaleResult(
                items=items,
                input_bytes=len(execution["input"].encode()),
                output_bytes=len(execution.get("output", "").encode()),
                seconds=round(seconds, 1),
                status=final.status.value,
                succeeded=final.counts.succeeded,
            )


def main(argv: list[str] | None = None) -> int:
    """Print one JSON line per batch size."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "sizes", type=int, nargs="*", default=[10, 1000], help="items per batch (default: 10 1000)"
    )
    args = parser.parse_args(argv)
    for size in args.sizes:
        print(json.dumps(asdict(run_batch(size))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

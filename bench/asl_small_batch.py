"""Cost and latency of one item processor for every batch size (docs/decisions.md): a 5-image batch through
the real ``statemachine/batch.asl.json`` (one Distributed Map over the run's S3 manifest) against the same
definition turned into an inline Map (items in the execution input), both under moto with the real
batch service, Step Functions dispatcher and Lambda handlers in-process. Textract is a ``Stubber``.

State transitions are counted as AWS bills them: every state entered, the states of each Map iteration
included; a Distributed Map also bills one transition per child execution it starts (an inline Map's
iterations are not billed as such). moto 5.2.5 runs the child executions but does not list them, so their
states are counted from the Lambda invocations they made (one Task state each). Latency is wall time from
the service's start to the execution's end, under moto (a ratio of the two variants is meaningful; the
absolute figure is not AWS's).

    python bench/asl_small_batch.py            # 5 images, 3 rounds each
    python bench/asl_small_batch.py 5 5        # images, rounds
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from botocore.stub import Stubber

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "shared", ROOT / "functions"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from bench.sfn_scale import _image  # noqa: E402 - after the path set-up
from tests.support.textract import MINIMAL_EXPENSE  # noqa: E402

TENANT = "bench"
PRICE_PER_TRANSITION_USD = 0.000025  # Step Functions Standard, us-east-1


def inline_variant(definition: dict[str, Any]) -> dict[str, Any]:
    """The same item processor in an inline Map that reads the items from the execution input."""
    variant: dict[str, Any] = json.loads(json.dumps(definition))
    scan = variant["States"]["Scan Items"]
    for key in ("ItemReader", "Label", "ToleratedFailurePercentage"):
        scan.pop(key, None)
    scan["ItemsPath"] = "$.items"
    scan["ItemProcessor"]["ProcessorConfig"] = {"Mode": "INLINE"}
    return variant


def run(items: int, variant: str) -> dict[str, float]:
    """One batch of ``items`` images through ``variant`` ("distributed" or "inline")."""
    from receiptflow.adapters.aws import clients
    from receiptflow.adapters.aws.sfn_dispatcher import StepFunctionsDispatcher
    from receiptflow.models import Batch, BatchItem
    from receiptflow.ports import Run
    from receiptflow.wiring import aws

    from infra.validate_asl import render_definition
    from tests.support.serverless_stack import DEFINITION_PATH, HANDLERS, function_arn, serverless_stack

    with TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        with serverless_stack(
            monkeypatch, Path(tmp), provider="textract", max_concurrency=5,
            extra_env={"RECEIPTFLOW_CACHE_ENABLED": "false"},
        ) as stack:  # fmt: skip
            if variant == "inline":
                values = {logical_id + "Arn": function_arn(logical_id) for logical_id in HANDLERS}
                values["MaxConcurrency"] = "5"
                rendered = json.loads(render_definition(DEFINITION_PATH.read_text(encoding="utf-8"), values))
                arn = stack.sfn.create_state_machine(
                    name="receiptflow-batch-inline",
                    definition=json.dumps(inline_variant(rendered)),
                    roleArn="arn:aws:iam::123456789012:role/receiptflow-batch",
                )["stateMachineArn"]

                class InlineDispatcher(StepFunctionsDispatcher):
                    """Puts the item ids in the execution input, as the inline Map needs."""

                    def start(self, run: Run) -> str:
                        name = f"{run.batch_id}-{run.name}"
                        payload = {"batch_id": run.batch_id, "tenant_id": run.tenant_id}
                        payload["items"] = [{"item_id": i} for i in run.item_ids]  # type: ignore[assignment]
                        started = self.client.start_execution(
                            stateMachineArn=arn, name=name, input=json.dumps(payload)
                        )
                        return str(started["executionArn"])

                inline = InlineDispatcher(state_machine_arn=arn, bucket="", blobs=aws.blob_store())
                monkeypatch.setattr(aws.batch_service(), "dispatcher", inline)
            service = aws.batch_service()
            batch = service.create(Batch(batch_id=f"{variant}-{items}", tenant_id=TENANT))
            data = _image()
            batch_items = []
            for n in range(1, items + 1):
                key = f"uploads/{TENANT}/{batch.batch_id}/{n:05d}"
                stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=data, ContentType="image/png")
                item = BatchItem(batch_id=batch.batch_id, item_id=f"{n:05d}", source=f"{n}.png", blob_key=key)
                batch_items.append(item)
            service.add_items(batch, batch_items)
            stubber = Stubber(clients.textract_client())
            for _ in range(items):
                stubber.add_response("analyze_expense", MINIMAL_EXPENSE)
            stubber.activate()

            start = time.perf_counter()
            execution_arn = service.start(service.get(TENANT, batch.batch_id)).execution_arn
            assert execution_arn is not None
            execution = stack.wait(execution_arn, timeout=600)
            seconds = time.perf_counter() - start
            assert execution["status"] == "SUCCEEDED", execution
            history = stack.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
            entered = [e for e in history if e["type"].endswith("StateEntered")]
            lambdas = [i for i in stack.invocations if i.event.get("batch_id") == batch.batch_id]
            in_children = len([i for i in lambdas if i.function != "FinalizeBatchFunction"])
            # inline: iteration states are in the parent's history; distributed: in the children's, plus
            # one transition per child execution started
            transitions = len(entered) + (items + in_children if variant == "distributed" else 0)
            assert service.get(TENANT, batch.batch_id).counts.succeeded == items
            return {"seconds": seconds, "transitions": transitions, "lambda_invocations": len(lambdas)}


def main(argv: list[str]) -> int:
    """Print one JSON line per variant: median seconds over the rounds, transitions, cost per batch."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("items", type=int, nargs="?", default=5, help="images per batch (default 5)")
    parser.add_argument("rounds", type=int, nargs="?", default=3, help="rounds per variant (default 3)")
    args = parser.parse_args(argv)
    items, rounds = args.items, args.rounds
    for variant in ("distributed", "inline"):
        results = [run(items, variant) for _ in range(rounds)]
        transitions = results[0]["transitions"]
        print(
            json.dumps(
                {
                    "variant": variant,
                    "items": items,
                    "median_seconds_under_moto": round(statistics.median(r["seconds"] for r in results), 2),
                    "state_transitions": transitions,
                    "transition_cost_usd": round(transitions * PRICE_PER_TRANSITION_USD, 6),
                    "lambda_invocations": results[0]["lambda_invocations"],
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

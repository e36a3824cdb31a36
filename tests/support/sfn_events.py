"""Step Functions "Execution Status Change" events as EventBridge delivers them (moto emits none), built
from a real ``DescribeExecution`` answer: the event's ``detail`` carries DescribeExecution's fields."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

DETAIL_TYPE = "Step Functions Execution Status Change"


def _millis(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if isinstance(value, dt.datetime) else None


def execution_status_change(
    described: Mapping[str, Any],
    status: str | None = None,
    *,
    error: str | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """The event for the execution ``described`` (``status`` overrides the described one, for the ends
    moto cannot produce on demand: ``FAILED``, ``TIMED_OUT``)."""
    arn, account, region = described["executionArn"], described["executionArn"].split(":")[4], "us-east-1"
    ended = status or described["status"]
    stop = _millis(described.get("stopDate")) or _millis(dt.datetime.now(dt.UTC))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.states",
        "account": account,
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": described["stateMachineArn"],
            "name": described["name"],
            "status": ended,
            "startDate": _millis(described.get("startDate")),
            "stopDate": stop,
            "input": described.get("input"),
            "output": None,
            "inputDetails": {"included": True},
            "outputDetails": None,
            "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE" if ended == "ABORTED" else "REDRIVABLE",
            "error": error,
            "cause": cause,
        },
    }

"""Lambda event fixtures (JSON files beside this module), one loader and a fake ``LambdaContext``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent


def load_event(name: str) -> dict[str, Any]:
    """The event stored as ``<name>.json`` (a fresh copy on every call)."""
    data: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


@dataclass
class FakeLambdaContext:
    """The attributes Powertools reads from a ``LambdaContext``."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/01/01/[$LATEST]0"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        """Plenty of time left."""
        return 300_000


def lambda_context(function_name: str = "test-function") -> FakeLambdaContext:
    """A context for ``function_name``."""
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
    return FakeLambdaContext(function_name=function_name, invoked_function_arn=arn)

"""API Gateway HTTP API v2 event files (``events/``) and the ApiFunction module, for the Lambda tests."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent / "api_events"
FUNCTION_PATH = Path(__file__).resolve().parents[2] / "functions" / "api" / "app.py"


def function_module() -> Any:
    """``functions/api/app.py`` (loaded by path: ``api`` is also this test package's name)."""
    name = "receiptflow_api_function_app"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, FUNCTION_PATH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def api_event(name: str, **values: str) -> dict[str, Any]:
    """The HTTP API v2 event ``events/<name>.json`` with ``{placeholders}`` filled in."""
    text = (EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    event: dict[str, Any] = json.loads(text)
    return event


def body(response: dict[str, Any]) -> Any:
    """The JSON body of a Lambda proxy response."""
    return json.loads(response["body"])

"""What a batch costs on AWS, per 1,000 receipts, counted from a run of the real stack under moto.

    .venv/bin/python bench/aws_cost.py [--items 40] [--subscribers 1] [--textract-seconds 3]
                                       [--json FILE] [--results FILE]

One batch of ``--items`` distinct receipt images goes the way a user sends it: ``POST /v1/batches`` through
the API function (Mangum), one presigned S3 POST per file, ``POST .../start``; the real
``statemachine/batch.asl.json`` runs under moto with the real Scan Image / Record Failure / Finalize
handlers in-process (``tests/support/serverless_stack.py``, as the e2e AWS tests), with the template's
default parameters (``Globals`` environment and ``MaxConcurrency`` read from template.yaml: provider chain
``auto`` = Textract first, the result cache on). ``--subscribers`` WebSocket clients connect and subscribe
through the realtime function before the start. Then the same images again as a new batch: the warm-cache
re-run. Before both, an unpriced one-image batch warms the in-process handlers (imports, clients), so the
durations are those of warm Lambda environments. Textract is answered in the client (a ``before-call``
hook, where the network call would go) with a one-page AnalyzeExpense response of the recorded shape.

Counted, for each batch (``Meter``):
- state transitions: the parent execution's history (every state entered), plus, for the Distributed Map,
  one per child execution started and one per state each child entered (each Lambda attempt, retries
  included), as Step Functions bills them (moto runs the children without listing them);
- Lambda invocations per function x the function's memory in template.yaml x the handler's duration
  measured here (1 ms granularity), at the price of the template's architecture. ESTIMATES: local
  timings, moto instead of the network, and each Textract call adds ``--textract-seconds`` (default 3, an
  assumed AnalyzeExpense latency) to its invocation;
- DynamoDB read and write request units, COMPUTED FROM ITEM SIZES (DynamoDB's size rules) for every
  request the adapters send: writes bill the larger of the item before and after (read back from the
  table around each write), transactional requests twice, each global secondary index an item enters,
  leaves or changes in once more; reads bill the returned items' size in 4 KB steps, half for
  eventually consistent reads;
- S3 requests by type (PUT/POST/COPY/LIST vs GET/HEAD; the presigned uploads included);
- WebSocket messages: every ``postToConnection`` plus the messages clients send (one subscribe each), and
  connection minutes over an estimated AWS wall time of the batch;
- HTTP API requests (create, start), EventBridge events, and Textract pages.
Priced with ``bench/aws_prices.py`` (one dated table, each price's source named). Not counted: Lambda
init/SnapStart restores (per environment, not per receipt), CloudWatch Logs ingestion, X-Ray traces, data
transfer, storage (see docs/performance.md for their size).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "shared", ROOT / "functions"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from bench import aws_prices as prices  # noqa: E402

SAMPLES = ROOT / "samples" / "receipts"
TENANT_CLAIM_TENANT = "alpha"  # the tenant of tests/support/api_events
TEXTRACT_SECONDS_PER_PAGE = 3.0  # ASSUMED synchronous AnalyzeExpense latency per page (not measurable here)
PER = 1000  # receipts
_meter_off = threading.local()


@dataclass
class Meter:
    """Everything one batch made AWS do."""

    items: int = 0
    transitions: int = 0
    lambda_calls: Counter[str] = field(default_factory=Counter)
    lambda_billed_s: dict[str, float] = field(default_factory=dict)  # per function, 1 ms steps
    textract_calls: int = 0
    textract_pages: int = 0
    dynamodb_rru: float = 0.0
    dynamodb_wru: float = 0.0
    dynamodb_wru_by_item: dict[str, float] = field(default_factory=dict)  # by the sort key's prefix
    dynamodb_requests: Counter[str] = field(default_factory=Counter)
    s3_requests: Counter[str] = field(default_factory=Counter)  # "PUT", "POST", "GET", "HEAD", "LIST", ...
    ws_posts: int = 0
    ws_received: int = 0
    ws_connection_minutes: float = 0.0
    http_api_requests: int = 0
    eventbridge_events: int = 0


# --- DynamoDB: item sizes and request units ---------------------------------------------------------


def value_bytes(value: dict[str, Any]) -> int:
    """Size of one attribute value in DynamoDB's JSON wire form, by DynamoDB's sizing rules."""
    (kind, raw), *_ = value.items()
    if kind == "S":
        return len(str(raw).encode("utf-8"))
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(base64.b64decode(raw))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode("utf-8")) for v in raw)
    if kind == "NS":
        return sum(value_bytes({"N": v}) for v in raw)
    if kind == "BS":
        return sum(len(base64.b64decode(v)) for v in raw)
    if kind == "L":
        return 3 + sum(1 + value_bytes(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_bytes(v) for k, v in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_bytes(item: dict[str, Any] | None) -> int:
    """Size of an item (attribute names plus values); 0 for no item."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_bytes(value) for name, value in item.items())


def write_units(
    before: dict[str, Any] | None, after: dict[str, Any] | None, indexes: list[list[str]]
) -> float:
    """WRU of one standard write: the larger of the item before and after, 1 KB steps, at least 1; plus one
    write per global secondary index the item enters, leaves or changes in (two when its index key moves)."""
    units = float(max(1, math.ceil(max(item_bytes(before), item_bytes(after)) / 1024)))
    for keys in indexes:
        was = before is not None and all(k in before for k in keys)
        now = after is not None and all(k in after for k in keys)
        if not was and not now or before == after:
            continue
        size = max(item_bytes(before) if was else 0, item_bytes(after) if now else 0)
        moved = was and now and any(before[k] != after[k] for k in keys)  # type: ignore[index]
        units += max(1, math.ceil(size / 1024)) * (2 if moved else 1)
    return units


def read_units(total_bytes: int, consistent: bool) -> float:
    """RRU of one read returning ``total_bytes``: 4 KB steps, at least one, half when eventually
    consistent."""
    return max(1, math.ceil(total_bytes / 4096)) * (1.0 if consistent else 0.5)


# --- the meter: every request the stack sees -----------------------------------------------------------


class Metering:
    """Wraps moto's request entry point: counts S3, WebSocket, EventBridge requests and DynamoDB units."""

    def __init__(self, lock: Any) -> None:
        import boto3

        from tests.support.serverless_stack import REGION

        self.meter = Meter()
        self.lock = lock
        self._dynamodb = boto3.client("dynamodb", region_name=REGION)
        self._keys: dict[str, list[str]] = {}
        self._indexes: dict[str, list[list[str]]] = {}

    @contextmanager
    def installed(self, monkeypatch: Any) -> Iterator[Metering]:
        """Count every request while the block runs."""
        from moto.core.botocore_stubber import BotocoreStubber

        inner = BotocoreStubber.process_request

        def metered(stubber: Any, request: Any) -> Any:
            if getattr(_meter_off, "on", False):
                return inner(stubber, request)
            return self._observe(lambda: inner(stubber, request), request)

        monkeypatch.setattr(BotocoreStubber, "process_request", metered)
        yield self

    def _table(self, name: str) -> tuple[list[str], list[list[str]]]:
        if name not in self._keys:
            described = self._unmetered(lambda: self._dynamodb.describe_table(TableName=name))["Table"]
            self._keys[name] = [k["AttributeName"] for k in described["KeySchema"]]
            self._indexes[name] = [
                [k["AttributeName"] for k in index["KeySchema"]]
                for index in described.get("GlobalSecondaryIndexes", [])
            ]
        return self._keys[name], self._indexes[name]

    @staticmethod
    def _unmetered(call: Callable[[], Any]) -> Any:
        _meter_off.on = True
        try:
            return call()
        finally:
            _meter_off.on = False

    def _current(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item = self._unmetered(lambda: self._dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True))
        return item.get("Item")  # type: ignore[no-any-return]

    def _observe(self, process: Callable[[], Any], request: Any) -> Any:
        url = urlsplit(str(request.url))
        headers = {k.lower(): v for k, v in dict(request.headers).items()}
        target = headers.get("x-amz-target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        if target.startswith("DynamoDB_"):
            return self._dynamodb_request(process, target.split(".", 1)[1], json.loads(request.body or b"{}"))
        result = process()
        host, method = url.hostname or "", str(request.method).upper()
        if target == "AWSEvents.PutEvents":
            self.meter.eventbridge_events += len(json.loads(request.body)["Entries"])
        elif "execute-api" in host and "/@connections/" in url.path and method == "POST":
            self.meter.ws_posts += 1
        elif host.startswith("s3.") or ".s3." in host or host.startswith("s3-"):
            self.meter.s3_requests[_s3_kind(method, url, headers)] += 1
        return result

    def _dynamodb_request(self, process: Callable[[], Any], op: str, body: dict[str, Any]) -> Any:
        meter = self.meter
        meter.dynamodb_requests[op] += 1
        with self.lock:
            writes = self._writes(op, body)
            before = [self._current(table, key) for table, key, _tx in writes]
            result = process()
            after = [self._current(table, key) for table, key, _tx in writes]
        status, _headers, raw = result
        response = json.loads(raw or "{}") if status == 200 else {}
        for (table, key, transactional), old, new in zip(writes, before, after, strict=True):
            units = write_units(old, new, self._table(table)[1]) * (2 if transactional else 1)
            meter.dynamodb_wru += units
            kind = _item_kind(key)
            meter.dynamodb_wru_by_item[kind] = meter.dynamodb_wru_by_item.get(kind, 0.0) + units
        consistent = bool(body.get("ConsistentRead"))
        if op == "GetItem":
            meter.dynamodb_rru += read_units(item_bytes(response.get("Item")), consistent)
        elif op in ("Query", "Scan"):
            consistent = consistent and "IndexName" not in body
            meter.dynamodb_rru += read_units(sum(map(item_bytes, response.get("Items", []))), consistent)
        elif op == "BatchGetItem":
            for table_items in response.get("Responses", {}).values():
                meter.dynamodb_rru += sum(read_units(item_bytes(i), consistent) for i in table_items)
        elif op == "TransactGetItems":
            meter.dynamodb_rru += sum(
                2 * read_units(item_bytes(r.get("Item")), True) for r in response.get("Responses", [])
            )
        return result

    def _writes(self, op: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
        """(table, key, transactional) of every item a write request touches."""

        def key_of(table: str, item: dict[str, Any]) -> dict[str, Any]:
            return {k: item[k] for k in self._table(table)[0]}

        if op == "PutItem":
            return [(body["TableName"], key_of(body["TableName"], body["Item"]), False)]
        if op in ("UpdateItem", "DeleteItem"):
            return [(body["TableName"], body["Key"], False)]
        if op == "BatchWriteItem":
            found = []
            for table, requests in body["RequestItems"].items():
                for request in requests:
                    put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                    found.append((table, key_of(table, put["Item"]) if put else delete["Key"], False))
            return found
        if op == "TransactWriteItems":
            found = []
            for action in body["TransactItems"]:
                (kind, spec), *_ = action.items()
                key = key_of(spec["TableName"], spec["Item"]) if kind == "Put" else spec["Key"]
                found.append((spec["TableName"], key, True))
            return found
        return []


def _item_kind(key: dict[str, Any]) -> str:
    """What an item is, from its key: the sort key's prefix (``ITEM#00001`` -> ``ITEM``), or the key's
    attribute name in a table without a sort key (``connection_id``)."""
    if "sk" not in key:
        return "+".join(sorted(key))
    (raw,) = key["sk"].values()
    return str(raw).split("#", 1)[0]


def _s3_kind(method: str, url: Any, headers: dict[str, Any]) -> str:
    """The S3 request class of one request (LIST: a GET on the bucket, not an object)."""
    host = url.hostname or ""
    path = url.path.strip("/")
    object_key = path if not (host.startswith("s3.") or host.startswith("s3-")) else path.partition("/")[2]
    if method == "GET" and not object_key:
        return "LIST"
    if method == "PUT" and "x-amz-copy-source" in headers:
        return "COPY"
    return method


# --- the run ---------------------------------------------------------------------------------------


def receipt_files(n: int, tag: str = "copy") -> dict[str, bytes]:
    """``n`` distinct receipt files: the bundled JPEG samples, each copy made distinct by a JPEG comment
    segment naming ``tag`` and its number (same pixels, other bytes: a cache miss on a cold run)."""
    samples = sorted(SAMPLES.glob("*.jpg"))
    files: dict[str, bytes] = {}
    for i in range(n):
        data = samples[i % len(samples)].read_bytes()
        comment = f"receiptflow bench {tag} {i}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        files[f"{i:05d}-{samples[i % len(samples)].name}"] = data[:2] + segment + data[2:]
    return files


def lambda_memory_mb() -> dict[str, int]:
    """Each function's configured memory in template.yaml (the Globals default otherwise)."""
    from tests.support.template import load_template

    template = load_template()
    default = int(template["Globals"]["Function"]["MemorySize"])
    return {
        logical_id: int((resource.get("Properties") or {}).get("MemorySize", default))
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }


def lambda_gb_second_price() -> prices.Price:
    """The GB-second price of the functions' architecture in template.yaml's ``Globals``."""
    from tests.support.template import load_template

    (architecture,) = load_template()["Globals"]["Function"]["Architectures"]
    return prices.LAMBDA_ARM_GB_SECOND if architecture == "arm64" else prices.LAMBDA_X86_GB_SECOND


class Run:
    """The stack, the meter and the timed handlers for a cold and a warm batch."""

    def __init__(
        self,
        stack: Any,
        metering: Metering,
        monkeypatch: Any,
        subscribers: int,
        max_concurrency: int,
        textract_seconds: float = TEXTRACT_SECONDS_PER_PAGE,
    ) -> None:
        self.stack = stack
        self.metering = metering
        self.subscribers = subscribers
        self.max_concurrency = max_concurrency
        self.textract_seconds = textract_seconds
        self.prime = Meter()  # the warm-up batch, set by metered_stack
        self.monkeypatch = monkeypatch
        self._time_handlers()

    def _time_handlers(self) -> None:
        from tests.support import serverless_stack as module

        original = module.handler_for

        def timed(logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
            handler = original(logical_id)

            def run(event: dict[str, Any], context: Any) -> Any:
                return self.timed_call(logical_id, handler, event, context)

            return run

        self.monkeypatch.setattr(module, "handler_for", timed)

    def timed_call(self, logical_id: str, handler: Callable[..., Any], *args: Any) -> Any:
        """Call ``handler``, counting one invocation of ``logical_id`` and its billed duration."""
        meter = self.metering.meter
        calls_before = meter.textract_calls
        start = time.perf_counter()
        try:
            return handler(*args)
        finally:
            seconds = time.perf_counter() - start
            seconds += (meter.textract_calls - calls_before) * self.textract_seconds
            meter.lambda_calls[logical_id] += 1
            billed = math.ceil(seconds * 1000) / 1000
            meter.lambda_billed_s[logical_id] = meter.lambda_billed_s.get(logical_id, 0.0) + billed

    def api(self, name: str, body_json: dict[str, Any] | None = None, **values: str) -> dict[str, Any]:
        """One HTTP API request through the API function."""
        from tests.support.events import lambda_context
        from tests.support.lambda_events import api_event, body, function_module

        event = api_event(name, **values)
        if body_json is not None:
            event["body"] = json.dumps(body_json)
        self.metering.meter.http_api_requests += 1
        response = self.timed_call(
            "ApiFunction", function_module().handler, event, lambda_context("ApiFunction")
        )
        if response["statusCode"] >= 300:
            raise RuntimeError(f"{name}: {response['statusCode']} {response['body']}")
        return body(response)  # type: ignore[no-any-return]

    def realtime(self, name: str, connection_id: str, **extra: Any) -> None:
        """One WebSocket route invocation through the realtime function."""
        from realtime.app import handler

        from tests.support.events import lambda_context, load_event

        event = load_event(name)
        event["requestContext"]["connectionId"] = connection_id
        if "token" in extra:
            event["queryStringParameters"] = {"token": extra["token"]}
        if "body" in extra:
            event["body"] = json.dumps(extra["body"])
            self.metering.meter.ws_received += 1
        response = self.timed_call("RealtimeFunction", handler, event, lambda_context("RealtimeFunction"))
        if response["statusCode"] != 200:
            raise RuntimeError(f"{name}: {response}")

    def batch(self, label: str, files: dict[str, bytes]) -> tuple[Meter, dict[str, Any]]:
        """One batch through the API, with its subscribers; the meter of everything it caused."""
        import requests
        from receiptflow.adapters.aws import clients
        from receiptflow.wiring.aws import batch_service

        from tests.support.tokens import token

        self.metering.meter = meter = Meter(items=len(files))
        invocations_before = len(self.stack.invocations)
        announced = {"name": label, "files": [{"name": n, "content_type": "image/jpeg"} for n in files]}
        created = self.api("create_batch", body_json=announced)
        batch_id = created["batch"]["batch_id"]
        for target in created["uploads"]:
            form = requests.post(
                target["url"],
                data=target["fields"],
                files={"file": (target["source"], files[target["source"]])},
            )
            if form.status_code not in (200, 204):
                raise RuntimeError(f"upload failed: {form.status_code} {form.text[:200]}")
        connections = [f"{label}-ws-{n}" for n in range(self.subscribers)]
        for connection in connections:
            self.realtime("ws_connect", connection, token=token(TENANT_CLAIM_TENANT))
            self.realtime("ws_subscribe", connection, body={"action": "subscribe", "batch_id": batch_id})
        textract = clients.textract_client()
        counted = self._count_textract(textract)
        try:
            started = self.api("start_batch", batch_id=batch_id)
            execution = self.stack.wait(started["execution_arn"], timeout=1800)
        finally:
            counted()
        for connection in connections:
            self.realtime("ws_disconnect", connection)
        if execution["status"] != "SUCCEEDED":
            raise RuntimeError(f"{label}: execution {execution['status']}")
        final = batch_service().get(TENANT_CLAIM_TENANT, batch_id)
        history = self.stack.sfn.get_execution_history(executionArn=started["execution_arn"], maxResults=1000)
        entered = sum(1 for e in history["events"] if e["type"].endswith("StateEntered"))
        mine = [i for i in self.stack.invocations[invocations_before:] if i.event.get("batch_id") == batch_id]
        in_children = sum(1 for i in mine if i.function != "FinalizeBatchFunction")
        finalize_retries = max(0, sum(1 for i in mine if i.function == "FinalizeBatchFunction") - 1)
        meter.transitions = entered + finalize_retries + len(files) + in_children
        scan_s = meter.lambda_billed_s.get("ScanImageFunction", 0.0) / max(
            1, meter.lambda_calls["ScanImageFunction"]
        )
        wall_minutes = math.ceil(len(files) / self.max_concurrency) * scan_s / 60
        meter.ws_connection_minutes = self.subscribers * max(1.0, math.ceil(wall_minutes))
        outcome = {
            "status": final.status.value,
            "counts": final.counts.model_dump(),
            "aws_wall_minutes": wall_minutes,
        }
        return meter, outcome

    def _count_textract(self, client: Any) -> Callable[[], None]:
        """Answer every AnalyzeExpense call with a one-page receipt, counting calls and pages."""
        from tests.support.textract import MINIMAL_EXPENSE

        meter = self.metering.meter

        def answer(http_response: Any, parsed: dict[str, Any], model: Any, **kwargs: Any) -> None:
            if model.name == "AnalyzeExpense":
                meter.textract_calls += 1
                meter.textract_pages += int(parsed.get("DocumentMetadata", {}).get("Pages", 1))

        def short_circuit(model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
            if model.name != "AnalyzeExpense":
                return None
            import botocore.awsrequest

            body = json.dumps(MINIMAL_EXPENSE).encode()
            return botocore.awsrequest.AWSResponse(
                "https://textract", 200, botocore.awsrequest.HTTPHeaders(), _Raw(body)
            ), json.loads(body)

        client.meta.events.register(
            "before-call.textract.AnalyzeExpense", short_circuit, unique_id="bench-tx"
        )
        client.meta.events.register("after-call.textract.AnalyzeExpense", answer, unique_id="bench-tx-count")

        def remove() -> None:
            client.meta.events.unregister("before-call.textract.AnalyzeExpense", unique_id="bench-tx")
            client.meta.events.unregister("after-call.textract.AnalyzeExpense", unique_id="bench-tx-count")

        return remove


class _Raw:
    """The raw body of a short-circuited botocore response."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._data


# --- pricing ----------------------------------------------------------------------------------------


def priced(meter: Meter, memory_mb: dict[str, int], gb_second: prices.Price) -> dict[str, float]:
    """Dollars per resource for ``meter``'s batch, Lambda compute at ``gb_second``."""
    gb_seconds = sum(meter.lambda_billed_s[f] * memory_mb[f] / 1024 for f in meter.lambda_billed_s)
    s3 = meter.s3_requests
    tier1 = s3["PUT"] + s3["POST"] + s3["COPY"] + s3["LIST"]
    tier2 = s3["GET"] + s3["HEAD"]
    ws_messages = meter.ws_posts + meter.ws_received
    return {
        "step_functions": meter.transitions * prices.STEP_FUNCTIONS_TRANSITION.usd,
        "lambda": gb_seconds * gb_second.usd + sum(meter.lambda_calls.values()) * prices.LAMBDA_REQUEST.usd,
        "dynamodb": meter.dynamodb_wru * prices.DYNAMODB_WRITE_UNIT.usd
        + meter.dynamodb_rru * prices.DYNAMODB_READ_UNIT.usd,
        "s3_requests": tier1 * prices.S3_TIER1_REQUEST.usd + tier2 * prices.S3_TIER2_REQUEST.usd,
        "websocket": ws_messages * prices.WEBSOCKET_MESSAGE.usd
        + meter.ws_connection_minutes * prices.WEBSOCKET_CONNECTION_MINUTE.usd,
        "http_api": meter.http_api_requests * prices.HTTP_API_REQUEST.usd,
        "eventbridge": meter.eventbridge_events * prices.EVENTBRIDGE_EVENT.usd,
        "textract": meter.textract_pages * prices.TEXTRACT_EXPENSE_PAGE.usd,
    }


def per_thousand(costs: dict[str, float], items: int) -> dict[str, float]:
    """``costs`` scaled to 1,000 receipts, with the infrastructure total (everything but Textract)."""
    scaled = {k: v * PER / items for k, v in costs.items()}
    scaled["infrastructure"] = sum(v for k, v in scaled.items() if k != "textract")
    scaled["total"] = scaled["infrastructure"] + scaled["textract"]
    return scaled


@contextmanager
def metered_stack(subscribers: int = 1, textract_seconds: float = TEXTRACT_SECONDS_PER_PAGE) -> Iterator[Run]:
    """The serverless stack under moto at the template's defaults, every request metered, the handlers
    timed, and a one-image batch already run through it so the handlers are warm."""
    import pytest
    from receiptflow.settings import Settings

    from tests.support.lambda_events import function_module
    from tests.support.serverless_stack import serverless_stack
    from tests.support.template_defaults import default_environment, default_map_concurrency
    from tests.support.tokens import serve_jwks

    environment = default_environment()
    defaults = {
        **environment,
        "RECEIPTFLOW_RETRY_ATTEMPTS": str(Settings.model_fields["retry_attempts"].default),
    }
    concurrency = default_map_concurrency()
    with TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch:
        serve_jwks(monkeypatch)
        with serverless_stack(
            monkeypatch,
            Path(tmp),
            provider=environment["RECEIPTFLOW_PROVIDER"],
            max_concurrency=concurrency,
            extra_env=defaults,
        ) as stack:
            function_module().asgi_handler.cache_clear()
            metering = Metering(stack.lock)
            try:
                with metering.installed(monkeypatch):
                    run = Run(stack, metering, monkeypatch, subscribers, concurrency, textract_seconds)
                    run.prime, _ = run.batch("prime", receipt_files(1, tag="prime"))
                    yield run
            finally:
                function_module().asgi_handler.cache_clear()


def measure(
    items: int = 40, subscribers: int = 1, textract_seconds: float = TEXTRACT_SECONDS_PER_PAGE
) -> dict[str, Any]:
    """A cold batch and a warm re-run of the same ``items`` images; counts, dollars and the ratios. The
    one-image batch that warms the handlers first is reported as ``prime`` (its first calls include the
    imports: an estimate of each function's init), not priced."""
    files = receipt_files(items)
    memory = lambda_memory_mb()
    gb_second = lambda_gb_second_price()
    with metered_stack(subscribers, textract_seconds) as run:
        prime, concurrency = run.prime, run.max_concurrency
        cold, cold_outcome = run.batch("cold", files)
        warm, warm_outcome = run.batch("warm", files)
    if cold.textract_pages != items or warm.textract_pages != 0:
        raise RuntimeError(
            f"unexpected Textract pages: cold {cold.textract_pages}, warm {warm.textract_pages}"
        )
    cold_usd = per_thousand(priced(cold, memory, gb_second), items)
    warm_usd = per_thousand(priced(warm, memory, gb_second), items)
    return {
        "items": items,
        "subscribers": subscribers,
        "max_concurrency": concurrency,
        "textract_seconds_per_page_assumed": textract_seconds,
        "lambda_memory_mb": memory,
        "lambda_gb_second_usd": gb_second.usd,
        "prices": {name: asdict(price) for name, price in prices.ALL.items()},
        "prices_dated": prices.PRICES_DATED,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "prime": {"counts": _counts(prime)},
        "cold": {"counts": _counts(cold), "usd_per_1000": cold_usd, "outcome": cold_outcome},
        "warm": {"counts": _counts(warm), "usd_per_1000": warm_usd, "outcome": warm_outcome},
        "aws_infra_cost_share": cold_usd["infrastructure"] / cold_usd["textract"],
        "aws_warm_cost_share": warm_usd["total"] / cold_usd["total"],
    }


def _counts(meter: Meter) -> dict[str, Any]:
    counts = asdict(meter)
    for key in ("lambda_calls", "lambda_billed_s", "dynamodb_requests", "s3_requests"):
        counts[key] = dict(getattr(meter, key))
    return counts


RESOURCES = {
    "step_functions": "Step Functions state transitions",
    "lambda": "Lambda requests + GB-seconds (estimate)",
    "dynamodb": "DynamoDB read/write request units",
    "s3_requests": "S3 requests",
    "websocket": "API Gateway WebSocket messages + connection minutes",
    "http_api": "API Gateway HTTP API requests",
    "eventbridge": "EventBridge events",
    "textract": "Textract AnalyzeExpense pages",
    "infrastructure": "infrastructure (all but Textract)",
    "total": "total",
}
TARGETS = {"aws_infra_cost_share": 0.10, "aws_warm_cost_share": 0.02}


def table_rows(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(resource, cold $, warm $) per 1,000 receipts, then the two shares with their targets."""
    cold, warm = figures["cold"]["usd_per_1000"], figures["warm"]["usd_per_1000"]
    rows = [(label, f"{cold[key]:.4f}", f"{warm[key]:.4f}") for key, label in RESOURCES.items()]
    rows.append(
        ("infrastructure / Textract, cold (target <= 0.10)", f"{figures['aws_infra_cost_share']:.3f}", "")
    )
    rows.append(("warm total / cold total (target <= 0.02)", "", f"{figures['aws_warm_cost_share']:.3f}"))
    return rows


def count_lines(figures: dict[str, Any]) -> list[str]:
    """What each batch made AWS do, per receipt."""
    lines = []
    n = figures["items"]
    for label in ("cold", "warm"):
        c = figures[label]["counts"]
        wru = {kind: round(units / n, 2) for kind, units in c["dynamodb_wru_by_item"].items()}
        lines.append(
            f"{label}: per receipt {c['transitions'] / n:.2f} transitions, "
            f"{sum(c['lambda_calls'].values()) / n:.2f} Lambda calls "
            f"({sum(c['lambda_billed_s'].values()) / n:.2f} billed s), {c['dynamodb_wru'] / n:.1f} WRU, "
            f"{c['dynamodb_rru'] / n:.1f} RRU, {sum(c['s3_requests'].values()) / n:.2f} S3 requests, "
            f"{(c['ws_posts'] + c['ws_received']) / n:.2f} WebSocket messages, "
            f"{c['textract_pages'] / n:.2f} Textract pages; Lambda calls {dict(c['lambda_calls'])}; "
            f"WRU per receipt by item {wru}; "
            f"DynamoDB requests {dict(c['dynamodb_requests'])}; S3 {dict(c['s3_requests'])}"
        )
    return lines


def caption(figures: dict[str, Any]) -> str:
    """One sentence saying what was run and priced."""
    return (
        f"AWS cost per 1,000 receipts, measured {figures.get('date', '?')} (us-east-1 list prices of "
        f"{figures['prices_dated']}, bench/aws_prices.py; "
        f"one batch of {figures['items']} distinct images, then the same images again; "
        f"{figures['subscribers']} WebSocket subscriber(s); MaxConcurrency {figures['max_concurrency']}; "
        f"Lambda durations are local estimates + {figures['textract_seconds_per_page_assumed']:g} s "
        "assumed per Textract page)"
    )


def print_table(figures: dict[str, Any]) -> None:
    """Dollars per 1,000 receipts, cold and warm, by resource; then the counts behind them."""
    rows = table_rows(figures)
    width = max(len(r[0]) for r in rows)
    print(caption(figures))
    print(f"  {'resource':<{width}}  {'cold $':>10}  {'warm $':>10}")
    for name, cold, warm in rows:
        print(f"  {name:<{width}}  {cold:>10}  {warm:>10}")
    for line in count_lines(figures):
        print(f"  {line}")


def markdown(figures: dict[str, Any]) -> list[str]:
    """The same table and counts as Markdown lines (docs/performance.md)."""
    return [
        caption(figures) + ":",
        "",
        "| resource | cold $ / 1,000 | warm $ / 1,000 |",
        "|---|---:|---:|",
        *(f"| {name} | {cold} | {warm} |" for name, cold, warm in table_rows(figures)),
        "",
        *(f"- {line}" for line in count_lines(figures)),
    ]


def update_results(path: Path, figures: dict[str, Any]) -> None:
    """Put the two shares and the details into an existing results file (``make bench-aws``)."""
    results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for key in TARGETS:
        results[key] = figures[key]
    results.setdefault("details", {})["aws_cost"] = figures
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=40, help="distinct images per batch (default 40)")
    parser.add_argument("--subscribers", type=int, default=1, help="WebSocket subscribers (default 1)")
    parser.add_argument(
        "--textract-seconds",
        type=float,
        default=TEXTRACT_SECONDS_PER_PAGE,
        help="assumed AnalyzeExpense latency added to each Scan Image call per page (default 3)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--results", type=Path, help="update the aws_* keys of this bench results file")
    args = parser.parse_args(argv)
    figures = measure(args.items, args.subscribers, args.textract_seconds)
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.results:
        update_results(args.results, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

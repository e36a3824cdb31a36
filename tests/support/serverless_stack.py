"""The serverless stack under moto: the template's tables and bucket, the real ``batch.asl.json`` executed by
moto's Step Functions interpreter, and moto's Lambda backend patched to run our real handlers in-process.

What stands in for AWS, and only that:
- ``LambdaSimpleBackend.invoke`` calls the handler named by the function ARN and answers like the Lambda
  Python runtime (``FunctionError`` + ``{"errorType": <exception class name>, ...}``), so Retry/Catch see
  our error names exactly as in AWS;
- the Retry back-off sleeps are recorded instead of slept; tests may hook before/after each Lambda task;
- S3 → EventBridge → the template's ingest rule pattern → an SQS queue, which the test drains into the
  ingest handler (moto's EventBridge cannot target a Lambda in-process); likewise ``BatchCompleted`` events
  through the webhook function's rule pattern;
- the drop folder's timer queue is a real moto SQS queue that the ingest handler sends its delayed ticks
  to; SQS's clock is controllable (:meth:`Stack.advance`), so a 60 s ``DelaySeconds`` passes at once and
  :meth:`Stack.deliver_timers` hands the messages that are due to the ingest handler in batches of up to 10,
  deleting those it did not report failed, as Lambda's event source mapping does;
- API Gateway's management API is moto's (it keeps what was posted per connection).
Every AWS request is processed one at a time (moto's in-process backends are not thread-safe), and a
test may hold :attr:`Stack.lock` to pause the workflow between two steps of its own.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from receiptflow.settings import get_settings
from receiptflow.wiring import aws as aws_wiring

from infra.validate_asl import render_definition
from tests.support.events import lambda_context
from tests.support.template import (
    TEMPLATE_PATH,
    create_buckets_from_template,
    create_tables_from_template,
    load_template,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFINITION_PATH = REPO_ROOT / "statemachine" / "batch.asl.json"
WEBSOCKET_ENDPOINT = "https://abc123.execute-api.us-east-1.amazonaws.com/v1"
JWT_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_receiptflow"
JWT_AUDIENCE = "receiptflow-app-client"

# logical id → (module under functions/, handler attribute), as template.yaml wires them
HANDLERS: dict[str, tuple[str, str]] = {
    "ScanImageFunction": ("scan_image.app", "handler"),
    "RecordFailureFunction": ("record_failure.app", "handler"),
    "FinalizeBatchFunction": ("finalize_batch.app", "handler"),
}
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def function_arn(logical_id: str) -> str:
    """The ARN the definition is rendered with for one function."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"


def handler_for(logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
    """The real handler behind a function."""
    module_name, attribute = HANDLERS[logical_id]
    handler: Callable[[dict[str, Any], Any], Any] = getattr(importlib.import_module(module_name), attribute)
    return handler


@dataclass
class Invocation:
    """One Lambda invocation made by the state machine."""

    function: str
    event: dict[str, Any]
    error_type: str | None = None


class SqsClock:
    """moto's SQS clock (epoch milliseconds): real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset_ms = 0.0

    def __call__(self) -> float:
        return time.time() * 1000.0 + self.offset_ms


@dataclass
class Stack:
    """Handles on the mocked resources."""

    bucket: str
    table: str
    connections_table: str
    state_machine_arn: str
    inbox_queue_url: str
    notices_queue_url: str
    webhook_queue_url: str
    timer_queue_url: str
    sqs_clock: SqsClock
    lock: threading.RLock
    executes: bool = True  # False: executions are started but never run (they stay RUNNING)
    invocations: list[Invocation] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    after_invoke: list[Callable[[Invocation], None]] = field(default_factory=list)
    before_invoke: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    @property
    def s3(self) -> Any:
        """S3 client."""
        return boto3.client("s3", region_name=REGION)

    @property
    def sfn(self) -> Any:
        """Step Functions client."""
        return boto3.client("stepfunctions", region_name=REGION)

    @property
    def sqs(self) -> Any:
        """SQS client."""
        return boto3.client("sqs", region_name=REGION)

    def drop(self, key: str, data: bytes) -> None:
        """Upload one object (S3 tells EventBridge, whose rule queues the event)."""
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def _drain(self, queue_url: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return events
            for message in messages:
                events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def inbox_events(self) -> list[dict[str, Any]]:
        """The EventBridge events the template's ingest rule matched since the last call."""
        return self._drain(self.inbox_queue_url)

    def completion_notices(self) -> list[dict[str, Any]]:
        """``BatchCompleted`` events put on the default bus since the last call."""
        return self._drain(self.notices_queue_url)

    def webhook_events(self) -> list[dict[str, Any]]:
        """The events the template's webhook rule matched since the last call."""
        return self._drain(self.webhook_queue_url)

    def ingest(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Run the ingest handler on each EventBridge event, as the rule's target would."""
        handler = _function_handler("ingest.app")
        return [handler(event, lambda_context("IngestFunction")) for event in events]

    def ingest_inbox(self) -> list[dict[str, Any]]:
        """Ingest every queued inbox event (see :meth:`inbox_events`); the handler's answers."""
        return self.ingest(self.inbox_events())

    def advance(self, seconds: float) -> None:
        """Move SQS's clock forward: delayed messages become due, invisible ones visible again."""
        self.sqs_clock.offset_ms += seconds * 1000.0

    def pending_timers(self) -> list[tuple[str, int]]:
        """The timer queue's messages not deleted yet: (body, DelaySeconds), oldest first."""
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[ACCOUNT][REGION].get_queue(self.timer_queue_url.rsplit("/", 1)[-1])
        return [
            (m.body, int((m.delayed_until - (m.sent_timestamp or 0)) / 1000)) for m in list(queue._messages)
        ]

    def deliver_timers(self) -> list[dict[str, Any]]:
        """Hand every due timer message to the ingest handler, at most 10 per invocation, deleting the ones
        it did not report failed (those come back after the queue's visibility timeout, as in SQS); the
        outcomes of the ticks handled."""
        handler = _function_handler("ingest.app")
        outcomes: list[dict[str, Any]] = []
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.timer_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.timer_queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return outcomes
            event = {"Records": [sqs_record(m, queue_arn) for m in messages]}
            answer = handler(event, lambda_context("IngestFunction"))
            failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
            for message in messages:
                if message["MessageId"] not in failed:
                    self.sqs.delete_message(
                        QueueUrl=self.timer_queue_url, ReceiptHandle=message["ReceiptHandle"]
                    )
            outcomes.extend(answer["outcomes"])

    def quiet_period_passes(self, seconds: float | None = None) -> list[dict[str, Any]]:
        """Let ``seconds`` (default: the deployed quiet period) pass, then deliver the due timers."""
        self.advance(float(os.environ["RECEIPTFLOW_INBOX_QUIET_SECONDS"]) if seconds is None else seconds)
        return self.deliver_timers()

    def executions(self) -> list[dict[str, Any]]:
        """Every execution of the batch state machine."""
        executions: list[dict[str, Any]] = self.sfn.list_executions(stateMachineArn=self.state_machine_arn)[
            "executions"
        ]
        return executions

    def wait(self, execution_arn: str, timeout: float = 120.0) -> dict[str, Any]:
        """The execution once it left RUNNING; fails at the deadline (never loops forever)."""
        deadline = time.monotonic() + timeout
        while True:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            if time.monotonic() > deadline:
                pytest.fail(f"execution {execution_arn} still RUNNING after {timeout:.0f} s")
            time.sleep(0.05)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait (bounded) until no execution is RUNNING, so no workflow thread outlives the test's moto."""
        if not self.executes:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(e["status"] != "RUNNING" for e in self.executions()):
                return
            time.sleep(0.05)

    @contextmanager
    def unlocked(self) -> Iterator[None]:
        """Let other threads' AWS requests through while this thread (one that holds :attr:`lock`, e.g. a
        Lambda handler blocked on purpose) waits inside the block."""
        lock: Any = self.lock  # RLock's full release and restore, as threading.Condition does it
        if not lock._is_owned():
            yield
            return
        saved = lock._release_save()
        try:
            yield
        finally:
            lock._acquire_restore(saved)

    def socket_messages(self, connection_id: str) -> list[dict[str, Any]]:
        """Every JSON message posted to ``connection_id``, in order (moto concatenates them)."""
        from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

        data = apigatewaymanagementapi_backends[ACCOUNT][REGION].connections[connection_id].data.decode()
        decoder = json.JSONDecoder()
        messages: list[dict[str, Any]] = []
        index = 0
        while index < len(data):
            message, index = decoder.raw_decode(data, index)
            messages.append(message)
        return messages


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """One received SQS message as a Lambda SQS event record."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "0"),
            "SenderId": attributes.get("SenderId", ACCOUNT),
            "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "0"),
        },
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def _function_handler(module_name: str) -> Callable[[dict[str, Any], Any], Any]:
    handler: Callable[[dict[str, Any], Any], Any] = importlib.import_module(module_name).handler
    return handler


def _patch_lambda(
    monkeypatch: pytest.MonkeyPatch, invocations: list[Invocation], hooks: list[Callable[[Invocation], None]]
) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(
        self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
    ) -> bytes:
        logical_id = function_name.rsplit(":", 1)[-1]
        event = json.loads(body or "{}")
        invocation = Invocation(logical_id, event)
        invocations.append(invocation)
        try:
            result = handler_for(logical_id)(event, lambda_context(logical_id))
        except Exception as e:  # the Lambda runtime reports any exception this way
            invocation.error_type = type(e).__name__
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {"errorType": type(e).__name__, "errorMessage": str(e), "stackTrace": []}
            ).encode()
        finally:
            for hook in list(hooks):
                hook(invocation)
        return json.dumps(result).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)


def _patch_before_invoke(
    monkeypatch: pytest.MonkeyPatch, hooks: list[Callable[[dict[str, Any]], None]]
) -> None:
    """Run ``hooks`` with each Lambda task's parameters just before the state machine invokes it, outside
    the request lock, so a hook may wait for the test thread."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = lambda_eval_utils.execute_lambda_function_integration

    def gated(*args: Any, **kwargs: Any) -> None:
        parameters = kwargs.get("parameters", args[1] if len(args) > 1 else {})
        for hook in list(hooks):
            hook(parameters)
        original(*args, **kwargs)

    monkeypatch.setattr(lambda_eval_utils, "execute_lambda_function_integration", gated)


def _patch_retry_sleep(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    class _Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            sleeps.append(seconds)

    monkeypatch.setattr(retrier_decl, "time", _Clock)


def _serialise(monkeypatch: pytest.MonkeyPatch, *, concurrent_lambdas: bool = False) -> threading.RLock:
    lock = threading.RLock()
    process = BotocoreStubber.process_request

    def serialised(self: BotocoreStubber, request: Any) -> Any:
        if concurrent_lambdas and _is_lambda_invoke(request):
            return process(self, request)  # the handler's own AWS calls still take the lock one by one
        with lock:
            return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", serialised)
    return lock


def _is_lambda_invoke(request: Any) -> bool:
    url = str(getattr(request, "url", ""))
    return url.startswith("https://lambda.") and url.endswith("/invocations")


def _queue(name: str, attributes: dict[str, str] | None = None) -> tuple[str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    attrs: Any = attributes or {}
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def rule_pattern(function_id: str, event_name: str, references: dict[str, str]) -> dict[str, Any]:
    """The event pattern of one of the template's EventBridge rules, ``Ref``s replaced by ``references``."""
    template = load_template(TEMPLATE_PATH)
    event = template["Resources"][function_id]["Properties"]["Events"][event_name]

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Ref"}:
                return references[value["Ref"]]
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    pattern: dict[str, Any] = resolve(event["Properties"]["Pattern"])
    return pattern


def template_default(parameter: str) -> str:
    """A template parameter's default value."""
    return str(load_template(TEMPLATE_PATH)["Parameters"][parameter]["Default"])


def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, values: dict[str, str]) -> None:
    base = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "receiptflow",
        "POWERTOOLS_METRICS_NAMESPACE": "Receiptflow",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "RECEIPTFLOW_DATA_DIR": str(tmp_path / "data"),
    }
    for name, value in {**base, **values}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)


def _reset_caches() -> None:
    get_settings.cache_clear()
    aws_wiring.reset()


@contextmanager
def serverless_stack(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *,
    provider: str = "textract",
    max_concurrency: int = 4,
    extra_env: dict[str, str] | None = None,
    concurrent_lambdas: bool = False,
    execute: bool = True,
) -> Iterator[Stack]:
    """Everything the batch workflow touches, under moto, wired like template.yaml (the drop folder's quiet
    period is the template's default unless ``extra_env`` says otherwise). With ``concurrent_lambdas`` the
    handlers of concurrent Map iterations run at the same time, as Lambda runs them (each AWS call they
    make is still processed alone); by default one Lambda runs at a time. With ``execute`` False the
    state machine does not run: executions are started (and can be stopped) but stay ``RUNNING``."""
    _environment(monkeypatch, tmp_path, {})
    sqs_clock = SqsClock()
    monkeypatch.setattr("moto.sqs.models.unix_time_millis", sqs_clock)
    invocations: list[Invocation] = []
    sleeps: list[float] = []
    hooks: list[Callable[[Invocation], None]] = []
    gates: list[Callable[[dict[str, Any]], None]] = []
    _patch_lambda(monkeypatch, invocations, hooks)
    _patch_before_invoke(monkeypatch, gates)
    _patch_retry_sleep(monkeypatch, sleeps)
    lock = _serialise(monkeypatch, concurrent_lambdas=concurrent_lambdas)
    _reset_caches()
    try:
        config: Any = (
            MOTO_CONFIG if execute else {**MOTO_CONFIG, "stepfunctions": {"execute_state_machine": False}}
        )
        with mock_aws(config=config):
            tables = create_tables_from_template(boto3.client("dynamodb", region_name=REGION))
            bucket = create_buckets_from_template(boto3.client("s3", region_name=REGION))["ReceiptsBucket"]
            boto3.client("s3", region_name=REGION).put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
            events = boto3.client("events", region_name=REGION)
            inbox_url, inbox_arn = _queue("inbox-events")
            inbox_pattern = rule_pattern("IngestFunction", "InboxObjectCreated", {"ReceiptsBucket": bucket})
            events.put_rule(Name="ingest", EventPattern=json.dumps(inbox_pattern))
            events.put_targets(Rule="ingest", Targets=[{"Id": "queue", "Arn": inbox_arn}])
            notices_url, notices_arn = _queue("batch-completed")
            events.put_rule(Name="completed", EventPattern=json.dumps({"source": ["receiptflow"]}))
            events.put_targets(Rule="completed", Targets=[{"Id": "queue", "Arn": notices_arn}])
            webhook_url, webhook_arn = _queue("webhooks")
            webhook_pattern = rule_pattern("WebhookFunction", "BatchCompleted", {})
            events.put_rule(Name="webhooks", EventPattern=json.dumps(webhook_pattern))
            events.put_targets(Rule="webhooks", Targets=[{"Id": "queue", "Arn": webhook_arn}])
            timer_props = load_template(TEMPLATE_PATH)["Resources"]["InboxTimerQueue"]["Properties"]
            timer_url, _ = _queue(
                "inbox-timers", {"VisibilityTimeout": str(timer_props["VisibilityTimeout"])}
            )

            substitutions = {logical_id + "Arn": function_arn(logical_id) for logical_id in HANDLERS}
            substitutions["MaxConcurrency"] = str(max_concurrency)
            definition = render_definition(DEFINITION_PATH.read_text(encoding="utf-8"), substitutions)
            state_machine_arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
                name="receiptflow-batch",
                definition=definition,
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/receiptflow-batch",
            )["stateMachineArn"]

            _environment(
                monkeypatch,
                tmp_path,
                {
                    "RECEIPTFLOW_TABLE_NAME": tables["ReceiptflowTable"],
                    "RECEIPTFLOW_CONNECTIONS_TABLE_NAME": tables["ConnectionsTable"],
                    "RECEIPTFLOW_BUCKET_NAME": bucket,
                    "RECEIPTFLOW_STATE_MACHINE_ARN": state_machine_arn,
                    "RECEIPTFLOW_WEBSOCKET_ENDPOINT": WEBSOCKET_ENDPOINT,
                    "RECEIPTFLOW_PROVIDER": provider,
                    "RECEIPTFLOW_RETRY_ATTEMPTS": "1",
                    "RECEIPTFLOW_JWT_ISSUER": JWT_ISSUER,
                    "RECEIPTFLOW_JWT_AUDIENCE": JWT_AUDIENCE,
                    "RECEIPTFLOW_INBOX_TIMER_QUEUE_URL": timer_url,
                    "RECEIPTFLOW_INBOX_QUIET_SECONDS": template_default("QuietSeconds"),
                    **(extra_env or {}),
                },
            )
            _reset_caches()
            stack = Stack(
                bucket=bucket,
                table=tables["ReceiptflowTable"],
                connections_table=tables["ConnectionsTable"],
                state_machine_arn=state_machine_arn,
                inbox_queue_url=inbox_url,
                notices_queue_url=notices_url,
                webhook_queue_url=webhook_url,
                timer_queue_url=timer_url,
                sqs_clock=sqs_clock,
                lock=lock,
                executes=execute,
                invocations=invocations,
                sleeps=sleeps,
                after_invoke=hooks,
                before_invoke=gates,
            )
            try:
                yield stack
            finally:
                stack.after_invoke.clear()
                stack.before_invoke.clear()
                stack.settle()
    finally:
        _reset_caches()

"""Least privilege, proven: every function's real handler runs under moto with IAM enforcement, as the role
the SAM translator generates from ``template.yaml`` (default parameters) for that function, through every
route and path. Every AWS call must be allowed (moto's enforcement plus the static check of
``tests/support/iam.py``), and every statement, action and resource the template grants must be needed by
some call: removing any one of them makes this test fail."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import jwt
import pytest
import requests
from botocore.stub import Stubber
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws
from moto.apigatewaymanagementapi.models import ApiGatewayManagementApiBackend
from moto.core.authorization import disable_iam_authentication
from moto.core.exceptions import JsonRESTError
from receiptflow.adapters.aws import clients
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.models import BatchStatus
from receiptflow.settings import get_settings
from receiptflow.wiring import aws as aws_wiring
from receiptflow.wiring.providers import clear_provider_cache
from urllib3 import encode_multipart_formdata

from tests.support.bad_inputs import encode_image, receipt_image
from tests.support.iam import ACCOUNT, REGION, REQUIRED_PARAMETER_VALUES, IamHarness, Need, Physical, allowed
from tests.support.template import create_buckets_from_template, create_tables_from_template
from tests.support.textract import MEGA_MARKET, analyze_expense_output, load_fixture

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")

API_ID = "abc123"
TENANT = "alpha"
TENANT_CLAIM = "custom:tenant_id"
PASS_DEFINITION = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}})
ISSUER = REQUIRED_PARAMETER_VALUES["JwtIssuer"]
AUDIENCE = REQUIRED_PARAMETER_VALUES["JwtAudience"]
WEBHOOK_SECRET = "whsec-least-privilege"


@dataclass
class Context:
    """The ``LambdaContext`` attributes Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    function_version: str = "$LATEST"

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


@dataclass
class World:
    """The moto resources, the harness and what the scenario needs to talk to them."""

    harness: IamHarness
    bucket: str
    table: str
    state_machine_arn: str
    receipt: bytes
    textract_response: dict[str, Any]
    signing_key: rsa.RSAPrivateKey
    closed: set[str]  # connections that went away without saying so: posts to them answer 410 Gone

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        """Call the function's real handler as its own role."""
        return self.harness.handler(function_id)(event, Context(function_id))

    def stub_textract(self, answers: int) -> Stubber:
        """Queue ``answers`` recorded AnalyzeExpense responses on the (cached) Textract client the code
        uses; a real botocore client, only the HTTP exchange is replaced."""
        client = clients.textract_client()
        stubber = Stubber(client)
        for _ in range(answers):
            stubber.add_response("analyze_expense", analyze_expense_output(client, self.textract_response))
        stubber.activate()
        return stubber

    def token(self) -> str:
        """A Cognito-style ID token for the tenant."""
        now = int(time.time())
        claims = {
            "sub": "u1",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 600,
            TENANT_CLAIM: TENANT,
        }
        return jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": "k1"})


def _reset() -> None:
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    DEFAULT_PROVIDERS.clear()  # Powertools' SSM / Secrets Manager clients and their value caches
    get_settings.cache_clear()
    clients.clear_clients()
    clear_provider_cache()
    aws_wiring.reset()


class GoneError(JsonRESTError):
    """What API Gateway answers for a connection that has closed."""

    code = 410

    def __init__(self) -> None:
        super().__init__("GoneException", "the connection is gone")


def closed_sockets(monkeypatch: pytest.MonkeyPatch, closed: set[str]) -> None:
    """moto's management API keeps every connection; these answer 410 Gone, as closed ones do."""
    post = ApiGatewayManagementApiBackend.post_to_connection

    def post_or_gone(self: ApiGatewayManagementApiBackend, data: bytes, connection_id: str) -> None:
        if unquote(connection_id) in closed:  # moto sees the id as it travels in the URL
            raise GoneError()
        post(self, data, connection_id)

    monkeypatch.setattr(ApiGatewayManagementApiBackend, "post_to_connection", post_or_gone)


@pytest.fixture
def world(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, shared_dir: Path, tmp_path: Path
) -> Iterator[World]:
    """The template's tables and bucket, a state machine with the template's name, the harness (default
    parameters, or those an indirect parametrisation gives; an ``OpenAISecretName`` is created in moto)."""
    overrides: dict[str, str] = getattr(request, "param", None) or {}
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "RECEIPTFLOW_DATA_DIR": str(tmp_path / "data"),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    document = {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", lambda self: document)
    closed: set[str] = set()
    closed_sockets(monkeypatch, closed)
    _reset()
    with mock_aws():
        tables = create_tables_from_template(boto3.client("dynamodb", region_name=REGION))
        bucket = create_buckets_from_template(boto3.client("s3", region_name=REGION))["ReceiptsBucket"]
        machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="receiptflow-batch", definition=PASS_DEFINITION, roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
        )["stateMachineArn"]
        queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="ingest-dlq")["QueueUrl"]
        physical = {
            logical: Physical(name, {"Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"})
            for logical, name in tables.items()
        }
        physical["ReceiptsBucket"] = Physical(bucket, {"Arn": f"arn:aws:s3:::{bucket}"})
        physical["WebSocketApi"] = Physical(API_ID)
        physical["BatchStateMachine"] = Physical(machine, {"Name": "receiptflow-batch"})
        physical["IngestDeadLetterQueue"] = Physical(
            queue, {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:ingest-dlq", "QueueName": "ingest-dlq"}
        )
        for logical, name in (("InboxTimerQueue", "inbox-timers"), ("NoticesDeadLetterQueue", "notices-dlq")):
            url = boto3.client("sqs", region_name=REGION).create_queue(QueueName=name)["QueueUrl"]
            physical[logical] = Physical(
                url, {"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}", "QueueName": name}
            )
        signing = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="WebhookSigningSecret-abc", SecretString=WEBHOOK_SECRET
        )["ARN"]
        physical["WebhookSigningSecret"] = Physical(signing)
        harness = IamHarness(monkeypatch, physical, overrides=overrides, reset=_reset)
        harness.managed_key_secrets.add(signing)  # created by the stack: the AWS managed key
        key_name = overrides.get("OpenAISecretName", "")
        if key_name.startswith("/"):
            boto3.client("ssm", region_name=REGION).put_parameter(
                Name=key_name, Value="sk-not-a-real-key", Type="SecureString"
            )
        elif key_name:
            secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
                Name=key_name, SecretString=json.dumps({"OPENAI_API_KEY": "sk-not-a-real-key"})
            )
            harness.secret_arns[key_name] = secret["ARN"]
        yield World(
            harness=harness,
            bucket=bucket,
            table=tables["ReceiptflowTable"],
            state_machine_arn=machine,
            receipt=encode_image(receipt_image(), "JPEG", quality=90),
            textract_response=load_fixture(shared_dir, MEGA_MARKET),
            signing_key=key,
            closed=closed,
        )
    _reset()


# --- events ---------------------------------------------------------------------------------------------
def inbox_event(bucket: str, key: str) -> dict[str, Any]:
    """EventBridge "Object Created" for one inbox object."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2026-11-22T12:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": key,
                "size": 0,
                "etag": "d41d8cd98f00b204e9800998ecf8427e",
                "sequencer": "0061",
            },
            "request-id": "R1",
            "requester": ACCOUNT,
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }


def socket_event(
    route: str, connection_id: str, *, token: str | None = None, body: Any = None
) -> dict[str, Any]:
    """An API Gateway WebSocket event for ``route``."""
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    event: dict[str, Any] = {
        "headers": {"Host": f"{API_ID}.execute-api.{REGION}.amazonaws.com"},
        "multiValueHeaders": {"Host": [f"{API_ID}.execute-api.{REGION}.amazonaws.com"]},
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "extendedRequestId": "X=",
            "requestTime": "22/Nov/2026:12:00:00 +0000",
            "messageDirection": "IN",
            "stage": "v1",
            "connectedAt": 1795348800000,
            "requestTimeEpoch": 1795348800000,
            "identity": {"sourceIp": "192.0.2.1", "userAgent": "test"},
            "requestId": "R=",
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "connectionId": connection_id,
            "apiId": API_ID,
        },
        "isBase64Encoded": False,
    }
    if route == "$connect":
        event["queryStringParameters"] = {"token": token} if token else None
    elif event_type == "DISCONNECT":
        event["requestContext"].update(disconnectStatusCode=1000, disconnectReason="client closed")
    elif event_type == "MESSAGE":
        event["requestContext"]["messageId"] = "m="
        event["body"] = json.dumps(body)
    return event


def http_event(
    method: str,
    path: str,
    *,
    body: bytes | dict[str, Any] | None = None,
    content_type: str = "application/json",
    query: str = "",
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) request that passed the JWT authorizer as the tenant."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "content-type": content_type,
            "authorization": "Bearer checked-by-api-gateway",
        },
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "t",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795348800000,
            "authorizer": {"jwt": {"claims": {"sub": "u1", TENANT_CLAIM: TENANT}, "scopes": None}},
        },
        "isBase64Encoded": raw is not None,
        "body": base64.b64encode(raw).decode() if raw is not None else None,
    }


def multipart(field: str, name: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one file."""
    body, content_type = encode_multipart_formdata({field: (name, data, "image/jpeg")})
    return body, content_type


def payload(response: dict[str, Any]) -> Any:
    """The JSON body of an HTTP API Lambda response."""
    text = response["body"]
    if response.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return json.loads(text)


# --- the scenario -----------------------------------------------------------------------------------------
def put_objects(world: World, objects: dict[str, bytes]) -> None:
    """Someone else's uploads (their permission, not ours): IAM enforcement off."""
    with disable_iam_authentication():
        for key, data in objects.items():
            boto3.client("s3", region_name=REGION).put_object(Bucket=world.bucket, Key=key, Body=data)


def socket_paths(world: World, *routes: tuple[str, str, Any]) -> None:
    """Realtime events, as the realtime function's role."""
    with world.harness.run_as("RealtimeFunction"):
        for route, connection, body in routes:
            token = world.token() if route == "$connect" else None
            answer = world.invoke("RealtimeFunction", socket_event(route, connection, token=token, body=body))
            assert answer["statusCode"] == 200, answer


def vanishing_watcher(world: World, batch_id: str) -> None:
    """A client that subscribes to ``batch_id`` and then goes away without saying so: the next event posted
    to it answers 410 Gone, and the poster must forget the connection."""
    connection = f"gone-{len(world.closed)}="
    subscribe = {"action": "subscribe", "batch_id": batch_id}
    socket_paths(world, ("$connect", connection, None), ("subscribe", connection, subscribe))
    world.closed.add(connection)


def workflow_paths(world: World) -> dict[str, str]:
    """Drop folder → ingest (starts) → scan (ok, cached, bad, vanished) → record failure → finalize."""
    inbox = f"inbox/{TENANT}/trip/"
    put_objects(
        world, {inbox + "a.jpg": world.receipt, inbox + "b.jpg": world.receipt, inbox + "c.txt": b"x"}
    )
    put_objects(world, {inbox + "d.jpg": world.receipt, inbox + "_READY": b""})
    with world.harness.run_as("IngestFunction"):
        ignored = world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "a.jpg"))
        started = world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "_READY"))
    assert ignored["result"] != "started" and started["result"] == "started", started
    ref = {"batch_id": str(started["batch_id"]), "tenant_id": TENANT}
    subscribe = {"action": "subscribe", **ref}
    socket_paths(world, ("subscribe", "c1=", subscribe))

    vanishing_watcher(world, ref["batch_id"])
    with disable_iam_authentication():  # d.jpg vanishes before it is scanned
        boto3.client("s3", region_name=REGION).delete_object(Bucket=world.bucket, Key=inbox + "d.jpg")
    vanishing_watcher(world, ref["batch_id"])
    with world.harness.run_as("ScanImageFunction"):
        stubber = world.stub_textract(1)
        first = world.invoke("ScanImageFunction", {**ref, "item_id": "00001"})
        again = world.invoke("ScanImageFunction", {**ref, "item_id": "00002"})  # same bytes: the cache
        stubber.assert_no_pending_responses()
        failures = []
        for item_id in ("00003", "00004"):
            with pytest.raises(Exception) as caught:
                world.invoke("ScanImageFunction", {**ref, "item_id": item_id})
            failures.append(type(caught.value).__name__)
    assert (first["status"], again["status"]) == ("ok", "ok")
    assert failures == ["UnsupportedTypeError", "FileReadError"]
    vanishing_watcher(world, ref["batch_id"])
    with world.harness.run_as("RecordFailureFunction"):
        for item_id, name in zip(("00003", "00004"), failures, strict=True):
            error = {"Error": name, "Cause": json.dumps({"errorMessage": "caught"})}
            assert world.invoke("RecordFailureFunction", {**ref, "item_id": item_id, "error": error})[
                "recorded"
            ]
    vanishing_watcher(world, ref["batch_id"])
    with world.harness.run_as("FinalizeBatchFunction"):
        finalized = world.invoke("FinalizeBatchFunction", ref)
    assert finalized["status"] == "partially_failed", finalized
    return ref


def api_paths(world: World, finished_batch: str) -> None:
    """Every route of the HTTP API, as the API function's role."""
    with world.harness.run_as("ApiFunction"):
        api = world.harness.handler("ApiFunction")

        def status(method: str, path: str, **kwargs: Any) -> int:
            response: dict[str, Any] = api(http_event(method, path, **kwargs), Context("ApiFunction"))
            return int(response["statusCode"])

        health = api(http_event("GET", "/health"), Context("ApiFunction"))
        assert health["statusCode"] == 200
        # the template's defaults: Textract configured and in the chain, OpenAI not (no key), and why
        readiness = {r["name"]: r for r in payload(health)["providers"]}
        assert (readiness["textract"]["configured"], readiness["textract"]["in_chain"]) == (True, True)
        assert not readiness["openai"]["in_chain"] and "no OpenAI API key" in readiness["openai"]["reason"]
        files = [{"name": n, "content_type": "image/jpeg"} for n in ("a.jpg", "b.jpg")]
        created = api(http_event("POST", "/v1/batches", body={"name": "lunch", "files": files}), Context("x"))
        assert created["statusCode"] == 201, created["body"]
        batch_id, upload = payload(created)["batch"]["batch_id"], payload(created)["uploads"][0]
        with disable_iam_authentication():  # the phone posts the presigned form (authorised by its policy)
            posted = requests.post(
                upload["url"], data=upload["fields"], files={"file": ("a.jpg", world.receipt)}
            )
        assert posted.status_code in (200, 204), posted.text
        body, content_type = multipart("files", "c.jpg", world.receipt)
        assert status("POST", f"/v1/batches/{batch_id}/files", body=body, content_type=content_type) == 201
        assert status("POST", f"/v1/batches/{batch_id}/start") == 202  # b.jpg was never uploaded
        assert status("GET", f"/v1/batches/{batch_id}") == 200
        assert status("GET", "/v1/batches") == 200
    # a client watches the new batch, and its uploaded file is scanned
    socket_paths(world, ("subscribe", "c1=", {"action": "subscribe", "batch_id": batch_id}))
    with world.harness.run_as("ScanImageFunction"):
        stubber = world.stub_textract(1)
        scanned = world.invoke(
            "ScanImageFunction", {"batch_id": batch_id, "tenant_id": TENANT, "item_id": "00001"}
        )
        assert scanned["recorded"], scanned
    vanishing_watcher(world, batch_id)
    with world.harness.run_as("ApiFunction"):
        assert status("DELETE", f"/v1/batches/{batch_id}") == 202  # announces "complete" to subscribers
        done = f"/v1/batches/{finished_batch}"
        assert status("GET", f"{done}/results") == 200
        assert status("GET", f"{done}/results", query="format=csv") == 200
        assert status("GET", f"{done}/items/00001") == 200
        assert status("PATCH", f"{done}/items/00001", body={"total": "9.99"}) == 200
        stats = api(http_event("GET", "/v1/stats"), Context("ApiFunction"))
        assert stats["statusCode"] == 200 and list(payload(stats)["circuits"]) == ["textract"]
        assert [r["name"] for r in payload(stats)["providers"] if r["in_chain"]] == ["textract"]
        assert status("POST", f"{done}/retry-failed") == 202
        assert status("GET", f"{done}/events") == 501  # live events come from the WebSocket API in AWS
        stubber = world.stub_textract(1)
        body, content_type = multipart("file", "one.png", encode_image(receipt_image(mode="L"), "PNG"))
        assert status("POST", "/v1/scan", body=body, content_type=content_type) == 200
        stubber.assert_no_pending_responses()


def cancel_paths(world: World) -> None:
    """A cancel while an item is in flight: the scan step, then (another batch) the failure recorder, each
    records the last item and settles the batch, announcing it like a finished one."""
    for name, step in (("cancel-scan", "ScanImageFunction"), ("cancel-fail", "RecordFailureFunction")):
        inbox = f"inbox/{TENANT}/{name}/"
        put_objects(
            world, {inbox + "a.jpg": world.receipt, inbox + "b.jpg": world.receipt, inbox + "_READY": b""}
        )
        with world.harness.run_as("IngestFunction"):
            batch_id = world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "_READY"))["batch_id"]
        ref = {"batch_id": batch_id, "tenant_id": TENANT}
        with disable_iam_authentication():  # its first item is in flight: a Lambda claimed it
            assert DynamoBatchStore(world.table).claim_item(batch_id, "00001")
        with world.harness.run_as("ApiFunction"):
            cancelled = world.harness.handler("ApiFunction")(
                http_event("DELETE", f"/v1/batches/{batch_id}"), Context("ApiFunction")
            )
        assert cancelled["statusCode"] == 202 and payload(cancelled)["status"] == "cancelling", cancelled
        with world.harness.run_as(step):
            if step == "ScanImageFunction":
                world.stub_textract(1)
                assert world.invoke(step, {**ref, "item_id": "00001"})["recorded"]
            else:
                error = {"Error": "CorruptImageError", "Cause": json.dumps({"errorMessage": "caught"})}
                assert world.invoke(step, {**ref, "item_id": "00001", "error": error})["recorded"]
        with disable_iam_authentication():
            assert DynamoBatchStore(world.table).get_batch(TENANT, batch_id).status is BatchStatus.CANCELLED


def timer_ticks(world: World) -> dict[str, Any]:
    """The timer queue's messages (delayed or not) as one SQS event for the ingest function, deleted from
    the queue as Lambda's event source mapping would once handled."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[ACCOUNT][REGION].get_queue("inbox-timers")
    records = [
        {
            "messageId": m.id,
            "receiptHandle": m.id,
            "body": m.body,
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "0",
                "SenderId": ACCOUNT,
                "ApproximateFirstReceiveTimestamp": "0",
            },
            "messageAttributes": {},
            "md5OfBody": m.body_md5,
            "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:inbox-timers",
            "awsRegion": REGION,
        }
        for m in list(queue._messages)
    ]
    queue._messages.clear()
    return {"Records": records}


def quiet_close_paths(world: World) -> dict[str, str]:
    """A folder without a marker: each object sets a timer (SQS), the timer closes and starts the batch."""
    inbox = f"inbox/{TENANT}/quiet/"
    put_objects(world, {inbox + "a.jpg": world.receipt})
    with world.harness.run_as("IngestFunction"):
        waiting = world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "a.jpg"))
    assert waiting["result"] == "waiting", waiting
    ticks = timer_ticks(world)  # this folder's, and the one the trip folder's a.jpg set (its close took all)
    with world.harness.run_as("IngestFunction"):
        answer = world.invoke("IngestFunction", ticks)
    assert answer["batchItemFailures"] == [], answer
    assert sorted(o["result"] for o in answer["outcomes"]) == ["empty", "started"], answer
    started = next(o for o in answer["outcomes"] if o["result"] == "started")
    return {"batch_id": str(started["batch_id"]), "tenant_id": TENANT}


def run_ended_paths(world: World) -> None:
    """Executions stopped outside the API (ABORTED: cancelled) and failed (FAILED: typed errors, exports,
    BatchCompleted), each batch watched by a client that went away."""
    from tests.support.sfn_events import execution_status_change

    for folder, status in (("stopped", "ABORTED"), ("broken", "FAILED")):
        inbox = f"inbox/{TENANT}/{folder}/"
        put_objects(world, {inbox + "a.jpg": world.receipt, inbox + "_READY": b""})
        with world.harness.run_as("IngestFunction"):
            batch_id = world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "_READY"))["batch_id"]
        vanishing_watcher(world, batch_id)
        with disable_iam_authentication():
            execution = DynamoBatchStore(world.table).get_batch(TENANT, batch_id).execution_arn
            sfn = boto3.client("stepfunctions", region_name=REGION)
            if status == "ABORTED":
                sfn.stop_execution(executionArn=str(execution))
            event = execution_status_change(sfn.describe_execution(executionArn=str(execution)), status)
        with world.harness.run_as("RunEndedFunction"):
            ended = world.invoke("RunEndedFunction", event)
        assert ended["status"] == ("cancelled" if status == "ABORTED" else "failed"), ended


def webhook_paths(world: World) -> None:
    """A finished batch with a webhook_url: the signed POST reaches a real receiver on loopback."""
    from receiptflow.models import Batch, BatchOptions
    from receiptflow.webhooks import SIGNATURE_HEADER, verify

    from tests.integration.webhooks.receiver import receiver

    with receiver([200]) as hook:
        batch = Batch(
            batch_id="hooked",
            tenant_id=TENANT,
            status=BatchStatus.SUCCEEDED,
            options=BatchOptions(webhook_url=hook.url),
        )
        with disable_iam_authentication():
            DynamoBatchStore(world.table).create_batch(batch)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "BatchCompleted",
            "source": "receiptflow",
            "account": ACCOUNT,
            "time": "2026-11-22T12:00:00Z",
            "region": REGION,
            "resources": [],
            "detail": {"batch_id": "hooked", "tenant_id": TENANT, "status": "succeeded", "webhook": True},
        }
        with world.harness.run_as("WebhookFunction"):
            answer = world.invoke("WebhookFunction", event)
    assert answer["delivered"] and len(hook.requests) == 1, answer
    sent = hook.requests[0]
    assert verify(WEBHOOK_SECRET, sent.headers[SIGNATURE_HEADER], sent.body)


def drive_every_path(world: World) -> None:
    """Every function through every path, each as its own role."""
    socket_paths(
        world,
        ("$connect", "c1=", None),
        ("$default", "c1=", {"action": "ping"}),
    )
    ref = workflow_paths(world)
    api_paths(world, ref["batch_id"])
    cancel_paths(world)
    quiet_close_paths(world)
    run_ended_paths(world)
    webhook_paths(world)
    socket_paths(world, ("$disconnect", "c1=", None))


def test_every_function_runs_with_exactly_its_template_role(world: World) -> None:
    drive_every_path(world)
    # every function of the template ran (the list comes from template.yaml, not from this test)
    assert {r.function_id for r in world.harness.runs} == set(world.harness.specs)
    # every call allowed (moto enforced what it can, the static check the rest), and every statement,
    # action and resource the template grants needed by some call
    problems = world.harness.problems()
    assert not problems, "\n".join(problems)


def test_removing_a_needed_statement_fails_the_run(world: World) -> None:
    # GIVEN a started drop-folder batch, and the scan function's role without the one statement that lets
    # it update items in the results table
    inbox = f"inbox/{TENANT}/solo/"
    put_objects(world, {inbox + "a.jpg": world.receipt, inbox + "_READY": b""})
    with world.harness.run_as("IngestFunction"):
        batch_id = world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "_READY"))["batch_id"]
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{world.table}"
    update = Need("dynamodb:UpdateItem", table)
    documents = world.harness.documents("ScanImageFunction")
    removed = [
        s.get("Sid")
        for d in documents.values()
        for s in d["Statement"]
        if allowed({"d": {"Statement": [s]}}, update)
    ]
    trimmed = {
        name: {**doc, "Statement": [s for s in doc["Statement"] if s.get("Sid") not in removed]}
        for name, doc in documents.items()
    }
    assert removed == ["ItemsAndCache"]
    # WHEN it scans the item
    with world.harness.run_as("ScanImageFunction", trimmed) as run, pytest.raises(Exception) as caught:
        world.stub_textract(1)
        world.invoke("ScanImageFunction", {"batch_id": batch_id, "tenant_id": TENANT, "item_id": "00001"})
    # THEN moto refuses the call, the handler fails instead of scanning, and the check reports it
    assert any("dynamodb:UpdateItem" in d or "dynamodb:GetItem" in d for d in run.denied_by_moto), (
        run.denied_by_moto
    )
    assert "AccessDenied" in str(caught.value) or caught.value.__cause__ is not None
    assert any("moto denied" in problem for problem in world.harness.problems())


def without_statement(world: World, function_id: str, sid: str) -> dict[str, dict[str, Any]]:
    """The function's policy documents without the statement ``sid`` (which must exist)."""
    documents = world.harness.documents(function_id)
    assert any(s.get("Sid") == sid for d in documents.values() for s in d["Statement"])
    return {
        name: {**doc, "Statement": [s for s in doc["Statement"] if s.get("Sid") != sid]}
        for name, doc in documents.items()
    }


def test_without_its_timer_grant_an_object_event_fails_and_is_retried(world: World) -> None:
    # GIVEN the ingest role without SetFolderTimers (sqs:SendMessage on the timer queue)
    inbox = f"inbox/{TENANT}/untimed/"
    put_objects(world, {inbox + "a.jpg": world.receipt})
    trimmed = without_statement(world, "IngestFunction", "SetFolderTimers")

    # WHEN a file lands without a marker
    with world.harness.run_as("IngestFunction", trimmed) as run, pytest.raises(Exception) as caught:
        world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "a.jpg"))

    # THEN SQS refuses, the handler fails (EventBridge retries it, then the dead-letter queue alarms)
    # rather than acknowledging a file whose folder would never close, and the check reports it
    assert any("sqs:SendMessage" in d for d in run.denied_by_moto), run.denied_by_moto
    assert "SQS send_message" in str(caught.value)
    assert any("moto denied" in problem for problem in world.harness.problems())


@pytest.mark.parametrize(
    "world",
    [{"OpenAISecretName": "/receiptflow/openai-key"}, {"OpenAISecretName": "receiptflow/openai"}],
    ids=["ssm-parameter", "secrets-manager"],
    indirect=True,
)
def test_an_openai_key_is_readable_where_it_is_kept(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN OpenAI configured through OpenAISecretName (so it is in the chain) and Textract down, so the
    # chain falls back to OpenAI, whose endpoint refuses connections here
    monkeypatch.setenv("RECEIPTFLOW_RETRY_ATTEMPTS", "1")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    inbox = f"inbox/{TENANT}/keyed/"
    put_objects(world, {inbox + "a.jpg": world.receipt, inbox + "_READY": b""})
    with world.harness.run_as("IngestFunction"):
        batch_id = world.invoke("IngestFunction", inbox_event(world.bucket, inbox + "_READY"))["batch_id"]
    ref = {"batch_id": batch_id, "tenant_id": TENANT}

    # WHEN the scan step and POST /v1/scan run as their roles
    with world.harness.run_as("ScanImageFunction"), pytest.raises(Exception) as caught:
        failing_textract(world)
        world.invoke("ScanImageFunction", {**ref, "item_id": "00001"})
    with world.harness.run_as("ApiFunction"):
        failing_textract(world)
        body, content_type = multipart("file", "one.jpg", world.receipt)
        event = http_event("POST", "/v1/scan", body=body, content_type=content_type)
        scanned = world.harness.handler("ApiFunction")(event, Context("ApiFunction"))

    # THEN the key was read (the chain reached OpenAI), the primary's error is the one reported, and every
    # call was allowed; the statements for the key are exactly what was needed
    assert type(caught.value).__name__ == "ProviderUnavailableError" and "[also tried: openai" in str(
        caught.value
    )
    assert scanned["statusCode"] == 503 and payload(scanned)["code"] == "provider_unavailable", scanned[
        "body"
    ]
    problems = world.harness.problems()
    assert not [p for p in problems if "never needed" not in p], problems
    assert not [p for p in problems if "OpenAIKey" in p], problems


def failing_textract(world: World) -> None:
    """Textract answering 503 on the cached client the code uses."""
    client = clients.textract_client()
    stubber = Stubber(client)
    stubber.add_client_error("analyze_expense", "ServiceUnavailableException", http_status_code=503)
    stubber.activate()

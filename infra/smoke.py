"""Prove the stack in a real AWS account in about ten minutes: ``make smoke STACK=<name>`` (docs/deploy.md).

1. a throw-away Cognito user pool, app client and user whose ``custom:tenant_id`` is the smoke tenant;
2. ``sam build`` and ``sam deploy`` of template.yaml with that pool as ``JwtIssuer``/``JwtAudience``;
3. one small batch through the public HTTP API: ``POST /v1/batches`` → presigned S3 POST uploads →
   ``start``, followed over the WebSocket with the reference client (receiptflow.client.events) until
   ``complete``, then the results (every file has a result or a typed error);
4. the drop folder: the same images under ``inbox/<tenant>/<folder>/`` plus ``_READY`` become a batch that
   finishes; then, in another folder without a marker, a batch that closes ``QuietSeconds`` (60 s by
   default) after the last upload;
5. everything is deleted again (``sam delete``, the retained bucket and tables, the user pool) unless
   ``--keep``.

Needs AWS credentials allowed to deploy the stack (CloudFormation, IAM roles, Lambda, API Gateway, Step
Functions, DynamoDB, S3, SNS, SQS, EventBridge, Logs) and to manage a Cognito user pool. Not run in CI;
``--dry-run`` prints the plan without touching AWS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TENANT = "smoke"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".pdf")
FINAL = frozenset({"succeeded", "partially_failed", "failed", "cancelled"})


@dataclass(frozen=True)
class Options:
    """What the smoke run was asked to do."""

    stack: str
    region: str
    sam: str
    images: tuple[Path, ...]
    keep: bool = False
    dry_run: bool = False
    timeout: float = 600.0
    parameters: dict[str, str] = field(default_factory=dict)


def parse_args(argv: Sequence[str]) -> Options:
    """Options from the command line (``--stack`` is required; images default to three samples)."""
    parser = argparse.ArgumentParser(prog="smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="CloudFormation stack name to create and delete")
    parser.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    parser.add_argument("--sam", default=str(ROOT / ".venv-sam" / "bin" / "sam"), help="the SAM CLI")
    parser.add_argument("--images", type=Path, default=ROOT / "samples" / "receipts", help="folder of images")
    parser.add_argument("--count", type=int, default=3, help="images per batch (default 3)")
    parser.add_argument("--keep", action="store_true", help="leave the stack and its data in place")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, touch nothing")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a batch may take")
    parser.add_argument(
        "--parameter", action="append", default=[], metavar="KEY=VALUE", help="extra template parameter"
    )
    args = parser.parse_args(argv)
    if not args.region:
        parser.error("no region: pass --region or set AWS_REGION")
    if args.count < 1:
        parser.error("--count must be at least 1")
    parameters: dict[str, str] = {}
    for item in args.parameter:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--parameter wants KEY=VALUE, got {item!r}")
        parameters[key] = value
    images = tuple(sorted(p for p in Path(args.images).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
    if not images:
        parser.error(f"no images in {args.images}")
    return Options(
        stack=args.stack,
        region=args.region,
        sam=args.sam,
        images=images[: args.count],
        keep=args.keep,
        dry_run=args.dry_run,
        timeout=args.timeout,
        parameters=parameters,
    )


def deploy_command(options: Options, issuer: str, audience: str) -> list[str]:
    """The ``sam deploy`` command line."""
    overrides = {"JwtIssuer": issuer, "JwtAudience": audience, **options.parameters}
    return [
        options.sam,
        "deploy",
        "--stack-name",
        options.stack,
        "--region",
        options.region,
        "--no-confirm-changeset",
        "--no-fail-on-empty-changeset",
        "--resolve-s3",
        "--capabilities",
        "CAPABILITY_IAM",
        "CAPABILITY_AUTO_EXPAND",
        "--parameter-overrides",
        *[f"{key}={value}" for key, value in overrides.items()],
    ]


def plan(options: Options) -> list[str]:
    """The steps, in words (what ``--dry-run`` prints)."""
    names = ", ".join(p.name for p in options.images)
    steps = [
        f"create Cognito user pool receiptflow-smoke-{options.stack} with a user of tenant {TENANT!r}",
        f"{options.sam} build",
        " ".join(deploy_command(options, "<pool issuer>", "<app client id>")),
        f"HTTP API: create a batch of {len(options.images)} ({names}), presigned POST uploads, start",
        "WebSocket: follow the batch with receiptflow.client.events until complete; check every result",
        f"drop folder: upload the same files to inbox/{TENANT}/smoke-<time>/ and _READY; wait for its batch",
        f"drop folder without marker: upload them to inbox/{TENANT}/quiet-<time>/; wait for the quiet close",
    ]
    if options.keep:
        steps.append("keep the stack, bucket, tables and user pool (--keep)")
    else:
        steps += [
            f"{options.sam} delete --stack-name {options.stack} --region {options.region} --no-prompts",
            "empty and delete the retained bucket, delete the retained tables, delete the user pool",
        ]
    return steps


# --- AWS -------------------------------------------------------------------------------------------------
@dataclass
class Identity:
    """The throw-away user pool and an ID token for the smoke tenant."""

    pool_id: str
    client_id: str
    issuer: str
    token: str


def create_identity(options: Options) -> Identity:
    """A user pool with a ``tenant_id`` attribute, an app client and one user; its ID token."""
    import boto3

    cognito = boto3.client("cognito-idp", region_name=options.region)
    pool = cognito.create_user_pool(
        PoolName=f"receiptflow-smoke-{options.stack}",
        Schema=[{"Name": "tenant_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="smoke",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    password = secrets.token_urlsafe(24) + "aA1!"
    cognito.admin_create_user(
        UserPoolId=pool["Id"],
        Username="smoke",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:tenant_id", "Value": TENANT}],
    )
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username="smoke", Password=password, Permanent=True
    )
    auth = cognito.admin_initiate_auth(
        UserPoolId=pool["Id"],
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "smoke", "PASSWORD": password},
    )["AuthenticationResult"]
    issuer = f"https://cognito-idp.{options.region}.amazonaws.com/{pool['Id']}"
    return Identity(pool["Id"], client["ClientId"], issuer, auth["IdToken"])


def stack_outputs(options: Options) -> dict[str, str]:
    """The stack's outputs by key."""
    import boto3

    stack = boto3.client("cloudformation", region_name=options.region).describe_stacks(
        StackName=options.stack
    )
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0].get("Outputs", [])}


def run(command: list[str]) -> None:
    """Run one command, streaming its output; a failure stops the smoke run."""
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def api_batch(api: str, token: str, ws_url: str, images: tuple[Path, ...], timeout: float) -> dict[str, Any]:
    """Create, upload (presigned POSTs), start and follow one batch; its final snapshot/complete event."""
    import httpx
    from receiptflow.client.events import EventSubscriber

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api.rstrip("/"), headers=headers, timeout=60) as client:
        files = [{"name": p.name, "content_type": _content_type(p)} for p in images]
        created = client.post("/v1/batches", json={"name": "smoke", "files": files})
        created.raise_for_status()
        batch_id = created.json()["batch"]["batch_id"]
        for upload, path in zip(created.json()["uploads"], images, strict=True):
            form = {upload["file_field"]: (path.name, path.read_bytes(), upload["content_type"])}
            posted = httpx.post(upload["url"], data=upload["fields"], files=form, timeout=60)
            posted.raise_for_status()
        print(f"batch {batch_id}: {len(images)} files uploaded", flush=True)

        async def follow() -> dict[str, Any]:
            last: dict[str, Any] = {}
            async for event in EventSubscriber(ws_url, token=token).events(batch_id):
                if len(last) == 0:
                    client.post(f"/v1/batches/{batch_id}/start").raise_for_status()
                print(f"  seq {event['seq']}: {event['type']}", flush=True)
                last = event
            return last

        final = asyncio.run(asyncio.wait_for(follow(), timeout))
        results = client.get(f"/v1/batches/{batch_id}/results").json()["items"]
        check_results(results, len(images))
        return final


def check_results(items: list[dict[str, Any]], expected: int) -> None:
    """Every file has a final item with a result or a typed error."""
    if len(items) != expected:
        raise SystemExit(f"expected {expected} items, got {len(items)}")
    for item in items:
        result = item.get("result") or {}
        if item["status"] not in ("succeeded", "failed") or not (
            result.get("receipt") or result.get("error")
        ):
            raise SystemExit(f"item {item['item_id']} has no result: {json.dumps(item)[:300]}")
        print(
            f"  {item['source']}: {item['status']} {(result.get('error') or {}).get('code', '')}", flush=True
        )


def drop_folder(options: Options, api: str, token: str, bucket: str, *, marker: bool = True) -> str:
    """Upload the images (and ``_READY`` when ``marker``; else the folder closes after the quiet period) to a
    new inbox folder; the id of the batch it became, once final."""
    import boto3
    import httpx

    folder = f"inbox/{TENANT}/{'smoke' if marker else 'quiet'}-{int(time.time())}/"
    s3 = boto3.client("s3", region_name=options.region)
    for path in options.images:
        s3.put_object(Bucket=bucket, Key=folder + path.name, Body=path.read_bytes())
    if marker:
        s3.put_object(Bucket=bucket, Key=folder + "_READY", Body=b"")
    deadline = time.monotonic() + options.timeout
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=api.rstrip("/"), headers=headers, timeout=60) as client:
        while time.monotonic() < deadline:
            batches = client.get("/v1/batches").json().get("batches", [])
            mine = [b for b in batches if b.get("name") == folder.rstrip("/").split("/")[-1]]
            if mine and mine[0]["status"] in FINAL:
                print(f"drop folder {folder}: batch {mine[0]['batch_id']} {mine[0]['status']}", flush=True)
                return str(mine[0]["batch_id"])
            time.sleep(5)
    raise SystemExit(f"the drop folder {folder} did not become a finished batch in {options.timeout:.0f} s")


def delete_everything(options: Options, outputs: dict[str, str], identity: Identity | None) -> None:
    """The stack, then what it retains on delete (bucket, tables), then the user pool."""
    import boto3
    from botocore.exceptions import ClientError

    if not outputs:  # the run failed before reading them: the stack may still exist
        try:
            outputs = stack_outputs(options)
        except ClientError:
            outputs = {}
    run([options.sam, "delete", "--stack-name", options.stack, "--region", options.region, "--no-prompts"])
    if outputs.get("BucketName"):
        bucket = boto3.resource("s3", region_name=options.region).Bucket(outputs["BucketName"])
        bucket.object_versions.delete()
        bucket.objects.delete()
        bucket.delete()
    dynamodb = boto3.client("dynamodb", region_name=options.region)
    for key in ("TableName", "ConnectionsTableName"):
        if outputs.get(key):
            dynamodb.delete_table(TableName=outputs[key])
    if identity is not None:
        boto3.client("cognito-idp", region_name=options.region).delete_user_pool(UserPoolId=identity.pool_id)


def _content_type(path: Path) -> str:
    return {".png": "image/png", ".pdf": "application/pdf", ".heic": "image/heic"}.get(
        path.suffix.lower(), "image/jpeg"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the smoke test (or print its plan)."""
    options = parse_args(sys.argv[1:] if argv is None else argv)
    if options.dry_run:
        for number, step in enumerate(plan(options), start=1):
            print(f"{number}. {step}")
        return 0
    started = time.monotonic()
    identity: Identity | None = None
    outputs: dict[str, str] = {}
    try:
        identity = create_identity(options)
        run([options.sam, "build"])
        run(deploy_command(options, identity.issuer, identity.client_id))
        outputs = stack_outputs(options)
        final = api_batch(
            outputs["ApiUrl"], identity.token, outputs["WebSocketUrl"], options.images, options.timeout
        )
        status = final.get("status") or final.get("batch", {}).get("status")
        print(f"HTTP API batch final: {final.get('type')} {status}", flush=True)
        drop_folder(options, outputs["ApiUrl"], identity.token, outputs["BucketName"])
        drop_folder(options, outputs["ApiUrl"], identity.token, outputs["BucketName"], marker=False)
        print(f"smoke test passed in {time.monotonic() - started:.0f} s", flush=True)
        return 0
    finally:
        if not options.keep:
            delete_everything(options, outputs, identity)


if __name__ == "__main__":
    sys.exit(main())

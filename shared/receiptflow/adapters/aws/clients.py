"""boto3 clients, built once per process (per warm Lambda container) through cached factories.

boto3 honours ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL`` (and per-service
``AWS_ENDPOINT_URL_<SERVICE>``) and the default credential chain by itself. Tests start moto
first and call ``clear_clients()``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_textract import TextractClient


def _config(max_attempts: int = 3, mode: str = "standard", **kwargs: Any) -> Any:
    from botocore.config import Config

    # botocore's "max_attempts" counts retries after the first call; "total_max_attempts" counts every call
    retries: dict[str, Any] = {"total_max_attempts": max_attempts, "mode": mode}
    return Config(retries=retries, **kwargs)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def _session() -> Any:
    import os

    import boto3

    # botocore reads only AWS_DEFAULT_REGION; honour AWS_REGION too (what Lambda and the other SDKs set)
    return boto3.session.Session(region_name=os.environ.get("AWS_REGION") or None)


def aws_readiness() -> tuple[bool, str]:
    """Whether boto3's default chain finds a region and credentials now (without calling AWS), and why."""
    import os

    import boto3

    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION") or None)
    if session.region_name is None:
        return False, "no AWS region: set AWS_REGION (e.g. us-east-1) or a region in ~/.aws/config"
    if session.get_credentials() is None:
        return False, "no AWS credentials found by the default chain (profile, env, SSO or role)"
    return True, f"AWS credentials and region {session.region_name}"


@lru_cache(maxsize=1)
def s3_client() -> S3Client:
    """S3 client (SigV4, virtual-host addressing left to botocore)."""
    client: S3Client = _session().client("s3", config=_config(signature_version="s3v4"))
    return client


@lru_cache(maxsize=1)
def dynamodb_client() -> DynamoDBClient:
    """DynamoDB low-level client with adaptive retries for throughput errors."""
    client: DynamoDBClient = _session().client("dynamodb", config=_config(max_attempts=8, mode="adaptive"))
    return client


@lru_cache(maxsize=1)
def textract_client() -> TextractClient:
    """Textract client; retries are ours (tenacity + breaker), so botocore does not retry."""
    client: TextractClient = _session().client(
        "textract", config=_config(max_attempts=1, connect_timeout=5, read_timeout=30)
    )
    return client


@lru_cache(maxsize=1)
def stepfunctions_client() -> SFNClient:
    """Step Functions client."""
    client: SFNClient = _session().client("stepfunctions", config=_config())
    return client


@lru_cache(maxsize=1)
def events_client() -> EventBridgeClient:
    """EventBridge client."""
    client: EventBridgeClient = _session().client("events", config=_config())
    return client


@lru_cache(maxsize=1)
def sqs_client() -> SQSClient:
    """SQS client."""
    client: SQSClient = _session().client("sqs", config=_config())
    return client


@lru_cache(maxsize=8)
def apigw_management_client(endpoint_url: str) -> ApiGatewayManagementApiClient:
    """API Gateway Management API client for one WebSocket stage endpoint."""
    client: ApiGatewayManagementApiClient = _session().client(
        "apigatewaymanagementapi", endpoint_url=endpoint_url, config=_config()
    )
    return client


def clear_clients() -> None:
    """Forget every cached client (tests call this after starting moto)."""
    for factory in (
        _session,
        s3_client,
        dynamodb_client,
        textract_client,
        stepfunctions_client,
        events_client,
        sqs_client,
        apigw_management_client,
    ):
        factory.cache_clear()

"""Create moto resources from ``template.yaml``'s own definitions, so tests cannot drift from the template.

Usage (inside ``moto.mock_aws``)::

    names = create_tables_from_template(boto3.client("dynamodb", region_name="us-east-1"), TEMPLATE_PATH)
    table = names["ReceiptflowTable"]

Every ``AWS::DynamoDB::Table`` is created with its key schema, attribute definitions, GSIs/LSIs, billing
mode, stream and TTL. Tables without a literal ``TableName`` get a unique ``<LogicalId>-<hex>`` name, like
CloudFormation's generated names, so tests never share state.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"

_SCALAR_LIST_TAGS = {"GetAtt"}  # "!GetAtt A.B" means ["A", "B"]


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader reading CloudFormation short tags: ``!Ref x`` → ``{"Ref": "x"}``, ``!Condition c`` →
    ``{"Condition": "c"}``, ``!Sub`` → ``Fn::Sub``."""


def _construct_short_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix in _SCALAR_LIST_TAGS:
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


_CfnLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(template_path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """The template as plain data, short tags turned into their long ``Fn::`` forms."""
    data = yaml.load(template_path.read_text(encoding="utf-8"), Loader=_CfnLoader)
    if not isinstance(data, dict):
        raise ValueError(f"{template_path} is not a CloudFormation template")
    return data


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """``{logical_id: Properties}`` for every resource of ``resource_type``."""
    resources: dict[str, Any] = template.get("Resources") or {}
    return {
        logical_id: dict(resource.get("Properties") or {})
        for logical_id, resource in resources.items()
        if resource.get("Type") == resource_type
    }


def _physical_name(logical_id: str, declared: Any) -> str:
    if isinstance(declared, str):
        return declared
    return f"{logical_id}-{uuid.uuid4().hex[:12]}"


def _throughput(props: dict[str, Any]) -> dict[str, int]:
    declared = props.get("ProvisionedThroughput") or {}
    return {
        "ReadCapacityUnits": int(declared.get("ReadCapacityUnits", 5)),
        "WriteCapacityUnits": int(declared.get("WriteCapacityUnits", 5)),
    }


def _index(index: dict[str, Any], provisioned: bool, *, global_index: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "IndexName": index["IndexName"],
        "KeySchema": index["KeySchema"],
        "Projection": index.get("Projection") or {"ProjectionType": "ALL"},
    }
    if global_index and provisioned:
        spec["ProvisionedThroughput"] = _throughput(index)
    return spec


def table_create_kwargs(table_name: str, props: dict[str, Any]) -> dict[str, Any]:
    """``CreateTable`` arguments equivalent to one ``AWS::DynamoDB::Table``'s properties."""
    billing_mode = props.get("BillingMode", "PROVISIONED")
    provisioned = billing_mode == "PROVISIONED"
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": billing_mode,
    }
    if provisioned:
        kwargs["ProvisionedThroughput"] = _throughput(props)
    if props.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = [
            _index(gsi, provisioned, global_index=True) for gsi in props["GlobalSecondaryIndexes"]
        ]
    if props.get("LocalSecondaryIndexes"):
        kwargs["LocalSecondaryIndexes"] = [
            _index(lsi, provisioned, global_index=False) for lsi in props["LocalSecondaryIndexes"]
        ]
    stream = props.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return kwargs


def create_tables_from_template(
    client: DynamoDBClient, template_path: Path = TEMPLATE_PATH
) -> dict[str, str]:
    """Create every DynamoDB table the template declares, TTL included; ``{logical_id: table_name}``."""
    names: dict[str, str] = {}
    for logical_id, props in resources_of_type(load_template(template_path), "AWS::DynamoDB::Table").items():
        table_name = _physical_name(logical_id, props.get("TableName"))
        client.create_table(**table_create_kwargs(table_name, props))
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled", False) is True:
            client.update_time_to_live(
                TableName=table_name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
        names[logical_id] = table_name
    return names


def create_buckets_from_template(client: S3Client, template_path: Path = TEMPLATE_PATH) -> dict[str, str]:
    """Create every S3 bucket the template declares; returns ``{logical_id: bucket_name}``.

    Buckets whose ``BucketName`` is not a literal get a unique lower-case name (S3 naming rules).
    """
    names: dict[str, str] = {}
    for logical_id, props in resources_of_type(load_template(template_path), "AWS::S3::Bucket").items():
        declared = props.get("BucketName")
        bucket = declared if isinstance(declared, str) else f"{logical_id.lower()}-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        names[logical_id] = bucket
    return names

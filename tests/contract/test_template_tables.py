"""The moto tables and bucket the suites use are the ones ``template.yaml`` declares."""

from __future__ import annotations

from receiptflow.adapters.aws import dynamo_keys as keys
from receiptflow.adapters.aws.clients import dynamodb_client

from tests.support.backends import AwsResources
from tests.support.template import load_template, resources_of_type


def test_short_tags_load_as_long_forms() -> None:
    template = load_template()

    assert template["Outputs"]["TableName"]["Value"] == {"Ref": "ReceiptflowTable"}
    assert resources_of_type(template, "AWS::DynamoDB::Table")


def test_table_matches_the_template_and_the_adapter_keys(aws: AwsResources) -> None:
    declared = resources_of_type(load_template(), "AWS::DynamoDB::Table")["ReceiptflowTable"]
    client = dynamodb_client()

    table = client.describe_table(TableName=aws.table)["Table"]
    ttl = client.describe_time_to_live(TableName=aws.table)["TimeToLiveDescription"]

    assert table["KeySchema"] == declared["KeySchema"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == [keys.PK, keys.SK]
    gsis = {g["IndexName"]: g["KeySchema"] for g in table.get("GlobalSecondaryIndexes", [])}
    assert [k["AttributeName"] for k in gsis[keys.GSI1]] == [keys.GSI1_PK, keys.GSI1_SK]
    assert (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")) == ("ENABLED", keys.TTL_ATTRIBUTE)

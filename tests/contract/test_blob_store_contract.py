"""Contract of ``ports.BlobStore``, run against the filesystem (embedded) and S3 (AWS, under moto)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from botocore.stub import Stubber
from receiptflow.adapters.aws.clients import s3_client
from receiptflow.adapters.aws.s3_blob_store import S3BlobStore
from receiptflow.errors import InvalidKeyError, NotFoundError, ReceiptflowError, StoreUnavailableError
from receiptflow.ports import BlobStore

from tests.support.backends import BACKENDS, AwsResources, embedded_class

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4 + b"\xff\xd9"


@pytest.fixture(params=BACKENDS)
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    """A fresh, empty blob store of each kind."""
    if request.param == "embedded":
        cls = embedded_class("receiptflow.adapters.embedded.blob_store", "FileBlobStore")
        yield cls(tmp_path / "blobs")
    else:
        aws: AwsResources = request.getfixturevalue("aws")
        yield S3BlobStore(aws.bucket, prefix="rf")


def test_put_then_get_returns_the_same_bytes(blobs: BlobStore) -> None:
    blobs.put("batches/b1/in/0001.jpg", JPEG, "image/jpeg")

    assert blobs.get("batches/b1/in/0001.jpg") == JPEG
    assert blobs.exists("batches/b1/in/0001.jpg")


def test_put_overwrites(blobs: BlobStore) -> None:
    blobs.put("exports/b1.csv", b"old")
    blobs.put("exports/b1.csv", b"new,content\n", "text/csv")

    assert blobs.get("exports/b1.csv") == b"new,content\n"


def test_missing_key_is_not_found(blobs: BlobStore) -> None:
    assert not blobs.exists("nope/x.jpg")
    with pytest.raises(NotFoundError):
        blobs.get("nope/x.jpg")


def test_delete_removes_and_tolerates_absent_keys(blobs: BlobStore) -> None:
    blobs.put("a/b.bin", b"1")

    blobs.delete("a/b.bin")
    blobs.delete("a/b.bin")

    assert not blobs.exists("a/b.bin")


def test_list_keys_is_sorted_and_limited_to_the_prefix(blobs: BlobStore) -> None:
    for key in ["b1/in/2.jpg", "b1/in/10.jpg", "b1/out.json", "b10/in/1.jpg", "b2/in/1.jpg"]:
        blobs.put(key, b"x")

    assert blobs.list_keys("b1/") == ["b1/in/10.jpg", "b1/in/2.jpg", "b1/out.json"]
    assert blobs.list_keys("b1") == ["b1/in/10.jpg", "b1/in/2.jpg", "b1/out.json", "b10/in/1.jpg"]
    assert blobs.list_keys("b1/in/") == ["b1/in/10.jpg", "b1/in/2.jpg"]
    assert blobs.list_keys("zz/") == []
    assert len(blobs.list_keys("")) == 5


@pytest.mark.parametrize("key", ["", "/abs/x.jpg", "../escape.jpg", "a/../../b", "a//b", "a\\b"])
def test_unsafe_keys_are_rejected(blobs: BlobStore, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        blobs.put(key, b"x")


# --- AWS side only ------------------------------------------------------------------------------
def test_aws_prefix_scopes_the_store(aws: AwsResources) -> None:
    tenant_a = S3BlobStore(aws.bucket, prefix="tenant-a/")
    tenant_b = S3BlobStore(aws.bucket, prefix="tenant-b")
    tenant_a.put("x.jpg", b"a")

    assert tenant_a.object_key("x.jpg") == "tenant-a/x.jpg"
    assert s3_client().get_object(Bucket=aws.bucket, Key="tenant-a/x.jpg")["Body"].read() == b"a"
    assert not tenant_b.exists("x.jpg")
    assert tenant_b.list_keys("") == []
    assert tenant_a.list_keys("") == ["x.jpg"]


def test_aws_put_keeps_the_content_type_and_head_gives_the_size(aws: AwsResources) -> None:
    store = S3BlobStore(aws.bucket)
    store.put("in/a.jpg", JPEG, "image/jpeg")

    assert store.head("in/a.jpg") == len(JPEG)
    assert store.head("in/missing.jpg") is None
    assert s3_client().head_object(Bucket=aws.bucket, Key="in/a.jpg")["ContentType"] == "image/jpeg"


def test_aws_presigned_post_is_scoped_to_key_type_and_size(aws: AwsResources) -> None:
    store = S3BlobStore(aws.bucket, prefix="uploads")

    post = store.presigned_post("b1/0001.jpg", "image/jpeg", max_bytes=5_000_000, expires=300)

    fields = post["fields"]
    assert fields["key"] == "uploads/b1/0001.jpg"
    assert fields["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": "uploads/b1/0001.jpg"} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 0, 5_000_000] in conditions
    # a browser-style upload with the form lands the object where the store reads it
    response = requests.post(post["url"], data=fields, files={"file": ("0001.jpg", JPEG)}, timeout=10)
    assert response.status_code in (200, 201, 204)
    assert store.get("b1/0001.jpg") == JPEG


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("SlowDown", 503, StoreUnavailableError),
        ("InternalError", 500, StoreUnavailableError),
        ("AccessDenied", 403, ReceiptflowError),
        ("NoSuchKey", 404, NotFoundError),
    ],
)
def test_aws_s3_errors_become_domain_errors(
    aws: AwsResources, code: str, status: int, error: type[ReceiptflowError]
) -> None:
    client = s3_client()
    with Stubber(client) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status)
        with pytest.raises(error) as raised:
            S3BlobStore(aws.bucket, client=client).get("in/a.jpg")
    assert type(raised.value) is error

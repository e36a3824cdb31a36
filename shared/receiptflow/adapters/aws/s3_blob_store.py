"""``BlobStore`` on S3: images and exports under an optional key prefix, plus presigned uploads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from receiptflow.adapters.aws.clients import s3_client
from receiptflow.errors import InvalidKeyError, NotFoundError, ReceiptflowError, StoreUnavailableError
from receiptflow.ports import StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
_BUSY_CODES = frozenset(
    {"SlowDown", "503", "500", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling"}
)


def check_key(key: str) -> str:
    """``key`` if it is a clean relative ``/``-separated path (the rule the filesystem store also applies)."""
    if not key or "\x00" in key or "\\" in key or key.startswith("/"):
        raise InvalidKeyError(f"invalid blob key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKeyError(f"invalid blob key {key!r}")
    return key


@contextmanager
def _translate(bucket: str, key: str) -> Iterator[None]:
    """botocore failures → ``NotFoundError`` / ``StoreUnavailableError`` / ``ReceiptflowError``."""
    try:
        yield
    except ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_CODES:
            raise NotFoundError(f"s3://{bucket}/{key} not found") from e
        if code in _BUSY_CODES:
            raise StoreUnavailableError(f"S3 bucket {bucket} is busy ({code}); retry later") from e
        raise ReceiptflowError(f"S3 request for s3://{bucket}/{key} failed: {code}") from e
    except (ConnectionError, HTTPClientError) as e:
        raise StoreUnavailableError(f"S3 is unreachable: {type(e).__name__}") from e
    except BotoCoreError as e:
        raise ReceiptflowError(f"S3 client error: {type(e).__name__}") from e


class S3BlobStore:
    """Objects in ``bucket`` under ``prefix`` (keys given to and returned by the store exclude the prefix)."""

    def __init__(self, bucket: str, prefix: str = "", client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client = client if client is not None else s3_client()

    def object_key(self, key: str) -> str:
        """The full S3 key of store key ``key`` (what Textract's ``S3Object`` needs)."""
        return f"{self._prefix}{check_key(key)}"

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store ``data`` under ``key`` (overwrites)."""
        with _translate(self.bucket, key):
            self._client.put_object(
                Bucket=self.bucket, Key=self.object_key(key), Body=data, ContentType=content_type
            )

    def get(self, key: str) -> bytes:
        """Bytes under ``key``; ``NotFoundError`` when absent."""
        with _translate(self.bucket, key):
            response = self._client.get_object(Bucket=self.bucket, Key=self.object_key(key))
            return response["Body"].read()

    def exists(self, key: str) -> bool:
        """True when ``key`` holds an object."""
        return self.head(key) is not None

    def head(self, key: str) -> int | None:
        """Size in bytes of the object under ``key``, or None when absent."""
        try:
            with _translate(self.bucket, key):
                response = self._client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except NotFoundError:
            return None
        return int(response["ContentLength"])

    def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are fine."""
        with _translate(self.bucket, key):
            self._client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def list_keys(self, prefix: str) -> list[str]:
        """All keys under ``prefix``, sorted (without the store's own prefix)."""
        found: list[str] = []
        with _translate(self.bucket, prefix):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self._prefix}{prefix}"):
                found.extend(obj["Key"][len(self._prefix) :] for obj in page.get("Contents", []))
        return sorted(found)

    def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every object under ``prefix`` with its ETag, sorted by key (``ports.ObjectLister``)."""
        found: list[StoredObject] = []
        with _translate(self.bucket, prefix):
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self._prefix}{prefix}"):
                found.extend(
                    StoredObject(obj["Key"][len(self._prefix) :], str(obj.get("ETag", "")).strip('"'))
                    for obj in page.get("Contents", [])
                )
        return sorted(found, key=lambda obj: obj.key)

    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires: int = 900
    ) -> dict[str, Any]:
        """A browser upload form for exactly ``key``: ``{"url": ..., "fields": {...}}``.

        The policy pins the key and ``Content-Type`` and caps the size at ``max_bytes``. Empty files are
        let through on purpose: intake reports them per item (``empty_file``) instead of the upload failing.
        """
        with _translate(self.bucket, key):
            post: dict[str, Any] = dict(
                self._client.generate_presigned_post(
                    Bucket=self.bucket,
                    Key=self.object_key(key),
                    Fields={"Content-Type": content_type},
                    Conditions=[{"Content-Type": content_type}, ["content-length-range", 0, max_bytes]],
                    ExpiresIn=expires,
                )
            )
        return post

    def presigned_get(self, key: str, expires: int, content_type: str | None = None) -> str:
        """A short-lived download link for ``key`` (the API answers image requests with a 307 to it)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self.object_key(key)}
        if content_type:
            params["ResponseContentType"] = content_type
        with _translate(self.bucket, key):
            return str(self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires))

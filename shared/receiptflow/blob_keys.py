"""THE blob key layout, in S3 and in the local blob store alike (one module, so no two places disagree).

- ``uploads/<tenant>/<batch>/<item>``: files uploaded through the API (presigned POST or multipart);
- ``inbox/<tenant>/<folder>/<name>``: the S3 drop folder; ``_READY`` closes a folder (docs/deploy.md);
- ``manifests/<batch>/<run>.json``: the item list of one Step Functions execution;
- ``results/<tenant>/<batch>/``: a finished batch's ``results.csv`` and ``summary.json``;
- ``previews/<upload key without uploads/>/<name>``: thumbnails and page renders made for the web app.

Client-controlled text never becomes part of a key except a drop folder's own names (the tenant's
folder in the tenant's own prefix); tenant ids that are not plain tokens are hashed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from receiptflow.models import BatchItem

UPLOADS_PREFIX = "uploads/"
INBOX_PREFIX = "inbox/"
MANIFESTS_PREFIX = "manifests/"
PREVIEWS_PREFIX = "previews/"
RESULTS_PREFIX = "results/"
READY_MARKER = "_READY"
RESULTS_CSV = "results.csv"
SUMMARY_JSON = "summary.json"


def _safe_tenant(tenant_id: str) -> str:
    """The tenant id as a key segment: itself when a plain token, else a hash of it."""
    plain = tenant_id.replace("-", "").replace("_", "").isalnum() and len(tenant_id) <= 64
    return tenant_id if plain else "t" + hashlib.sha256(tenant_id.encode()).hexdigest()[:32]


def upload_prefix(tenant_id: str, batch_id: str) -> str:
    """Prefix of a batch's uploaded files (one key per item id below it)."""
    return f"{UPLOADS_PREFIX}{_safe_tenant(tenant_id)}/{batch_id}/"


def manifest_key(batch_id: str, run_name: str) -> str:
    """Key of the item manifest of one execution (run) of a batch."""
    return f"{MANIFESTS_PREFIX}{batch_id}/{run_name}.json"


def results_prefix(tenant_id: str, batch_id: str) -> str:
    """Prefix of a finished batch's exports (``results.csv``, ``summary.json``)."""
    return f"{RESULTS_PREFIX}{tenant_id}/{batch_id}/"


def preview_key(item: BatchItem, name: str) -> str:
    """Key of a rendered preview ``name`` of ``item``: under ``previews/``, mirroring its upload key (items
    whose file lives elsewhere, a drop folder, get a hash of that key instead of client-chosen names)."""
    if item.blob_key is None:
        raise ValueError(f"item {item.item_id} has no file to preview")
    if item.blob_key.startswith(UPLOADS_PREFIX):
        base = item.blob_key.removeprefix(UPLOADS_PREFIX)
    else:
        base = f"{item.batch_id}/{hashlib.sha256(item.blob_key.encode()).hexdigest()[:32]}"
    return f"{PREVIEWS_PREFIX}{base}/{name}"


@dataclass(frozen=True)
class InboxKey:
    """A key under ``inbox/<tenant>/<folder>/<name>`` (``name`` may contain further ``/``)."""

    tenant_id: str
    folder: str
    name: str

    @property
    def folder_prefix(self) -> str:
        """The folder's key prefix, ending in ``/``."""
        return f"{INBOX_PREFIX}{self.tenant_id}/{self.folder}/"

    @property
    def is_marker(self) -> bool:
        """True for the ``_READY`` object that closes the folder."""
        return self.name == READY_MARKER


def parse_inbox_key(key: str) -> InboxKey | None:
    """The parts of an inbox key; None outside ``inbox/<tenant>/<folder>/`` and for folder placeholders."""
    if not key.startswith(INBOX_PREFIX) or key.endswith("/"):
        return None
    parts = key[len(INBOX_PREFIX) :].split("/", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return InboxKey(tenant_id=parts[0], folder=parts[1], name=parts[2])

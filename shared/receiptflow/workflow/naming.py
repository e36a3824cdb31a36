"""Deterministic names: execution names (idempotent StartExecution), manifest and summary keys."""

from __future__ import annotations

import hashlib
import re

MAX_EXECUTION_NAME = 80
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")


def execution_name(batch_id: str, run: str) -> str:
    """A Step Functions execution name for ``run`` of ``batch_id``: only ``[0-9A-Za-z_-]``, at most 80
    characters (a hash keeps long ids unique). Starting the same name twice answers
    ``ExecutionAlreadyExists``, which is how a repeated start is recognised."""
    name = _UNSAFE.sub("-", f"{batch_id}-{run}")
    if len(name) <= MAX_EXECUTION_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{name[: MAX_EXECUTION_NAME - 17]}-{digest}"


def manifest_key(batch_id: str, run_name: str) -> str:
    """S3 key of the item manifest of one execution."""
    return f"manifests/{batch_id}/{run_name}.json"


def results_prefix(tenant_id: str, batch_id: str) -> str:
    """S3 prefix of a batch's exports."""
    return f"results/{tenant_id}/{batch_id}/"

"""Payloads exchanged with the state machine (``statemachine/batch.asl.json``): small, by reference."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from receiptflow.models import BatchCounts, BatchStatus

Mode = Literal["inline", "distributed"]


class BatchRef(BaseModel):
    """A batch, named by its id and owning tenant (Prepare/Finalize input)."""

    model_config = ConfigDict(extra="ignore")

    batch_id: str = Field(min_length=1)
    tenant_id: str = Field(min_length=1)


class ItemRef(BatchRef):
    """One item of a batch (Scan Image input; one Map iteration)."""

    item_id: str = Field(min_length=1)


class StepError(BaseModel):
    """What a Catch puts at ``ResultPath``: the error name and its cause (the Lambda error JSON)."""

    model_config = ConfigDict(populate_by_name=True)

    error: str = Field(default="States.ALL", alias="Error")
    cause: str = Field(default="", alias="Cause")


class FailedItem(ItemRef):
    """Record Failure input: the item plus the caught error."""

    error: StepError


class ManifestEntry(BaseModel):
    """One line of the Distributed Map manifest (an item by reference)."""

    item_id: str


class ManifestRef(BaseModel):
    """Where the manifest of one execution lives."""

    bucket: str
    key: str


class ExecutionInput(BatchRef):
    """The execution input: constant size in distributed mode (items stay in S3)."""

    mode: Mode
    item_count: int
    manifest: ManifestRef
    items: list[ManifestEntry] | None = None


class FinalizeOutcome(BaseModel):
    """What Finalize Batch returns (and the execution outputs)."""

    batch_id: str
    status: BatchStatus
    counts: BatchCounts
    summary_key: str | None = None
    csv_key: str | None = None

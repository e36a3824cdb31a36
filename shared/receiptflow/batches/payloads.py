"""Payloads the state machine (``statemachine/batch.asl.json``) hands the Lambda steps, and what they
answer: small, by reference (ids only; items and results stay in the store)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from receiptflow.models import BatchCounts, BatchStatus


class BatchRef(BaseModel):
    """A batch, named by its id and owning tenant (Finalize input)."""

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


class FinalizeOutcome(BaseModel):
    """What Finalize Batch returns (and the execution outputs)."""

    batch_id: str
    status: BatchStatus
    counts: BatchCounts
    summary_key: str | None = None
    csv_key: str | None = None


@dataclass(frozen=True)
class ItemOutcome:
    """What an item step did: ``recorded`` False when the item was already final (a redelivered or retried
    invocation) or its batch no longer runs."""

    item_id: str
    recorded: bool
    status: str
    code: str | None = None

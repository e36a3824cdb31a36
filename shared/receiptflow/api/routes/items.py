"""One item of a batch: read it, correct it, accept it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from receiptflow.api.deps import OwnedBatch, Services
from receiptflow.api.views import merge_correction, validate_correction
from receiptflow.errors import ConflictError, InvalidRequestError
from receiptflow.models import SUMMARY_FIELDS, BatchItem

router = APIRouter(prefix="/v1/batches/{batch_id}/items", tags=["items"])

_CORRECTION_EXAMPLE = {"total": "12.50", "vendor_name": "MEGA MARKET PLUS", "tip": None}
REVIEWED_KEY = "reviewed"


@router.get("/{item_id}", name="get_item")
def get_item(item_id: str, batch: OwnedBatch, services: Services) -> BatchItem:
    """The item with its machine result, any user correction and whether it was reviewed."""
    return services.store.get_item(batch.batch_id, item_id)


@router.patch("/{item_id}")
def correct_item(
    item_id: str,
    batch: OwnedBatch,
    services: Services,
    patch: Annotated[
        dict[str, Any],
        Body(
            description="summary field → corrected value (null clears it); fields: "
            + ", ".join(SUMMARY_FIELDS)
            + '. `"reviewed": true|false` marks the item reviewed or not.',
            examples=[_CORRECTION_EXAMPLE, {"total": "9.99", "reviewed": True}],
        ),
    ],
) -> BatchItem:
    """Store a user correction beside the machine result; both are kept, exports use the correction."""
    fields = dict(patch)
    reviewed = fields.pop(REVIEWED_KEY, None)
    if reviewed is not None and not isinstance(reviewed, bool):
        raise InvalidRequestError("'reviewed' takes true or false")
    if not fields and reviewed is None:
        raise InvalidRequestError("a correction names at least one field")
    clean = validate_correction(fields) if fields else {}
    item = _finished_item(services, batch.batch_id, item_id)
    if clean:
        item = services.store.set_correction(
            batch.batch_id, item_id, merge_correction(item.correction, clean)
        )
    if reviewed is not None:
        item = services.store.set_reviewed(batch.batch_id, item_id, reviewed)
    return item


@router.post("/{item_id}/accept")
def accept_item(item_id: str, batch: OwnedBatch, services: Services) -> BatchItem:
    """Mark the item reviewed: a person checked its values (corrected or as read)."""
    _finished_item(services, batch.batch_id, item_id)
    return services.store.set_reviewed(batch.batch_id, item_id, True)


def _finished_item(services: Services, batch_id: str, item_id: str) -> BatchItem:
    item = services.store.get_item(batch_id, item_id)
    if not item.status.terminal:
        raise ConflictError(f"the item is {item.status}; correct it once it has a result")
    return item

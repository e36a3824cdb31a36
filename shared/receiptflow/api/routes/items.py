"""One item of a batch: read it, correct it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from receiptflow.api.deps import OwnedBatch, Services
from receiptflow.api.views import merge_correction, validate_correction
from receiptflow.errors import ConflictError
from receiptflow.models import SUMMARY_FIELDS, BatchItem

router = APIRouter(prefix="/v1/batches/{batch_id}/items", tags=["items"])

_CORRECTION_EXAMPLE = {"total": "12.50", "vendor_name": "MEGA MARKET PLUS", "tip": None}


@router.get("/{item_id}")
def get_item(item_id: str, batch: OwnedBatch, services: Services) -> BatchItem:
    """The item with its machine result and any user correction."""
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
            + ", ".join(SUMMARY_FIELDS),
            examples=[_CORRECTION_EXAMPLE],
        ),
    ],
) -> BatchItem:
    """Store a user correction beside the machine result; both are kept, exports use the correction."""
    clean = validate_correction(patch)
    item = services.store.get_item(batch.batch_id, item_id)
    if not item.status.terminal:
        raise ConflictError(f"the item is {item.status}; correct it once it has a result")
    return services.store.set_correction(batch.batch_id, item_id, merge_correction(item.correction, clean))

"""A batch's results: paginated JSON with a cursor, or the whole batch as CSV."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from receiptflow.api.deps import OwnedBatch, Services
from receiptflow.api.schemas import ResultsPage
from receiptflow.errors import InvalidRequestError
from receiptflow.export import items_to_csv
from receiptflow.models import ItemStatus
from receiptflow.paging import iter_items

router = APIRouter(prefix="/v1/batches/{batch_id}", tags=["results"])

# Item ids are zero-padded decimal numbers; a cursor is one of them.
CURSOR_PATTERN = re.compile(r"[0-9]{1,20}")


class ResultsFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


@router.get(
    "/results",
    response_model=ResultsPage,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON page, or CSV with ?format=csv"}},
)
def get_results(
    batch: OwnedBatch,
    services: Services,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page (400 when malformed)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    status: ItemStatus | None = None,
    format: ResultsFormat = ResultsFormat.JSON,
) -> ResultsPage | Response:
    """Items in upload order with their results and corrections. ``?format=csv`` exports every item
    (corrected values win; ``corrected_fields`` says which). A malformed ``cursor`` is 400."""
    if cursor is not None and not CURSOR_PATTERN.fullmatch(cursor):
        raise InvalidRequestError("cursor must be the next_cursor of a previous page")
    if format is ResultsFormat.CSV:
        csv_text = items_to_csv(iter_items(services.store, batch.batch_id, status))
        filename = f"receiptflow-{batch.batch_id}.csv"
        return Response(
            csv_text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    items = services.store.list_items(batch.batch_id, status=status, after=cursor, limit=limit + 1)
    more = len(items) > limit
    page = items[:limit]
    return ResultsPage(items=page, next_cursor=page[-1].item_id if more and page else None)

"""``POST /v1/scan``: one image, scanned synchronously."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from receiptflow.api.deps import Services, Tenant
from receiptflow.api.routes.batches import clean_source
from receiptflow.api.schemas import ScanResponse
from receiptflow.errors import TooLargeError

router = APIRouter(prefix="/v1", tags=["scan"])


@router.post("/scan")
def scan_one(
    tenant: Tenant, services: Services, file: Annotated[UploadFile, File(description="one receipt image")]
) -> ScanResponse:
    """Scan one image now. A bad image or a provider failure answers with its typed problem
    (e.g. 422 ``corrupt_image``, 503 ``provider_throttled``)."""
    limit = services.settings.max_file_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(f"the file is over {limit} bytes")
    return ScanResponse(result=services.scan(data, clean_source(file.filename, "upload")))

"""The owner's data rights in the JSON API (owner token): the data export under
``/api/v1/privacy/exports``, the erasure of the account under ``/api/v1/account/erasure``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status
from fastapi.responses import FileResponse

from linkplus.auth.deps import CurrentOwner
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import problem_responses
from linkplus.rights import erasure, export
from linkplus.rights.schemas import (
    DownloadIn,
    ErasureIn,
    ErasurePreviewOut,
    ErasureRequestOut,
    ExportOut,
)

router = APIRouter(tags=["privacy"])

# --- export ----------------------------------------------------------------------------------


@router.post(
    "/privacy/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(409),
)
async def request_export(
    owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ExportOut:
    """Ask for a copy of all your data (GDPR art. 15 and 20). It is made in the background;
    you are told when it is ready. One at a time: while one is being made, 409
    ``export_in_progress`` names it."""
    return await export.request_export(session, runtime, owner)


@router.get("/privacy/exports")
async def list_exports(owner: CurrentOwner, session: SessionDep) -> list[ExportOut]:
    """Your exports, newest first."""
    return await export.exports_of(session, owner)


@router.get("/privacy/exports/{export_id}", responses=problem_responses(404))
async def get_export(export_id: uuid.UUID, owner: CurrentOwner, session: SessionDep) -> ExportOut:
    return await export.export_of(session, owner, export_id)


@router.post(
    "/privacy/exports/{export_id}/download",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {}}, "description": "The export as a zip file."},
        **problem_responses(403, 404, 409, 410),
    },
)
async def download_export(
    export_id: uuid.UUID,
    data: DownloadIn,
    owner: CurrentOwner,
    session: SessionDep,
    runtime: RuntimeDep,
) -> FileResponse:
    """Download a ready export: give your password again (403 ``wrong_password``; throttled as
    sign-in is). 410 ``export_expired`` once its link ran out."""
    found = await export.open_download(session, runtime, owner, export_id, password=data.password)
    return FileResponse(
        found.path,
        media_type="application/zip",
        filename=found.filename,
        headers={"Cache-Control": "private, no-store"},
    )


# --- erasure ---------------------------------------------------------------------------------


@router.get("/account/erasure")
async def erasure_preview(
    owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ErasurePreviewOut:
    """What erasing the account would erase, what is kept and by which rule, and the request in
    its grace period when there is one."""
    return await erasure.preview(session, runtime, owner)


@router.post(
    "/account/erasure",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(403, 409),
)
async def request_erasure(
    data: ErasureIn, owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ErasureRequestOut:
    """Erase the account after the grace period (the password again); it can be cancelled
    until then."""
    return await erasure.request_erasure(session, runtime, owner, data)


@router.delete("/account/erasure", responses=problem_responses(404, 409))
async def cancel_erasure(
    owner: CurrentOwner, session: SessionDep, runtime: RuntimeDep
) -> ErasureRequestOut:
    """Cancel the erasure while its grace period runs."""
    return await erasure.cancel_erasure(session, runtime, owner)

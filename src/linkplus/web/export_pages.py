"""The owner's data export in the privacy portal (``/privacy/export``): ask for a copy of all
your data, see when it is ready, and download it with your password.

The page calls ``rights.export`` only, as the API does; the download is the same streamed zip.
Its words are in the owner's language (the catalogues); the refusals it shows are the domain's,
marked in ``web/domain_words``.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.rights import export
from linkplus.rights.errors import ExportNotFound
from linkplus.web.i18n import N_
from linkplus.web.rendering import see_other
from linkplus.web.sessions import (
    FormDep,
    OwnerDep,
    Refused,
    Visitor,
    attempt,
    form_secret,
    owner_account,
    render,
)

router = APIRouter(include_in_schema=False)

PAGE = export.EXPORT_PAGE
_NOTICES = {
    "export_requested": N_("We are making your export. You will be told when it is ready."),
}


async def _page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    *,
    status: int = 200,
    error: str | None = None,
    failed_export: uuid.UUID | None = None,
) -> Response:
    account = owner_account(visitor)
    return render(
        request,
        visitor,
        "rights/export.html",
        section="account",
        status=status,
        notice=_NOTICES.get(request.query_params.get("done") or ""),
        error=error,
        failed_export=failed_export,
        exports=await export.exports_of(session, account),
        link_days=request.app.state.runtime.settings.export_link_days,
    )


@router.get(PAGE)
async def export_page(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    return await _page(request, visitor, session)


@router.post(PAGE)
async def ask_for_export(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    outcome = await attempt(
        session, visitor, export.request_export(session, runtime, owner_account(visitor))
    )
    if isinstance(outcome, Refused):
        return await _page(request, visitor, session, status=outcome.status, error=outcome.detail)
    return see_other(PAGE, done="export_requested")


@router.post(PAGE + "/{export_id}/download", response_model=None)
async def download_export(
    export_id: uuid.UUID,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response | FileResponse:
    outcome = await attempt(
        session,
        visitor,
        export.open_download(
            session,
            runtime,
            owner_account(visitor),
            export_id,
            password=form_secret(form, "password"),
        ),
        let_through=(ExportNotFound,),
    )
    if isinstance(outcome, Refused):
        return await _page(
            request,
            visitor,
            session,
            status=outcome.status,
            error=outcome.detail,
            failed_export=export_id,
        )
    return FileResponse(
        outcome.path,
        media_type="application/zip",
        filename=outcome.filename,
        headers={"Cache-Control": "private, no-store"},
    )

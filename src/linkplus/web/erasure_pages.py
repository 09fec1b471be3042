"""Erase my account (GDPR art. 17), under the Data Privacy Portal: the preview of what is erased
and what is kept with each record's rule, the request with the password again, and the grace
period with its cancel button. The rules and the job are ``linkplus.rights``; the page calls
``rights.erasure`` only (docs/privacy-rights.md, "Erasure"). The preview's fixed lines and the
refusals are the domain's sentences, marked for the catalogue in ``web/domain_words``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.rights import erasure
from linkplus.rights.schemas import ErasureIn
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

PAGE = "/account/privacy/erasure"
_NOTICES = {
    "erasure_requested": N_(
        "Your account will be erased when the grace period ends. "
        "We sent you an e-mail; you can cancel here until then."
    ),
    "erasure_cancelled": N_("The erasure is cancelled. Your account stays as it is."),
}


async def _page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    runtime: RuntimeDep,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    preview = await erasure.preview(session, runtime, owner_account(visitor))
    return render(
        request,
        visitor,
        "privacy/erasure.html",
        section="account",
        status=status,
        error=error,
        notice=_NOTICES.get(request.query_params.get("done") or ""),
        preview=preview,
    )


@router.get(PAGE)
async def erasure_page(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return await _page(request, visitor, session, runtime)


@router.post(PAGE)
async def request_erasure(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    try:
        data = ErasureIn(password=form_secret(form, "password"))
    except ValidationError:
        return await _page(
            request, visitor, session, runtime, status=422, error=N_("Enter your password.")
        )
    outcome = await attempt(
        session,
        visitor,
        erasure.request_erasure(session, runtime, owner_account(visitor), data),
    )
    if isinstance(outcome, Refused):
        return await _page(
            request, visitor, session, runtime, status=outcome.status, error=outcome.detail
        )
    return see_other(PAGE, done="erasure_requested")


@router.post(f"{PAGE}/cancel")
async def cancel_erasure(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    outcome = await attempt(
        session, visitor, erasure.cancel_erasure(session, runtime, owner_account(visitor))
    )
    if isinstance(outcome, Refused):
        return await _page(
            request, visitor, session, runtime, status=outcome.status, error=outcome.detail
        )
    return see_other(PAGE, done="erasure_cancelled")

"""The Data Privacy Portal: the legal documents, what the owner accepted, and withdrawing.

Withdrawing is always possible; the confirmation page says what it stops before anything happens
(withdrawing the Terms of Use stops the connected services of every car in the account, until the
owner accepts them again).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.models.privacy import ConsentChannel, DocumentKind
from linkplus.privacy import service as privacy
from linkplus.privacy.errors import DocumentNotFound
from linkplus.privacy.schemas import ConsentIn
from linkplus.web.cars import page_notice
from linkplus.web.i18n import N_
from linkplus.web.rendering import see_other
from linkplus.web.sessions import (
    FormDep,
    OwnerDep,
    Refused,
    Visitor,
    attempt,
    form_text,
    owner_account,
    render,
)

router = APIRouter(include_in_schema=False)

# How a consent was given, in the words of the consent history (translated on the page).
_CHANNELS = {
    ConsentChannel.app.value: N_("the app"),
    ConsentChannel.portal.value: N_("this portal"),
    ConsentChannel.head_unit.value: N_("the car's screen"),
}


def _kind(document: str) -> DocumentKind:
    try:
        return DocumentKind(document)
    except ValueError as exc:
        raise DocumentNotFound(document) from exc


async def _portal(
    request: Request, visitor: Visitor, session: SessionDep, *, status: int = 200, **extra: str
) -> Response:
    account = owner_account(visitor)
    return render(
        request,
        visitor,
        "privacy/portal.html",
        section="account",
        status=status,
        notice=page_notice(request),
        documents=await privacy.documents_for(session, account),
        history=await privacy.consent_history(session, account),
        titles={
            kind.value: privacy.title_for(kind, account.language, fallback=kind.value)
            for kind in DocumentKind
        },
        channels=_CHANNELS,
        **extra,
    )


@router.get("/account/privacy")
async def portal(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    return await _portal(request, visitor, session)


@router.get("/account/privacy/{document}")
async def read_document(
    document: str, request: Request, visitor: OwnerDep, session: SessionDep
) -> Response:
    account = owner_account(visitor)
    kind = _kind(document)
    text = privacy.document_for(account, kind.value)
    state = next(d for d in await privacy.documents_for(session, account) if d.document is kind)
    return render(
        request,
        visitor,
        "privacy/document.html",
        section="account",
        notice=page_notice(request),
        document=text,
        state=state,
    )


@router.post("/account/privacy/{document}/accept")
async def accept_document(
    document: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    kind = _kind(document)
    try:
        data = ConsentIn(
            document=kind, version=form_text(form, "version"), channel=ConsentChannel.portal
        )
    except ValidationError:
        return await _portal(
            request,
            visitor,
            session,
            status=422,
            error=N_("Open the document and accept the version it shows."),
        )
    outcome = await attempt(
        session, visitor, privacy.record_consent(session, runtime, owner_account(visitor), data)
    )
    if isinstance(outcome, Refused):
        return await _portal(request, visitor, session, status=outcome.status, error=outcome.detail)
    return see_other(f"/account/privacy/{kind.value}", done="document_accepted")


@router.get("/account/privacy/{document}/withdraw")
async def withdraw_form(
    document: str, request: Request, visitor: OwnerDep, session: SessionDep
) -> Response:
    account = owner_account(visitor)
    kind = _kind(document)
    state = next(d for d in await privacy.documents_for(session, account) if d.document is kind)
    return render(
        request,
        visitor,
        "privacy/withdraw.html",
        section="account",
        state=state,
        stops_services=kind is DocumentKind.terms_of_use,
    )


@router.post("/account/privacy/{document}/withdraw")
async def withdraw(
    document: str,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    kind = _kind(document)
    if form_text(form, "confirm") != "withdraw":
        return see_other(f"/account/privacy/{kind.value}/withdraw")
    await privacy.withdraw(session, runtime, owner_account(visitor), document=kind.value)
    return see_other("/account/privacy", done="consent_withdrawn")

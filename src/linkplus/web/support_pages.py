"""The Support section: "Contact us" by category (each opening a case with its first message),
the owner's cases, and one case's thread with a reply form. The customer centre answers through
the staff API (docs/support.md)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.garage import service as garage
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from linkplus.support import service as support
from linkplus.support.errors import CaseNotFound
from linkplus.support.schemas import CaseIn, MessageIn
from linkplus.web.forms import field_errors
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

NOTICES = {
    "case_opened": N_("Your case is open. The customer centre answers here and by e-mail."),
    "message_sent": N_("Your message is in the case."),
    "case_closed": N_("The case is closed."),
}
STATES = {"open": N_("Waiting for us"), "answered": N_("Answered"), "closed": N_("Closed")}
CATEGORY_WORDS = {
    "service_and_maintenance": N_("Service and Maintenance"),
    "car_and_app": N_("My car and the app"),
    "connected_services": N_("Connected services and subscriptions"),
    "payments_and_invoices": N_("Payments and invoices"),
    "account_and_privacy": N_("My account and privacy"),
}


def _case_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise CaseNotFound() from exc


async def _support_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    account: Account,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    cars = await garage.list_vehicles(session, runtime, account)
    context: dict[str, Any] = {
        "categories": support.categories(),
        "category_words": CATEGORY_WORDS,
        "state_words": STATES,
        "cases": await support.owner_cases(session, account),
        "cars": [(car.vin, car.model_name) for car in cars],
    }
    return render(
        request,
        visitor,
        "support/index.html",
        section="support",
        status=status_code,
        notice=NOTICES.get(request.query_params.get("done") or ""),
        errors=errors or {},
        values=values or {"category": request.query_params.get("category", "")},
        **context,
    )


@router.get("/support")
async def support_home(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return await _support_page(request, visitor, session, runtime, owner_account(visitor))


@router.post("/support/cases")
async def open_case(
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    account = owner_account(visitor)
    values = {name: form_text(form, name) for name in ("category", "subject", "message", "vin")}
    try:
        body = CaseIn.model_validate(
            {
                "category": values["category"],
                "subject": values["subject"],
                "message": values["message"],
                "vin": values["vin"] or None,
            }
        )
    except ValidationError as exc:
        return await _support_page(
            request, visitor, session, runtime, account,
            status_code=422, errors=field_errors(exc), values=values,
        )  # fmt: skip
    outcome = await attempt(session, visitor, support.open_case(session, runtime, account, body))
    if isinstance(outcome, Refused):
        return await _support_page(
            request, visitor, session, runtime, account,
            status_code=outcome.status, errors={"form": outcome.detail}, values=values,
        )  # fmt: skip
    return see_other(f"/support/cases/{outcome.id}", done="case_opened")


async def _case_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    account: Account,
    case_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    case = await support.owner_case(session, account, case_id)
    return render(
        request,
        visitor,
        "support/case.html",
        section="support",
        status=status_code,
        notice=NOTICES.get(request.query_params.get("done") or ""),
        errors=errors or {},
        values=values or {},
        case=case,
        category_words=CATEGORY_WORDS,
        state_words=STATES,
    )


@router.get("/support/cases/{case_id}")
async def case_page(
    case_id: str, request: Request, visitor: OwnerDep, session: SessionDep
) -> Response:
    return await _case_page(request, visitor, session, owner_account(visitor), _case_id(case_id))


@router.post("/support/cases/{case_id}/messages")
async def write(
    case_id: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    account, parsed = owner_account(visitor), _case_id(case_id)
    values = {"message": form_text(form, "message")}
    try:
        body = MessageIn.model_validate(values)
    except ValidationError as exc:
        return await _case_page(
            request, visitor, session, account, parsed,
            status_code=422, errors=field_errors(exc), values=values,
        )  # fmt: skip
    outcome = await attempt(
        session, visitor, support.owner_writes(session, runtime, account, parsed, body)
    )
    if isinstance(outcome, Refused):
        return await _case_page(
            request, visitor, session, account, parsed,
            status_code=outcome.status, errors={"form": outcome.detail}, values=values,
        )  # fmt: skip
    return see_other(f"/support/cases/{parsed}", done="message_sent")


@router.post("/support/cases/{case_id}/close")
async def close(
    case_id: str,
    visitor: OwnerDep,
    _form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    parsed = _case_id(case_id)
    await support.owner_closes(session, runtime, owner_account(visitor), parsed)
    return see_other(f"/support/cases/{parsed}", done="case_closed")

"""The customer centre's support pages in the staff console: the queue of cases waiting for an
answer, one case (opening it is audited and recorded for the owner, the case being the reason),
answering and closing. Customer-centre agents (and administrators) only; anyone else gets the
same 404 as for an address that does not exist, or 403 for other staff roles."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import Forbidden, NotFound
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.support import service as support
from linkplus.support.schemas import MessageIn
from linkplus.web.console import ConsoleFormDep, ConsoleVisitorDep
from linkplus.web.forms import field_errors
from linkplus.web.rendering import see_other
from linkplus.web.sessions import Refused, Visitor, attempt, form_text, render

router = APIRouter(prefix="/console/support", include_in_schema=False)

_ROLES = frozenset({StaffRole.agent.value, StaffRole.admin.value})
NOTICES = {"answered": "Your answer is sent; the owner is told.", "closed": "The case is closed."}


async def _agent(visitor: ConsoleVisitorDep) -> Visitor:
    if visitor.staff is None:
        raise NotFound("There is nothing at this address.")
    if visitor.staff.role not in _ROLES:
        raise Forbidden("Your staff role does not include this function. Ask an administrator.")
    return visitor


AgentDep = Annotated[Visitor, Depends(_agent)]


def _staff(visitor: Visitor) -> StaffAccount:
    assert visitor.staff is not None  # AgentDep let only staff through
    return visitor.staff


def _case_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound("There is nothing at this address.") from exc


@router.get("")
async def queue(request: Request, visitor: AgentDep, session: SessionDep) -> Response:
    cases = await support.queue(session, include_answered=True)
    return render(
        request, visitor, "console/support/queue.html", staff=_staff(visitor), cases=cases
    )


async def _case_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    runtime: RuntimeDep,
    case_id: uuid.UUID,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    case = await support.staff_case(session, runtime, _staff(visitor), case_id)
    return render(
        request,
        visitor,
        "console/support/case.html",
        status=status_code,
        notice=NOTICES.get(request.query_params.get("done") or ""),
        staff=_staff(visitor),
        case=case,
        errors=errors or {},
        values=values or {},
    )


@router.get("/{case_id}")
async def case_page(
    case_id: str, request: Request, visitor: AgentDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return await _case_page(request, visitor, session, runtime, _case_id(case_id))


@router.post("/{case_id}/answer")
async def answer(
    case_id: str,
    request: Request,
    visitor: AgentDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    parsed = _case_id(case_id)
    values = {"message": form_text(form, "message")}
    try:
        body = MessageIn.model_validate(values)
    except ValidationError as exc:
        return await _case_page(
            request, visitor, session, runtime, parsed,
            status_code=422, errors=field_errors(exc), values=values,
        )  # fmt: skip
    outcome = await attempt(
        session, visitor, support.staff_answers(session, runtime, _staff(visitor), parsed, body)
    )
    if isinstance(outcome, Refused):
        return await _case_page(
            request, visitor, session, runtime, parsed,
            status_code=outcome.status, errors={"form": outcome.detail}, values=values,
        )  # fmt: skip
    return see_other(f"/console/support/{parsed}", done="answered")


@router.post("/{case_id}/close")
async def close(
    case_id: str,
    request: Request,
    visitor: AgentDep,
    _form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    parsed = _case_id(case_id)
    outcome = await attempt(
        session, visitor, support.staff_closes(session, runtime, _staff(visitor), parsed)
    )
    if isinstance(outcome, Refused):
        return await _case_page(
            request, visitor, session, runtime, parsed,
            status_code=outcome.status, errors={"form": outcome.detail},
        )  # fmt: skip
    return see_other(f"/console/support/{parsed}", done="closed")

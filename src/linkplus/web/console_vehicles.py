"""The dealer console's car pages: find a car by VIN, see its accounts and blocked ownership checks
(the car's and each account's), record an in-person identity check, unblock, and remove the car
from an account on request.

Only a signed-in dealer or agent (or an administrator) sees these pages. Anyone else, an owner
with their own session included, gets the same 404 as for an address that does not exist, as the
staff API does. Every opening of a car page is audited by the garage service, and needs a reason
(``web/console_access.py``): the car's owners see it in their privacy portal.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from linkplus.audit.reasons import AccessReason
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import Forbidden, NotFound
from linkplus.garage import service as garage
from linkplus.garage.schemas import IdentityCheckIn, StaffRemovalIn
from linkplus.kit.vin import InvalidVin, normalize_vin
from linkplus.models.accounts import StaffAccount, StaffRole
from linkplus.models.garage import IdentityDocument
from linkplus.web import console_access
from linkplus.web.cars import page_notice
from linkplus.web.console import ConsoleFormDep, ConsoleVisitorDep
from linkplus.web.forms import field_errors
from linkplus.web.rendering import see_other
from linkplus.web.sessions import Refused, Visitor, attempt, form_text, render

router = APIRouter(prefix="/console/vehicles", include_in_schema=False)

_ROLES = frozenset({StaffRole.dealer.value, StaffRole.agent.value, StaffRole.admin.value})
_DOCUMENTS = (
    (IdentityDocument.id_card.value, "ID card"),
    (IdentityDocument.passport.value, "Passport"),
    (IdentityDocument.driving_licence.value, "Driving licence"),
)


async def _dealer(visitor: ConsoleVisitorDep) -> Visitor:
    if visitor.staff is None:
        raise NotFound("There is nothing at this address.")
    if visitor.staff.role not in _ROLES:
        raise Forbidden("Your staff role does not include this function. Ask an administrator.")
    return visitor


DealerDep = Annotated[Visitor, Depends(_dealer)]


def _staff(visitor: Visitor) -> StaffAccount:
    assert visitor.staff is not None  # DealerDep let only staff through
    return visitor.staff


def _account_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound("There is nothing at this address.") from exc


@router.get("")
async def search(request: Request, visitor: DealerDep) -> Response:
    wanted = request.query_params.get("vin", "").strip()
    if wanted:
        return see_other(f"/console/vehicles/{''.join(wanted.split()).upper()[:40]}")
    return render(request, visitor, "console/vehicles.html", staff=_staff(visitor), values={})


async def _car_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    runtime: RuntimeDep,
    vin: str,
    *,
    status: int = 200,
    reason: AccessReason | None = None,
    **extra: Any,
) -> Response:
    staff = _staff(visitor)
    if reason is None:
        reason = await console_access.remembered(session, runtime, visitor, _subject(vin))
    if reason is None and _well_formed(vin):  # a malformed VIN: the service says what is wrong
        return console_access.ask(
            request,
            visitor,
            action=f"/console/vehicles/{vin}/access-reason",
            back="/console/vehicles",
            opening=f"The car {vin}",
        )
    car = await attempt(
        session, visitor, garage.staff_find_vehicle(session, runtime, staff, vin, reason=reason)
    )
    if isinstance(car, Refused):
        return render(
            request,
            visitor,
            "console/vehicles.html",
            status=car.status,
            staff=staff,
            values={"vin": vin},
            error=car.detail,
        )
    extra.setdefault("failed_for", None)
    extra.setdefault("error_here", None)
    return render(
        request,
        visitor,
        "console/vehicle.html",
        status=status,
        notice=page_notice(request),
        staff=staff,
        car=car,
        documents=_DOCUMENTS,
        **extra,
    )


def _subject(vin: str) -> str:
    try:
        return garage.vehicle_subject(normalize_vin(vin))
    except InvalidVin:
        return garage.vehicle_subject(vin[:40])


def _well_formed(vin: str) -> bool:
    try:
        normalize_vin(vin)
    except InvalidVin:
        return False
    return True


@router.get("/{vin}")
async def car_page(
    vin: str, request: Request, visitor: DealerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return await _car_page(request, visitor, session, runtime, vin)


@router.post("/{vin}/access-reason")
async def give_reason(
    vin: str,
    request: Request,
    visitor: DealerDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The reason form's answer: the car page, recorded with it (and remembered)."""
    reason = console_access.from_form(visitor, form)
    if isinstance(reason, dict):
        return console_access.ask(
            request,
            visitor,
            action=f"/console/vehicles/{vin}/access-reason",
            back="/console/vehicles",
            opening=f"The car {vin}",
            values=console_access.form_values(form),
            errors=reason,
        )
    return await _car_page(request, visitor, session, runtime, vin, reason=reason)


@router.post("/{vin}/identity-checks")
async def record_identity_check(
    vin: str,
    request: Request,
    visitor: DealerDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    account_id = form_text(form, "account_id")
    try:
        data = IdentityCheckIn.model_validate(
            {
                "account_id": account_id,
                "document": form_text(form, "document"),
                "notes": form_text(form, "notes") or None,
            }
        )
    except ValidationError as exc:
        message = "; ".join(f"{name}: {text}" for name, text in field_errors(exc).items())
        return await _car_page(
            request,
            visitor,
            session,
            runtime,
            vin,
            status=422,
            failed_for=account_id,
            error_here=f"Nothing was recorded. {message}",
        )
    outcome = await attempt(
        session,
        visitor,
        garage.record_identity_check(session, runtime, _staff(visitor), vin, data),
    )
    if isinstance(outcome, Refused):
        return await _car_page(
            request,
            visitor,
            session,
            runtime,
            vin,
            status=outcome.status,
            failed_for=account_id,
            error_here=outcome.detail,
        )
    return see_other(f"/console/vehicles/{vin}", done="identity_recorded")


@router.post("/{vin}/ownership-checks/{account_id}/unblock")
async def unblock(
    vin: str,
    account_id: str,
    request: Request,
    visitor: DealerDep,
    _form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    owner_id = _account_id(account_id)
    outcome = await attempt(
        session,
        visitor,
        garage.unblock_ownership_check(session, runtime, _staff(visitor), vin, owner_id),
    )
    if isinstance(outcome, Refused):
        return await _car_page(
            request,
            visitor,
            session,
            runtime,
            vin,
            status=outcome.status,
            failed_for=str(owner_id),
            error_here=outcome.detail,
        )
    return see_other(f"/console/vehicles/{vin}", done="check_unblocked")


@router.post("/{vin}/ownership-block/unblock")
async def unblock_car(
    vin: str,
    request: Request,
    visitor: DealerDep,
    _form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    outcome = await attempt(
        session, visitor, garage.unblock_vehicle(session, runtime, _staff(visitor), vin)
    )
    if isinstance(outcome, Refused):
        return await _car_page(
            request,
            visitor,
            session,
            runtime,
            vin,
            status=outcome.status,
            failed_for="car",
            error_here=outcome.detail,
        )
    return see_other(f"/console/vehicles/{vin}", done="car_unblocked")


@router.post("/{vin}/accounts/{account_id}/remove")
async def remove_from_account(
    vin: str,
    account_id: str,
    request: Request,
    visitor: DealerDep,
    form: ConsoleFormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    owner_id = _account_id(account_id)
    try:
        data = StaffRemovalIn(reason=form_text(form, "reason"))
    except ValidationError:
        return await _car_page(
            request,
            visitor,
            session,
            runtime,
            vin,
            status=422,
            failed_for=str(owner_id),
            error_here="Nothing was removed. Write down why the owner asked for the removal "
            "(at least 3 characters).",
        )
    outcome = await attempt(
        session,
        visitor,
        garage.staff_remove_vehicle(
            session, runtime, _staff(visitor), vin, owner_id, reason=data.reason
        ),
    )
    if isinstance(outcome, Refused):
        return await _car_page(
            request,
            visitor,
            session,
            runtime,
            vin,
            status=outcome.status,
            failed_for=str(owner_id),
            error_here=outcome.detail,
        )
    return see_other(f"/console/vehicles/{vin}", done="removed_from_account")

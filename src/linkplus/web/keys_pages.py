"""The Digital key pages (issue 17, docs/keys.md).

- ``/vehicle/{vin}/keys``, the car's primary account: the owner's own key on this phone, the
  invited drivers with their limits and their revocation (pending until the car acknowledges,
  then confirmed), the invitation form (the share code is shown once, on the answer to the form)
  and the revoke buttons. A car the visitor may not see is the one 404; a secondary account is
  sent to the car page, which says why.
- ``/keys``: the keys the visitor holds (on any car), each with "use key" and "remove";
  ``/keys/invites/{id}``: an invitation sent to the visitor's address, accepted with the share
  code.

Every form carries the CSRF token and calls the ``keys`` service, as the API does. The phone's
key pair is made by ``static/keys.js`` (WebCrypto ECDSA P-256, the private key non-extractable,
kept in IndexedDB); it puts the public key in the forms that ask for one.

"Use key" is the short-range channel of the demo: the page asks the car's reader for a
challenge (``POST /keys/{id}/challenge``), the browser signs it with its stored key and the page
hands the answer to the car (``POST /keys/{id}/present``). The car is a simulated unit in this
process (``seams.nearby``); it judges the answer itself and, when it opens, reports its doors
unlocked, which the car's dashboard shows.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import Conflict, Forbidden
from linkplus.garage import service as garage
from linkplus.keys import service as keys
from linkplus.keys.certificates import b64, unb64
from linkplus.keys.errors import KeyNotFound
from linkplus.keys.schemas import AcceptIn, InviteIn, KeyOut, OwnerKeyIn
from linkplus.models.accounts import Account
from linkplus.runtime import Runtime
from linkplus.seams import nearby
from linkplus.web import csrf
from linkplus.web.cars import car_name, primary_car
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

INVITE_INPUT: TypeAdapter[InviteIn] = TypeAdapter(InviteIn)
INVITE_FIELDS = ("email", "role", "valid_from", "valid_until", "hours_from", "hours_to")
INVITE_FIELDS_ALL = (*INVITE_FIELDS, "max_speed_kmh")

NOTICES = {
    "owner_key": N_("This phone is now a key to your car."),
    "revoked": N_(
        "The key is revoked. It shows as pending until the car confirms it has withdrawn it."
    ),
    "cancelled": N_("The invitation is cancelled."),
    "accepted": N_("The key is on this phone. Use it next to the car to open it."),
    "removed": N_("The key is removed from your keys."),
}
ROLES = {"owner": N_("Owner"), "full": N_("Full driver"), "limited": N_("Limited driver")}
KEY_STATES = {"active": N_("Active"), "suspended": N_("Suspended"), "revoked": N_("Revoked")}
INVITE_STATES = {
    "open": N_("Waiting for the driver"),
    "accepted": N_("Accepted"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired"),
    "locked": N_("Locked after wrong share codes"),
}
REVOCATIONS = {
    "pending": N_("Revocation pending: the car has not confirmed it yet"),
    "confirmed": N_("Revocation confirmed by the car"),
}
WEEKDAY_NAMES = {
    1: N_("Monday"),
    2: N_("Tuesday"),
    3: N_("Wednesday"),
    4: N_("Thursday"),
    5: N_("Friday"),
    6: N_("Saturday"),
    7: N_("Sunday"),
}
# What the car said to the phone, in words (``keys.certificates.Refusal``).
CAR_ANSWERS = {
    "ok": N_("The car is unlocked."),
    "bad_certificate": N_("The car did not recognise this key. Remove it and ask for a new one."),
    "forged": N_("The car refused this key: it was not issued for this car."),
    "wrong_car": N_("This key is for another car."),
    "revoked": N_("This key has been revoked. The car no longer opens for it."),
    "suspended": N_("Stolen-vehicle tracking is running for this car, so every key is suspended."),
    "not_yet_valid": N_("This key is not valid yet. Try again from its start date."),
    "expired": N_("This key has expired. Ask the owner for a new invitation."),
    "outside_hours": N_("This key does not open the car on this day or at this hour."),
    "unknown_challenge": N_("The car did not recognise the exchange. Try again."),
    "replayed": N_("The car refused a repeated answer. Try again."),
    "challenge_expired": N_("The exchange with the car took too long. Try again."),
    "bad_response": N_(
        "The car did not accept this phone's answer: the key belongs to another phone or "
        "browser. Use the phone you accepted the key on."
    ),
}


def keys_path(vin: str) -> str:
    return f"/vehicle/{vin}/keys"


def _words(code: str | None, table: dict[str, str]) -> str | None:
    return table.get(code or "")


async def _owner_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    vin: str,
    *,
    status: int = 200,
    refused: Refused | None = None,
    **extra: Any,
) -> Response:
    """The owner's page, drawn from the car loaded afresh: after a refusal the service's writes
    were rolled back (``attempt``), which leaves the objects loaded before it expired. With
    ``refused``, its status and its words on the page."""
    if refused is not None:
        status, extra["error"] = refused.status, refused.detail
    account = owner_account(visitor)
    caller = await primary_car(session, account, vin, otherwise=None)
    summary = await garage.vehicle_summary(session, caller)
    car = await keys.car_keys(session, runtime, caller)
    mine = [k for k in await keys.my_keys(session, account) if k.vin == caller.vehicle.vin]
    extra.setdefault("notice", _words(request.query_params.get("done"), NOTICES))
    extra.setdefault("created", None)
    return render(
        request,
        visitor,
        "keys/car.html",
        section="vehicle",
        status=status,
        car=summary,
        name=car_name(summary.model_name, summary.nickname),
        keys_of_car=car,
        owner_keys=[k for k in car.keys if k.role == "owner"],
        drivers=[k for k in car.keys if k.role != "owner"],
        invites=[i for i in car.invites if i.state == "open"],
        mine=mine,
        has_owner_key=any(k.role == "owner" and k.state == "active" for k in car.keys),
        weekdays=WEEKDAY_NAMES,
        roles=ROLES,
        key_states=KEY_STATES,
        invite_states=INVITE_STATES,
        revocations=REVOCATIONS,
        phone_slot=str(account.id),
        **extra,
    )


@router.get("/vehicle/{vin}/keys")
async def car_keys_page(
    vin: str, request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise="")
    if caller.vehicle.vin != vin:
        return see_other(keys_path(caller.vehicle.vin))
    return await _owner_page(request, visitor, session, runtime, caller.vehicle.vin)


@router.post("/vehicle/{vin}/keys/owner")
async def make_owner_key(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    car_vin = caller.vehicle.vin  # read before a refusal's rollback expires it
    fields = {"public_key": form_text(form, "public_key"), "name": form_text(form, "name")}
    if not fields["name"]:
        fields.pop("name")
    try:
        body = OwnerKeyIn.model_validate(fields)
    except ValidationError:
        return await _owner_page(
            request,
            visitor,
            session,
            runtime,
            car_vin,
            status=422,
            error=N_(
                "This browser did not make a key for this phone. Use a browser with Web "
                "Cryptography (any current one), allow it to store data for this site, and "
                "try again."
            ),
        )
    outcome = await attempt(session, visitor, keys.issue_owner_key(session, runtime, caller, body))
    if isinstance(outcome, Refused):
        return await _owner_page(request, visitor, session, runtime, car_vin, refused=outcome)
    return see_other(keys_path(car_vin), done="owner_key")


def _day_start(text: str, zone: ZoneInfo, *, end: bool = False) -> datetime | str | None:
    """A date field as the start of that day in the owner's time zone (the end of it for the
    last day); the text itself when it is no date, so the model refuses it by name."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    if end:
        day += timedelta(days=1)
    return datetime.combine(day, time(), tzinfo=zone)


def invite_body(form: Any, account: Account) -> tuple[dict[str, Any], dict[str, Any]]:
    """The invitation the form describes (``InviteIn``'s shape), and the values to show again."""
    values: dict[str, Any] = {name: form_text(form, name) for name in INVITE_FIELDS_ALL}
    days = [str(v) for v in form.getlist("days") if isinstance(v, str)]
    values["days"] = days
    zone = ZoneInfo(account.time_zone)
    body: dict[str, Any] = {"email": values["email"], "role": values["role"] or "full"}
    valid_from = _day_start(values["valid_from"], zone)
    valid_until = _day_start(values["valid_until"], zone, end=True)
    if valid_from is not None:
        body["valid_from"] = valid_from
    if valid_until is not None:
        body["valid_until"] = valid_until
    if body["role"] == "limited":
        if days:
            body["days"] = days
        for name in ("hours_from", "hours_to", "max_speed_kmh"):
            if values[name]:
                body[name] = values[name]
    return body, values


@router.post("/vehicle/{vin}/keys/invites")
async def invite(
    vin: str,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    account = owner_account(visitor)
    caller = await primary_car(session, account, vin, otherwise=None)
    car_vin = caller.vehicle.vin  # read before a refusal's rollback expires it
    body, values = invite_body(form, account)
    try:
        parsed = INVITE_INPUT.validate_python(body)
    except ValidationError as exc:
        errors = field_errors(exc)
        return await _owner_page(
            request,
            visitor,
            session,
            runtime,
            car_vin,
            status=422,
            error=N_("Some values of the invitation are not valid. Correct them and try again."),
            errors=errors,
            values=values,
        )
    outcome = await attempt(
        session, visitor, keys.invite_by_owner(session, runtime, caller, parsed)
    )
    if isinstance(outcome, Refused):
        return await _owner_page(
            request, visitor, session, runtime, car_vin, refused=outcome, values=values
        )
    # The share code is shown on this answer only (never in an address or a redirect).
    await runtime.db.commit(session)
    return await _owner_page(request, visitor, session, runtime, car_vin, created=outcome)


@router.post("/vehicle/{vin}/keys/invites/{invite_id}/cancel")
async def cancel_invite(
    vin: str,
    invite_id: uuid.UUID,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    car_vin = caller.vehicle.vin  # read before a refusal's rollback expires it
    outcome = await attempt(
        session, visitor, keys.cancel_invite(session, runtime, caller, invite_id)
    )
    if isinstance(outcome, Refused):
        return await _owner_page(request, visitor, session, runtime, car_vin, refused=outcome)
    return see_other(keys_path(car_vin), done="cancelled")


@router.post("/vehicle/{vin}/keys/{key_id}/revoke")
async def revoke(
    vin: str,
    key_id: uuid.UUID,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    caller = await primary_car(session, owner_account(visitor), vin, otherwise=None)
    car_vin = caller.vehicle.vin  # read before a refusal's rollback expires it
    outcome = await attempt(
        session, visitor, keys.revoke_by_owner(session, runtime, caller, key_id)
    )
    if isinstance(outcome, Refused):
        return await _owner_page(request, visitor, session, runtime, car_vin, refused=outcome)
    _, revocation_id = outcome
    if revocation_id is not None:
        await runtime.db.commit(session)
        await keys.send_now(runtime, revocation_id=revocation_id)
    return see_other(keys_path(car_vin), done="revoked")


# --- the keys the visitor holds ------------------------------------------------------------------


def _mine_page(
    request: Request, visitor: Visitor, held: list[KeyOut], *, status: int = 200, **extra: Any
) -> Response:
    extra.setdefault("notice", _words(request.query_params.get("done"), NOTICES))
    return render(
        request,
        visitor,
        "keys/mine.html",
        section="vehicle",
        status=status,
        held=held,
        weekdays=WEEKDAY_NAMES,
        roles=ROLES,
        key_states=KEY_STATES,
        car_answers=CAR_ANSWERS,
        phone_slot=str(owner_account(visitor).id),
        **extra,
    )


@router.get("/keys")
async def my_keys_page(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    return _mine_page(request, visitor, await keys.my_keys(session, owner_account(visitor)))


@router.post("/keys/{key_id}/remove")
async def remove_own(
    key_id: uuid.UUID,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    account = owner_account(visitor)
    outcome = await attempt(session, visitor, keys.remove_own(session, runtime, account, key_id))
    if isinstance(outcome, Refused):
        held = await keys.my_keys(session, account)
        return _mine_page(request, visitor, held, status=outcome.status, error=outcome.detail)
    _, revocation_id = outcome
    if revocation_id is not None:
        await runtime.db.commit(session)
        await keys.send_now(runtime, revocation_id=revocation_id)
    return see_other("/keys", done="removed")


async def _invite_page(
    request: Request,
    visitor: Visitor,
    session: AsyncSession,
    runtime: Runtime,
    invite_id: uuid.UUID,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    found = await keys.invite_for_me(session, runtime, owner_account(visitor), invite_id)
    return render(
        request,
        visitor,
        "keys/accept.html",
        section="vehicle",
        status=status,
        invite=found,
        weekdays=WEEKDAY_NAMES,
        roles=ROLES,
        invite_states=INVITE_STATES,
        phone_slot=str(owner_account(visitor).id),
        **extra,
    )


@router.get("/keys/invites/{invite_id}")
async def invitation_page(
    invite_id: uuid.UUID,
    request: Request,
    visitor: OwnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    return await _invite_page(request, visitor, session, runtime, invite_id)


@router.post("/keys/invites/{invite_id}/accept")
async def accept(
    invite_id: uuid.UUID,
    request: Request,
    visitor: OwnerDep,
    form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    account = owner_account(visitor)
    fields = {
        "share_code": form_text(form, "share_code"),
        "public_key": form_text(form, "public_key"),
        "name": form_text(form, "name") or "My phone",
    }
    try:
        body = AcceptIn.model_validate(fields)
    except ValidationError as exc:
        errors = field_errors(exc)
        if "public_key" in errors:
            message = N_(
                "This browser did not make a key for this phone. Use a browser with Web "
                "Cryptography (any current one), allow it to store data for this site, and "
                "try again."
            )
        else:
            message = N_("Enter the share code the owner gave you: 8 letters and digits.")
        return await _invite_page(
            request, visitor, session, runtime, invite_id, status=422, error=message, errors=errors
        )
    outcome = await attempt(
        session, visitor, keys.accept(session, runtime, account, invite_id, body)
    )
    if isinstance(outcome, Refused):
        # A wrong share code is counted by the service before it refuses; the page shows why.
        return await _invite_page(
            request,
            visitor,
            session,
            runtime,
            invite_id,
            status=outcome.status,
            error=outcome.detail,
        )
    return see_other("/keys", done="accepted")


# --- "use key": the short-range channel of the demo ----------------------------------------------


class NoCarNearby(Conflict):
    code = "key_car_not_nearby"
    title = "The car is not within reach"

    def __init__(self) -> None:
        super().__init__(
            "No car answers within reach of this phone. In the demo, start the simulated car "
            "and try again; a real car opens with the key next to it."
        )


class KeyNotUsable(Conflict):
    code = "key_not_usable"
    title = "This key cannot open the car"

    def __init__(self) -> None:
        super().__init__("This key is revoked or suspended; it cannot open the car.")


class PageTokenRefused(Forbidden):
    code = "csrf_refused"
    title = "The page's token is missing or old"


async def _token_checked(
    visitor: OwnerDep,
    token: Annotated[str | None, Header(alias="X-CSRF-Token")] = None,
) -> Visitor:
    if not csrf.is_valid(visitor.secret_key, visitor.csrf_binding, token):
        raise PageTokenRefused("This page is too old to use the key. Reload it and try again.")
    return visitor


CheckedOwner = Annotated[Visitor, Depends(_token_checked)]


async def _held(session: AsyncSession, account: Account, key_id: uuid.UUID) -> KeyOut:
    found = next((k for k in await keys.my_keys(session, account) if k.id == key_id), None)
    if found is None:
        raise KeyNotFound()
    if found.state != "active" or found.certificate is None:
        raise KeyNotUsable()
    return found


@router.post("/keys/{key_id}/challenge")
async def challenge(key_id: uuid.UUID, visitor: CheckedOwner, session: SessionDep) -> JSONResponse:
    """The car's fresh challenge for this phone: the nonce, and the car it comes from."""
    held = await _held(session, owner_account(visitor), key_id)
    nonce = await nearby.challenge(held.vin)
    if nonce is None:
        raise NoCarNearby()
    return JSONResponse({"vin": held.vin, "nonce": b64(nonce)})


class PresentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nonce: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{43}$")]
    response: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{86}$")]


@router.post("/keys/{key_id}/present")
async def present(
    key_id: uuid.UUID, body: PresentIn, visitor: CheckedOwner, session: SessionDep
) -> JSONResponse:
    """The phone's signed answer, handed to the car with the key's certificate; the car judges
    it. ``opened`` says whether the car unlocked, ``reason`` why not."""
    held = await _held(session, owner_account(visitor), key_id)
    assert held.certificate is not None  # _held refuses a key without one
    verdict = await nearby.present(held.vin, held.certificate, unb64(body.nonce), body.response)
    if verdict is None:
        raise NoCarNearby()
    return JSONResponse({"opened": verdict == "ok", "reason": verdict})

"""What the garage, Connected Services Centre and privacy pages share: loading the visitor's car,
reading proof of access from a form, and the confirmations those pages show.

The API (bearer tokens, ``garage.deps``) and the web app (cookie sessions) load a car through the
same ``garage.service.caller_vehicle``: a car that is not in the visitor's garage, an unknown VIN
and a malformed VIN are all the same 404.
"""

from __future__ import annotations

import re

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from linkplus.garage import service as garage
from linkplus.garage.deps import CallerVehicle
from linkplus.garage.errors import NotPrimaryAccount
from linkplus.garage.schemas import MAX_ODOMETER_KM
from linkplus.kit.parsing import OutOfRange, parse_int
from linkplus.models.accounts import Account
from linkplus.web.i18n import N_
from linkplus.web.notices import notice_for
from linkplus.web.sessions import form_text

# Confirmations after the forms of these pages (``?done=...``): fixed sentences only, as in
# ``web.notices``.
NOTICES = {
    "vehicle_added": N_("The car is in your garage."),
    "vehicle_removed": N_("The car is removed from your account."),
    "primary_claimed": N_("This account is now the car's primary account."),
    "services_activated": N_("Connected services are activated."),
    "services_deactivated": N_("The connected services are stopped."),
    "privacy_mode_on": N_("Privacy mode is on: the car no longer shares its location."),
    "privacy_mode_off": N_("Privacy mode is off: the car shares its location again."),
    "step_ticked": N_("The step is marked as done."),
    "not_primary": N_(
        "Another account is this car's primary account now. Make this account the "
        "active one to use it."
    ),
    "document_accepted": N_("Your acceptance is recorded."),
    "consent_withdrawn": N_("Your consent is withdrawn."),
    "dealer_chosen": N_("Your preferred dealer is saved."),
    "identity_recorded": N_("The identity check is recorded."),
    "check_unblocked": N_("The ownership check is unblocked: the owner can try again."),
    "car_unblocked": N_("The car is unblocked: its accounts can prove ownership again."),
    "removed_from_account": N_("The car is removed from that account."),
}

_NON_DIGITS_ALLOWED = re.compile(r"[\s.,']")
NOT_A_READING = N_("Enter the reading in whole kilometres, digits only (for example 12345).")


def car_path(vin: str, *rest: str) -> str:
    return "/".join(("/vehicle", vin, *rest))


def page_notice(request: Request) -> str | None:
    code = request.query_params.get("done")
    return NOTICES.get(code or "") or notice_for(code)


def car_name(model_name: str, nickname: str | None) -> str:
    return f"{nickname} ({model_name})" if nickname else model_name


async def visitor_car(session: AsyncSession, account: Account, vin: str) -> CallerVehicle:
    """The car as ``account`` may see it, or the one 404 for every car it may not see."""
    return await garage.caller_vehicle(session, account, vin)


class NotPrimaryHere(Exception):  # a redirect signal, not an error
    """The page is for the car's primary account only: the visitor goes to ``to``, a page of the
    car that says why (``?done=not_primary``)."""

    def __init__(self, to: str) -> None:
        super().__init__(to)
        self.to = to


async def primary_car(
    session: AsyncSession, account: Account, vin: str, *, otherwise: str | None
) -> CallerVehicle:
    """The car when ``account`` is its primary account; the one 404 for a car it may not see.

    A car it sees as a secondary account sends the browser to ``otherwise`` (a path under the
    car's page, ``""`` for the car page itself, with the not-primary notice), or, with None, is
    refused with 403 as the API refuses (forms that act on the car)."""
    caller = await visitor_car(session, account, vin)
    if caller.is_primary:
        return caller
    if otherwise is None:
        raise NotPrimaryAccount()
    raise NotPrimaryHere(car_path(caller.vehicle.vin, *([otherwise] if otherwise else [])))


def odometer_from(form: FormData, name: str = "odometer_km") -> int | str | None:
    """The reading as whole km, read by the strict parser (``kit.parsing``) after removing the
    spaces, dots, commas and apostrophes people type as thousands separators (deliberately, and
    only those).

    None when the field is empty; otherwise, when it is not a reading, the sentence telling the
    person what to type (the page shows it at the field).
    """
    raw = _NON_DIGITS_ALLOWED.sub("", form_text(form, name))
    if not raw:
        return None
    try:
        return parse_int(raw, field=name, minimum=0, maximum=MAX_ODOMETER_KM)
    except OutOfRange:
        return f"An odometer shows at most {MAX_ODOMETER_KM:,} km; check the reading."
    except ValueError:
        return NOT_A_READING


def pairing_code_from(form: FormData, name: str = "pairing_code") -> str | None:
    """The QR code text; scanners and copy-paste may add line breaks around it."""
    value = "".join(form_text(form, name).split())
    return value or None

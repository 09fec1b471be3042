"""The wallet: the owner's cards, adding one through the payment provider, primary, removal.

The card number never reaches these pages: "Add a card" asks for the billing address, opens a
session at the provider and sends the browser to the provider's own page. The provider sends it
back to ``/wallet/cards/added`` with a token in the address. The billing address waits in the
meantime in a short-lived cookie signed with the secret key and tied to the account, so nothing
typed before the provider's page is lost and nobody else's address can be slipped in. The return
page carries ``Referrer-Policy: no-referrer`` because the token is in its address.

A page that sends the owner to add a card (checkout without a card) names where to come back
(``next``, a path on this site read by the shared strict parser through ``safe_next``) and may
post the billing address it already has, so the owner types it once; the same signed cookie
keeps ``next`` until the card is saved, and the owner lands there instead of in the wallet.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from linkplus.config import Settings
from linkplus.deps import RuntimeDep, SessionDep
from linkplus.errors import ProblemError
from linkplus.kit.secrets import same, sign
from linkplus.models.accounts import Account
from linkplus.payments import service as payments
from linkplus.payments.errors import CardNotFound
from linkplus.payments.schemas import AddCardIn, BillingAddress, CardOut, CardSessionIn
from linkplus.runtime import Runtime
from linkplus.web.forms import country_options, field_errors
from linkplus.web.i18n import N_
from linkplus.web.rendering import safe_next, see_other
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

BILLING_COOKIE = "lp_card_billing"
BILLING_COOKIE_PATH = "/wallet"
BILLING_COOKIE_MINUTES = 30  # as long as the provider's page lives
ADDRESS_FIELDS = ("name", "street", "postcode", "city", "country")
_THREE_DS_REQUIRED = "three_ds_required"

NOTICES = {
    "card_added": N_("The card is in your wallet."),
    "card_primary": N_("This card now pays every subscription, on every car."),
    "card_removed": N_("The card is removed from your wallet."),
}


def card_id_from(text: str) -> uuid.UUID:
    """A card id from the address; anything malformed is the same 404 as another's card."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CardNotFound() from None


def address_values(card: CardOut | None, account: Account) -> dict[str, str]:
    """What the address form starts with: the primary card's address, else the profile."""
    if card is not None:
        return dict(card.billing_address.model_dump())
    return {
        "name": f"{account.first_name} {account.last_name}".strip(),
        "street": "",
        "postcode": "",
        "city": "",
        "country": account.country,
    }


def address_from(form: FormData) -> dict[str, str]:
    return {name: form_text(form, name) for name in ADDRESS_FIELDS}


def address_model(values: dict[str, str]) -> BillingAddress:
    """The address from the form; an empty field counts as missing ("Fill in this field.")."""
    return BillingAddress.model_validate({k: values[k] for k in ADDRESS_FIELDS if values.get(k)})


# --- the signed cookie ------------------------------------------------------------------------


def _cookie_message(payload: str) -> str:
    return f"card-billing|{payload}"


def billing_cookie_value(
    settings: Settings,
    runtime: Runtime,
    account_id: uuid.UUID,
    address: BillingAddress,
    next_path: str = "",
) -> str:
    expires = runtime.clock.now() + timedelta(minutes=BILLING_COOKIE_MINUTES)
    body = {
        "a": str(account_id),
        "e": int(expires.timestamp()),
        "b": address.model_dump(),
        "n": next_path,
    }
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{payload}.{sign(settings.resolved_secret_key, _cookie_message(payload))}"


def billing_from_cookie(
    value: str | None, settings: Settings, runtime: Runtime, account_id: uuid.UUID
) -> BillingAddress | None:
    """The address kept for this account, unless the cookie is missing, forged or too old."""
    kept = _kept(value, settings, runtime, account_id)
    return kept[0] if kept is not None else None


def _kept(
    value: str | None, settings: Settings, runtime: Runtime, account_id: uuid.UUID
) -> tuple[BillingAddress, str] | None:
    """The address and the page to come back to ("" for the wallet) kept in the cookie."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    expected = sign(settings.resolved_secret_key, _cookie_message(payload))
    if not same(expected, signature):
        return None
    try:
        body: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        if body["a"] != str(account_id) or body["e"] < runtime.clock.now().timestamp():
            return None
        next_path = body.get("n") or ""
        return BillingAddress.model_validate(body["b"]), safe_next(str(next_path), "")
    except (ValueError, KeyError, TypeError, ValidationError):
        return None


def _set_billing_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        BILLING_COOKIE,
        value,
        max_age=BILLING_COOKIE_MINUTES * 60,
        path=BILLING_COOKIE_PATH,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        secure=settings.public_url.startswith("https://"),
    )


def _clear_billing_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        BILLING_COOKIE,
        path=BILLING_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


# --- pages ------------------------------------------------------------------------------------


async def _wallet_page(
    request: Request,
    visitor: Visitor,
    session: SessionDep,
    runtime: RuntimeDep,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    cards = await payments.list_cards(session, runtime, owner_account(visitor))
    return render(
        request,
        visitor,
        "wallet/index.html",
        section="account",
        status=status,
        error=error,
        notice=NOTICES.get(request.query_params.get("done") or ""),
        cards=cards,
    )


@router.get("/wallet")
async def wallet_page(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    return await _wallet_page(request, visitor, session, runtime)


def _address_page(
    request: Request,
    visitor: Visitor,
    values: dict[str, str],
    *,
    next_path: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
    error: str | None = None,
) -> Response:
    return render(
        request,
        visitor,
        "wallet/new.html",
        section="account",
        status=status,
        values=values,
        next_path=next_path,
        errors=errors or {},
        error=error,
        countries=country_options(visitor.reader(request).language),
    )


@router.get("/wallet/cards/new")
async def new_card_page(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    account = owner_account(visitor)
    cards = await payments.list_cards(session, runtime, account)
    primary = next((card for card in cards if card.is_primary), None)
    next_path = safe_next(request.query_params.get("next"), "")
    return _address_page(request, visitor, address_values(primary, account), next_path=next_path)


@router.post("/wallet/cards/new")
async def start_adding_card(
    request: Request, visitor: OwnerDep, form: FormDep, runtime: RuntimeDep
) -> Response:
    """Open the provider's page; ``next`` (a path on this site) is where the owner lands once
    the card is saved, the wallet when there is none or it is not a path here."""
    account = owner_account(visitor)
    values = address_from(form)
    next_path = safe_next(form_text(form, "next"), "")
    try:
        address = address_model(values)
    except ValidationError as exc:
        return _address_page(
            request, visitor, values, next_path=next_path, errors=field_errors(exc), status=422
        )
    try:
        opened = await payments.start_adding_card(runtime, account, CardSessionIn())
    except ProblemError as exc:
        return _address_page(
            request, visitor, values, next_path=next_path, status=exc.status, error=exc.detail
        )
    response = RedirectResponse(opened.url, status_code=303)
    settings = runtime.settings
    _set_billing_cookie(
        response,
        settings,
        billing_cookie_value(settings, runtime, account.id, address, next_path),
    )
    return response


def _no_referrer(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/wallet/cards/added")
async def card_added(
    request: Request, visitor: OwnerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The provider's page sends the browser here with the token: keep the card."""
    account = owner_account(visitor)
    settings = runtime.settings
    token = request.query_params.get("token", "")
    kept = _kept(request.cookies.get(BILLING_COOKIE), settings, runtime, account.id)
    address, next_path = kept if kept is not None else (None, "")
    if address is None or not token:
        page = render(
            request,
            visitor,
            "wallet/added.html",
            section="account",
            status=400,
            error=N_(
                "The card was not saved: the billing address you entered has expired. "
                "Start again with “Add a card”."
            ),
        )
        return _no_referrer(page)
    try:
        card = AddCardIn(token=token[:128], billing_address=address)
    except ValidationError:
        page = render(
            request,
            visitor,
            "wallet/added.html",
            section="account",
            status=422,
            error=N_(
                "The card was not saved: the payment provider's answer was incomplete. "
                "Start again with “Add a card”."
            ),
        )
        return _no_referrer(page)
    added = await attempt(session, visitor, payments.add_card(session, runtime, account, card))
    if isinstance(added, Refused):
        challenge = added.problem.extra.get("challenge_url")
        if added.code == _THREE_DS_REQUIRED and isinstance(challenge, str) and challenge:
            # The bank wants its check first; it sends the browser back here afterwards.
            redirect = RedirectResponse(challenge, status_code=303)
            return _no_referrer(redirect)
        page = render(
            request,
            visitor,
            "wallet/added.html",
            section="account",
            status=added.status,
            error=added.detail,
        )
        _clear_billing_cookie(page, settings)
        return _no_referrer(page)
    # Back where the owner was (checkout), else the wallet; ``next_path`` passed safe_next.
    done = (
        RedirectResponse(next_path, status_code=303)
        if next_path
        else see_other("/wallet", done="card_added")
    )
    _clear_billing_cookie(done, settings)
    return _no_referrer(done)


@router.post("/wallet/cards/{card_id}/primary")
async def make_primary(
    card_id: str, visitor: OwnerDep, _form: FormDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    await payments.set_primary(session, runtime, owner_account(visitor), card_id_from(card_id))
    return see_other("/wallet", done="card_primary")


@router.post("/wallet/cards/{card_id}/remove")
async def remove_card(
    card_id: str,
    request: Request,
    visitor: OwnerDep,
    _form: FormDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    wanted = card_id_from(card_id)
    outcome = await attempt(
        session,
        visitor,
        payments.remove_card(session, runtime, owner_account(visitor), wanted),
        let_through=(CardNotFound,),
    )
    if isinstance(outcome, Refused):
        return await _wallet_page(
            request, visitor, session, runtime, status=outcome.status, error=outcome.detail
        )
    return see_other("/wallet", done="card_removed")

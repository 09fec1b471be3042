"""Who saw my data: the privacy portal's page of the staff access records (``/privacy/access``).

Each time staff saw the owner's personal data: when, the role and organisation, why and what,
newest first, 20 a page (``?before=`` continues). Never the staff member's name or id: the
service (``rights.access``) does not hand them out. The words of the reasons, roles and
organisations are translated here from their stable codes; a reason typed by staff is shown as
typed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from linkplus.deps import SessionDep
from linkplus.errors import NotFound
from linkplus.kit.parsing import INT64_MAX, InputRefused, parse_int
from linkplus.rights import access
from linkplus.rights.access_schemas import AccessRecordOut
from linkplus.web.i18n import N_
from linkplus.web.sessions import OwnerDep, owner_account, render

router = APIRouter(include_in_schema=False)

REASONS = {
    "owner_phone_help": N_("You asked for help by phone"),
    "owner_in_person": N_("You asked for help in person"),
    "dealer_service_visit": N_("Dealer service visit"),
    "emergency_response": N_("Emergency response"),
    "stolen_vehicle_case": N_("Stolen-vehicle case"),
    "payment_dispute": N_("Payment dispute"),
    "legal_request": N_("Legal request (a court or an authority)"),
}
WHAT = {
    "vehicle_record": N_("Your car's record: the accounts on it, names and e-mail addresses"),
    "invoices": N_("Your invoices and credit notes"),
    "subscriptions": N_("Your subscriptions, charges and refunds"),
    "case": N_("A safety case with your name, phone and car"),
    "position_trail": N_("Your car's position trail in a theft case"),
}
ROLES = {
    "Dealer staff": N_("Dealer staff"),
    "Customer-centre agent": N_("Customer-centre agent"),
    "Emergency agent": N_("Emergency agent"),
    "Stolen-vehicle agent": N_("Stolen-vehicle agent"),
    "Safety-centre supervisor": N_("Safety-centre supervisor"),
    "Platform administrator": N_("Platform administrator"),
}
ORGANISATIONS = {
    "Dealer": N_("Dealer"),
    "Customer centre": N_("Customer centre"),
    "Emergency centre": N_("Emergency centre"),
    "Stolen-vehicle centre": N_("Stolen-vehicle centre"),
    "Safety centre": N_("Safety centre"),
    "Platform operations": N_("Platform operations"),
}


def _entry(record: AccessRecordOut) -> dict[str, object]:
    """A record with the words to translate on the page (``translated``) and staff's own text."""
    listed = REASONS.get(record.reason)
    detail = record.reason_words.partition(": ")[2] if listed else record.reason_words
    return {
        "at": record.at,
        "role": ROLES.get(record.role, record.role),
        "organisation": ORGANISATIONS.get(record.organisation, record.organisation),
        "what": WHAT.get(record.what, record.what_words),
        "reason": listed,
        "detail": detail,
        "automatic": record.automatic,
    }


@router.get("/privacy/access")
async def access_page(request: Request, visitor: OwnerDep, session: SessionDep) -> Response:
    account = owner_account(visitor)
    raw = request.query_params.get("before")
    try:
        before = parse_int(raw, field="before", minimum=1, maximum=INT64_MAX) if raw else None
    except InputRefused as refused:
        raise NotFound("There is no such page of the list.") from refused
    page = await access.access_records(session, account_id=account.id, before=before)
    return render(
        request,
        visitor,
        "privacy/access.html",
        section="account",
        entries=[_entry(record) for record in page.records],
        next_before=page.next_before,
        first_page=before is None,
    )

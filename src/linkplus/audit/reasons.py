"""Why staff open an owner's personal data: the fixed list of reasons, what each kind of view
is called, and each staff role's organisation, in the words the owner reads.

Pure: values in, values out. ``check_reason`` is the one reading of a reason from outside (the
staff API's query parameters, the console's form), so both refuse the same things the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from linkplus.kit.parsing import InputRefused, check_display_text
from linkplus.models.accounts import StaffRole

REASON_TEXT_MAX = 200
OTHER_TEXT_MIN = 5


class ReasonCode(StrEnum):
    """The reasons staff choose from. ``other`` needs the reason typed out."""

    owner_phone_help = "owner_phone_help"
    owner_in_person = "owner_in_person"
    dealer_service_visit = "dealer_service_visit"
    emergency_response = "emergency_response"
    stolen_vehicle_case = "stolen_vehicle_case"
    payment_dispute = "payment_dispute"
    legal_request = "legal_request"
    support_case = "support_case"
    other = "other"


REASON_WORDS: dict[str, str] = {
    ReasonCode.owner_phone_help: "The owner asked for help by phone",
    ReasonCode.owner_in_person: "The owner asked for help in person",
    ReasonCode.dealer_service_visit: "Dealer service visit",
    ReasonCode.emergency_response: "Emergency response",
    ReasonCode.stolen_vehicle_case: "Stolen-vehicle case",
    ReasonCode.payment_dispute: "Payment dispute",
    ReasonCode.legal_request: "Legal request (a court or an authority)",
    ReasonCode.support_case: "Your support case",
    ReasonCode.other: "Other",
}


class ViewKind(StrEnum):
    """What the staff member saw."""

    vehicle_record = "vehicle_record"
    invoices = "invoices"
    subscriptions = "subscriptions"
    case = "case"
    position_trail = "position_trail"
    support_case = "support_case"


VIEW_WORDS: dict[str, str] = {
    ViewKind.vehicle_record: "Your car's record: the accounts on it, names and e-mail addresses",
    ViewKind.invoices: "Your invoices and credit notes",
    ViewKind.subscriptions: "Your subscriptions, charges and refunds",
    ViewKind.case: "A safety case with your name, phone and car",
    ViewKind.position_trail: "Your car's position trail in a theft case",
    ViewKind.support_case: "Your support case: its messages, and the car or invoice it names",
}

# Each role's organisation. The staff model has no employer field yet, so a dealer's own name
# cannot be given; the record keeps the organisation as text, so a later employer field fills it.
ROLE_WORDS: dict[str, str] = {
    StaffRole.dealer: "Dealer staff",
    StaffRole.agent: "Customer-centre agent",
    StaffRole.emergency_agent: "Emergency agent",
    StaffRole.svt_agent: "Stolen-vehicle agent",
    StaffRole.supervisor: "Safety-centre supervisor",
    StaffRole.admin: "Platform administrator",
}
ORGANISATIONS: dict[str, str] = {
    StaffRole.dealer: "Dealer",
    StaffRole.agent: "Customer centre",
    StaffRole.emergency_agent: "Emergency centre",
    StaffRole.svt_agent: "Stolen-vehicle centre",
    StaffRole.supervisor: "Safety centre",
    StaffRole.admin: "Platform operations",
}


class ReasonSource(StrEnum):
    given = "given"  # chosen or typed for this view
    remembered = "remembered"  # the console's, given earlier in the same sign-in session
    case = "case"  # the safety case the agent holds is the reason


@dataclass(frozen=True)
class AccessReason:
    code: ReasonCode
    text: str
    source: ReasonSource = ReasonSource.given
    staff_session: str | None = None  # the console sign-in it was given in (for remembering)

    def words(self) -> str:
        """How the reason reads: the list's words, then what was typed."""
        base = REASON_WORDS[self.code]
        if self.code == ReasonCode.other:
            return self.text
        return f"{base}: {self.text}" if self.text else base


def reason_help() -> str:
    """The codes and what they mean, for refusals and the API's documentation."""
    return "; ".join(f"{code.value} ({REASON_WORDS[code]})" for code in ReasonCode)


def check_reason(
    code: str | None,
    text: str | None,
    *,
    code_field: str = "reason",
    text_field: str = "reason_text",
) -> AccessReason | None:
    """The reason given, or None when none was (``code`` empty). Raises ``InputRefused``: a code
    not in the list, ``other`` without a typed reason of at least 5 characters, a text over 200
    characters or with hidden characters."""
    code = (code or "").strip()
    text = " ".join((text or "").split())  # one line, single spaces
    if not code:
        if text:
            raise InputRefused(
                code_field,
                f"Choose a reason from the list ({reason_help()}); use 'other' "
                "to say it in your own words.",
            )
        return None
    try:
        chosen = ReasonCode(code)
    except ValueError:
        raise InputRefused(code_field, f"Choose one of: {reason_help()}.") from None
    if len(text) > REASON_TEXT_MAX:
        raise InputRefused(text_field, f"Keep the reason to {REASON_TEXT_MAX} characters.")
    check_display_text(text, field=text_field)
    if chosen == ReasonCode.other and len(text) < OTHER_TEXT_MIN:
        raise InputRefused(
            text_field,
            f"With 'other', say why in your own words (at least {OTHER_TEXT_MIN} characters); "
            "the owner reads it.",
        )
    return AccessReason(chosen, text)


def case_reason(kind: str, case_id: str) -> AccessReason:
    """An agent working a safety case they hold: the case is the reason."""
    code = ReasonCode.stolen_vehicle_case if kind == "theft" else ReasonCode.emergency_response
    return AccessReason(code, f"case {case_id[:8].upper()}", ReasonSource.case)


def support_case_reason(case_id: str) -> AccessReason:
    """A customer-centre agent opening the owner's own support case: the case is the reason."""
    return AccessReason(ReasonCode.support_case, f"case {case_id[:8].upper()}", ReasonSource.case)

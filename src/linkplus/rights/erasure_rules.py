"""What an erasure erases and what it keeps, each kept record with the rule that keeps it
(docs/privacy-rights.md, "Erasure"). Pure: values in, values out."""

from __future__ import annotations

from dataclasses import dataclass

from linkplus.config import Settings
from linkplus.privacy.data_map import DataMap


@dataclass(frozen=True)
class Kept:
    what: str
    fields: str  # exactly what stays
    rule: str
    kept_for: str  # in words ("8 years"), or the map's rule when no setting bounds it
    period: int | None = None  # this installation's figure, when a setting bounds it
    unit: str = ""  # "hours", "days" or "years" with ``period``


@dataclass(frozen=True)
class Erased:
    what: str
    detail: str


# The two lines of the preview that count what the account holds (``erasure.preview``).
CARS = "Your cars"
CARDS = "Cards in your wallet"

ERASED = (
    Erased("Your profile", "name, e-mail address, phone, language, time zone, password"),
    Erased("Sign-ins", "every sign-in session and refresh token: you are signed out everywhere"),
    Erased("Trips", "every trip with its route, scores and coaching"),
    Erased(
        "Your cars' history in your time",
        "positions, status values, events, the parked position, privacy-mode changes",
    ),
    Erased("Remote commands", "every command, its history and the car's answers; schedules"),
    Erased("Notifications", "inbox, e-mails sent to you, push subscriptions, preferences"),
    Erased("Consents", "every acceptance of the terms and the privacy notice, with history"),
    Erased("Payment cards", "deleted in the wallet and at the payment provider"),
    Erased("Connected services", "activations and the sell checklist"),
    Erased("Preferred dealer", "your choice of dealer"),
)


# What stays of an erased account, grouped as the owner reads it; each group's rule and period
# come from the personal-data map (``privacy/data/data_map.toml``) of its first table. Every
# table the map pseudonymises belongs to a group (tests/rights/test_erasure_rules.py).
KEPT_GROUPS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "Invoices and credit notes",
        ("invoice_documents", "invoice_lines"),
        "as issued: number, date, your name and billing address, the lines (package, car's VIN, "
        "period) and the amounts; filed under a pseudonym instead of your account",
    ),
    (
        "Subscriptions and payments",
        ("subscriptions", "subscription_charges", "subscription_refunds", "subscription_notices"),
        "package, plan, dates, amounts, charges and refunds with the provider's ids, under the "
        "pseudonym; no billing address, no card, no payment token",
    ),
    (
        "Safety cases",
        (
            "safety_cases",
            "safety_case_entries",
            "safety_positions",
            "safety_attempts",
            "safety_police_links",
            "location_holds",
        ),
        "emergency calls and stolen-vehicle cases: what happened, where, what the agents and the "
        "police were told; no longer linked to your account",
    ),
    (
        "Audit log",
        ("audit_log", "erasure_requests"),
        "who did what and when, and that your account was erased and when; your account's id "
        "and every identifier of yours (e-mail address, sign-in sessions) replaced by the "
        "pseudonym",
    ),
    (
        "Your cars' own history",
        ("ownership_failures", "privacy_mode_changes"),
        "wrong odometer readings typed for a car, and when its location sharing was switched, "
        "without your account",
    ),
)


def kept(data_map: DataMap, settings: Settings) -> tuple[Kept, ...]:
    """The kept groups with the map's rule and the period its setting has here."""
    groups = []
    for what, tables, fields in KEPT_GROUPS:
        entry = data_map.tables[tables[0]]
        retention = data_map.retention[entry.retention]
        if retention.setting:
            period: int | None = getattr(settings, retention.setting)
            kept_for = f"{period} {retention.unit}"
        else:
            period, kept_for = None, retention.rule
        unit = retention.unit if period else ""
        groups.append(Kept(what, fields, entry.kept_because, kept_for, period, unit))
    return tuple(groups)

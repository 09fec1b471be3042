"""What an erasure erases and what it keeps, each kept record with the rule that keeps it
(docs/privacy-rights.md, "Erasure"). Pure: values in, values out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kept:
    what: str
    fields: str  # exactly what stays
    rule: str
    kept_for: str


@dataclass(frozen=True)
class Erased:
    what: str
    detail: str


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


def kept(*, invoice_years: int) -> tuple[Kept, ...]:
    return (
        Kept(
            "Invoices and credit notes",
            "as issued: number, date, your name and billing address, the lines (package, "
            "car's VIN, period) and the amounts; filed under a pseudonym instead of your "
            "account",
            "Tax law: invoices must be kept unchanged (GDPR art. 17(3)(b); in Germany "
            "AO 147 and HGB 257)",
            f"{invoice_years} years from issue",
        ),
        Kept(
            "Subscriptions and payments",
            "package, plan, dates, amounts, charges and refunds with the provider's ids; no "
            "billing address, no card, no payment token; under the pseudonym",
            "The accounting record the invoices and refunds refer to (same tax rule)",
            f"{invoice_years} years",
        ),
        Kept(
            "Safety cases",
            "emergency calls and stolen-vehicle cases: what happened, where, what the agents "
            "and the police were told; no longer linked to your account",
            "Emergency and police records (GDPR art. 17(3)(b) and (e): legal obligation, "
            "public interest; the emergency services may ask for them)",
            "as long as the safety case rules keep them",
        ),
        Kept(
            "Audit log",
            "who did what and when; your account's id and every identifier of yours replaced "
            "by a pseudonym",
            "Accountability of the platform (GDPR art. 5(2)); the log is append-only",
            "as long as the audit log is kept",
        ),
    )

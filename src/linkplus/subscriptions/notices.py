"""What each notice says, and giving it once: app and e-mail, or recorded for the head unit.

Every notice is recorded in ``subscription_notices`` under its lifecycle key in the transaction
that sends it, so a run repeated for the same day (or two runs at once: the row lock) never
tells the owner twice. Head-unit notices (multimedia packages, 30 days before the end) are
recorded with channel ``head_unit``: the car's screen shows them when the vehicle link asks.

One change that touches several subscriptions at once (the car leaves the account, or another
account becomes its primary one) tells the owner once: the notices are recorded as usual but
held (``Held``), and ``give_held`` sends a single message that lists every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.billing.catalogue import price_catalogue
from linkplus.billing.lifecycle import Channel, Kind, Notice, NoticeKind
from linkplus.connected_services.catalogue import service_catalogue
from linkplus.kit.money import Money, format_money
from linkplus.models.notifications import Category
from linkplus.models.subscriptions import SubscriptionNotice, SubscriptionRow
from linkplus.notifications import service as notifications
from linkplus.notifications.links import CarPage, car_page
from linkplus.runtime import Runtime
from linkplus.subscriptions import repository


def package_name(code: str) -> str:
    found = service_catalogue().package(code)
    return found.name if found is not None else code


def locale_of(market: str) -> str:
    found = price_catalogue().market(market)
    return found.locale if found is not None else "en_GB"


def _day(day: date, market: str) -> str:
    return format_date(day, "long", locale=locale_of(market))


def _money(amount: Money | None, market: str) -> str:
    return format_money(amount, locale_of(market)) if amount is not None else ""


def wording(row: SubscriptionRow, notice: Notice) -> tuple[str, str]:
    """Title and body of a notice, in the market's date and money format."""
    name = package_name(row.package)
    about = _day(notice.about, row.market)
    amount = _money(notice.amount, row.market)
    kind = notice.kind
    if kind in (NoticeKind.complimentary_ending, NoticeKind.complimentary_ending_soon):
        return (
            f"{name}: complimentary period ends on {about}",
            f"The complimentary period of {name} for your car {row.vin} ends on {about}. It does "
            "not renew by itself: to keep the services, subscribe in the Connected Services "
            "Centre once it has ended.",
        )
    if kind in (NoticeKind.trial_ending, NoticeKind.trial_ending_soon):
        then = (
            f"Your first payment of {_money(Money(row.price_minor, row.currency), row.market)} "
            f"is on {about}, then the plan renews automatically."
            if row.auto_renew
            else "Renewal is off, so the services stop then and nothing is charged."
        )
        return (
            f"{name}: free trial ends on {about}",
            f"Your free trial of {name} for your car {row.vin} ends on {about}. {then} You can "
            "cancel before then at no cost.",
        )
    if kind is NoticeKind.head_unit_period_ending:
        return (f"{name} ends on {about}", f"{name} ends on {about}. Renew it in the app.")
    if kind is NoticeKind.upcoming_payment:
        return (
            f"{name}: payment of {amount} on {about}",
            f"Your subscription to {name} for your car {row.vin} renews on {about}: {amount} "
            "will be charged to your primary card.",
        )
    if kind is NoticeKind.payment_failed:
        return (
            f"{name}: payment failed",
            f"We could not charge {amount} for {name} ({row.vin}) to your primary card. We will "
            f"try again on {about}. Check the card or make another card primary in your wallet; "
            "the services keep running meanwhile.",
        )
    if kind is NoticeKind.cancelled_payment_failed:
        return (
            f"{name}: cancelled after failed payments",
            f"We could not charge your primary card for {name} ({row.vin}) after three tries, "
            f"so the subscription ended on {about}. Subscribe again with another card to use "
            "the services.",
        )
    if kind is NoticeKind.cancellation_confirmed:
        refund = (
            f"{amount} is refunded to the card you paid with."
            if notice.amount is not None and notice.amount.is_positive
            else "There is no refund."
        )
        return (
            f"{name}: cancellation confirmed",
            f"Your subscription to {name} for your car {row.vin} is cancelled. The service "
            f"ends on {about}. {refund}",
        )
    if kind is NoticeKind.subscription_ended:
        return (
            f"{name} has ended",
            f"Your subscription to {name} for your car {row.vin} ended on {about} without "
            "renewal. Subscribe again in the Connected Services Centre to use it.",
        )
    return (f"{name}", f"{name}: {kind} ({about}).")


@dataclass
class Held:
    """Notices recorded but not sent yet, to go out as one message (``give_held``)."""

    notices: list[tuple[SubscriptionRow, Notice]] = field(default_factory=list)


async def give(
    session: AsyncSession,
    runtime: Runtime,
    row: SubscriptionRow,
    notice: Notice,
    *,
    now: datetime,
    held: Held | None = None,
) -> bool:
    """Send ``notice`` for ``row`` unless it was given before; True when it went out now (or,
    with ``held``, was recorded and kept there for ``give_held``)."""
    if notice.opt_in_only and not row.payment_reminders:
        return False
    fresh = await repository.add_notice(
        session,
        SubscriptionNotice(
            subscription_id=row.id,
            key=notice.key,
            kind=notice.kind.value,
            channel=notice.channel.value,
            about=notice.about,
            sent_at=now,
        ),
    )
    if not fresh or notice.channel is Channel.head_unit:
        return fresh
    if held is not None:
        held.notices.append((row, notice))
        return True
    title, body = wording(row, notice)
    public_url = runtime.settings.public_url.rstrip("/")
    await notifications.notify(
        session,
        now=now,
        account_id=row.account_id,
        category=Category.billing,
        kind=f"subscription_{notice.kind.value}",
        title=title,
        body=body,
        link=car_page(public_url, row.vin, CarPage.subscriptions),
    )
    return True


def _cancelled_line(row: SubscriptionRow, notice: Notice) -> str:
    name = package_name(row.package)
    if notice.kind is not NoticeKind.cancellation_confirmed:
        return f"- {wording(row, notice)[0]}"
    ends = _day(notice.about, row.market)
    if row.kind == Kind.complimentary:
        return f"- {name} (complimentary): ends on {ends}."
    refund = (
        f"{_money(notice.amount, row.market)} is refunded to the card you paid with"
        if notice.amount is not None and notice.amount.is_positive
        else "no refund"
    )
    return f"- {name}: the service ends on {ends}; {refund}."


async def give_held(
    session: AsyncSession,
    runtime: Runtime,
    held: Held,
    *,
    vin: str,
    car_left: bool,
    now: datetime,
) -> bool:
    """Send the held notices of one car as one message (inbox, and e-mail as the owner's
    preferences say); a single notice keeps its own wording. True when something went out."""
    if not held.notices:
        return False
    public_url = runtime.settings.public_url.rstrip("/")
    # A car that left the account has no pages for it any more: the message needs no link.
    link = None if car_left else car_page(public_url, vin, CarPage.subscriptions)
    account_id = held.notices[0][0].account_id
    kind = "subscriptions_cancelled_with_car"
    if len(held.notices) == 1:
        row, notice = held.notices[0]
        title, body = wording(row, notice)
        kind = f"subscription_{notice.kind.value}"
    else:
        why = (
            f"Your car {vin} is no longer in your account"
            if car_left
            else f"Another account is now the primary account of your car {vin}"
        )
        lines = "\n".join(_cancelled_line(row, notice) for row, notice in held.notices)
        title = f"{len(held.notices)} subscriptions of your car {vin} cancelled"
        refunds = any(
            notice.amount is not None and notice.amount.is_positive for _, notice in held.notices
        )
        body = f"{why}, so its connected-services subscriptions are cancelled:\n{lines}" + (
            "\nRefunds reach the card within a few days." if refunds else ""
        )
    await notifications.notify(
        session,
        now=now,
        account_id=account_id,
        category=Category.billing,
        kind=kind,
        title=title,
        body=body,
        link=link,
    )
    held.notices.clear()
    return True

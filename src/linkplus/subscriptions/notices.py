"""What each notice says, and giving it once: app and e-mail, or recorded for the head unit.

Every notice is recorded in ``subscription_notices`` under its lifecycle key in the transaction
that sends it, so a run repeated for the same day (or two runs at once: the row lock) never
tells the owner twice. Head-unit notices (multimedia packages, 30 days before the end) are
recorded with channel ``head_unit``: the car's screen shows them when the vehicle link asks.
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.billing.catalogue import price_catalogue
from linkplus.billing.lifecycle import Channel, Notice, NoticeKind
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


async def give(
    session: AsyncSession, runtime: Runtime, row: SubscriptionRow, notice: Notice, *, now: datetime
) -> bool:
    """Send ``notice`` for ``row`` unless it was given before; True when it went out now."""
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

"""Owners with a car and a card, moving the clock day by day with the billing run, and reading
back what the provider, the ledger and the invoices hold."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from linkplus.kit.clock import ManualClock
from linkplus.models.invoices import InvoiceDocument
from linkplus.models.payments import SandboxCharge, SandboxRefund
from linkplus.models.subscriptions import SubscriptionCharge, SubscriptionNotice, SubscriptionRow
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from linkplus.subscriptions.billing_run import RunReport, run_billing
from tests.connected_services.support import Owner, link, make_vehicle, owner
from tests.payments.support import BILLING, VISA, add_card
from tests.support import bearer_for

ADDRESS = {k: BILLING[k] for k in ("name", "street", "postcode", "city", "country")}


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


@dataclass
class Customer:
    who: Owner
    vin: str

    @property
    def headers(self) -> dict[str, str]:
        return self.who.headers

    async def sign_in(self, runtime: Runtime) -> None:
        """A fresh access token (the clock may have moved past the old one's expiry)."""
        self.who.headers = await bearer_for(runtime, self.who.account)

    def url(self, rest: str = "") -> str:
        return f"/api/v1/vehicles/{self.vin}/subscriptions{rest}"


async def customer(
    runtime: Runtime,
    client: httpx.AsyncClient,
    *,
    card: str | None = VISA,
    delivered: date = date(2021, 6, 1),
    model_code: str = "NX450HP",
    market: str = "DE",
) -> Customer:
    """An owner, primary account of a delivered car, with a card in the wallet."""
    person = await owner(runtime)
    vin = await make_vehicle(
        runtime, model_code=model_code, market=market, first_delivery_date=delivered
    )
    await link(runtime, person.account, vin, primary=True)
    if card is not None:
        added = await add_card(client, person.headers, card)
        assert added.status_code == 201, added.text
    return Customer(person, vin)


async def subscribe(
    client: httpx.AsyncClient, who: Customer, package: str, plan: str, **extra: Any
) -> httpx.Response:
    body = {"package": package, "plan": plan, "billing_address": ADDRESS, **extra}
    return await client.post(who.url(), json=body, headers=who.headers)


async def run_days(runtime: Runtime, clock: ManualClock, start: date, end: date) -> list[RunReport]:
    """The daily run on every day from ``start`` to ``end`` inclusive, the clock moving along."""
    reports = []
    day = start
    while day <= end:
        clock.set(at(day))
        reports.append(await run_billing(runtime, day=day))
        day += timedelta(days=1)
    return reports


async def provider_charges(sandbox: SandboxStore) -> list[SandboxCharge]:
    async with sandbox.transaction() as session:
        stmt = select(SandboxCharge).order_by(SandboxCharge.created_at, SandboxCharge.id)
        return list((await session.scalars(stmt)).all())


async def provider_refunds(sandbox: SandboxStore) -> list[SandboxRefund]:
    async with sandbox.transaction() as session:
        return list((await session.scalars(select(SandboxRefund))).all())


async def ledger(runtime: Runtime, subscription_id: str) -> list[SubscriptionCharge]:
    async with runtime.db.transaction() as session:
        stmt = (
            select(SubscriptionCharge)
            .where(SubscriptionCharge.subscription_id == uuid.UUID(subscription_id))
            .order_by(SubscriptionCharge.period, SubscriptionCharge.attempt)
        )
        return list((await session.scalars(stmt)).all())


async def row(runtime: Runtime, subscription_id: str) -> SubscriptionRow:
    async with runtime.db.transaction() as session:
        found = await session.get(SubscriptionRow, uuid.UUID(subscription_id))
        assert found is not None
        return found


async def notice_kinds(runtime: Runtime, subscription_id: str) -> list[str]:
    async with runtime.db.transaction() as session:
        stmt = (
            select(SubscriptionNotice)
            .where(SubscriptionNotice.subscription_id == uuid.UUID(subscription_id))
            .order_by(SubscriptionNotice.sent_at, SubscriptionNotice.key)
        )
        return [n.kind for n in (await session.scalars(stmt)).all()]


async def documents(runtime: Runtime) -> list[InvoiceDocument]:
    async with runtime.db.transaction() as session:
        stmt = select(InvoiceDocument).order_by(
            InvoiceDocument.kind, InvoiceDocument.series_year, InvoiceDocument.sequence
        )
        return list((await session.scalars(stmt)).all())

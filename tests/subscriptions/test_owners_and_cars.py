"""Removing the car cancels its subscriptions with the refund rules; complimentary periods pass
to the next primary account with what is left and never renew into a paid plan; the last card
stays while a paid subscription may be charged."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from linkplus.connected_services import service as connected_services
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.notifications import Notification
from linkplus.models.subscriptions import SubscriptionRow
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from linkplus.subscriptions import repository
from tests.connected_services.support import ODOMETER_KM, link, owner
from tests.garage.support import make_car
from tests.subscriptions.support import (
    Customer,
    at,
    customer,
    documents,
    notice_kinds,
    provider_charges,
    provider_refunds,
    row,
    run_days,
    subscribe,
)
from tests.support import Mailbox


async def test_removing_the_car_cancels_every_subscription_with_the_refund_rules(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    worker: Worker,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await customer(runtime, client)
    yearly = (await subscribe(client, me, "svt", "yearly")).json()["subscription"]["id"]
    trial = (await subscribe(client, me, "remote", "monthly")).json()["subscription"]["id"]
    await run_days(runtime, clock, date(2026, 1, 6), date(2026, 4, 20))

    await me.sign_in(runtime)
    removed = await client.request(
        "DELETE",
        f"/api/v1/garage/vehicles/{me.vin}",
        json={"confirm": True},
        headers=me.headers,
    )
    assert removed.status_code == 204
    await worker.run_due()

    svt = await row(runtime, yearly)
    assert (svt.status, svt.end_reason, svt.cancel_rule) == (
        "cancelled",
        "vehicle_removed",
        "pro_rata_refund",
    )
    assert svt.service_ends_on == date(2026, 5, 5)  # the 4th month runs to its end
    remote = await row(runtime, trial)
    assert remote.end_reason == "vehicle_removed"
    # 8 of 12 months back to the original payment, with a credit note.
    assert [r.amount_minor for r in await provider_refunds(sandbox)] == [6600]
    notes = [d for d in await documents(runtime) if d.kind == "credit_note"]
    assert [(n.number, n.gross_minor) for n in notes] == [("DE-CN-2026-000001", 6600)]
    charged_before = len(await provider_charges(sandbox))
    await run_days(runtime, clock, date(2026, 4, 21), date(2026, 6, 1))
    assert len(await provider_charges(sandbox)) == charged_before  # nothing more is charged
    assert (await row(runtime, trial)).status == "ended"


async def test_complimentary_periods_pass_to_the_next_primary_and_do_not_renew(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    worker: Worker,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    first = await customer(runtime, client, delivered=date(2024, 3, 1))
    status = (await client.get(first.url(), headers=first.headers)).json()
    lines = {p["package"]: p for p in status["packages"]}
    assert (lines["map_care"]["state"], lines["map_care"]["ends_on"]) == ("active", "2028-03-01")
    # Stolen-vehicle tracking is complimentary until then but switched on in the Connected
    # Services Centre: not switched on, it does not read "active" here either.
    assert (lines["svt"]["state"], lines["svt"]["ends_on"]) == ("not_activated", "2027-03-01")

    buyer = await owner(runtime)
    await link(runtime, buyer.account, first.vin, primary=False)
    claimed = await client.post(
        f"/api/v1/vehicles/{first.vin}/primary-account",
        json={"odometer_km": ODOMETER_KM},
        headers=buyer.headers,
    )
    assert claimed.status_code == 204, claimed.text
    await worker.run_due()
    second = Customer(buyer, first.vin)

    status = (await client.get(second.url(), headers=second.headers)).json()
    lines = {p["package"]: p for p in status["packages"]}
    assert (lines["map_care"]["state"], lines["map_care"]["ends_on"]) == ("active", "2028-03-01")
    assert lines["standard"]["complimentary_until"] == "2028-03-01"  # 4 years for MM21
    offers = (await client.get(second.url("/offers"), headers=second.headers)).json()
    map_care = next(o for o in offers["offers"] if o["package"] == "map_care")
    assert (map_care["purchasable"], map_care["reason"], map_care["available_from"]) == (
        False,
        "complimentary_period_running",
        "2028-03-01",
    )
    refused = await subscribe(client, second, "map_care", "yearly")
    assert refused.status_code == 409
    assert refused.json()["available_from"] == "2028-03-01"
    async with runtime.db.transaction() as session:
        assert await connected_services.is_active(
            session, runtime, vin=first.vin, service="map_updates"
        )
        rows = await repository.of_vehicle(session, vin=first.vin)
    previous = [r for r in rows if r.account_id == first.who.account.id]
    assert previous
    assert all(r.status == "ended" for r in previous)
    mine = {r.package: r for r in rows if r.account_id == buyer.account.id}

    await run_days(runtime, clock, date(2028, 1, 30), date(2028, 3, 2))
    kinds = await notice_kinds(runtime, str(mine["map_care"].id))
    assert kinds == [
        "head_unit_period_ending",
        "complimentary_ending",
        "complimentary_ending_soon",
    ]
    for package in ("map_care", "standard"):
        over: SubscriptionRow = await row(runtime, str(mine[package].id))
        assert (over.status, over.end_reason) == ("ended", "complimentary_over")
    assert await provider_charges(sandbox) == []  # nothing renews into a paid plan by itself
    async with runtime.db.transaction() as session:
        assert not await connected_services.is_active(
            session, runtime, vin=first.vin, service="map_updates"
        )
    await second.sign_in(runtime)
    status = (await client.get(second.url(), headers=second.headers)).json()
    assert {p["package"]: p["state"] for p in status["packages"]}["map_care"] == "expired"


async def test_the_last_card_stays_while_a_paid_subscription_may_be_charged(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient
) -> None:
    clock.set(at(date(2026, 1, 5)))
    me = await customer(runtime, client)
    [card] = (await client.get("/api/v1/wallet/cards", headers=me.headers)).json()
    subscription_id = (await subscribe(client, me, "remote", "monthly")).json()["subscription"][
        "id"
    ]
    refused = await client.delete(f"/api/v1/wallet/cards/{card['id']}", headers=me.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "card_needed_for_subscription"

    cancelled = await client.post(me.url(f"/{subscription_id}/cancel"), headers=me.headers)
    assert cancelled.json()["rule"] == "trial_cancelled"
    assert cancelled.json()["service_ends_on"] == "2026-02-05"
    removed = await client.delete(f"/api/v1/wallet/cards/{card['id']}", headers=me.headers)
    assert removed.status_code == 204


async def test_the_first_owner_gets_the_complimentary_periods_when_adding_the_car(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker
) -> None:
    car = await make_car(runtime)
    first = await owner(runtime)
    added = await client.post(
        "/api/v1/garage/vehicles",
        json={"vin": car.vin, "odometer_km": 12_345},
        headers=first.headers,
    )
    assert added.status_code == 201, added.text
    assert added.json()["role"] == "primary"
    await worker.run_due()  # PrimaryAccountChanged(previous: none) reaches subscriptions
    async with runtime.db.transaction() as session:
        rows = await repository.of_vehicle(session, vin=car.vin)
    mine = {r.package for r in rows if r.account_id == first.account.id}
    assert {"map_care", "svt"} <= mine


async def test_removing_the_car_sends_one_notice_that_lists_every_cancelled_subscription(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
) -> None:
    """Four subscriptions on the car: one inbox message and one e-mail (through the real SMTP
    server) that name all four, their end dates and the refund; it used to be four of each."""
    clock.set(at(date(2026, 1, 5)))
    me = await customer(runtime, client)
    bought = {
        "svt": "yearly",
        "remote": "monthly",
        "map_care": "yearly",
        "service_pack": "monthly",
    }
    for package, plan in bought.items():
        answer = await subscribe(client, me, package, plan)
        assert answer.status_code == 201, answer.text
    await run_days(runtime, clock, date(2026, 1, 6), date(2026, 1, 20))
    await worker.run_due()  # the invoices' e-mails go out before the car leaves
    before_inbox = {n.id for n in await _inbox(runtime, me)}
    before_mail = len(mailbox.to(me.who.account.email))

    await me.sign_in(runtime)
    removed = await client.request(
        "DELETE", f"/api/v1/garage/vehicles/{me.vin}", json={"confirm": True}, headers=me.headers
    )
    assert removed.status_code == 204, removed.text
    await worker.run_due()
    await worker.run_due()  # the e-mail queued by the cancellation

    fresh = [n for n in await _inbox(runtime, me) if n.id not in before_inbox]
    cancelled = [n for n in fresh if n.category == "billing"]
    assert len(cancelled) == 1, [n.title for n in cancelled]
    notice = cancelled[0]
    assert notice.title == f"4 subscriptions of your car {me.vin} cancelled"
    for name in ("Stolen vehicle tracking", "Remote Connect", "Map Care", "Multimedia service"):
        assert name in notice.body, notice.body
    assert "is refunded to the card you paid with" in notice.body  # the yearly plans, pro rata
    assert notice.link is None  # the car's pages are gone for this account

    mails = mailbox.to(me.who.account.email)[before_mail:]
    about = [m for m in mails if "subscription" in str(m["Subject"]).lower()]
    assert len(about) == 1, [str(m["Subject"]) for m in mails]
    text = about[0].get_body(preferencelist=("plain",))
    assert text is not None
    content = text.get_content()
    for name in ("Stolen vehicle tracking", "Remote Connect", "Map Care", "Multimedia service"):
        assert name in content


async def _inbox(runtime: Runtime, who: Customer) -> list[Notification]:
    async with runtime.db.transaction() as session:
        return list(
            await session.scalars(
                select(Notification).where(Notification.account_id == who.who.account.id)
            )
        )

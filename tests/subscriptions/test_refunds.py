"""Cancelling: the document's two worked refund examples end to end (refund to the original
payment, credit note), the 14-day withdrawal used once and refused the second time, monthly
plans running to the end of the month paid, and billing dates from a 31 January anchor across
a leap year."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.invoices import InvoiceDocument
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from tests.subscriptions.support import (
    at,
    customer,
    documents,
    ledger,
    provider_charges,
    provider_refunds,
    row,
    run_days,
    subscribe,
)


async def _cancel(client: httpx.AsyncClient, me: object, subscription_id: str) -> httpx.Response:
    assert hasattr(me, "url")
    assert hasattr(me, "headers")
    return await client.post(me.url(f"/{subscription_id}/cancel"), headers=me.headers)


async def test_first_worked_example_yearly_cancelled_on_30_may_refunds_8_months(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    worker: Worker,
) -> None:
    clock.set(at(date(2024, 1, 10)))
    me = await customer(runtime, client)
    subscription_id = (await subscribe(client, me, "smart", "yearly")).json()["subscription"]["id"]
    await run_days(runtime, clock, date(2024, 2, 10), date(2024, 2, 10))
    [paid] = await provider_charges(sandbox)
    assert paid.amount_minor == 9900

    clock.set(at(date(2024, 5, 30)))
    await me.sign_in(runtime)
    answer = await _cancel(client, me, subscription_id)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rule"], body["months_used"], body["months_refunded"]) == (
        "pro_rata_refund",
        4,
        8,
    )
    assert (body["refund"]["minor"], body["service_ends_on"], body["ends_immediately"]) == (
        6600,
        "2024-06-10",
        False,
    )
    assert "pro rata" in body["explanation"]

    await worker.run_due()  # the refund job
    [refund] = await provider_refunds(sandbox)
    assert (refund.charge_id, refund.amount_minor) == (paid.id, 6600)  # to the original payment
    note, invoice = await documents(runtime)  # credit notes sort first
    assert (note.kind, note.number, note.gross_minor, note.corrects_id) == (
        "credit_note",
        "DE-CN-2024-000001",
        6600,
        invoice.id,
    )
    assert (await row(runtime, subscription_id)).status == "cancelled"
    await run_days(runtime, clock, date(2024, 6, 10), date(2024, 6, 10))
    ended = await row(runtime, subscription_id)
    assert (ended.status, ended.service_ends_on) == ("ended", date(2024, 6, 10))
    assert len(await provider_charges(sandbox)) == 1  # nothing more was charged


async def test_second_worked_example_four_yearly_cancelled_after_15_months_refunds_32(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    worker: Worker,
) -> None:
    clock.set(at(date(2024, 1, 10)))
    me = await customer(runtime, client)
    subscription_id = (await subscribe(client, me, "smart", "four_yearly")).json()["subscription"][
        "id"
    ]
    await run_days(runtime, clock, date(2024, 2, 10), date(2024, 2, 10))
    clock.set(at(date(2025, 5, 30)))
    await me.sign_in(runtime)
    body = (await _cancel(client, me, subscription_id)).json()
    assert (body["months_used"], body["months_refunded"], body["refund"]["minor"]) == (
        16,
        32,
        23933,
    )
    assert body["service_ends_on"] == "2025-06-10"
    await worker.run_due()
    assert [r.amount_minor for r in await provider_refunds(sandbox)] == [23933]
    notes = [d for d in await documents(runtime) if d.kind == "credit_note"]
    assert [(n.number, n.gross_minor) for n in notes] == [("DE-CN-2025-000001", 23933)]


async def test_the_14_day_withdrawal_is_used_once_and_refused_the_second_time(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    worker: Worker,
) -> None:
    clock.set(at(date(2026, 3, 2)))
    me = await customer(runtime, client)  # delivered 2021: stolen-vehicle tracking is paid now
    bought = await subscribe(client, me, "svt", "yearly")
    assert bought.status_code == 201, bought.text
    assert bought.json()["charged"]["minor"] == 9900  # no trial: charged and invoiced at once
    first_id = bought.json()["subscription"]["id"]
    assert bought.json()["invoice_id"] is not None

    clock.set(at(date(2026, 3, 16)))  # activation + 14 days: the last day of the right
    await me.sign_in(runtime)
    first = (await _cancel(client, me, first_id)).json()
    assert (first["rule"], first["refund"]["minor"], first["ends_immediately"]) == (
        "withdrawal_full_refund",
        9900,
        True,
    )
    await worker.run_due()

    again = await subscribe(client, me, "svt", "yearly")
    assert again.status_code == 201, again.text
    second_id = again.json()["subscription"]["id"]
    clock.set(at(date(2026, 3, 20)))
    await me.sign_in(runtime)
    second = (await _cancel(client, me, second_id)).json()
    # The right is used: the yearly plan is refunded pro rata (1 month used, 11 back).
    assert (second["rule"], second["months_refunded"], second["refund"]["minor"]) == (
        "pro_rata_refund",
        11,
        9075,
    )
    await worker.run_due()
    refunds = sorted(r.amount_minor for r in await provider_refunds(sandbox))
    assert refunds == [9075, 9900]
    docs = await documents(runtime)
    assert [(d.number, d.gross_minor) for d in docs] == [
        ("DE-CN-2026-000001", 9900),
        ("DE-CN-2026-000002", 9075),
        ("DE-2026-000001", 9900),
        ("DE-2026-000002", 9900),
    ]
    assert (await row(runtime, first_id)).end_reason == "cancelled"


async def test_monthly_plan_is_not_refunded_and_runs_to_the_end_of_the_month_paid(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2026, 3, 2)))
    me = await customer(runtime, client)
    subscription_id = (await subscribe(client, me, "svt", "monthly")).json()["subscription"]["id"]
    clock.set(at(date(2026, 3, 20)))
    await me.sign_in(runtime)
    body = (await _cancel(client, me, subscription_id)).json()
    assert (body["rule"], body["refund"]["minor"], body["service_ends_on"]) == (
        "monthly_no_refund",
        0,
        "2026-04-02",
    )
    await run_days(runtime, clock, date(2026, 3, 21), date(2026, 4, 3))
    assert len(await provider_charges(sandbox)) == 1
    assert (await row(runtime, subscription_id)).status == "ended"


async def test_31_january_anchor_falls_back_and_returns_across_a_leap_year(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2024, 1, 31)))
    me = await customer(runtime, client, delivered=date(2020, 1, 15))
    bought = await subscribe(client, me, "svt", "monthly")
    assert bought.status_code == 201, bought.text
    subscription_id = bought.json()["subscription"]["id"]
    await run_days(runtime, clock, date(2024, 2, 1), date(2024, 5, 31))
    due = [c.due_on for c in await ledger(runtime, subscription_id)]
    assert due == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert len(await provider_charges(sandbox)) == 5
    async with runtime.db.transaction() as session:
        numbers = (await session.scalars(select(InvoiceDocument.number))).all()
    assert sorted(numbers) == [f"DE-2024-{n:06d}" for n in range(1, 6)]

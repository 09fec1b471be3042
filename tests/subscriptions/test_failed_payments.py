"""A failed payment: notified, retried the next day, a final try the day after, then the
subscription ends and the owner is told. A retry that succeeds keeps the anchor."""

from __future__ import annotations

from datetime import date

import httpx

from linkplus.kit.clock import ManualClock
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from tests.payments.support import NO_FUNDS, VISA, add_card
from tests.subscriptions.support import (
    at,
    customer,
    ledger,
    notice_kinds,
    provider_charges,
    row,
    run_days,
    subscribe,
)


async def test_three_failed_attempts_end_the_subscription_with_notices(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2024, 1, 10)))
    me = await customer(runtime, client, card=NO_FUNDS)
    started = await subscribe(client, me, "smart", "monthly")
    assert started.status_code == 201, started.text
    subscription_id = started.json()["subscription"]["id"]

    await run_days(runtime, clock, date(2024, 2, 9), date(2024, 2, 10))
    assert (await row(runtime, subscription_id)).status == "past_due"
    await run_days(runtime, clock, date(2024, 2, 11), date(2024, 2, 11))
    assert (await row(runtime, subscription_id)).status == "past_due"
    await run_days(runtime, clock, date(2024, 2, 12), date(2024, 2, 20))

    attempts = await ledger(runtime, subscription_id)
    assert [(a.attempt, a.due_on, a.settled_on, a.decline_reason) for a in attempts] == [
        (1, date(2024, 2, 10), date(2024, 2, 10), "insufficient_funds"),
        (2, date(2024, 2, 10), date(2024, 2, 11), "insufficient_funds"),
        (3, date(2024, 2, 10), date(2024, 2, 12), "insufficient_funds"),
    ]
    assert [c.status for c in await provider_charges(sandbox)] == ["insufficient_funds"] * 3
    ended = await row(runtime, subscription_id)
    assert (ended.status, ended.end_reason, ended.service_ends_on) == (
        "ended",
        "payment_failed",
        date(2024, 2, 12),
    )
    kinds = await notice_kinds(runtime, subscription_id)
    assert kinds.count("payment_failed") == 2
    assert kinds[-1] == "cancelled_payment_failed"

    await me.sign_in(runtime)
    inbox = (await client.get("/api/v1/notifications", headers=me.headers)).json()["items"]
    titles = [n["title"] for n in inbox]
    assert any("cancelled after failed payments" in t for t in titles)
    assert sum("payment failed" in t for t in titles) == 2
    status = (await client.get(me.url(), headers=me.headers)).json()
    smart = next(p for p in status["packages"] if p["package"] == "smart")
    assert smart["state"] == "available"  # ended; the trial was used, so no second trial


async def test_a_retry_that_succeeds_keeps_the_anchor(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2024, 1, 10)))
    me = await customer(runtime, client, card=NO_FUNDS)
    subscription_id = (await subscribe(client, me, "smart", "monthly")).json()["subscription"]["id"]
    await run_days(runtime, clock, date(2024, 2, 10), date(2024, 2, 10))
    await me.sign_in(runtime)
    added = await add_card(client, me.headers, VISA)
    assert added.status_code == 201, added.text
    made_primary = await client.post(
        f"/api/v1/wallet/cards/{added.json()['id']}/primary", headers=me.headers
    )
    assert made_primary.status_code == 200
    await run_days(runtime, clock, date(2024, 2, 11), date(2024, 3, 10))

    attempts = await ledger(runtime, subscription_id)
    assert [(a.period, a.attempt, a.state, a.settled_on) for a in attempts] == [
        (0, 1, "failed", date(2024, 2, 10)),
        (0, 2, "succeeded", date(2024, 2, 11)),
        (1, 1, "succeeded", date(2024, 3, 10)),  # still the 10th: counted from the anchor
    ]
    assert [c.status for c in await provider_charges(sandbox)] == [
        "insufficient_funds",
        "succeeded",
        "succeeded",
    ]
    assert (await row(runtime, subscription_id)).status == "active"

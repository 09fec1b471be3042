"""The billing run with provider calls out at once and several chunks at a time: the cards of a
chunk read in one statement, each subscription charged once even when the run dies with charges
in flight, and every invoice series still gapless."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from linkplus.kit.clock import ManualClock
from linkplus.kit.money import Money
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from linkplus.seams.payments import ChargeResult, RefundResult
from linkplus.subscriptions.billing_run import advance_many, run_billing
from tests.subscriptions.support import (
    at,
    customer,
    documents,
    ledger,
    provider_charges,
    subscribe,
)

DAY = date(2026, 2, 5)


class Crash(BaseException):
    """Like the process being killed: nothing in the run catches it."""


class Watched:
    """The real provider, counting the charges out at once; with ``die_after`` the process
    'dies' as the n-th charge comes back, while the others are still out."""

    def __init__(self, inner: HttpPaymentProvider, *, die_after: int | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.die_after = die_after
        self.out = 0
        self.most_out = 0
        self.answered = 0

    async def charge(
        self, token: str, amount: Money, *, idempotency_key: str, description: str
    ) -> ChargeResult:
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        try:
            got = await self.inner.charge(
                token, amount, idempotency_key=idempotency_key, description=description
            )
        finally:
            self.out -= 1
        self.answered += 1
        if self.die_after is not None and self.answered >= self.die_after:
            raise Crash("killed with charges still out")
        return got

    async def get_charge(self, idempotency_key: str) -> ChargeResult | None:
        return await self.inner.get_charge(idempotency_key)

    async def refund(self, charge_id: str, amount: Money, *, idempotency_key: str) -> RefundResult:
        return await self.inner.refund(charge_id, amount, idempotency_key=idempotency_key)

    async def get_refund(self, idempotency_key: str) -> RefundResult | None:
        return await self.inner.get_refund(idempotency_key)


async def _due(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, n: int
) -> list[str]:
    """``n`` owners (an account and a card each) whose trial ends on ``DAY``."""
    clock.set(at(date(2026, 1, 5)))
    ids = []
    for _ in range(n):
        me = await customer(runtime, client)
        started = await subscribe(client, me, "remote", "monthly")
        assert started.status_code == 201, started.text
        ids.append(started.json()["subscription"]["id"])
    clock.set(at(DAY))
    return ids


async def _numbers(runtime: Runtime) -> list[str]:
    return sorted(d.number for d in await documents(runtime) if d.kind == "invoice")


@contextmanager
def _card_reads(runtime: Runtime) -> Iterator[list[str]]:
    """The statements that read the wallet's cards, while the block runs."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM payment_cards" in statement:
            seen.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


async def test_a_chunk_reads_its_primary_cards_in_one_statement(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    ids = await _due(runtime, clock, client, 4)  # four accounts, four cards
    with _card_reads(runtime) as reads:
        tally = await advance_many(runtime, [uuid.UUID(i) for i in ids], day=DAY)
    assert tally.charged == 4
    assert len(reads) == 1, reads  # not one per account
    assert len(await provider_charges(sandbox)) == 4


async def test_the_run_has_several_charges_out_at_once_and_charges_each_once(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    provider: HttpPaymentProvider,
) -> None:
    ids = await _due(runtime, clock, client, 6)
    watched = Watched(provider)
    report = await run_billing(runtime, batch=6, concurrency=1, charges_at_once=4, provider=watched)
    assert (report.tally.errors, report.tally.charged) == (0, 6)
    assert watched.most_out > 1  # charged concurrently, not one after the other
    assert watched.most_out <= 4  # and never more than asked
    charges = await provider_charges(sandbox)
    assert len({c.idempotency_key for c in charges}) == len(charges) == 6
    for subscription_id in ids:
        assert [c.state for c in await ledger(runtime, subscription_id)] == ["succeeded"]
    assert await _numbers(runtime) == [f"DE-2026-{n:06d}" for n in range(1, 7)]


async def test_a_crash_with_charges_in_flight_resumes_without_charging_twice(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    provider: HttpPaymentProvider,
) -> None:
    ids = await _due(runtime, clock, client, 6)
    with pytest.raises(Crash):
        await run_billing(
            runtime,
            batch=6,
            concurrency=1,
            charges_at_once=3,
            provider=Watched(provider, die_after=2),
        )
    charged_before = {c.idempotency_key for c in await provider_charges(sandbox)}
    assert charged_before  # some charges went through at the provider ...
    assert await documents(runtime) == []  # ... and none was recorded: the run died first
    states = [c.state for i in ids for c in await ledger(runtime, i)]
    assert states == ["pending"] * 6  # every attempt was committed before any call

    resumed = await run_billing(runtime, charges_at_once=3)
    assert (resumed.tally.errors, resumed.tally.charged) == (0, 6)
    charges = await provider_charges(sandbox)
    assert len(charges) == 6  # the ones charged before the crash were found, not charged again
    assert {c.idempotency_key for c in charges} >= charged_before
    for subscription_id in ids:
        [attempt] = await ledger(runtime, subscription_id)
        assert attempt.state == "succeeded"
    assert await _numbers(runtime) == [f"DE-2026-{n:06d}" for n in range(1, 7)]


async def test_numbers_stay_gapless_with_chunks_and_runs_at_once(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    ids = await _due(runtime, clock, client, 8)
    first, second = await asyncio.gather(
        run_billing(runtime, worker="a", batch=4, concurrency=2, chunk=1, charges_at_once=2),
        run_billing(runtime, worker="b", batch=3, concurrency=3, chunk=1, charges_at_once=2),
    )
    assert first.tally.errors == second.tally.errors == 0
    assert first.tally.charged + second.tally.charged == 8
    assert len(await provider_charges(sandbox)) == 8
    for subscription_id in ids:
        assert [c.state for c in await ledger(runtime, subscription_id)] == ["succeeded"]
    assert await _numbers(runtime) == [f"DE-2026-{n:06d}" for n in range(1, 9)]

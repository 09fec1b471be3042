"""Two billing runs at once, two workers on one subscription, and a crash between the charge
and its recording: the provider is charged once per period, every time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import httpx
import pytest

from linkplus.kit.clock import ManualClock
from linkplus.kit.money import Money
from linkplus.payments.client import HttpPaymentProvider
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from linkplus.seams.payments import ChargeResult, RefundResult
from linkplus.subscriptions.billing_run import advance, run_billing
from tests.subscriptions.support import (
    at,
    customer,
    documents,
    ledger,
    provider_charges,
    row,
    subscribe,
)


class Crash(BaseException):
    """Like the process being killed: nothing in the run catches it."""


class CrashAfterCharge:
    """The real provider, but the process 'dies' right after the charge went through."""

    def __init__(self, inner: HttpPaymentProvider) -> None:
        self.inner = inner
        self.name = inner.name

    async def charge(
        self, token: str, amount: Money, *, idempotency_key: str, description: str
    ) -> ChargeResult:
        await self.inner.charge(
            token, amount, idempotency_key=idempotency_key, description=description
        )
        raise Crash("killed after the charge, before recording it")

    async def get_charge(self, idempotency_key: str) -> ChargeResult | None:
        return await self.inner.get_charge(idempotency_key)

    async def refund(self, charge_id: str, amount: Money, *, idempotency_key: str) -> RefundResult:
        return await self.inner.refund(charge_id, amount, idempotency_key=idempotency_key)

    async def get_refund(self, idempotency_key: str) -> RefundResult | None:
        return await self.inner.get_refund(idempotency_key)


async def _trials(runtime: Runtime, client: httpx.AsyncClient, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        me = await customer(runtime, client)
        started = await subscribe(client, me, "remote", "monthly")
        assert started.status_code == 201, started.text
        ids.append(started.json()["subscription"]["id"])
    return ids


async def test_two_runs_at_once_charge_each_subscription_once(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2026, 1, 5)))
    ids = await _trials(runtime, client, 6)
    clock.set(at(date(2026, 2, 5)))
    first, second = await asyncio.gather(
        run_billing(runtime, worker="run-a", batch=2),
        run_billing(runtime, worker="run-b", batch=2),
    )
    assert first.tally.errors == second.tally.errors == 0
    assert first.tally.charged + second.tally.charged == 6
    charges = await provider_charges(sandbox)
    assert len(charges) == 6
    assert len({c.idempotency_key for c in charges}) == 6
    for subscription_id in ids:
        assert [c.state for c in await ledger(runtime, subscription_id)] == ["succeeded"]
    numbers = sorted(d.number for d in await documents(runtime))
    assert numbers == [f"DE-2026-{n:06d}" for n in range(1, 7)]
    again = await run_billing(runtime, worker="run-c")
    assert (again.processed, len(await provider_charges(sandbox))) == (0, 6)


async def test_two_workers_on_the_same_subscription_charge_it_once(
    runtime: Runtime, clock: ManualClock, client: httpx.AsyncClient, sandbox: SandboxStore
) -> None:
    clock.set(at(date(2026, 1, 5)))
    [subscription_id] = await _trials(runtime, client, 1)
    clock.set(at(date(2026, 2, 5)))
    day = date(2026, 2, 5)
    await asyncio.gather(*(advance(runtime, uuid.UUID(subscription_id), day=day) for _ in range(3)))
    assert len(await provider_charges(sandbox)) == 1
    assert [c.state for c in await ledger(runtime, subscription_id)] == ["succeeded"]
    assert len(await documents(runtime)) == 1
    assert (await row(runtime, subscription_id)).status == "active"


async def test_a_crash_after_the_charge_is_reconciled_by_the_next_run(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    provider: HttpPaymentProvider,
) -> None:
    clock.set(at(date(2026, 1, 5)))
    [subscription_id] = await _trials(runtime, client, 1)
    clock.set(at(date(2026, 2, 5)))

    with pytest.raises(Crash):
        await run_billing(runtime, provider=CrashAfterCharge(provider))
    assert [c.status for c in await provider_charges(sandbox)] == ["succeeded"]
    [attempt] = await ledger(runtime, subscription_id)
    assert attempt.state == "pending"  # recorded before the call; the result never was
    assert await documents(runtime) == []

    resumed = await run_billing(runtime)
    assert (resumed.tally.errors, resumed.tally.charged) == (0, 1)
    [attempt] = await ledger(runtime, subscription_id)
    charges = await provider_charges(sandbox)
    assert len(charges) == 1  # found again under its key, not charged a second time
    assert (attempt.state, attempt.provider_charge_id) == ("succeeded", charges[0].id)
    [invoice] = await documents(runtime)
    assert invoice.payment_reference == charges[0].id
    assert (await row(runtime, subscription_id)).status == "active"

    await run_billing(runtime)
    assert len(await provider_charges(sandbox)) == 1

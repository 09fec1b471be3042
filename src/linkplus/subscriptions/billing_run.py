"""The daily billing run: charges what is due, retries what failed, ends what ran out, refunds,
invoices, notices. ``linkplus billing run [--date D]`` and the daily schedule both call
``run_billing``.

Idempotent and resumable: each subscription is advanced to the day in its own transaction
(``DayReached``; the actions are recorded with stable keys), then its money is settled
(``ledger.settle``). A run that stops half-way leaves every subscription either not yet advanced
(the next run does it) or advanced with its payments pending (the next run reconciles them with
the provider by key). Running it twice for a day does nothing the second time.

Several runs at once (two workers, two processes) share the work: a run claims a batch of due
rows with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the write lock orders the
claims), and even if two runs ever held the same row, the subscription row is locked while its
state changes and the provider's idempotency keys make a repeated charge the same charge.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.billing.lifecycle import DayReached, apply
from linkplus.payments import service as payments
from linkplus.payments.client import HttpPaymentProvider
from linkplus.runtime import Runtime
from linkplus.seams.payments import PaymentProvider
from linkplus.subscriptions import ledger, repository
from linkplus.subscriptions.ledger import Tally
from linkplus.subscriptions.state import state_of

log = structlog.get_logger("linkplus.subscriptions")


def _provider_connections(
    provider: PaymentProvider, *, pool: int
) -> AbstractAsyncContextManager[None]:
    """Kept-alive connections to an HTTP provider for the run (any other provider: nothing)."""
    if isinstance(provider, HttpPaymentProvider):
        return provider.connections(pool=pool)
    return nullcontext()


LEASE = timedelta(minutes=15)


@dataclass
class RunReport:
    day: date
    processed: int = 0
    cards_told: int = 0
    tally: Tally = field(default_factory=Tally)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "processed": self.processed,
            "cards_told": self.cards_told,
            **asdict(self.tally),
        }


def today(runtime: Runtime) -> date:
    return runtime.clock.now().astimezone(UTC).date()


async def _advance_in(
    session: AsyncSession,
    runtime: Runtime,
    subscription_id: uuid.UUID,
    *,
    day: date,
    tally: Tally,
) -> ledger.Calls | None:
    """Step 1 for one subscription inside ``session``: apply ``DayReached`` and record what it
    asks for. Returns the provider calls that settle it (None: not due any more)."""
    row = await repository.lock(session, subscription_id)
    if row is None or row.next_run_on is None or row.next_run_on > day:
        return None  # another run got there first
    before = {c.idempotency_key for c in await repository.pending_charges(session, row.id)}
    before |= {r.idempotency_key for r in await repository.pending_refunds(session, row.id)}
    state = state_of(row)
    transition = apply(state, DayReached(max(day, state.last_day)))
    now = runtime.clock.now()
    await ledger.record(session, runtime, row, transition, now=now, tally=tally)
    calls = await ledger.calls_for(session, row, frozenset())
    for call in calls.charges:
        call.reconcile = call.key in before
    for refund in calls.refunds:
        refund.reconcile = refund.key in before
    return calls


async def advance(
    runtime: Runtime,
    subscription_id: uuid.UUID,
    *,
    day: date,
    provider: PaymentProvider | None = None,
) -> Tally:
    """Bring one subscription to ``day`` and settle its money (steps 1, 2, 3)."""
    return await advance_many(runtime, [subscription_id], day=day, provider=provider)


async def advance_many(
    runtime: Runtime,
    ids: list[uuid.UUID],
    *,
    day: date,
    provider: PaymentProvider | None = None,
    charges_at_once: int = 1,
) -> Tally:
    """Steps 1, 2 and 3 for several subscriptions, each step in one transaction for all of
    them: the same protocol as one at a time (every attempt is committed before the provider
    is called), with a few commits per batch instead of a few per subscription."""
    tally = Tally()
    provider = provider or payments.provider(runtime)
    pending: dict[uuid.UUID, ledger.Calls] = {}
    async with runtime.db.transaction() as session:
        if len(ids) == 1:
            calls = await _advance_in(session, runtime, ids[0], day=day, tally=tally)
            if calls:
                pending[ids[0]] = calls
        else:
            pending = await ledger.advance_chunk(session, runtime, ids, day=day, tally=tally)
    # Step 2: every attempt is committed; the provider is asked for several subscriptions at
    # once (each subscription's own calls stay in order), at most ``charges_at_once``.
    await ledger.call_provider_many(provider, list(pending.values()), at_once=charges_at_once)
    # The chunk's rows are locked in id order and its invoice series in (country, kind, year)
    # order, the same for every batch, so concurrent batches cannot deadlock.
    if pending:
        async with runtime.db.transaction() as session:
            await ledger.record_chunk_results(session, runtime, pending, day=day, tally=tally)
    return tally


CHARGES_AT_ONCE = 16
"""Provider calls the run has out at once per chunk (the provider's idempotency keys and the
attempts committed before any call keep this safe; the bound keeps the provider's load sane)."""


async def run_billing(
    runtime: Runtime,
    *,
    day: date | None = None,
    worker: str | None = None,
    batch: int = 200,
    concurrency: int = 2,
    chunk: int | None = None,
    charges_at_once: int = CHARGES_AT_ONCE,
    provider: PaymentProvider | None = None,
) -> RunReport:
    """Process every subscription due on or before ``day`` (default: today), then tell owners
    whose primary card is about to expire. Returns what it did.

    The due rows are claimed ``batch`` at a time and split into chunks of ``chunk`` (default:
    the batch shared among the ``concurrency`` chunks that run at once); the next batch is
    claimed while the chunks of the last one run, and while one chunk waits for the provider
    another writes, so the database and the provider are busy together. Within a chunk at most
    ``charges_at_once`` provider calls are out at a time."""
    day = day or today(runtime)
    worker = worker or f"billing:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    report = RunReport(day)
    workers = max(1, concurrency)
    size = chunk or max(1, -(-batch // workers))
    provider = provider or payments.provider(runtime)
    held: list[uuid.UUID] = []
    todo: asyncio.Queue[list[uuid.UUID] | None] = asyncio.Queue(maxsize=workers)

    async def one(subscription_id: uuid.UUID) -> None:
        try:
            report.tally.add(await advance(runtime, subscription_id, day=day, provider=provider))
        except Exception:
            # One broken subscription must not stop everyone else's billing; its charge row
            # (if any) stays pending and the next run reconciles it.
            log.exception("billing_failed", subscription_id=str(subscription_id))
            report.tally.errors += 1

    async def take_chunks() -> None:
        while (ids := await todo.get()) is not None:
            try:
                report.tally.add(
                    await advance_many(
                        runtime, ids, day=day, provider=provider, charges_at_once=charges_at_once
                    )
                )
            except Exception as exc:
                log.warning("billing_batch_failed_one_by_one", size=len(ids), error=repr(exc))
                for subscription_id in ids:
                    await one(subscription_id)
            report.processed += len(ids)

    async def claim() -> None:
        while True:
            now = runtime.clock.now()
            async with runtime.db.transaction() as session:
                ids = await repository.claim_due(
                    session, day=day, now=now, lease_until=now + LEASE, worker=worker, limit=batch
                )
            if not ids:
                break
            held.extend(ids)
            for start in range(0, len(ids), size):
                await todo.put(ids[start : start + size])
        for _ in range(workers):
            await todo.put(None)  # nothing more is due: each chunk taker stops

    async with runtime.db.transaction() as session:
        # A run under a name already used (the billing job again, after its process died)
        # takes back what the earlier attempt claimed instead of waiting out that lease.
        resumed = await repository.release_all(session, worker=worker)
    if resumed:
        log.info("billing_run_resumed", worker=worker, rows=resumed)
    try:
        async with (
            _provider_connections(provider, pool=workers * charges_at_once),
            asyncio.TaskGroup() as group,
        ):
            group.create_task(claim())
            for _ in range(workers):
                group.create_task(take_chunks())
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None  # what one chunk's own failure would raise
    finally:
        for start in range(0, len(held), 1000):
            async with runtime.db.transaction() as session:
                await repository.release(session, held[start : start + 1000], worker=worker)
    async with runtime.db.transaction() as session:
        report.cards_told = await payments.notify_expiring_cards(
            session, runtime, now=runtime.clock.now()
        )
    log.info("billing_run_done", **report.as_dict())
    return report

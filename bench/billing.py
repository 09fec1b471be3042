"""The daily billing run over N due subscriptions, against inserting N invoice rows directly and
against the payment provider charging N cards on its own.

Usage: ``.venv/bin/python bench/billing.py [--quick] [--n N] [--concurrency C] [--batch B]
[--chunk K] [--charges-at-once Q] [--provider http|memory]``

A real PostgreSQL is started from its binaries with the test suite's helper
(``tests/servers.py``; fsync off, as in the tests); SQLite is a file (WAL, synchronous=FULL).
Each backend gets a fresh migrated database holding N active monthly subscriptions whose next
period is due on the run's day, spread over the price catalogue's markets (each market numbers
its invoices in its own gapless series), one account with a primary card per 5 subscriptions.

The payment provider is, by default (``--provider http``), the sandbox provider as production
reaches it: a ``linkplus serve`` process of its own serving ``/sandbox-pay`` over HTTP on the
same database (on SQLite, the sandbox's own file beside it), with the cards tokenised there;
the run calls it through ``HttpPaymentProvider``. ``--provider memory`` puts an in-memory
provider in its place (the platform's own cost only).

"ours" is ``run_billing`` doing everything it does in production for each subscription: claim,
advance the lifecycle, record the charge attempt and commit, charge, record the result, issue
the invoice (gapless number, lines, VAT) and queue its e-mail. It claims ``--batch`` rows at a
time, runs ``--concurrency`` chunks of ``--chunk`` at once (the next batch is claimed while they
run), and each chunk has at most ``--charges-at-once`` provider calls out at a time.

Side by side, in the same run: "bare insert" writes N ``invoice_documents`` rows (no lines, no
numbering, no lookups), 1,000 rows per statement; "provider alone" (HTTP only) is the sandbox
charging N cards for a client that does nothing else, with as many calls out at once as the run
has (``--concurrency`` x ``--charges-at-once``), through one pool of kept-alive connections.
After the run every subscription has exactly one succeeded charge (at the provider too) and one
invoice, and every number series is gapless (checked).

The last line of output is one line of JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers: the same PostgreSQL helper as the test suite

from bench._serving import serving  # noqa: E402
from bench._support import machine  # noqa: E402
from tests.servers import postgres_server  # noqa: E402

import linkplus.app  # noqa: E402,F401  (wires every domain, as the CLI does)
from linkplus.billing.anchors import Plan, add_months  # noqa: E402
from linkplus.billing.catalogue import price_catalogue  # noqa: E402
from linkplus.bootstrap import register_tasks  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.db import Database, create_engine  # noqa: E402
from linkplus.kit.clock import ManualClock  # noqa: E402
from linkplus.kit.money import Money  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.models.accounts import Account  # noqa: E402
from linkplus.models.invoices import InvoiceDocument  # noqa: E402
from linkplus.models.payments import PaymentCard, SandboxCard, SandboxCharge  # noqa: E402
from linkplus.models.subscriptions import SubscriptionCharge, SubscriptionRow  # noqa: E402
from linkplus.payments.client import HttpPaymentProvider  # noqa: E402
from linkplus.payments.endpoint import SANDBOX_PATH, provider_key  # noqa: E402
from linkplus.payments.sandbox.store import SandboxStore  # noqa: E402
from linkplus.runtime import Runtime  # noqa: E402
from linkplus.seams.payments import (  # noqa: E402
    CardDetails,
    CardSession,
    ChargeResult,
    ChargeStatus,
    PaymentProvider,
    RefundResult,
    ThreeDSResult,
    ThreeDSStatus,
)
from linkplus.subscriptions import api  # noqa: E402,F401  (registers jobs and hooks)
from linkplus.subscriptions.billing_run import run_billing  # noqa: E402

DAY = date(2026, 12, 10)
NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)
SECRET_KEY = "billing-bench-secret-key-long-enough-for-hs256-signing"  # noqa: S105 (a bench)
CHUNK = 1000


class MemoryProvider:
    """A payment provider in memory: one charge per idempotency key, every charge succeeds."""

    name = "memory"

    def __init__(self) -> None:
        self.charges: dict[str, ChargeResult] = {}
        self.refunds: dict[str, RefundResult] = {}

    async def create_card_session(self, *, reference: str, return_url: str) -> CardSession:
        return CardSession(id=f"cs_{uuid.uuid4().hex}", url=return_url, expires_at=NOW)

    async def card_details(self, token: str) -> CardDetails:
        return CardDetails(token, "visa", "4242", 12, 2030, token, "bench")

    async def three_ds_verify(self, token: str, *, return_url: str) -> ThreeDSResult:
        return ThreeDSResult(ThreeDSStatus.authenticated)

    async def charge(
        self, token: str, amount: Money, *, idempotency_key: str, description: str
    ) -> ChargeResult:
        found = self.charges.get(idempotency_key)
        if found is None:
            found = ChargeResult(
                id=f"ch_{len(self.charges) + 1}",
                status=ChargeStatus.succeeded,
                amount=amount,
                refunded=Money.zero(amount.currency),
                idempotency_key=idempotency_key,
                created_at=NOW,
            )
            self.charges[idempotency_key] = found
        return found

    async def refund(self, charge_id: str, amount: Money, *, idempotency_key: str) -> RefundResult:
        found = self.refunds.get(idempotency_key)
        if found is None:
            found = RefundResult(
                f"re_{len(self.refunds) + 1}", charge_id, amount, idempotency_key, NOW
            )
            self.refunds[idempotency_key] = found
        return found

    async def get_charge(self, idempotency_key: str) -> ChargeResult | None:
        return self.charges.get(idempotency_key)

    async def get_refund(self, idempotency_key: str) -> RefundResult | None:
        return self.refunds.get(idempotency_key)


def _markets() -> list[tuple[str, Money]]:
    out = []
    for country, market in sorted(price_catalogue().markets.items()):
        entry = market.packages.get("remote")
        if entry is not None and Plan.monthly in entry.prices:
            out.append((country, entry.prices[Plan.monthly]))
    return out


async def _seed(db: Database, n: int, *, provider: str, sandbox: SandboxStore | None) -> None:
    markets = _markets()
    anchor = add_months(DAY, -1)
    accounts = max(1, n // 5)
    account_ids = [uuid.uuid4() for _ in range(accounts)]
    for start in range(0, accounts, CHUNK):
        async with db.transaction() as session:
            await session.execute(
                insert(Account),
                [
                    {
                        "id": account_ids[i],
                        "email": f"bench{i}@example.com",
                        "email_key": f"bench{i}@example.com",
                        "password_hash": "-",
                        "first_name": "Bench",
                        "last_name": f"Owner {i}",
                        "country": "DE",
                        "language": "en",
                        "phone": None,
                        "email_confirmed_at": NOW,
                        "password_changed_at": NOW,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                    for i in range(start, min(start + CHUNK, accounts))
                ],
            )
            await session.execute(
                insert(PaymentCard),
                [
                    {
                        "account_id": account_ids[i],
                        "provider": provider,
                        "provider_token": f"tok_{i}",
                        "brand": "visa",
                        "last4": "4242",
                        "exp_month": 12,
                        "exp_year": 2030,
                        "fingerprint": f"fp_{i}",
                        "billing_name": f"Bench Owner {i}",
                        "billing_street": "Hauptstraße 1",
                        "billing_postcode": "10115",
                        "billing_city": "Berlin",
                        "billing_country": "DE",
                        "is_primary": True,
                        "three_ds_verified_at": NOW,
                        "added_at": NOW,
                    }
                    for i in range(start, min(start + CHUNK, accounts))
                ],
            )
    if sandbox is not None:  # the same cards, tokenised at the provider (3-D Secure passed)
        for start in range(0, accounts, CHUNK):
            async with sandbox.transaction() as session:
                await session.execute(
                    insert(SandboxCard),
                    [
                        {
                            "token": f"tok_{i}",
                            "session_id": f"cs_bench_{i}",
                            "reference": f"account:{account_ids[i]}",
                            "brand": "visa",
                            "last4": "4242",
                            "exp_month": 12,
                            "exp_year": 2030,
                            "fingerprint": f"fp_{i}",
                            "holder": f"Bench Owner {i}",
                            "behaviour": "succeed",
                            "three_ds": "authenticated",
                            "created_at": NOW,
                        }
                        for i in range(start, min(start + CHUNK, accounts))
                    ],
                )
    for start in range(0, n, CHUNK):
        rows = []
        for i in range(start, min(start + CHUNK, n)):
            country, price = markets[i % len(markets)]
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "account_id": account_ids[i % accounts],
                    "vin": f"LPB{i:014d}",
                    "package": "remote",
                    "kind": "paid",
                    "plan": "monthly",
                    "market": country,
                    "anchor": anchor,
                    "trial_months": 0,
                    "price_minor": price.minor,
                    "currency": price.currency,
                    "status": "active",
                    "auto_renew": True,
                    "payment_reminders": False,
                    "head_unit": False,
                    "last_day": add_months(DAY, -1),
                    "payments": [[0, price.minor, anchor.isoformat()]],
                    "billing_name": "Bench Owner",
                    "billing_street": "Hauptstraße 1",
                    "billing_postcode": "10115",
                    "billing_city": "Berlin",
                    "billing_country": country,
                    "next_run_on": DAY,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        async with db.transaction() as session:
            await session.execute(insert(SubscriptionRow), rows)


async def _bare_inserts(db: Database, n: int) -> float:
    """N invoice rows written directly, 1,000 per statement and transaction."""
    account = uuid.uuid4()
    started = time.perf_counter()
    for start in range(0, n, CHUNK):
        async with db.transaction() as session:
            await session.execute(
                insert(InvoiceDocument),
                [
                    {
                        "kind": "invoice",
                        "number": f"XX-2026-{i:07d}",
                        "series_country": "XX",
                        "series_year": 2026,
                        "sequence": i + 1,
                        "account_id": account,
                        "idempotency_key": f"bare:{i}",
                        "request_fingerprint": "-",
                        "payment_reference": f"ch_{i}",
                        "issued_on": DAY,
                        "created_at": NOW,
                        "currency": "EUR",
                        "vat_rate": "0.19",
                        "tax_name": "MwSt.",
                        "locale": "de_DE",
                        "seller": {},
                        "buyer": {},
                        "net_minor": 839,
                        "vat_minor": 160,
                        "gross_minor": 999,
                    }
                    for i in range(start, min(start + CHUNK, n))
                ],
            )
    return time.perf_counter() - started


async def _provider_alone(
    provider: HttpPaymentProvider, n: int, accounts: int, at_once: int
) -> float:
    """N charges straight to the sandbox over HTTP, ``at_once`` out at a time, nothing else."""
    gate = asyncio.Semaphore(at_once)
    price = Money(999, "EUR")

    async def one(i: int) -> None:
        async with gate:
            got = await provider.charge(
                f"tok_{i % accounts}", price, idempotency_key=f"bare:{i}", description="bench"
            )
            assert got.succeeded, got

    started = time.perf_counter()
    # Older code (measured for the "before" figures) has no shared pool: a connection per call.
    opened = getattr(provider, "connections", None)
    pool = opened(pool=at_once) if opened is not None else contextlib.nullcontext()
    async with pool, asyncio.TaskGroup() as group:
        for i in range(n):
            group.create_task(one(i))
    return time.perf_counter() - started


async def _checks(db: Database, n: int, sandbox: SandboxStore | None) -> None:
    """Every subscription charged once and invoiced once; every number series gapless."""
    async with db.transaction() as session:
        invoices = await session.scalar(select(func.count()).select_from(InvoiceDocument))
        succeeded = await session.scalar(
            select(func.count(func.distinct(SubscriptionCharge.subscription_id))).where(
                SubscriptionCharge.state == "succeeded"
            )
        )
        charges = await session.scalar(select(func.count()).select_from(SubscriptionCharge))
        series = (
            await session.execute(
                select(
                    InvoiceDocument.series_country,
                    InvoiceDocument.kind,
                    InvoiceDocument.series_year,
                    func.count(),
                    func.count(func.distinct(InvoiceDocument.sequence)),
                    func.min(InvoiceDocument.sequence),
                    func.max(InvoiceDocument.sequence),
                ).group_by(
                    InvoiceDocument.series_country,
                    InvoiceDocument.kind,
                    InvoiceDocument.series_year,
                )
            )
        ).all()
    assert invoices == succeeded == charges == n, (invoices, succeeded, charges)
    for country, kind, year, count, distinct, low, high in series:
        assert count == distinct == high, (country, kind, year, count, distinct, high)
        assert low == 1, (country, kind, year, low)
    if sandbox is not None:
        async with sandbox.transaction() as session:
            at_provider = await session.scalar(
                select(func.count(func.distinct(SandboxCharge.idempotency_key))).where(
                    SandboxCharge.idempotency_key.not_like("bare:%")
                )
            )
        assert at_provider == n, at_provider


async def _scenario(url: str, data_dir: Path, n: int, args: argparse.Namespace) -> dict[str, Any]:
    await asyncio.to_thread(upgrade, url)
    register_tasks()  # the invoice's e-mail job is queued by name, as in `linkplus serve`
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=SECRET_KEY,
        public_url="http://bench.invalid",
        worker_enabled=False,
        log_level="WARNING",
        log_json=True,
    )
    db = Database(create_engine(url))
    http = args.provider == "http"
    runtime = Runtime(settings=settings, db=db, clock=ManualClock(NOW))
    sandbox = SandboxStore(runtime) if http else None
    at_once = args.concurrency * args.charges_at_once
    out: dict[str, Any] = {
        "subscriptions": n,
        "provider": "sandbox over HTTP (linkplus serve)" if http else "in memory",
        "concurrency": args.concurrency,
        "batch": args.batch,
        "chunk": args.chunk,
        "charges_at_once": args.charges_at_once,
    }
    try:
        await _seed(db, n, provider="sandbox" if http else "memory", sandbox=sandbox)
        with contextlib.ExitStack() as stack:
            provider: PaymentProvider
            if http:
                [(port, _process)] = stack.enter_context(
                    serving(url, data_dir, secret_key=SECRET_KEY)
                )
                provider = HttpPaymentProvider(
                    base_url=f"http://127.0.0.1:{port}{SANDBOX_PATH}",
                    api_key=provider_key(settings),
                    timeout=30.0,
                )
            else:
                provider = MemoryProvider()
            runtime.payments = provider
            started = time.perf_counter()
            options = {
                "batch": args.batch,
                "concurrency": args.concurrency,
                "chunk": args.chunk,
                "charges_at_once": args.charges_at_once,
            }
            # Only what this version of the run takes (the bench also measures older code).
            known = inspect.signature(run_billing).parameters
            options = {k: v for k, v in options.items() if k in known}
            report = await run_billing(runtime, day=DAY, **options)
            ours = time.perf_counter() - started
            assert report.tally.errors == 0, report.as_dict()
            await _checks(db, n, sandbox)
            if isinstance(provider, HttpPaymentProvider):
                alone = await _provider_alone(provider, n, max(1, n // 5), at_once)
                out["provider_alone_seconds"] = round(alone, 2)
                out["provider_alone_per_s"] = round(n / alone, 1)
        bare = await _bare_inserts(db, n)
    finally:
        await db.dispose()
    out.update(
        billing_seconds=round(ours, 2),
        billing_per_s=round(n / ours, 1),
        bare_insert_seconds=round(bare, 3),
        bare_insert_per_s=round(n / bare, 1),
        ratio_bare_over_billing=round(ours / bare, 1),
    )
    if "provider_alone_per_s" in out:
        out["billing_over_provider_alone"] = round(
            out["billing_per_s"] / out["provider_alone_per_s"], 2
        )
    return out


async def _pg_database(server: Any, name: str) -> str:
    conn = await asyncpg.connect(f"postgresql://{server.user}@{server.host}:{server.port}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url: str = server.url(name)
    return url


def _line(name: str, got: dict[str, Any]) -> str:
    alone = (
        f", provider alone {got['provider_alone_per_s']:,.0f}/s (ours / alone "
        f"{got['billing_over_provider_alone']:.2f})"
        if "provider_alone_per_s" in got
        else ""
    )
    return (
        f"{name}: ours {got['billing_per_s']:,.0f} subscriptions/s, bare insert "
        f"{got['bare_insert_per_s']:,.0f} rows/s (bare / ours {got['ratio_bare_over_billing']})"
        + alone
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 subscriptions")
    parser.add_argument("--n", type=int, default=None, help="subscriptions (default 20,000)")
    parser.add_argument("--concurrency", type=int, default=2, help="chunks at once")
    parser.add_argument("--batch", type=int, default=400, help="due rows claimed at a time")
    parser.add_argument("--chunk", type=int, default=None, help="subscriptions per chunk")
    parser.add_argument(
        "--charges-at-once", type=int, default=16, help="provider calls out at once per chunk"
    )
    parser.add_argument("--provider", choices=("http", "memory"), default="http")
    parser.add_argument("--only", choices=("postgresql", "sqlite"), default=None)
    args = parser.parse_args()
    n = args.n or (1_000 if args.quick else 20_000)
    results: dict[str, Any] = {"bench": "billing", "machine": machine()}
    if args.only in (None, "postgresql"):
        with postgres_server() as server, tempfile.TemporaryDirectory() as tmp:
            url = asyncio.run(_pg_database(server, "billing_bench"))
            pg = asyncio.run(_scenario(url, Path(tmp), n, args))
        print(_line("postgresql", pg), flush=True)
        results["postgresql"] = pg
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            lite = asyncio.run(_scenario(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp), n, args))
        print(_line("sqlite", lite), flush=True)
        results["sqlite"] = lite
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results))


if __name__ == "__main__":
    main()

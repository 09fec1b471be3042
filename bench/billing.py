"""The daily billing run over N due subscriptions, against inserting N invoice rows directly.

Usage: ``.venv/bin/python bench/billing.py [--quick] [--n N] [--concurrency C] [--batch B]``

A real PostgreSQL is started from its binaries with the test suite's helper
(``tests/servers.py``; fsync off, as in the tests); SQLite is a file (WAL, synchronous=FULL).
Each backend gets a fresh migrated database holding N active monthly subscriptions whose next
period is due on the run's day, spread over the price catalogue's markets (each market numbers
its invoices in its own gapless series), one account with a primary card per 5 subscriptions.

"ours" is ``run_billing`` doing everything it does in production for each subscription: claim,
advance the lifecycle, record the charge attempt and commit, charge, record the result, issue
the invoice (gapless number, lines, VAT) and queue its e-mail. It works in chunks (``--batch``
rows claimed at a time, split into ``--concurrency`` chunks): each chunk's attempts are recorded
and committed in one transaction, the provider is called once per charge with its idempotency
key, and the results, invoices (one counter update per number series) and e-mail jobs are
recorded in a second one. The
payment provider is an in-memory implementation of the ``PaymentProvider`` protocol, so the
figure is the platform's cost, not the sandbox's HTTP. "bare" inserts N ``invoice_documents``
rows (no lines, no numbering, no lookups) in batches of 1,000 rows per statement. After the run
every subscription has exactly one succeeded charge and one invoice (checked).

The last line of output is one line of JSON with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
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

from tests.servers import postgres_server  # noqa: E402

import linkplus.app  # noqa: E402,F401  (wires every domain, as the CLI does)
from linkplus.billing.anchors import Plan, add_months  # noqa: E402
from linkplus.billing.catalogue import price_catalogue  # noqa: E402
from linkplus.config import Settings  # noqa: E402
from linkplus.db import Database, create_engine  # noqa: E402
from linkplus.kit.clock import ManualClock  # noqa: E402
from linkplus.kit.money import Money  # noqa: E402
from linkplus.migrate import upgrade  # noqa: E402
from linkplus.models.accounts import Account  # noqa: E402
from linkplus.models.invoices import InvoiceDocument  # noqa: E402
from linkplus.models.payments import PaymentCard  # noqa: E402
from linkplus.models.subscriptions import SubscriptionCharge, SubscriptionRow  # noqa: E402
from linkplus.runtime import Runtime  # noqa: E402
from linkplus.seams.payments import (  # noqa: E402
    CardDetails,
    CardSession,
    ChargeResult,
    ChargeStatus,
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


async def _seed(db: Database, n: int) -> None:
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
                        "provider": "memory",
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


async def _scenario(
    url: str, data_dir: Path, n: int, concurrency: int, batch: int = 500
) -> dict[str, Any]:
    upgrade(url)
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
    provider = MemoryProvider()
    runtime = Runtime(settings=settings, db=db, clock=ManualClock(NOW), payments=provider)
    try:
        await _seed(db, n)
        started = time.perf_counter()
        report = await run_billing(runtime, day=DAY, batch=batch, concurrency=concurrency)
        ours = time.perf_counter() - started
        async with db.transaction() as session:
            invoices = await session.scalar(select(func.count()).select_from(InvoiceDocument))
            succeeded = await session.scalar(
                select(func.count())
                .select_from(SubscriptionCharge)
                .where(SubscriptionCharge.state == "succeeded")
            )
        assert report.tally.errors == 0, report.as_dict()
        assert invoices == succeeded == len(provider.charges) == n, (invoices, succeeded)
        bare = await _bare_inserts(db, n)
    finally:
        await db.dispose()
    return {
        "subscriptions": n,
        "concurrency": concurrency,
        "batch": batch,
        "billing_seconds": round(ours, 2),
        "billing_per_s": round(n / ours, 1),
        "bare_insert_seconds": round(bare, 3),
        "bare_insert_per_s": round(n / bare, 1),
        "ratio_bare_over_billing": round((n / bare) / (n / ours), 1),
    }


async def _pg_database(server: Any, name: str) -> str:
    conn = await asyncpg.connect(f"postgresql://{server.user}@{server.host}:{server.port}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url: str = server.url(name)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 subscriptions (< 1 minute)")
    parser.add_argument("--n", type=int, default=None, help="subscriptions (default 100,000)")
    parser.add_argument(
        "--concurrency", type=int, default=os.cpu_count() or 2, help="PostgreSQL chunks at once"
    )
    parser.add_argument(
        "--batch", type=int, default=500, help="due rows claimed at a time (split in chunks)"
    )
    args = parser.parse_args()
    n = args.n or (1_000 if args.quick else 100_000)
    results: dict[str, Any] = {
        "bench": "billing",
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
    }
    with postgres_server() as server:
        url = asyncio.run(_pg_database(server, "billing_bench"))
        with tempfile.TemporaryDirectory() as tmp:
            pg = asyncio.run(_scenario(url, Path(tmp), n, args.concurrency, args.batch))
    print(f"postgresql: {json.dumps(pg)}", flush=True)
    results["postgresql"] = pg
    with tempfile.TemporaryDirectory() as tmp:
        lite = asyncio.run(
            _scenario(f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp), n, 1, args.batch)
        )
    print(f"sqlite: {json.dumps(lite)}", flush=True)
    results["sqlite"] = lite
    print(json.dumps(results))


if __name__ == "__main__":
    main()

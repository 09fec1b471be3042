"""A trial, its first charge exactly one month later, monthly renewals from the anchor, the
invoices with gapless numbers, and the invoice e-mail with its PDF at a real SMTP server."""

from __future__ import annotations

from datetime import date

import httpx

from linkplus.connected_services import service as connected_services
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.runtime import Runtime
from tests.subscriptions.support import (
    at,
    customer,
    documents,
    ledger,
    notice_kinds,
    provider_charges,
    run_days,
    subscribe,
)
from tests.support import Mailbox


async def _active(runtime: Runtime, vin: str, name: str) -> bool:
    async with runtime.db.transaction() as session:
        return await connected_services.is_active(session, runtime, vin=vin, service=name)


async def test_trial_then_first_charge_one_month_later_then_monthly_renewals(
    runtime: Runtime,
    clock: ManualClock,
    client: httpx.AsyncClient,
    sandbox: SandboxStore,
    worker: Worker,
    mailbox: Mailbox,
) -> None:
    clock.set(at(date(2024, 1, 10)))
    me = await customer(runtime, client)

    offers = (await client.get(me.url("/offers"), headers=me.headers)).json()
    smart = next(o for o in offers["offers"] if o["package"] == "smart")
    assert smart["purchasable"]
    assert smart["trial"]
    monthly = next(p for p in smart["plans"] if p["plan"] == "monthly")
    assert (monthly["price"]["minor"], monthly["vat"]["minor"], smart["vat_rate"]) == (
        999,
        160,
        "0.19",
    )
    assert not await _active(runtime, me.vin, "cloud_navigation")

    started = await subscribe(client, me, "smart", "monthly")
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["first_payment_on"] == "2024-02-10"
    assert body["charged"] is None
    subscription_id = body["subscription"]["id"]
    assert body["subscription"]["status"] == "trialing"
    assert await _active(runtime, me.vin, "cloud_navigation")
    assert await provider_charges(sandbox) == []  # a trial charges nothing

    # A second trial of the package is refused while this one runs, with its end date.
    again = await subscribe(client, me, "smart", "yearly")
    assert again.status_code == 409
    assert (again.json()["reason"], again.json()["available_from"]) == (
        "trial_running",
        "2024-02-10",
    )

    reports = await run_days(runtime, clock, date(2024, 1, 11), date(2024, 4, 12))
    charges = await provider_charges(sandbox)
    assert [c.created_at.date() for c in charges] == [
        date(2024, 2, 10),
        date(2024, 3, 10),
        date(2024, 4, 10),
    ]
    assert all(c.amount_minor == 999 and c.status == "succeeded" for c in charges)
    assert sum(r.tally.charged for r in reports) == 3
    assert [(c.period, c.attempt, c.state) for c in await ledger(runtime, subscription_id)] == [
        (0, 1, "succeeded"),
        (1, 1, "succeeded"),
        (2, 1, "succeeded"),
    ]
    kinds = await notice_kinds(runtime, subscription_id)
    assert "trial_ending_soon" in kinds  # 3 days before the first payment

    invoices = await documents(runtime)
    assert [d.number for d in invoices] == ["DE-2024-000001", "DE-2024-000002", "DE-2024-000003"]
    assert [d.gross_minor for d in invoices] == [999, 999, 999]

    await me.sign_in(runtime)
    answered = await client.get(me.url(), headers=me.headers)
    assert answered.status_code == 200, answered.text
    status = answered.json()
    line = next(p for p in status["packages"] if p["package"] == "smart")
    assert (line["state"], line["next_payment_on"], line["next_payment"]["minor"]) == (
        "active",
        "2024-05-10",
        999,
    )

    # Every invoice is e-mailed to the owner with its PDF attached.
    await worker.run_due()
    mails = [m for m in mailbox.to(me.who.account.email) if "invoice" in str(m["Subject"])]
    assert len(mails) == 3
    pdfs = list(mails[0].iter_attachments())
    assert [p.get_content_type() for p in pdfs] == ["application/pdf"]
    assert pdfs[0].get_filename() == "DE-2024-000001.pdf"
    assert pdfs[0].get_content().startswith(b"%PDF")

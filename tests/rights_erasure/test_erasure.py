"""Erasure of an account (issue 15, GDPR art. 17, seed 000): the preview, the grace period and
its cancel, and the job that leaves nothing of the owner behind outside the documented kept
records, proven by scanning every table and column of the database (the scan is in this
package's support.py)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.erasure import ErasureRequest
from linkplus.models.invoices import InvoiceDocument
from linkplus.models.jobs import Job
from linkplus.models.payments import SandboxRefund
from linkplus.models.rights import DataExport
from linkplus.models.subscriptions import SubscriptionRow
from linkplus.payments.errors import ProviderNotFound
from linkplus.payments.sandbox.store import SandboxStore
from linkplus.rights import erasure_job
from linkplus.runtime import Runtime
from tests.rights_erasure.support import (
    Person,
    kept_places,
    needles_for,
    outside,
    person_with_everything,
    scan,
)
from tests.subscriptions.support import Customer, subscribe
from tests.support import DEFAULT_PASSWORD, Mailbox, bearer_for, make_owner

URL = "/api/v1/account/erasure"


async def _request(client: httpx.AsyncClient, person: Person) -> httpx.Response:
    return await client.post(URL, json={"password": DEFAULT_PASSWORD}, headers=person.headers)


async def _run_until_done(runtime: Runtime, worker: Worker, clock: ManualClock) -> None:
    """Move past the grace period and let the worker run, as time passes, until the job ends."""
    clock.advance(timedelta(days=7, minutes=1))
    for _ in range(30):
        await worker.run_due()
        async with runtime.db.transaction() as session:
            states = list(await session.scalars(select(ErasureRequest.state)))
        if states == ["done"]:
            return
        clock.advance(timedelta(minutes=2))
    raise AssertionError(f"the erasure did not finish: {states}")


async def test_the_preview_names_what_goes_and_what_stays_with_its_rule(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> None:
    person = await person_with_everything(runtime, client, worker, clock)
    preview = (await client.get(URL, headers=person.headers)).json()
    assert preview["grace_days"] == 7
    assert preview["request"] is None
    assert person.vin in preview["erased"][0]["detail"]
    kept = {item["what"]: item for item in preview["kept"]}
    assert set(kept) == {
        "Invoices and credit notes",
        "Subscriptions and payments",
        "Safety cases",
        "Audit log",
        "Your cars' own history",
    }
    assert all(item["rule"] and item["kept_for"] and item["fields"] for item in kept.values())
    assert kept["Invoices and credit notes"]["rule"].startswith("Tax law")
    assert kept["Invoices and credit notes"]["kept_for"].startswith("10 years")


async def test_asking_needs_the_password_and_the_grace_period_can_be_cancelled(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    mailbox: Mailbox,
) -> None:
    person = await person_with_everything(runtime, client, worker, clock)
    wrong = await client.post(URL, json={"password": "not it"}, headers=person.headers)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "wrong_password")
    extra = await client.post(
        URL, json={"password": DEFAULT_PASSWORD, "now": True}, headers=person.headers
    )
    assert extra.status_code == 422
    asked = await _request(client, person)
    assert asked.status_code == 202, asked.text
    assert asked.json()["cancellable"] is True
    again = await _request(client, person)
    assert (again.status_code, again.json()["code"]) == (409, "erasure_already_requested")
    # During the grace period nothing new is bought.
    bought = await subscribe(client, Customer(person.who, person.vin), "remote", "yearly")
    assert (bought.status_code, bought.json()["code"]) == (409, "erasure_pending")
    await worker.run_due()
    assert "will be erased" in mailbox.text(mailbox.last_to(person.email))

    clock.advance(timedelta(days=5, hours=1))  # the reminder, two days before the end
    await worker.run_due()
    assert "Reminder" in str(mailbox.last_to(person.email)["Subject"])

    await person.sign_in_again(runtime)  # the account still works in the grace period
    cancelled = await client.delete(URL, headers=person.headers)
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    await worker.run_due()
    assert "will not be erased" in str(mailbox.last_to(person.email)["Subject"])
    assert (await client.delete(URL, headers=person.headers)).status_code == 404

    clock.advance(timedelta(days=3))
    await worker.run_due()
    await person.sign_in_again(runtime)
    me = await client.get("/api/v1/me", headers=person.headers)
    assert me.status_code == 200, "the cancelled erasure must not run"
    assert (await client.get(URL, headers=person.headers)).json()["request"] is None


async def test_after_the_erasure_nothing_of_the_owner_is_left_outside_the_kept_records(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    sandbox: SandboxStore,
) -> None:
    person = await person_with_everything(runtime, client, worker, clock)
    needles = await needles_for(runtime, person)
    before = await scan(runtime, needles)
    # The scan sees the owner everywhere before: in every domain's tables.
    tables = {finding.table for finding in before}
    assert {
        "accounts", "sign_in_sessions", "payment_cards", "subscriptions", "trips",
        "vehicle_positions", "vehicle_link_states", "remote_commands", "notifications",
        "outbound_emails", "push_subscriptions", "consents", "preferred_dealers", "audit_log",
        "safety_cases", "invoice_documents", "garage_entries",
    } <= tables, sorted(tables)  # fmt: skip
    assert outside(before, kept_places(needles))

    assert (await _request(client, person)).status_code == 202
    await _run_until_done(runtime, worker, clock)

    left = outside(await scan(runtime, needles), kept_places(needles))
    assert left == [], left
    async with runtime.db.transaction() as session:
        [request] = await session.scalars(select(ErasureRequest))
        pseudonym = request.pseudonym
        assert request.account_id is None
        # The kept records: invoices under the pseudonym, the subscription cancelled with the
        # refund rules (bought today: the whole payment back) and kept under it too.
        documents = list(await session.scalars(select(InvoiceDocument)))
        assert {d.account_id for d in documents} == {pseudonym}
        assert {d.kind for d in documents} == {"invoice", "credit_note"}
        rows = {row.package: row for row in await session.scalars(select(SubscriptionRow))}
        assert {p: (r.account_id, r.cancel_rule) for p, r in rows.items()} == {
            "svt": (pseudonym, "withdrawal_full_refund"),
            "remote": (pseudonym, "trial_cancelled"),
        }
        assert {row.billing_name for row in rows.values()} == {None}
    async with sandbox.transaction() as session:
        assert len(list(await session.scalars(select(SandboxRefund)))) == 1
    with pytest.raises(ProviderNotFound):
        await runtime.payments.card_details(needles.text["payment token 0"])

    # The account is gone: signing in fails as for any unknown address, and the address is
    # free for a new sign-up.
    signed_in = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": person.email, "password": DEFAULT_PASSWORD},
    )
    assert signed_in.status_code == 401
    assert (await client.get("/api/v1/me", headers=person.headers)).status_code == 401
    registered = await client.post(
        "/api/v1/accounts",
        json={
            "email": person.email,
            "password": "a new password for a new account",
            "first_name": "New",
            "last_name": "Owner",
            "country": "DE",
            "language": "de",
        },
    )
    assert registered.status_code == 202, registered.text


async def test_the_scan_finds_what_one_skipped_domain_leaves_behind(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the notifications' erasure left out, the e-mails sent to the owner survive (their
    rows only lose the account link when the account row goes) and the scan says where."""

    async def skipped(*args: object, **kwargs: object) -> None:
        return None

    monkeypatch.setattr(erasure_job.notifications, "erase_account_data", skipped)
    person = await person_with_everything(runtime, client, worker, clock)
    needles = await needles_for(runtime, person)
    assert (await _request(client, person)).status_code == 202
    await _run_until_done(runtime, worker, clock)
    left = outside(await scan(runtime, needles), kept_places(needles))
    assert ("outbound_emails", "to_address", "e-mail") in {
        (f.table, f.column, f.label) for f in left
    }, left


async def test_queued_jobs_that_name_the_account_are_waited_for_and_then_forgotten(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> None:
    person = await person_with_everything(runtime, client, worker, clock)
    assert (await _request(client, person)).status_code == 202
    await _run_until_done(runtime, worker, clock)
    async with runtime.db.transaction() as session:
        names = {job.name for job in await session.scalars(select(Job))}
    # The garage's reactions to the removal ran before the account went.
    assert "rights.erase_account" in names
    async with runtime.db.transaction() as session:
        for job in await session.scalars(select(Job)):
            assert str(person.account_id) not in str(job.payload), job.name


async def test_the_accounts_export_files_go_with_the_erasure(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> None:
    """An export is a zip of all the owner's data in the data dir: erasing the account deletes
    it too (its row went with the account, and the hourly purge finds files by their rows)."""
    owner = await make_owner(runtime)
    headers = await bearer_for(runtime, owner)
    asked = await client.post("/api/v1/privacy/exports", headers=headers)
    assert asked.status_code == 202, asked.text
    await worker.run_due()
    files = list((runtime.settings.data_dir / "exports").glob("*.zip"))
    assert len(files) == 1
    erase = await client.post(URL, json={"password": DEFAULT_PASSWORD}, headers=headers)
    assert erase.status_code == 202, erase.text
    await _run_until_done(runtime, worker, clock)
    assert not files[0].exists()
    async with runtime.db.read() as session:
        assert list(await session.scalars(select(DataExport))) == []

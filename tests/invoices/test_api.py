"""The invoices API for owners and agents, and the e-mail that goes with every document."""

from __future__ import annotations

import uuid

import httpx

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.runtime import Runtime
from tests.invoices.support import credit, issue, line, pdf_text
from tests.support import Mailbox, bearer_for, make_owner, make_staff


async def test_owner_lists_reads_and_downloads_their_documents(
    client: httpx.AsyncClient, runtime: Runtime, clock: ManualClock
) -> None:
    owner = await make_owner(runtime)
    headers = await bearer_for(runtime, owner)
    first = await issue(runtime, owner.id, lines=[line("99.00")])
    clock.advance(minutes=1)
    second = await issue(runtime, owner.id)
    clock.advance(minutes=1)
    note = await credit(runtime, first.id, "66.00")

    page = await client.get("/api/v1/invoices", params={"limit": 2}, headers=headers)
    assert page.status_code == 200
    body = page.json()
    assert [item["number"] for item in body["items"]] == [note.number, second.number]
    assert body["items"][0]["kind"] == "credit_note"
    assert body["items"][0]["corrects_id"] == str(first.id)
    rest = await client.get(
        "/api/v1/invoices",
        params={"limit": 2, "before": body["next_before"], "before_id": body["next_before_id"]},
        headers=headers,
    )
    assert [item["number"] for item in rest.json()["items"]] == [first.number]
    assert rest.json()["next_before"] is None

    one = await client.get(f"/api/v1/invoices/{first.id}", headers=headers)
    assert one.status_code == 200
    shown = one.json()
    assert shown["number"] == "DE-2026-000001"
    assert shown["gross"] == {"minor": 9900, "currency": "EUR", "display": "99,00\xa0€"}
    assert (shown["net"]["minor"], shown["vat"]["minor"]) == (8319, 1581)
    assert shown["vat_rate"] == "0.19"
    assert shown["seller"]["country"] == "DE"
    assert shown["lines"][0]["description"] == "Remote services, monthly"

    download = await client.get(shown["pdf_url"], headers=headers)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert 'filename="DE-2026-000001.pdf"' in download.headers["content-disposition"]
    assert download.content.startswith(b"%PDF-")
    assert "DE-2026-000001" in pdf_text(download.content)


async def test_another_accounts_document_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await make_owner(runtime)
    stranger = await make_owner(runtime)
    invoice = await issue(runtime, owner.id)
    headers = await bearer_for(runtime, stranger)

    for path in (f"/api/v1/invoices/{invoice.id}", f"/api/v1/invoices/{invoice.id}.pdf"):
        theirs = await client.get(path, headers=headers)
        unknown = await client.get(
            path.replace(str(invoice.id), str(uuid.uuid4())), headers=headers
        )
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json()["code"] == unknown.json()["code"] == "invoice_not_found"
        assert theirs.json()["detail"] == unknown.json()["detail"]
    assert (await client.get("/api/v1/invoices", headers=headers)).json()["items"] == []
    assert (await client.get(f"/api/v1/invoices/{invoice.id}")).status_code == 401


async def test_every_document_is_emailed_with_its_link(
    runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    owner = await make_owner(runtime)
    invoice = await issue(runtime, owner.id)
    await worker.run_due()
    await worker.run_due()

    mails = mailbox.to(owner.email)
    assert len(mails) == 1
    message = mails[0]
    assert str(message["Subject"]) == "Your invoice DE-2026-000001"
    assert mailbox.link_in(message) == f"http://testserver/invoices/{invoice.id}.pdf"
    assert "9,99 € was charged" in mailbox.text(message).replace("\xa0", " ")

    await credit(runtime, invoice.id, "9.99")
    await worker.run_due()
    assert str(mailbox.last_to(owner.email)["Subject"]) == "Your credit note DE-CN-2026-000001"
    assert len(mailbox.to(owner.email)) == 2


async def test_agent_sees_a_customers_documents_and_resends_one(
    client: httpx.AsyncClient, runtime: Runtime, worker: Worker, mailbox: Mailbox
) -> None:
    owner = await make_owner(runtime)
    invoice = await issue(runtime, owner.id)
    await worker.run_due()
    agent = await make_staff(runtime, role=StaffRole.agent)
    headers = await bearer_for(runtime, agent)

    listed = await client.get(
        f"/api/v1/staff/accounts/{owner.id}/invoices",
        params={"reason": "payment_dispute"},
        headers=headers,
    )
    assert listed.status_code == 200
    assert [item["number"] for item in listed.json()["items"]] == ["DE-2026-000001"]

    resent = await client.post(f"/api/v1/staff/invoices/{invoice.id}/resend", headers=headers)
    assert resent.status_code == 200
    assert resent.json() == {
        "document_id": str(invoice.id),
        "number": "DE-2026-000001",
        "sent_to": owner.email,
    }
    await worker.run_due()
    assert len(mailbox.to(owner.email)) == 2

    async with runtime.db.transaction() as session:
        resends = await audit.entries_for(
            session, subject_type="invoice", subject_id=str(invoice.id)
        )
        views = await audit.entries_for(
            session,
            subject_type="account",
            subject_id=str(owner.id),
            action="staff.invoices_viewed",
        )
    assert [(e.action, e.actor_type, e.actor_id) for e in resends] == [
        ("staff.invoice_resent", "staff", str(agent.id))
    ]
    assert resends[0].details["number"] == "DE-2026-000001"
    assert len(views) == 1

    unknown = await client.post(f"/api/v1/staff/invoices/{uuid.uuid4()}/resend", headers=headers)
    assert unknown.status_code == 404


async def test_staff_functions_are_for_agents(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    invoice = await issue(runtime, owner.id)
    dealer = await make_staff(runtime, role=StaffRole.dealer)
    path = f"/api/v1/staff/invoices/{invoice.id}/resend"

    as_owner = await client.post(path, headers=await bearer_for(runtime, owner))
    as_dealer = await client.post(path, headers=await bearer_for(runtime, dealer))
    assert as_owner.status_code == 404  # the staff API does not exist for owners
    assert as_dealer.status_code == 403
    async with runtime.db.transaction() as session:
        assert await audit.entries_for(session, action="staff.invoice_resent") == []

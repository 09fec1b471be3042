"""A support case from the owner to a customer-centre agent and back, through the HTTP API: the
owner opens it from Contact us naming their car, the agent finds it in the queue and opens it
(audited, and a staff access record the owner sees), answers (the owner is told by a real SMTP
server), the owner replies, the agent closes it. And who may see what."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from linkplus.jobs.worker import Worker
from linkplus.models.accounts import StaffRole
from linkplus.models.audit import AuditEntry
from linkplus.runtime import Runtime
from tests.connected_services.support import primary_owner_of_new_car
from tests.support import Mailbox, bearer_for, make_owner, make_staff

CASES = "/api/v1/support/cases"
STAFF_CASES = "/api/v1/staff/support/cases"


async def _actions(runtime: Runtime, case_id: str) -> list[str]:
    async with runtime.db.read() as session:
        rows = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_type == "support_case", AuditEntry.subject_id == case_id)
            .order_by(AuditEntry.id)
        )
        return list(rows.all())


async def test_a_case_from_the_owner_to_an_agent_and_back(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    person, vin = await primary_owner_of_new_car(runtime)
    categories = (await client.get("/api/v1/support/categories")).json()
    assert categories[0]["title"] == "Service and Maintenance"

    opened = await client.post(
        CASES,
        json={
            "category": "service_and_maintenance",
            "subject": "My preferred dealer is missing",
            "message": "I cannot find my dealer in Brussels on the map.",
            "vin": vin.lower(),
        },
        headers=person.headers,
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["state"] == "open"
    assert case["vin"] == vin
    assert [m["author"] for m in case["messages"]] == ["owner"]

    agent = await make_staff(runtime, role=StaffRole.agent)
    agent_headers = await bearer_for(runtime, agent)
    queue = (await client.get(STAFF_CASES, headers=agent_headers)).json()
    waiting = next(entry for entry in queue if entry["id"] == case["id"])
    assert waiting == {
        "id": case["id"],
        "reference": case["reference"],
        "category": "service_and_maintenance",
        "state": "open",
        "opened_at": case["opened_at"],
        "updated_at": case["updated_at"],
        "names_car": True,
        "names_invoice": False,
    }  # nothing of the owner before the case is opened

    seen = await client.get(f"{STAFF_CASES}/{case['id']}", headers=agent_headers)
    assert seen.status_code == 200, seen.text
    assert seen.json()["account_email"] == person.account.email
    records = (await client.get("/api/v1/privacy/access-records", headers=person.headers)).json()
    assert [(r["what"], r["reason"], r["organisation"]) for r in records["records"]] == [
        ("support_case", "support_case", "Customer centre")
    ]

    answered = await client.post(
        f"{STAFF_CASES}/{case['id']}/messages",
        json={"message": "Zennevallei Automobiles is listed under Bruxelles; try that name."},
        headers=agent_headers,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"
    await worker.run_due()
    mail = mailbox.last_to(person.account.email)
    assert f"Your support case {case['reference']} has an answer" in str(mail["Subject"])
    assert "try that name" in Mailbox.text(mail)
    assert f"/support/cases/{case['id']}" in Mailbox.text(mail)

    replied = await client.post(
        f"{CASES}/{case['id']}/messages",
        json={"message": "Found it, thank you!"},
        headers=person.headers,
    )
    assert replied.json()["state"] == "open"
    assert [m["author"] for m in replied.json()["messages"]] == ["owner", "agent", "owner"]

    closed = await client.post(f"{STAFF_CASES}/{case['id']}/close", headers=agent_headers)
    assert closed.json()["state"] == "closed"
    late = await client.post(
        f"{CASES}/{case['id']}/messages", json={"message": "One more thing"}, headers=person.headers
    )
    assert late.status_code == 409
    assert late.json()["code"] == "support_case_closed"
    assert await _actions(runtime, case["id"]) == [
        "support.case_viewed",
        "support.case_answered",
        "support.case_closed",
    ]
    mine = (await client.get(CASES, headers=person.headers)).json()
    assert [(c["id"], c["state"]) for c in mine] == [(case["id"], "closed")]


async def test_cases_are_their_owners_and_the_agents_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    person, vin = await primary_owner_of_new_car(runtime)
    stranger, other_vin = await primary_owner_of_new_car(runtime)
    body = {"category": "car_and_app", "subject": "Trips missing", "message": "Since Monday."}
    case = (await client.post(CASES, json=body, headers=person.headers)).json()

    for path in (f"{CASES}/{case['id']}", f"{CASES}/{uuid.uuid4()}"):
        hidden = await client.get(path, headers=stranger.headers)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "support_case_not_found"
    not_mine = await client.post(CASES, json=body | {"vin": other_vin}, headers=person.headers)
    assert not_mine.status_code == 404
    assert not_mine.json()["code"] == "vehicle_not_found"
    no_car_here = await client.post(
        CASES, json=body | {"category": "account_and_privacy", "vin": vin}, headers=person.headers
    )
    assert no_car_here.json()["code"] == "support_car_not_for_category"
    invoice_elsewhere = await client.post(
        CASES, json=body | {"invoice_id": str(uuid.uuid4())}, headers=person.headers
    )
    assert invoice_elsewhere.json()["code"] == "support_invoice_not_for_category"
    someone_elses_invoice = await client.post(
        CASES,
        json=body | {"category": "payments_and_invoices", "invoice_id": str(uuid.uuid4())},
        headers=person.headers,
    )
    assert someone_elses_invoice.status_code == 404
    extra = await client.post(CASES, json=body | {"state": "closed"}, headers=person.headers)
    assert extra.status_code == 422
    hidden_text = await client.post(
        CASES, json=body | {"subject": "Trips\u202emissing"}, headers=person.headers
    )
    assert hidden_text.status_code == 422

    owner_on_staff = await client.get(f"{STAFF_CASES}/{case['id']}", headers=person.headers)
    assert owner_on_staff.status_code in (401, 403, 404)
    dealer = await make_staff(runtime, role=StaffRole.dealer)
    refused = await client.get(STAFF_CASES, headers=await bearer_for(runtime, dealer))
    assert refused.status_code == 403
    nobody = await make_owner(runtime)
    assert (await client.get(CASES, headers=await bearer_for(runtime, nobody))).json() == []

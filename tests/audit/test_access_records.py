"""Who saw my data, through the staff API: every staff role's look at an owner's data is
recorded with its reason and shows in that owner's list (role, organisation, reason, what; no
staff name or id); a look without a reason is refused and records nothing; the list is the
owner's alone, newest first, a page at a time; and a record, once written, never changes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from linkplus.audit import access
from linkplus.audit.reasons import AccessReason, ReasonCode, ViewKind
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import Account, StaffAccount, StaffRole
from linkplus.models.audit import AuditEntry, StaffAccessRecord
from linkplus.runtime import Runtime
from tests.safety.support import safety_car, staff
from tests.support import bearer_for, make_owner
from tests.web.support import hold_positions

RECORDS = "/api/v1/privacy/access-records"
CASES = "/api/v1/staff/safety/cases"


def _car(vin: str) -> str:
    return f"/api/v1/staff/vehicles/{vin}"


async def _records(runtime: Runtime) -> int:
    async with runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(StaffAccessRecord)) or 0)


async def _owner_list(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    listed = await client.get(RECORDS, headers=headers)
    assert listed.status_code == 200, listed.text
    body: dict[str, Any] = listed.json()
    return body


async def _take_new_case(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str
) -> dict[str, Any]:
    queue = (await client.get(CASES, headers=headers)).json()
    (case,) = [c for c in queue if c["kind"] == kind and not c["taken"]]
    taken = await client.post(f"{CASES}/{case['id']}/take", headers=headers)
    assert taken.status_code == 200, taken.text
    body: dict[str, Any] = taken.json()
    return body


async def test_each_staff_role_s_look_is_in_the_owner_s_list_with_its_reason_and_no_name(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    owner = car.owner
    looked: list[tuple[StaffAccount, tuple[str, str, str, str]]] = []

    # The dealer API: dealer, customer-centre agent and administrator open the car's record.
    for role, params, expected in [
        (
            StaffRole.dealer,
            {"reason": "dealer_service_visit", "reason_text": "booking 4711"},
            (
                "Dealer staff",
                "Dealer",
                "dealer_service_visit",
                "Dealer service visit: booking 4711",
            ),
        ),
        (
            StaffRole.agent,
            {"reason": "owner_phone_help"},
            (
                "Customer-centre agent",
                "Customer centre",
                "owner_phone_help",
                "The owner asked for help by phone",
            ),
        ),
        (
            StaffRole.admin,
            {"reason": "other", "reason_text": "Checking a data-quality report"},
            (
                "Platform administrator",
                "Platform operations",
                "other",
                "Checking a data-quality report",
            ),
        ),
    ]:
        person, headers = await staff(runtime, role)
        clock.advance(minutes=1)
        seen = await client.get(_car(car.vin), params=params, headers=headers)
        assert seen.status_code == 200, seen.text
        looked.append((person, (*expected[:3], "vehicle_record")))
        assert (await _owner_list(client, await car.owner_headers()))["records"][0][
            "reason_words"
        ] == expected[3]

    # The customer centre's invoices and subscriptions of the account.
    agent, agent_headers = await staff(runtime, StaffRole.agent)
    clock.advance(minutes=1)
    invoices = await client.get(
        f"/api/v1/staff/accounts/{owner.id}/invoices",
        params={"reason": "payment_dispute", "reason_text": "ticket 88"},
        headers=agent_headers,
    )
    assert invoices.status_code == 200, invoices.text
    looked.append(
        (agent, ("Customer-centre agent", "Customer centre", "payment_dispute", "invoices"))
    )
    clock.advance(minutes=1)
    subscriptions = await client.get(
        f"/api/v1/staff/accounts/{owner.id}/subscriptions",
        params={"reason": "payment_dispute"},
        headers=agent_headers,
    )
    assert subscriptions.status_code == 200, subscriptions.text
    looked.append(
        (agent, ("Customer-centre agent", "Customer centre", "payment_dispute", "subscriptions"))
    )

    # The agents' console: an SOS taken by an emergency agent, whose case is the reason.
    emergency, emergency_headers = await staff(runtime, StaffRole.emergency_agent)
    clock.advance(minutes=1)
    await car.emergency(uuid.uuid4(), at=clock.now())
    sos = await _take_new_case(client, emergency_headers, "sos")
    assert sos["primary_account"]["name"] == "Alex Driver"
    looked.append(
        (emergency, ("Emergency agent", "Emergency centre", "emergency_response", "case"))
    )

    # A theft: the stolen-vehicle agent holding it sees the trail (the case is the reason); a
    # supervisor who does not hold it gives a reason for the trail.
    reported = await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "PV/2026/0471"},
        headers=await car.owner_headers(),
    )
    assert reported.status_code == 201, reported.text
    svt, svt_headers = await staff(runtime, StaffRole.svt_agent)
    clock.advance(minutes=1)
    theft = await _take_new_case(client, svt_headers, "theft")
    looked.append(
        (svt, ("Stolen-vehicle agent", "Stolen-vehicle centre", "stolen_vehicle_case", "case"))
    )
    await hold_positions(
        runtime, uuid.UUID(theft["id"]), car.vin, [(52.52, 13.405), (52.53, 13.41)]
    )
    clock.advance(minutes=1)
    trail = await client.get(f"{CASES}/{theft['id']}/positions", headers=svt_headers)
    assert len(trail.json()) == 2, trail.text
    looked.append(
        (
            svt,
            (
                "Stolen-vehicle agent",
                "Stolen-vehicle centre",
                "stolen_vehicle_case",
                "position_trail",
            ),
        )
    )
    supervisor, supervisor_headers = await staff(runtime, StaffRole.supervisor)
    clock.advance(minutes=1)
    reviewed = await client.get(
        f"{CASES}/{theft['id']}/positions",
        params={"reason": "legal_request", "reason_text": "prosecutor's request 12/27"},
        headers=supervisor_headers,
    )
    assert reviewed.status_code == 200, reviewed.text
    looked.append(
        (
            supervisor,
            ("Safety-centre supervisor", "Safety centre", "legal_request", "position_trail"),
        )
    )

    listed = await client.get(RECORDS, params={"limit": 100}, headers=await car.owner_headers())
    assert listed.status_code == 200, listed.text
    records = listed.json()["records"]
    got = [(r["role"], r["organisation"], r["reason"], r["what"]) for r in records]
    assert got == [expected for _, expected in reversed(looked)]  # newest first
    assert [r["at"] for r in records] == sorted((r["at"] for r in records), reverse=True)
    automatic = [r["reason_words"] for r in records if r["automatic"]]
    assert [words.split(": ")[0] for words in automatic] == [
        "Stolen-vehicle case",  # the trail
        "Stolen-vehicle case",  # the case
        "Emergency response",
    ]
    assert automatic[-1] == f"Emergency response: case {sos['id'][:8].upper()}"
    assert [r["reason_words"] for r in records if r["what"] == "invoices"] == [
        "Payment dispute: ticket 88"
    ]
    assert {r["role"] for r in records} >= {
        "Dealer staff",
        "Customer-centre agent",
        "Emergency agent",
        "Stolen-vehicle agent",
        "Safety-centre supervisor",
        "Platform administrator",
    }  # every role of the staff model
    text = listed.text
    for person, _ in looked:
        for private in (str(person.id), person.email, person.name):
            assert private not in text
    assert set(records[0]) == {
        "at",
        "role",
        "organisation",
        "what",
        "what_words",
        "reason",
        "reason_words",
        "automatic",
    }

    # Another owner sees none of it; staff and strangers get no list at all.
    other = await make_owner(runtime)
    assert (await _owner_list(client, await bearer_for(runtime, other)))["records"] == []
    assert (await client.get(RECORDS, headers=svt_headers)).status_code == 401
    assert (await client.get(RECORDS)).status_code == 401


async def test_a_look_without_a_reason_is_refused_and_records_nothing(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await safety_car(runtime, client)
    _, agent = await staff(runtime, StaffRole.agent)
    _, svt = await staff(runtime, StaffRole.svt_agent)
    _, supervisor = await staff(runtime, StaffRole.supervisor)
    await client.post(
        f"/api/v1/vehicles/{car.vin}/safety/theft",
        json={"police_reference": "PV/2026/0999"},
        headers=await car.owner_headers(),
    )
    theft = await _take_new_case(client, svt, "theft")
    before_records = await _records(runtime)  # the svt agent's look at the case it holds
    async with runtime.db.transaction() as session:
        before_audit = await session.scalar(select(func.count()).select_from(AuditEntry))

    views = [
        (_car(car.vin), agent),
        (f"/api/v1/staff/accounts/{car.owner.id}/invoices", agent),
        (f"/api/v1/staff/accounts/{car.owner.id}/subscriptions", agent),
        (f"{CASES}/{theft['id']}/positions", supervisor),
        (f"{CASES}/{theft['id']}/positions.csv", supervisor),
    ]
    for url, headers in views:
        refused = await client.get(url, headers=headers)
        assert refused.status_code == 403, url
        problem = refused.json()
        assert problem["code"] == "access_reason_required"
        assert "reason" in problem["detail"]
        assert "owner_phone_help" in problem["detail"]
        for bad, field in [
            ({"reason": "curiosity"}, "reason"),
            ({"reason": "other"}, "reason_text"),
            ({"reason": "other", "reason_text": "why\u202enot"}, "reason_text"),
            ({"reason_text": "just because"}, "reason"),
        ]:
            invalid = await client.get(url, params=bad, headers=headers)
            assert invalid.status_code == 422, (url, bad)
            assert invalid.json()["errors"][0]["field"] == f"query.{field}"
    too_long = await client.get(
        _car(car.vin), params={"reason": "other", "reason_text": "x" * 201}, headers=agent
    )
    assert too_long.status_code == 422
    # An unknown car gets the same refusal: without a reason the API does not even say whether
    # the car exists.
    unknown = await client.get(_car("JTJHZKFA0P2000001"), headers=agent)
    assert unknown.json()["code"] == "access_reason_required"

    assert await _records(runtime) == before_records
    async with runtime.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before_audit
    listed = await _owner_list(client, await car.owner_headers())
    assert [r["what"] for r in listed["records"]] == ["case"]


async def test_the_list_is_paged_newest_first(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    owner = await make_owner(runtime)
    dealer = await _staff_row(runtime, StaffRole.dealer)
    async with runtime.db.transaction() as session:
        for n in range(25):
            clock.advance(minutes=1)
            await access.record_view(
                session,
                now=clock.now(),
                staff=dealer,
                account_ids=[owner.id, uuid.uuid4()],  # an id with no account is skipped
                what=ViewKind.vehicle_record,
                subject="vehicle:X",
                reason=AccessReason(ReasonCode.dealer_service_visit, f"visit {n}"),
            )
    headers = await bearer_for(runtime, owner)
    first = await client.get(RECORDS, params={"limit": 20}, headers=headers)
    page = first.json()
    assert [r["reason_words"] for r in page["records"]][:2] == [
        "Dealer service visit: visit 24",
        "Dealer service visit: visit 23",
    ]
    assert len(page["records"]) == 20
    assert page["next_before"] is not None
    second = (
        await client.get(RECORDS, params={"before": page["next_before"]}, headers=headers)
    ).json()
    assert [r["reason_words"] for r in second["records"]] == [
        f"Dealer service visit: visit {n}" for n in range(4, -1, -1)
    ]
    assert second["next_before"] is None
    for bad in ("0", "-1", "²", "1_0", str(2**63)):
        refused = await client.get(RECORDS, params={"before": bad}, headers=headers)
        assert refused.status_code == 422, bad


async def _staff_row(runtime: Runtime, role: StaffRole) -> StaffAccount:
    person, _ = await staff(runtime, role)
    return person


async def test_a_record_is_never_changed_and_goes_with_the_account(runtime: Runtime) -> None:
    owner = await make_owner(runtime)
    agent = await _staff_row(runtime, StaffRole.agent)
    async with runtime.db.transaction() as session:
        await access.record_view(
            session,
            now=runtime.clock.now(),
            staff=agent,
            account_ids=[owner.id],
            what=ViewKind.invoices,
            subject=f"account:{owner.id}",
            reason=AccessReason(ReasonCode.payment_dispute, ""),
        )
    with pytest.raises(DBAPIError, match="never changed"):
        async with runtime.db.transaction() as session:
            await session.execute(update(StaffAccessRecord).values(reason_code="other"))
    assert await _records(runtime) == 1
    async with runtime.db.transaction() as session:
        await session.delete(await session.get(Account, owner.id))
    assert await _records(runtime) == 0

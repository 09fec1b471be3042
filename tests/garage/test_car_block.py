"""The ownership check counted per car as well: wrong readings from many accounts block the car for
everyone until a dealer unblocks it, and the primary account hears of every attempt at once."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.accounts import StaffRole
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime
from tests.garage.support import Car, add_car, make_car, owner_with_car
from tests.support import Mailbox, bearer_for, make_owner, make_staff

URL = "/api/v1/garage/vehicles"
WRONG = "garage.wrong_odometer_reading"
SECONDARY = "garage.secondary_account_added"


REASON = {"reason": "dealer_service_visit"}


def _staff_url(vin: str) -> str:
    return f"/api/v1/staff/vehicles/{vin}"


async def _kinds_in_inbox(runtime: Runtime, account_id: uuid.UUID) -> list[str]:
    async with runtime.db.transaction() as session:
        return [n.kind for n in await notifications.inbox(session, account_id=account_id)]


async def _guess(runtime: Runtime, client: httpx.AsyncClient, car: Car, reading: int) -> int:
    """A new account (a fresh throw-away registration) enters one reading; its HTTP status."""
    headers = await bearer_for(runtime, await make_owner(runtime))
    return (await add_car(client, headers, car, odometer_km=reading)).status_code


async def _blocked_by_guessers(runtime: Runtime, client: httpx.AsyncClient, car: Car) -> None:
    """Three accounts, none of which uses up its own three tries, guess five times in all."""
    guessers = [await bearer_for(runtime, await make_owner(runtime)) for _ in range(3)]
    answers = []
    for headers, readings in zip(guessers, ([1_000, 2_000], [3_000, 4_000], [5_000]), strict=True):
        for reading in readings:
            answers.append(await add_car(client, headers, car, odometer_km=reading))
    assert [a.status_code for a in answers[:4]] == [422] * 4
    assert [a.json()["code"] for a in answers[:4]] == ["odometer_mismatch"] * 4
    # The fifth wrong reading for the car, from an account that had used only one try of three.
    assert answers[4].status_code == 409, answers[4].text
    assert answers[4].json()["code"] == "vehicle_ownership_check_blocked"
    assert "dealer" in answers[4].json()["detail"]


async def test_new_accounts_each_guessing_end_with_the_car_blocked_for_everyone(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    mailbox: Mailbox,
) -> None:
    car = await make_car(runtime, odometer_km=31_000)
    primary = await make_owner(runtime, email="primary.owner@example.com")
    await owner_with_car(runtime, client, primary, car)

    await _blocked_by_guessers(runtime, client, car)

    # Blocked for everyone: a new account with the right reading, and with the car's QR code.
    newcomer = await bearer_for(runtime, await make_owner(runtime))
    right = await add_car(client, newcomer, car, odometer_km=31_000)
    assert (right.status_code, right.json()["code"]) == (409, "vehicle_ownership_check_blocked")
    by_qr = await client.post(
        URL, json={"pairing_code": car.pairing_code(runtime)}, headers=newcomer
    )
    assert (by_qr.status_code, by_qr.json()["code"]) == (409, "vehicle_ownership_check_blocked")
    assert (await client.get(URL, headers=newcomer)).json() == []
    # The primary account keeps its car.
    primary_headers = await bearer_for(runtime, primary)
    assert [c["role"] for c in (await client.get(URL, headers=primary_headers)).json()] == [
        "primary"
    ]

    # Told at once of every wrong reading: inbox, and e-mail through the real SMTP server.
    assert (await _kinds_in_inbox(runtime, primary.id)).count(WRONG) == 5
    await worker.run_due()
    mails = [m for m in mailbox.to(primary.email) if "wrong odometer reading" in str(m["Subject"])]
    assert len(mails) == 5
    assert car.vin in mailbox.text(mails[-1])
    assert "no account can add or claim your car now" in mailbox.text(mails[-1])
    assert "1 wrong reading for this car" in mailbox.text(mails[0])


async def test_the_per_car_count_forgets_readings_older_than_its_window(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    car = await make_car(runtime, odometer_km=9_000)
    for reading in (1, 2, 3, 4):
        assert await _guess(runtime, client, car, reading) == 422
    clock.advance(days=31)
    assert await _guess(runtime, client, car, 5) == 422  # 1 in the last 30 days
    assert await _guess(runtime, client, car, 9_000) == 201


async def test_tries_left_are_the_fewer_of_the_accounts_and_the_cars(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=9_000)
    for reading in (1, 2, 3):
        assert await _guess(runtime, client, car, reading) == 422
    headers = await bearer_for(runtime, await make_owner(runtime))
    fourth = await add_car(client, headers, car, odometer_km=4)
    assert fourth.json()["attempts_left"] == 1  # the car's fifth would block it
    assert "1 more try" in fourth.json()["detail"]


async def test_a_dealer_unblocks_the_car_after_an_identity_check_audited(
    runtime: Runtime,
    client: httpx.AsyncClient,
    clock: ManualClock,
    worker: Worker,
    mailbox: Mailbox,
) -> None:
    car = await make_car(runtime, odometer_km=12_000)
    primary = await make_owner(runtime, email="owner.of.car@example.com")
    primary_headers = await owner_with_car(runtime, client, primary, car)
    await _blocked_by_guessers(runtime, client, car)

    unblock_url = f"{_staff_url(car.vin)}/ownership-block/unblock"
    # Staff only: owners' tokens and no token get the not-found answer, other roles 403.
    for headers in (primary_headers, {}):
        hidden = await client.post(unblock_url, headers=headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    emergency = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.emergency_agent))
    assert (await client.post(unblock_url, headers=emergency)).status_code == 403

    dealer_account = await make_staff(runtime, role=StaffRole.dealer)
    dealer = await bearer_for(runtime, dealer_account)
    view = (await client.get(_staff_url(car.vin), params=REASON, headers=dealer)).json()
    assert view["ownership_block"]["blocked"] is True
    assert view["ownership_block"]["wrong_readings"] == 5
    assert (view["ownership_block"]["limit"], view["ownership_block"]["window_days"]) == (5, 30)

    without = await client.post(unblock_url, headers=dealer)
    assert (without.status_code, without.json()["code"]) == (409, "identity_check_required")
    checked = await client.post(
        f"{_staff_url(car.vin)}/identity-checks",
        json={"account_id": str(primary.id), "document": "passport"},
        headers=dealer,
    )
    assert checked.status_code == 201, checked.text
    clock.advance(hours=25)
    dealer = await bearer_for(runtime, dealer_account)
    stale = await client.post(unblock_url, headers=dealer)
    assert stale.json()["code"] == "identity_check_required"
    await client.post(
        f"{_staff_url(car.vin)}/identity-checks",
        json={"account_id": str(primary.id), "document": "id_card"},
        headers=dealer,
    )
    unblocked = await client.post(unblock_url, headers=dealer)
    assert unblocked.status_code == 200, unblocked.text
    assert unblocked.json()["blocked"] is False
    assert unblocked.json()["wrong_readings"] == 0  # the readings before the unblock are spent
    again = await client.post(unblock_url, headers=dealer)
    assert (again.status_code, again.json()["code"]) == (
        409,
        "vehicle_ownership_check_not_blocked",
    )

    # Anyone with proof can add the car again; the primary account hears of the new secondary.
    buyer = await bearer_for(runtime, await make_owner(runtime))
    added = await add_car(client, buyer, car, odometer_km=12_010)
    assert (added.status_code, added.json()["role"]) == (201, "secondary")
    assert (await _kinds_in_inbox(runtime, primary.id)).count(SECONDARY) == 1
    await worker.run_due()
    told = mailbox.last_to(primary.email)
    assert "Another account added your" in str(told["Subject"])
    assert car.vin in mailbox.text(told)

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, subject_type="vehicle", subject_id=car.vin)
    actions = [(e.action, e.actor_type) for e in entries]
    assert ("garage.vehicle_ownership_blocked", "owner") in actions
    unblock_entries = [e for e in entries if e.action == "staff.vehicle_ownership_unblocked"]
    assert len(unblock_entries) == 1
    assert unblock_entries[0].actor_type == "staff"
    assert unblock_entries[0].actor_id == str(dealer_account.id)
    assert unblock_entries[0].details["identity_checked_account_id"] == str(primary.id)


async def test_the_primary_account_hears_of_every_new_secondary_account(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, mailbox: Mailbox
) -> None:
    car = await make_car(runtime, odometer_km=700)
    primary = await make_owner(runtime)
    await owner_with_car(runtime, client, primary, car)
    for _ in range(2):
        headers = await bearer_for(runtime, await make_owner(runtime))
        by_qr = await client.post(
            URL, json={"pairing_code": car.pairing_code(runtime)}, headers=headers
        )
        assert by_qr.status_code == 201, by_qr.text
    assert (await _kinds_in_inbox(runtime, primary.id)).count(SECONDARY) == 2
    await worker.run_due()
    told = [m for m in mailbox.to(primary.email) if "added your" in str(m["Subject"])]
    assert len(told) == 2
    assert "QR code" in mailbox.text(told[0])

    # A secondary account guessing the reading to take the primary role is counted and told too.
    claim = await client.post(
        f"/api/v1/vehicles/{car.vin}/primary-account", json={"odometer_km": 1}, headers=headers
    )
    assert claim.json()["code"] == "odometer_mismatch", claim.text
    assert (await _kinds_in_inbox(runtime, primary.id)).count(WRONG) == 1


async def test_concurrent_guesses_from_many_accounts_are_all_counted_and_block_once(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    car = await make_car(runtime, odometer_km=44_000)
    guessers = [await bearer_for(runtime, await make_owner(runtime)) for _ in range(8)]
    answers = await asyncio.gather(
        *(add_car(client, headers, car, odometer_km=100 + n) for n, headers in enumerate(guessers))
    )
    codes = sorted(a.json()["code"] for a in answers)
    # Four wrong readings are refused as such; the fifth blocks the car and so are the rest.
    assert codes == ["odometer_mismatch"] * 4 + ["vehicle_ownership_check_blocked"] * 4
    dealer = await bearer_for(runtime, await make_staff(runtime, role=StaffRole.dealer))
    view = (await client.get(_staff_url(car.vin), params=REASON, headers=dealer)).json()
    assert view["ownership_block"]["wrong_readings"] == 5
    async with runtime.db.transaction() as session:
        blocked = await audit.entries_for(session, action="garage.vehicle_ownership_blocked")
    assert len(blocked) == 1

"""Privacy mode per car: switching location sharing, its history, and sharing at a given time."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from linkplus.audit import service as audit
from linkplus.kit.clock import ManualClock
from linkplus.privacy import service as privacy
from linkplus.privacy.errors import InvalidPrivacyModeSource
from linkplus.runtime import Runtime
from tests.connected_services.support import (
    link,
    make_vehicle,
    owner,
    primary_owner_of_new_car,
)


def _url(vin: str, tail: str = "") -> str:
    return f"/api/v1/vehicles/{vin}/privacy-mode{tail}"


async def test_location_is_shared_until_the_owner_turns_privacy_mode_on(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    initial = (await client.get(_url(vin), headers=me.headers)).json()
    assert initial == {
        "vin": vin,
        "location_sharing": True,
        "privacy_mode": False,
        "changed_at": None,
        "source": None,
    }
    switched_at = clock.now()
    off = await client.put(_url(vin), json={"location_sharing": False}, headers=me.headers)
    assert off.status_code == 200
    assert (off.json()["location_sharing"], off.json()["privacy_mode"]) == (False, True)
    assert off.json()["source"] == "app"

    clock.advance(minutes=3)
    on = await client.put(_url(vin), json={"location_sharing": True}, headers=me.headers)
    assert on.json()["location_sharing"] is True
    # Asking for the state already in force is not a change.
    clock.advance(minutes=1)
    await client.put(_url(vin), json={"location_sharing": True}, headers=me.headers)

    history = (await client.get(_url(vin, "/history"), headers=me.headers)).json()
    assert [(h["location_sharing"], h["source"]) for h in history] == [
        (True, "app"),
        (False, "app"),
    ]
    assert history[1]["changed_at"] == switched_at.isoformat().replace("+00:00", "Z")

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, action="privacy_mode.changed")
    assert [(e.actor_type, e.actor_id, e.subject_id) for e in entries] == [
        ("owner", str(me.account.id), vin)
    ] * 2
    assert [e.details["location_sharing"] for e in entries] == [True, False]


async def test_location_shared_at_boundaries(runtime: Runtime, clock: ManualClock) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    start = clock.now()
    off_at = start + timedelta(hours=1)
    on_at = start + timedelta(hours=2)
    async with runtime.db.transaction() as session:
        assert await privacy.location_shared_at(session, vin=vin, at=start) is True
        await privacy.set_location_sharing(
            session, runtime, vin=vin, sharing=False, source="vehicle", account_id=None, at=off_at
        )
        await privacy.set_location_sharing(
            session,
            runtime,
            vin=vin,
            sharing=True,
            source="app",
            account_id=me.account.id,
            at=on_at,
        )
    tick = timedelta(microseconds=1)
    async with runtime.db.transaction() as session:
        answers = [
            await privacy.location_shared_at(session, vin=vin, at=at)
            for at in (start, off_at - tick, off_at, on_at - tick, on_at, on_at + timedelta(days=9))
        ]
    assert answers == [True, True, False, False, True, True]


async def test_car_reports_come_from_the_vehicle_and_may_arrive_late(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    now = clock.now()
    me = await owner(runtime)
    vin = await make_vehicle(runtime)
    # The owner has had the car since yesterday: the late report of 5 hours ago is in its time.
    await link(runtime, me.account, vin, primary=True, since=now - timedelta(days=1))
    async with runtime.db.transaction() as session:
        await privacy.set_location_sharing(
            session, runtime, vin=vin, sharing=False, source="vehicle", account_id=None, at=now
        )
        # A late report from before: stored in its place in time, not as the current state.
        await privacy.set_location_sharing(
            session,
            runtime,
            vin=vin,
            sharing=False,
            source="vehicle",
            account_id=None,
            at=now - timedelta(hours=5),
        )
        # The car repeating the state in force is not stored.
        await privacy.set_location_sharing(
            session,
            runtime,
            vin=vin,
            sharing=False,
            source="vehicle",
            account_id=None,
            at=now + timedelta(minutes=1),
        )
        with pytest.raises(InvalidPrivacyModeSource):
            await privacy.set_location_sharing(
                session, runtime, vin=vin, sharing=True, source="sms", account_id=None, at=now
            )
    state = (await client.get(_url(vin), headers=me.headers)).json()
    assert (state["location_sharing"], state["source"]) == (False, "vehicle")
    history = (await client.get(_url(vin, "/history"), headers=me.headers)).json()
    assert [h["changed_at"] for h in history] == [
        t.isoformat().replace("+00:00", "Z") for t in (now, now - timedelta(hours=5))
    ]
    async with runtime.db.transaction() as session:
        [first, *_] = await audit.entries_for(session, action="privacy_mode.changed")
    assert (first.actor_type, first.actor_id) == ("vehicle", vin)
    page = await client.get(
        _url(vin, "/history"),
        params={"before": now.isoformat(), "limit": 1},
        headers=me.headers,
    )
    assert [h["changed_at"] for h in page.json()] == [history[1]["changed_at"]]


async def test_only_the_primary_account_and_no_stranger_sees_privacy_mode(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    family = await owner(runtime)
    await link(runtime, family.account, vin, primary=False)
    stranger = await owner(runtime)
    for method, tail, body in (
        ("GET", "", None),
        ("PUT", "", {"location_sharing": False}),
        ("GET", "/history", None),
    ):
        secondary = await client.request(method, _url(vin, tail), json=body, headers=family.headers)
        assert secondary.status_code == 403
        assert secondary.json()["code"] == "not_primary_account"
        theirs = await client.request(method, _url(vin, tail), json=body, headers=stranger.headers)
        unknown = await client.request(
            method, _url("JTHAAAAAAAAAAAAAA", tail), json=body, headers=stranger.headers
        )
        assert theirs.status_code == unknown.status_code == 404
        assert {k: v for k, v in theirs.json().items() if k != "instance"} == {
            k: v for k, v in unknown.json().items() if k != "instance"
        }
        assert theirs.json()["code"] == "vehicle_not_found"
    extra = await client.put(
        _url(vin), json={"location_sharing": False, "source": "vehicle"}, headers=me.headers
    )
    assert extra.status_code == 422
    assert (await client.get(_url(vin), headers=me.headers)).json()["location_sharing"] is True

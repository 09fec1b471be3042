""" "Prepare to sell": the checklist and how it fills as the owner works through it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from linkplus.audit import service as audit
from linkplus.connected_services.selling import SellStep, checklist, ready_to_remove
from linkplus.kit.clock import ManualClock
from linkplus.models.services import SellChecklistStep
from linkplus.runtime import Runtime
from tests.connected_services.support import (
    ACCEPT_DE,
    activate,
    link,
    owner,
    primary_owner_of_new_car,
)

VIN = "JTHAAAAAAAAAAAAAA"
AT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _done(steps: list[dict[str, Any]]) -> dict[str, bool]:
    return {s["step"]: s["done"] for s in steps}


def test_removal_is_last_and_never_done_while_the_car_is_there() -> None:
    steps = checklist(vin=VIN, active_packages=[], ticks={})
    assert [s.step for s in steps][-1] is SellStep.remove_vehicle
    removal = steps[-1]
    assert not removal.done
    assert "last" in removal.detail
    assert VIN in removal.detail
    assert {s.step for s in steps if s.done} == {
        SellStep.cancel_subscriptions,
        SellStep.keep_account,
    }
    assert not ready_to_remove(steps)


def test_ticks_and_stopped_services_complete_the_checklist() -> None:
    ticks = {
        SellChecklistStep.head_unit_profile_deleted: AT,
        SellChecklistStep.buyer_informed: AT,
    }
    busy = checklist(vin=VIN, active_packages=["svt", "standard"], ticks=ticks)
    cancel = busy[0]
    assert (cancel.step, cancel.done) == (SellStep.cancel_subscriptions, False)
    assert "standard, svt" in cancel.detail
    assert not ready_to_remove(busy)
    done = checklist(vin=VIN, active_packages=[], ticks=ticks)
    assert ready_to_remove(done)
    profile = next(s for s in done if s.step is SellStep.delete_head_unit_profile)
    assert (profile.done_at, profile.owner_ticks) == (AT, True)


async def test_checklist_progression_through_the_api(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    await activate(client, me, vin, accept=ACCEPT_DE)
    url = f"/api/v1/vehicles/{vin}/sell-checklist"

    first = (await client.get(url, headers=me.headers)).json()
    assert _done(first["steps"]) == {
        "cancel_subscriptions": False,
        "delete_head_unit_profile": False,
        "keep_account": True,
        "tell_buyer": False,
        "remove_vehicle": False,
    }
    assert first["ready_to_remove"] is False

    await client.post(f"/api/v1/vehicles/{vin}/services/deactivate", headers=me.headers)
    ticked_at = clock.now()
    profile = await client.post(f"{url}/head-unit-profile-deleted", headers=me.headers)
    assert profile.status_code == 200
    clock.advance(minutes=2)
    # Ticking again keeps the first time.
    again = (await client.post(f"{url}/head-unit-profile-deleted", headers=me.headers)).json()
    step = next(s for s in again["steps"] if s["step"] == "delete_head_unit_profile")
    assert step["done_at"] == ticked_at.isoformat().replace("+00:00", "Z")
    assert again["ready_to_remove"] is False

    told = (await client.post(f"{url}/buyer-informed", headers=me.headers)).json()
    assert _done(told["steps"]) == {
        "cancel_subscriptions": True,
        "delete_head_unit_profile": True,
        "keep_account": True,
        "tell_buyer": True,
        "remove_vehicle": False,
    }
    assert told["ready_to_remove"] is True
    removal = told["steps"][-1]
    assert "last" in removal["detail"]

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, action="sell_checklist.ticked")
    assert [e.details["step"] for e in entries] == ["buyer_informed", "head_unit_profile_deleted"]


async def test_secondary_accounts_have_their_own_checklist_and_strangers_get_404(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    me, vin = await primary_owner_of_new_car(runtime)
    family = await owner(runtime)
    await link(runtime, family.account, vin, primary=False)
    await client.post(f"/api/v1/vehicles/{vin}/sell-checklist/buyer-informed", headers=me.headers)
    theirs = await client.get(f"/api/v1/vehicles/{vin}/sell-checklist", headers=family.headers)
    assert theirs.status_code == 200
    assert _done(theirs.json()["steps"])["tell_buyer"] is False
    assert _done(theirs.json()["steps"])["cancel_subscriptions"] is True

    stranger = await owner(runtime)
    for method, tail in (
        ("GET", ""),
        ("POST", "/head-unit-profile-deleted"),
        ("POST", "/buyer-informed"),
    ):
        hidden = await client.request(
            method, f"/api/v1/vehicles/{vin}/sell-checklist{tail}", headers=stranger.headers
        )
        unknown = await client.request(
            method, f"/api/v1/vehicles/{VIN}/sell-checklist{tail}", headers=stranger.headers
        )
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json()["code"] == unknown.json()["code"] == "vehicle_not_found"
        assert hidden.json()["detail"] == unknown.json()["detail"]

"""Climate schedules: CRUD, and the job scheduler starting climate at the local time."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.notifications import service as notifications
from linkplus.runtime import Runtime
from tests.remote.support import RecordingPublisher, remote_car, set_twin

pytestmark = pytest.mark.usefixtures("paid_remote")

# The test clock starts on Saturday 2026-11-21 09:00 UTC (10:00 in Vienna).


async def test_weekly_schedule_runs_at_the_local_time_and_plans_the_next(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client, model_code="NX450HP")
    created = await client.post(
        f"{car.base}/climate-schedules",
        json={
            "name": "Work",
            "kind": "weekly",
            "weekdays": ["mon", "wed"],
            "at": "07:30",
            "timezone": "Europe/Vienna",
            "climate": {"temperature_c": 22, "defrost": {"front": True}},
        },
        headers=await car.headers(),
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["next_run_at"] == "2026-11-23T06:30:00Z"
    assert schedule["weekdays"] == ["mon", "wed"]

    clock.set(datetime(2026, 11, 23, 6, 29, tzinfo=UTC))
    await worker.run_due()
    assert publisher.sent == []
    clock.set(datetime(2026, 11, 23, 6, 30, tzinfo=UTC))
    await worker.run_due()
    await worker.run_due()
    sent = publisher.last()
    assert sent.type == "climate_start"
    assert sent.params["temperature_c"] == 22
    assert sent.params["mode"] == "advanced"

    listed = (await car.get("climate-schedules")).json()
    assert listed[0]["next_run_at"] == "2026-11-25T06:30:00Z"
    assert listed[0]["last_command_id"] == str(sent.msg_id)
    command = (await car.get(f"commands/{sent.msg_id}")).json()
    assert command["from_schedule"] == schedule["id"]


async def test_one_off_schedule_runs_once_then_disables(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client, model_code="UX300E", market="AT")
    created = await client.post(
        f"{car.base}/climate-schedules",
        json={"kind": "once", "on_date": "2026-11-22", "at": "08:00"},
        headers=await car.headers(),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["timezone"] == "Europe/Vienna"  # the market's zone by default
    assert body["next_run_at"] == "2026-11-22T07:00:00Z"
    clock.set(datetime(2026, 11, 22, 7, 0, tzinfo=UTC))
    await worker.run_due()
    await worker.run_due()
    assert len(publisher.sent) == 1
    after = (await car.get(f"climate-schedules/{body['id']}")).json()
    assert after["enabled"] is False
    assert after["next_run_at"] is None


async def test_a_refused_run_tells_the_owner_and_keeps_the_schedule(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client, model_code="NX450HP")
    created = (
        await client.post(
            f"{car.base}/climate-schedules",
            json={"kind": "weekly", "weekdays": ["sun"], "at": "12:00", "timezone": "UTC"},
            headers=await car.headers(),
        )
    ).json()
    await set_twin(
        runtime, car.vin, {"Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 10}
    )
    clock.set(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    await worker.run_due()
    assert publisher.sent == []
    async with runtime.db.transaction() as session:
        inbox = await notifications.inbox(session, account_id=car.owner.account.id)
    assert any("did not start" in n.title and "Charge the car" in n.body for n in inbox)
    after = (await car.get(f"climate-schedules/{created['id']}")).json()
    assert after["next_run_at"] == "2026-11-29T12:00:00Z"


async def test_editing_moves_the_run_and_the_old_time_does_nothing(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client, model_code="NX450HP")
    headers = await car.headers()
    created = (
        await client.post(
            f"{car.base}/climate-schedules",
            json={"kind": "weekly", "weekdays": ["sun"], "at": "12:00", "timezone": "UTC"},
            headers=headers,
        )
    ).json()
    url = f"{car.base}/climate-schedules/{created['id']}"
    patched = await client.patch(url, json={"at": "13:00"}, headers=headers)
    assert patched.status_code == 200, patched.text
    assert patched.json()["next_run_at"] == "2026-11-22T13:00:00Z"
    clock.set(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))
    await worker.run_due()
    assert publisher.sent == []
    clock.set(datetime(2026, 11, 22, 13, 0, tzinfo=UTC))
    await worker.run_due()
    await worker.run_due()
    assert len(publisher.sent) == 1

    headers = await car.headers()
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404
    clock.set(datetime(2026, 11, 29, 13, 0, tzinfo=UTC))
    await worker.run_due()
    assert len(publisher.sent) == 1


async def test_invalid_schedules_are_refused(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client, model_code="NX450HP")
    headers = await car.headers()
    url = f"{car.base}/climate-schedules"
    for body, code in [
        ({"kind": "weekly", "at": "07:00"}, "invalid_schedule"),
        ({"kind": "weekly", "weekdays": ["mon"], "at": "25:00"}, "invalid_input"),
        ({"kind": "once", "on_date": "2026-11-20", "at": "07:00"}, "invalid_schedule"),
        (
            {"kind": "weekly", "weekdays": ["mon"], "at": "07:00", "timezone": "Mars/X"},
            "invalid_schedule",
        ),
        ({"kind": "weekly", "weekdays": ["mon"], "at": "07:00", "owner": "x"}, "invalid_input"),
    ]:
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["code"] == code


async def test_schedules_need_advanced_climate(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client, model_code="UX250H")
    response = await client.post(
        f"{car.base}/climate-schedules",
        json={"kind": "weekly", "weekdays": ["mon"], "at": "07:00"},
        headers=await car.headers(),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_supported"

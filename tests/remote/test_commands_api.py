"""Commands over the API: each type through its lifecycle with the moved clock, signed for the
car, audited, and told to the owner."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from linkplus.audit import service as audit
from linkplus.jobs.worker import Worker
from linkplus.kit.clock import ManualClock
from linkplus.models.jobs import Job
from linkplus.notifications import service as notifications
from linkplus.remote import signing
from linkplus.runtime import Runtime
from tests.remote.support import RecordingPublisher, answer, complete, remote_car


async def test_door_lock_goes_accepted_sent_acknowledged_completed(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    response = await car.command({"type": "door-lock"})
    assert response.status_code == 202, response.text
    body = response.json()
    # Stored, then published by the request itself: the answer already says "sent".
    assert body["state"] == "sent"
    assert body["type"] == "door-lock"
    command_id = body["id"]
    events = await car.get("commands/stream?after=0&max_events=2")
    assert [line for line in events.text.splitlines() if line.startswith("event:")] == [
        "event: command",
        "event: command",
    ]
    assert '"state":"accepted"' in events.text
    assert '"state":"sent"' in events.text

    await worker.run_due()
    assert len(publisher.sent) == 1  # the send job, cancelled, does not send it again
    vin, sent = publisher.sent[-1]
    assert vin == car.vin
    assert str(sent.msg_id) == command_id
    assert sent.type == "door_lock"
    key = signing.command_key(runtime.settings, car.vin)
    now = runtime.clock.now()
    window = signing.ReplayWindow.up_to(0)
    assert signing.verify(key, sent, car.vin, now=now, window=window) is signing.VerifyOutcome.ok
    assert (await car.get(f"commands/{command_id}")).json()["state"] == "sent"

    await answer(runtime, worker, car.vin, command_id, "received")
    assert (await car.get(f"commands/{command_id}")).json()["state"] == "acknowledged"
    await answer(runtime, worker, car.vin, command_id, "succeeded")
    done = (await car.get(f"commands/{command_id}")).json()
    assert done["state"] == "completed"
    assert done["code"] is None
    assert done["finished_at"] is not None

    async with runtime.db.transaction() as session:
        entries = await audit.entries_for(session, subject_type="vehicle", subject_id=car.vin)
        inbox = await notifications.inbox(session, account_id=car.owner.account.id)
    actions = {entry.action for entry in entries}
    assert {"remote.command_accepted", "remote.command_completed"} <= actions
    finished = next(e for e in entries if e.action == "remote.command_completed")
    assert finished.details["type"] == "door-lock"
    assert finished.details["account_id"] == str(car.owner.account.id)
    assert any(n.kind == "remote_command" and "locked" in n.body for n in inbox)


async def test_counters_increase_per_car(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    first = (await car.command({"type": "door-lock"})).json()["id"]
    await worker.run_due()
    await complete(runtime, worker, car.vin, first)
    await car.command({"type": "door-unlock"})
    await worker.run_due()
    counters = [signing.counter_of(cmd) for _, cmd in publisher.sent]
    assert counters == [1, 2]


async def test_the_car_refusing_fails_the_command_with_the_same_code(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    command_id = (await car.command({"type": "door-lock"})).json()["id"]
    await worker.run_due()
    await answer(runtime, worker, car.vin, command_id, "failed", "smart_key_inside")
    failed = (await car.get(f"commands/{command_id}")).json()
    assert failed["state"] == "failed"
    assert failed["code"] == "smart_key_inside"
    assert "smart key" in failed["message"]
    async with runtime.db.transaction() as session:
        inbox = await notifications.inbox(session, account_id=car.owner.account.id)
    assert any("did not work" in n.title and "smart key" in n.body for n in inbox)


async def test_a_signature_rejection_is_reported(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    command_id = (await car.command({"type": "door-unlock"})).json()["id"]
    await worker.run_due()
    # A replay report is a duplicate delivery: the first delivery is still being answered.
    await answer(runtime, worker, car.vin, command_id, "rejected", "replayed")
    assert (await car.get(f"commands/{command_id}")).json()["state"] == "sent"
    await answer(runtime, worker, car.vin, command_id, "rejected", "bad_signature")
    failed = (await car.get(f"commands/{command_id}")).json()
    assert (failed["state"], failed["code"]) == ("failed", "rejected_by_car")


async def test_no_answer_expires_the_command_and_frees_the_subsystem(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client)
    command_id = (await car.command({"type": "door-lock"})).json()["id"]
    await worker.run_due()
    clock.advance(seconds=59)
    await worker.run_due()
    assert (await car.get(f"commands/{command_id}")).json()["state"] == "sent"
    busy = await car.command({"type": "door-unlock"})
    assert busy.status_code == 409
    assert busy.json()["code"] == "command_in_progress"

    clock.advance(seconds=1)
    await worker.run_due()
    expired = (await car.get(f"commands/{command_id}")).json()
    assert expired["state"] == "expired"
    assert expired["code"] == "no_answer"
    assert "coverage" in expired["message"]
    # A late answer does not revive it.
    await answer(runtime, worker, car.vin, command_id, "succeeded")
    assert (await car.get(f"commands/{command_id}")).json()["state"] == "expired"
    assert (await car.command({"type": "door-unlock"})).status_code == 202


async def test_a_command_is_never_published_after_its_expiry(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client)
    publisher.fail = True  # the broker is away: the send job retries
    command_id = (await car.command({"type": "door-lock"})).json()["id"]
    await worker.run_due()
    assert publisher.sent == []
    publisher.fail = False
    clock.advance(seconds=61)
    await worker.run_due()
    assert publisher.sent == []
    assert (await car.get(f"commands/{command_id}")).json()["state"] == "expired"


async def test_a_failed_publish_is_left_to_the_send_job_which_sends_it_once(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client)
    publisher.fail = True
    accepted = await car.command({"type": "door-lock"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["state"] == "accepted"  # stored; not published
    command_id = accepted.json()["id"]
    publisher.fail = False
    await worker.run_due()
    assert publisher.sent == []  # the job waits for the request's own publish first
    clock.advance(seconds=2)
    await worker.run_due()
    assert [str(cmd.msg_id) for _, cmd in publisher.sent] == [command_id]
    assert signing.counter_of(publisher.last()) == 1  # the failed attempt used no counter
    assert (await car.get(f"commands/{command_id}")).json()["state"] == "sent"
    clock.advance(seconds=10)
    await worker.run_due()
    assert len(publisher.sent) == 1


async def test_an_unexpected_error_while_publishing_still_answers_202_and_the_job_sends(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    car = await remote_car(runtime, client)
    original = publisher.publish_command

    async def broken(vin: str, command: Any) -> None:
        raise RuntimeError("a bug in the publishing path")

    monkeypatch.setattr(publisher, "publish_command", broken)
    accepted = await car.command({"type": "door-lock"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["state"] == "accepted"  # stored: retrying would be a second command
    monkeypatch.setattr(publisher, "publish_command", original)
    clock.advance(seconds=2)
    await worker.run_due()
    assert [str(cmd.msg_id) for _, cmd in publisher.sent] == [accepted.json()["id"]]


async def test_the_expiry_job_of_a_finished_command_is_cancelled(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    command_id = (await car.command({"type": "door-lock"})).json()["id"]
    await complete(runtime, worker, car.vin, command_id)
    async with runtime.db.transaction() as session:
        jobs = {
            job.name: job.state
            for job in (await session.scalars(select(Job))).all()
            if job.payload.get("command_id") == command_id
        }
    assert jobs == {"remote.send_command": "cancelled", "remote.expire_command": "cancelled"}


async def test_no_broker_connection_waits_and_sends_once_there(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, clock: ManualClock
) -> None:
    car = await remote_car(runtime, client)
    runtime.vehicle_link = None
    command_id = (await car.command({"type": "door-lock"})).json()["id"]
    await worker.run_due()
    recording = RecordingPublisher()
    runtime.vehicle_link = recording
    clock.advance(seconds=2)
    await worker.run_due()
    assert [str(cmd.msg_id) for _, cmd in recording.sent] == [command_id]


async def test_hazard_lights_run_60_seconds_then_may_start_again(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client)
    command_id = (await car.command({"type": "hazard-lights-on"})).json()["id"]
    await worker.run_due()
    assert publisher.last().params == {"seconds": 60}
    await complete(runtime, worker, car.vin, command_id)
    done = (await car.get(f"commands/{command_id}")).json()
    assert done["seconds_left"] == 60
    clock.advance(seconds=20)
    state = (await car.get("remote-state")).json()
    assert state["hazard_seconds_left"] == 40

    again = await car.command({"type": "hazard-lights-on"})
    assert again.status_code == 409
    assert again.json()["code"] == "hazard_lights_running"
    assert again.headers["Retry-After"] == "40"

    clock.advance(seconds=40)
    assert (await car.get(f"commands/{command_id}")).json()["seconds_left"] == 0
    assert (await car.command({"type": "hazard-lights-on"})).status_code == 202


async def test_climate_start_renew_twice_then_refused_then_stop(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client, model_code="UX250H")  # 10-minute runs, hybrid
    start = (await car.command({"type": "climate-start"})).json()
    await worker.run_due()
    sent = publisher.last()
    assert sent.type == "climate_start"
    assert sent.params == {
        "mode": "basic",
        "minutes": 10,
        "restore_last_trip_settings": True,
        "start_engine": True,
    }
    await complete(runtime, worker, car.vin, start["id"])
    assert (await car.get(f"commands/{start['id']}")).json()["seconds_left"] == 600
    state = (await car.get("remote-state")).json()
    assert state["engine_seconds_left"] == 600  # basic climate on a hybrid runs the engine
    assert state["climate_renewals_left"] == 2

    for left in (1, 0):
        clock.advance(minutes=5)
        renew = (await car.command({"type": "climate-renew"})).json()
        await worker.run_due()
        await complete(runtime, worker, car.vin, renew["id"])
        state = (await car.get("remote-state")).json()
        assert state["climate_renewals_left"] == left
    # 10 min + 2 renewals of 10 min, 10 min of it gone.
    assert state["climate_seconds_left"] == 20 * 60

    third = await car.command({"type": "climate-renew"})
    assert third.status_code == 409
    assert third.json()["code"] == "renewals_used_up"

    stop = (await car.command({"type": "climate-stop"})).json()
    await worker.run_due()
    await complete(runtime, worker, car.vin, stop["id"])
    state = (await car.get("remote-state")).json()
    assert state["climate_seconds_left"] == 0
    assert state["engine_seconds_left"] == 0
    refused = await car.command({"type": "climate-stop"})
    assert refused.json()["code"] == "climate_not_running"


async def test_climate_ends_by_itself_after_its_run(
    runtime: Runtime,
    client: httpx.AsyncClient,
    worker: Worker,
    clock: ManualClock,
    publisher: RecordingPublisher,
) -> None:
    car = await remote_car(runtime, client, model_code="RZ450E")  # BEV, 20 minutes
    start = (await car.command({"type": "climate-start"})).json()
    await worker.run_due()
    assert publisher.last().params["start_engine"] is False
    await complete(runtime, worker, car.vin, start["id"])
    clock.advance(minutes=20)
    renew = await car.command({"type": "climate-renew"})
    assert renew.json()["code"] == "climate_not_running"


@pytest.mark.usefixtures("paid_remote")
async def test_advanced_climate_sends_the_chosen_settings(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client, model_code="NX450HP")
    body = {
        "type": "climate-start",
        "temperature_c": 21.5,
        "seat_heating": {"driver": 2},
        "seat_ventilation": {"passenger": 1},
        "steering_wheel_heating": True,
        "defrost": {"front": True, "rear": False},
    }
    response = await car.command(body)
    assert response.status_code == 202, response.text
    await worker.run_due()
    params = publisher.last().params
    assert params["mode"] == "advanced"
    assert params["temperature_c"] == 21.5
    assert params["seat_heating"] == {"driver": 2}
    assert params["steering_wheel_heating"] is True
    assert params["defrost"] == {"front": True, "rear": False}
    assert params["start_engine"] is False


@pytest.mark.usefixtures("paid_remote")
async def test_engine_start_and_stop(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client, model_code="NX350H")
    assert (await car.command({"type": "engine-stop"})).json()["code"] == "engine_not_running"
    start = (await car.command({"type": "engine-start"})).json()
    await worker.run_due()
    assert publisher.last().type == "engine_start"
    assert publisher.last().params == {"minutes": 20}
    await complete(runtime, worker, car.vin, start["id"])
    assert (await car.get("remote-state")).json()["engine_seconds_left"] == 1200
    # Engine and climate share a subsystem: climate waits for no engine command in flight.
    stop = (await car.command({"type": "engine-stop"})).json()
    busy = await car.command({"type": "climate-start"})
    assert busy.json()["code"] == "command_in_progress"
    await worker.run_due()
    await complete(runtime, worker, car.vin, stop["id"])
    assert (await car.get("remote-state")).json()["engine_seconds_left"] == 0


async def test_other_subsystems_run_side_by_side(
    runtime: Runtime, client: httpx.AsyncClient, worker: Worker, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    assert (await car.command({"type": "door-lock"})).status_code == 202
    assert (await car.command({"type": "hazard-lights-on"})).status_code == 202
    assert (await car.command({"type": "climate-start"})).status_code == 202
    state = (await car.get("remote-state")).json()
    assert {c["subsystem"] for c in state["open_commands"]} == {"doors", "hazard", "climate"}
    listed = (await car.get("commands")).json()
    assert [c["type"] for c in listed][:3] == ["climate-start", "hazard-lights-on", "door-lock"]


async def test_unknown_fields_and_types_are_refused(
    runtime: Runtime, client: httpx.AsyncClient, publisher: RecordingPublisher
) -> None:
    car = await remote_car(runtime, client)
    assert (await car.command({"type": "door-lock", "force": True})).status_code == 422
    assert (await car.command({"type": "self-destruct"})).status_code == 422
    too_hot = {"type": "climate-start", "temperature_c": 45}
    assert (await car.command(too_hot)).status_code == 422

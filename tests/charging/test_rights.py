"""The owner's data: the export holds the account's chargers, sessions and meter values (not
the charger's password); erasing the account deletes the sessions and takes the charger out of
the account; removing a car unlinks it. Stale commands expire."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from linkplus.charging import data_erasure, data_export, metering, service, station
from linkplus.kit.clock import ManualClock
from linkplus.models.charging import Charger, ChargerCommand, ChargingMeterValue, ChargingSession
from linkplus.runtime import Runtime
from tests.charging.support import factory_charger, onboard, plug_in_owner


async def _a_session(runtime: Runtime, identity: str, id_tag: str) -> None:
    now = runtime.clock.now()
    async with runtime.db.transaction() as session:
        started = await station.start_transaction(
            session,
            identity,
            id_tag=id_tag,
            transaction_id=None,
            remote_start_id=None,
            meter_start_wh=5_000,
            now=now,
        )
        assert started.accepted
        reading = metering.Reading(energy_wh=9_000, power_w=7_400)
        await station.meter_values(
            session, identity, transaction_id=started.transaction_id, readings=[reading], now=now
        )
        await station.stop_transaction(
            session,
            identity,
            transaction_id=started.transaction_id,
            meter_stop_wh=12_000,
            reason="EVDisconnected",
            now=now,
        )


async def test_export_then_erasure(runtime: Runtime, client: httpx.AsyncClient) -> None:
    owner = await plug_in_owner(runtime, client)
    label = await factory_charger(runtime, "ERASE-ME")
    assert (await onboard(client, owner, label, name="Barn")).status_code == 201
    async with runtime.db.read() as session:
        charger = await session.scalar(select(Charger).where(Charger.identity == "ERASE-ME"))
    assert charger is not None
    assert charger.id_tag is not None
    await _a_session(runtime, "ERASE-ME", charger.id_tag.lower())  # idTags are case-insensitive

    history = (await client.get("/api/v1/chargers/ERASE-ME/sessions", headers=owner.headers)).json()
    assert history[0]["energy_wh"] == 7_000
    assert history[0]["cost"]["minor"] == 221  # 7 kWh at 0.315: 220.5 cents, half up
    assert history[0]["stop_reason"] == "EVDisconnected"

    async with runtime.db.read() as session:
        exported = await data_export.export(session, owner.account.id)
    tables = {table.table: table for table in exported.tables}
    assert tables["chargers"].rows[0]["name"] == "Barn"
    assert "password_hash" not in tables["chargers"].columns
    assert "password_hash" in tables["chargers"].withheld
    assert tables["charger_vehicles"].rows[0]["vin"] == owner.car.vin
    assert tables["charging_sessions"].rows[0]["energy_wh"] == 7_000
    assert len(tables["charging_meter_values"].rows) == 1

    async with runtime.db.transaction() as session:
        await data_erasure.erase_account_data(session, account_id=owner.account.id)
    async with runtime.db.read() as session:
        assert (await session.scalars(select(ChargingSession))).all() == []
        assert (await session.scalars(select(ChargingMeterValue))).all() == []
        kept = await session.scalar(select(Charger).where(Charger.identity == "ERASE-ME"))
        assert kept is not None
        assert (kept.account_id, kept.name, kept.password_hash, kept.id_tag) == (None,) * 4
    # The label onboards it again, into another account.
    other = await plug_in_owner(runtime, client)
    assert (await onboard(client, other, label)).status_code == 201


async def test_removing_the_car_unlinks_it(runtime: Runtime, client: httpx.AsyncClient) -> None:
    owner = await plug_in_owner(runtime, client)
    label = await factory_charger(runtime, "UNLINK")
    assert (await onboard(client, owner, label)).status_code == 201
    removed = await client.request(
        "DELETE",
        f"/api/v1/garage/vehicles/{owner.car.vin}",
        json={"confirm": True},
        headers=owner.headers,
    )
    assert removed.status_code in (200, 204), removed.text
    shown = (await client.get("/api/v1/chargers/UNLINK", headers=owner.headers)).json()
    assert shown["vins"] == []


async def test_a_command_no_process_sent_expires(
    runtime: Runtime, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    owner = await plug_in_owner(runtime, client)
    label = await factory_charger(runtime, "LOST")
    assert (await onboard(client, owner, label)).status_code == 201
    async with runtime.db.transaction() as session:  # its process died with the flag still set
        await station.connected(session, "LOST", protocol="ocpp1.6", now=clock.now())
    sent = await client.post("/api/v1/chargers/LOST/sessions", json={}, headers=owner.headers)
    assert sent.status_code == 202
    seconds = runtime.settings.ocpp_command_seconds
    for advance, expected in ((seconds - 1, 0), (2, 1)):
        clock.advance(timedelta(seconds=advance))
        async with runtime.db.transaction() as session:
            expired = await service.expire_commands(session, now=clock.now(), after_seconds=seconds)
        assert expired == expected
    async with runtime.db.read() as session:
        command = await session.scalar(select(ChargerCommand))
    assert command is not None
    assert command.state == "expired"

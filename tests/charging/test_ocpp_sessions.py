"""End to end over real WebSockets, in OCPP 1.6J and 2.0.1, on both databases: a charger added
with its label connects with its password, boots, beats and reports its status; the owner starts
charging from the app, the charger meters energy, the owner stops it; the session's energy and
cost at the charger's price are in the history and its CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from linkplus.kit.clock import ManualClock
from linkplus.runtime import Runtime
from linkplus.sim.charger import ChargerSpec, connect
from tests.charging.support import (
    eventually,
    factory_charger,
    onboard,
    plug_in_owner,
    served,
)

PROTOCOLS = ["ocpp1.6", "ocpp2.0.1"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_from_onboarding_to_the_cost_of_a_session(
    runtime: Runtime, clock: ManualClock, protocol: str
) -> None:
    async with served(runtime) as platform:
        http = platform.client
        owner = await plug_in_owner(runtime, http)
        label = await factory_charger(runtime, f"HOME-{protocol[-3:]}")
        added = await onboard(http, owner, label)
        assert added.status_code == 201, added.text
        credentials = added.json()
        assert credentials["ocpp_url"].endswith("/ocpp")
        assert credentials["charger"]["connected"] is False
        spec = ChargerSpec(
            identity=label.identity, password=credentials["password"], protocol=protocol
        )
        path = f"/api/v1/chargers/{label.identity}"

        async with connect(spec, platform.ocpp_url) as charger:
            assert await charger.boot() == "Accepted"
            shown = (await http.get(path, headers=owner.headers)).json()
            assert shown["connected"] is True
            assert shown["protocol"] == protocol
            assert (shown["vendor"], shown["model"]) == ("linkplus-sim", "Homecharge 11")
            assert shown["firmware_version"] == "1.4.2"
            assert shown["connector_status"] == "Available"
            assert shown["booted_at"] is not None

            clock.advance(minutes=5)
            await charger.heartbeat()
            beat = (await http.get(path, headers=owner.headers)).json()["last_heartbeat_at"]
            assert beat.startswith(clock.now().isoformat()[:16])

            started = await http.post(
                f"{path}/sessions", json={"vin": owner.car.vin}, headers=owner.headers
            )
            assert started.status_code == 202, started.text
            command = started.json()
            assert command["state"] == "pending"

            async def accepted() -> bool:
                got = await http.get(f"{path}/commands/{command['id']}", headers=owner.headers)
                return bool(got.json()["state"] == "accepted")

            await eventually(accepted, what="the charger to accept the start")
            await eventually(lambda: _true(charger.charging), what="the charger to start")
            sessions = (await http.get(f"{path}/sessions", headers=owner.headers)).json()
            assert len(sessions) == 1
            running = sessions[0]
            assert running["state"] == "active"
            assert running["vin"] == owner.car.vin

            # Two hours at 11 kW, reported every half hour: 22 kWh.
            for _ in range(4):
                clock.advance(minutes=1)  # the access token lives 15 minutes
                await charger.charge_for(1800)
            got = await http.get(f"{path}/sessions/{running['id']}", headers=owner.headers)
            assert got.status_code == 200, got.text
            detail = got.json()
            assert detail["energy_wh"] == 22_000
            assert len(detail["meter_values"]) >= 4
            assert detail["meter_values"][-1]["power_w"] == 11_000

            stopped = await http.post(
                f"{path}/sessions/{running['id']}/stop", headers=owner.headers
            )
            assert stopped.status_code == 202, stopped.text

            async def finished() -> bool:
                got = await http.get(f"{path}/sessions", headers=owner.headers)
                return bool(got.json()[0]["state"] == "finished")

            await eventually(finished, what="the session to end")

        done = (await http.get(f"{path}/sessions", headers=owner.headers)).json()[0]
        assert done["energy_wh"] == 22_000
        assert done["price_per_kwh"] == "0.3150"
        assert done["cost"] == {"minor": 693, "currency": "EUR"}  # 22 kWh at 0.315 EUR
        assert done["stop_reason"] == "Remote"

        async def offline() -> bool:
            got = await http.get(path, headers=owner.headers)
            return got.json()["connected"] is False

        await eventually(offline, what="the charger to show as disconnected")

        exported = await http.get(f"{path}/sessions.csv", headers=owner.headers)
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert len(rows) == 1
        assert rows[0]["energy_kwh"] == "22.000"
        assert rows[0]["cost"] == "6.93"
        assert rows[0]["vin"] == owner.car.vin


async def _true(value: Any) -> bool:
    return bool(value)

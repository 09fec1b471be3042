"""Who may connect: only an onboarded charger, with its identity as the Basic-auth user and the
password set when it was added, speaking a subprotocol we know. Everything else is refused
before the upgrade (401, or 400 for no common subprotocol) and logged; a token that is not the
account's starts nothing."""

from __future__ import annotations

import pytest
import websockets
from structlog.testing import capture_logs
from websockets.typing import Subprotocol

from linkplus.runtime import Runtime
from linkplus.sim.charger import ChargerSpec, basic_auth, connect
from tests.charging.support import eventually, factory_charger, onboard, plug_in_owner, served


async def _status_of_refusal(spec: ChargerSpec, url: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(spec, url):
            pass
    return refused.value.response.status_code


async def test_unknown_chargers_and_wrong_passwords_are_refused_and_logged(
    runtime: Runtime,
) -> None:
    async with served(runtime) as platform:
        owner = await plug_in_owner(runtime, platform.client)
        label = await factory_charger(runtime, "GARAGE-1")
        added = await onboard(platform.client, owner, label)
        password = added.json()["password"]
        not_onboarded = await factory_charger(runtime, "SHELF-9")

        cases = {
            "wrong password": ChargerSpec(label.identity, password + "x"),
            "unknown charger": ChargerSpec("NOBODY-1", password),
            "never onboarded": ChargerSpec(not_onboarded.identity, not_onboarded.activation_code),
        }
        with capture_logs() as logs:
            for what, spec in cases.items():
                assert await _status_of_refusal(spec, platform.ocpp_url) == 401, what
        refusals = [entry for entry in logs if entry["event"] == "ocpp.refused"]
        assert [entry["charger"] for entry in refusals] == ["GARAGE-1", "NOBODY-1", "SHELF-9"]
        assert {entry["reason"] for entry in refusals} == {"unknown_charger_or_wrong_password"}

        # Another charger's identity as the user name, with that charger's own password.
        with pytest.raises(websockets.InvalidStatus) as crossed:
            async with websockets.connect(
                f"{platform.ocpp_url}/{not_onboarded.identity}",
                subprotocols=[Subprotocol("ocpp1.6")],
                additional_headers={"Authorization": basic_auth(label.identity, password)},
            ):
                pass
        assert crossed.value.response.status_code == 401

        # No subprotocol we speak.
        with pytest.raises(websockets.InvalidStatus) as unknown_protocol:
            async with websockets.connect(
                f"{platform.ocpp_url}/{label.identity}",
                subprotocols=[Subprotocol("ocpp1.5")],
                additional_headers={"Authorization": basic_auth(label.identity, password)},
            ):
                pass
        assert unknown_protocol.value.response.status_code == 400

        # The right password still works, and a new one replaces it.
        async with connect(ChargerSpec(label.identity, password), platform.ocpp_url) as charger:
            assert await charger.boot() == "Accepted"
        renewed = await platform.client.post(
            f"/api/v1/chargers/{label.identity}/password", headers=owner.headers
        )
        assert renewed.status_code == 200
        assert (
            await _status_of_refusal(ChargerSpec(label.identity, password), platform.ocpp_url)
            == 401
        )
        fresh = ChargerSpec(label.identity, renewed.json()["password"])
        async with connect(fresh, platform.ocpp_url) as charger:
            assert await charger.boot() == "Accepted"

        # Removed from the account: its password no longer opens anything.
        removed = await platform.client.delete(
            f"/api/v1/chargers/{label.identity}", headers=owner.headers
        )
        assert removed.status_code == 204
        assert await _status_of_refusal(fresh, platform.ocpp_url) == 401


@pytest.mark.parametrize("protocol", ["ocpp1.6", "ocpp2.0.1"])
async def test_a_token_that_is_not_the_accounts_starts_nothing(
    runtime: Runtime, protocol: str
) -> None:
    async with served(runtime) as platform:
        owner = await plug_in_owner(runtime, platform.client)
        label = await factory_charger(runtime, "DRIVEWAY")
        password = (await onboard(platform.client, owner, label)).json()["password"]
        spec = ChargerSpec(label.identity, password, protocol=protocol)
        async with connect(spec, platform.ocpp_url) as charger:
            await charger.boot()
            assert await charger.start_locally("NOT-OURS-0001") is False
            assert not charger.charging
            history = await platform.client.get(
                f"/api/v1/chargers/{label.identity}/sessions", headers=owner.headers
            )
            assert history.json() == []


async def test_starting_needs_a_connected_charger_and_one_session_at_a_time(
    runtime: Runtime,
) -> None:
    async with served(runtime) as platform:
        http = platform.client
        owner = await plug_in_owner(runtime, http)
        label = await factory_charger(runtime, "CARPORT")
        password = (await onboard(http, owner, label)).json()["password"]
        path = f"/api/v1/chargers/{label.identity}/sessions"
        offline = await http.post(path, json={}, headers=owner.headers)
        assert offline.status_code == 409
        assert offline.json()["code"] == "charger_offline"
        async with connect(ChargerSpec(label.identity, password), platform.ocpp_url) as charger:
            await charger.boot()
            first = await http.post(path, json={}, headers=owner.headers)
            assert first.status_code == 202

            async def running() -> bool:
                return charger.charging

            await eventually(running, what="the charger to start")
            again = await http.post(path, json={}, headers=owner.headers)
            assert again.status_code == 409
            assert again.json()["code"] == "charging_session_running"
            # Started without naming a car: the charger's only car.
            assert (await http.get(path, headers=owner.headers)).json()[0]["vin"] == owner.car.vin

"""The charging pages answer only for the owner's own chargers: another account's charger, its
start, stop and CSV are the app's 404, as an unknown one."""

from __future__ import annotations

import httpx

from linkplus.runtime import Runtime
from tests.charging.support import factory_charger, onboard, plug_in_owner
from tests.web.support import signed_in_owner


async def test_another_accounts_charger_is_not_found(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await plug_in_owner(runtime, client)
    label = await factory_charger(runtime, "NEIGHBOUR")
    assert (await onboard(client, owner, label)).status_code == 201
    await signed_in_owner(runtime, client)
    mine = await client.get("/account/chargers")
    assert mine.status_code == 200
    assert "NEIGHBOUR" not in mine.text
    for name in ("NEIGHBOUR", "NO-SUCH"):
        page = await client.get(f"/account/chargers/{name}")
        csv = await client.get(f"/account/chargers/{name}/sessions.csv")
        assert page.status_code == csv.status_code == 404, name
        assert "Start charging" not in page.text
    token = mine.text.split('name="csrf_token" value="', 1)[-1].split('"', 1)[0]
    assert 16 <= len(token) < 200  # the page's own form token (the sign-out form carries one)
    for name in ("NEIGHBOUR", "NO-SUCH"):
        started = await client.post(f"/account/chargers/{name}/start", data={"csrf_token": token})
        assert started.status_code == 404, name

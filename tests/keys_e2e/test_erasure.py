"""Erasing an invited driver's account: their key is withdrawn from the car first (the signed
command, confirmed by the car), then the key and invitation rows go."""

from __future__ import annotations

from sqlalchemy import func, select

from linkplus.keys import data_erasure
from linkplus.keys.certificates import Refusal
from linkplus.models.keys import DigitalKey, KeyInvite, KeyRevocation
from linkplus.sim.keys import SimulatedPhone
from tests.keys_e2e.support import KeyWorld


async def test_an_erased_drivers_key_is_revoked_on_the_car_and_its_rows_deleted(
    world: KeyWorld,
) -> None:
    phone = SimulatedPhone()
    driver, key = await world.invited_driver("car", phone)
    async with world.runtime.db.transaction() as session:
        await data_erasure.erase_account_data(session, world.runtime, account_id=driver.account.id)

    async def confirmed() -> bool:
        async with world.runtime.db.transaction() as session:
            row = await session.scalar(select(KeyRevocation))
            return row is not None and row.confirmed_at is not None

    await world.link.until(confirmed, "the car to confirm the erased driver's revocation")
    assert phone.open(world.reader("car")) is Refusal.revoked
    async with world.runtime.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(DigitalKey)) == 0
        assert await session.scalar(select(func.count()).select_from(KeyInvite)) == 0
        revocation = await session.scalar(select(KeyRevocation))
        assert revocation is not None
        assert revocation.key_ids == [key["id"]]

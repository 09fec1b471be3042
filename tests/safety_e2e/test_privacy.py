"""Privacy, both directions, over the real protocol: during an emergency or a tracking the car's
position is stored for the case even with privacy mode on (and never in the owner's views);
outside them privacy mode keeps it out of storage as before, and without privacy mode it goes
to the owner's history as before and to no case."""

from __future__ import annotations

from sqlalchemy import func, select

from linkplus.models.safety import SafetyPosition
from linkplus.protocol.vehicle import Occupant
from tests.safety_e2e.support import SafetyLink


async def all_case_positions(slink: SafetyLink) -> int:
    async with slink.runtime.db.transaction() as session:
        found = await session.scalar(select(func.count()).select_from(SafetyPosition))
    return int(found or 0)


def send_position(slink: SafetyLink, lat_offset: float) -> None:
    """The car reports a position (as a unit that ignored its privacy mode would: the platform
    must not keep it)."""
    state = slink.car.state
    slink.safety.move_to(state.lat + lat_offset, state.lon, slink.clock.now())
    now = slink.clock.now()
    slink.unit.send_status(now, state.position_signals(now, for_a_case=True))


async def test_privacy_mode_keeps_positions_out_of_storage_outside_events(
    slink: SafetyLink,
) -> None:
    slink.unit.switch_privacy(True, slink.clock.now())
    await slink.advance(seconds=5)
    history, twin = await slink.owner_positions(), await slink.twin_latitude()
    for step in range(3):
        await slink.advance(seconds=30)
        send_position(slink, 0.001 * (step + 1))
        await slink.settle()
    assert await slink.owner_positions() == history
    assert await slink.twin_latitude() == twin
    assert await all_case_positions(slink) == 0


async def test_without_privacy_mode_positions_go_to_the_owner_and_to_no_case(
    slink: SafetyLink,
) -> None:
    history = await slink.owner_positions()
    await slink.advance(seconds=30)
    send_position(slink, 0.002)
    await slink.settle()
    assert await slink.owner_positions() == history + 1
    assert await slink.twin_latitude() == round(slink.car.state.lat, 6)
    assert await all_case_positions(slink) == 0


async def test_an_emergency_keeps_the_position_for_its_case_even_with_privacy_mode_on(
    slink: SafetyLink,
) -> None:
    slink.unit.switch_privacy(True, slink.clock.now())
    slink.unit.switch_ignition(True, slink.clock.now())
    await slink.advance(seconds=5)
    history, twin = await slink.owner_positions(), await slink.twin_latitude()
    assert slink.safety.press_sos(slink.clock.now(), occupant=Occupant.responding)
    await slink.advance(seconds=11)
    case = await slink.only_case()
    assert case["latitude"] is not None  # from the data set
    trail = await slink.trail(case["id"])
    assert trail == [(round(slink.car.state.lat, 6), round(slink.car.state.lon, 6))]
    assert await slink.owner_positions() == history
    assert await slink.twin_latitude() == twin

    # Closed, the case no longer holds the location: privacy mode decides again.
    await slink.advance(minutes=2)  # the call ends (its last position is the case's)
    await slink.act(case["id"], "take")
    await slink.act(case["id"], "close", outcome="assisted")
    kept = await all_case_positions(slink)
    await slink.advance(seconds=30)
    send_position(slink, 0.003)
    await slink.settle()
    assert await all_case_positions(slink) == kept
    assert await slink.owner_positions() == history

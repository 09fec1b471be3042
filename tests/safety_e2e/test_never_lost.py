"""An emergency event is never lost and never doubled: the gateway fails between receiving the
car's SOS attempt and storing it (the table of attempts is renamed away, so the whole
transaction fails for real and nothing is acknowledged); the broker delivers it again once the
database works, and the car's own retry of the same message changes nothing."""

from __future__ import annotations

from sqlalchemy import text

from linkplus.protocol.vehicle import Channel, EmergencyButton, Occupant, VehicleMessage
from linkplus.runtime import Runtime
from linkplus.vehicle_link.gateway import Result
from tests.crash.support import eventually
from tests.remote_e2e.support import WAIT
from tests.safety_e2e.support import SafetyLink


async def _rename(runtime: Runtime, old: str, new: str) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


async def test_an_sos_attempt_the_gateway_failed_to_store_is_stored_exactly_once(
    slink: SafetyLink,
) -> None:
    unit = slink.unit
    unit.switch_ignition(True, slink.clock.now())
    await slink.advance(seconds=5)
    sent: list[tuple[Channel, VehicleMessage]] = []
    queue = unit.queue

    def recording(channel: Channel, message: VehicleMessage) -> None:
        sent.append((channel, message))
        queue(channel, message)

    unit.queue = recording  # type: ignore[method-assign]
    gateway = slink.link.gateway
    failed_before = gateway.metrics.count(Result.failed)
    await _rename(slink.runtime, "safety_attempts", "safety_attempts_away")
    try:
        assert slink.safety.press_sos(slink.clock.now(), occupant=Occupant.silent)

        async def failed() -> bool:
            return gateway.metrics.count(Result.failed) > failed_before

        await eventually(failed, within=WAIT, what="the store to fail", every=0.02)
        assert await slink.cases_stored() == 0  # nothing half-written
    finally:
        await _rename(slink.runtime, "safety_attempts_away", "safety_attempts")

    async def stored() -> bool:
        return await slink.cases_stored() == 1

    await eventually(stored, within=WAIT, what="the attempt delivered again and stored")
    await slink.settle()
    assert await slink.attempts() == [(1, "connected")]

    # The car, never sure its message arrived, sends the very same one again.
    [(channel, attempt)] = [(c, m) for c, m in sent if isinstance(m, EmergencyButton)]
    queue(channel, attempt)
    await slink.settle()
    assert await slink.attempts() == [(1, "connected")]
    assert await slink.cases_stored() == 1
    case = await slink.only_case()
    assert case["attempts"] == 1
    detail = await slink.detail(case["id"])
    assert [e["action"] for e in detail["entries"]].count("attempt") == 1
    assert [e["action"] for e in detail["entries"]].count("opened") == 1

"""A page asks whether many services of one car are active: the car's service states are read
once per transaction (``db.read_memo``), and a write in that transaction is seen at once."""

from __future__ import annotations

from sqlalchemy import delete, event

from linkplus.connected_services import service
from linkplus.db import read_memo
from linkplus.models.services import ServiceActivation
from linkplus.runtime import Runtime
from tests.connected_services.support import primary_owner_of_new_car

SERVICES = ("remote_lock_unlock", "hazard_lights", "vehicle_status", "find_my_car", "standard")


async def test_the_states_are_read_once_per_transaction_and_again_after_a_write(
    runtime: Runtime,
) -> None:
    person, vin = await primary_owner_of_new_car(runtime)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement)

    engine = runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with runtime.db.transaction() as session:
            assert not await service.is_active(session, runtime, vin=vin, service=SERVICES[0])
            first = len(statements)
            for name in SERVICES:
                assert not await service.is_active(session, runtime, vin=vin, service=name)
            assert len(statements) == first  # answered from what was read

            now = runtime.clock.now()
            session.add(  # an ORM write: the next answer reads again and sees it
                ServiceActivation(
                    vin=vin, account_id=person.account.id, package="standard", started_at=now
                )
            )
            assert await service.is_active(session, runtime, vin=vin, service="remote_lock_unlock")
            assert len(statements) > first

            # a write that is not a flush (a DELETE statement) empties what was kept as well
            await session.execute(delete(ServiceActivation).where(ServiceActivation.vin == vin))
            assert not await service.is_active(session, runtime, vin=vin, service="standard")
        async with runtime.db.transaction() as session:
            assert read_memo(session) == {}  # a new transaction starts with nothing kept
    finally:
        event.remove(engine, "before_cursor_execute", count)

"""A fleet of simulated units, all started at once, on the embedded broker.

Before, 150 or more units connecting together never got through: the broker held a database
connection across each credential's scrypt check, so the pool ran dry and connections were
refused; the units all came back one second later with the same client ids, and amqtt's
take-over left each such session marked disconnected while its new connection was live, so
commands for those cars were queued and never delivered."""

from __future__ import annotations

from linkplus.runtime import Runtime
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.broker import EmbeddedBroker
from tests.servers import free_port
from tests.sim.support import provision_fleet, run_fleet

CARS = 150
BOUND = 120.0  # seconds per phase; a few on an idle machine, far more on a crowded one


async def test_150_units_connect_send_telemetry_and_answer_commands(runtime: Runtime) -> None:
    cars = await provision_fleet(runtime, CARS)
    secret = credentials.gateway_secret(runtime.settings)
    async with EmbeddedBroker(runtime.db, gateway_secret=secret, port=free_port()) as broker:
        figures = await run_fleet(
            cars, broker.address, broker.address, secret, statuses=2, bound=BOUND
        )
    assert figures.cars == CARS
    assert figures.telemetry_messages == 2 * CARS
    assert figures.commands == CARS  # every car answered its own command
    print(figures)

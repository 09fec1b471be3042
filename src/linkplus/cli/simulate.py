"""``linkplus simulate``: a fleet of simulated cars driving through the real vehicle protocol."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.discovery import locate
from linkplus.migrate import upgrade
from linkplus.remote import signing
from linkplus.sim.clock import replay_start
from linkplus.sim.fleet import Fleet
from linkplus.sim.registry import register_fleet
from linkplus.vehicle_link import credentials
from linkplus.vehicle_link.client import BrokerAddress
from linkplus.vehicle_link.mosquitto import MosquittoFilesRefused
from linkplus.vehicle_link.runner import NoVehicleListener, vehicle_broker_address

console = Console(stderr=True)
REFRESH_SECONDS = 0.5


def broker_address(settings: Settings, mqtt_url: str | None) -> BrokerAddress:
    """The broker the cars connect to: ``mqtt_url``, else the configured vehicle listener
    (``LINKPLUS_MQTT_VEHICLE_URL``), else the broker ``serve`` starts inside its process (MQTT
    3.1.1 on 127.0.0.1). Never the platform's own listener (``LINKPLUS_MQTT_URL``)."""
    if mqtt_url:
        return BrokerAddress.from_url(mqtt_url)
    return vehicle_broker_address(settings)


def _status(fleet: Fleet) -> Text:
    stats = fleet.stats
    return Text.assemble(
        ("simulated time ", "dim"),
        (f"{fleet.clock.now():%Y-%m-%d %H:%M:%S} UTC", "bold"),
        f"  cars {len(fleet.units)}  trips {stats.trips}  messages sent {stats.sent}",
        f"  buffered {stats.buffered}  asleep {stats.asleep}",
    )


async def _run(
    settings: Settings, *, vehicles: int, seed: int, speed: float, url: str | None
) -> None:
    address = broker_address(settings, url)
    runtime = build_runtime(settings)
    try:
        cars = await register_fleet(runtime, vehicles_count=vehicles, seed=seed)
        start = runtime.clock.now().replace(microsecond=0)
        # The new secrets reach Mosquitto before any car tries them.
        synced = await credentials.push_to_broker(runtime.db, settings)
    finally:
        await runtime.db.dispose()
    if synced is credentials.BrokerSync.written:
        console.print("Mosquitto's password file rewritten, but no running Mosquitto to reload.")
    console.print(
        f"{len(cars)} simulated car(s) registered; connecting to {address.host}:{address.port} "
        f"(MQTT {address.version.value}). Ctrl-C stops."
    )
    # The cars verify remote commands with keys derived from the platform's master secret, as
    # real units provisioned at the factory would.
    fleet = Fleet(
        cars,
        address,
        seed=seed,
        speed=speed,
        start=replay_start(start, speed),
        platform_start=start,
        command_master=signing.master_secret(settings),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    runner = asyncio.create_task(fleet.run(stop))
    with Live(_status(fleet), console=console, refresh_per_second=4, transient=False) as live:
        while not runner.done():
            await asyncio.wait({runner}, timeout=REFRESH_SECONDS)
            live.update(_status(fleet))
    await runner


def simulate(
    vehicles: Annotated[int, typer.Option(min=1, max=10_000, help="How many cars.")] = 3,
    seed: Annotated[int, typer.Option(help="Same seed, same cars, same trips.")] = 1,
    speed: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Simulated time per real time while the cars replay the last hour (60: in a "
            "minute); then real time, as a car never reports a time still to come.",
        ),
    ] = 60.0,
    mqtt_url: Annotated[
        str | None,
        typer.Option(
            envvar="LINKPLUS_MQTT_VEHICLE_URL",
            help="The broker's vehicle listener (mqtt://host:port); default: the broker `serve` "
            "starts. Not LINKPLUS_MQTT_URL, the platform's own listener, which refuses cars.",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the platform's SQLite file and keys live.")
    ] = None,
) -> None:
    """Drive simulated cars through the real vehicle protocol until Ctrl-C."""
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir is not None else {}
    # The broker of the running serve/demo of this data dir, unless one is configured.
    settings, _running = locate(Settings(**overrides))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)  # the registry tables must exist, as for `serve`
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_run(settings, vehicles=vehicles, seed=seed, speed=speed, url=mqtt_url))
    except (NoVehicleListener, MosquittoFilesRefused) as exc:
        console.print(f"[red]Not started:[/] {exc}", soft_wrap=True)
        raise typer.Exit(code=1) from exc

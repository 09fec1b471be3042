"""The ``linkplus`` command: serve, demo, worker, database and staff administration."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from linkplus.cli.billing import billing_app
from linkplus.cli.charging import chargers_app, ocpp
from linkplus.cli.mosquitto import mosquitto_app
from linkplus.cli.simulate import simulate
from linkplus.cli.vehicles import vehicles_app
from linkplus.config import Settings
from linkplus.discovery import announce, locate, not_found_hint
from linkplus.migrate import revisions, upgrade
from linkplus.models.accounts import StaffRole
from linkplus.serving import WEBSOCKETS, PortUnavailable, bind_tcp, check_free, http_protocol

app = typer.Typer(
    help="linkplus: open connected-vehicle services platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database administration.", no_args_is_help=True)
staff_app = typer.Typer(
    help="Staff accounts (dealers, agents, administrators).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
app.add_typer(vehicles_app, name="vehicles")
app.add_typer(billing_app, name="billing")
app.add_typer(chargers_app, name="chargers")
app.command(help="Run only the OCPP central system for home chargers.")(ocpp)
app.add_typer(mosquitto_app, name="mosquitto")
app.command(help="Drive a simulated fleet over the real vehicle protocol.")(simulate)
console = Console(stderr=True)


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def platform_settings(**overrides: Any) -> Settings:
    """Settings for a command that talks to the running platform: what is set explicitly, else
    the addresses the running ``serve``/``demo`` of this data dir recorded (``discovery``)."""
    return locate(_settings(**overrides))[0]


def _embedded_broker(settings: Settings) -> bool:
    return not settings.mqtt_url and settings.gateway_enabled


def _port_refused(exc: PortUnavailable, what: str, option: str, setting: str) -> typer.Exit:
    typer.echo(
        f"Cannot listen on {exc.host}:{exc.port} for the {what}: {exc.reason}. "
        f"Choose another port with {option} or the {setting} setting.",
        err=True,
    )
    return typer.Exit(code=1)


def claim_ports(settings: Settings) -> socket.socket:
    """Bind the HTTP port now (uvicorn serves on this very socket, so no other program can take
    it in between) and check the embedded broker's; a port that cannot be had ends the command
    with one line naming the option and the setting that choose it."""
    try:
        sock = bind_tcp(settings.host, settings.port)
    except PortUnavailable as exc:
        raise _port_refused(exc, "HTTP server", "--port", "LINKPLUS_PORT") from None
    if _embedded_broker(settings):
        try:
            check_free("127.0.0.1", settings.mqtt_port)
        except PortUnavailable as exc:
            sock.close()
            raise _port_refused(
                exc, "embedded MQTT broker", "--mqtt-port", "LINKPLUS_MQTT_PORT"
            ) from None
    return sock


def migrate_with_progress(settings: Settings) -> None:
    """Apply every pending migration, showing one step per revision."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    steps = revisions(url)
    with Progress(
        TextColumn("[bold]Migrating database"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.description}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(steps))
        upgrade(url, on_step=lambda rev: progress.update(task, advance=1, description=rev))
    console.print(f"Database ready at revision {steps[-1]}.")


Companion = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def run_server(
    settings: Settings,
    *,
    sock: socket.socket | None = None,
    banner: list[str] | None = None,
    companion: Companion | None = None,
) -> None:
    """Serve HTTP (and the worker) until Ctrl-C; shut down cleanly.

    ``sock`` is the HTTP socket ``claim_ports`` bound (default: bound here). While serving, the
    addresses are recorded in the data dir for the other commands (``discovery``).
    ``companion(stop)`` runs next to the server once it has started (the vehicle link's broker
    is up by then) and is stopped, and awaited, before the server shuts its broker down.
    """
    from linkplus.app import create_app
    from linkplus.bootstrap import build_runtime

    if sock is None:
        sock = claim_ports(settings)
    runtime = build_runtime(settings)
    application = create_app(runtime)
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        http=http_protocol(settings.header_timeout_seconds),
        ws=WEBSOCKETS,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    stop = asyncio.Event()
    running: list[asyncio.Task[None]] = []
    if banner or companion:
        original_startup = server.startup
        original_shutdown = server.shutdown

        async def startup(sockets: Any = None) -> None:
            await original_startup(sockets=sockets)
            if not server.started:
                return
            if companion is not None:
                running.append(asyncio.create_task(companion(stop), name="companion"))
            for line in banner or []:
                console.print(line)

        async def shutdown(sockets: Any = None) -> None:
            stop.set()
            for task in running:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(task, timeout=15)
            await original_shutdown(sockets=sockets)

        server.startup = startup  # type: ignore[method-assign]
        server.shutdown = shutdown  # type: ignore[method-assign]
    with (
        announce(settings, embedded_broker=_embedded_broker(settings)),
        contextlib.suppress(KeyboardInterrupt),
    ):
        asyncio.run(server.serve(sockets=[sock]))


MqttPortOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=65535,
        help="Port of the embedded MQTT broker on 127.0.0.1 (setting LINKPLUS_MQTT_PORT, "
        "default 1883); unused when LINKPLUS_MQTT_URL names an external broker.",
    ),
]


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on (LINKPLUS_PORT).")
    ] = None,
    mqtt_port: MqttPortOption = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite file and keys live.")
    ] = None,
) -> None:
    """Run the platform: HTTP API, web app and job worker in one process."""
    settings = _settings(host=host, port=port, mqtt_port=mqtt_port, data_dir=data_dir)
    sock = claim_ports(settings)
    migrate_with_progress(settings)
    run_server(
        settings,
        sock=sock,
        banner=[f"linkplus is running at http://{settings.host}:{settings.port}/"],
    )


@app.command()
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    mqtt_port: MqttPortOption = None,
    data_dir: Annotated[Path, typer.Option(help="Where the demo's database lives.")] = Path("var"),
    no_simulator: Annotated[
        bool, typer.Option("--no-simulator", help="Do not drive the simulated fleet.")
    ] = False,
    sim_speed: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Simulated time per real time while the demo cars replay today since midnight "
            "(30: half an hour for a demo started in the afternoon); then real time.",
        ),
    ] = 30.0,
    email: Annotated[str, typer.Option(help="The demo owner's e-mail.")] = "demo@example.com",
    password: Annotated[str, typer.Option(help="The demo owner's password.")] = "linkplus-demo",  # noqa: S107
) -> None:
    """Run the platform with a demo owner, ready to try in a browser; unless --no-simulator, the
    owner's three cars drive around the simulator's city meanwhile. Ctrl-C stops it."""
    from linkplus.demo import demo_fleet, drive_fleet, prepare_demo
    from linkplus.demo.push_key import with_demo_push_key
    from linkplus.remote import signing
    from linkplus.vehicle_link.mosquitto import MosquittoFilesRefused
    from linkplus.vehicle_link.runner import NoVehicleListener, vehicle_broker_address

    settings = _settings(
        port=port,
        mqtt_port=mqtt_port,
        data_dir=data_dir,
        dev_mailbox=True,
        public_url=f"http://127.0.0.1:{port}",
    )
    sock = claim_ports(settings)
    settings = with_demo_push_key(settings)  # Web Push in the demo: a key kept in the data dir
    migrate_with_progress(settings)
    try:
        cars_broker = vehicle_broker_address(settings)  # the cars' listener, never the gateways'
    except NoVehicleListener as exc:
        sock.close()
        console.print(f"[red]Not started:[/] {exc}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    setup = asyncio.run(
        prepare_demo(settings, email=email, password=password, simulate=not no_simulator)
    )
    if setup.fleet:
        try:
            asyncio.run(_push_credentials(settings))
        except MosquittoFilesRefused as exc:
            sock.close()
            console.print(f"[red]Not started:[/] {exc}", soft_wrap=True)
            raise typer.Exit(code=1) from exc
    companion: Companion | None = None
    if setup.fleet:

        async def companion(stop: asyncio.Event) -> None:
            fleet = demo_fleet(
                setup,
                cars_broker,
                speed=sim_speed,
                command_master=signing.master_secret(settings),
            )
            await drive_fleet(fleet, stop)

    url = f"http://127.0.0.1:{port}/"
    run_server(
        settings,
        sock=sock,
        banner=[
            "",
            f"[bold green]linkplus demo[/] is running at [bold]{url}[/]",
            f"  sign in as [bold]{email}[/] with password [bold]{password}[/]",
            *setup.banner_lines(),
            *setup.fleet_banner(sim_speed),
            f"  mail sent by the platform: {url}dev/mailbox",
            f"  API documentation: {url}api/v1/docs",
            "  press Ctrl-C to stop",
        ],
        companion=companion,
    )


async def _push_credentials(settings: Settings) -> None:
    """The demo cars' new secrets to Mosquitto (when LINKPLUS_MOSQUITTO_DIR is set)."""
    from linkplus.db import Database, create_engine
    from linkplus.vehicle_link import credentials

    db = Database(create_engine(settings.resolved_database_url, pool=False))
    try:
        await credentials.push_to_broker(db, settings)
    finally:
        await db.engine.dispose()


@app.command()
def worker(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite file and keys live.")
    ] = None,
) -> None:
    """Run only the job worker (several may run against one PostgreSQL database)."""
    from linkplus.bootstrap import build_runtime
    from linkplus.jobs.worker import Worker
    from linkplus.observability import configure_logging

    settings = platform_settings(data_dir=data_dir)
    configure_logging(json=settings.log_json, level=settings.log_level)

    async def main() -> None:
        from linkplus.vehicle_link.runner import command_publisher

        runtime = build_runtime(settings)
        runtime.vehicle_link = command_publisher(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await Worker(runtime).run_forever(stop)
        finally:
            await runtime.vehicle_link.close()
            await runtime.db.dispose()

    asyncio.run(main())


@app.command()
def gateway(
    instance: Annotated[
        str | None,
        typer.Option(
            help="This process's name, unique among the platform's processes (letters, digits, "
            "_ .; setting LINKPLUS_INSTANCE); default: the host's name and the process id."
        ),
    ] = None,
    share_group: Annotated[
        str, typer.Option(help="MQTT 5 shared-subscription group the gateways split the load in.")
    ] = "linkplus",
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite file and keys live.")
    ] = None,
) -> None:
    """Run only the vehicle gateway; several share the load through $share/<group>/... on an
    MQTT 5 broker (LINKPLUS_MQTT_URL), each with its own --instance."""
    from prometheus_client import CollectorRegistry, start_http_server

    from linkplus.bootstrap import build_runtime
    from linkplus.observability import configure_logging
    from linkplus.vehicle_link import credentials
    from linkplus.vehicle_link.gateway import Gateway
    from linkplus.vehicle_link.runner import broker_address, process_instance

    if instance is not None and not re.fullmatch(r"[A-Za-z0-9_.]{1,40}", instance):
        raise typer.BadParameter("use 1 to 40 letters, digits, '_' or '.'", param_hint="--instance")
    settings, running = locate(_settings(data_dir=data_dir, instance=instance))
    configure_logging(json=settings.log_json, level=settings.log_level)
    if not settings.mqtt_url:
        console.print(
            "LINKPLUS_MQTT_URL is not set: connecting to the broker of a local 'linkplus serve' "
            f"(127.0.0.1:{settings.mqtt_port}, MQTT 3.1.1, no shared subscriptions).",
            soft_wrap=True,
        )
        if running is None and "mqtt_port" not in settings.model_fields_set:
            console.print(
                not_found_hint(settings, "the broker's port is the default", "LINKPLUS_MQTT_PORT"),
                soft_wrap=True,
            )
    registry = CollectorRegistry()
    if metrics_port is not None:
        start_http_server(metrics_port, addr="127.0.0.1", registry=registry)

    async def main() -> None:
        runtime = build_runtime(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        name = process_instance(settings)
        process = Gateway(
            runtime,
            broker_address(settings),
            secret=credentials.gateway_secret(settings),
            instance=name,
            share_group=share_group,
            registry=registry,
        )
        console.print(f"Gateway {name} running; Ctrl-C stops it.")
        try:
            await process.run(stop)
        finally:
            await runtime.db.dispose()

    asyncio.run(main())


@vehicles_app.command("provision")
def vehicles_provision(
    vin: Annotated[str, typer.Argument(help="The car's VIN (registered in the vehicle registry).")],
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file lives.")] = None,
) -> None:
    """Create (or rotate) the telematics unit's MQTT secret and print it, the only time it is
    shown, then the unit's command-signing key and its key authority's public key (both derived,
    so they can be printed again). With LINKPLUS_MOSQUITTO_DIR set (see `linkplus mosquitto
    setup`), also rewrite Mosquitto's vehicle password file there and make Mosquitto reload it."""
    from linkplus.bootstrap import build_runtime
    from linkplus.errors import ProblemError
    from linkplus.keys import service as keys
    from linkplus.remote import signing
    from linkplus.vehicle_link import credentials, mosquitto

    settings = _settings(data_dir=data_dir)

    async def main() -> tuple[str, credentials.BrokerSync]:
        runtime = build_runtime(settings)
        try:
            async with runtime.db.transaction() as session:
                secret = await credentials.provision(
                    session, vin=vin.strip().upper(), now=runtime.clock.now()
                )
            return secret, await credentials.push_to_broker(runtime.db, settings)
        finally:
            await runtime.db.dispose()

    try:
        secret, synced = asyncio.run(main())
    except ProblemError as exc:
        console.print(f"[red]Not provisioned:[/] {exc.detail}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    except mosquitto.MosquittoFilesRefused as exc:
        console.print(f"[red]Provisioned, but Mosquitto not updated:[/] {exc}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    typer.echo(secret)
    typer.echo(f"command key: {signing.command_key_text(settings, vin.strip().upper())}")
    typer.echo(f"key authority: {keys.authority_public_text(settings, vin.strip().upper())}")
    console.print(
        f"Unit {vin.strip().upper()} provisioned. The secret above is not stored and will not be "
        "shown again: flash it into the unit now."
    )
    if synced is credentials.BrokerSync.reloaded:
        console.print("Mosquitto's password file rewritten and reloaded.")
    elif synced is credentials.BrokerSync.written:
        console.print(
            f"Rewrote {settings.mosquitto_dir}/vehicles.passwd, but found no running Mosquitto "
            "to reload: start it, or send it SIGHUP."
        )


@db_app.command("upgrade")
def db_upgrade(
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file lives.")] = None,
) -> None:
    """Apply all pending database migrations."""
    migrate_with_progress(_settings(data_dir=data_dir))


@staff_app.command("create")
def staff_create(
    role: Annotated[StaffRole, typer.Option(help="The staff member's role.")],
    email: Annotated[str, typer.Option(help="Sign-in e-mail address.")],
    name: Annotated[str, typer.Option(help="Full name, shown in the audit log.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file lives.")] = None,
) -> None:
    """Create a staff account. This is the only way a staff role comes into existence."""
    from linkplus.accounts import service as accounts
    from linkplus.bootstrap import build_runtime
    from linkplus.errors import ProblemError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = _settings(data_dir=data_dir)

    async def main() -> str:
        runtime = build_runtime(settings)
        try:
            async with runtime.db.transaction() as session:
                staff = await accounts.create_staff(
                    session, runtime, email=email, name=name, role=role, password=password
                )
                return str(staff.id)
        finally:
            await runtime.db.dispose()

    try:
        staff_id = asyncio.run(main())
    except ProblemError as exc:
        console.print(f"[red]Not created:[/] {exc.detail}")
        raise typer.Exit(code=1) from exc
    console.print(f"Staff account {email} ({role.value}) created: {staff_id}")


def main() -> None:
    app()

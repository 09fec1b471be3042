"""``linkplus mosquitto``: the configuration of a Mosquitto broker for the platform."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.migrate import upgrade
from linkplus.vehicle_link import credentials, mosquitto
from linkplus.vehicle_link.acl import GATEWAY_USERNAME

mosquitto_app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@mosquitto_app.callback()
def mosquitto_group() -> None:
    """Run the vehicle link on Mosquitto (MQTT 5): its configuration, listeners and files."""


async def _entries(settings: Settings) -> list[tuple[str, str]]:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.read() as session:
            return await credentials.broker_password_entries(session)
    finally:
        await runtime.db.dispose()


@mosquitto_app.command("setup")
def setup(
    directory: Annotated[
        Path,
        typer.Option(
            "--dir",
            help="Where to write mosquitto.conf, the password and ACL files (default: the "
            "LINKPLUS_MOSQUITTO_DIR setting, else <data dir>/mosquitto).",
        ),
    ] = Path(),
    vehicle_port: Annotated[
        int, typer.Option(min=1, max=65535, help="The cars' listener (TLS in production).")
    ] = 8883,
    vehicle_bind: Annotated[
        str, typer.Option(help="Address of the cars' listener (0.0.0.0: every interface).")
    ] = "0.0.0.0",  # noqa: S104 - the cars reach it from the Internet
    gateway_port: Annotated[
        int, typer.Option(min=1, max=65535, help="The platform's own listener.")
    ] = 1884,
    gateway_bind: Annotated[
        str, typer.Option(help="Address of the platform's listener: keep it private.")
    ] = "127.0.0.1",
    tls_cafile: Annotated[Path | None, typer.Option(help="CA file (vehicle listener).")] = None,
    tls_certfile: Annotated[
        Path | None, typer.Option(help="Certificate (vehicle listener).")
    ] = None,
    tls_keyfile: Annotated[
        Path | None, typer.Option(help="Private key (vehicle listener).")
    ] = None,
    run_as: Annotated[
        str | None,
        typer.Option(
            help="The user Mosquitto runs as (default: 'mosquitto' when this runs as root, "
            "else this user); the files are made readable by that user only."
        ),
    ] = None,
    no_persistence: Annotated[
        bool, typer.Option("--no-persistence", help="Keep sessions in memory only.")
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file lives.")] = None,
) -> None:
    """Write Mosquitto's configuration (two listeners), the vehicles' password file from the
    database, the gateways' password file and both ACLs, then print the settings that point
    the platform at it. Safe to repeat; a running Mosquitto is told to reload."""
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir is not None else {}
    settings = Settings(**overrides)
    target = directory if directory != Path() else None
    target = (target or settings.mosquitto_dir or settings.data_dir / "mosquitto").resolve()
    tls = None
    if tls_cafile or tls_certfile or tls_keyfile:
        if tls_cafile is None or tls_certfile is None or tls_keyfile is None:
            console.print(
                "[red]Not written:[/] TLS needs --tls-cafile, --tls-certfile and "
                "--tls-keyfile together."
            )
            raise typer.Exit(code=1)
        tls = mosquitto.Tls(cafile=tls_cafile, certfile=tls_certfile, keyfile=tls_keyfile)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)  # the credentials table must exist
    entries = asyncio.run(_entries(settings))
    try:
        files = mosquitto.write_setup(
            target,
            vehicles=mosquitto.Listener(vehicle_port, vehicle_bind),
            gateway=mosquitto.Listener(gateway_port, gateway_bind),
            gateway_username=GATEWAY_USERNAME,
            gateway_secret=credentials.gateway_secret(settings),
            vehicle_entries=entries,
            tls=tls,
            persistence=not no_persistence,
            run_as=run_as,
        )
    except mosquitto.MosquittoFilesRefused as exc:
        console.print(f"[red]Not written:[/] {exc}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    reloaded = mosquitto.reload(files)
    scheme = "mqtts" if tls else "mqtt"
    vehicle_host = "127.0.0.1" if vehicle_bind in ("0.0.0.0", "::") else vehicle_bind  # noqa: S104
    console.print(
        f"Wrote {files.config} ({len(entries)} vehicle credential(s)). "
        + ("Mosquitto reloaded." if reloaded else f"Start Mosquitto: mosquitto -c {files.config}"),
        soft_wrap=True,
    )
    console.print("Point the platform at it (environment or .env):", soft_wrap=True)
    typer.echo(f"LINKPLUS_MQTT_URL=mqtt://{gateway_bind}:{gateway_port}")
    typer.echo(f"LINKPLUS_MQTT_VEHICLE_URL={scheme}://{vehicle_host}:{vehicle_port}")
    typer.echo(f"LINKPLUS_MOSQUITTO_DIR={target}")

"""``linkplus chargers``: the manufacturer's side of home chargers (registering one with the
code printed on its label), and ``linkplus ocpp``: the OCPP central system as a process of its
own, for holding chargers apart from ``serve``."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console

from linkplus.bootstrap import build_runtime
from linkplus.charging import activation, service
from linkplus.charging.schemas import IDENTITY_PATTERN
from linkplus.config import Settings
from linkplus.migrate import upgrade
from linkplus.serving import WEBSOCKETS, PortUnavailable, bind_tcp, http_protocol

chargers_app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@chargers_app.callback()
def chargers() -> None:
    """Home chargers: register one as it leaves the factory."""


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


@chargers_app.command("register")
def register(
    identity: Annotated[str, typer.Argument(help="The charger's OCPP identity (its label).")],
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file lives.")] = None,
) -> None:
    """Register a charger and print the activation code (and QR text) for its label."""
    if not re.fullmatch(IDENTITY_PATTERN, identity):
        console.print("An identity is 1 to 48 letters, digits, '.', '_' or '-'.")
        raise typer.Exit(code=1)
    settings = _settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    code = service.new_activation_code()

    async def main() -> None:
        runtime = build_runtime(settings)
        try:
            async with runtime.db.transaction() as session:
                await service.register_charger(
                    session, identity=identity, activation_code=code, now=runtime.clock.now()
                )
        finally:
            await runtime.db.dispose()

    try:
        asyncio.run(main())
    except Exception as exc:  # the identity is taken: the unique index says so
        console.print(f"Not registered: {exc.__class__.__name__} (is {identity} registered?)")
        raise typer.Exit(code=1) from exc
    typer.echo(f"identity: {identity}")
    typer.echo(f"activation code: {code}")
    typer.echo(f"QR code text: {activation.qr_text(identity, code.replace('-', ''))}")


def ocpp(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 9000,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file lives.")] = None,
) -> None:
    """Run only the OCPP central system (WebSockets at /ocpp/{charger_id}); run serve with
    LINKPLUS_OCPP_ENABLED=false beside it, against the same database."""
    from linkplus.charging.server import standalone_app

    settings = _settings(host=host, data_dir=data_dir)
    try:
        sock = bind_tcp(settings.host, port)
    except PortUnavailable as exc:
        typer.echo(f"Cannot listen on {exc.host}:{exc.port}: {exc.reason}. Use --port.", err=True)
        raise typer.Exit(code=1) from None
    upgrade(settings.resolved_database_url)
    runtime = build_runtime(settings)
    config = uvicorn.Config(
        standalone_app(runtime),
        http=http_protocol(settings.header_timeout_seconds),
        ws=WEBSOCKETS,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    console.print(f"OCPP central system at ws://{settings.host}:{port}/ocpp/{{charger_id}}")
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))

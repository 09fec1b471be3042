"""``linkplus billing run [--date D]``: the daily billing run, by hand or from cron."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console

from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.discovery import locate, not_found_hint
from linkplus.migrate import upgrade
from linkplus.payments.endpoint import provider_url
from linkplus.subscriptions.billing_run import RunReport, run_billing

billing_app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@billing_app.callback()
def billing() -> None:
    """Subscriptions billing: the daily run."""


def _provider_reachable(settings: Settings, *, found: bool) -> None:
    """Stop before billing anything when the payment provider cannot be reached at all, saying
    where it was looked for and which setting to set: a run against the wrong address would
    record every due charge as failed."""
    url = provider_url(settings)
    try:
        httpx.get(url, timeout=min(settings.payment_timeout_seconds, 5.0))
    except httpx.TransportError as exc:
        if settings.payment_provider_url:
            hint = "Check LINKPLUS_PAYMENT_PROVIDER_URL."
        elif found or "public_url" in settings.model_fields_set:
            hint = "Check that the platform is running at LINKPLUS_PUBLIC_URL."
        else:
            hint = not_found_hint(
                settings,
                "the sandbox provider was looked for at the default address",
                "LINKPLUS_PUBLIC_URL (or LINKPLUS_PAYMENT_PROVIDER_URL)",
            )
        typer.echo(f"The payment provider cannot be reached at {url} ({exc}). {hint}", err=True)
        raise typer.Exit(code=1) from None


async def _run(settings: Settings, day: date | None, concurrency: int) -> RunReport:
    runtime = build_runtime(settings)
    try:
        return await run_billing(runtime, day=day, concurrency=concurrency)
    finally:
        await runtime.db.dispose()


@billing_app.command("run")
def run(
    day: Annotated[
        str | None,
        typer.Option("--date", help="The day to bill for (YYYY-MM-DD); default today (UTC)."),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Chunks of subscriptions processed at once (each with up to 16 charges out).",
        ),
    ] = 4,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the SQLite file and keys live.")
    ] = None,
) -> None:
    """Charge what is due, retry what failed, end and refund, send notices. Safe to repeat:
    a second run for the same day does nothing; a run that stopped half-way is resumed."""
    try:
        when = date.fromisoformat(day) if day is not None else None
    except ValueError as exc:
        console.print(f"[red]--date must be YYYY-MM-DD, got {day!r}[/]")
        raise typer.Exit(code=2) from exc
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir is not None else {}
    settings, running = locate(Settings(**overrides))
    _provider_reachable(settings, found=running is not None)
    upgrade(settings.resolved_database_url)
    report = asyncio.run(_run(settings, when, concurrency))
    typer.echo(json.dumps(report.as_dict()))
    if report.tally.errors:
        console.print(f"[red]{report.tally.errors} subscription(s) failed; see the log.[/]")
        raise typer.Exit(code=1)

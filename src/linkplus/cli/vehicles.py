"""``linkplus vehicles``: loading the factory feed into the registry."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from linkplus.bootstrap import build_runtime
from linkplus.config import Settings
from linkplus.migrate import upgrade
from linkplus.vehicles import service
from linkplus.vehicles.importing import FeedFormatError, ImportReport

vehicles_app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@vehicles_app.callback()
def vehicles() -> None:
    """The vehicle registry: load the factory feed."""


def _settings(data_dir: Path | None) -> Settings:
    overrides: dict[str, Any] = {"data_dir": data_dir} if data_dir is not None else {}
    return Settings(**overrides)


async def _import(settings: Settings, path: Path, progress: Progress) -> ImportReport:
    runtime = build_runtime(settings)
    task = progress.add_task("Importing vehicles", total=None)
    try:
        async with runtime.db.transaction() as session:
            return await service.import_csv(
                session,
                runtime,
                path,
                on_row=lambda done, total: progress.update(task, completed=done, total=total),
            )
    finally:
        await runtime.db.dispose()


def _print_rejections(report: ImportReport) -> None:
    """One line per rejected line, unwrapped, so the report can be searched and diffed."""
    for row in report.rejected:
        console.print(
            f"line {row.line} (VIN {row.vin or '-'}): {row.reason}", soft_wrap=True, markup=False
        )


@vehicles_app.command("import")
def import_feed(
    file: Annotated[
        Path, typer.Argument(help="The factory feed: a UTF-8 CSV file.", dir_okay=False)
    ],
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite file lives.")] = None,
) -> None:
    """Load a factory feed. Safe to repeat; stores nothing if any line is rejected."""
    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)  # as `serve` does: the registry tables must exist
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            report = asyncio.run(_import(settings, file, progress))
    except FeedFormatError as exc:
        console.print(f"[red]Nothing imported:[/] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(code=1) from exc
    if not report.imported:
        _print_rejections(report)
        console.print(
            f"[red]Nothing imported:[/] {len(report.rejected)} of {report.rows} line(s) rejected. "
            "Correct them and import the file again.",
            soft_wrap=True,
        )
        raise typer.Exit(code=1)
    console.print(
        f"Imported {report.rows} vehicle(s): {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged."
    )

"""Importing the factory feed into the registry: idempotent, all or nothing, and the command."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from linkplus.cli.vehicles import vehicles_app
from linkplus.kit.clock import ManualClock
from linkplus.models.vehicles import Vehicle
from linkplus.runtime import Runtime
from linkplus.vehicles import service
from linkplus.vehicles.importing import FeedFormatError, ImportReport
from linkplus.vehicles.pairing import public_key_text
from tests.vehicles.support import FEED_HEADER, european_vin, write_feed

runner = CliRunner()


async def run_import(runtime: Runtime, path: Path) -> ImportReport:
    async with runtime.db.transaction() as session:
        return await service.import_csv(session, runtime, path)


async def stored(runtime: Runtime, vin: str) -> Vehicle | None:
    async with runtime.db.transaction() as session:
        return await service.get_vehicle(session, vin)


async def test_a_feed_creates_vehicles_with_every_value(runtime: Runtime, tmp_path: Path) -> None:
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    delivered, ordered = european_vin(), european_vin()
    path = write_feed(
        tmp_path,
        [
            FEED_HEADER,
            f"{delivered},NX450HP,2024,DE,mm21,2024-03-01,M-LX 2024,true,{key},1234",
            f"{ordered},UX250H,2022,FR,,,,false,,",
        ],
    )
    progress: list[tuple[int, int]] = []
    async with runtime.db.transaction() as session:
        report = await service.import_csv(
            session, runtime, path, on_row=lambda done, total: progress.append((done, total))
        )
    assert report == ImportReport(rows=2, created=2, updated=0, unchanged=0, rejected=[])
    assert report.imported
    assert progress == [(1, 2), (2, 2)]

    car = await stored(runtime, delivered)
    assert car is not None
    assert (car.model_code, car.model_year, car.market, car.multimedia) == (
        "NX450HP",
        2024,
        "DE",
        "mm21",
    )
    assert car.first_delivery_date == date(2024, 3, 1)
    assert (car.registration_plate, car.plate_key) == ("M-LX 2024", "MLX2024")
    assert car.telematics_unit is True
    assert car.head_unit_public_key == key
    assert (car.odometer_km, car.odometer_reported_at) == (1234, runtime.clock.now())
    assert car.created_at == car.updated_at == runtime.clock.now()

    only_ordered = await stored(runtime, ordered)
    assert only_ordered is not None
    assert only_ordered.multimedia == "mm18"  # the newest its model is built with
    assert only_ordered.first_delivery_date is None
    assert only_ordered.odometer_km is None
    assert only_ordered.odometer_reported_at is None
    assert only_ordered.head_unit_public_key is None
    assert only_ordered.plate_key is None


async def test_importing_again_updates_the_same_rows(
    runtime: Runtime, clock: ManualClock, tmp_path: Path
) -> None:
    vin, other = european_vin(), european_vin()
    first = write_feed(
        tmp_path,
        [FEED_HEADER, f"{vin},RX500H,2025,GB,,,,true,,500", f"{other},LBX,2025,IT,,,,true,,"],
        name="first.csv",
    )
    assert (await run_import(runtime, first)).created == 2
    created_at = runtime.clock.now()

    clock.advance(days=30)
    assert await run_import(runtime, first) == ImportReport(
        rows=2, created=0, updated=0, unchanged=2, rejected=[]
    )

    # Delivered and registered; the feed's odometer is lower than what is stored, and the
    # second line leaves everything optional empty: nothing stored is erased or lowered.
    second = write_feed(
        tmp_path,
        [
            FEED_HEADER,
            f"{vin.lower()},RX500H,2025,GB,mm21,2026-10-01,LX25 ABC,true,,20",
            f"{other},LBX,2025,IT,,,,true,,",
        ],
        name="second.csv",
    )
    report = await run_import(runtime, second)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    car = await stored(runtime, vin)
    assert car is not None
    assert car.first_delivery_date == date(2026, 10, 1)
    assert car.plate_key == "LX25ABC"
    assert car.odometer_km == 500
    assert car.created_at == created_at
    assert car.updated_at == runtime.clock.now()
    async with runtime.db.transaction() as session:
        assert await service.find_by_plate(session, "lx25-abc") is not None


async def test_one_bad_line_means_nothing_is_stored(runtime: Runtime, tmp_path: Path) -> None:
    good, known = european_vin(), european_vin()
    await run_import(
        runtime, write_feed(tmp_path, [FEED_HEADER, f"{known},ES300H,2021,ES,,,,true,,"], name="a")
    )
    path = write_feed(
        tmp_path,
        [
            FEED_HEADER,
            f"{good},NX350H,2024,DE,,,,true,,",
            f"{known},ES300H,2021,ES,,2021-05-01,,true,,",  # an update, held back too
            "JTHBA3BH4O2049357,NX350H,2024,DE,,,,true,,",
            f"{european_vin()},NX350,2024,DE,,,,true,,",
            f"{european_vin()},LFA,2012,DE,,,,true,,",
            f"{european_vin()},NX350H,2024,DE,,tomorrow,,true,,",
            f"{european_vin()},NX350H,2024,DE,,,,true,not-a-key,",
            f"{good},NX350H,2024,DE,,,,true,,",
        ],
        name="b",
    )
    report = await run_import(runtime, path)
    assert not report.imported
    assert (report.rows, report.created, report.updated) == (8, 0, 0)
    assert [(row.line, row.reason.split(":")[0].split(" (")[0]) for row in report.rejected] == [
        (4, "bad VIN 'JTHBA3BH4O2049357'"),
        (5, "model NX350 is not sold in DE"),
        (6, "unknown model 'LFA'"),
        (7, "bad first_delivery_date 'tomorrow'"),
        (8, "bad head_unit_public_key"),
        (9, f"VIN {good} is already on line 2"),
    ]
    assert await stored(runtime, good) is None
    unchanged = await stored(runtime, known)
    assert unchanged is not None
    assert unchanged.first_delivery_date is None


async def test_a_missing_column_or_unreadable_file_is_an_error(
    runtime: Runtime, tmp_path: Path
) -> None:
    missing = write_feed(tmp_path, ["vin,model_code,model_year,market", "x,y,2024,DE"])
    with pytest.raises(FeedFormatError, match="no 'telematics_unit' column"):
        await run_import(runtime, missing)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        f"{FEED_HEADER}\nJTHBA3BH400000001,NX350H,2024,DE,,,Ö,true,,\n".encode("cp1252")
    )
    with pytest.raises(FeedFormatError, match="not UTF-8"):
        await run_import(runtime, latin1)
    with pytest.raises(FeedFormatError, match="cannot be read"):
        await run_import(runtime, tmp_path / "nowhere.csv")


# --- the command ------------------------------------------------------------------------------


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"LINKPLUS_DATABASE_URL": database_url, "LINKPLUS_DATA_DIR": str(tmp_path)}


def test_the_command_imports_and_reports(database_url: str, tmp_path: Path) -> None:
    vin = european_vin()
    path = write_feed(
        tmp_path, ["\ufeff" + FEED_HEADER, "", f"{vin},RZ450E,2025,SE,,2025-01-10,,true,,", ""]
    )
    result = runner.invoke(vehicles_app, ["import", str(path)], env=_env(database_url, tmp_path))
    assert result.exit_code == 0, result.output
    assert "Imported 1 vehicle(s): 1 new, 0 updated, 0 unchanged." in result.output
    again = runner.invoke(vehicles_app, ["import", str(path)], env=_env(database_url, tmp_path))
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 1 unchanged" in again.output


def test_the_command_exits_1_listing_rejected_lines(database_url: str, tmp_path: Path) -> None:
    path = write_feed(
        tmp_path,
        [
            FEED_HEADER,
            f"{european_vin()},NX350H,2024,DE,,,,true,,",
            "TOO-SHORT,NX350H,2024,DE,,,,true,,",
            f"{european_vin()},GS450H,2024,DE,,,,true,,",
        ],
    )
    result = runner.invoke(
        vehicles_app, ["import", str(path)], env=_env(database_url, tmp_path), terminal_width=200
    )
    assert result.exit_code == 1
    assert "Nothing imported: 2 of 3 line(s) rejected" in result.output
    assert "A VIN has exactly 17 characters" in result.output
    assert "unknown model 'GS450H'" in result.output


def test_the_command_names_a_missing_column(database_url: str, tmp_path: Path) -> None:
    path = write_feed(tmp_path, ["vin,model_code,model_year,telematics_unit"])
    result = runner.invoke(
        vehicles_app, ["import", str(path)], env=_env(database_url, tmp_path), terminal_width=200
    )
    assert result.exit_code == 1
    assert "Nothing imported" in result.output
    assert "no 'market' column" in result.output


def test_the_command_has_help() -> None:
    result = runner.invoke(vehicles_app, ["import", "--help"])
    assert result.exit_code == 0
    assert "stores nothing if any line is rejected" in result.output

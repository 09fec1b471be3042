"""Whose data the export holds (docs/garage.md, "Whose data"): a car that changed hands is
exported to each account for its own time with the car only, and another account's rows never
appear, on both databases."""

from __future__ import annotations

from datetime import timedelta

from linkplus.models.exported import DomainExport
from linkplus.models.garage import GarageEntry, PastPrimaryPeriod, PrimaryAccount
from linkplus.models.privacy import Consent, PrivacyModeChange
from linkplus.models.twin import PositionFix, VehicleLinkState
from linkplus.rights import export
from linkplus.runtime import Runtime
from tests.connected_services.support import make_vehicle
from tests.support import make_owner


def _rows(parts: list[DomainExport], table: str) -> list[dict[str, object]]:
    return [row for part in parts for t in part.tables if t.table == table for row in t.rows]


async def test_each_account_gets_only_its_own_time_with_a_car_that_changed_hands(
    runtime: Runtime,
) -> None:
    now = runtime.clock.now()
    handed_over = now - timedelta(days=10)
    first, second = await make_owner(runtime), await make_owner(runtime)
    vin = await make_vehicle(runtime)
    async with runtime.db.transaction() as session:
        start = handed_over - timedelta(days=20)
        session.add_all(
            [
                GarageEntry(account_id=first.id, vin=vin, added_at=start, added_via="vin"),
                GarageEntry(account_id=second.id, vin=vin, added_at=start, added_via="vin"),
                PastPrimaryPeriod(
                    vin=vin, account_id=first.id, started_at=start, ended_at=handed_over
                ),
                PrimaryAccount(vin=vin, account_id=second.id, since=handed_over),
                PositionFix(
                    vin=vin, ts=handed_over - timedelta(days=1), latitude=1.0, longitude=1.0
                ),
                PositionFix(
                    vin=vin, ts=handed_over + timedelta(days=1), latitude=2.0, longitude=2.0
                ),
                PrivacyModeChange(
                    vin=vin,
                    location_sharing=False,
                    changed_at=handed_over - timedelta(days=2),
                    source="app",
                    account_id=first.id,
                ),
                Consent(
                    account_id=first.id,
                    document="terms_of_use",
                    country="DE",
                    language="en",
                    version="1.0",
                    accepted_at=start,
                    channel="app",
                ),
                # Parked before the hand-over, heard from since: where the first owner left it.
                VehicleLinkState(
                    vin=vin,
                    last_heard_at=handed_over + timedelta(days=2),
                    parked_at=handed_over - timedelta(hours=1),
                    parked_latitude=1.5,
                    parked_longitude=1.5,
                ),
            ]
        )

    async with runtime.db.read() as session:
        mine = await export.gather(session, first.id, now=now)
        theirs = await export.gather(session, second.id, now=now)

    assert [row["latitude"] for row in _rows(mine, "vehicle_positions")] == [1.0]
    assert [row["latitude"] for row in _rows(theirs, "vehicle_positions")] == [2.0]
    assert len(_rows(mine, "privacy_mode_changes")) == 1
    assert _rows(theirs, "privacy_mode_changes") == []
    assert [row["parked_latitude"] for row in _rows(mine, "vehicle_link_states")] == [1.5]
    assert _rows(theirs, "vehicle_link_states") == []
    assert len(_rows(mine, "consents")) == 1
    assert _rows(theirs, "consents") == []
    assert [row["email"] for row in _rows(theirs, "accounts")] == [second.email]
    # the car's registry facts go to both: the car is in both garages
    assert [row["vin"] for row in _rows(mine, "vehicles")] == [vin]
    assert [row["vin"] for row in _rows(theirs, "vehicles")] == [vin]

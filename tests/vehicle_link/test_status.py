"""The status view from twin values and the link state: connection, sleep, parts. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkplus.vehicle_link.schemas import ConnectionState
from linkplus.vehicle_link.status import LinkFacts, asleep_since, connection, vehicle_status
from linkplus.vehicles.catalogue import Capability, Powertrain

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
WITHIN = timedelta(minutes=15)


def test_never_heard_from() -> None:
    assert connection(None, now=NOW, online_within=WITHIN).state is ConnectionState.unknown


def test_online_then_not_heard_from_since() -> None:
    facts = LinkFacts(last_heard_at=NOW - timedelta(minutes=5))
    assert connection(facts, now=NOW, online_within=WITHIN).state is ConnectionState.online
    later = connection(facts, now=NOW + timedelta(hours=1), online_within=WITHIN)
    assert later.state is ConnectionState.offline
    assert later.message == "Not heard from since 2026-11-21 08:55 UTC."


def test_nine_days_without_ignition_is_asleep() -> None:
    facts = LinkFacts(last_heard_at=NOW, last_ignition_off_at=NOW)
    assert asleep_since(facts, now=NOW + timedelta(days=9) - timedelta(seconds=1)) is None
    assert asleep_since(facts, now=NOW + timedelta(days=9)) == NOW + timedelta(days=9)


def test_sleeping_event_until_waking_whatever_order_they_arrive_in() -> None:
    asleep = LinkFacts(last_heard_at=NOW, asleep_since=NOW - timedelta(hours=1))
    assert asleep_since(asleep, now=NOW) == NOW - timedelta(hours=1)
    woke = LinkFacts(
        last_heard_at=NOW,
        asleep_since=NOW - timedelta(hours=1),
        awake_since=NOW - timedelta(minutes=1),
    )
    assert asleep_since(woke, now=NOW) is None
    late_sleep_report = LinkFacts(
        last_heard_at=NOW, asleep_since=NOW - timedelta(hours=1), last_ignition_on_at=NOW
    )
    assert asleep_since(late_sleep_report, now=NOW) is None


def test_parts_follow_the_model_and_each_says_when_it_was_reported() -> None:
    at = NOW - timedelta(minutes=3)
    values = {
        "Vehicle.Body.Lights.Beam.High.IsOn": (True, at),
        "Vehicle.Cabin.Sunroof.Position": (-20, NOW),
        "Vehicle.Powertrain.TractionBattery.Charging.TimeToComplete": (5400, at),
        "Vehicle.Powertrain.TractionBattery.CurrentPower": (7400.0, NOW),
    }
    status = vehicle_status(
        "JTHAAAAAAAAAAAAAA",
        values,
        powertrain=Powertrain.phev,
        capabilities=frozenset({Capability.vehicle_status, Capability.charging}),
        connection=connection(None, now=NOW, online_within=WITHIN),
    )
    assert status.lights is not None
    assert (status.lights.headlights_on, status.lights.high_beam_on) == (True, True)
    assert status.lights.reported_at == at
    assert status.sunroof is not None
    assert (status.sunroof.open, status.sunroof.position_percent) == (True, -20)
    assert status.charging is not None
    assert (status.charging.minutes_to_complete, status.charging.power_kw) == (90, 7.4)
    assert status.charging.reported_at == NOW
    assert status.tyres is None
    assert status.fuel is not None

    bare = vehicle_status(
        "JTHAAAAAAAAAAAAAA",
        {},
        powertrain=Powertrain.bev,
        capabilities=frozenset(),
        connection=connection(None, now=NOW, online_within=WITHIN),
    )
    assert (bare.doors, bare.fuel, bare.lights) == (None, None, None)
    assert bare.battery is not None
    assert bare.battery.charge_percent is None

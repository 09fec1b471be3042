"""The post-trip check's decision: what to list, in what words, and when an alert is stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from linkplus.protocol.vehicle import AlertKind
from linkplus.vehicle_link.alerts import (
    RaisedAlert,
    from_twin,
    notification,
    post_trip_findings,
)

T = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
WINDOW_FR = "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position"
LOCK_RL = "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked"
DOOR_FL = "Vehicle.Cabin.Door.Row1.DriverSide.IsOpen"


def texts(values: dict[str, object], alerts: list[RaisedAlert] | None = None) -> list[str]:
    twin = {path: (value, T) for path, value in values.items()}
    return [f.text for f in post_trip_findings(twin, alerts or [])]  # type: ignore[arg-type]


def test_a_closed_locked_car_needs_nothing() -> None:
    assert texts({WINDOW_FR: 0, LOCK_RL: True, DOOR_FL: False}) == []


def test_everything_the_twin_shows_is_listed_in_a_fixed_order() -> None:
    found = texts(
        {
            "Vehicle.Private.LinkPlus.RearSeatReminder.IsActive": True,
            "Vehicle.Body.Lights.Hazard.IsSignaling": True,
            "Vehicle.Body.Lights.Beam.Low.IsOn": True,
            "Vehicle.Cabin.Sunroof.Position": -40,
            "Vehicle.Body.Hood.IsOpen": True,
            "Vehicle.Body.Trunk.Rear.IsOpen": True,
            DOOR_FL: True,
            LOCK_RL: False,
            WINDOW_FR: 15,
            "Vehicle.Private.LinkPlus.WarningLights.Active": ["oil_pressure"],
        }
    )
    assert found == [
        "Window open: front right",
        "Doors unlocked",
        "Door open: front left",
        "Boot open",
        "Bonnet open",
        "Sunroof open",
        "Headlights on",
        "Hazard lights on",
        "Warning light on: oil pressure",
        "Check the rear seat",
    ]


def test_an_alert_counts_unless_the_car_reported_the_part_again_later() -> None:
    alert = RaisedAlert(AlertKind.window_open, "Row2.PassengerSide", T - timedelta(minutes=1))
    assert texts({}, [alert]) == ["Window open: rear right"]
    assert texts({WINDOW_FR: 0}, [alert]) == []  # a newer reading says the windows are closed
    older_twin = {WINDOW_FR: (0, T - timedelta(minutes=5))}
    assert [f.text for f in post_trip_findings(older_twin, [alert])] == ["Window open: rear right"]


def test_an_alert_already_seen_in_the_twin_is_listed_once() -> None:
    alert = RaisedAlert(AlertKind.doors_unlocked, None, T + timedelta(minutes=1))
    assert texts({LOCK_RL: False}, [alert]) == ["Doors unlocked"]


def test_the_notification_names_the_car_and_lists_each_finding() -> None:
    twin = {WINDOW_FR: (30, T), LOCK_RL: (False, T)}
    title, body = notification("Lexus UX 300e (M-LP 123)", post_trip_findings(twin, []))
    assert title == "Check your Lexus UX 300e (M-LP 123)"
    assert body.splitlines()[1:] == ["- Window open: front right", "- Doors unlocked"]


@given(
    st.dictionaries(
        st.sampled_from([WINDOW_FR, LOCK_RL, DOOR_FL, "Vehicle.Body.Hood.IsOpen"]),
        st.one_of(st.booleans(), st.integers(min_value=0, max_value=100)),
    ),
    st.lists(st.sampled_from(list(AlertKind)), max_size=5),
)
def test_findings_are_unique_and_ordered(values: dict[str, object], kinds: list[AlertKind]) -> None:
    alerts = [RaisedAlert(kind, None, T) for kind in kinds]
    found = post_trip_findings({p: (v, T) for p, v in values.items()}, alerts)  # type: ignore[misc]
    assert len({f.text for f in found}) == len(found)
    order = list(AlertKind)
    assert [order.index(f.kind) for f in found] == sorted(order.index(f.kind) for f in found)
    assert all(f in found for f in from_twin({p: (v, T) for p, v in values.items()}))  # type: ignore[misc]

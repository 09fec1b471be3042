"""Protocol v1 parsing: good messages pass, everything else is MalformedMessage, always."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkplus.protocol import signals
from linkplus.protocol.errors import MalformedKind, MalformedMessage
from linkplus.protocol.vehicle import (
    EVENT_TYPES,
    Alert,
    AlertKind,
    Channel,
    Command,
    CommandResult,
    CommandStatus,
    PrivacyModeChanged,
    Telemetry,
    TripUpload,
    encode,
    parse,
    subscription,
    topic,
)

VIN = "WVWZZZ1JZXW000001"
TS = "2026-11-21T09:00:00+01:00"


def telemetry(*readings: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "msg_id": str(uuid.uuid4()),
        "seq": 7,
        "sent_at": TS,
        "signals": list(readings),
    }
    body.update(extra)
    return body


def reading(path: str, value: Any, ts: str = TS) -> dict[str, Any]:
    return {"path": path, "value": value, "ts": ts}


def event(type_: str, **fields: Any) -> dict[str, Any]:
    return {
        "msg_id": str(uuid.uuid4()),
        "seq": 3,
        "sent_at": TS,
        "occurred_at": TS,
        "type": type_,
        **fields,
    }


def raw(body: Any) -> bytes:
    return json.dumps(body).encode()


def refused(topic_name: str, payload: bytes) -> MalformedMessage:
    with pytest.raises(MalformedMessage) as caught:
        parse(topic_name, payload)
    return caught.value


# --- good messages ----------------------------------------------------------------------------


def test_telemetry_with_every_kind_of_signal_value() -> None:
    body = telemetry(
        reading("Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", True),
        reading("Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position", 40),
        reading("Vehicle.Powertrain.TractionBattery.StateOfCharge.Current", 81.5),
        reading("Vehicle.TraveledDistance", 12034),  # an integer is a number
        reading("Vehicle.LowVoltageSystemState", "OFF"),
        reading("Vehicle.CurrentLocation.Timestamp", "2026-11-21T08:59:58Z"),
        reading("Vehicle.Private.LinkPlus.WarningLights.Active", ["engine", "tire_pressure"]),
        reading("Vehicle.Cabin.Sunroof.Position", -100),
    )
    parsed = parse(topic(VIN, Channel.telemetry), raw(body))
    assert parsed.vin == VIN
    assert parsed.channel is Channel.telemetry
    assert isinstance(parsed.message, Telemetry)
    assert parsed.message.seq == 7
    values = {r.path: r.value for r in parsed.message.signals}
    assert values["Vehicle.Cabin.Door.Row1.DriverSide.IsOpen"] is True
    assert values["Vehicle.TraveledDistance"] == 12034
    assert values["Vehicle.Private.LinkPlus.WarningLights.Active"] == ["engine", "tire_pressure"]
    assert parsed.message.signals[0].ts.utcoffset() is not None


SHORT_TRIP = {
    "trip_id": "0d8f4a1e-6f35-4b8e-9a7c-0e2b8f1f6c55",
    "started_at": "2026-11-21T08:59:00Z",
    "ended_at": "2026-11-21T09:00:00Z",
    "distance_m": 12.5,
    "duration_s": 60,
    "fuel_used_l": 0.01,
    "samples": {
        "t": [0],
        "lat": [None],
        "lon": [None],
        "speed_kmh": [0.0],
        "accel_long_ms2": [0.0],
        "accel_lat_ms2": [0.0],
        "speed_limit_kmh": [None],
        "location_shared": [False],
    },
}


EMERGENCY = {
    "incident_id": "5b0c7a57-1c1e-4a53-9d0e-0f5d0c1d2e3f",
    "attempt": 1,
    "call": "connected",
    "msd": "AQIDBAUGBwg=",
}


def test_each_event_type_parses() -> None:
    bodies = [
        event("ignition_on"),
        event("ignition_off"),
        event("trip_upload", trip=SHORT_TRIP),
        event("alert", kind="window_open", detail="Row1.DriverSide"),
        event("privacy_mode_changed", location_sharing=False),
        event("sleeping"),
        event("waking"),
        event("emergency_button", **EMERGENCY),
        event("collision", sensor="airbag", **EMERGENCY),
        event("emergency_voice", incident_id=EMERGENCY["incident_id"], occupant="silent"),
        event("emergency_system_status", light="fault"),
        event("tracking_state", phase="paused", reason="battery_disconnected"),
    ]
    parsed = [parse(topic(VIN, Channel.events), raw(b)).message for b in bodies]
    assert [type(m).__name__ for m in parsed] == [
        "IgnitionOn",
        "IgnitionOff",
        "TripUpload",
        "Alert",
        "PrivacyModeChanged",
        "Sleeping",
        "Waking",
        "EmergencyButton",
        "Collision",
        "EmergencyVoice",
        "EmergencySystemStatus",
        "TrackingState",
    ]
    assert isinstance(parsed[2], TripUpload)
    assert parsed[2].trip.distance_m == 12.5
    assert parsed[2].trip.samples.location_shared == [False]
    assert isinstance(parsed[3], Alert)
    assert parsed[3].kind is AlertKind.window_open
    assert isinstance(parsed[4], PrivacyModeChanged)
    assert parsed[4].location_sharing is False


@pytest.mark.parametrize("kind", [k.value for k in AlertKind])
def test_every_alert_kind(kind: str) -> None:
    message = parse(topic(VIN, Channel.events), raw(event("alert", kind=kind))).message
    assert isinstance(message, Alert)
    assert message.kind == kind


def test_command_and_result_envelopes_round_trip() -> None:
    command_id = uuid.uuid4()
    command = {
        "msg_id": str(command_id),
        "sent_at": TS,
        "expires_at": "2026-11-21T09:05:00+01:00",
        "type": "refresh",
        "params": {},
    }
    parsed = parse(topic(VIN, Channel.commands), raw(command)).message
    assert isinstance(parsed, Command)
    assert parsed.type == "refresh"
    result = {
        "msg_id": str(uuid.uuid4()),
        "seq": 9,
        "sent_at": TS,
        "command_id": str(command_id),
        "status": "rejected",
        "reason": "expired",
    }
    parsed_result = parse(topic(VIN, Channel.command_results), raw(result)).message
    assert isinstance(parsed_result, CommandResult)
    assert parsed_result.command_id == command_id
    assert parsed_result.status is CommandStatus.rejected
    # What the platform or a unit encodes, parse accepts unchanged.
    again = parse(topic(VIN, Channel.command_results), encode(parsed_result)).message
    assert again == parsed_result


def test_encoded_telemetry_parses_back_to_the_same_message() -> None:
    body = telemetry(reading("Vehicle.Speed", 88.2), reading("Vehicle.Body.Hood.IsOpen", False))
    first = parse(topic(VIN, Channel.telemetry), raw(body)).message
    assert parse(topic(VIN, Channel.telemetry), encode(first)).message == first


def test_gateway_subscriptions() -> None:
    assert subscription(Channel.telemetry) == "lp/v1/+/telemetry"
    assert subscription(Channel.events, share_group="gw") == "$share/gw/lp/v1/+/events"


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "topic_name",
    [
        "",
        "lp/v1/WVWZZZ1JZXW000001",
        "lp/v2/WVWZZZ1JZXW000001/telemetry",
        "lp/v1/WVWZZZ1JZXW000001/telemetry/extra",
        "lp/v1/wvwzzz1jzxw000001/telemetry",  # VINs are upper case
        "lp/v1/WVWZZZ1JZXW00000I/telemetry",  # I, O and Q never occur in a VIN
        "lp/v1/SHORTVIN/telemetry",
        "lp/v1/+/telemetry",
        "lp/v1/WVWZZZ1JZXW000001/status",
        "/lp/v1/WVWZZZ1JZXW000001/telemetry",
        "$SYS/broker/uptime",
    ],
)
def test_foreign_topic_shapes_are_refused(topic_name: str) -> None:
    body = raw(telemetry(reading("Vehicle.Speed", 1)))
    assert refused(topic_name, body).kind is MalformedKind.topic


@pytest.mark.parametrize(
    "payload",
    [b"", b"{", b"\xff\xfe", b"not json", b'{"msg_id": "x",}', b"\x00" * 10],
)
def test_bytes_that_are_not_json(payload: bytes) -> None:
    assert refused(topic(VIN, Channel.telemetry), payload).kind is MalformedKind.json


@pytest.mark.parametrize(
    "body",
    [
        [],
        "telemetry",
        42,
        {},
        telemetry(reading("Vehicle.Speed", 1), extra_field=1),  # unknown field
        {**telemetry(reading("Vehicle.Speed", 1)), "msg_id": "not-a-uuid"},
        {**telemetry(reading("Vehicle.Speed", 1)), "seq": -1},
        {**telemetry(reading("Vehicle.Speed", 1)), "seq": "7"},  # no coercion
        {**telemetry(reading("Vehicle.Speed", 1)), "sent_at": "2026-11-21T09:00:00"},  # naive
        telemetry(),  # no readings
        telemetry({"path": "Vehicle.Speed", "value": 1}),  # reading without ts
        telemetry({**reading("Vehicle.Speed", 1), "unit": "km/h"}),  # unknown reading field
    ],
)
def test_invalid_telemetry_shapes(body: Any) -> None:
    assert refused(topic(VIN, Channel.telemetry), raw(body)).kind is MalformedKind.schema


def test_unknown_signal_is_refused() -> None:
    body = telemetry(reading("Vehicle.Cabin.Door.Row3.DriverSide.IsOpen", True))
    error = refused(topic(VIN, Channel.telemetry), raw(body))
    assert error.kind is MalformedKind.signal
    assert "Row3" in error.reason


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", 1),  # 1 is not true
        ("Vehicle.Cabin.Door.Row1.DriverSide.IsOpen", "true"),
        ("Vehicle.Speed", True),  # true is not a number
        ("Vehicle.Speed", "88"),
        ("Vehicle.Speed", 10**400),  # out of range, without overflowing
        ("Vehicle.Cabin.Door.Row1.DriverSide.Window.Position", 50.5),  # integer signal
        ("Vehicle.Cabin.Door.Row1.DriverSide.Window.Position", 101),
        ("Vehicle.CurrentLocation.Latitude", -90.5),
        ("Vehicle.LowVoltageSystemState", "RUNNING"),
        ("Vehicle.CurrentLocation.Timestamp", "yesterday"),
        ("Vehicle.CurrentLocation.Timestamp", "2026-11-21T09:00:00"),  # no offset
        ("Vehicle.Private.LinkPlus.WarningLights.Active", ["engine", "engine"]),
        ("Vehicle.Private.LinkPlus.WarningLights.Active", ["flux_capacitor"]),
        ("Vehicle.Private.LinkPlus.WarningLights.Active", "engine"),
    ],
)
def test_wrong_value_type_or_range_is_refused(path: str, value: Any) -> None:
    body = telemetry(reading(path, value))
    assert refused(topic(VIN, Channel.telemetry), raw(body)).kind is MalformedKind.signal


def test_non_finite_numbers_are_refused() -> None:
    payload = raw(telemetry(reading("Vehicle.Speed", 1))).replace(b'"value": 1', b'"value": NaN')
    assert refused(topic(VIN, Channel.telemetry), payload).kind in (
        MalformedKind.json,
        MalformedKind.signal,
    )


@pytest.mark.parametrize(
    "body",
    [
        event("engine_exploded"),
        event("alert", kind="cat_on_roof"),
        event("alert"),  # kind missing
        event("privacy_mode_changed", location_sharing="no"),
        event("ignition_on", speed=3),
        {k: v for k, v in event("ignition_on").items() if k != "occurred_at"},
    ],
)
def test_invalid_events(body: dict[str, Any]) -> None:
    assert refused(topic(VIN, Channel.events), raw(body)).kind is MalformedKind.schema


def test_oversized_payload_is_refused_before_parsing() -> None:
    payload = b" " * (256 * 1024 + 1)
    assert refused(topic(VIN, Channel.telemetry), payload).kind is MalformedKind.too_large


def test_deeply_nested_json_is_refused() -> None:
    payload = b'{"trip": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert isinstance(refused(topic(VIN, Channel.events), payload), MalformedMessage)


def test_signal_table_is_consistent() -> None:
    for path, signal in signals.SIGNALS.items():
        assert path.startswith("Vehicle.")
        assert signal.description
        if signal.minimum is not None and signal.maximum is not None:
            assert signal.minimum < signal.maximum
    extensions = [s for s in signals.SIGNALS.values() if s.is_extension]
    assert {s.path for s in extensions} >= {
        "Vehicle.Private.LinkPlus.SmartKey.IsInside",
        "Vehicle.Private.LinkPlus.RearSeatReminder.IsActive",
        "Vehicle.Private.LinkPlus.PrivacyMode.IsOn",
    }


# --- the property: nothing but MalformedMessage, whatever arrives ---------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
topics = st.one_of(
    st.text(max_size=60),
    st.sampled_from(list(Channel)).map(lambda c: topic(VIN, c)),
    st.builds(
        lambda vin, ch: f"lp/v1/{vin}/{ch}",
        st.text(max_size=20),
        st.sampled_from(["telemetry", "events", "commands", "command-results", "x"]),
    ),
)
near_valid = st.builds(
    lambda path, value, seq: raw(telemetry(reading(path, value), seq=seq)),
    st.sampled_from(sorted(signals.SIGNALS)) | st.text(max_size=30),
    json_values,
    st.integers(min_value=-(2**70), max_value=2**70),
)
payloads = st.one_of(st.binary(max_size=300), json_values.map(raw), near_valid)


@settings(max_examples=400, deadline=None)
@given(topic_name=topics, payload=payloads)
def test_parse_raises_only_malformed_message(topic_name: str, payload: bytes) -> None:
    outcome: MalformedMessage | None = None
    try:
        parsed = parse(topic_name, payload)
    except MalformedMessage as error:
        outcome = error
    if outcome is None:
        assert parsed.vin == topic_name.split("/")[2]
    else:
        assert outcome.reason
        assert isinstance(outcome.kind, MalformedKind)


def test_protocol_document_lists_every_signal_and_event() -> None:
    document = (Path(__file__).parents[2] / "docs" / "vehicle-protocol.md").read_text()
    missing = [path for path in signals.SIGNALS if f"`{path}`" not in document]
    assert missing == []
    assert all(f"`{kind.value}`" in document for kind in AlertKind)
    assert all(f"`{event_type}`" in document for event_type in EVENT_TYPES)

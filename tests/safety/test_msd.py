"""The eCall MSD codec: round trips, the 140-byte bound, decoding anything, the words for agents."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

import asn1tools
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkplus.kit.vin import ALPHABET as VIN_ALPHABET
from linkplus.safety import msd
from linkplus.safety.msd import (
    MAX_BYTES,
    Activation,
    MinimumSetOfData,
    MsdError,
    Position,
    Propulsion,
    VehicleType,
)

MAS = 3_600_000  # milliarcseconds per degree


def at_mas(lat_mas: int, lon_mas: int) -> Position:
    """A position the wire carries exactly (whole milliarcseconds)."""
    return Position(lat_mas / MAS, lon_mas / MAS)


def behind(p: Position, d_lat: int, d_lon: int) -> Position:
    """``p`` moved by whole delta steps (100 milliarcseconds), so it round-trips exactly."""
    return at_mas(round(p.latitude * MAS) + 100 * d_lat, round(p.longitude * MAS) + 100 * d_lon)


BRUSSELS = at_mas(183_061_080, 15_666_120)  # 50.8503 N, 4.3517 E

SOS = MinimumSetOfData(
    message_id=1,
    activation=Activation.manual,
    test_call=False,
    position_trusted=True,
    vehicle_type=VehicleType.passenger_m1,
    vin="WVWZZZ1JZXW000001",
    propulsion=frozenset({Propulsion.petrol, Propulsion.electric}),
    timestamp=datetime(2026, 12, 7, 5, 10, tzinfo=UTC),
    position=BRUSSELS,
    direction_deg=90,
    previous=(behind(BRUSSELS, 0, -13), behind(BRUSSELS, 0, -27)),
    passengers=2,
)
CRASH = replace(
    SOS,
    message_id=3,
    activation=Activation.automatic,
    vehicle_type=VehicleType.light_commercial_n1,
    propulsion=frozenset({Propulsion.diesel}),
    passengers=None,
)
TEST_CALL = replace(SOS, test_call=True, position_trusted=False, previous=())
BUENOS_AIRES = at_mas(-124_573_320, -210_173_760)  # south and west
SOUTH_WEST = replace(
    CRASH,
    position=BUENOS_AIRES,
    previous=(behind(BUENOS_AIRES, 511, -512), behind(behind(BUENOS_AIRES, 511, -512), -512, 511)),
    direction_deg=0,
    vehicle_type=VehicleType.motorcycle_l3e,
    propulsion=frozenset(Propulsion),
)
NO_PREVIOUS = replace(SOS, previous=(), passengers=0, vehicle_type=VehicleType.heavy_goods_n3)
ONE_PREVIOUS = replace(SOS, previous=(behind(BRUSSELS, 3, 4),), propulsion=frozenset())
# Just west of the antimeridian; the earlier positions are across it, east of it.
DATE_LINE = at_mas(-60_000_000, 648_000_000 - 100)
ACROSS_DATE_LINE = replace(
    SOS,
    position=DATE_LINE,
    previous=(at_mas(-60_000_000, -648_000_000 + 200), at_mas(-59_999_900, -648_000_000 + 500)),
    direction_deg=358,
)
POLE = replace(NO_PREVIOUS, position=at_mas(324_000_000, -648_000_000), direction_deg=180)

EXAMPLES = {
    "manual SOS": SOS,
    "automatic crash": CRASH,
    "test call": TEST_CALL,
    "no previous positions": NO_PREVIOUS,
    "one previous position": ONE_PREVIOUS,
    "southern and western hemispheres, deltas at their limits": SOUTH_WEST,
    "across the antimeridian": ACROSS_DATE_LINE,
    "north pole": POLE,
}


@pytest.mark.parametrize("example", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_examples_round_trip_exactly(example: MinimumSetOfData) -> None:
    data = msd.encode(example)
    assert len(data) <= MAX_BYTES
    assert msd.decode(data) == example
    assert msd.decode(msd.from_text(msd.to_text(data))) == example


def test_encoded_sizes() -> None:
    """Version byte, length byte, then the data set: far below eCall's 140 bytes."""
    sizes = {name: len(msd.encode(example)) for name, example in EXAMPLES.items()}
    assert sizes["manual SOS"] == 38
    assert sizes["no previous positions"] == 33
    everything = replace(SOS, propulsion=frozenset(Propulsion))  # every optional field and flag
    assert len(msd.encode(everything)) == 39


@pytest.mark.parametrize(("given", "decoded"), [(0, 0), (1, 0), (90, 90), (359, 358)])
def test_direction_goes_down_to_the_even_degree(given: int, decoded: int) -> None:
    assert msd.decode(msd.encode(replace(SOS, direction_deg=given))).direction_deg == decoded


def test_positions_round_to_milliarcseconds() -> None:
    exact = replace(SOS, position=Position(50.850301, 4.351700), previous=())
    decoded = msd.decode(msd.encode(exact)).position
    assert decoded == at_mas(183_061_084, 15_666_120)


def test_the_encoding_of_a_fixed_example_is_pinned() -> None:
    """A change of schema or library that changes the bytes on the wire must be noticed."""
    assert msd.encode(SOS).hex() == (
        "02241c0481d71d8208014a079d00000000144dac58fea22ba5296203bc2f20b6007ce007c808"
    )


# The example of EN 15722's annex (message 1, automatic, VIN ECALLEXAMPLE02013), as public eCall
# modem test code carries it. Its sender wrote out the seven DEFAULT FALSE propulsion flags, so it
# is one byte longer than the canonical encoding asn1tools makes of the same values.
STANDARD_EXAMPLE = bytes.fromhex(
    "02251C0680E30A51439E2955D43800800437F80A3105669023F8A71166932185B004150043C040"
)


def test_the_standards_example_decodes_to_its_values() -> None:
    decoded = msd.decode(STANDARD_EXAMPLE)
    assert decoded == MinimumSetOfData(
        message_id=1,
        activation=Activation.automatic,
        test_call=False,
        position_trusted=True,
        vehicle_type=VehicleType.passenger_m1,
        vin="ECALLEXAMPLE02013",
        propulsion=frozenset({Propulsion.petrol}),
        timestamp=datetime.fromtimestamp(1_367_878_452, UTC),
        position=at_mas(18_859_320, 187_996_428),
        direction_deg=90,  # 45 steps of 2 degrees
        previous=(at_mas(18_859_320, 187_997_428), at_mas(18_859_320, 188_000_428)),
        passengers=2,
    )
    canonical = msd.encode(decoded)
    assert len(canonical) == len(STANDARD_EXAMPLE) - 1
    assert canonical.hex() == (
        "02241c0680e30a51439e2955d438008004340a8c4159a408fe29c459a4c8616c01054010f010"
    )


def test_describe_in_words() -> None:
    assert msd.describe(replace(CRASH, message_id=3)) == [
        ("Activation", "Automatic: crash sensor"),
        ("Test call", "No"),
        ("Position", "50.85030° N, 4.35170° E, can be trusted"),
        ("Direction", "Heading 90°, east"),
        ("Previous positions", "2: 25 m and 55 m back"),
        ("Passengers", "Not known"),
        ("Vehicle", "Light commercial vehicle (N1), VIN WVWZZZ1JZXW000001"),
        ("Propulsion", "Diesel"),
        ("Time", "07 Dec 2026, 05:10:00 UTC"),
        ("Message", "No. 3"),
    ]


def test_describe_the_other_cases() -> None:
    rows = dict(msd.describe(SOUTH_WEST))
    assert rows["Position"] == "34.60370° S, 58.38160° W, can be trusted"
    assert rows["Direction"] == "Heading 0°, north"
    assert rows["Vehicle"] == "Motorcycle (L3e), VIN WVWZZZ1JZXW000001"
    assert rows["Propulsion"] == (
        "Petrol, diesel, compressed natural gas (CNG), liquefied petroleum gas (LPG), electric, "
        "hydrogen, other"
    )
    # 511 and 512 steps at 34.6 degrees south: 1,578 m by 1,302 m; then one step back each way
    assert rows["Previous positions"] == "2: 2.0 km and 5 m back"
    rows = dict(msd.describe(TEST_CALL))
    assert rows["Test call"] == "Yes: a test, not an emergency"
    assert rows["Position"].endswith(", cannot be trusted")
    assert rows["Previous positions"] == "None sent"
    rows = dict(msd.describe(ONE_PREVIOUS))
    # 3 steps north (9.3 m) and 4 east at 50.85 degrees (7.8 m): 12 m, shown in steps of 5 m
    assert rows["Previous positions"] == "1: 10 m back"
    assert rows["Propulsion"] == "Not known"
    assert rows["Activation"] == "Manual: SOS button"
    assert dict(msd.describe(replace(SOS, direction_deg=358)))["Direction"] == "Heading 358°, north"
    assert dict(msd.describe(replace(SOS, direction_deg=226)))["Direction"] == (
        "Heading 226°, south-west"
    )
    unknown_time = replace(SOS, timestamp=None)
    assert dict(msd.describe(unknown_time))["Time"] == "Not known (the car sent no time)"
    no_fix = dict(msd.describe(replace(SOS, position=None, previous=(), direction_deg=None)))
    assert no_fix["Position"] == "Not known (the car had no position fix)"
    assert no_fix["Direction"] == "Not known"
    assert no_fix["Previous positions"] == "None sent"
    near_zero = replace(NO_PREVIOUS, position=Position(-0.000001, -0.000001))
    assert dict(msd.describe(near_zero))["Position"].startswith("0.00000° N, 0.00000° E")


# --- the whole valid domain -------------------------------------------------------------------

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
steps = st.integers(min_value=-512, max_value=511)


@st.composite
def valid_msds(draw: st.DrawFn) -> MinimumSetOfData:
    known = draw(st.integers(min_value=0, max_value=9)) > 0  # one in ten without a fix
    position = Position(draw(latitudes), draw(longitudes)) if known else None
    previous = []
    later = position
    for _ in range(draw(st.integers(min_value=0, max_value=2)) if later is not None else 0):
        assert later is not None
        # Inside the delta range with room for rounding (0.4 step), wrapped like the wire does.
        lat = later.latitude + draw(steps) * 100 / MAS * 0.999
        lon = later.longitude + draw(steps) * 100 / MAS * 0.999
        lat = max(-90.0, min(90.0, lat))
        lon = lon - 360 if lon > 180 else lon + 360 if lon < -180 else lon
        later = Position(lat, lon)
        previous.append(later)
    return MinimumSetOfData(
        message_id=draw(st.integers(min_value=0, max_value=255)),
        activation=draw(st.sampled_from(Activation)),
        test_call=draw(st.booleans()),
        position_trusted=draw(st.booleans()),
        vehicle_type=draw(st.sampled_from(VehicleType)),
        vin="".join(
            draw(st.lists(st.sampled_from(sorted(VIN_ALPHABET)), min_size=17, max_size=17))
        ),
        propulsion=frozenset(draw(st.sets(st.sampled_from(Propulsion)))),
        timestamp=draw(
            st.none() | st.integers(1, 2**32 - 1).map(lambda t: datetime.fromtimestamp(t, UTC))
        ),
        position=position,
        direction_deg=draw(st.none() | st.integers(min_value=0, max_value=359)),
        previous=tuple(previous),
        passengers=draw(st.none() | st.integers(min_value=0, max_value=255)),
    )


def close(a: Position, b: Position, mas: float) -> bool:
    d_lon = abs(a.longitude - b.longitude)
    return abs(a.latitude - b.latitude) * MAS <= mas and min(d_lon, 360 - d_lon) * MAS <= mas


@settings(max_examples=400)
@given(valid_msds())
def test_every_valid_msd_encodes_within_140_bytes_and_comes_back(value: MinimumSetOfData) -> None:
    data = msd.encode(value)
    assert len(data) <= MAX_BYTES
    back = msd.decode(data)
    direction = value.direction_deg
    assert replace(back, position=value.position, previous=value.previous) == replace(
        value, direction_deg=None if direction is None else direction - direction % 2
    )
    if value.position is None:
        assert back.position is None
    else:
        assert back.position is not None
        assert close(back.position, value.position, 0.5)
    assert len(back.previous) == len(value.previous)
    for earlier, earlier_back in zip(value.previous, back.previous, strict=True):
        # Half a step of rounding, plus a step given up at a pole, plus the float rounding.
        assert close(earlier, earlier_back, 150.5 + 1e-6)
    assert msd.encode(back) == data  # what was decoded encodes to the same bytes


def valid_encodings() -> st.SearchStrategy[bytes]:
    return valid_msds().map(msd.encode)


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A valid MSD with bits flipped, bytes cut off or added: what a bad line makes of it."""
    data = bytearray(draw(valid_encodings()))
    for index in draw(st.lists(st.integers(0, len(data) * 8 - 1), max_size=6)):
        data[index // 8] ^= 1 << (index % 8)
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=3))


# Found by fuzzing 300,000 damaged and random MSDs: a flipped extension bit makes asn1tools read an
# extension count it does not implement, and it raised NotImplementedError, not MsdError.
UNSUPPORTED_EXTENSION = bytes.fromhex(
    "021f040495d71d8208014a079d000000001c6dac58fea24d3f6401658138016800"
)


anything = st.one_of(
    st.binary(max_size=150),
    st.binary(max_size=140).map(lambda tail: bytes([2, len(tail)]) + tail),  # framed as v2
    st.binary(min_size=1, max_size=120).map(lambda inner: bytes([2, len(inner)]) + inner),
    damaged(),
)


@settings(max_examples=1500)
@given(anything)
@example(UNSUPPORTED_EXTENSION)
def test_decoding_anything_raises_only_msd_error(data: bytes) -> None:
    try:
        decoded = msd.decode(data)
    except MsdError as exc:
        reason = str(exc)
        assert reason.strip(), "an MsdError without a reason"
        return
    assert isinstance(decoded, MinimumSetOfData)
    assert len(msd.encode(decoded)) <= MAX_BYTES


@given(st.binary(min_size=1, max_size=MAX_BYTES))
def test_base64_round_trip(data: bytes) -> None:
    assert msd.from_text(msd.to_text(data)) == data


@given(st.text(max_size=200))
def test_from_text_raises_only_msd_error(text: str) -> None:
    try:
        data = msd.from_text(text)
    except MsdError:
        return
    assert msd.to_text(data) == text


@pytest.mark.parametrize(
    "text",
    ["", "AA", "AA==\n", " AA==", "AA=", "-_8=", "QR==", "ÄA==", "A" * 200],
)
def test_from_text_refuses_anything_but_strict_base64(text: str) -> None:
    with pytest.raises(MsdError):
        msd.from_text(text)


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"message_id": 256}, "message id must be a whole number from 0 to 255"),
        ({"message_id": -1}, "message id must be a whole number from 0 to 255"),
        ({"message_id": True}, "message id must be a whole number"),
        ({"activation": "manual"}, "activation must be manual or automatic"),
        ({"test_call": 1}, "test_call must be True or False"),
        ({"vehicle_type": "bus"}, "Unknown vehicle type"),
        ({"vin": "WVWZZZ1JZXW00000"}, "VIN must be 17 characters"),
        ({"vin": "WVWZZZ1JZXW00000I"}, r"never has \(I\)"),
        ({"vin": "wvwzzz1jzxw000001"}, "never has"),
        ({"propulsion": {Propulsion.petrol}}, "frozenset of Propulsion"),
        ({"propulsion": frozenset({"petrol"})}, "frozenset of Propulsion"),
        ({"timestamp": datetime(2026, 12, 7, 5, 10)}, "timezone-aware UTC"),
        (
            {"timestamp": datetime(2026, 12, 7, 6, 10, tzinfo=timezone(timedelta(hours=1)))},
            "timezone-aware UTC",
        ),
        ({"timestamp": datetime(2026, 12, 7, 5, 10, 0, 5, tzinfo=UTC)}, "whole seconds"),
        ({"timestamp": datetime(1969, 12, 31, tzinfo=UTC)}, "outside what the MSD can carry"),
        ({"timestamp": datetime(2106, 2, 8, tzinfo=UTC)}, "outside what the MSD can carry"),
        ({"direction_deg": 360}, "direction in degrees must be a whole number from 0 to 359"),
        ({"direction_deg": -2}, "direction in degrees"),
        ({"direction_deg": 90.0}, "direction in degrees"),
        ({"passengers": 256}, "number of passengers must be a whole number from 0 to 255"),
        ({"position": (50.0, 4.0)}, "position must be a Position"),
        ({"previous": [BRUSSELS]}, "tuple of Position"),
        ({"previous": (BRUSSELS,) * 3}, "at most 2 previous positions, not 3"),
        (
            {"previous": (behind(BRUSSELS, 512, 0),)},
            "Previous position 1 is too far from the position after it",
        ),
        (
            {"previous": (behind(BRUSSELS, 0, 1), behind(BRUSSELS, 0, -512))},
            "Previous position 2 is too far",
        ),
    ],
)
def test_out_of_range_values_are_refused_with_a_reason(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(MsdError, match=message):
        msd.encode(replace(SOS, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("latitude", "longitude", "message"),
    [
        (90.000001, 0.0, "latitude 90.000001 is out of range: give degrees from -90 to 90"),
        (0.0, -180.5, "longitude -180.5 is out of range"),
        (math.nan, 0.0, "latitude nan is out of range"),
        (0.0, math.inf, "longitude inf is out of range"),
        ("50.1", 0.0, "latitude must be a number of degrees"),
        (True, 0.0, "latitude must be a number of degrees"),
    ],
)
def test_positions_off_the_earth_are_refused(
    latitude: float, longitude: float, message: str
) -> None:
    with pytest.raises(MsdError, match=message):
        Position(latitude, longitude)


def test_encode_refuses_what_is_not_an_msd() -> None:
    with pytest.raises(MsdError, match="Only a MinimumSetOfData can be encoded"):
        msd.encode("hello")  # type: ignore[arg-type]


def wire(**changes: object) -> bytes:
    """SOS as the car would put it on the wire, with fields set to what our type cannot hold."""
    schema = asn1tools.compile_string(
        resources.files("linkplus.safety").joinpath("data/msd.asn").read_text("utf-8"), "uper"
    )
    message = schema.decode("ECallMessage", msd.encode(SOS))
    inner = schema.decode("MSDMessage", message["msd"])
    inner["msdStructure"].update(changes)
    return bytes(
        schema.encode("ECallMessage", {"msdVersion": 2, "msd": schema.encode("MSDMessage", inner)})
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x02" * 141, "141 bytes; eCall carries at most 140"),
        (msd.encode(SOS) + b"\x00", "39 bytes where the data set it holds makes 38"),
        (msd.encode(SOS)[:-1], "not a valid eCall MSD"),
        (b"\x01" + msd.encode(SOS)[1:], "format version 1; the platform reads version 2"),
        (wire(vehicleDirection=180), "vehicle direction is 180"),
        (
            wire(vehicleLocation={"positionLatitude": 2**31 - 2, "positionLongitude": 0}),
            "not on Earth",
        ),
        (
            wire(
                vehicleLocation={"positionLatitude": 324_000_000, "positionLongitude": 0},
                recentVehicleLocationN1={"latitudeDelta": 1, "longitudeDelta": 0},
            ),
            "not on Earth",
        ),
    ],
)
def test_bytes_that_are_not_a_readable_msd_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(MsdError, match=message):
        msd.decode(data)


def test_a_second_previous_position_without_a_first_is_refused() -> None:
    data = wire()
    schema = asn1tools.compile_string(
        resources.files("linkplus.safety").joinpath("data/msd.asn").read_text("utf-8"), "uper"
    )
    inner = schema.decode("MSDMessage", schema.decode("ECallMessage", data)["msd"])
    del inner["msdStructure"]["recentVehicleLocationN1"]
    data = bytes(
        schema.encode("ECallMessage", {"msdVersion": 2, "msd": schema.encode("MSDMessage", inner)})
    )
    with pytest.raises(MsdError, match="second previous position without a first"):
        msd.decode(data)


def test_decode_refuses_text() -> None:
    with pytest.raises(MsdError, match="An MSD is bytes, not str"):
        msd.decode(msd.to_text(msd.encode(SOS)))  # type: ignore[arg-type]


def test_an_extension_the_library_cannot_read_is_an_msd_error() -> None:
    with pytest.raises(MsdError, match="not a valid eCall MSD"):
        msd.decode(UNSUPPORTED_EXTENSION)


def test_values_the_car_does_not_know_are_read_as_not_known() -> None:
    """EN 15722 has a value for "not known" for the position (2147483647), the direction (255)
    and the time (0). A car in a tunnel sends them: the emergency must still be read, not
    refused (the decoder refused all three before)."""
    unknown = {"positionLatitude": 2**31 - 1, "positionLongitude": 2**31 - 1}
    data = msd.decode(
        wire(
            vehicleLocation=unknown,
            vehicleDirection=255,
            timestamp=0,
            recentVehicleLocationN1={"latitudeDelta": 3, "longitudeDelta": 4},
        )
    )
    assert (data.position, data.direction_deg, data.timestamp) == (None, None, None)
    assert data.previous == ()  # steps from a position nobody knows say nothing
    assert (data.vin, data.activation) == (SOS.vin, SOS.activation)
    again = msd.encode(data)  # and written back with the same "not known" values
    assert msd.decode(again) == data
    assert again == msd.encode(
        replace(SOS, position=None, previous=(), direction_deg=None, timestamp=None)
    )


def test_previous_positions_need_a_known_position() -> None:
    with pytest.raises(MsdError, match="without a known position, leave them out"):
        replace(SOS, position=None)

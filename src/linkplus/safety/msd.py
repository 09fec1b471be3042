"""The eCall Minimum Set of Data (MSD, EN 15722:2015, format version 2): typed, encoded, in words.

A car's emergency event carries the MSD as eCall sends it: ASN.1 in unaligned PER (UPER), at most
140 bytes, base64 inside the JSON event. The schema is ``data/msd.asn``, written from the
standard's field list; asn1tools compiles it once, on first use. This module is the seam around
that library: whatever goes wrong in it leaves as ``MsdError``, so nothing above imports asn1tools.

A ``MinimumSetOfData`` checks itself when it is made, so every one that exists can be encoded;
``decode`` builds one from the bytes, so what it returns passed the same checks. What the wire
cannot carry exactly is rounded the way eCall does: positions to milliarcseconds, the heading down
to the even degree, earlier positions to steps of 100 milliarcseconds (about 3 m).
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Protocol, cast

import asn1tools  # type: ignore[import-untyped]

from linkplus.kit.vin import ALPHABET as VIN_ALPHABET
from linkplus.kit.vin import VIN_LENGTH

MAX_BYTES = 140  # what eCall's in-band modem carries, the version byte and length included
MSD_VERSION = 2

MAS_PER_DEGREE = 3_600_000  # milliarcseconds
LATITUDE_LIMIT_MAS = 90 * MAS_PER_DEGREE
LONGITUDE_LIMIT_MAS = 180 * MAS_PER_DEGREE
DELTA_UNIT_MAS = 100  # one step of an earlier position's delta
DELTA_MIN, DELTA_MAX = -512, 511
MAX_PREVIOUS = 2
DIRECTION_STEP_DEG = 2
# What the car sends for a value it does not know (EN 15722): the position, its heading, the time.
UNKNOWN_POSITION_MAS = 2_147_483_647
UNKNOWN_DIRECTION = 255
UNKNOWN_TIMESTAMP = 0
MAX_TIMESTAMP = 2**32 - 1
EARTH_RADIUS_M = 6_371_008.8  # mean radius, for the distances shown to the agent


class MsdError(ValueError):
    """The data set cannot be encoded, or the bytes are not an MSD this platform reads."""


class Activation(StrEnum):
    manual = "manual"  # the SOS button
    automatic = "automatic"  # a crash sensor (airbag, impact)


class VehicleType(StrEnum):
    """The standard's vehicle categories (EU type-approval classes)."""

    passenger_m1 = "passenger_m1"
    bus_m2 = "bus_m2"
    bus_m3 = "bus_m3"
    light_commercial_n1 = "light_commercial_n1"
    heavy_goods_n2 = "heavy_goods_n2"
    heavy_goods_n3 = "heavy_goods_n3"
    motorcycle_l1e = "motorcycle_l1e"
    motorcycle_l2e = "motorcycle_l2e"
    motorcycle_l3e = "motorcycle_l3e"
    motorcycle_l4e = "motorcycle_l4e"
    motorcycle_l5e = "motorcycle_l5e"
    motorcycle_l6e = "motorcycle_l6e"
    motorcycle_l7e = "motorcycle_l7e"


class Propulsion(StrEnum):
    """The kinds of energy stored on board (the standard's presence flags)."""

    petrol = "petrol"
    diesel = "diesel"
    cng = "cng"
    lpg = "lpg"
    electric = "electric"
    hydrogen = "hydrogen"
    other = "other"


# Each category: its name in the schema, and in words for the agent.
_VEHICLE_TYPES: dict[VehicleType, tuple[str, str]] = {
    VehicleType.passenger_m1: ("passengerVehicleClassM1", "Passenger car (M1)"),
    VehicleType.bus_m2: ("busesAndCoachesClassM2", "Bus or coach up to 5 t (M2)"),
    VehicleType.bus_m3: ("busesAndCoachesClassM3", "Bus or coach over 5 t (M3)"),
    VehicleType.light_commercial_n1: (
        "lightCommercialVehiclesClassN1",
        "Light commercial vehicle (N1)",
    ),
    VehicleType.heavy_goods_n2: ("heavyDutyVehiclesClassN2", "Truck up to 12 t (N2)"),
    VehicleType.heavy_goods_n3: ("heavyDutyVehiclesClassN3", "Truck over 12 t (N3)"),
    VehicleType.motorcycle_l1e: ("motorcyclesClassL1e", "Moped (L1e)"),
    VehicleType.motorcycle_l2e: ("motorcyclesClassL2e", "Three-wheel moped (L2e)"),
    VehicleType.motorcycle_l3e: ("motorcyclesClassL3e", "Motorcycle (L3e)"),
    VehicleType.motorcycle_l4e: ("motorcyclesClassL4e", "Motorcycle with sidecar (L4e)"),
    VehicleType.motorcycle_l5e: ("motorcyclesClassL5e", "Powered tricycle (L5e)"),
    VehicleType.motorcycle_l6e: ("motorcyclesClassL6e", "Light quadricycle (L6e)"),
    VehicleType.motorcycle_l7e: ("motorcyclesClassL7e", "Heavy quadricycle (L7e)"),
}
_VEHICLE_TYPE_BY_NAME = {name: kind for kind, (name, _) in _VEHICLE_TYPES.items()}

# In the schema's order, which is also the order they are described in.
_PROPULSIONS: dict[Propulsion, tuple[str, str]] = {
    Propulsion.petrol: ("gasolineTankPresent", "petrol"),
    Propulsion.diesel: ("dieselTankPresent", "diesel"),
    Propulsion.cng: ("compressedNaturalGas", "compressed natural gas (CNG)"),
    Propulsion.lpg: ("liquidPropaneGas", "liquefied petroleum gas (LPG)"),
    Propulsion.electric: ("electricEnergyStorage", "electric"),
    Propulsion.hydrogen: ("hydrogenStorage", "hydrogen"),
    Propulsion.other: ("otherStorage", "other"),
}

_COMPASS = (
    "north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west",
)  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_VIN_PARTS = (("isowmi", 3), ("isovds", 6), ("isovisModelyear", 1), ("isovisSeqPlant", 7))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(value: object, name: str, low: int, high: int) -> None:
    if not _is_int(value) or not low <= cast(int, value) <= high:
        raise MsdError(f"{name} must be a whole number from {low} to {high}, not {value!r}.")


@dataclass(frozen=True)
class Position:
    """A WGS 84 position in degrees: north and east positive."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("latitude", self.latitude, 90),
            ("longitude", self.longitude, 180),
        ):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise MsdError(f"The {name} must be a number of degrees, not {value!r}.")
            if not -limit <= value <= limit:  # NaN fails this too
                raise MsdError(
                    f"The {name} {value!r} is out of range: give degrees from -{limit} to {limit}."
                )

    def _mas(self) -> tuple[int, int]:
        return round(self.latitude * MAS_PER_DEGREE), round(self.longitude * MAS_PER_DEGREE)


@dataclass(frozen=True)
class MinimumSetOfData:
    """One MSD of an emergency event. ``previous`` lists earlier positions, most recent first.

    ``timestamp``, ``position`` and ``direction_deg`` are None when the car does not know them
    (no satellite fix in a tunnel, a clock not set yet): the standard has a value for "not
    known" for each, and an emergency must never be dropped because of one. Without a position
    there are no previous positions either (they are sent as steps from it)."""

    message_id: int
    activation: Activation
    test_call: bool
    position_trusted: bool
    vehicle_type: VehicleType
    vin: str
    propulsion: frozenset[Propulsion]
    timestamp: datetime | None
    position: Position | None
    direction_deg: int | None
    previous: tuple[Position, ...]
    passengers: int | None

    def __post_init__(self) -> None:
        _check_int(self.message_id, "The message id", 0, 255)
        if not isinstance(self.activation, Activation):
            raise MsdError(f"The activation must be manual or automatic, not {self.activation!r}.")
        for name, flag in (
            ("test_call", self.test_call),
            ("position_trusted", self.position_trusted),
        ):
            if not isinstance(flag, bool):
                raise MsdError(f"{name} must be True or False, not {flag!r}.")
        if not isinstance(self.vehicle_type, VehicleType):
            raise MsdError(f"Unknown vehicle type {self.vehicle_type!r}.")
        _check_vin(self.vin)
        if not isinstance(self.propulsion, frozenset) or not all(
            isinstance(kind, Propulsion) for kind in self.propulsion
        ):
            raise MsdError("The propulsion must be a frozenset of Propulsion values.")
        if self.timestamp is not None:
            _check_timestamp(self.timestamp)
        if self.position is not None and not isinstance(self.position, Position):
            raise MsdError("The position must be a Position, or None when it is not known.")
        if self.direction_deg is not None:
            _check_int(self.direction_deg, "The direction in degrees", 0, 359)
        if not isinstance(self.previous, tuple) or not all(
            isinstance(earlier, Position) for earlier in self.previous
        ):
            raise MsdError("The previous positions must be a tuple of Position.")
        if len(self.previous) > MAX_PREVIOUS:
            raise MsdError(
                f"An MSD carries at most {MAX_PREVIOUS} previous positions, "
                f"not {len(self.previous)}."
            )
        if self.passengers is not None:
            _check_int(self.passengers, "The number of passengers", 0, 255)
        if self.position is None:
            if self.previous:
                raise MsdError(
                    "Previous positions are sent as steps from the position: without a known "
                    "position, leave them out."
                )
        else:
            _deltas(self.position, self.previous)  # every earlier position must fit its delta


def _check_vin(vin: object) -> None:
    if not isinstance(vin, str) or len(vin) != VIN_LENGTH:
        raise MsdError(f"The VIN must be {VIN_LENGTH} characters, not {vin!r}.")
    wrong = sorted(set(vin) - VIN_ALPHABET)
    if wrong:
        raise MsdError(
            f"The VIN {vin!r} has characters a VIN never has ({''.join(wrong)}): "
            "only A-Z without I, O and Q, and 0-9."
        )


def _check_timestamp(moment: object) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() != UTC.utcoffset(None):
        raise MsdError(f"The timestamp must be a timezone-aware UTC datetime, not {moment!r}.")
    if moment.microsecond:
        raise MsdError(f"The timestamp {moment.isoformat()} must be in whole seconds.")
    if not 0 < moment.timestamp() <= MAX_TIMESTAMP:
        raise MsdError(
            f"The timestamp {moment.isoformat()} is outside what the MSD can carry "
            "(1970-01-01 00:00:01 to 2106-02-07; 0 means the time is not known: give None)."
        )


def _wrap_longitude(mas: int) -> int:
    """The same meridian within -180..180 degrees (only for sums that crossed the antimeridian)."""
    full_turn = 2 * LONGITUDE_LIMIT_MAS
    if mas > LONGITUDE_LIMIT_MAS:
        return mas - full_turn
    if mas < -LONGITUDE_LIMIT_MAS:
        return mas + full_turn
    return mas


def _deltas(position: Position, previous: tuple[Position, ...]) -> list[tuple[int, int]]:
    """Each earlier position as steps from the one after it (as the receiver will rebuild it).

    Steps are taken from the rebuilt later position, not the exact one, so rounding does not add
    up along the chain; a rebuilt latitude never passes a pole.
    """
    later_lat, later_lon = position._mas()
    steps = []
    for number, earlier in enumerate(previous, start=1):
        lat, lon = earlier._mas()
        d_lat = round((lat - later_lat) / DELTA_UNIT_MAS)
        d_lon = round(_wrap_longitude(lon - later_lon) / DELTA_UNIT_MAS)
        if abs(later_lat + d_lat * DELTA_UNIT_MAS) > LATITUDE_LIMIT_MAS:
            d_lat -= 1 if d_lat > 0 else -1
        if not (DELTA_MIN <= d_lat <= DELTA_MAX and DELTA_MIN <= d_lon <= DELTA_MAX):
            raise MsdError(
                f"Previous position {number} is too far from the position after it: the MSD "
                f"carries at most {DELTA_MAX} steps of 0.1 arcsecond (about 1.6 km north-south) "
                "each way. Send a more recent earlier position, or leave it out."
            )
        steps.append((d_lat, d_lon))
        later_lat += d_lat * DELTA_UNIT_MAS
        later_lon = _wrap_longitude(later_lon + d_lon * DELTA_UNIT_MAS)
    return steps


# --- the seam around asn1tools ---------------------------------------------------------------


class _Specification(Protocol):
    """What this module uses of a compiled asn1tools specification (the library has no types)."""

    def encode(self, name: str, data: object, check_constraints: bool = ...) -> bytes: ...

    def decode(self, name: str, data: bytes, check_constraints: bool = ...) -> object: ...


@cache
def _specification() -> _Specification:
    text = resources.files("linkplus.safety").joinpath("data/msd.asn").read_text("utf-8")
    return cast(_Specification, asn1tools.compile_string(text, "uper"))


def _uper_encode(type_name: str, value: dict[str, object]) -> bytes:
    try:
        return bytes(_specification().encode(type_name, value, check_constraints=True))
    except asn1tools.Error as exc:
        raise MsdError(f"The MSD cannot be encoded: {exc}") from exc


def _uper_decode(type_name: str, data: bytes) -> dict[str, Any]:
    try:
        value = _specification().decode(type_name, data, check_constraints=True)
    except (asn1tools.Error, NotImplementedError) as exc:
        # asn1tools raises NotImplementedError for an extension count it does not read (a long
        # run of unknown extensions): for us those are bytes we cannot read, like any other.
        raise MsdError(f"These bytes are not a valid eCall MSD ({type_name}): {exc}") from exc
    if not isinstance(value, dict):
        raise MsdError(f"These bytes are not a valid eCall MSD ({type_name}).")
    return value


# --- encode and decode -----------------------------------------------------------------------


def encode(msd: MinimumSetOfData) -> bytes:
    """The MSD as eCall sends it: ``ECallMessage`` in UPER (version 2, then the data set)."""
    if not isinstance(msd, MinimumSetOfData):
        raise MsdError(f"Only a MinimumSetOfData can be encoded, not {type(msd).__name__}.")
    structure: dict[str, object] = {
        "messageIdentifier": msd.message_id,
        "control": {
            "automaticActivation": msd.activation is Activation.automatic,
            "testCall": msd.test_call,
            "positionCanBeTrusted": msd.position_trusted,
            "vehicleType": _VEHICLE_TYPES[msd.vehicle_type][0],
        },
        "vehicleIdentificationNumber": _vin_parts(msd.vin),
        "vehiclePropulsionStorageType": {
            name: True for kind, (name, _) in _PROPULSIONS.items() if kind in msd.propulsion
        },
        "timestamp": (
            UNKNOWN_TIMESTAMP if msd.timestamp is None else int(msd.timestamp.timestamp())
        ),
        "vehicleLocation": dict(
            zip(
                ("positionLatitude", "positionLongitude"),
                (UNKNOWN_POSITION_MAS,) * 2 if msd.position is None else msd.position._mas(),
                strict=True,
            )
        ),
        "vehicleDirection": (
            UNKNOWN_DIRECTION
            if msd.direction_deg is None
            else msd.direction_deg // DIRECTION_STEP_DEG
        ),
    }
    if msd.position is not None:
        for name, (d_lat, d_lon) in zip(
            ("recentVehicleLocationN1", "recentVehicleLocationN2"),
            _deltas(msd.position, msd.previous),
            strict=False,
        ):
            structure[name] = {"latitudeDelta": d_lat, "longitudeDelta": d_lon}
    if msd.passengers is not None:
        structure["numberOfPassengers"] = msd.passengers
    inner = _uper_encode("MSDMessage", {"msdStructure": structure})
    data = _uper_encode("ECallMessage", {"msdVersion": MSD_VERSION, "msd": inner})
    assert len(data) <= MAX_BYTES, len(data)  # 39 bytes at most with this schema's fields
    return data


def _vin_parts(vin: str) -> dict[str, str]:
    parts, start = {}, 0
    for name, size in _VIN_PARTS:
        parts[name] = vin[start : start + size]
        start += size
    return parts


def decode(data: bytes) -> MinimumSetOfData:
    """The data set in ``data``; ``MsdError`` (and nothing else) if it is not a version 2 MSD."""
    if not isinstance(data, bytes):
        raise MsdError(f"An MSD is bytes, not {type(data).__name__}.")
    if not data:
        raise MsdError("The MSD is empty.")
    if len(data) > MAX_BYTES:
        raise MsdError(f"The MSD is {len(data)} bytes; eCall carries at most {MAX_BYTES}.")
    if data[0] != MSD_VERSION:  # the first byte is the version in every format of the MSD
        raise MsdError(
            f"This MSD is format version {data[0]}; the platform reads version {MSD_VERSION} "
            "(EN 15722:2015)."
        )
    inner = _uper_decode("ECallMessage", data)["msd"]
    # Version byte, length (one byte below 128, else two), then the data set: nothing after it.
    expected = 1 + (1 if len(inner) < 128 else 2) + len(inner)
    if len(data) != expected:
        raise MsdError(
            f"These bytes are not a valid eCall MSD: {len(data)} bytes where the data set it "
            f"holds makes {expected}."
        )
    structure = _uper_decode("MSDMessage", inner)["msdStructure"]
    return _from_structure(structure)


def _from_structure(structure: dict[str, Any]) -> MinimumSetOfData:
    control = structure["control"]
    vehicle_type = _VEHICLE_TYPE_BY_NAME.get(control["vehicleType"])
    if vehicle_type is None:
        raise MsdError(f"The MSD names a vehicle type this platform does not know: {control}.")
    direction = structure["vehicleDirection"]
    if direction == UNKNOWN_DIRECTION:
        direction_deg = None
    elif 0 <= direction * DIRECTION_STEP_DEG < 360:
        direction_deg = direction * DIRECTION_STEP_DEG
    else:
        raise MsdError(
            f"The MSD's vehicle direction is {direction} (255 means not known); the platform "
            "reads headings 0 to 179 (steps of 2 degrees)."
        )
    location = structure["vehicleLocation"]
    latitude_mas, longitude_mas = location["positionLatitude"], location["positionLongitude"]
    known = UNKNOWN_POSITION_MAS not in (latitude_mas, longitude_mas)
    position = _position(latitude_mas, longitude_mas) if known else None
    previous: list[Position] = []
    later_lat, later_lon = latitude_mas, longitude_mas
    for name in ("recentVehicleLocationN1", "recentVehicleLocationN2"):
        delta = structure.get(name)
        if delta is None or position is None:  # steps from a position nobody knows say nothing
            continue
        if name.endswith("N2") and not previous:
            raise MsdError("The MSD has a second previous position without a first one.")
        later_lat += delta["latitudeDelta"] * DELTA_UNIT_MAS
        later_lon = _wrap_longitude(later_lon + delta["longitudeDelta"] * DELTA_UNIT_MAS)
        previous.append(_position(later_lat, later_lon))
    propulsion = structure["vehiclePropulsionStorageType"]
    vin = "".join(structure["vehicleIdentificationNumber"][name] for name, _ in _VIN_PARTS)
    return MinimumSetOfData(
        message_id=structure["messageIdentifier"],
        activation=Activation.automatic if control["automaticActivation"] else Activation.manual,
        test_call=control["testCall"],
        position_trusted=control["positionCanBeTrusted"],
        vehicle_type=vehicle_type,
        vin=vin,
        propulsion=frozenset(kind for kind, (name, _) in _PROPULSIONS.items() if propulsion[name]),
        timestamp=(
            None
            if structure["timestamp"] == UNKNOWN_TIMESTAMP
            else datetime.fromtimestamp(structure["timestamp"], UTC)
        ),
        position=position,
        direction_deg=direction_deg,
        previous=tuple(previous),
        passengers=structure.get("numberOfPassengers"),
    )


def _position(latitude_mas: int, longitude_mas: int) -> Position:
    if abs(latitude_mas) > LATITUDE_LIMIT_MAS or abs(longitude_mas) > LONGITUDE_LIMIT_MAS:
        raise MsdError(
            f"The MSD's position ({latitude_mas}, {longitude_mas} milliarcseconds) is not on "
            f"Earth (and not {UNKNOWN_POSITION_MAS}, which means the car did not know it)."
        )
    return Position(latitude_mas / MAS_PER_DEGREE, longitude_mas / MAS_PER_DEGREE)


# --- base64, as the MSD travels inside the JSON event ----------------------------------------

_MAX_TEXT = 4 * math.ceil(MAX_BYTES / 3)


def to_text(data: bytes) -> str:
    """``data`` in standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def from_text(text: str) -> bytes:
    """The bytes of strict base64 ``text``: standard alphabet, padding, nothing else, canonical."""
    if not isinstance(text, str):
        raise MsdError(f"The MSD must be base64 text, not {type(text).__name__}.")
    if not text:
        raise MsdError("The MSD text is empty.")
    if len(text) > _MAX_TEXT:
        raise MsdError(f"The MSD text is longer than {MAX_BYTES} bytes can be in base64.")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise MsdError(f"The MSD is not valid base64: {exc}.") from exc
    if to_text(data) != text:  # unused bits set in the last character: a second spelling
        raise MsdError("The MSD is not canonical base64: its last character has stray bits.")
    return data


# --- in words, for the emergency agent --------------------------------------------------------


def describe(msd: MinimumSetOfData) -> list[tuple[str, str]]:
    """The data set as label and text rows, most urgent first, in plain English."""
    automatic = msd.activation is Activation.automatic
    trust = "can be trusted" if msd.position_trusted else "cannot be trusted"
    if msd.position is None:
        where = "Not known (the car had no position fix)"
    else:
        where = f"{_position_words(msd.position)}, {trust}"
    if msd.direction_deg is None:
        heading = "Not known"
    else:
        compass = _COMPASS[round(msd.direction_deg / 45) % len(_COMPASS)]
        heading = f"Heading {msd.direction_deg}°, {compass}"
    return [
        ("Activation", "Automatic: crash sensor" if automatic else "Manual: SOS button"),
        ("Test call", "Yes: a test, not an emergency" if msd.test_call else "No"),
        ("Position", where),
        ("Direction", heading),
        ("Previous positions", _previous_words(msd.position, msd.previous)),
        ("Passengers", "Not known" if msd.passengers is None else str(msd.passengers)),
        ("Vehicle", f"{_VEHICLE_TYPES[msd.vehicle_type][1]}, VIN {msd.vin}"),
        ("Propulsion", _propulsion_words(msd.propulsion)),
        ("Time", _time_words(msd.timestamp)),
        ("Message", f"No. {msd.message_id}"),
    ]


def _coordinate(value: float, positive: str, negative: str) -> str:
    text = f"{abs(value):.5f}"  # 5 decimals: about a metre
    hemisphere = negative if value < 0 and float(text) != 0 else positive
    return f"{text}° {hemisphere}"


def _position_words(position: Position) -> str:
    return (
        f"{_coordinate(position.latitude, 'N', 'S')}, {_coordinate(position.longitude, 'E', 'W')}"
    )


def _distance_m(a: Position, b: Position) -> float:
    """Great-circle distance (haversine)."""
    lat_a, lat_b = math.radians(a.latitude), math.radians(b.latitude)
    d_lat = lat_b - lat_a
    d_lon = math.radians(b.longitude - a.longitude)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _distance_words(metres: float) -> str:
    if metres < 1000:
        return f"{round(metres / 5) * 5} m"  # the positions are good to about 3 m
    return f"{metres / 1000:.1f} km"


def _previous_words(position: Position | None, previous: tuple[Position, ...]) -> str:
    if not previous or position is None:
        return "None sent"
    distances = [_distance_words(_distance_m(position, earlier)) for earlier in previous]
    return f"{len(previous)}: {' and '.join(distances)} back"


def _propulsion_words(propulsion: frozenset[Propulsion]) -> str:
    words = [word for kind, (_, word) in _PROPULSIONS.items() if kind in propulsion]
    if not words:
        return "Not known"
    text = ", ".join(words)
    return text[0].upper() + text[1:]


def _time_words(moment: datetime | None) -> str:
    if moment is None:
        return "Not known (the car sent no time)"
    return f"{moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M:%S} UTC"
